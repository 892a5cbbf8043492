#pragma once
// IDX files, the format of MNIST and Fashion-MNIST: a 4-byte magic
// (0x00 0x00 type ndims), ndims big-endian 32-bit dimensions, then the
// payload in row-major order. Only type 0x08 (unsigned byte) is supported.
// Files may be gzipped; gzip is recognised by its magic, not by the name.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace lutra::data {

struct idx_array {
    std::vector<std::uint32_t> dims;  // 1 … 4 dimensions, none zero, outermost first
    std::vector<std::uint8_t> data;   // the product of dims bytes, row-major
};

// Reads a plain or gzipped IDX file. Throws lutra::io_error naming the file
// and the problem with its numbers: missing file, bad magic, a type other
// than 0x08, ndims outside 1..4, a zero dimension, dims whose product
// overflows, a payload shorter or longer than the product of dims.
[[nodiscard]] idx_array read_idx(const std::filesystem::path& path);

// Writes `array` as an IDX file of type 0x08, gzipped when `gzip` is true.
// Throws lutra::io_error if dims are invalid or do not match data.size(), or
// the file cannot be written.
void write_idx(const std::filesystem::path& path, const idx_array& array, bool gzip);

// "60000×28×28", for messages about dims.
[[nodiscard]] std::string format_dims(std::span<const std::uint32_t> dims);

}  // namespace lutra::data
