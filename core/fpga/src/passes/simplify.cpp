// simplify(): the table of passes and the rounds over it. Adding a pass is
// its own file in this folder, its declaration in passes.hpp, one line in
// pass_table, one line in core/fpga/CMakeLists.txt and its test in
// tests/fpga/test_passes.cpp.
#include <array>
#include <cstdint>

#include "lutra/fpga/passes.hpp"

namespace lutra::fpga {

namespace {

constexpr std::uint32_t max_rounds = 100;

// In the order simplify runs them each round. Each pass keeps every output
// bit, so any order is exact; this one lets remove_dead_nodes sweep up, in
// the same round, what the passes before it left unread.
constexpr std::array pass_table{
    pass_entry{"fold_inputs", fold_inputs},
    pass_entry{"bypass_buffers_and_inverters", bypass_buffers_and_inverters},
    pass_entry{"merge_identical_nodes", merge_identical_nodes},
    pass_entry{"remove_dead_nodes", remove_dead_nodes},
};

}  // namespace

std::span<const pass_entry> passes() noexcept { return pass_table; }

simplify_stats simplify(logic_design& design) {
    validate(design);
    simplify_stats stats;
    for (const logic_node& node : design.nodes) ++stats.nodes_before[static_cast<std::size_t>(node.role)];
    bool changed = true;
    while (changed && stats.iterations < max_rounds) {
        ++stats.iterations;
        changed = false;
        // Every pass runs every round, whether or not an earlier one changed something.
        for (const pass_entry& pass : pass_table)
            if (pass.run(design, stats)) changed = true;
    }
    stats.fixpoint = !changed;
    for (const logic_node& node : design.nodes) ++stats.nodes_after[static_cast<std::size_t>(node.role)];
    stats.census = function_census(design);
    return stats;
}

}  // namespace lutra::fpga
