#include "commands/simulate_bench.hpp"

#include <spdlog/spdlog.h>

#include "lutra/core/error.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/time_bench.hpp"
#include "lutra/experiments/verilator.hpp"

#include <filesystem>
#include <unistd.h>

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

namespace {

simulate_bench_row engine_row(core::time_engine_kind kind, const core::network& net, const stimulus_tape& tape,
                              const simulate_bench_settings& s) {
    auto engine = core::make_timed_engine(kind, net, {.streams = tape.streams(), .threads = s.threads});
    const time_bench_result r = time_engine(*engine, tape, s.min_seconds, 32);
    return {r.engine, tape.streams(), tape.activity(), r.ticks_per_second(), r.node_updates_per_second(),
            static_cast<double>(r.toggles) /
                (static_cast<double>(r.ticks) * net.num_nodes() * static_cast<double>(tape.streams()))};
}

}  // namespace

verilator_comparison run_verilator_comparison(const simulate_bench_settings& s, const core::network& net) {
    const double activity = s.activity.empty() ? 0.01 : s.activity.front();
    const stimulus_tape one(net.num_inputs(), 1, activity, 64, s.seed);
    const stimulus_tape wide(net.num_inputs(), 512, activity, 64, s.seed);
    const core::bit_matrix columns = stimulus_columns(one);
    const std::uint64_t expected =
        engine_trace_digest(core::time_engine_kind::event, net, columns, s.verilator_ticks);
    if (engine_trace_digest(core::time_engine_kind::stepped, net, columns, s.verilator_ticks) != expected)
        throw internal_error("bench simulate: the stepped engine's trace differs from the event engine's");

    namespace fs = std::filesystem;
    const bool temporary = s.verilator_dir.empty();
    const fs::path dir = temporary ? fs::temp_directory_path() / ("lutra-bench-verilator-" + std::to_string(::getpid()))
                                   : fs::path(s.verilator_dir);
    verilator_options options;
    options.style = s.verilator_style == "xilinx" ? verilog_style::xilinx : verilog_style::generic;
    spdlog::info("verilating {} nodes ({} style) in {}", net.num_nodes(), s.verilator_style, dir.string());
    verilator_run v;
    try {
        v = run_verilator(net, columns, s.verilator_ticks, dir, options);
    } catch (...) {
        if (temporary) fs::remove_all(dir);
        throw;
    }
    if (temporary) fs::remove_all(dir);
    if (v.trace_digest != expected)
        throw error("bench simulate: Verilator's trace of " + std::to_string(s.verilator_ticks) +
                    " ticks differs from the engines' (digest " + std::to_string(v.trace_digest) + " against " +
                    std::to_string(expected) + "); the comparison would not be of the same work");

    verilator_comparison c;
    c.compile_seconds = v.compile_seconds;
    c.rows.push_back(engine_row(core::time_engine_kind::event, net, one, s));
    c.rows.push_back(engine_row(core::time_engine_kind::stepped, net, one, s));
    c.rows.push_back(engine_row(core::time_engine_kind::stepped, net, wide, s));
    // Verilator evaluates every node every tick.
    c.rows.push_back({"verilator", 1, activity, v.ticks_per_second, v.ticks_per_second * net.num_nodes(),
                      c.rows.front().node_activity});
    return c;
}

}  // namespace lutra::experiments
