#include "lutra/topology/genome_text.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <span>
#include <utility>

#include "lutra/topology/error.hpp"

namespace lutra::topology {
namespace {

constexpr std::uint8_t format_tag = 0x1B;  // 00 01 10 11: every genome text starts "ACGT"
// Version 2 adds each projection's learn_wiring; a genome without learnable
// wiring is written as version 1, so its text is what it always was.
constexpr std::uint8_t format_version = 2;
constexpr std::size_t checksum_bytes = 4;
constexpr std::size_t bases_per_byte = 4;
constexpr std::array<char, 4> base_letters = {'A', 'C', 'G', 'T'};

std::uint32_t crc(std::span<const std::uint8_t> bytes) {
    return static_cast<std::uint32_t>(crc32_z(crc32_z(0, nullptr, 0), bytes.data(), bytes.size()));
}

std::string hex32(std::uint32_t value) {
    std::string s = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) s += "0123456789abcdef"[(value >> shift) & 0xF];
    return s;
}

std::string byte_as_bases(std::uint8_t byte) {
    std::string s;
    for (int shift = 6; shift >= 0; shift -= 2) s += base_letters[(byte >> shift) & 3U];
    return s;
}

class writer {
public:
    void varint(std::uint64_t v) {
        for (; v >= 0x80; v >>= 7) out_.push_back(static_cast<std::uint8_t>(v | 0x80));
        out_.push_back(static_cast<std::uint8_t>(v));
    }
    void f64(double d) { le(std::bit_cast<std::uint64_t>(d), 8); }
    void boolean(bool b) { out_.push_back(b ? 1 : 0); }
    void string(std::string_view s) {
        varint(s.size());
        out_.insert(out_.end(), s.begin(), s.end());
    }
    void byte(std::uint8_t b) { out_.push_back(b); }
    void checksum() { le(crc(out_), checksum_bytes); }
    std::vector<std::uint8_t> take() { return std::move(out_); }

private:
    void le(std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    std::vector<std::uint8_t> out_;
};

// Reads the fields in order; every failure names the field and the base
// where it was found.
class reader {
public:
    explicit reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    // The gene whose fields follow, e.g. "projections[1]"; prefixes field names.
    void gene(std::string name) { gene_ = std::move(name); }

    std::uint8_t byte(std::string_view field) {
        if (at_ >= bytes_.size()) truncated(field);
        return bytes_[at_++];
    }

    std::uint64_t varint(std::string_view field) {
        const std::size_t start = at_;
        std::uint64_t value = 0;
        for (unsigned shift = 0;; shift += 7) {
            const std::uint8_t b = byte(field);
            const std::uint64_t bits = b & 0x7FU;
            if (shift == 63 ? bits > 1 : shift > 63) fail(start, name(field) + " is a varint of more than 64 bits");
            value |= bits << shift;
            if ((b & 0x80U) == 0) {
                // One value, one encoding: a final zero byte would be redundant.
                if (b == 0 && at_ - start > 1) fail(start, name(field) + " is a varint with a redundant zero byte");
                return value;
            }
        }
    }

    std::uint32_t u32(std::string_view field) {
        const std::size_t start = at_;
        const std::uint64_t value = varint(field);
        if (value > std::numeric_limits<std::uint32_t>::max())
            fail(start, name(field) + " = " + std::to_string(value) + " does not fit in 32 bits");
        return static_cast<std::uint32_t>(value);
    }

    double f64(std::string_view field) { return std::bit_cast<double>(le(field, 8)); }

    bool boolean(std::string_view field) {
        const std::size_t start = at_;
        const std::uint8_t b = byte(field);
        if (b > 1) fail(start, name(field) + " is the byte " + std::to_string(b) + "; a bool is 0 or 1");
        return b == 1;
    }

    std::string string(std::string_view field) {
        const std::size_t start = at_;
        const std::uint64_t length = varint(field);
        if (length > remaining())
            fail(start, "text ends while reading " + name(field) + ": its length says " + std::to_string(length) +
                            " bytes, " + std::to_string(remaining()) + " remain");
        const auto* first = reinterpret_cast<const char*>(bytes_.data() + at_);
        at_ += length;
        return {first, static_cast<std::size_t>(length)};
    }

    // A list's item count; every item takes at least one byte, so a count
    // beyond the bytes left is damage.
    std::size_t count(std::string_view field) {
        const std::size_t start = at_;
        const std::uint64_t n = varint(field);
        if (n > remaining())
            fail(start, name(field) + " count " + std::to_string(n) + " is more than the " +
                            std::to_string(remaining()) + " bytes left can hold");
        return static_cast<std::size_t>(n);
    }

