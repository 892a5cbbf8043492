// `lutra bench infer`: bit-sliced inference throughput against this core's
// peak.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "infer_bench.hpp"
#include "lutra/core/cpu.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/bitslice_engine.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/memory.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/settings.hpp"
#include "support.hpp"

namespace lutra::experiments::commands {

namespace {

int cmd_bench_infer(const config_options& cfg) {
    const auto s = cfg.load<infer_bench_settings>();
    if (cfg.print) {
        std::cout << to_yaml(s);
        return 0;
    }
    infer_bench_params p;
    p.net = s.network;
    p.samples = s.samples;
    p.seed = s.seed;
    p.min_seconds = s.min_seconds;
    p.engine.tile_samples = s.tile_samples;
    if (s.isa != "auto") p.engine.instruction_set = core::parse_isa(s.isa);
    const core::isa set = p.engine.instruction_set.value_or(core::best_isa());
    if (!core::isa_supported(set))
        throw error("bench infer: isa = " + s.isa + " is not supported by this processor (supported: " +
                    supported_isas() + ")");
    if (s.threads.empty()) throw error("bench infer: threads is empty; give at least one thread count");
    check_memory(estimate_memory(s), cfg.source(), "bench infer");

    std::printf("machine:   %s, %u hardware threads\n", cpu_model().c_str(), std::thread::hardware_concurrency());
    std::printf("network:   %u LUT%u nodes in %u layers, %u input bits, %u classes; %zu samples per batch\n",
                s.network.nodes, s.network.k, s.network.layers, s.network.num_inputs, s.network.num_classes,
                s.samples);
    const core::mux_peak peak = core::measure_mux_peak(set);
    std::printf("peak:      %s mux %s/s per core = naive 63-mux LUT6 ceiling %s evaluations/s per core\n",
                std::string(core::to_string(set)).c_str(), format_si(peak.muxes_per_second).c_str(),
                format_si(peak.naive_lut6_per_second()).c_str());
    progress bar("bench infer", s.threads.size(), "configurations");
    std::vector<std::string> lines;
    for (unsigned threads : s.threads) {
        p.engine.threads = threads;
        const infer_bench_result r = run_infer_bench(p);
        const unsigned used = threads == 0 ? std::max(1U, std::thread::hardware_concurrency()) : threads;
        char line[256];
        std::snprintf(line, sizeof line,
                      "threads %u: %s LUT%u evaluations/s, %s samples/s (best of %zu batches, median %s), "
                      "%.2f × the naive peak",
                      used, format_si(r.lut_evals_per_second).c_str(), s.network.k,
                      format_si(r.samples_per_second).c_str(), r.batches,
                      format_duration(r.median_batch_seconds).c_str(),
                      r.lut_evals_per_second / (peak.naive_lut6_per_second() * used));
        lines.emplace_back(line);
        bar.advance();
    }
    bar.finish();
    for (const auto& line : lines) std::printf("%s\n", line.c_str());
    return 0;
}

}  // namespace

void add_bench_commands(CLI::App& app, command_table& table) {
    auto* bench = app.add_subcommand("bench", "measure throughput");
    bench->require_subcommand(1);
    auto* bench_infer = bench->add_subcommand(
        "infer", "bit-sliced inference on a random LUT network: LUT evaluations/s against this core's peak");
    auto cfg = std::make_shared<config_options>();
    cfg->add_to(*bench_infer, "benchmark settings (configs/bench-infer.yaml)");
    table.add(*bench_infer, [cfg] { return cmd_bench_infer(*cfg); });
    auto* bench_simulate = bench->add_subcommand(
        "simulate", "the timed engines (event, stepped) and Verilator on a random recurrent network with delays");
    auto sim_cfg = std::make_shared<config_options>();
    sim_cfg->add_to(*bench_simulate, "benchmark settings (configs/bench-simulate.yaml)");
    table.add(*bench_simulate, [sim_cfg] { return cmd_bench_simulate(*sim_cfg); });
}

}  // namespace lutra::experiments::commands
