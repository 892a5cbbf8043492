// bypass_buffers_and_inverters: reads of a one-input node go to its source
// (passes.hpp states the contract).
#include <numeric>
#include <optional>
#include <vector>

#include "lutra/fpga/passes.hpp"
#include "pass_support.hpp"

namespace lutra::fpga {

using pass_support::delay_of;
using pass_support::k_of;
using pass_support::one_input_function;
using pass_support::reindex;
using pass_support::single_input;

bool bypass_buffers_and_inverters(logic_design& design, simplify_stats& stats) {
    bool changed = false;
    for (logic_node& node : design.nodes) {
        std::uint32_t invert = 0;
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const signal s = node.inputs[i];
            if (s.from != signal::kind::node) continue;
            const logic_node& read = design.nodes[s.index];
            if (&read == &node) continue;  // a node reading itself through a register
            const std::optional<single_input> f = one_input_function(read);
            if (!f) continue;
            const std::uint32_t read_delay = delay_of(read, f->slot);
            if (!f->inverted && read_delay == 0) {
                node.inputs[i] = read.inputs[f->slot];
                ++stats.buffer_reads_bypassed;
            } else if (f->inverted && delay_of(node, i) == 0) {
                node.inputs[i] = read.inputs[f->slot];
                if (read_delay != 0) {
                    node.delays.resize(node.inputs.size(), 0);
                    node.delays[i] = read_delay;
                }
                invert |= 1U << i;
                ++stats.inverter_reads_absorbed;
            } else {
                continue;
            }
            changed = true;
        }
        if (invert != 0) {
            std::vector<int> same(node.inputs.size());
            std::iota(same.begin(), same.end(), 0);
            node.table = reindex(node.table, k_of(node), same, invert);
        }
    }
    for (output_port& port : design.outputs)
        for (signal& s : port.bits) {
            if (s.from != signal::kind::node) continue;
            const logic_node& read = design.nodes[s.index];
            const std::optional<single_input> f = one_input_function(read);
            if (f && !f->inverted && delay_of(read, f->slot) == 0) {
                s = read.inputs[f->slot];
                ++stats.buffer_reads_bypassed;
                changed = true;
            }
        }
    return changed;
}

}  // namespace lutra::fpga
