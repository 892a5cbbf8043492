#pragma once
// The `lutra` command line: parses argv, sets up logging, runs a subcommand.
// Returns the process exit code: 0 on success, 1 for a lutra::error (printed
// with its context), 2 for a usage error (CLI11 prints the help hint).

namespace lutra::experiments {

int run_cli(int argc, char** argv);

}  // namespace lutra::experiments
