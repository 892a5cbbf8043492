#include "pass_support.hpp"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/table_function.hpp"

namespace lutra::fpga::pass_support {

std::vector<std::uint64_t> reindex(const std::vector<std::uint64_t>& table, unsigned new_k,
                                   const std::vector<int>& source, std::uint32_t invert) {
    std::vector<std::uint64_t> result(core::table_words(new_k), 0);
    for (std::uint32_t b = 0; b < (std::uint32_t{1} << new_k); ++b) {
        std::uint32_t a = 0;
        for (std::size_t i = 0; i < source.size(); ++i) {
            const std::uint32_t bit = source[i] >= 0 ? (b >> source[i]) & 1U : (source[i] == fixed_one ? 1U : 0U);
            a |= (bit ^ ((invert >> i) & 1U)) << i;
        }
        if (table_bit(table, a)) result[b / 64] |= std::uint64_t{1} << (b % 64);
    }
    return result;
}

void set_slots(logic_node& node, std::vector<signal> inputs, std::vector<std::uint32_t> delays,
               std::vector<std::uint64_t> table) {
    node.inputs = std::move(inputs);
    if (std::all_of(delays.begin(), delays.end(), [](std::uint32_t d) { return d == 0; })) delays.clear();
    node.delays = std::move(delays);
    node.table = std::move(table);
}

std::optional<single_input> one_input_function(const logic_node& node) {
    const std::uint32_t mask = core::effective_inputs(node.table, k_of(node));
    if (std::popcount(mask) != 1) return std::nullopt;
    const auto slot = static_cast<std::size_t>(std::countr_zero(mask));
    // Other slots are ignored, so address 0 / 2^slot give f(x = 0) / f(x = 1).
    return single_input{slot, table_bit(node.table, 0)};
}

void compact(logic_design& design, const std::vector<bool>& keep) {
    std::vector<std::uint32_t> renumbered(design.nodes.size(), 0);
    std::vector<logic_node> kept;
    for (std::size_t n = 0; n < design.nodes.size(); ++n)
        if (keep[n]) {
            renumbered[n] = static_cast<std::uint32_t>(kept.size());
            kept.push_back(std::move(design.nodes[n]));
        }
    const auto rename = [&](signal& s) {
        if (s.from != signal::kind::node) return;
        if (!keep[s.index])
            throw internal_error("fpga passes: a signal still names node " + std::to_string(s.index) +
                                 ", which is being removed");
        s.index = renumbered[s.index];
    };
    for (logic_node& node : kept)
        for (signal& s : node.inputs) rename(s);
    for (output_port& port : design.outputs)
        for (signal& s : port.bits) rename(s);
    design.nodes = std::move(kept);
}

}  // namespace lutra::fpga::pass_support
