// `lutra version`: the version, the compiler, the processor and the kernels
// it can run.
#include <cstdio>
#include <string>
#include <thread>

#include "commands.hpp"
#include "lutra/core/cpu.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/data/datasets.hpp"
#include "support.hpp"

namespace lutra::experiments::commands {

namespace {

int cmd_version() {
    std::printf("lutra %s\n", LUTRA_VERSION);
#if defined(__clang__)
    std::printf("compiler:     clang %s\n", __clang_version__);
#else
    std::printf("compiler:     g++ %s\n", __VERSION__);
#endif
    std::printf("processor:    %s, %u hardware threads\n", cpu_model().c_str(), std::thread::hardware_concurrency());
    std::printf("kernels:      %s (using %s)\n", supported_isas().c_str(),
                std::string(core::to_string(core::best_isa())).c_str());
    std::printf("data dir:     %s\n", data::data_dir().c_str());
    return 0;
}

}  // namespace

void add_version_commands(CLI::App& app, command_table& table) {
    auto* version = app.add_subcommand("version", "print the version, the processor and the kernels it can run");
    table.add(*version, cmd_version);
}

}  // namespace lutra::experiments::commands