    // The checksum ends the text: read it, refuse trailing bytes, compare.
    void checksum() {
        gene("");
        const std::size_t content = at_;
        const auto stored = static_cast<std::uint32_t>(le("checksum", checksum_bytes));
        const std::uint32_t computed = crc(bytes_.first(content));
        if (const std::size_t extra = bytes_.size() - at_; extra > 0)
            fail_plain(at_, std::to_string(extra) + (extra == 1 ? " byte follows" : " bytes follow") +
                                " the checksum; a genome text ends at its checksum" +
                                (stored == computed ? " (the genome before them is intact)" : ""));
        if (stored != computed)
            throw genome_text_error(content * bases_per_byte, "checksum mismatch: the text says " + hex32(stored) +
                                                                  ", its content gives " + hex32(computed) +
                                                                  " — the text is corrupted");
    }

    // Whole-text problems (tag, version) that need no checksum hint.
    [[noreturn]] void fail_plain(std::size_t byte_offset, const std::string& problem) const {
        throw genome_text_error(byte_offset * bases_per_byte, problem);
    }

private:
    std::size_t remaining() const noexcept { return bytes_.size() - at_; }

    std::string name(std::string_view field) const {
        return gene_.empty() ? std::string(field) : gene_ + "." + std::string(field);
    }

    std::uint64_t le(std::string_view field, std::size_t n) {
        if (remaining() < n) truncated(field);
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{bytes_[at_ + i]} << (8 * i);
        at_ += n;
        return v;
    }

    [[noreturn]] void truncated(std::string_view field) const {
        fail(bytes_.size(), "text ends while reading " + name(field));
    }

    // A damaged count or length throws the reader off long before the
    // checksum; saying whether the checksum holds tells damage from a writer's bug.
    [[noreturn]] void fail(std::size_t byte_offset, std::string problem) const {
        const std::size_t n = bytes_.size();
        if (n >= checksum_bytes + 2 && crc(bytes_.first(n - checksum_bytes)) !=
                                           (std::uint32_t{bytes_[n - 4]} | std::uint32_t{bytes_[n - 3]} << 8 |
                                            std::uint32_t{bytes_[n - 2]} << 16 | std::uint32_t{bytes_[n - 1]} << 24))
            problem += " (its checksum does not match either: the text is damaged or cut short)";
        throw genome_text_error(byte_offset * bases_per_byte, problem);
    }

    std::span<const std::uint8_t> bytes_;
    std::size_t at_ = 0;
    std::string gene_;
};

std::string indexed(std::string_view list, std::size_t i) { return std::string(list) + "[" + std::to_string(i) + "]"; }

genome decode(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) throw genome_text_error(0, "the text is empty; a genome text starts with ACGT");
    reader r(bytes);
    if (const std::uint8_t tag = r.byte("format tag"); tag != format_tag)
        r.fail_plain(0, "not a Lutra genome text: it starts with " + byte_as_bases(tag) + ", a genome text with " +
                            byte_as_bases(format_tag));
    const std::uint8_t version = r.byte("format version");
    if (version != format_version && version != 1)
        r.fail_plain(1, "unsupported genome text version " + std::to_string(version) + "; this Lutra reads versions 1 and " +
                            std::to_string(format_version));

    genome g;
    r.gene("inputs");
    g.inputs.width = r.u32("width");
    g.inputs.height = r.u32("height");
    g.inputs.bits = r.u32("bits");

    r.gene("");
    // Items are appended as they are read, so memory follows the bytes
    // actually there, whatever a damaged count says.
    const std::size_t num_populations = r.count("populations");
    for (std::size_t i = 0; i < num_populations; ++i) {
        population_gene& p = g.populations.emplace_back();
        r.gene(indexed("populations", i));
        p.name = r.string("name");
        p.size = r.u32("size");
        p.k = r.u32("k");
        p.grid.width = r.u32("layout.width");
        p.grid.height = r.u32("layout.height");
        p.init.kind = r.string("init.kind");
        p.init.p_one = r.f64("init.p_one");
        p.init.value = r.boolean("init.value");
        p.init.function = r.string("init.function");
        p.delay = r.u32("delay");
    }

