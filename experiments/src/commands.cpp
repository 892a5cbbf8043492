// The `lutra` subcommands. Each is a small function over the libraries; the
// settings come from YAML (settings.hpp) with --set overrides, so every
// command can also print the configuration it resolved.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "lutra/core/cpu.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/throughput.hpp"
#include "lutra/experiments/cli.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/settings.hpp"

namespace lutra::experiments {

namespace {

// What every config-driven command takes: an optional YAML file, --set
// overrides, and --print-config to show the resolved settings and stop.
struct config_options {
    std::string file;
    std::vector<std::string> overrides;
    bool print = false;

    void add_to(CLI::App& cmd, const std::string& what) {
        cmd.add_option("config", file, "YAML file with the " + what + " (defaults when omitted)");
        cmd.add_option("--set", overrides, "override one setting, e.g. --set samples=4096 (repeatable)")
            ->type_name("PATH=VALUE");
        cmd.add_flag("--print-config", print, "print the resolved YAML and exit");
    }

    template <class T>
    [[nodiscard]] T load() const {
        return file.empty() ? parse_config<T>("", "<defaults>", overrides) : load_config<T>(file, overrides);
    }
};

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown processor";
}

std::string supported_isas() {
    std::string s;
    for (core::isa set : core::all_isas)
        if (core::isa_supported(set)) s += (s.empty() ? "" : ", ") + std::string(core::to_string(set));
    return s;
}

int cmd_version() {
    std::printf("lutra %s\n", LUTRA_VERSION);
#if defined(__clang__)
    std::printf("compiler:     clang %s\n", __clang_version__);
#else
    std::printf("compiler:     g++ %s\n", __VERSION__);
#endif
    std::printf("processor:    %s, %u hardware threads\n", cpu_model().c_str(), std::thread::hardware_concurrency());
    std::printf("kernels:      %s (using %s)\n", supported_isas().c_str(),
                std::string(core::to_string(core::best_isa())).c_str());
    std::printf("data dir:     %s\n", core::data_dir().c_str());
    return 0;
}

int cmd_data_list() {
    const auto datasets = core::list_datasets();
    std::size_t width = 4;
    for (const auto& d : datasets) width = std::max(width, d.name.size());
    std::printf("%-*s  %-9s  %s\n", static_cast<int>(width), "name", "status", "description");
    bool missing = false;
    for (const auto& d : datasets) {
        std::printf("%-*s  %-9s  %s\n", static_cast<int>(width), d.name.c_str(), d.installed ? "installed" : "MISSING",
                    d.description.c_str());
        std::printf("%-*s             %s\n", static_cast<int>(width), "", d.location.c_str());
        if (!d.installed) {
            std::printf("%-*s             install: %s\n", static_cast<int>(width), "", d.install_hint.c_str());
            missing = true;
        }
    }
    if (missing) std::printf("\nMissing datasets are installed by `bash .ci/setup` (see README).\n");
    return 0;
}

int cmd_data_show(const config_options& cfg) {
    const auto s = cfg.load<data_settings>();
    if (cfg.print) {
        std::cout << to_yaml(s);
        return 0;
    }
    spdlog::info("loading {}", s.name);
    const core::dataset data =
        core::load_dataset(s.name, {.seed = s.seed, .train_samples = s.train_samples, .test_samples = s.test_samples});
    const core::encoder enc = core::encoder::fit(s.encoder, data);
    std::printf("dataset:   %s, %u × %u × %u features, %u classes\n", data.name.c_str(), data.width, data.height,
                data.channels, data.num_classes);
    for (const auto* split : {&data.train, &data.test}) {
        const bool train = split == &data.train;
        std::vector<std::size_t> per_class(data.num_classes, 0);
        for (auto label : split->labels) ++per_class[label];
        const core::bit_matrix bits = enc.encode(*split);
        std::size_t ones = 0;
        for (std::size_t r = 0; r < bits.rows(); ++r) ones += bits.count(r);
        const double density = split->size() && bits.rows()
                                   ? static_cast<double>(ones) / (static_cast<double>(split->size()) * static_cast<double>(bits.rows()))
                                   : 0.0;
        std::printf("%-9s  %zu samples, %.1f%% of input bits set, per class:", train ? "train:" : "test:",
                    split->size(), density * 100);
        for (auto n : per_class) std::printf(" %zu", n);
        std::printf("\n");
    }
    std::printf("encoder:   %s, %u input bits (%u per feature)\n", s.encoder.kind.c_str(), enc.num_bits(),
                enc.num_features() ? enc.num_bits() / enc.num_features() : 0);
    return 0;
}

int cmd_bench_infer(const config_options& cfg) {
    const auto s = cfg.load<infer_bench_settings>();
    if (cfg.print) {
        std::cout << to_yaml(s);
        return 0;
    }
    core::infer_bench_params p;
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
        const core::infer_bench_result r = core::run_infer_bench(p);
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

void setup_logging(int verbosity, bool quiet) {
    auto logger = spdlog::stderr_color_mt("lutra");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("[%H:%M:%S] [%^%l%$] %v");
    spdlog::set_level(quiet ? spdlog::level::warn
                            : verbosity >= 2 ? spdlog::level::trace
                            : verbosity == 1 ? spdlog::level::debug
                                             : spdlog::level::info);
}

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{"Lutra: networks of look-up-table neurons — simulate, train, map to FPGA", "lutra"};
    app.require_subcommand(1);
    int verbosity = 0;
    bool quiet = false;
    app.add_flag("-v,--verbose", verbosity, "more log output (repeat for more)");
    app.add_flag("-q,--quiet", quiet, "only warnings and errors; no progress display");

    auto* version = app.add_subcommand("version", "print the version, the processor and the kernels it can run");

    auto* data = app.add_subcommand("data", "list datasets (installed or not) or inspect one");
    auto* data_list = data->add_subcommand("list", "list every dataset, where it is and how to install it");
    auto* data_show = data->add_subcommand("show", "load a dataset, encode it and print its statistics");
    config_options data_cfg;
    data_cfg.add_to(*data_show, "data settings (name, samples, encoder)");
    std::string data_name;
    data_show->add_option("--name", data_name, "dataset name; shorthand for --set name=NAME");

    auto* bench = app.add_subcommand("bench", "measure throughput");
    bench->require_subcommand(1);
    auto* bench_infer = bench->add_subcommand(
        "infer", "bit-sliced inference on a random LUT network: LUT evaluations/s against this core's peak");
    config_options bench_cfg;
    bench_cfg.add_to(*bench_infer, "benchmark settings (configs/bench-infer.yaml)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    setup_logging(verbosity, quiet);

    try {
        if (*version) return cmd_version();
        if (*data_show) {
            if (!data_name.empty()) data_cfg.overrides.insert(data_cfg.overrides.begin(), "name=" + data_name);
            return cmd_data_show(data_cfg);
        }
        if (*data) {
            (void)data_list;
            return cmd_data_list();
        }
        if (*bench_infer) return cmd_bench_infer(bench_cfg);
    } catch (const lutra::error& e) {
        spdlog::error("{}", e.what());
        return 1;
    } catch (const std::exception& e) {
        spdlog::critical("internal error: {}", e.what());
        return 3;
    }
    return 0;
}

}  // namespace lutra::experiments
