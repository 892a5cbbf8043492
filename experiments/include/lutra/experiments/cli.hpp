#pragma once
// The `lutra` command line: parses argv, sets up logging, runs a subcommand.
// Returns the process exit code: 0 on success, 1 for a lutra::error (printed
// with its context), 2 for a usage error (CLI11 prints the help hint), 3 for
// an internal error, exit_stopped when a signal stopped training.

namespace lutra::experiments {

// `lutra run` stopped at a safe point by a signal (stop.hpp, run_stopped):
// sysexits.h's EX_TEMPFAIL, "try again later" — resume the run.
inline constexpr int exit_stopped = 75;

int run_cli(int argc, char** argv);

}  // namespace lutra::experiments
