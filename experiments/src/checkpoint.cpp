#include "lutra/experiments/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>

#include "lutra/core/error.hpp"

namespace lutra::experiments {

namespace {

// The layout is written with memcpy of native values.
static_assert(std::endian::native == std::endian::little, "the checkpoint format is little-endian");

constexpr char magic[8] = {'L', 'U', 'T', 'R', 'A', 'C', 'K', 'P'};
// magic, version, epoch, steps, entries; then θ, m, v; then the CRC.
constexpr std::size_t header_bytes = 8 + 4 + 4 + 8 + 8 + 8;
constexpr std::size_t crc_bytes = 4;

template <class T>
void put(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
T get(const std::string& in, std::size_t& at) {
    T value;
    std::memcpy(&value, in.data() + at, sizeof value);
    at += sizeof value;
    return value;
}

std::uint32_t crc32_of(const char* data, std::size_t size) {
    uLong crc = crc32(0L, Z_NULL, 0);
    // zlib takes uInt lengths: feed large buffers in pieces.
    for (std::size_t done = 0; done < size;) {
        const auto piece = static_cast<uInt>(std::min<std::size_t>(size - done, 1U << 30));
        crc = crc32(crc, reinterpret_cast<const Bytef*>(data + done), piece);
        done += piece;
    }
    return static_cast<std::uint32_t>(crc);
}

// Closes a POSIX file descriptor on every path out.
struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
};

[[noreturn]] void fail_read(const std::filesystem::path& path, const std::string& detail) {
    throw io_error(path.string(), "read checkpoint", detail);
}

[[noreturn]] void fail_errno(const std::filesystem::path& path, const std::string& what) {
    throw io_error(path.string(), "write", what + ": " + std::generic_category().message(errno));
}

void sync_path(const std::filesystem::path& path, int flags) {
    const fd_guard f{::open(path.c_str(), flags)};
    if (f.fd < 0 || ::fsync(f.fd) != 0) fail_errno(path, "sync");
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
    std::filesystem::path temporary = path;
    temporary += ".tmp";
    {
        // A temporary left by a killed writer is simply overwritten.
        fd_guard f{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
        if (f.fd < 0) fail_errno(temporary, "create the temporary file");
        for (std::size_t done = 0; done < bytes.size();) {
            const ssize_t n = ::write(f.fd, bytes.data() + done, bytes.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) fail_errno(temporary, "write (disk full?)");
            done += static_cast<std::size_t>(n);
        }
        if (::fsync(f.fd) != 0) fail_errno(temporary, "sync");
        const int fd = std::exchange(f.fd, -1);
        if (::close(fd) != 0) fail_errno(temporary, "close");
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) throw io_error(path.string(), "write", "rename " + temporary.string() + " over it: " + ec.message());
    // The rename itself is durable only once the directory is synced.
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
    sync_path(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void write_checkpoint(const std::filesystem::path& path, const checkpoint& c) {
    const core::trainer_state& s = c.state;
    if (s.m.size() != s.theta.size() || s.v.size() != s.theta.size())
        throw io_error(path.string(), "write checkpoint",
                       "theta, m and v have " + std::to_string(s.theta.size()) + ", " + std::to_string(s.m.size()) +
                           " and " + std::to_string(s.v.size()) + " values; they must agree");
    std::string out;
    out.reserve(header_bytes + 3 * sizeof(float) * s.theta.size() + crc_bytes);
    out.append(magic, sizeof magic);
    put(out, checkpoint_format_version);
    put(out, s.epoch);
    put(out, s.steps);
    put(out, static_cast<std::uint64_t>(s.theta.size()));
    put(out, c.genome_hash);
    for (const auto* values : {&s.theta, &s.m, &s.v})
        out.append(reinterpret_cast<const char*>(values->data()), sizeof(float) * values->size());
    put(out, crc32_of(out.data(), out.size()));
    write_file_atomically(path, out);
}

checkpoint read_checkpoint(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail_read(path, "cannot open the file");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) fail_read(path, "read failed");
    if (bytes.size() < header_bytes + crc_bytes || std::memcmp(bytes.data(), magic, sizeof magic) != 0)
        fail_read(path, "not a Lutra checkpoint (no LUTRACKP signature)");
    std::size_t at = sizeof magic;
    const auto version = get<std::uint32_t>(bytes, at);
    if (version == 0) fail_read(path, "version 0 is not a valid version; the file is damaged");
    if (version > checkpoint_format_version)
        fail_read(path, "written by a newer Lutra (version " + std::to_string(version) + "; this one reads up to " +
                            std::to_string(checkpoint_format_version) + ")");
    checkpoint c;
    c.state.epoch = get<std::uint32_t>(bytes, at);
    c.state.steps = get<std::uint64_t>(bytes, at);
    const auto entries = get<std::uint64_t>(bytes, at);
    c.genome_hash = get<std::uint64_t>(bytes, at);
    // The size check comes first, so a damaged count never drives an allocation.
    const std::size_t payload = bytes.size() - header_bytes - crc_bytes;
    if (entries > payload / (3 * sizeof(float)) || payload != 3 * sizeof(float) * entries)
        fail_read(path, "the file has " + std::to_string(bytes.size()) + " bytes, but " + std::to_string(entries) +
                            " table entries need " + std::to_string(header_bytes + crc_bytes) +
                            " + 12 × entries; truncated or damaged");
    std::size_t crc_at = bytes.size() - crc_bytes;
    if (get<std::uint32_t>(bytes, crc_at) != crc32_of(bytes.data(), bytes.size() - crc_bytes))
        fail_read(path, "CRC-32 mismatch: the file is damaged");
    for (auto* values : {&c.state.theta, &c.state.m, &c.state.v}) {
        values->resize(entries);
        std::memcpy(values->data(), bytes.data() + at, sizeof(float) * entries);
        at += sizeof(float) * entries;
    }
    return c;
}

}  // namespace lutra::experiments
