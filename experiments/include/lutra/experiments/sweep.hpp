#pragma once
// Parameter sweeps (docs/sweeps.md): a sweep file names a base experiment
// and the values to try; planning turns it into points, each one experiment
// config, and a sweep directory holds one run directory per point.
//
//     name: tau-lr
//     base: ../mnist-small.yaml          # relative to the sweep file
//     set: {train.epochs: 3}             # every point
//     grid:                              # every combination
//       train.tau: [2, 3.3]
//       train.optimizer.learning_rate: [0.01, 0.03]
//     zip: {data.encoder.bits: [2, 3], genome.inputs.bits: [2, 3]}   # walked together
//     random: {points: 4, seed: 1, parameters: {train.tau: {uniform: [1, 5]}}}
//     seeds: 3                           # seed = 1, 2, 3 (or a list)
//
// The axes (each grid parameter, the zip, the random draws, the seeds) are
// combined as a product, the first varying slowest, so the seeds of one
// setting are neighbours. A point's id is a hash of its overrides alone
// (`set` and swept values, canonical YAML): the same setting has the same id
// in any sweep, whatever its index. The sweep's hash covers the resolved base
// config and every point's overrides: a sweep directory belongs to one hash.
//
// Every point's config is checked when the sweep is planned — parsed over the
// base with its overrides, and checked as `lutra run` checks before loading
// data — so a bad value is reported at its line in the sweep file before
// anything is written or submitted.
//
// A sweep directory (published whole when created, core/publish.hpp):
//
//     SWEEP_DIR/sweep.yaml                     the sweep file as given
//     SWEEP_DIR/plan.yaml                      what Lutra planned (read back by every command)
//     SWEEP_DIR/points/0003-1f3a9c2e/          a point: index, id
//         config.yaml, overrides.yaml          its resolved config, its overrides
//         run/                                 its run directory (runner.hpp)
//         attempt.yaml                         the last attempt: running, done, stopped or failed, and why
//         log                                  every attempt's output, appended
//     SWEEP_DIR/slurm/                         job scripts and the jobs submitted (sweep_run.hpp)
//     SWEEP_DIR/results/                       `lutra sweep collect` (sweep_collect.hpp)

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lutra::experiments {

// One override: a config path and its value as YAML text ("3.3", "[1, 2]").
struct sweep_value {
    std::string path;
    std::string value;
    friend bool operator==(const sweep_value&, const sweep_value&) = default;
};

struct sweep_point {
    std::size_t index = 0;
    std::string id;                      // 8 hex digits, a hash of `overrides`
    std::vector<sweep_value> overrides;  // `set` first, then the swept values in parameter order
    std::vector<std::string> values;     // the swept values alone, in parameter order
    [[nodiscard]] std::string dir_name() const;  // "0003-1f3a9c2e"
    [[nodiscard]] std::vector<std::string> set_texts() const;  // "path=value", as --set takes them
};

// Where and how Slurm runs the points (sweep file `slurm:`, overridden by flags).
struct slurm_settings {
    std::string partition;          // empty = the cluster's default
    std::string account;
    std::string qos;
    std::string time = "01:00:00";  // per task: minutes, MM:SS, HH:MM:SS, D-HH[:MM[:SS]]
    std::string mem;                // e.g. 4G; empty = the cluster's default
    unsigned cpus_per_task = 0;     // 0 = the cluster's default; also the run's threads
    unsigned parallel = 0;          // at most this many tasks at once (%P); 0 = no limit
    unsigned signal_seconds = 120;  // the warning (SIGUSR1) this long before the limit
    std::vector<std::string> sbatch;  // further sbatch options, e.g. --constraint=avx512
    friend bool operator==(const slurm_settings&, const slurm_settings&) = default;
};

// Whether `t` is a time limit sbatch takes: minutes, MM:SS, HH:MM:SS, D-HH,
// D-HH:MM or D-HH:MM:SS.
[[nodiscard]] bool is_slurm_time(std::string_view t);

// Points above this need --force: a typo such as a grid of 1000 values is
// more likely than a wish to run 10,000 experiments.
inline constexpr std::size_t default_max_points = 1000;

struct sweep_plan {
    std::string name;                     // sweeps/NAME
    std::string hash;                     // 16 hex digits
    std::string sweep_text;               // the sweep file as given
    std::filesystem::path sweep_file;     // where it was read (empty when opened from a directory)
    std::string base_yaml;                // the base experiment, resolved (genome inline)
    std::vector<std::string> parameters;  // the swept paths, in axis order
    std::vector<sweep_point> points;
    slurm_settings slurm;
};

struct plan_options {
    bool force = false;  // allow more than max_points
};

// Reads and checks a sweep file and every point's config (see the file
// comment). Throws config_error at the sweep file's line and YAML path, or
// the base config's.
[[nodiscard]] sweep_plan plan_sweep(const std::filesystem::path& sweep_file, plan_options options = {});

// The resolved experiment config of a point: the base with its overrides,
// named "<sweep>-<dir_name>".
[[nodiscard]] std::string point_config_yaml(const sweep_plan& plan, const sweep_point& point);

// The sweep directory: created (published whole) when absent; an existing one
// must hold the same plan (its hash), else lutra::error naming both hashes.
void create_sweep_dir(const sweep_plan& plan, const std::filesystem::path& dir);
// Reads SWEEP_DIR/plan.yaml (io_error when it is not a sweep directory).
[[nodiscard]] sweep_plan open_sweep_dir(const std::filesystem::path& dir);
// Whether `path` is a sweep directory (it holds plan.yaml).
[[nodiscard]] bool is_sweep_dir(const std::filesystem::path& path);

[[nodiscard]] std::filesystem::path point_dir(const std::filesystem::path& sweep_dir, const sweep_point& point);

// The listing `lutra sweep plan` prints: one line per point.
[[nodiscard]] std::string describe_plan(const sweep_plan& plan);

}  // namespace lutra::experiments
