// The `lutra` subcommands. Each is a small function over the libraries; the
// settings come from YAML (settings.hpp) with --set overrides, so every
// command can also print the configuration it resolved.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "lutra/analysis/report.hpp"
#include "lutra/core/cpu.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/throughput.hpp"
#include "lutra/experiments/cli.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/export.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/runner.hpp"
#include "lutra/experiments/settings.hpp"
#include "lutra/topology/develop.hpp"
#include "lutra/topology/error.hpp"
#include "lutra/topology/evolution.hpp"
#include "lutra/topology/genome_text.hpp"

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
    const core::dataset data = load_data(s);
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

// A genome file: YAML (with --set overrides), or the A/C/G/T text form.
topology::genome load_genome(const std::string& file, const std::vector<std::string>& overrides) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw io_error(file, "read genome", "cannot open the file");
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const bool text_form = !content.empty() && content.find_first_not_of("ACGTacgt \t\r\n") == std::string::npos;
    if (!text_form) {
        auto g = load_config<topology::genome>(file, overrides);
        topology::validate(g);
        return g;
    }
    if (!overrides.empty()) throw error(file + ": --set applies to YAML genomes; decode the text form first");
    try {
        return topology::from_text(content);
    } catch (const topology::genome_text_error& e) {
        throw error(file + ": " + e.what());
    }
}

std::string histogram_text(const std::vector<topology::histogram_bin>& bins) {
    std::string s;
    for (const auto& b : bins) s += (s.empty() ? "" : ", ") + std::to_string(b.value) + "×" + std::to_string(b.count);
    return s.empty() ? "none" : s;
}

void print_genome_summary(const topology::genome& g) {
    std::printf("inputs:      %u × %u pixels × %u bits = %u input bits\n", g.inputs.width, g.inputs.height,
                g.inputs.bits, g.num_input_bits());
    std::uint64_t nodes = 0;
    for (const auto& p : g.populations) {
        nodes += p.size;
        std::printf("population:  %-12s %7u nodes, k = %2u, init %s\n", p.name.c_str(), p.size, p.k,
                    p.init.kind.c_str());
    }
    for (const auto& pr : g.projections) {
        std::string sources;
        for (const auto& src : pr.sources) sources += (sources.empty() ? "" : ", ") + src;
        std::printf("projection:  %-12s <- %s (%s, %s slots)\n", pr.target.c_str(), sources.c_str(), pr.rule.c_str(),
                    pr.slots == 0 ? "all" : std::to_string(pr.slots).c_str());
    }
    std::printf("head:        %s, %u classes; %llu nodes in all\n", g.head.population.c_str(), g.head.classes,
                static_cast<unsigned long long>(nodes));
}

struct genome_options {
    std::string file;
    std::vector<std::string> overrides;
    void add_to(CLI::App& cmd) {
        cmd.add_option("genome", file, "genome file: YAML, or the A/C/G/T text form")->required();
        cmd.add_option("--set", overrides, "override one YAML setting, e.g. --set populations[0].k=5 (repeatable)")
            ->type_name("PATH=VALUE");
    }
};

int cmd_genome_show(const genome_options& opt) {
    const topology::genome g = load_genome(opt.file, opt.overrides);
    print_genome_summary(g);
    std::printf("text:\n%s\n\nyaml:\n%s", topology::wrap_text(topology::to_text(g)).c_str(), to_yaml(g).c_str());
    return 0;
}

struct develop_cli {
    std::uint64_t seed = 1;
    unsigned threads = 1;
    std::string graphml;
    std::string dot;
};

