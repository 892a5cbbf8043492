// `lutra data [list]` and `lutra data show`: the dataset catalogue, and one
// dataset loaded, encoded and counted.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/memory.hpp"
#include "lutra/experiments/settings.hpp"
#include "support.hpp"

namespace lutra::experiments::commands {

namespace {

int cmd_data_list() {
    const auto datasets = data::list_datasets();
    std::size_t width = 4;
    for (const auto& d : datasets) width = std::max(width, d.name.size());
    std::printf("%-*s  %-9s  %s\n", static_cast<int>(width), "name", "status", "description");
    bool missing = false;
    for (const auto& d : datasets) {
        std::printf("%-*s  %-9s  %s\n", static_cast<int>(width), d.name.c_str(), d.installed ? "installed" : "MISSING",
                    d.description.c_str());
        std::printf("%-*s             %s\n", static_cast<int>(width), "", d.location.c_str());
        if (!d.installed) {
            std::printf("%-*s             install: %s\n", static_cast<int>(width), "", d.install_hint.c_str());
            missing = true;
        }
    }
    if (missing) std::printf("\nMissing datasets are installed by `bash .ci/setup` (see README).\n");
    return 0;
}

struct data_show_options {
    config_options cfg;
    std::string name;
};

int cmd_data_show(data_show_options opt) {
    if (!opt.name.empty()) opt.cfg.overrides.insert(opt.cfg.overrides.begin(), "name=" + opt.name);
    const config_options& cfg = opt.cfg;
    const auto s = cfg.load<data_settings>();
    if (cfg.print) {
        std::cout << to_yaml(s);
        return 0;
    }
    check_memory(estimate_memory(s, data::dataset_shape_of(s.name, {.seed = s.seed,
                                                                    .train_samples = s.train_samples,
                                                                    .test_samples = s.test_samples})),
                 cfg.source(), "loading the dataset");
    spdlog::info("loading {}", s.name);
    const core::dataset data = load_data(s);
    const core::encoder enc = core::encoder::fit(s.encoder, data);
    std::printf("dataset:   %s, %u × %u × %u features, %u classes\n", data.name.c_str(), data.width, data.height,
                data.channels, data.num_classes);
    for (const auto* split : {&data.train, &data.test}) {
        const bool train = split == &data.train;
        std::vector<std::size_t> per_class(data.num_classes, 0);
        for (auto label : split->labels) ++per_class[label];
        const core::bit_matrix bits = enc.encode(*split);
        std::size_t ones = 0;
        for (std::size_t r = 0; r < bits.rows(); ++r) ones += bits.count(r);
        const double density = split->size() && bits.rows()
                                   ? static_cast<double>(ones) / (static_cast<double>(split->size()) * static_cast<double>(bits.rows()))
                                   : 0.0;
        std::printf("%-9s  %zu samples, %.1f%% of input bits set, per class:", train ? "train:" : "test:",
                    split->size(), density * 100);
        for (auto n : per_class) std::printf(" %zu", n);
        std::printf("\n");
    }
    std::printf("encoder:   %s, %u input bits (%u per feature)\n", s.encoder.kind.c_str(), enc.num_bits(),
                enc.num_features() ? enc.num_bits() / enc.num_features() : 0);
    return 0;
}

}  // namespace

void add_data_commands(CLI::App& app, command_table& table) {
    auto* data = app.add_subcommand("data", "list datasets (installed or not) or inspect one");
    auto* data_list = data->add_subcommand("list", "list every dataset, where it is and how to install it");
    auto* data_show = data->add_subcommand("show", "load a dataset, encode it and print its statistics");
    auto show = std::make_shared<data_show_options>();
    show->cfg.add_to(*data_show, "data settings (name, samples, encoder)");
    data_show->add_option("--name", show->name, "dataset name; shorthand for --set name=NAME");
    // `lutra data` alone lists, as `lutra data list` does.
    table.add(*data, cmd_data_list);
    table.add(*data_list, cmd_data_list);
    table.add(*data_show, [show] { return cmd_data_show(*show); });
}

}  // namespace lutra::experiments::commands
