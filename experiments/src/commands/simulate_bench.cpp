// `lutra bench simulate`: the timed engines (and Verilator) on one random
// recurrent network with delays — the harness of bench/bench_time.cpp.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "lutra/core/error.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/settings.hpp"
#include "lutra/experiments/time_bench.hpp"
#include "simulate_bench.hpp"
#include "support.hpp"

namespace lutra::experiments::commands {

int cmd_bench_simulate(const config_options& cfg) {
    const auto s = cfg.load<simulate_bench_settings>();
    if (cfg.print) {
        std::cout << to_yaml(s);
        return 0;
    }
    for (std::size_t i = 0; i < s.engines.size(); ++i)
        if (s.engines[i] != "event" && s.engines[i] != "stepped")
            throw cfg.source().error_at("engines[" + std::to_string(i) + "]",
                                        "'" + s.engines[i] + "' is not an engine; valid: event, stepped");
    for (std::size_t i = 0; i < s.activity.size(); ++i)
        if (!(s.activity[i] >= 0 && s.activity[i] <= 1))
            throw cfg.source().error_at("activity[" + std::to_string(i) + "]", "an activity lies in [0, 1]");
    for (std::size_t i = 0; i < s.streams.size(); ++i)
        if (s.streams[i] == 0 || s.streams[i] > (std::size_t{1} << 20))
            throw cfg.source().error_at("streams[" + std::to_string(i) + "]", "give 1 … 1048576 streams");
    if (s.network.k_min > s.network.k_max)
        throw cfg.source().error_at("network.k_min", "k_min is above k_max");

    std::printf("machine:   %s, %u hardware threads\n", cpu_model().c_str(), std::thread::hardware_concurrency());
    std::printf("network:   %u LUT nodes, k %u…%u, %u input bits, %.0f%% of slots delayed by 1…%u ticks, "
                "table density %.2f\n",
                s.network.nodes, s.network.k_min, s.network.k_max, s.network.num_inputs, 100 * s.network.p_delayed,
                s.network.max_delay, s.network.table_density);
    const core::network net = core::random_timed_network(s.network, s.seed);
    std::printf("           depth %u, %zu slots\n", net.depth(), net.num_slots());
    const std::vector<simulate_bench_row> rows = run_simulate_bench(s, net);
    const auto print_rows = [](const std::vector<simulate_bench_row>& table) {
        std::printf("%-10s %8s %9s %14s %18s %15s\n", "engine", "streams", "activity", "ticks/s", "node updates/s",
                    "node activity");
        for (const simulate_bench_row& r : table)
            std::printf("%-10s %8zu %8.0f%% %14s %18s %14.3f%%\n", r.engine.c_str(), r.streams, 100 * r.activity,
                        format_si(r.ticks_per_second).c_str(), format_si(r.node_updates_per_second).c_str(),
                        100 * r.node_activity);
    };
    std::printf("\n");
    print_rows(rows);
    if (s.verilator) {
        core::random_timed_params small = s.network;
        small.nodes = s.verilator_nodes;
        const core::network side = core::random_timed_network(small, s.seed);
        const verilator_comparison c = run_verilator_comparison(s, side);
        std::printf("\nside by side with Verilator (%s style, compiled in %s, not timed) on %u nodes, the same "
                    "network parameters, the same stimulus; traces of %llu ticks equal:\n",
                    s.verilator_style.c_str(), format_duration(c.compile_seconds).c_str(), s.verilator_nodes,
                    static_cast<unsigned long long>(s.verilator_ticks));
        print_rows(c.rows);
    }
    return 0;
}

}  // namespace lutra::experiments::commands
