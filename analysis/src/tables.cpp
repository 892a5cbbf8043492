#include "lutra/analysis/tables.hpp"

#include <bit>

#include "lutra/core/error.hpp"

namespace lutra::analysis {

std::uint32_t effective_inputs(const core::network& net, std::uint32_t node) {
    return core::effective_inputs(net.table(node), net.k(node));
}

unsigned effective_fan_in(const core::network& net, std::uint32_t node) {
    return static_cast<unsigned>(std::popcount(effective_inputs(net, node)));
}

function_kind classify(const core::network& net, std::uint32_t node) {
    return core::classify(net.table(node), net.k(node));
}

std::vector<bool> dead_nodes(const core::network& net) {
    const std::uint32_t n = net.num_nodes();
    std::vector<bool> live(n, false);
    std::vector<std::uint32_t> work;
    for (std::uint32_t out : net.head().outputs)
        if (!live[out]) {
            live[out] = true;
            work.push_back(out);
        }
    // Delayed slots may point forward, so walk a work list rather than one
    // reverse pass over the topological order.
    while (!work.empty()) {
        const std::uint32_t node = work.back();
        work.pop_back();
        for (std::uint32_t src : net.sources(node)) {
            if (src < net.num_inputs()) continue;
            const std::uint32_t m = src - net.num_inputs();
            if (!live[m]) {
                live[m] = true;
                work.push_back(m);
            }
        }
    }
    std::vector<bool> dead(n);
    for (std::uint32_t i = 0; i < n; ++i) dead[i] = !live[i];
    return dead;
}

std::vector<node_census> census(const core::network& net, std::span<const node_group> groups) {
    const std::vector<bool> dead = dead_nodes(net);
    std::vector<bool> grouped(net.num_nodes(), false);
    std::vector<node_census> result;
    const auto count = [&](node_census& c, std::uint32_t node) {
        const unsigned e = effective_fan_in(net, node);
        ++c.nodes;
        c.dead += dead[node] ? 1 : 0;
        c.constant += e == 0 ? 1 : 0;
        ++c.fan_in[e];
        ++c.functions[static_cast<std::size_t>(classify(net, node))];
    };
    for (const node_group& group : groups) {
        node_census& c = result.emplace_back();
        c.name = group.name;
        for (std::uint32_t node : group.nodes) {
            if (node >= net.num_nodes())
                throw error("census: group '" + group.name + "' names node " + std::to_string(node) +
                            ", but the network has " + std::to_string(net.num_nodes()) + " nodes");
            grouped[node] = true;
            count(c, node);
        }
    }
    node_census rest;
    rest.name = "(no population)";
    for (std::uint32_t node = 0; node < net.num_nodes(); ++node)
        if (!grouped[node]) count(rest, node);
    if (rest.nodes > 0) result.push_back(std::move(rest));
    return result;
}

double mean_fan_in(const node_census& c) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < c.fan_in.size(); ++i) sum += i * std::uint64_t{c.fan_in[i]};
    return c.nodes ? static_cast<double>(sum) / c.nodes : 0.0;
}

}  // namespace lutra::analysis
