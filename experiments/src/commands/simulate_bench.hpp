#pragma once
// The measurement loop of `lutra bench simulate`, apart from its printing.
#include <string>
#include <vector>

#include "lutra/core/network.hpp"
#include "lutra/experiments/settings.hpp"

namespace lutra::experiments {

struct simulate_bench_row {
    std::string engine;          // event | stepped | verilator
    std::size_t streams = 1;
    double activity = 0;
    double ticks_per_second = 0;
    double node_updates_per_second = 0;  // evaluations × streams (Verilator: every node every tick)
    double node_activity = 0;            // output changes per node, tick and stream
};

// Every engine × streams × activity of the settings (and Verilator at one
// stream per activity), each checked first to give the same trace digest.
[[nodiscard]] std::vector<simulate_bench_row> run_simulate_bench(const simulate_bench_settings& s,
                                                                 const core::network& net);

}  // namespace lutra::experiments