int cmd_genome_develop(const genome_options& opt, const develop_cli& dev) {
    const topology::genome g = load_genome(opt.file, opt.overrides);
    const auto start = std::chrono::steady_clock::now();
    const topology::developed_graph d = topology::develop(g, dev.seed, {.threads = dev.threads});
    const topology::compiled_network c = topology::compile(g, d);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const auto& w : d.warnings) spdlog::warn("{}", w);
    const topology::graph_statistics s = topology::statistics(g, d);
    std::printf("hash:        %s (seed %llu)\n", topology::hash_hex(d.hash).c_str(),
                static_cast<unsigned long long>(dev.seed));
    std::printf("graph:       %u input bits, %u nodes, %llu edges (%llu delayed)\n", d.num_inputs, d.num_nodes(),
                static_cast<unsigned long long>(s.edges), static_cast<unsigned long long>(s.delayed_edges));
    std::printf("depth:       %u levels without delay\n", s.depth);
    std::printf("fan-in:      %s\n", histogram_text(s.fan_in).c_str());
    std::printf("fan-out:     %s\n", histogram_text(s.fan_out).c_str());
    std::printf("input reads: %s\n", histogram_text(s.input_fan_out).c_str());
    std::printf("coverage:    %u of %u input bits read (%.1f%%); %u dead nodes\n", s.inputs_read, d.num_inputs,
                s.input_coverage * 100, s.dead_nodes);
    std::printf("network:     %u nodes, %s, developed and compiled in %s\n", c.net.num_nodes(),
                c.net.combinational() ? "combinational" : "sequential (delayed slots)",
                format_duration(seconds).c_str());
    auto write = [&](const std::string& path, auto writer, const char* what) {
        if (path.empty()) return;
        std::ofstream out(path);
        if (!out) throw io_error(path, std::string("write ") + what, "cannot create the file");
        writer(out, g, d);
        if (!out.flush()) throw io_error(path, std::string("write ") + what, "write failed");
        spdlog::info("wrote {} to {}", what, path);
    };
    write(dev.graphml, topology::write_graphml, "GraphML");
    write(dev.dot, topology::write_dot, "DOT");
    return 0;
}

int cmd_genome_encode(const genome_options& opt) {
    std::printf("%s\n", topology::wrap_text(topology::to_text(load_genome(opt.file, opt.overrides))).c_str());
    return 0;
}

int cmd_genome_decode(const genome_options& opt) {
    std::cout << to_yaml(load_genome(opt.file, opt.overrides));
    return 0;
}

struct mutate_cli {
    std::uint64_t seed = 1;
    std::string op = "any";
    std::string with;
    bool text = false;
};

int cmd_genome_mutate(const genome_options& opt, const mutate_cli& m) {
    const topology::genome g = load_genome(opt.file, opt.overrides);
    topology::evolution_result r;
    if (m.op == "crossover") {
        if (m.with.empty()) throw error("genome mutate --op crossover needs --with OTHER_GENOME");
        r = topology::crossover(g, load_genome(m.with, {}), m.seed);
    } else if (m.op == "point") {
        r = topology::mutate_point(g, m.seed);
    } else if (m.op == "duplicate") {
        r = topology::duplicate_gene(g, m.seed);
    } else if (m.op == "delete") {
        r = topology::delete_gene(g, m.seed);
    } else {
        r = topology::mutate(g, m.seed);
    }
    if (!r.child) throw error("genome mutate: no valid child: " + r.reason);
    spdlog::info("{}", r.change);
    if (m.text)
        std::printf("%s\n", topology::wrap_text(topology::to_text(*r.child)).c_str());
    else
        std::cout << to_yaml(*r.child);
    return 0;
}

void print_run_summary(const run_summary& r) {
    std::printf("run:        %s\n", r.dir.c_str());
    std::printf("network:    %u LUT nodes, genome %s\n", r.nodes, r.genome_hash.c_str());
    std::printf("test:       %.2f%% hardened (bit-sliced engine), %.2f%% relaxed\n", r.test_accuracy * 100,
                r.test_accuracy_relaxed * 100);
    std::printf("time:       %s training, %s in all\n", format_duration(r.train_seconds).c_str(),
                format_duration(r.total_seconds).c_str());
    if (r.stats_seconds > 0)
        std::printf("statistics: %s of the training (%.1f%%)\n", format_duration(r.stats_seconds).c_str(),
                    100 * r.stats_seconds / std::max(r.train_seconds, 1e-9));
}

int cmd_run(const run_request& request, bool print) {
    if (print) {
        experiment_settings s = load_config<experiment_settings>(request.config_file, request.overrides);
        s.genome = resolve_genome(s, request.config_file.parent_path());
        s.genome_file.clear();
        std::cout << to_yaml(s);
        return 0;
    }
    const run_summary r = run_experiment(request);
    print_run_summary(r);
    return 0;
}

