#pragma once
// `lutra sweep collect SWEEP_DIR`: one table of every point of a sweep — its
// swept values, and for a finished point its results read from its run
// directory — as CSV and as h5py-friendly HDF5 columns, the best point by a
// metric, and a plot of the metric against each swept parameter
// (docs/sweeps.md, "Collecting results", lists every column).
//
// Every point has a row: a point that is not done (failed, stopped, running,
// pending) keeps its state and reason with empty (NaN) results, never
// dropped. A point reported done whose run cannot be read (not finished,
// damaged) is listed as failed with the reader's error as its reason.
//
// SWEEP_DIR/results/ is published whole (core/publish.hpp): written into a
// temporary sibling, COMPLETE last, then moved into place, replacing the
// previous collection; a kill or a full disk leaves the old results or the
// new, never half a table.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lutra::experiments {

// One point, from the sweep's status.
struct sweep_point_result_input {
    std::size_t index = 0;
    std::string id;                   // 8 hex digits
    std::filesystem::path dir;        // the point directory (run/ is below it)
    std::vector<std::string> values;  // YAML text of each swept parameter's value, in parameter order
    std::string state;                // done | failed | stopped | running | pending
    std::string reason;               // why, for failed (may be empty)
};

struct collect_request {
    std::filesystem::path sweep_dir;
    std::string sweep_name;
    std::vector<std::string> parameters;           // swept YAML paths, e.g. "train.tau", "seed"
    std::vector<sweep_point_result_input> points;  // every point, in index order
    std::string metric = "final_test_accuracy";    // the column "best" and the plots use; higher is better
};

// A point that is not done, as the table lists it.
struct not_done_point {
    std::size_t point = 0;  // into request.points
    std::string state;      // failed | stopped | running | pending
    std::string reason;     // the request's, or why a done point's run could not be read
};

struct collect_result {
    std::filesystem::path dir, csv, h5;        // SWEEP_DIR/results, results/points.csv, results/points.h5
    std::vector<std::filesystem::path> plots;  // one PNG per swept parameter
    std::optional<std::size_t> best;           // index into request.points of the best done point
    std::size_t done = 0, not_done = 0;        // not_done: failed, stopped, running or pending
    // Added for describe_collection and the CLI:
    double best_value = 0;                        // the metric of the best point (when best)
    std::vector<not_done_point> not_done_points;  // every point not done, in index order
    std::vector<std::string> columns;             // the table's columns, in order
    std::string plots_missing;                    // why there are no plots (gnuplot missing), else empty
};

// The run's result columns every table has, in table order (per-population
// columns follow them, named "<population>.<quantity>", one set for each
// population the done points have). Any of these, or a population column
// of the table, may be the metric.
[[nodiscard]] std::span<const std::string_view> run_result_columns();

// Reads every done point's run, writes SWEEP_DIR/results (see the file
// comment) and returns what it wrote. An unknown metric is a
// lutra::unknown_name_error listing the valid ones (nothing is written);
// gnuplot missing leaves the plots out (plots_missing says so); failing to
// write is a lutra::io_error naming the file.
collect_result collect_sweep(const collect_request& request);

// What the CLI prints after collecting: the counts, the best point (index,
// id, values, metric), every point not done with its state and reason, and
// where the files are.
[[nodiscard]] std::string describe_collection(const collect_request& request, const collect_result& result);

}  // namespace lutra::experiments
