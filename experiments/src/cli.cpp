// run_cli (cli.hpp): the `lutra` app, its global options, one registration
// line per subcommand group (commands/), and the exit codes: 0 success, 1 bad
// input (lutra::error), 2 usage, 3 internal error, 75 stopped by a signal
// (run_stopped).
#include "lutra/experiments/cli.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <string>

#include "commands/commands.hpp"
#include "lutra/core/error.hpp"
#include "lutra/experiments/runner.hpp"

namespace lutra::experiments {

namespace {

void setup_logging(int verbosity, bool quiet) {
    auto logger = spdlog::stderr_color_mt("lutra");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("[%H:%M:%S] [%^%l%$] %v");
    spdlog::set_level(quiet ? spdlog::level::warn
                            : verbosity >= 2 ? spdlog::level::trace
                            : verbosity == 1 ? spdlog::level::debug
                                             : spdlog::level::info);
}

// CLI11 converts an unsigned option's text with strtoull, which takes "-1"
// and wraps it to the largest value: `--seed -1` would run with seed
// 18446744073709551615. Every option CLI11 itself types as unsigned (type
// name UINT, set from the variable's type) refuses a sign instead, in every
// subcommand, present and future.
void refuse_negative_unsigned(CLI::App& app) {
    static const CLI::Validator non_negative(
        [](const std::string& value) -> std::string {
            const std::size_t first = value.find_first_not_of(" \t");
            if (first != std::string::npos && value[first] == '-')
                return "expected a non-negative integer, got " + value;
            return {};
        },
        "", "non-negative");
    for (CLI::Option* option : app.get_options())
        if (option->get_type_name() == "UINT") option->check(non_negative);
    for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) refuse_negative_unsigned(*sub);
}

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{"Lutra: networks of look-up-table neurons — simulate, train, map to FPGA", "lutra"};
    app.require_subcommand(1);
    int verbosity = 0;
    bool quiet = false;
    app.add_flag("-v,--verbose", verbosity, "more log output (repeat for more)");
    app.add_flag("-q,--quiet", quiet, "only warnings and errors; no progress display");

    // One line per subcommand group (commands/commands.hpp), in the order
    // `lutra --help` lists them.
    commands::command_table table;
    commands::add_version_commands(app, table);
    commands::add_data_commands(app, table);
    commands::add_bench_commands(app, table);
    commands::add_run_commands(app, table);
    commands::add_simulate_commands(app, table);
    commands::add_eval_commands(app, table);
    commands::add_analyze_commands(app, table);
    commands::add_export_commands(app, table);
    commands::add_genome_commands(app, table);
    commands::add_config_commands(app, table);
    commands::add_sweep_commands(app, table);
    refuse_negative_unsigned(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    setup_logging(verbosity, quiet);

    try {
        if (const commands::command_table::action* run = table.chosen(app)) return (*run)();
    } catch (const run_stopped& e) {
        // Not a failure: asked to stop, it stopped where it can go on (or start again).
        spdlog::warn("{}", e.what());
        return exit_stopped;
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
