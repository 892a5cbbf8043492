#pragma once
// Spikes and activity of a made-up timed run, consistent the way a
// recorder's are: every node's output in every stream is a random bit per
// tick (1 with probability `density`), toggles count its changes over all
// streams (tick 0 compared with 0), and the spikes are stream 0's rising
// edges at t · tick_ms, sorted by time, ties by node id. Deterministic in
// the seed. Shared by the runfile and analysis tests and tests/runfile/spike_sample.cpp.

#include <cstdint>
#include <string>
#include <vector>

#include "lutra/core/random.hpp"
#include "lutra/runfile/run_reader.hpp"

namespace lutra::test {

struct spike_trace {
    std::vector<std::uint64_t> node_ids;
    std::vector<double> timestamps_ms;
    runfile::population_activity activity;
};

inline spike_trace make_spike_trace(const std::string& population, std::uint64_t nodes, std::uint64_t ticks,
                                    std::uint64_t streams, double tick_ms, double density, std::uint64_t seed) {
    spike_trace t;
    t.activity = {.population = population,
                  .recording = {.ticks = ticks, .streams = streams, .tick_ms = tick_ms, .engine = "event"},
                  .toggles = std::vector<std::uint64_t>(nodes, 0)};
    const counter_rng rng(seed, "test spike trace");
    std::vector<std::uint8_t> previous(nodes * streams, 0);
    for (std::uint64_t tick = 0; tick < ticks; ++tick)
        for (std::uint64_t node = 0; node < nodes; ++node)
            for (std::uint64_t stream = 0; stream < streams; ++stream) {
                const std::uint64_t at = node * streams + stream;
                const auto out = static_cast<std::uint8_t>(rng.uniform((tick * nodes + node) * streams + stream) < density);
                t.activity.toggles[node] += out != previous[at];
                if (stream == 0 && out == 1 && previous[at] == 0) {
                    t.node_ids.push_back(node);
                    t.timestamps_ms.push_back(static_cast<double>(tick) * tick_ms);
                }
                previous[at] = out;
            }
    return t;
}

}  // namespace lutra::test
