#pragma once
// The analysis of one run file and its reports: text for the terminal, a
// comparison of two runs, and a report directory (report.md with PNG plots
// drawn by gnuplot).

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "lutra/analysis/tables.hpp"
#include "lutra/runfile/run_reader.hpp"

namespace lutra::analysis {

// The learning curve of one split, from its /metrics rows.
struct split_summary {
    std::string split;             // "train", "test"
    std::uint32_t epochs = 0;      // the highest epoch recorded
    double final_accuracy = 0;     // at the highest epoch, 0..1
    double final_loss = 0;         // at the highest epoch
    double best_accuracy = 0;      // the highest accuracy recorded, 0..1
    std::uint32_t best_epoch = 0;  // the first epoch reaching it
};

// One node in a most-sensitive list.
struct sensitive_node {
    std::uint32_t node = 0;        // network node id
    std::uint32_t index = 0;       // its place in the population
    float sensitivity = 0;         // fraction of decisions that change when it is inverted
    float activation_rate = 0;
    float grad_abs_mean = 0;
};

// A population's /stats: distributions from the last recorded row, and the
// flips of every row.
struct population_stats_summary {
    inline static constexpr std::size_t bins = 10;  // histograms over [0, 1] in tenths; 1.0 falls in the last
    std::string population;
    std::uint32_t nodes = 0;
    std::uint32_t epoch = 0;                        // of the last row
    std::array<std::uint32_t, bins> activation{};   // nodes per activation-rate bin
    std::array<std::uint32_t, bins> entropy{};      // nodes per entropy bin (bits)
    double mean_activation = 0;
    double mean_entropy = 0;
    std::uint32_t never_active = 0;                 // activation rate 0 on the samples
    std::uint32_t always_active = 0;                // activation rate 1
    double mean_grad_abs = 0;                       // mean over nodes of mean |dL/dy|
    std::vector<sensitive_node> most_sensitive;     // up to 10, most sensitive first (ties: lower node id)
    std::vector<std::pair<std::uint32_t, std::uint64_t>> flips;  // (epoch, entries changed) per row
};

// One plasticity rule's per-node summary (/stats/<population>/rules/<rule>)
// as curves: each quantity's mean over a population's nodes (NaNs left out;
// NaN when every node's is) at each epoch the rule has a row of.
struct rule_curves {
    std::string rule;
    std::vector<std::string> quantities;  // in the order first stored, over all populations
    struct population_curve {
        std::string population;
        std::vector<std::uint32_t> epochs;       // the rule's rows for this population
        std::vector<std::vector<double>> means;  // [quantity][row]; NaN for a quantity it lacks
    };
    std::vector<population_curve> populations;  // in /stats order, those the rule has rows for
};

// The rules of a run's /stats, in the order first met.
[[nodiscard]] std::vector<rule_curves> summarize_rules(const runfile::run_stats& stats);

// A population's record of a timed run (/spikes and /activity): its spike
// count and rate, its switching activity, and the raster to plot.
struct population_activity_summary {
    inline static constexpr std::size_t bins = 10;  // toggle-rate histogram over [0, 1] in tenths; 1.0 in the last
    inline static constexpr std::size_t max_raster_spikes = 200'000;  // the raster shows the first ones in time
    std::string population;
    std::uint64_t nodes = 0;
    bool has_spikes = false;
    bool has_activity = false;
    runfile::recording recording;  // with activity: ticks, streams, tick_ms, engine
    std::uint64_t spikes = 0;      // in the recorded stream
    std::uint64_t silent = 0;      // nodes without a spike
    // Spikes per node per second of the recorded stream: spikes / (nodes ·
    // ticks · tick_ms / 1000); NaN without activity (no recording length) or nodes.
    double mean_rate_hz = 0;
    // Output changes per node per tick and stream: toggles / (nodes · ticks ·
    // streams), 0..1; NaN without activity, nodes or ticks.
    double toggles_per_node_tick = 0;
    std::array<std::uint32_t, bins> toggle_rate{};  // nodes per bin of toggles / (ticks · streams)
    // The raster: each spike's tick (timestamp / tick_ms; without activity its
    // ms) and node id, the first max_raster_spikes in time.
    std::vector<double> raster_x;
    std::vector<std::uint64_t> raster_node;
    bool raster_cut = false;  // more spikes than max_raster_spikes
};

// The summary of one population of `nodes` nodes from its spikes and/or its activity (either may be null).
[[nodiscard]] population_activity_summary summarize_activity(const std::string& population, std::uint64_t nodes,
                                                             const runfile::spike_data* spikes,
                                                             const runfile::population_activity* activity);

struct run_analysis {
    std::filesystem::path file;  // the run.h5 read
    runfile::stored_attributes attributes;
    std::uint32_t num_inputs = 0;  // input bits
    std::uint32_t num_nodes = 0;
    std::uint32_t num_classes = 0;         // head classes, 0 = no head
    std::uint32_t depth = 0;               // zero-delay levels
    std::vector<node_census> populations;  // in gene order, then nodes in no population
    std::vector<runfile::metrics_row> metrics;  // as stored
    std::vector<split_summary> splits;     // in order of first appearance
    // From /stats (empty without): measured on stats_samples samples of stats_split.
    std::vector<population_stats_summary> stats;
    std::uint64_t stats_samples = 0;
    std::string stats_split;
    std::vector<rule_curves> rules;  // from /stats/<population>/rules (empty without)
    // From /spikes and /activity (empty without): populations with either, in gene order.
    std::vector<population_activity_summary> activity;
};

// The summary of one population's stats rows (`rows` > 0).
[[nodiscard]] population_stats_summary summarize_stats(const runfile::population_stats& p,
                                                       std::span<const std::uint32_t> epochs);

// Reads and analyses `path`, a run.h5 or a run directory.
[[nodiscard]] run_analysis analyze_run(const std::filesystem::path& path);

// What `lutra analyze RUN` prints.
[[nodiscard]] std::string format_analysis(const run_analysis& run);
// What `lutra analyze A B` prints: the two runs side by side.
[[nodiscard]] std::string format_comparison(const run_analysis& a, const run_analysis& b);

// Writes dir/report.md, the data and gnuplot script beside it, and the PNG
// plots (learning_curves.png, fan_in.png, and with /stats node_stats.png,
// flips.png and one rule_<rule>.png per rule; with /spikes one
// raster_<population>.png per population, with /activity activity.png) by
// running `gnuplot`. Creates dir,
// which must be new or empty (a report never replaces another), whole: the
// files go into a temporary sibling, COMPLETE is written last and the
// directory renamed into place (core/publish.hpp), so a kill or a full disk
// leaves no report that looks whole. Throws lutra::io_error when gnuplot is
// missing or fails, or a plot is cut short.
void write_report(const run_analysis& run, const std::filesystem::path& dir);

}  // namespace lutra::analysis
