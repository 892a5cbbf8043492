#include "lutra/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include "lutra/core/error.hpp"

namespace lutra::data {

namespace {

constexpr std::uint8_t type_ubyte = 0x08;
constexpr unsigned max_dims = 4;
// The payload is read in chunks of this many bytes, so a header that claims
// more data than the file holds costs at most one chunk of memory.
constexpr std::size_t read_chunk = std::size_t{16} << 20;
// gzread and gzwrite take an unsigned count and return an int.
constexpr std::size_t max_gz_call = std::size_t{1} << 30;

struct gz_closer {
    void operator()(gzFile f) const noexcept { gzclose(f); }
};
using gz_file = std::unique_ptr<gzFile_s, gz_closer>;

std::string hex_byte(std::uint8_t b) {
    constexpr char digits[] = "0123456789ABCDEF";
    return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

std::string type_text(std::uint8_t type) {
    switch (type) {
        case 0x08:
            return "unsigned byte";
        case 0x09:
            return "signed byte";
        case 0x0B:
            return "16-bit integer";
        case 0x0C:
            return "32-bit integer";
        case 0x0D:
            return "32-bit float";
        case 0x0E:
            return "64-bit float";
        default:
            return "not an IDX type";
    }
}

// zlib's account of the last failure on f, or "" when there was none.
std::string zlib_problem(gzFile f, const std::string& file) {
    int code = Z_OK;
    const std::string message = gzerror(f, &code);
    if (code == Z_OK) return {};
    if (code == Z_ERRNO) return std::strerror(errno);
    // zlib prefixes the path, which the io_error already names.
    const std::string prefix = file + ": ";
    return message.starts_with(prefix) ? message.substr(prefix.size()) : message;
}

// Reads up to n bytes into out and returns how many arrived before the end of
// the file. A short count means the file ended (for a gzipped file possibly
// mid-stream, see zlib_problem); corrupt compressed data throws.
std::size_t read_bytes(gzFile f, std::uint8_t* out, std::size_t n, const std::string& file,
                       const std::string& operation) {
    std::size_t done = 0;
    while (done < n) {
        const auto want = static_cast<unsigned>(std::min(n - done, max_gz_call));
        const int got = gzread(f, out + done, want);
        if (got < 0) throw io_error(file, operation, "cannot read: " + zlib_problem(f, file));
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    return done;
}

// "file ends after 10 of 16 header bytes", with zlib's reason for a cut gzip stream.
std::string ends_early(gzFile f, const std::string& file, std::size_t got, std::size_t wanted,
                       const std::string& what) {
    std::string text = "file ends after " + std::to_string(got) + " of " + std::to_string(wanted) + " " + what;
    if (const std::string problem = zlib_problem(f, file); !problem.empty()) text += "; gzip: " + problem;
    return text;
}

// Bytes in dims, or nullopt when the product does not fit in size_t.
std::optional<std::size_t> payload_bytes(std::span<const std::uint32_t> dims) {
    std::size_t total = 1;
    for (std::uint32_t d : dims) {
        if (d != 0 && total > std::numeric_limits<std::size_t>::max() / d) return std::nullopt;
        total *= d;
    }
    return total;
}

}  // namespace

std::string format_dims(std::span<const std::uint32_t> dims) {
    std::string text;
    for (std::uint32_t d : dims) {
        if (!text.empty()) text += "×";
        text += std::to_string(d);
    }
    return text;
}

idx_array read_idx(const std::filesystem::path& path) {
    const std::string file = path.string();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw io_error(file, "open", "no such file");
    if (std::filesystem::is_directory(path, ec)) throw io_error(file, "open", "is a directory, not an IDX file");
    errno = 0;
    const gz_file f(gzopen(file.c_str(), "rb"));
    if (!f) throw io_error(file, "open", errno != 0 ? std::strerror(errno) : "out of memory");
    gzbuffer(f.get(), 1U << 17);

    const std::string header_op = "read IDX header";
    std::array<std::uint8_t, 4> magic{};
    if (const std::size_t got = read_bytes(f.get(), magic.data(), magic.size(), file, header_op); got < magic.size())
        throw io_error(file, header_op, got == 0 ? "file is empty" : ends_early(f.get(), file, got, 4, "magic bytes"));
    if (magic[0] != 0 || magic[1] != 0)
        throw io_error(file, header_op,
                       "magic bytes " + hex_byte(magic[0]) + " " + hex_byte(magic[1]) + " " + hex_byte(magic[2]) + " " +
                           hex_byte(magic[3]) + " are not an IDX header (expected 0x00 0x00 type ndims)");
    if (magic[2] != type_ubyte)
        throw io_error(file, header_op,
                       "data type " + hex_byte(magic[2]) + " (" + type_text(magic[2]) +
                           ") is not supported; only 0x08 (unsigned byte) is");
    const unsigned ndims = magic[3];
    if (ndims < 1 || ndims > max_dims)
        throw io_error(file, header_op, "ndims " + std::to_string(ndims) + " is out of range 1..4");

    std::array<std::uint8_t, 4 * max_dims> raw{};
    if (const std::size_t got = read_bytes(f.get(), raw.data(), 4 * ndims, file, header_op); got < 4 * ndims)
        throw io_error(file, header_op, ends_early(f.get(), file, 4 + got, 4 + 4 * ndims, "header bytes"));
    idx_array array;
    array.dims.resize(ndims);
    for (unsigned i = 0; i < ndims; ++i)
        array.dims[i] = (std::uint32_t{raw[4 * i]} << 24) | (std::uint32_t{raw[4 * i + 1]} << 16) |
                        (std::uint32_t{raw[4 * i + 2]} << 8) | std::uint32_t{raw[4 * i + 3]};
    for (unsigned i = 0; i < ndims; ++i)
        if (array.dims[i] == 0)
            throw io_error(file, header_op,
                           "dimension " + std::to_string(i) + " is zero (dims " + format_dims(array.dims) + ")");
    const auto total = payload_bytes(array.dims);
    if (!total) throw io_error(file, header_op, "dims " + format_dims(array.dims) + " describe more than 2^64 bytes");

    const std::string data_op = "read IDX data";
    while (array.data.size() < *total) {
        const std::size_t old = array.data.size();
        const std::size_t want = std::min(*total - old, read_chunk);
        array.data.resize(old + want);
        if (const std::size_t got = read_bytes(f.get(), array.data.data() + old, want, file, data_op); got < want)
            throw io_error(
                file, data_op,
                ends_early(f.get(), file, old + got, *total, "data bytes (dims " + format_dims(array.dims) + ")"));
    }
    std::array<std::uint8_t, 1U << 16> rest{};
    std::size_t trailing = 0;
    while (const std::size_t got = read_bytes(f.get(), rest.data(), rest.size(), file, data_op)) trailing += got;
    if (trailing > 0)
        throw io_error(file, data_op,
                       "file has " + std::to_string(trailing) + " bytes after the " + std::to_string(*total) +
                           " data bytes (dims " + format_dims(array.dims) + ")");
    return array;
}

void write_idx(const std::filesystem::path& path, const idx_array& array, bool gzip) {
    const std::string file = path.string();
    const std::string op = "write IDX";
    if (array.dims.empty() || array.dims.size() > max_dims)
        throw io_error(file, op, "ndims " + std::to_string(array.dims.size()) + " is out of range 1..4");
    for (std::size_t i = 0; i < array.dims.size(); ++i)
        if (array.dims[i] == 0)
            throw io_error(file, op,
                           "dimension " + std::to_string(i) + " is zero (dims " + format_dims(array.dims) + ")");
    if (const auto total = payload_bytes(array.dims); !total || *total != array.data.size())
        throw io_error(file, op,
                       "dims " + format_dims(array.dims) + " do not match the " + std::to_string(array.data.size()) +
                           " data bytes");

    std::vector<std::uint8_t> header{0, 0, type_ubyte, static_cast<std::uint8_t>(array.dims.size())};
    for (std::uint32_t d : array.dims)
        for (int shift = 24; shift >= 0; shift -= 8) header.push_back(static_cast<std::uint8_t>(d >> shift));

    errno = 0;
    // "T" writes the bytes as they are: zlib's transparent mode, no gzip wrapper.
    gz_file f(gzopen(file.c_str(), gzip ? "wb" : "wbT"));
    if (!f) throw io_error(file, "open for writing", errno != 0 ? std::strerror(errno) : "out of memory");
    const auto write = [&](const std::uint8_t* bytes, std::size_t n) {
        for (std::size_t done = 0; done < n;) {
            const auto want = static_cast<unsigned>(std::min(n - done, max_gz_call));
            if (gzwrite(f.get(), bytes + done, want) != static_cast<int>(want))
                throw io_error(file, op, "cannot write: " + zlib_problem(f.get(), file));
            done += want;
        }
    };
    write(header.data(), header.size());
    write(array.data.data(), array.data.size());
    if (const int rc = gzclose(f.release()); rc != Z_OK)
        throw io_error(
            file, op,
            rc == Z_ERRNO ? std::strerror(errno) : "cannot finish the file (zlib error " + std::to_string(rc) + ")");
}

}  // namespace lutra::data
