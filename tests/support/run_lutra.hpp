#pragma once
// Runs the real `lutra` binary (LUTRA_BINARY, set by the test build) as a
// user would, and returns its exit code and everything it printed.

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace lutra::test {

struct run_result {
    int exit_code;
    std::string output;  // stdout and stderr together
};

inline run_result run_lutra(const std::string& args) {
    const std::string command = std::string(LUTRA_BINARY) + " " + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) output += buffer.data();
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace lutra::test
