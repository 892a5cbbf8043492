// merge_identical_nodes: nodes computing the same function of the same
// inputs become one (passes.hpp states the contract).
#include <algorithm>
#include <map>
#include <numeric>
#include <utility>
#include <vector>

#include "lutra/fpga/passes.hpp"
#include "pass_support.hpp"

namespace lutra::fpga {

using pass_support::compact;
using pass_support::delay_of;
using pass_support::k_of;
using pass_support::reindex;

bool merge_identical_nodes(logic_design& design, simplify_stats& stats) {
    using slot = std::pair<signal, std::uint32_t>;  // (source, delay)
    // Nodes grouped by their sorted slots. A table in canonical slot order
    // is computed only once a second node shares the slots, since most
    // nodes share them with none and a wide table costs 2^k steps.
    struct candidate {
        std::uint32_t node;
        std::vector<int> source;           // old slot → canonical slot
        std::vector<std::uint64_t> table;  // in canonical slot order; empty until needed
    };
    std::map<std::vector<slot>, std::vector<candidate>> groups;
    std::vector<std::uint32_t> same_as(design.nodes.size());
    std::iota(same_as.begin(), same_as.end(), 0U);
    bool changed = false;
    const auto redirect = [&](signal& s) {
        if (s.from == signal::kind::node && same_as[s.index] != s.index) {
            s = signal::node(same_as[s.index]);
            changed = true;
        }
    };
    for (std::size_t n = 0; n < design.nodes.size(); ++n) {
        logic_node& node = design.nodes[n];
        // Zero-delay reads name earlier nodes, whose fate is known, so the
        // grouping below already sees merged sources.
        for (signal& s : node.inputs) redirect(s);
        std::vector<std::size_t> order(node.inputs.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return slot{node.inputs[a], delay_of(node, a)} < slot{node.inputs[b], delay_of(node, b)};
        });
        std::vector<slot> slots;
        candidate self{.node = static_cast<std::uint32_t>(n), .source = std::vector<int>(order.size()), .table = {}};
        for (std::size_t j = 0; j < order.size(); ++j) {
            slots.emplace_back(node.inputs[order[j]], delay_of(node, order[j]));
            self.source[order[j]] = static_cast<int>(j);
        }
        std::vector<candidate>& group = groups[std::move(slots)];
        if (!group.empty()) {
            self.table = reindex(node.table, k_of(node), self.source);
            for (candidate& other : group) {
                if (other.table.empty())
                    other.table = reindex(design.nodes[other.node].table, k_of(node), other.source);
                if (other.table == self.table) {
                    same_as[n] = other.node;
                    ++stats.merged;
                    break;
                }
            }
        }
        if (same_as[n] == n) group.push_back(std::move(self));
    }
    // Delayed reads of later nodes, and the output ports; then the copies,
    // now unread, go (here rather than as dead nodes, so each is counted once).
    for (logic_node& node : design.nodes)
        for (signal& s : node.inputs) redirect(s);
    for (output_port& port : design.outputs)
        for (signal& s : port.bits) redirect(s);
    std::vector<bool> keep(design.nodes.size());
    for (std::size_t n = 0; n < keep.size(); ++n) keep[n] = same_as[n] == n;
    if (std::find(keep.begin(), keep.end(), false) != keep.end()) {
        compact(design, keep);
        changed = true;
    }
    return changed;
}

}  // namespace lutra::fpga
