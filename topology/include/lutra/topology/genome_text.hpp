#pragma once
// The genome's compact text form (DESIGN §6; byte layout in docs/genome.md):
// a canonical binary encoding with a CRC-32, written two bits a base over
// A, C, G, T. Text and genome round-trip exactly (doubles bit for bit), so a
// run's recorded text rebuilds its genome.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/topology/genome.hpp"

namespace lutra::topology {

// The canonical binary form: format tag 0x1B, version 1, every field of
// every gene in declaration order, then the CRC-32 of all that. Encodes any
// genome; only a valid one can be read back by from_text.
[[nodiscard]] std::vector<std::uint8_t> to_binary(const genome& g);

// to_binary as bases, 4 a byte, the most significant pair first (00 = A,
// 01 = C, 10 = G, 11 = T); no whitespace. Always starts "ACGTAAAC".
[[nodiscard]] std::string to_text(const genome& g);

// Reads to_text's form; whitespace is ignored and lowercase accepted. Throws
// genome_text_error (position = index of the base, whitespace not counted)
// for any character other than a base or whitespace, a length that is not
// whole bytes, a wrong format tag or version, truncation, a malformed or
// impossible field, trailing bytes or a checksum mismatch; then validates,
// throwing genome_error, so the genome it returns is always valid.
[[nodiscard]] genome from_text(std::string_view text);

// from_text without validate(): reads a text whose genome breaks the rules
// (one written by an older Lutra, say) so it can be inspected or repaired.
[[nodiscard]] genome decode_text(std::string_view text);

// The text cut into lines of `width` bases joined by '\n' (no newline at the
// end), for display; from_text reads it back. width 0 leaves it whole.
[[nodiscard]] std::string wrap_text(std::string_view text, std::size_t width = 64);

}  // namespace lutra::topology
