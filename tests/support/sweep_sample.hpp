#pragma once
// A small sweep directory as `lutra sweep` leaves it — three finished tiny
// runs, a failed point without a run and a pending one — and the request
// collect_sweep takes for it. Shared by test_sweep_collect and the
// sweep_collect_sample program (whose results the h5py test reads).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lutra/experiments/runner.hpp"
#include "lutra/experiments/sweep_collect.hpp"

namespace lutra::test {

// Majority of 15 bits in three epochs of a fraction of a second each, with /stats.
inline void write_sweep_config(const std::filesystem::path& file) {
    std::ofstream(file) << "name: sweep-point\n"
                           "seed: 1\n"
                           "data: {name: majority-15, train_samples: 800, test_samples: 200, "
                           "encoder: {kind: binarize}}\n"
                           "genome:\n"
                           "  inputs: {width: 15, height: 1, bits: 1}\n"
                           "  populations:\n"
                           "    - {name: hidden, size: 24, k: 4}\n"
                           "    - {name: out, size: 12, k: 3}\n"
                           "  projections:\n"
                           "    - {target: hidden, sources: [input], rule: random}\n"
                           "    - {target: out, sources: [hidden], rule: random}\n"
                           "  head: {population: out, classes: 2}\n"
                           "train: {epochs: 3, batch_size: 32, optimizer: {learning_rate: 0.05}}\n"
                           "stats: {every: 1, samples: 100, split: test}\n";
}

inline const std::vector<std::string> sample_parameters = {"seed", "train.optimizer.learning_rate",
                                                           "train.optimizer.kind"};

// Points 0..2 done, 3 failed (a reason with a comma, quotes and a line
// break, which CSV must quote), 4 pending.
inline experiments::collect_request make_sample_sweep(const std::filesystem::path& sweep_dir) {
    namespace fs = std::filesystem;
    fs::create_directories(sweep_dir / "points");
    const fs::path config = sweep_dir / "base.yaml";
    write_sweep_config(config);
    struct point {
        std::vector<std::string> values;
        std::string state;
        std::string reason;
    };
    const std::vector<point> points = {
        {{"1", "0.05", "adam"}, "done", ""},
        {{"2", "0.2", "adam"}, "done", ""},
        {{"1", "0.2", "sgd"}, "done", ""},
        {{"2", "0.05", "'sgd'"}, "failed", "exit status 1: \"out of memory\", see log\nlast line"},
        {{"3", "1e-1", "adam"}, "pending", ""},
    };
    experiments::collect_request request;
    request.sweep_dir = sweep_dir;
    request.sweep_name = "sample";
    request.parameters = sample_parameters;
    for (std::size_t i = 0; i < points.size(); ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "%08zx", 0x1f3a9c20 + i);
        char name[64];
        std::snprintf(name, sizeof name, "%04zu-%s", i, id);
        const fs::path dir = sweep_dir / "points" / name;
        fs::create_directories(dir);
        if (points[i].state == "done") {
            std::vector<std::string> overrides;
            for (std::size_t p = 0; p < sample_parameters.size(); ++p)
                overrides.push_back(sample_parameters[p] + "=" + points[i].values[p]);
            (void)experiments::run_experiment({config, overrides, dir / "run"});
        }
        request.points.push_back({i, id, dir, points[i].values, points[i].state, points[i].reason});
    }
    return request;
}

}  // namespace lutra::test
