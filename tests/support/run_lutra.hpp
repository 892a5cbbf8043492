#pragma once
// Runs the real `lutra` binary (LUTRA_BINARY, set by the test build) as a
// user would, and returns its exit code and everything it printed.

#include <string>

#include "support/run_command.hpp"

namespace lutra::test {

inline run_result run_lutra(const std::string& args) { return run_command(std::string(LUTRA_BINARY) + " " + args); }

}  // namespace lutra::test
