// `lutra analyze`: what a run's tables compute and its learning curves, or
// two runs side by side.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "lutra/analysis/report.hpp"
#include "lutra/core/error.hpp"
#include "lutra/experiments/runner.hpp"

namespace lutra::experiments::commands {

namespace {

struct analyze_options {
    std::vector<std::string> runs;
    std::string report_dir;
};

// One run: its populations, tables and learning curves (and a report
// directory with plots); two runs: side by side.
int cmd_analyze(const std::vector<std::string>& runs, const std::string& report_dir) {
    // Only finished runs: summary.txt is a run's completion mark.
    if (runs.size() == 2) {
        if (!report_dir.empty()) throw error("analyze: --report takes one run, not a comparison of two");
        std::printf("%s", analysis::format_comparison(analysis::analyze_run(finished_run_file(runs[0])),
                                                      analysis::analyze_run(finished_run_file(runs[1])))
                              .c_str());
        return 0;
    }
    const analysis::run_analysis run = analysis::analyze_run(finished_run_file(runs.at(0)));
    std::printf("%s", analysis::format_analysis(run).c_str());
    if (!report_dir.empty()) {
        analysis::write_report(run, report_dir);
        std::printf("report:     %s\n", (std::filesystem::path(report_dir) / "report.md").c_str());
    }
    return 0;
}

}  // namespace

void add_analyze_commands(CLI::App& app, command_table& table) {
    auto* analyze_cmd = app.add_subcommand(
        "analyze", "what a run's tables compute (fan-in, constants, gates, dead nodes) and its learning curves");
    auto opt = std::make_shared<analyze_options>();
    analyze_cmd->add_option("runs", opt->runs, "run directory or run.h5; give two to compare them")
        ->required()
        ->expected(1, 2);
    analyze_cmd->add_option("--report", opt->report_dir, "write DIR/report.md with plots (needs gnuplot)")
        ->type_name("DIR");
    table.add(*analyze_cmd, [opt] { return cmd_analyze(opt->runs, opt->report_dir); });
}

}  // namespace lutra::experiments::commands
