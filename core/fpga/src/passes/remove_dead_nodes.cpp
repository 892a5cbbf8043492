// remove_dead_nodes: nodes no output port reaches are deleted (passes.hpp
// states the contract).
#include <algorithm>
#include <vector>

#include "lutra/fpga/passes.hpp"
#include "pass_support.hpp"

namespace lutra::fpga {

using pass_support::compact;

bool remove_dead_nodes(logic_design& design, simplify_stats& stats) {
    const std::size_t count = design.nodes.size();
    std::vector<bool> live(count, false);
    std::vector<std::uint32_t> work;
    const auto reach = [&](const signal& s) {
        if (s.from == signal::kind::node && !live[s.index]) {
            live[s.index] = true;
            work.push_back(s.index);
        }
    };
    for (const output_port& port : design.outputs)
        for (const signal& s : port.bits) reach(s);
    // Delayed inputs may name later nodes, so a work list, not one reverse sweep.
    while (!work.empty()) {
        const std::uint32_t n = work.back();
        work.pop_back();
        for (const signal& s : design.nodes[n].inputs) reach(s);
    }
    const auto live_count = static_cast<std::size_t>(std::count(live.begin(), live.end(), true));
    if (live_count == count) return false;
    stats.dead_removed += count - live_count;
    compact(design, live);
    return true;
}

}  // namespace lutra::fpga
