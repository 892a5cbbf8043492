#pragma once
// Simplification passes on a logic_design (DESIGN §8). Every pass keeps the
// function of every output bit, tick for tick: a pass rewires a read only
// where the old and the new source give the same value at every tick, so
// delayed reads (registers, whose first ticks hold the registers' initial
// value) are changed only where that is plainly true — see each pass.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lutra/core/table_function.hpp"
#include "lutra/fpga/design.hpp"

namespace lutra::fpga {

inline constexpr std::size_t num_parts = 4;  // part::encoder, network, popcount, argmax

[[nodiscard]] std::string_view to_string(part p) noexcept;  // "encoder", "network", "popcount", "argmax"

struct simplify_stats {
    std::uint32_t iterations = 0;  // rounds of all passes until nothing changed
    bool fixpoint = true;          // false: stopped at the round limit (the result is still exact)
    std::array<std::uint32_t, num_parts> nodes_before{};  // per part
    std::array<std::uint32_t, num_parts> nodes_after{};   // per part
    std::uint64_t constant_inputs_folded = 0;             // input slots reading a constant, cofactored away
    std::uint64_t constant_nodes = 0;                     // nodes whose table became constant (k reduced to 0)
    std::uint64_t ignored_inputs_removed = 0;             // input slots the table does not depend on
    std::uint64_t duplicate_inputs_removed = 0;  // slots reading the same signal with the same delay as another
    std::uint64_t buffer_reads_bypassed = 0;     // reads (node inputs, output bits) rewired past a buffer
    std::uint64_t inverter_reads_absorbed = 0;   // node inputs rewired past a NOT, the NOT folded into the table
    std::uint64_t merged = 0;                    // nodes identical to an earlier one, removed
    std::uint64_t dead_removed = 0;  // nodes no output port reaches (constants, bypassed buffers ... included)
    // What remains: nodes per part and core::function_kind of their tables.
    std::array<std::array<std::uint32_t, core::num_function_kinds>, num_parts> census{};
};

// Runs every pass of passes() (those below, in that order), round after
// round until a round changes nothing (at most 100 rounds; a design needing
// more is left exact but with stats.fixpoint false). Validates the design
// first.
simplify_stats simplify(logic_design& design);

// A pass returns true when it changed the design and adds to stats.
struct pass_entry {
    std::string_view name;  // the pass's function name, e.g. "fold_inputs"
    bool (*run)(logic_design& design, simplify_stats& stats);
};

// The passes simplify runs each round, in order. Each is its own file in
// core/fpga/src/passes/, listed once in that folder's simplify.cpp.
[[nodiscard]] std::span<const pass_entry> passes() noexcept;

// Constants and unneeded inputs, node by node in topological order:
//   - a zero-delay input reading a constant, or a node whose table is
//     constant, is removed by cofactoring the table; a delayed one is kept
//     (its register shows its initial value first, so it is no constant);
//   - two slots reading the same signal with the same delay become one (the
//     table's diagonal);
//   - slots the table ignores (core::effective_inputs) are removed;
//   - a node left with k = 0 is a constant: zero-delay reads of it and
//     output bits naming it read signal::constant instead.
bool fold_inputs(logic_design& design, simplify_stats& stats);

// Buffers and inverters (nodes whose table depends on exactly one input):
//   - a buffer whose input slot has no delay is a wire: every reader (node
//     inputs with any delay, output bits) reads the buffer's source instead;
//   - a NOT is absorbed into each zero-delay reader by flipping that address
//     bit of the reader's table; the reader reads the NOT's source with the
//     NOT's delay. Delayed readers and output bits keep the NOT (a register
//     after a NOT starts at its initial value, not at its inverse).
bool bypass_buffers_and_inverters(logic_design& design, simplify_stats& stats);

// Nodes with the same multiset of (signal, delay) inputs and the same table
// once the slots are sorted into a canonical order (the table permuted to
// match) compute the same thing: every read of a later copy reads the first,
// and the copies are removed.
bool merge_identical_nodes(logic_design& design, simplify_stats& stats);

// Nodes no output port reaches through any input (delayed ones included)
// are deleted; the others keep their order and are renumbered.
bool remove_dead_nodes(logic_design& design, simplify_stats& stats);

// Per part: nodes per core::function_kind.
[[nodiscard]] std::array<std::array<std::uint32_t, core::num_function_kinds>, num_parts> function_census(
    const logic_design& design);

// A plain-text table: nodes before and after per part, what each pass did,
// and the census of what remains.
[[nodiscard]] std::string to_text(const simplify_stats& stats);

}  // namespace lutra::fpga
