// fold_inputs: constants, duplicate slots and ignored slots, node by node
// (passes.hpp states the contract).
#include <bit>
#include <optional>
#include <utility>
#include <vector>

#include "lutra/core/table_function.hpp"
#include "lutra/fpga/passes.hpp"
#include "pass_support.hpp"

namespace lutra::fpga {

using pass_support::delay_of;
using pass_support::fixed_one;
using pass_support::fixed_zero;
using pass_support::k_of;
using pass_support::reindex;
using pass_support::set_slots;

bool fold_inputs(logic_design& design, simplify_stats& stats) {
    bool changed = false;
    // Per node: its constant value once its table is constant, else empty.
    std::vector<std::optional<bool>> constant_of(design.nodes.size());
    for (std::size_t n = 0; n < design.nodes.size(); ++n) {
        logic_node& node = design.nodes[n];
        const unsigned k_before = k_of(node);
        // Zero-delay reads name earlier nodes, already folded in this sweep.
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const signal s = node.inputs[i];
            if (s.from == signal::kind::node && delay_of(node, i) == 0 && constant_of[s.index]) {
                node.inputs[i] = signal::constant(*constant_of[s.index]);
                changed = true;
            }
        }
        // Constants and duplicates in one slot map.
        std::vector<int> source(node.inputs.size());
        std::vector<signal> inputs;
        std::vector<std::uint32_t> delays;
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const signal s = node.inputs[i];
            const std::uint32_t d = delay_of(node, i);
            if (s.is_constant() && d == 0) {
                source[i] = s.from == signal::kind::one ? fixed_one : fixed_zero;
                ++stats.constant_inputs_folded;
                continue;
            }
            std::size_t j = 0;
            while (j < inputs.size() && !(inputs[j] == s && delays[j] == d)) ++j;
            if (j < inputs.size()) {
                ++stats.duplicate_inputs_removed;
            } else {
                inputs.push_back(s);
                delays.push_back(d);
            }
            source[i] = static_cast<int>(j);
        }
        if (inputs.size() != node.inputs.size()) {
            std::vector<std::uint64_t> table = reindex(node.table, static_cast<unsigned>(inputs.size()), source);
            set_slots(node, std::move(inputs), std::move(delays), std::move(table));
            changed = true;
        }
        // Slots the table ignores.
        const std::uint32_t mask = core::effective_inputs(node.table, k_of(node));
        if (static_cast<unsigned>(std::popcount(mask)) != k_of(node)) {
            source.assign(node.inputs.size(), fixed_zero);
            inputs.clear();
            delays.clear();
            for (std::size_t i = 0; i < node.inputs.size(); ++i) {
                if (((mask >> i) & 1U) == 0) {
                    ++stats.ignored_inputs_removed;
                    continue;
                }
                source[i] = static_cast<int>(inputs.size());
                inputs.push_back(node.inputs[i]);
                delays.push_back(delay_of(node, i));
            }
            std::vector<std::uint64_t> table = reindex(node.table, static_cast<unsigned>(inputs.size()), source);
            set_slots(node, std::move(inputs), std::move(delays), std::move(table));
            changed = true;
        }
        if (node.inputs.empty()) {
            constant_of[n] = (node.table[0] & 1U) != 0;
            if (k_before > 0) ++stats.constant_nodes;
        }
    }
    for (output_port& port : design.outputs)
        for (signal& s : port.bits)
            if (s.from == signal::kind::node && constant_of[s.index]) {
                s = signal::constant(*constant_of[s.index]);
                changed = true;
            }
    return changed;
}

}  // namespace lutra::fpga
