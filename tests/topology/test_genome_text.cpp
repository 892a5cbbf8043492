#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/topology/error.hpp"
#include "lutra/topology/genome_text.hpp"
#include "topology/example_genomes.hpp"

using namespace lutra::topology;
using lutra::test::mnist_like_genome;
using lutra::test::xor_genome;

namespace {

// The standard CRC-32 (IEEE 802.3, reflected, as zlib's crc32), bit by bit:
// an independent check of what the format promises.
std::uint32_t reference_crc32(std::span<const std::uint8_t> bytes) {
    std::uint32_t c = 0xFFFFFFFFU;
    for (std::uint8_t b : bytes) {
        c ^= b;
        for (int i = 0; i < 8; ++i) c = (c >> 1) ^ (0xEDB88320U & (0U - (c & 1U)));
    }
    return ~c;
}

// Appends the checksum, little-endian, as the format does.
void seal(std::vector<std::uint8_t>& bytes) {
    const std::uint32_t c = reference_crc32(bytes);
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<std::uint8_t>(c >> (8 * i)));
}

std::string bases(std::span<const std::uint8_t> bytes) {
    std::string text;
    for (std::uint8_t b : bytes)
        for (int shift = 6; shift >= 0; shift -= 2) text += "ACGT"[(b >> shift) & 3];
    return text;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// from_text(text) must throw genome_text_error at base `position` with `problem` in its message.
void check_rejected(std::string_view text, std::size_t position, std::string_view problem) {
    INFO("expected at base ", position, ": ", problem);
    try {
        (void)from_text(text);
        FAIL("from_text accepted it");
    } catch (const genome_text_error& e) {
        INFO("got: ", std::string(e.what()));
        CHECK(e.position == position);
        CHECK(contains(e.what(), problem));
    }
}

std::string error_of(std::string_view text) {
    try {
        (void)from_text(text);
    } catch (const genome_text_error& e) {
        return e.what();
    }
    return {};
}

// A valid genome at the edges of the encoding: long names, doubles without
// short decimal forms, the largest 32-bit values, a negative zero.
genome extreme_genome() {
    genome g = mnist_like_genome();
    g.inputs = {65535, 1, 255};
    const std::string long_name = std::string(150, 'n') + "_-Z9";  // its length needs a 2-byte varint
    g.populations[1].name = long_name;
    g.populations[1].init.p_one = 0.1;
    g.populations[1].delay = std::numeric_limits<std::uint32_t>::max();
    g.populations[0].init = {.kind = "constant", .p_one = 1e-300, .value = true, .function = "nand"};
    for (projection_gene& pr : g.projections) {
        std::replace(pr.sources.begin(), pr.sources.end(), std::string("h1"), long_name);
        if (pr.target == "h1") pr.target = long_name;
    }
    g.projections[0].radius = 1e-300;
    g.projections[3].radius = 5e-324;  // the smallest subnormal
    g.projections[1].radius = -0.0;    // unused by the random rule
    g.projections[1].delay = {"uniform", 0, std::numeric_limits<std::uint32_t>::max()};
    g.projections[4].repeats = true;
    g.head.classes = 1;
    return g;
}

}  // namespace

TEST_CASE("genome text: valid genomes round-trip exactly, doubles bit for bit") {
    for (const genome& g : {mnist_like_genome(), xor_genome(), extreme_genome()}) {
        REQUIRE_NOTHROW(validate(g));
        const std::string text = to_text(g);
        CHECK(text.find_first_not_of("ACGT") == std::string::npos);
        CHECK(text.size() == 4 * to_binary(g).size());
        CHECK(text.rfind("ACGTAAAC", 0) == 0);  // format tag, version 1
        const genome back = from_text(text);
        CHECK(back == g);
        CHECK(to_text(back) == text);
    }
    const genome back = from_text(to_text(extreme_genome()));
    CHECK(std::signbit(back.projections[1].radius));
    CHECK(back.projections[3].radius == 5e-324);
    CHECK(std::bit_cast<std::uint64_t>(back.populations[1].init.p_one) == std::bit_cast<std::uint64_t>(0.1));
}

TEST_CASE("genome text: learnable wiring makes a version 2 text that round-trips; others stay version 1") {
    genome g = xor_genome();
    g.projections[0].learn = {.candidates = 3, .temperature = 0.25};
    const std::string text = to_text(g);
    CHECK(text.rfind("ACGTAAAG", 0) == 0);  // format tag, version 2
    CHECK(from_text(text) == g);
    CHECK(to_text(xor_genome()).rfind("ACGTAAAC", 0) == 0);
    // Version 2 spends a varint and a double on every projection.
    CHECK(to_binary(g).size() == to_binary(xor_genome()).size() + 9 * g.projections.size());
}

