#pragma once
// The `lutra` subcommands, one file per group in this folder. Each group's
// add_<group>_commands adds its subcommands, their options and help to the
// app, and puts in the table what each one does; run_cli (cli.cpp) calls
// every add_ function once, parses, sets up logging and runs the action of
// the subcommand given. Adding a group is its file here, one line in
// run_cli, one line in experiments/CMakeLists.txt and its test in
// tests/experiments/test_cli.cpp.

#include <CLI/CLI.hpp>
#include <functional>
#include <utility>
#include <vector>

namespace lutra::experiments::commands {

// What each subcommand does once the command line is parsed. An action
// returns the exit code (0) or throws: lutra::error for bad input,
// anything else for a bug (run_cli turns them into exit codes 1 and 3).
// Option values an action reads live in the lambda's captures (a
// shared_ptr to the group's option struct), since they must outlive the
// add_ function that declared them.
class command_table {
public:
    using action = std::function<int()>;

    // `cmd` runs `run` when it is the subcommand given.
    void add(const CLI::App& cmd, action run) { actions_.emplace_back(&cmd, std::move(run)); }

    // The action of the subcommand given: the deepest one on the parsed
    // command line that has an action (`lutra data` alone runs data's own).
    // Null when none has one.
    [[nodiscard]] const action* chosen(const CLI::App& app) const;

private:
    std::vector<std::pair<const CLI::App*, action>> actions_;
};

// In the order `lutra --help` lists them.
void add_version_commands(CLI::App& app, command_table& table);  // version
void add_data_commands(CLI::App& app, command_table& table);     // data [list], data show
void add_bench_commands(CLI::App& app, command_table& table);    // bench infer
void add_run_commands(CLI::App& app, command_table& table);      // run, run --resume
void add_simulate_commands(CLI::App& app, command_table& table); // simulate
void add_eval_commands(CLI::App& app, command_table& table);     // eval
void add_analyze_commands(CLI::App& app, command_table& table);  // analyze
void add_export_commands(CLI::App& app, command_table& table);   // export
void add_genome_commands(CLI::App& app, command_table& table);   // genome show|develop|encode|decode|mutate
void add_config_commands(CLI::App& app, command_table& table);   // config keys
void add_sweep_commands(CLI::App& app, command_table& table);    // sweep plan|run|run-one|status|collect

struct config_options;
int cmd_bench_simulate(const config_options& cfg);  // simulate_bench.cpp, a subcommand of bench

}  // namespace lutra::experiments::commands
