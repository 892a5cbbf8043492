// `lutra config keys [WHAT]`: every key of a settings struct with its type
// (range or choices), default and doc, listed from the same describe()
// that reads and writes the YAML (config.hpp), so the list cannot drift
// from what the reader accepts.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/names.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/settings.hpp"
#include "lutra/plasticity/catalogue.hpp"

namespace lutra::experiments::commands {

namespace {

// A settings struct a user writes YAML for, by the name `config keys` takes.
struct settings_entry {
    std::string_view name;
    std::string_view read_by;  // the commands that read it
    std::vector<config_key_doc> (*keys)();
};

// Every rule of the catalogue as a section named after it: the keys a
// schedule entry `{rule: NAME, ...}` takes besides `rule`.
std::vector<config_key_doc> rule_keys() {
    const plasticity::rule_catalogue& rules = plasticity::catalogue();
    return config_keys([&rules](core::schema_visitor& v) {
        for (const std::string_view name : rules.names()) {
            const plasticity::rule_entry& entry = rules.at(name);
            plasticity::rule_params params = entry.defaults;
            v.section(name, [&params](core::schema_visitor& sub) { params.describe_fields(sub); }, entry.doc);
        }
    });
}

constexpr std::array settings_table{
    settings_entry{"experiment", "lutra run", list_keys<experiment_settings>},
    settings_entry{"genome", "lutra genome, an experiment's genome_file and its genome section",
                   list_keys<topology::genome>},
    settings_entry{"bench-infer", "lutra bench infer", list_keys<infer_bench_settings>},
    settings_entry{"bench-simulate", "lutra bench simulate", list_keys<simulate_bench_settings>},
    settings_entry{"data", "lutra data show and an experiment's data section", list_keys<data_settings>},
    settings_entry{"rules", "an experiment's train.schedule[].rules[] entries, by rule (RULE.KEY)", rule_keys},
};

constexpr std::array<std::string_view, settings_table.size()> settings_names = [] {
    std::array<std::string_view, settings_table.size()> names{};
    for (std::size_t i = 0; i < names.size(); ++i) names[i] = settings_table[i].name;
    return names;
}();

// One line per key: key, type, default and doc in aligned columns.
int cmd_config_keys(const std::string& what) {
    const auto* entry = std::find_if(settings_table.begin(), settings_table.end(),
                                     [&](const settings_entry& e) { return e.name == what; });
    if (entry == settings_table.end())  // the option's check lets only valid names through
        throw internal_error("config keys: no settings named '" + what + "'");
    const std::vector<config_key_doc> keys = entry->keys();
    std::size_t key_width = 3, type_width = 4, default_width = 7;
    for (const config_key_doc& k : keys) {
        key_width = std::max(key_width, k.path.size());
        type_width = std::max(type_width, k.type.size());
        default_width = std::max(default_width, k.default_value.size());
    }
    std::printf("# %s settings, read by %s: %zu keys\n", std::string(entry->name).c_str(),
                std::string(entry->read_by).c_str(), keys.size());
    const auto row = [&](const std::string& key, const std::string& type, const std::string& value,
                         const std::string& doc) {
        std::string line = key;
        line.append(key_width + 2 - key.size(), ' ');
        line += type;
        line.append(type_width + 2 - type.size(), ' ');
        line += value;
        if (!doc.empty()) {
            line.append(default_width + 2 - value.size(), ' ');
            line += doc;
        }
        std::printf("%s\n", line.c_str());
    };
    row("key", "type", "default", "doc");
    for (const config_key_doc& k : keys) row(k.path, k.type, k.default_value, k.doc);
    return 0;
}

}  // namespace

void add_config_commands(CLI::App& app, command_table& table) {
    auto* config_cmd = app.add_subcommand("config", "what the YAML settings files may contain");
    config_cmd->require_subcommand(1);
    auto* keys_cmd = config_cmd->add_subcommand(
        "keys", "every key of a settings file with its type (range or choices), default and doc");
    auto what = std::make_shared<std::string>("experiment");
    keys_cmd
        ->add_option("what", *what,
                     "which settings: experiment (lutra run, lutra simulate), genome, bench-infer (lutra bench infer), "
                     "bench-simulate (lutra bench simulate), data "
                     "(lutra data show) or rules (the plasticity rules' parameters)")
        ->check(CLI::Validator(
            [](std::string& name) -> std::string {
                if (std::find(settings_names.begin(), settings_names.end(), name) != settings_names.end()) return "";
                return "unknown settings '" + name + "'" + core::did_you_mean(name, settings_names) +
                       "; valid: " + core::join_names(settings_names);
            },
            "", "settings name"))
        ->type_name("WHAT")
        ->capture_default_str();
    table.add(*keys_cmd, [what] { return cmd_config_keys(*what); });
}

}  // namespace lutra::experiments::commands