TEST_CASE("genome text: the binary form is laid out as documented") {
    // xor_genome(), field by field (docs/genome.md).
    std::vector<std::uint8_t> expected = {
        0x1B, 0x01, 2,    1,   1,   1,   3,   'o',  'u',  't', 2,   2,   0,   1,   6, 'r', 'a', 'n', 'd', 'o',
        'm',  0,    0,    0,   0,   0,   0,   0xE0, 0x3F, 0,   3,   'x', 'o', 'r', 0, 1,   3,   'o', 'u', 't',
        1,    5,    'i',  'n', 'p', 'u', 't', 6,    'r',  'a', 'n', 'd', 'o', 'm', 0, 0,   0,   0,   0,   0,
        0,    0x08, 0x40, 0,   0,   7,   'd', 'e',  'f',  'a', 'u', 'l', 't', 0,   0, 3,   'o', 'u', 't', 2};
    seal(expected);
    CHECK(to_binary(xor_genome()) == expected);
    CHECK(to_text(xor_genome()) == bases(expected));
}

TEST_CASE("genome text: decode_text reads any genome, from_text only valid ones") {
    genome odd;  // nothing validate() would accept: empty lists, odd strings, zeros
    odd.inputs = {0, 7, 300};
    odd.head = {std::string("h\0ad", 4), 0};
    CHECK(decode_text(to_text(odd)) == odd);

    odd.populations = {{.name = "é \"q\"\n\t",
                        .size = 0,
                        .k = 99,
                        .grid = {3, 0},
                        .init = {.kind = std::string(300, '~'), .p_one = -2.5, .value = true, .function = ""}}};
    odd.projections = {{.target = "", .sources = {}, .rule = "?"}, {.target = "x", .sources = {"", "a b", "input"}}};
    const genome back = decode_text(to_text(odd));
    CHECK(back == odd);
    CHECK_THROWS_AS((void)from_text(to_text(odd)), genome_error);

    genome nan_radius = xor_genome();
    const double payload_nan = std::bit_cast<double>(0x7FF8000000001234ULL);
    nan_radius.projections[0].radius = payload_nan;
    CHECK(std::bit_cast<std::uint64_t>(decode_text(to_text(nan_radius)).projections[0].radius) ==
          0x7FF8000000001234ULL);

    genome wrong_head = xor_genome();
    wrong_head.head.classes = 3;  // 2 nodes cannot give each of 3 classes an output
    CHECK(decode_text(to_text(wrong_head)) == wrong_head);
    CHECK_THROWS_WITH_AS((void)from_text(to_text(wrong_head)),
                         doctest::Contains("'out' has 2 nodes, fewer than the 3 classes"), genome_error);
}

