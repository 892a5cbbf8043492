#include "lutra/experiments/checkpoint.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <fstream>
#include <string>
#include <utility>

#include "lutra/core/error.hpp"
#include "lutra/core/publish.hpp"
#include "lutra/core/read_file.hpp"

namespace lutra::experiments {

namespace {

// The layout is written with memcpy of native values.
static_assert(std::endian::native == std::endian::little, "the checkpoint format is little-endian");

constexpr char magic[8] = {'L', 'U', 'T', 'R', 'A', 'C', 'K', 'P'};
// magic, version, genome hash, epoch, section count; the sections; the CRC.
constexpr std::size_t header_bytes = 8 + 4 + 8 + 4 + 4;
constexpr std::size_t crc_bytes = 4;
// The kinds of a section's arrays.
constexpr std::uint8_t floats_kind = 1;
constexpr std::uint8_t integers_kind = 2;
// The section holding the network; the others are "<phase>:<rule>".
constexpr std::string_view network_section = "network";

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

[[noreturn]] void fail_read(const std::filesystem::path& path, const std::string& detail) {
    throw io_error(path.string(), "read checkpoint", detail);
}

}  // namespace

namespace {

void put_string(std::string& out, std::string_view text) {
    put(out, static_cast<std::uint32_t>(text.size()));
    out.append(text);
}

void put_section(std::string& out, std::string_view name, const plasticity::named_state& state) {
    put_string(out, name);
    put(out, static_cast<std::uint32_t>(state.floats.size() + state.integers.size()));
    for (const auto& [key, values] : state.floats) {
        put(out, floats_kind);
        put_string(out, key);
        put(out, static_cast<std::uint64_t>(values.size()));
        out.append(reinterpret_cast<const char*>(values.data()), sizeof(float) * values.size());
    }
    for (const auto& [key, values] : state.integers) {
        put(out, integers_kind);
        put_string(out, key);
        put(out, static_cast<std::uint64_t>(values.size()));
        out.append(reinterpret_cast<const char*>(values.data()), sizeof(std::uint64_t) * values.size());
    }
}

// Reads the sections, checking every size against the bytes left before it
// is used, so a damaged count never drives an allocation.
class section_reader {
public:
    section_reader(const std::filesystem::path& path, const std::string& bytes, std::size_t at, std::size_t end)
        : path_(path), bytes_(bytes), at_(at), end_(end) {}

    template <class T>
    T value(const char* what) {
        need(sizeof(T), what);
        return get<T>(bytes_, at_);
    }
    std::string text(const char* what) {
        const auto size = value<std::uint32_t>(what);
        need(size, what);
        std::string t = bytes_.substr(at_, size);
        at_ += size;
        return t;
    }
    template <class T>
    std::vector<T> array(std::uint64_t count, const char* what) {
        if (count > (end_ - at_) / sizeof(T)) fail(what);
        std::vector<T> values(count);
        std::memcpy(values.data(), bytes_.data() + at_, sizeof(T) * count);
        at_ += sizeof(T) * count;
        return values;
    }
    plasticity::named_state section() {
        plasticity::named_state state;
        const auto arrays = value<std::uint32_t>("array count");
        for (std::uint32_t i = 0; i < arrays; ++i) {
            const auto kind = value<std::uint8_t>("array kind");
            std::string key = text("array name");
            const auto count = value<std::uint64_t>("array size");
            if (kind == floats_kind)
                state.floats[key] = array<float>(count, "float array");
            else if (kind == integers_kind)
                state.integers[key] = array<std::uint64_t>(count, "integer array");
            else
                fail_read(path_, "array '" + key + "' has unknown kind " + std::to_string(kind) + "; the file is damaged");
        }
        return state;
    }
    [[nodiscard]] bool done() const noexcept { return at_ == end_; }

private:
    void need(std::size_t bytes, const char* what) {
        if (bytes > end_ - at_) fail(what);
    }
    [[noreturn]] void fail(const char* what) {
        fail_read(path_, std::string("the ") + what + " at byte " + std::to_string(at_) +
                             " runs past the end of the file; truncated or damaged");
    }

    const std::filesystem::path& path_;
    const std::string& bytes_;
    std::size_t at_;
    std::size_t end_;
};

}  // namespace

void write_checkpoint(const std::filesystem::path& path, const checkpoint& c) {
    const plasticity::session_state& s = c.state;
    std::string out;
    out.append(magic, sizeof magic);
    put(out, checkpoint_format_version);
    put(out, c.genome_hash);
    put(out, s.epoch);
    put(out, static_cast<std::uint32_t>(1 + s.rules.size()));
    put_section(out, network_section, s.network);
    for (const auto& [name, state] : s.rules) put_section(out, name, state);
    put(out, crc32_of(out.data(), out.size()));
    core::publish_file(path, out);
}

checkpoint read_checkpoint(const std::filesystem::path& path) {
    // Its size follows from the network's, which the memory estimate bounds.
    const std::string bytes = core::read_file(path, "read checkpoint", std::numeric_limits<std::uintmax_t>::max());
    if (bytes.size() < sizeof magic + 4 || std::memcmp(bytes.data(), magic, sizeof magic) != 0)
        fail_read(path, "not a Lutra checkpoint (no LUTRACKP signature)");
    std::size_t at = sizeof magic;
    const auto version = get<std::uint32_t>(bytes, at);
    if (version == 0) fail_read(path, "version 0 is not a valid version; the file is damaged");
    if (version > checkpoint_format_version)
        fail_read(path, "written by a newer Lutra (version " + std::to_string(version) + "; this one reads up to " +
                            std::to_string(checkpoint_format_version) + ")");
    if (version < checkpoint_format_version)
        fail_read(path, "version " + std::to_string(version) + " was written by Lutra 0.1 (the gradient trainer's "
                        "arrays alone); finish the run with that Lutra, or start it again");
    if (bytes.size() < header_bytes + crc_bytes) fail_read(path, "truncated: shorter than the header");
    std::size_t crc_at = bytes.size() - crc_bytes;
    if (get<std::uint32_t>(bytes, crc_at) != crc32_of(bytes.data(), bytes.size() - crc_bytes))
        fail_read(path, "CRC-32 mismatch: the file is damaged");
    checkpoint c;
    c.genome_hash = get<std::uint64_t>(bytes, at);
    c.state.epoch = get<std::uint32_t>(bytes, at);
    const auto sections = get<std::uint32_t>(bytes, at);
    section_reader reader(path, bytes, at, bytes.size() - crc_bytes);
    for (std::uint32_t i = 0; i < sections; ++i) {
        std::string name = reader.text("section name");
        plasticity::named_state state = reader.section();
        if (i == 0) {
            if (name != network_section) fail_read(path, "the first section is '" + name + "', not the network");
            c.state.network = std::move(state);
        } else {
            c.state.rules.emplace_back(std::move(name), std::move(state));
        }
    }
    if (sections == 0) fail_read(path, "no network section; the file is damaged");
    if (!reader.done()) fail_read(path, "bytes after the last section; the file is damaged");
    return c;
}

}  // namespace lutra::experiments
