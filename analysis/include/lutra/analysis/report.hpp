#pragma once
// The analysis of one run file and its reports: text for the terminal, a
// comparison of two runs, and a report directory (report.md with PNG plots
// drawn by gnuplot).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lutra/analysis/run_reader.hpp"
#include "lutra/analysis/tables.hpp"

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

struct run_analysis {
    std::filesystem::path file;  // the run.h5 read
    run_attributes attributes;
    std::uint32_t num_inputs = 0;  // input bits
    std::uint32_t num_nodes = 0;
    std::uint32_t num_classes = 0;         // head classes, 0 = no head
    std::uint32_t depth = 0;               // zero-delay levels
    std::vector<node_census> populations;  // in gene order, then nodes in no population
    std::vector<metrics_row> metrics;      // as stored
    std::vector<split_summary> splits;     // in order of first appearance
};

// Reads and analyses `path`, a run.h5 or a run directory.
[[nodiscard]] run_analysis analyze_run(const std::filesystem::path& path);

// What `lutra analyze RUN` prints.
[[nodiscard]] std::string format_analysis(const run_analysis& run);
// What `lutra analyze A B` prints: the two runs side by side.
[[nodiscard]] std::string format_comparison(const run_analysis& a, const run_analysis& b);

// Writes dir/report.md, the data and gnuplot script beside it, and the PNG
// plots (learning_curves.png, fan_in.png) by running `gnuplot`. Creates dir;
// throws lutra::io_error when gnuplot is missing or fails.
void write_report(const run_analysis& run, const std::filesystem::path& dir);

}  // namespace lutra::analysis
