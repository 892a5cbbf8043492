#pragma once
// What a truth table computes, judged on the table alone: which inputs it
// reads and whether it is a simple gate. Shared by the analysis report (on a
// network's nodes) and the FPGA passes (on logic nodes), so both name the
// same function the same way.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace lutra::core {

// A table of k inputs (0 ≤ k ≤ max_k) in network layout: bit a is the output
// at address a (slot 0 = least significant address bit); table_words(k)
// words, bits ≥ 2^k of a k < 6 word ignored. Both functions below throw
// lutra::error when table.size() != table_words(k) or k > max_k.

// Bit i set: the output depends on input slot i, i.e. some pair of addresses
// differing only in bit i gives different outputs.
[[nodiscard]] std::uint32_t effective_inputs(std::span<const std::uint64_t> table, unsigned k);

// Simple functions, judged on the effective inputs only, in the order a
// census reports them. and_/or_ etc. name 2+-input gates; majority is
// "more than half" on an odd number of inputs; threshold is "at least t of
// them are 1" for a t that makes none of the names before it.
enum class function_kind : std::uint8_t {
    constant,
    buffer,
    inverter,
    and_,
    or_,
    nand,
    nor,
    xor_,
    xnor,
    majority,
    threshold,
    other,
};
inline constexpr std::size_t num_function_kinds = 12;
[[nodiscard]] std::string_view to_string(function_kind kind) noexcept;  // "constant", "buffer", "NOT", "AND", ...
[[nodiscard]] function_kind classify(std::span<const std::uint64_t> table, unsigned k);

}  // namespace lutra::core
