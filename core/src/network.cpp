#include "lutra/core/network.hpp"

#include <string>

#include "lutra/core/error.hpp"

namespace lutra::core {

namespace {

std::string str(std::size_t v) { return std::to_string(v); }

}  // namespace

network::network(network_arrays arrays) : a_(std::move(arrays)) {
    const std::size_t n = a_.k.size();
    if (n >= UINT32_MAX - a_.num_inputs) throw network_error(network_error::no_node, "too many nodes and inputs");
    const std::uint64_t num_sources = std::uint64_t{a_.num_inputs} + n;

    slot_offset_.resize(n);
    table_offset_.resize(n);
    std::size_t slots = 0;
    std::size_t words = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        const unsigned k = a_.k[i];
        if (k < 1 || k > max_k)
            throw network_error(i, "k = " + str(k) + " is outside 1.." + str(max_k));
        slot_offset_[i] = slots;
        table_offset_[i] = words;
        slots += k;
        words += table_words(k);
    }
    if (a_.sources.size() != slots)
        throw network_error(network_error::no_node, "sources has " + str(a_.sources.size()) +
                                                        " entries but the nodes' k add up to " + str(slots));
    if (a_.delays.empty()) a_.delays.assign(slots, 0);
    if (a_.delays.size() != slots)
        throw network_error(network_error::no_node, "delays has " + str(a_.delays.size()) +
                                                        " entries; expected 0 (all zero) or one per slot, " +
                                                        str(slots));
    if (a_.tables.size() != words)
        throw network_error(network_error::no_node, "tables has " + str(a_.tables.size()) +
                                                        " words but the nodes' k need " + str(words));

    level_.assign(n, 0);
    for (std::uint32_t i = 0; i < n; ++i) {
        const unsigned k = a_.k[i];
        if (k < 6 && (a_.tables[table_offset_[i]] >> (1U << k)) != 0)
            throw network_error(i, "table word has bits set at addresses ≥ 2^k = " + str(std::size_t{1} << k) +
                                       " (they must be zero)");
        std::uint32_t level = 1;
        for (unsigned s = 0; s < k; ++s) {
            const std::uint32_t src = a_.sources[slot_offset_[i] + s];
            const std::uint32_t delay = a_.delays[slot_offset_[i] + s];
            if (src >= num_sources)
                throw network_error(i, "slot " + str(s) + " reads source " + str(src) + ", but there are only " +
                                           str(num_sources) + " sources (" + str(a_.num_inputs) + " inputs + " +
                                           str(n) + " nodes)");
            if (delay != 0) {
                combinational_ = false;
                continue;
            }
            if (src < a_.num_inputs) continue;
            const std::uint32_t from = src - a_.num_inputs;
            if (from >= i)
                throw network_error(i, "slot " + str(s) + " reads node " + str(from) +
                                           " with zero delay, but zero-delay sources must come before the node "
                                           "(nodes are stored in topological order; a cycle needs a delay ≥ 1)");
            level = std::max(level, level_[from] + 1);
        }
        level_[i] = level;
        depth_ = std::max(depth_, level);
    }

    const group_sum_head& h = a_.head;
    if (h.num_classes == 0 && !h.outputs.empty())
        throw network_error(network_error::no_node, "head has outputs but num_classes = 0");
    if (h.num_classes != 0) {
        if (h.outputs.empty() || h.outputs.size() % h.num_classes != 0)
            throw network_error(network_error::no_node,
                                "head has " + str(h.outputs.size()) + " outputs, which is not a positive multiple of " +
                                    str(h.num_classes) + " classes");
        for (std::size_t j = 0; j < h.outputs.size(); ++j)
            if (h.outputs[j] >= n)
                throw network_error(network_error::no_node, "head output " + str(j) + " is node " +
                                                                str(h.outputs[j]) + ", but there are " + str(n) +
                                                                " nodes");
    }
}

}  // namespace lutra::core
