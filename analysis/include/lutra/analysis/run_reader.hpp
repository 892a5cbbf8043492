#pragma once
// A read-only view of a run file, run.h5 (layout: docs/run-file.md), for
// analysis. It reads HDF5 itself so analysis depends on core alone (DESIGN §2).
//
// Every problem — not a file, not HDF5, truncated, not a run file, a newer
// format_version, a missing or malformed object — is a lutra::io_error
// naming the file, the operation and what is wrong; HDF5 prints nothing.
// HDF5 is the serial library: use readers from one thread at a time.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lutra/core/encoder.hpp"
#include "lutra/core/network.hpp"

namespace lutra::analysis {

// The newest /@format_version this reader understands.
inline constexpr std::uint32_t max_format_version = 1;

struct run_attributes {
    std::uint32_t format_version = 0;  // 1..max_format_version
    std::string lutra_version;         // the Lutra that wrote the file
    std::uint64_t seed = 0;            // the run's seed
    std::string genome_hash;           // 16 hex digits, empty without a genome
};

// A named group of network nodes (/network/populations/<name>).
struct population {
    std::string name;
    std::vector<std::uint32_t> nodes;  // network node ids, in population order
};

// One /metrics row: one epoch evaluated on one split.
struct metrics_row {
    std::uint32_t epoch = 0;  // 0 = before training
    std::string split;        // "train" or "test"
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

class run_reader {
public:
    // Opens `path`, a run.h5 or a run directory holding one, read-only, and
    // checks /@format and /@format_version.
    explicit run_reader(const std::filesystem::path& path);
    run_reader(run_reader&& other) noexcept;
    run_reader& operator=(run_reader&& other) noexcept;
    run_reader(const run_reader&) = delete;
    run_reader& operator=(const run_reader&) = delete;
    ~run_reader();

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::uint32_t format_version() const noexcept { return format_version_; }
    [[nodiscard]] run_attributes attributes() const;
    // The network arrays, validated by core::network's constructor, and
    // /network/level checked against the levels they give.
    [[nodiscard]] core::network network() const;
    // In creation (gene) order; empty for networks built without populations.
    [[nodiscard]] std::vector<population> populations() const;
    [[nodiscard]] std::vector<metrics_row> metrics() const;
    // /encoder, checked by core::encoder::from_parts and encoder_shape_problem.
    [[nodiscard]] stored_encoder encoder() const;
    // /<name>: a scalar text such as "config" or "genome". `name` is one path
    // component (non-empty, not ".", without '/'); another is a lutra::error.
    [[nodiscard]] std::string read_text(const std::string& name) const;
    // Whether a root object /<name> exists; `name` as for read_text.
    [[nodiscard]] bool has(const std::string& name) const;

private:
    std::filesystem::path path_;
    std::int64_t file_ = -1;  // hid_t, kept as a plain integer so no HDF5 header leaks
    std::uint32_t format_version_ = 0;
};

}  // namespace lutra::analysis
