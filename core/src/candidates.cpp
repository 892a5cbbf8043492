#include "lutra/core/candidates.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"

namespace lutra::core {

namespace {

std::string str(std::uint64_t v) { return std::to_string(v); }

// The node that owns network slot `slot` (slots are node-major).
std::uint32_t node_of_slot(const network& net, std::size_t slot) {
    std::uint32_t lo = 0, hi = net.num_nodes();  // the last node whose first slot is ≤ slot
    while (hi - lo > 1) {
        const std::uint32_t mid = lo + (hi - lo) / 2;
        (net.slot_offset(mid) <= slot ? lo : hi) = mid;
    }
    return lo;
}

}  // namespace

void validate(const candidate_sources& c, const network& net) {
    constexpr auto no_node = network_error::no_node;
    const std::size_t slots = net.num_slots();
    if (c.slot_list.size() != slots)
        throw network_error(no_node, "candidates: " + str(c.slot_list.size()) + " slots listed; the network has " +
                                         str(slots));
    if (c.list_offset.empty() || c.list_offset.front() != 0)
        throw network_error(no_node, "candidates: list_offset must start with 0");
    if (c.list_offset.back() != c.sources.size())
        throw network_error(no_node, "candidates: list_offset ends at " + str(c.list_offset.back()) + ", not at the " +
                                         str(c.sources.size()) + " sources");
    const std::size_t lists = c.num_lists();
    if (!c.learn_temperature.empty() && c.learn_temperature.size() != lists)
        throw network_error(no_node, "candidates: " + str(c.learn_temperature.size()) + " learn temperatures for " +
                                         str(lists) + " lists; give one per list or none");
    for (std::size_t l = 0; l < c.learn_temperature.size(); ++l)
        if (!(c.learn_temperature[l] >= 0.0F) || !std::isfinite(c.learn_temperature[l]))
            throw network_error(no_node, "candidates: list " + str(l) + " has learn temperature " +
                                             std::to_string(c.learn_temperature[l]) + "; it must be finite and ≥ 0");
    const std::uint64_t num_sources = std::uint64_t{net.num_inputs()} + net.num_nodes();
    // stamp[source] = l + 1 while list l is checked: finds repeats, then membership.
    for (std::size_t l = 0; l < lists; ++l)
        if (c.list_offset[l + 1] <= c.list_offset[l])
            throw network_error(no_node, "candidates: list " + str(l) + " is empty or its offsets decrease");
    std::vector<std::uint32_t> stamp(num_sources, 0);
    for (std::size_t l = 0; l < lists; ++l) {
        for (std::uint64_t e = c.list_offset[l]; e < c.list_offset[l + 1]; ++e) {
            const std::uint32_t source = c.sources[e];
            if (source >= num_sources)
                throw network_error(no_node, "candidates: list " + str(l) + " names source " + str(source) +
                                                 ", but there are only " + str(num_sources) + " sources");
            if (stamp[source] == l + 1)
                throw network_error(no_node,
                                    "candidates: list " + str(l) + " names source " + str(source) + " twice");
            stamp[source] = static_cast<std::uint32_t>(l + 1);
        }
    }

    // Slots grouped by list (a counting sort), so each list is stamped once
    // however many slots share it.
    std::vector<std::uint64_t> first(lists + 1, 0);
    for (std::size_t s = 0; s < slots; ++s) {
        if (c.slot_list[s] >= lists) {
            const std::uint32_t node = node_of_slot(net, s);
            throw network_error(node, "candidates: slot " + str(s - net.slot_offset(node)) + " names list " +
                                          str(c.slot_list[s]) + ", but there are " + str(lists));
        }
        ++first[c.slot_list[s] + 1];
    }
    for (std::size_t l = 0; l < lists; ++l) first[l + 1] += first[l];
    std::vector<std::uint64_t> by_list(slots);
    {
        std::vector<std::uint64_t> next(first.begin(), first.end() - 1);
        for (std::size_t s = 0; s < slots; ++s) by_list[next[c.slot_list[s]]++] = s;
    }
    const std::span<const std::uint32_t> current = net.arrays().sources;
    std::fill(stamp.begin(), stamp.end(), 0);
    for (std::size_t l = 0; l < lists; ++l) {
        for (std::uint64_t e = c.list_offset[l]; e < c.list_offset[l + 1]; ++e)
            stamp[c.sources[e]] = static_cast<std::uint32_t>(l + 1);
        for (std::uint64_t i = first[l]; i < first[l + 1]; ++i) {
            const std::size_t s = by_list[i];
            if (stamp[current[s]] != l + 1) {
                const std::uint32_t node = node_of_slot(net, s);
                throw network_error(node, "candidates: slot " + str(s - net.slot_offset(node)) + " reads source " +
                                              str(current[s]) + ", which is not among its candidates (list " +
                                              str(l) + ")");
            }
        }
    }
}

}  // namespace lutra::core