    r.gene("");
    const std::size_t num_projections = r.count("projections");
    for (std::size_t j = 0; j < num_projections; ++j) {
        projection_gene& pr = g.projections.emplace_back();
        r.gene(indexed("projections", j));
        pr.target = r.string("target");
        const std::size_t num_sources = r.count("sources");
        for (std::size_t s = 0; s < num_sources; ++s) pr.sources.push_back(r.string(indexed("sources", s)));
        pr.rule = r.string("rule");
        pr.slots = r.u32("slots");
        pr.radius = r.f64("radius");
        pr.cover_bits = r.boolean("cover_bits");
        pr.repeats = r.boolean("repeats");
        pr.delay.kind = r.string("delay.kind");
        pr.delay.min = r.u32("delay.min");
        pr.delay.max = r.u32("delay.max");
        if (version >= 2) {
            pr.learn.candidates = r.u32("learn_wiring.candidates");
            pr.learn.temperature = r.f64("learn_wiring.temperature");
        }
    }

    r.gene("head");
    g.head.population = r.string("population");
    g.head.classes = r.u32("classes");
    r.checksum();
    return g;
}

bool is_space(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'; }

// 0..3 for A, C, G, T in either case, else -1.
int base_value(char c) noexcept {
    constexpr std::string_view letters = "ACGTacgt";
    const std::size_t at = letters.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at % 4);
}

std::string describe_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u < 0x7F) return "'" + std::string(1, c) + "'";
    const char* digits = "0123456789abcdef";
    return std::string("the byte 0x") + digits[u >> 4] + digits[u & 0xF];
}

}  // namespace

std::vector<std::uint8_t> to_binary(const genome& g) {
    writer w;
    w.byte(format_tag);
    const bool learns = std::any_of(g.projections.begin(), g.projections.end(),
                                    [](const projection_gene& pr) { return pr.learn.candidates > 0; });
    w.byte(learns ? format_version : 1);
    w.varint(g.inputs.width);
    w.varint(g.inputs.height);
    w.varint(g.inputs.bits);
    w.varint(g.populations.size());
    for (const population_gene& p : g.populations) {
        w.string(p.name);
        w.varint(p.size);
        w.varint(p.k);
        w.varint(p.grid.width);
        w.varint(p.grid.height);
        w.string(p.init.kind);
        w.f64(p.init.p_one);
        w.boolean(p.init.value);
        w.string(p.init.function);
        w.varint(p.delay);
    }
    w.varint(g.projections.size());
    for (const projection_gene& pr : g.projections) {
        w.string(pr.target);
        w.varint(pr.sources.size());
        for (const std::string& s : pr.sources) w.string(s);
        w.string(pr.rule);
        w.varint(pr.slots);
        w.f64(pr.radius);
        w.boolean(pr.cover_bits);
        w.boolean(pr.repeats);
        w.string(pr.delay.kind);
        w.varint(pr.delay.min);
        w.varint(pr.delay.max);
        if (learns) {
            w.varint(pr.learn.candidates);
            w.f64(pr.learn.temperature);
        }
    }
    w.string(g.head.population);
    w.varint(g.head.classes);
    w.checksum();
    return w.take();
}

std::string to_text(const genome& g) {
    const std::vector<std::uint8_t> bytes = to_binary(g);
    std::string text;
    text.reserve(bytes.size() * bases_per_byte);
    for (std::uint8_t b : bytes) text += byte_as_bases(b);
    return text;
}

genome decode_text(std::string_view text) {
    std::vector<std::uint8_t> bytes;
    bytes.reserve(text.size() / bases_per_byte);
    std::size_t bases = 0;
    unsigned partial = 0;
    for (char c : text) {
        if (is_space(c)) continue;
        const int v = base_value(c);
        if (v < 0) throw genome_text_error(bases, "expected A, C, G or T, found " + describe_char(c));
        partial = (partial << 2) | static_cast<unsigned>(v);
        if (++bases % bases_per_byte == 0) {
            bytes.push_back(static_cast<std::uint8_t>(partial));
            partial = 0;
        }
    }
    if (bases % bases_per_byte != 0)
        throw genome_text_error(bases, "the text has " + std::to_string(bases) +
                                           " bases, not a multiple of 4 (a byte is 4 bases): it is cut short or "
                                           "has bases added");
    return decode(bytes);
}

genome from_text(std::string_view text) {
    genome g = decode_text(text);
    validate(g);
    return g;
}

std::string wrap_text(std::string_view text, std::size_t width) {
    if (width == 0) return std::string(text);
    std::string out;
    out.reserve(text.size() + text.size() / width);
    for (std::size_t i = 0; i < text.size(); i += width) {
        if (i > 0) out += '\n';
        out += text.substr(i, width);
    }
    return out;
}

}  // namespace lutra::topology