int cmd_resume(const std::string& dir) {
    const run_summary r = resume_experiment(dir);
    if (r.already_finished) {
        std::printf("run:        %s had already finished (it has summary.txt); nothing to resume\n", r.dir.c_str());
        return 0;
    }
    std::printf("resumed:    after epoch %u\n", r.resumed_from_epoch);
    print_run_summary(r);
    return 0;
}
int cmd_eval(const std::string& run, const std::string& dataset, const std::string& split, unsigned threads) {
    const eval_result r = evaluate_run(run, dataset, split, threads);
    std::printf("%s %s: %zu of %zu correct, accuracy %.2f%%\n", r.dataset.c_str(), r.split.c_str(), r.correct,
                r.samples, r.accuracy() * 100);
    return 0;
}

// One run: its populations, tables and learning curves (and a report
// directory with plots); two runs: side by side.
int cmd_analyze(const std::vector<std::string>& runs, const std::string& report_dir) {
    if (runs.size() == 2) {
        if (!report_dir.empty()) throw error("analyze: --report takes one run, not a comparison of two");
        std::printf("%s", analysis::format_comparison(analysis::analyze_run(runs[0]), analysis::analyze_run(runs[1]))
                              .c_str());
        return 0;
    }
    const analysis::run_analysis run = analysis::analyze_run(runs.at(0));
    std::printf("%s", analysis::format_analysis(run).c_str());
    if (!report_dir.empty()) {
        analysis::write_report(run, report_dir);
        std::printf("report:     %s\n", (std::filesystem::path(report_dir) / "report.md").c_str());
    }
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

    auto* run_cmd = app.add_subcommand("run", "train an experiment from YAML into a run directory");
    std::string run_config;
    run_request run_req;
    bool run_print = false;
    std::string run_resume;
    run_cmd->add_option("config", run_config, "experiment YAML, e.g. configs/mnist.yaml");
    run_cmd->add_option("--set", run_req.overrides, "override one setting, e.g. --set train.epochs=3 (repeatable)")
        ->type_name("PATH=VALUE");
    run_cmd->add_option("--out", run_req.out_dir, "run directory (default runs/NAME)");
    run_cmd->add_flag("--print-config", run_print, "print the resolved YAML (genome included) and exit");
    run_cmd
        ->add_option("--resume", run_resume,
                     "continue the killed run in DIR from its last finished epoch, with its own config.yaml "
                     "(alone: no config, --set or --out)")
        ->type_name("DIR");
    run_cmd->callback([&] {
        // A resumed run keeps its own settings: changed halfway, no config
        // would describe the run any more.
        if (!run_resume.empty() &&
            (!run_config.empty() || !run_req.overrides.empty() || !run_req.out_dir.empty() || run_print))
            throw CLI::ValidationError("--resume", "continues the run in DIR with DIR/config.yaml; a config file, "
                                                   "--set, --out or --print-config cannot go with it");
        if (run_resume.empty() && run_config.empty()) throw CLI::RequiredError("a config file or --resume DIR");
    });

    auto* eval_cmd = app.add_subcommand("eval", "evaluate a trained network with the bit-sliced engine");
    std::string eval_run, eval_data, eval_split = "test";
    unsigned eval_threads = 0;
    eval_cmd->add_option("run", eval_run, "run directory or its run.h5")->required();
    eval_cmd->add_option("--data", eval_data, "dataset name (default: the run's)");
    eval_cmd->add_option("--split", eval_split, "test or train")
        ->check(CLI::IsMember({"test", "train"}))
        ->capture_default_str();
    eval_cmd->add_option("--threads", eval_threads, "threads, 0 = one per hardware thread")->capture_default_str();

    auto* analyze_cmd = app.add_subcommand(
        "analyze", "what a run's tables compute (fan-in, constants, gates, dead nodes) and its learning curves");
    std::vector<std::string> analyze_runs;
    std::string analyze_report;
    analyze_cmd->add_option("runs", analyze_runs, "run directory or run.h5; give two to compare them")
        ->required()
        ->expected(1, 2);
    analyze_cmd->add_option("--report", analyze_report, "write DIR/report.md with plots (needs gnuplot)")
        ->type_name("DIR");

    auto* export_cmd = app.add_subcommand(
        "export", "a run's classifier as Verilog with a test bench, vectors and a resource report (docs/fpga.md)");
    export_request export_req;
    export_cmd->add_option("run", export_req.run, "run directory or run.h5")->required();
    export_cmd->add_option("--target", export_req.target, "xilinx (primitives) or generic (behavioural RTL)")
        ->check(CLI::IsMember({"xilinx", "generic"}))
        ->capture_default_str();
    export_cmd->add_option("--out", export_req.out_dir, "output directory (empty or new)")->required()->type_name("DIR");
    export_cmd->add_option("--pipeline", export_req.pipeline_every, "LUT levels per pipeline stage, 0 = none (xilinx)")
        ->capture_default_str();
    export_cmd->add_option("--clock", export_req.clock_mhz, "stated clock in MHz for throughput and latency")
        ->capture_default_str();
    export_cmd->add_option("--part", export_req.part, "FPGA part the report counts against")->capture_default_str();
    export_cmd->add_option("--comparators", export_req.comparators, "encoder comparators: two-tables (default, 2 LUT6 each) or one-table (4 LUT6 + 3 MUXF7/F8)")
        ->check(CLI::IsMember({"one-table", "two-tables"}))
        ->capture_default_str();
    export_cmd->add_option("--vectors", export_req.vectors, "test samples as vectors (default all, 0 = none)");
    export_cmd->add_flag("--force", export_req.force, "write into a non-empty output directory");

    auto* genome_cmd = app.add_subcommand("genome", "show, develop, encode, decode and mutate genomes");
    genome_cmd->require_subcommand(1);
    genome_options genome_show_opt, genome_develop_opt, genome_encode_opt, genome_decode_opt, genome_mutate_opt;
    auto* genome_show = genome_cmd->add_subcommand("show", "summary, text form and resolved YAML of a genome");
    genome_show_opt.add_to(*genome_show);
    auto* genome_develop =
        genome_cmd->add_subcommand("develop", "grow the wiring graph: statistics, hash, GraphML/DOT");
    genome_develop_opt.add_to(*genome_develop);
    develop_cli dev;
    genome_develop->add_option("--seed", dev.seed, "seed of the wiring and the initial tables")->capture_default_str();
    genome_develop->add_option("--threads", dev.threads, "threads wiring nodes (the result does not depend on it)")
        ->capture_default_str();
    genome_develop->add_option("--graphml", dev.graphml, "write the graph as GraphML to this file");
    genome_develop->add_option("--dot", dev.dot, "write the graph as Graphviz DOT to this file");
    auto* genome_encode = genome_cmd->add_subcommand("encode", "print the A/C/G/T text form of a genome");
    genome_encode_opt.add_to(*genome_encode);
    auto* genome_decode = genome_cmd->add_subcommand("decode", "print a genome (e.g. a text form) as YAML");
    genome_decode_opt.add_to(*genome_decode);
    auto* genome_mutate = genome_cmd->add_subcommand("mutate", "apply an evolution operator and print the child");
    genome_mutate_opt.add_to(*genome_mutate);
    mutate_cli mut;
    genome_mutate->add_option("--seed", mut.seed, "seed of the operator's choices")->capture_default_str();
    genome_mutate->add_option("--op", mut.op, "point, duplicate, delete, crossover, or any of the first three")
        ->check(CLI::IsMember({"any", "point", "duplicate", "delete", "crossover"}))
        ->capture_default_str();
    genome_mutate->add_option("--with", mut.with, "the second parent, for --op crossover");
    genome_mutate->add_flag("--text", mut.text, "print the child's A/C/G/T text form instead of YAML");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    setup_logging(verbosity, quiet);

    try {
        if (*version) return cmd_version();
        if (*run_cmd) {
            if (!run_resume.empty()) return cmd_resume(run_resume);
            run_req.config_file = run_config;
            return cmd_run(run_req, run_print);
        }
        if (*analyze_cmd) return cmd_analyze(analyze_runs, analyze_report);
        if (*export_cmd) {
            std::printf("%s", to_text(export_run(export_req)).c_str());
            return 0;
        }
        if (*eval_cmd) return cmd_eval(eval_run, eval_data, eval_split, eval_threads);
        if (*data_show) {
            if (!data_name.empty()) data_cfg.overrides.insert(data_cfg.overrides.begin(), "name=" + data_name);
            return cmd_data_show(data_cfg);
        }
        if (*data) {
            (void)data_list;
            return cmd_data_list();
        }
        if (*bench_infer) return cmd_bench_infer(bench_cfg);
        if (*genome_show) return cmd_genome_show(genome_show_opt);
        if (*genome_develop) return cmd_genome_develop(genome_develop_opt, dev);
        if (*genome_encode) return cmd_genome_encode(genome_encode_opt);
        if (*genome_decode) return cmd_genome_decode(genome_decode_opt);
        if (*genome_mutate) return cmd_genome_mutate(genome_mutate_opt, mut);
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
