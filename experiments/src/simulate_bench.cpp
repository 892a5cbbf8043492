#include "commands/simulate_bench.hpp"

#include <spdlog/spdlog.h>

#include "lutra/core/error.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/time_bench.hpp"

namespace lutra::experiments {

std::vector<simulate_bench_row> run_simulate_bench(const simulate_bench_settings& s, const core::network& net) {
    std::vector<simulate_bench_row> rows;
    progress bar("bench simulate", s.engines.size() * s.streams.size() * s.activity.size(), "configurations");
    for (const std::size_t streams : s.streams)
        for (const double activity : s.activity) {
            const stimulus_tape tape(net.num_inputs(), streams, activity, 64, s.seed);
            std::uint64_t reference = 0;
            for (std::size_t e = 0; e < s.engines.size(); ++e) {
                const core::time_engine_kind kind =
                    s.engines[e] == "stepped" ? core::time_engine_kind::stepped : core::time_engine_kind::event;
                auto engine = core::make_timed_engine(kind, net, {.streams = streams, .threads = s.threads});
                // The same work, shown: every engine's trace over the first ticks agrees.
                const std::uint64_t digest = trace_digest(*engine, tape, s.check_ticks);
                if (e == 0) reference = digest;
                else if (digest != reference)
                    throw internal_error("bench simulate: the " + s.engines[e] + " engine's trace differs from the " +
                                         s.engines[0] + " engine's");
                const time_bench_result r = time_engine(*engine, tape, s.min_seconds, 32);
                rows.push_back({r.engine, streams, activity, r.ticks_per_second(), r.node_updates_per_second(),
                                static_cast<double>(r.toggles) /
                                    (static_cast<double>(r.ticks) * net.num_nodes() * static_cast<double>(streams))});
                bar.advance();
            }
        }
    return rows;
}

}  // namespace lutra::experiments
