// `lutra eval`: a trained network's accuracy with the bit-sliced engine.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "lutra/experiments/runner.hpp"

namespace lutra::experiments::commands {

namespace {

struct eval_options {
    std::string run;
    std::string data;
    std::string split = "test";
    unsigned threads = 0;
};

int cmd_eval(const eval_options& opt) {
    const eval_result r = evaluate_run(opt.run, opt.data, opt.split, opt.threads);
    std::printf("%s %s: %zu of %zu correct, accuracy %.2f%%\n", r.dataset.c_str(), r.split.c_str(), r.correct,
                r.samples, r.accuracy() * 100);
    return 0;
}

}  // namespace

void add_eval_commands(CLI::App& app, command_table& table) {
    auto* eval_cmd = app.add_subcommand("eval", "evaluate a trained network with the bit-sliced engine");
    auto opt = std::make_shared<eval_options>();
    eval_cmd->add_option("run", opt->run, "run directory or its run.h5")->required();
    eval_cmd->add_option("--data", opt->data, "dataset name (default: the run's)");
    eval_cmd->add_option("--split", opt->split, "test or train")
        ->check(CLI::IsMember({"test", "train"}))
        ->capture_default_str();
    eval_cmd->add_option("--threads", opt->threads, "threads, 0 = one per hardware thread")->capture_default_str();
    table.add(*eval_cmd, [opt] { return cmd_eval(*opt); });
}

}  // namespace lutra::experiments::commands
