#pragma once
// Reading a small file whole (a config, a genome, a checkpoint). Only a
// regular file qualifies: a directory would fail deep inside the stream
// library, and a device such as /dev/zero or a FIFO never ends. The size is
// checked before anything is allocated.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace lutra::core {

// Configs and genomes are kilobytes; this bounds what one may cost (64 MiB).
inline constexpr std::uintmax_t max_text_file_bytes = std::uintmax_t{64} << 20;

// Why `path` cannot be read whole: "no such file", "is a directory, not a
// file", "is not a regular file (a device, FIFO or socket)", "is N bytes,
// more than the M a ... may have"; empty when it can.
[[nodiscard]] std::string unreadable_file_problem(const std::filesystem::path& path, std::uintmax_t max_bytes);

// The file's bytes. Throws lutra::io_error(path, operation, problem) for any
// problem unreadable_file_problem names, and when opening or reading fails.
[[nodiscard]] std::string read_file(const std::filesystem::path& path, std::string_view operation,
                                    std::uintmax_t max_bytes = max_text_file_bytes);

}  // namespace lutra::core
