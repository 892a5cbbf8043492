#pragma once
// What the passes in this folder share (private to lutra::fpga): reading a
// node's slots and table, rewriting its table over new slots, and removing
// nodes. Each pass file names the helpers it uses with using-declarations.

#include <cstdint>
#include <optional>
#include <vector>

#include "lutra/fpga/design.hpp"

namespace lutra::fpga::pass_support {

// In a slot map, an old slot that reads no new slot but a fixed value.
inline constexpr int fixed_zero = -1;
inline constexpr int fixed_one = -2;

inline bool table_bit(const std::vector<std::uint64_t>& table, std::uint32_t address) {
    return ((table[address / 64] >> (address % 64)) & 1U) != 0;
}

inline std::uint32_t delay_of(const logic_node& node, std::size_t slot) {
    return node.delays.empty() ? 0 : node.delays[slot];
}

inline unsigned k_of(const logic_node& node) { return static_cast<unsigned>(node.inputs.size()); }

// The table over new_k slots equal to the old table with old slot i reading
// new slot source[i] (or a fixed value), its bit flipped where invert has
// bit i. One function serves cofactoring, removing, merging, permuting and
// inverting slots, so each pass only says which slot goes where.
std::vector<std::uint64_t> reindex(const std::vector<std::uint64_t>& table, unsigned new_k,
                                   const std::vector<int>& source, std::uint32_t invert = 0);

// Replaces a node's slots; delays all zero are stored as an empty list.
void set_slots(logic_node& node, std::vector<signal> inputs, std::vector<std::uint32_t> delays,
               std::vector<std::uint64_t> table);

// The one input a node's output depends on, when there is exactly one, and
// whether the node inverts it.
struct single_input {
    std::size_t slot;
    bool inverted;
};
std::optional<single_input> one_input_function(const logic_node& node);

// Keeps the nodes with keep[n], in order, renumbering every node signal;
// no remaining signal may name a dropped node.
void compact(logic_design& design, const std::vector<bool>& keep);

}  // namespace lutra::fpga::pass_support
