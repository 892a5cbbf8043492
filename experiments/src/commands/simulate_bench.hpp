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

// Every engine × streams × activity of the settings on `net`, each checked
// first to give the same trace digest.
[[nodiscard]] std::vector<simulate_bench_row> run_simulate_bench(const simulate_bench_settings& s,
                                                                 const core::network& net);

// Side by side on `net` (verilator_nodes) at the first activity: the event
// engine and the stepped one on one stream, the stepped one on 512, and
// Verilator on one; every digest over verilator_ticks must agree.
struct verilator_comparison {
    std::vector<simulate_bench_row> rows;
    double compile_seconds = 0;
};
[[nodiscard]] verilator_comparison run_verilator_comparison(const simulate_bench_settings& s, const core::network& net);

}  // namespace lutra::experiments
