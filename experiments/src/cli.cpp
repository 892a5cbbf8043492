// run_cli (cli.hpp): the `lutra` app, its global options, one registration
// line per subcommand group (commands/), and the exit codes.
#include "lutra/experiments/cli.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "commands/commands.hpp"
#include "lutra/core/error.hpp"

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
    commands::add_eval_commands(app, table);
    commands::add_analyze_commands(app, table);
    commands::add_export_commands(app, table);
    commands::add_genome_commands(app, table);
    commands::add_config_commands(app, table);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    setup_logging(verbosity, quiet);

    try {
        if (const commands::command_table::action* run = table.chosen(app)) return (*run)();
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
