#include "lutra/core/sequence.hpp"

#include <algorithm>
#include <deque>
#include <string>

#include "lutra/core/error.hpp"

namespace lutra::core {

namespace {
std::string str(std::size_t n) { return std::to_string(n); }
}  // namespace

std::vector<std::uint32_t> readout_ticks(const sequence_spec& spec) {
    if (!spec.readout.empty()) return spec.readout;
    return {spec.ticks == 0 ? 0 : spec.ticks - 1};
}

void check_sequence(const sequence_spec& spec) {
    if (spec.ticks == 0) throw error("sequence: ticks = 0; a sequence has at least one tick");
    for (std::size_t i = 0; i < spec.readout.size(); ++i) {
        if (spec.readout[i] >= spec.ticks)
            throw error("sequence: readout tick " + str(spec.readout[i]) + " is outside the sequence's ticks 0 … " +
                        str(spec.ticks - 1));
        if (i > 0 && spec.readout[i] <= spec.readout[i - 1])
            throw error("sequence: readout ticks must be ascending and distinct; " + str(spec.readout[i]) +
                        " follows " + str(spec.readout[i - 1]));
    }
    if (spec.bptt_window > spec.ticks)
        throw error("sequence: bptt_window = " + str(spec.bptt_window) + " is longer than the sequence of " +
                    str(spec.ticks) + " ticks; at most " + str(spec.ticks) + " (or 0 for the whole sequence)");
}

// Shortest paths from the inputs with delays as edge weights: a 0-1-…-D
// weighted graph, so Dijkstra with a plain ordered sweep over ticks would do;
// the networks are small enough that Bellman-Ford over the slots, bounded
// by the number of nodes, is simpler and plainly correct.
std::vector<std::uint32_t> first_reachable_tick(const network& net) {
    const std::uint32_t n_nodes = net.num_nodes();
    std::vector<std::uint32_t> first(n_nodes, no_tick);
    for (std::uint32_t round = 0; round <= n_nodes; ++round) {
        bool changed = false;
        for (std::uint32_t n = 0; n < n_nodes; ++n) {
            const auto sources = net.sources(n);
            const auto delays = net.delays(n);
            for (std::size_t i = 0; i < sources.size(); ++i) {
                const std::uint32_t d = delays.empty() ? 0 : delays[i];
                std::uint32_t at = no_tick;
                if (sources[i] < net.num_inputs())
                    at = d;
                else if (const std::uint32_t s = first[sources[i] - net.num_inputs()]; s != no_tick)
                    at = s + d;
                if (at < first[n]) first[n] = at, changed = true;
            }
        }
        if (!changed) break;
    }
    return first;
}

network unroll(const network& timed, const sequence_spec& spec) {
    check_sequence(spec);
    const std::uint32_t n_nodes = timed.num_nodes();
    const std::uint32_t inputs = timed.num_inputs();
    const std::size_t total = std::size_t{1} + std::size_t{spec.ticks} * n_nodes;
    if (total > 0xFFFF'FFFFULL - std::size_t{spec.ticks} * inputs)
        throw error("sequence: " + str(spec.ticks) + " ticks of " + str(n_nodes) + " nodes do not fit one network");
    if (inputs == 0) throw error("sequence: a network without inputs has nothing to read over time");
    network_arrays a;
    a.num_inputs = spec.ticks * inputs;
    const std::uint32_t zero = a.num_inputs;  // the constant node's source id
    a.k.reserve(total);
    a.sources.reserve(1 + spec.ticks * timed.num_slots());
    a.k.push_back(1);
    a.sources.push_back(0);
    a.tables.push_back(0);
    for (std::uint32_t t = 0; t < spec.ticks; ++t) {
        for (std::uint32_t n = 0; n < n_nodes; ++n) {
            const auto sources = timed.sources(n);
            const auto delays = timed.delays(n);
            a.k.push_back(static_cast<std::uint8_t>(timed.k(n)));
            for (std::size_t i = 0; i < sources.size(); ++i) {
                const std::uint32_t d = delays.empty() ? 0 : delays[i];
                if (d > t) {
                    a.sources.push_back(zero);
                } else if (sources[i] < inputs) {
                    a.sources.push_back((t - d) * inputs + sources[i]);
                } else {
                    a.sources.push_back(a.num_inputs + unrolled_node(t - d, sources[i] - inputs, n_nodes));
                }
            }
            const auto table = timed.table(n);
            a.tables.insert(a.tables.end(), table.begin(), table.end());
        }
    }
    const group_sum_head& head = timed.head();
    if (head.num_classes > 0) {
        const std::vector<std::uint32_t> readout = readout_ticks(spec);
        const std::size_t per_class = head.outputs.size() / head.num_classes;
        a.head.num_classes = head.num_classes;
        for (std::uint32_t c = 0; c < head.num_classes; ++c)
            for (const std::uint32_t t : readout)
                for (std::size_t j = 0; j < per_class; ++j)
                    a.head.outputs.push_back(unrolled_node(t, head.outputs[c * per_class + j], n_nodes));
    }
    return network(std::move(a));
}

live_unrolled unroll_live(const network& timed, const sequence_spec& spec) {
    const network full = unroll(timed, spec);
    const std::uint32_t nodes = timed.num_nodes();
    const std::uint32_t inputs = full.num_inputs();
    // Live: a head output, or read by a live node. Sources come before their
    // readers, so one pass from the last node down settles everything.
    std::vector<std::uint8_t> live(full.num_nodes(), full.head().num_classes == 0 ? 1 : 0);
    for (const std::uint32_t o : full.head().outputs) live[o] = 1;
    live[0] = 1;
    for (std::uint32_t u = full.num_nodes(); u-- > 1;)
        if (live[u])
            for (const std::uint32_t src : full.sources(u))
                if (src >= inputs) live[src - inputs] = 1;
    live_unrolled out;
    out.row.assign(full.num_nodes(), no_tick);
    network_arrays a;
    a.num_inputs = inputs;
    for (std::uint32_t u = 0; u < full.num_nodes(); ++u) {
        if (!live[u]) continue;
        out.row[u] = static_cast<std::uint32_t>(a.k.size());
        out.origin.push_back(u == 0 ? no_tick : (u - 1) % nodes);
        out.tick.push_back(u == 0 ? 0 : (u - 1) / nodes);
        a.k.push_back(static_cast<std::uint8_t>(full.k(u)));
        for (const std::uint32_t src : full.sources(u))
            a.sources.push_back(src < inputs ? src : inputs + out.row[src - inputs]);
        const auto table = full.table(u);
        a.tables.insert(a.tables.end(), table.begin(), table.end());
    }
    a.head.num_classes = full.head().num_classes;
    for (const std::uint32_t o : full.head().outputs) a.head.outputs.push_back(out.row[o]);
    out.net = network(std::move(a));
    return out;
}

}  // namespace lutra::core
