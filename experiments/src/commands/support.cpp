// The helpers of support.hpp, and command_table::chosen (commands.hpp).
#include "support.hpp"

#include <fstream>

#include "commands.hpp"
#include "lutra/core/cpu.hpp"

namespace lutra::experiments::commands {

void config_options::add_to(CLI::App& cmd, const std::string& what) {
    cmd.add_option("config", file, "YAML file with the " + what + " (defaults when omitted)");
    cmd.add_option("--set", overrides, "override one setting, e.g. --set samples=4096 (repeatable)")
        ->type_name("PATH=VALUE");
    cmd.add_flag("--print-config", print, "print the resolved YAML and exit");
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown processor";
}

std::string supported_isas() {
    std::string s;
    for (core::isa set : core::all_isas)
        if (core::isa_supported(set)) s += (s.empty() ? "" : ", ") + std::string(core::to_string(set));
    return s;
}

const command_table::action* command_table::chosen(const CLI::App& app) const {
    const action* found = nullptr;
    for (const CLI::App* at = &app;;) {
        for (const auto& [cmd, run] : actions_)
            if (cmd == at) found = &run;
        const std::vector<CLI::App*> given = at->get_subcommands();
        if (given.empty()) return found;
        at = given.back();
    }
}

}  // namespace lutra::experiments::commands