TEST_CASE("genome text: whitespace and lowercase are accepted; wrap_text cuts lines") {
    const genome g = mnist_like_genome();
    const std::string text = to_text(g);
    const std::string wrapped = wrap_text(text, 64);
    std::size_t lines = 0;
    std::size_t start = 0;
    for (std::size_t end; (end = wrapped.find('\n', start)) != std::string::npos; start = end + 1, ++lines)
        CHECK(end - start == 64);
    CHECK(wrapped.size() - start == text.size() - 64 * lines);
    CHECK(wrapped.back() != '\n');
    CHECK(lines == (text.size() - 1) / 64);
    CHECK(from_text(wrapped) == g);
    CHECK(wrap_text(text, 0) == text);
    CHECK(wrap_text("", 64).empty());
    CHECK(wrap_text("ACGTACGT", 3) == "ACG\nTAC\nGT");

    std::string messy = "  " + wrap_text(text, 10) + "\r\n\n";
    std::transform(messy.begin(), messy.begin() + static_cast<std::ptrdiff_t>(messy.size() / 2), messy.begin(),
                   [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    for (std::size_t i = 5; i < messy.size(); i += 37) messy.insert(i, 1, i % 2 ? ' ' : '\t');
    CHECK(from_text(messy) == g);
}

TEST_CASE("genome text: characters other than bases are rejected at their base index") {
    const std::string text = to_text(mnist_like_genome());
    std::string bad = text;
    bad[10] = 'X';
    check_rejected(bad, 10, "expected A, C, G or T, found 'X'");
    bad[10] = 'U';
    check_rejected(bad, 10, "found 'U'");
    bad[10] = '\x01';
    check_rejected(bad, 10, "found the byte 0x01");

    // In wrapped text the position counts bases only, not line breaks.
    std::string wrapped = wrap_text(text, 8);
    wrapped[22] = 'n';  // base 20: two newlines come before it
    check_rejected(wrapped, 20, "found 'n'");
}

TEST_CASE("genome text: a flipped base fails the checksum") {
    const genome g = mnist_like_genome();
    const std::string text = to_text(g);
    const std::size_t checksum_at = text.size() - 16;
    std::string bad = text;
    REQUIRE(bad[28] == 'C');  // first base of 'v' (0x76 = CTCG) in the name "v1"
    bad[28] = 'A';            // now '6': still a fine name, so only the checksum can tell
    check_rejected(bad, checksum_at, "checksum mismatch: the text says 0x");
    check_rejected(bad, checksum_at, ", its content gives 0x");
    check_rejected(bad, checksum_at, " — the text is corrupted");

    bad = text;
    bad[text.size() - 1] = bad[text.size() - 1] == 'A' ? 'C' : 'A';  // in the checksum itself
    check_rejected(bad, checksum_at, "checksum mismatch");
}

TEST_CASE("genome text: every single-base substitution is rejected") {
    for (const genome& g : {xor_genome(), mnist_like_genome()}) {
        const std::string text = to_text(g);
        std::size_t rejected = 0;
        std::size_t tried = 0;
        for (std::size_t i = 0; i < text.size(); ++i)
            for (char base : {'A', 'C', 'G', 'T'}) {
                if (base == text[i]) continue;
                std::string bad = text;
                bad[i] = base;
                ++tried;
                try {
                    (void)from_text(bad);
                } catch (const genome_text_error&) {
                    ++rejected;
                }
            }
        CHECK(rejected == tried);
    }
}

TEST_CASE("genome text: truncation names the field being read") {
    const std::string text = to_text(mnist_like_genome());
    check_rejected(text.substr(0, text.size() - 1), text.size() - 1, "not a multiple of 4");
    check_rejected(text.substr(0, text.size() - 8), text.size() - 8, "text ends while reading checksum");
    check_rejected("", 0, "the text is empty");
    check_rejected(" \n ", 0, "the text is empty");
    check_rejected("ACGT", 4, "text ends while reading format version");

    bool saw_radius = false;
    for (std::size_t cut = 0; cut < text.size(); cut += 4) {
        const std::string message = error_of(text.substr(0, cut));
        CAPTURE(cut);
        CHECK(!message.empty());
        if (contains(message, "text ends while reading projections[1].radius")) {
            saw_radius = true;
            check_rejected(text.substr(0, cut), cut, "text ends while reading projections[1].radius");
        }
    }
    CHECK(saw_radius);
}

TEST_CASE("genome text: wrong tag or version and trailing bytes are rejected") {
    std::vector<std::uint8_t> bytes = to_binary(xor_genome());
    bytes[1] = 3;
    check_rejected(bases(bytes), 4, "unsupported genome text version 3; this Lutra reads versions 1 and 2");
    bytes[1] = 1;
    bytes[0] = 0;
    check_rejected(bases(bytes), 0, "not a Lutra genome text: it starts with AAAA, a genome text with ACGT");

    const std::string text = to_text(xor_genome());
    check_rejected(text + "AAAA", text.size(), "1 byte follows the checksum; a genome text ends at its checksum");
    check_rejected(text + "AAAA", text.size(), "(the genome before them is intact)");
    check_rejected(text + "ACGTACGT", text.size(), "2 bytes follow the checksum");
}

TEST_CASE("genome text: malformed fields are rejected where they start") {
    // Varints: longer than 64 bits, beyond 32 bits for a 32-bit field, or with a redundant zero byte.
    std::vector<std::uint8_t> bytes = {0x1B, 1};
    bytes.insert(bytes.end(), 10, 0xFF);
    bytes.push_back(0x01);
    check_rejected(bases(bytes), 8, "inputs.width is a varint of more than 64 bits");
    check_rejected(bases(std::vector<std::uint8_t>{0x1B, 1, 0x80, 0x80, 0x80, 0x80, 0x10}), 8,
                   "inputs.width = 4294967296 does not fit in 32 bits");
    check_rejected(bases(std::vector<std::uint8_t>{0x1B, 1, 2, 0x81, 0x00}), 12,
                   "inputs.height is a varint with a redundant zero byte");

    // A count the remaining bytes cannot hold.
    bytes = {0x1B, 1, 1, 1, 1, 0xE8, 0x07};  // 1000 populations
    seal(bytes);
    check_rejected(bases(bytes), 20, "populations count 1000 is more than the 4 bytes left can hold");

    // xor_genome(): byte 6 is the length of the name "out", byte 29 populations[0].init.value.
    const std::vector<std::uint8_t> good = to_binary(xor_genome());
    REQUIRE(good[6] == 3);
    REQUIRE(good[29] == 0);

    bytes = good;
    bytes[29] = 2;
    bytes.resize(bytes.size() - 4);
    seal(bytes);
    const std::string sealed = bases(bytes);
    check_rejected(sealed, 116, "populations[0].init.value is the byte 2; a bool is 0 or 1");
    CHECK(!contains(error_of(sealed), "checksum does not match"));  // an intact text: the writer was wrong

    bytes = good;
    bytes[29] = 2;  // the checksum not updated: damage
    check_rejected(bases(bytes), 116, "(its checksum does not match either: the text is damaged or cut short)");

    bytes = good;
    bytes[6] = 100;
    bytes.resize(bytes.size() - 4);
    seal(bytes);
    check_rejected(bases(bytes), 24,
                   "text ends while reading populations[0].name: its length says 100 bytes, 77 remain");
}
