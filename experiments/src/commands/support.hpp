#pragma once
// What several subcommand groups share: the options of a config-driven
// command and a description of this machine.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "lutra/experiments/config.hpp"

namespace lutra::experiments::commands {

// What every config-driven command takes: an optional YAML file, --set
// overrides, and --print-config to show the resolved settings and stop.
struct config_options {
    std::string file;
    std::vector<std::string> overrides;
    bool print = false;

    void add_to(CLI::App& cmd, const std::string& what);

    template <class T>
    [[nodiscard]] T load() const {
        return file.empty() ? parse_config<T>("", "<defaults>", overrides) : load_config<T>(file, overrides);
    }

    // Where the settings came from, for errors found after loading them.
    [[nodiscard]] config_source source() const { return {file.empty() ? "<defaults>" : file, overrides, {}}; }
};

// The processor's model name from /proc/cpuinfo, or "unknown processor".
[[nodiscard]] std::string cpu_model();

// The kernel instruction sets this processor runs, e.g. "portable, avx2".
[[nodiscard]] std::string supported_isas();

}  // namespace lutra::experiments::commands
