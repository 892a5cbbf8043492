// `lutra run`: train an experiment into a run directory, or with --resume
// continue a killed or stopped one. While either trains, SIGTERM, SIGINT,
// SIGUSR1 and SIGUSR2 stop it at the next safe point (stop.hpp; exit 75).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/runner.hpp"
#include "lutra/experiments/settings.hpp"
#include "lutra/experiments/stop.hpp"

namespace lutra::experiments::commands {

namespace {

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
    std::string rules;
    for (const auto& [rule, seconds] : r.rule_seconds) {
        char share[32];
        std::snprintf(share, sizeof share, " (%.1f%%)", 100 * seconds / std::max(r.train_seconds, 1e-9));
        rules += (rules.empty() ? "" : ", ") + rule + " " + format_duration(seconds) + share;
    }
    if (!rules.empty()) std::printf("rules:      %s\n", rules.c_str());
}

int cmd_run(const run_request& request, bool print) {
    if (print) {
        experiment_settings s = load_config<experiment_settings>(request.config_file, request.overrides);
        s.genome = resolve_genome(s, request.config_file.parent_path());
        s.genome_file.clear();
        std::cout << to_yaml(s);
        return 0;
    }
    const stop_signals stop_on_signals;
    const run_summary r = run_experiment(request);
    print_run_summary(r);
    return 0;
}

int cmd_resume(const std::string& dir) {
    const stop_signals stop_on_signals;
    const run_summary r = resume_experiment(dir);
    if (r.already_finished) {
        std::printf("run:        %s had already finished (it has summary.txt); nothing to resume\n", r.dir.c_str());
        return 0;
    }
    std::printf("resumed:    after epoch %u\n", r.resumed_from_epoch);
    print_run_summary(r);
    return 0;
}

struct run_options {
    std::string config;
    run_request request;
    bool print = false;
    std::string resume;
};

}  // namespace

void add_run_commands(CLI::App& app, command_table& table) {
    auto* run_cmd = app.add_subcommand("run", "train an experiment from YAML into a run directory");
    auto opt = std::make_shared<run_options>();
    run_cmd->add_option("config", opt->config, "experiment YAML, e.g. configs/mnist.yaml");
    run_cmd->add_option("--set", opt->request.overrides, "override one setting, e.g. --set train.epochs=3 (repeatable)")
        ->type_name("PATH=VALUE");
    run_cmd->add_option("--out", opt->request.out_dir, "run directory (default runs/NAME)");
    run_cmd->add_flag("--print-config", opt->print, "print the resolved YAML (genome included) and exit");
    run_cmd
        ->add_option("--resume", opt->resume,
                     "continue the killed or stopped run in DIR from its last finished epoch, with its own "
                     "config.yaml (alone: no config, --set or --out)")
        ->type_name("DIR");
    run_cmd->callback([opt] {
        // A resumed run keeps its own settings: changed halfway, no config
        // would describe the run any more.
        if (!opt->resume.empty() &&
            (!opt->config.empty() || !opt->request.overrides.empty() || !opt->request.out_dir.empty() || opt->print))
            throw CLI::ValidationError("--resume", "continues the run in DIR with DIR/config.yaml; a config file, "
                                                   "--set, --out or --print-config cannot go with it");
        if (opt->resume.empty() && opt->config.empty()) throw CLI::RequiredError("a config file or --resume DIR");
    });
    table.add(*run_cmd, [opt] {
        if (!opt->resume.empty()) return cmd_resume(opt->resume);
        run_request request = opt->request;
        request.config_file = opt->config;
        return cmd_run(request, opt->print);
    });
}

}  // namespace lutra::experiments::commands
