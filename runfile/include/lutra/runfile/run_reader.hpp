#pragma once
// A read-only view of a run file, run.h5 (layout: layout.hpp, explained in
// docs/run-file.md), for analysis, export and evaluation; run_file reads
// through it too.
//
// Every problem — not a file, not HDF5, truncated, damaged (a checksum that
// fails), not a run file, a newer format_version, a missing or malformed
// object, a size larger than the file can hold — is a lutra::io_error naming
// the file, the operation and the object; HDF5 prints nothing. No size read
// from the file is allocated before it is checked against the bytes stored.
// HDF5 is the serial library: use readers from one thread at a time.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/encoder.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/population.hpp"
#include "lutra/runfile/layout.hpp"

namespace lutra::runfile {

// The newest /@format_version this reader understands: the layout's.
inline constexpr std::uint32_t max_format_version = layout::format_version;

// The root attributes a writer gives run_file::create; /@format and
// /@format_version are the library's own.
struct run_attributes {
    std::string lutra_version;  // the Lutra that wrote the file, e.g. "0.1.0"
    std::uint64_t seed = 0;     // the run's seed
    std::string genome_hash;    // topology::hash_hex of the developed graph (16 hex digits); empty without a genome
    friend bool operator==(const run_attributes&, const run_attributes&) = default;
};

// Every root attribute but /@format, as read back.
struct stored_attributes : run_attributes {
    std::uint32_t format_version = 0;  // 1..max_format_version
    friend bool operator==(const stored_attributes&, const stored_attributes&) = default;
};

// One /metrics row: one epoch evaluated on one split (docs/run-file.md says
// which rows `lutra run` writes).
struct metrics_row {
    std::uint32_t epoch = 0;  // epochs finished: 1 = after the first (lutra run writes no epoch 0)
    std::string split;        // 1..16 ASCII bytes: "train", "test" or "test_relaxed" from lutra run
    double loss = 0;          // mean loss over the split
    double accuracy = 0;      // fraction correct, 0..1
    double seconds = 0;       // wall time since the run started
    friend bool operator==(const metrics_row&, const metrics_row&) = default;
};

// /encoder: the fitted encoder with its kind (as configured) and the image
// shape of the dataset it was fitted on.
struct stored_encoder {
    core::encoder encoder;
    std::string kind;         // e.g. "thermometer"
    std::uint32_t width = 0;  // the image shape of the dataset it was fitted on
    std::uint32_t height = 0;
    std::uint32_t channels = 0;  // num_features / (width · height)
};

// What is wrong with an encoder stored with this image shape — the shape
// must account for every feature and each bit's coordinates must be its
// feature's — or "" when nothing is. Run-file writers check with it too.
[[nodiscard]] std::string encoder_shape_problem(const core::encoder& enc, std::uint32_t width, std::uint32_t height,
                                                std::uint32_t channels);

// One quantity of a rule's per-node summary, e.g. "gain_mean".
struct rule_quantity {
    std::string name;           // lower-case letters, digits and '_', not "epoch"
    std::vector<float> values;  // rows × the population's nodes; NaN where the rule has no value
    // Bit for bit, so NaNs read back equal what was written.
    friend bool operator==(const rule_quantity& a, const rule_quantity& b);
};

// /stats/<population>/rules/<rule>: a plasticity rule's per-node summary
// (plasticity::rule::summarize) of the population. A rule has a row only
// at the recorded epochs of the phases it was active in, so its epochs are
// a subset of /stats/epoch. A writer gives one row (epochs is then ignored:
// the row is append_stats's epoch); a quantity a row lacks is stored as NaN.
struct rule_stats {
    std::string rule;                       // the rule's catalogue name, e.g. "greedy"
    std::vector<std::uint32_t> epochs;      // the epoch of each row, ascending
    std::vector<rule_quantity> quantities;  // in the order the rule first gave them
    friend bool operator==(const rule_stats&, const rule_stats&) = default;
};

// /stats/<population>: per-node statistics (core::measure_nodes), one row
// per recorded epoch; matrices are row-major, rows × nodes. A writer fills
// one row at a time with the same struct.
struct population_stats {
    std::string population;
    std::vector<std::uint32_t> nodes;         // network node ids, the columns
    std::vector<float> activation_rate;       // fraction of samples with output 1
    std::vector<float> entropy;               // H(activation_rate), bits
    std::vector<std::uint32_t> flips;         // table entries changed by the epoch's training
    std::vector<float> sensitivity;           // fraction of decisions that change when the node is inverted; may be empty
    std::vector<float> grad_abs_mean;         // mean |dL/dy| over the epoch's training samples (relaxed engine)
    std::uint32_t usage_k = 0;                // entry_usage has 2^usage_k counters per node
    std::vector<std::uint32_t> entry_usage;   // rows × nodes × 2^usage_k samples per address; may be empty
    std::vector<rule_stats> rules;            // the rules' summaries, in the order first recorded; may be empty
    friend bool operator==(const population_stats&, const population_stats&) = default;
};

struct run_stats {
    std::uint64_t samples = 0;          // /stats/@samples: samples measured on
    std::string split;                  // /stats/@split: "train" or "test"
    std::vector<std::uint32_t> epochs;  // /stats/epoch: the epoch of each row
    std::vector<population_stats> populations;
    [[nodiscard]] std::size_t rows() const noexcept { return epochs.size(); }
    friend bool operator==(const run_stats&, const run_stats&) = default;
};

// /spikes/<population>: one population's spikes in SONATA's layout
// (layout.hpp says what a spike is). A writer gives them sorted by time,
// ties by node id (sorting by_time); a reader gets them as stored.
struct spike_data {
    std::string population;
    layout::spike_sorting sorting = layout::spike_sorting::by_time;  // the order the file claims (and has)
    std::vector<std::uint64_t> node_ids;                              // index in the population, < its size
    std::vector<double> timestamps_ms;                                // ms from tick 0; one per node id
    friend bool operator==(const spike_data&, const spike_data&) = default;
};

// How a timed run was recorded: /activity/<population>'s attributes.
struct recording {
    std::uint64_t ticks = 0;    // ticks run (0 .. ticks − 1)
    std::uint64_t streams = 1;  // parallel streams, ≥ 1; spikes come from one of them
    double tick_ms = 1.0;       // milliseconds a tick lasts, > 0
    std::string engine;         // the engine that ran it: "event" or "stepped" (core::time_engine_kind)
    friend bool operator==(const recording&, const recording&) = default;
};

// /activity/<population>: per node, output changes summed over all streams
// (core::timed_engine::toggles of the population's nodes; tick 0's output is
// compared with 0), at most ticks × streams each.
struct population_activity {
    std::string population;
    runfile::recording recording;
    std::vector<std::uint64_t> toggles;  // one per node of the population, in population order
    friend bool operator==(const population_activity&, const population_activity&) = default;
};

// What is wrong with spikes of a population of `nodes` nodes — a node id
// out of range, lengths that differ, a timestamp not finite or negative, an
// order the sorting does not hold — or "" when nothing is. With `recorded`,
// also a timestamp at or after its end (ticks × tick_ms). The writer and
// the reader both check with it.
[[nodiscard]] std::string spikes_problem(const spike_data& spikes, std::uint64_t nodes,
                                         const recording* recorded = nullptr);
// The same for activity: toggles one per node, each at most ticks × streams;
// streams ≥ 1; tick_ms finite and > 0; an engine core has (core::to_string(time_engine_kind)).
[[nodiscard]] std::string activity_problem(const population_activity& activity, std::uint64_t nodes);

class run_reader {
public:
    // Opens `path`, a run.h5 or a run directory holding one, read-only, and
    // checks /@format and /@format_version. A file in HDF5's old format,
    // without checksums (format_version 1 and foreign files), is first read
    // whole in a child process: damage there can crash HDF5 itself, so a
    // crash (or a read longer than unchecked_read_seconds) becomes an
    // io_error here instead (docs/run-file.md, "Checksums and damage").
    explicit run_reader(const std::filesystem::path& path);
    static constexpr unsigned unchecked_read_seconds = 5;
    run_reader(run_reader&& other) noexcept;
    run_reader& operator=(run_reader&& other) noexcept;
    run_reader(const run_reader&) = delete;
    run_reader& operator=(const run_reader&) = delete;
    ~run_reader();

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::uint32_t format_version() const noexcept { return format_version_; }
    [[nodiscard]] stored_attributes attributes() const;
    // Whether the run that wrote the file finished: /@finished is 1 (a
    // format_version 1 file: /network exists, as it was written last).
    [[nodiscard]] bool finished() const;
    // The network arrays, validated by core::network's constructor, and
    // /network/level checked against the levels they give.
    [[nodiscard]] core::network network() const;
    // /network/populations/<name>, in creation (gene) order; empty for networks
    // built without populations.
    [[nodiscard]] std::vector<core::population> populations() const;
    [[nodiscard]] std::vector<metrics_row> metrics() const;
    // /stats, with every shape checked against /stats/epoch and the
    // population's nodes; has_stats() is false for runs recorded without.
    [[nodiscard]] bool has_stats() const;
    [[nodiscard]] run_stats stats() const;
    // /spikes: the populations with spikes, in the order written (empty
    // without /spikes), and one population's, checked by spikes_problem
    // against its /network population and, when it has /activity, its recording.
    [[nodiscard]] std::vector<std::string> spike_populations() const;
    [[nodiscard]] spike_data spikes(std::string_view population) const;
    // /activity: the populations with activity, in the order written (empty
    // without /activity), and one population's, checked by activity_problem.
    [[nodiscard]] std::vector<std::string> activity_populations() const;
    [[nodiscard]] population_activity activity(std::string_view population) const;
    // /encoder, checked by core::encoder::from_parts and encoder_shape_problem.
    [[nodiscard]] stored_encoder encoder() const;
    // /<name>: a scalar text such as "config" or "genome". `name` is one path
    // component (non-empty, not ".", without '/'); another is a lutra::error.
    [[nodiscard]] std::string read_text(std::string_view name) const;
    // Reads every part the file holds (each optional one when present), so
    // that damage anywhere — a checksum that fails, a size that disagrees —
    // is an io_error now rather than when that part is needed.
    void verify() const;
    // Whether a root object /<name> exists; `name` as for read_text.
    [[nodiscard]] bool has(std::string_view name) const;

private:
    struct vetted {};  // the file was already read whole in a child process
    run_reader(const std::filesystem::path& path, vetted);
    std::filesystem::path path_;
    std::int64_t file_ = -1;  // hid_t, kept as a plain integer so no HDF5 header leaks
    std::uint32_t format_version_ = 0;
};

}  // namespace lutra::runfile
