#include "lutra/core/read_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "lutra/core/error.hpp"

namespace lutra::core {

namespace fs = std::filesystem;

namespace {

std::string mib_text(std::uintmax_t bytes) {
    return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

std::string unreadable_file_problem(const fs::path& path, std::uintmax_t max_bytes) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    switch (status.type()) {
        case fs::file_type::not_found:
            return "no such file";
        case fs::file_type::directory:
            return "is a directory, not a file";
        case fs::file_type::regular:
            break;
        default:
            if (ec) return "cannot be examined: " + ec.message();
            return "is not a regular file (a device, FIFO or socket), so it cannot be read whole";
    }
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec) return "cannot be examined: " + ec.message();
    if (size > max_bytes)
        return "is " + std::to_string(size) + " bytes, more than the " + mib_text(max_bytes) +
               " such a file may have; is it the right file?";
    return {};
}

std::string read_file(const fs::path& path, std::string_view operation, std::uintmax_t max_bytes) {
    const std::string op(operation);
    if (std::string problem = unreadable_file_problem(path, max_bytes); !problem.empty())
        throw io_error(path.string(), op, problem);
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(path.string(), op, std::string("cannot open: ") + std::strerror(errno ? errno : EIO));
    std::string bytes;
    // The file may grow between the size check and the read: the bound holds for what is read.
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (bytes.size() > max_bytes)
            throw io_error(path.string(), op, "grew beyond " + mib_text(max_bytes) + " while being read");
    }
    if (in.bad()) throw io_error(path.string(), op, "read failed");
    return bytes;
}

}  // namespace lutra::core
