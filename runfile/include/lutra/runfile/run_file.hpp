#pragma once
// The run file, run.h5 (DESIGN §7; the layout in layout.hpp, every field in
// docs/run-file.md): what a run stores so its trained network can be loaded again and evaluated — the
// resolved config, the genome, the network with its populations, the fitted
// encoder — and one metrics row per epoch and split, flushed as it is
// appended so a run killed at any moment keeps every finished row.
//
// Files are written in HDF5's checksummed format of 1.10 with a Fletcher-32
// checksum on every dataset holding data (format_version 2), so damage is
// refused rather than read. Everything read is checked before use; a file
// that is not HDF5, truncated, damaged, foreign, newer than this Lutra or
// malformed gives a lutra::io_error naming the file, what was being done and
// the path inside the file. Objects are
// written once: writing one that exists is an error, so nothing written is
// replaced.
//
// HDF5 here is the serial library: use run files from one thread at a time
// (all of them, not just each one).

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/encoder.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/population.hpp"
#include "lutra/runfile/layout.hpp"
#include "lutra/runfile/run_reader.hpp"

namespace lutra::runfile {

class run_file {
public:
    // A new file with the root attributes and an empty /metrics. An existing
    // file is an error (remove it first): a run never overwrites another.
    [[nodiscard]] static run_file create(const std::filesystem::path& path, const run_attributes& attributes);
    // Read-only. Checks that the file is HDF5, that /@format is "lutra-run" and
    // that /@format_version is 1..layout::format_version.
    [[nodiscard]] static run_file open(const std::filesystem::path& path);
    // As open(), but writable: to append metrics, or add what is missing. The
    // file's format_version must be layout::format_version, and every part of
    // it must read (run_reader::verify) before it is opened for writing, so a
    // damaged file is refused unchanged.
    [[nodiscard]] static run_file open_for_append(const std::filesystem::path& path);

    run_file(run_file&& other) noexcept;
    run_file& operator=(run_file&& other) noexcept;
    run_file(const run_file&) = delete;
    run_file& operator=(const run_file&) = delete;
    ~run_file();

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::uint32_t format_version() const noexcept { return format_version_; }
    [[nodiscard]] run_attributes attributes() const;

    // /<name>: a UTF-8 text such as "config" (the resolved YAML) or "genome"
    // (its A/C/G/T form). The name is one path component; the text must be
    // valid UTF-8 without NUL characters.
    void write_text(std::string_view name, std::string_view text);
    [[nodiscard]] std::string read_text(std::string_view name) const;
    [[nodiscard]] bool has(std::string_view name) const;  // a root object of that name exists

    // /network: the arrays of core::network, its levels, its head, and each
    // population's network nodes (populations may be empty; their names must
    // be unique HDF5 names, and each node belongs to at most one).
    void write_network(const core::network& net, std::span<const core::population> populations);
    [[nodiscard]] core::network read_network() const;
    [[nodiscard]] std::vector<core::population> read_populations() const;

    // /encoder: the fitted encoder, its kind (as configured) and the image
    // shape of the dataset it was fitted on (width · height must divide
    // num_features; the quotient is the channel count).
    void write_encoder(const core::encoder& enc, std::string_view kind, std::uint32_t width, std::uint32_t height);
    [[nodiscard]] stored_encoder read_encoder() const;

    // /metrics: appends one row and flushes the file.
    void append_metrics(const metrics_row& row);
    [[nodiscard]] std::vector<metrics_row> read_metrics() const;
    // Keeps the first `rows` rows and flushes: resuming drops the rows of an
    // epoch that finished after the last checkpoint, since it is trained again.
    void truncate_metrics(std::size_t rows);

    // /stats: one row per population (each population_stats holds one row;
    // each of its rules' rows is followed by that rule's epoch entry), then
    // /stats/epoch, then a flush. The first call creates /stats with its
    // attributes samples and split, and each population's group with its
    // nodes. Rows a killed writer left without their /stats/epoch entry are
    // dropped first.
    void append_stats(std::uint32_t epoch, std::span<const population_stats> rows, std::uint64_t samples,
                      std::string_view split);
    [[nodiscard]] std::vector<std::uint32_t> stats_epochs() const;  // /stats/epoch; empty without /stats
    // Keeps the first `rows` rows of every /stats dataset, as truncate_metrics,
    // and each rule's rows of the epochs those rows are of.
    void truncate_stats(std::size_t rows);

    // /spikes/<population>: a population's spikes (layout.hpp says what a
    // spike is), sorted by time with ties by node id, node ids indices into
    // the population (< its size), timestamps in ms, finite and ≥ 0; stored
    // with sorting by_time. The population must be in /network (write it
    // first); with /activity/<population>, every timestamp must lie before
    // its end. Written once per population, then flushed.
    void write_spikes(std::string_view population, std::span<const std::uint64_t> node_ids,
                      std::span<const double> timestamps_ms);
    [[nodiscard]] std::vector<std::string> spike_populations() const;
    [[nodiscard]] spike_data read_spikes(std::string_view population) const;
    // /activity/<population>: its toggles and recording (activity_problem's
    // checks; with /spikes/<population>, its spikes must lie before the
    // recording's end). The population must be in /network. Written once per
    // population, then flushed.
    void write_activity(const population_activity& activity);
    [[nodiscard]] std::vector<std::string> activity_populations() const;
    [[nodiscard]] population_activity read_activity(std::string_view population) const;

    // Writes everything buffered to disk.
    void flush();
    // Marks the run finished (/@finished = 1) and flushes: the last write of a
    // run, after /network. Marking twice is an error, as every write is.
    void mark_finished();
    [[nodiscard]] bool finished() const;
    // Closes the file, reporting what the destructor cannot: a failure to
    // write what was still buffered (a full disk). The object is empty after.
    void close();

private:
    run_file(std::filesystem::path path, std::int64_t file, bool writable);
    void check_writable(std::string_view operation) const;
    // Every read goes through run_reader, opened read-only on the same file
    // (HDF5 shares it with this writable handle).
    [[nodiscard]] run_reader reader() const;

    std::filesystem::path path_;
    std::int64_t file_ = -1;  // the HDF5 file id (hid_t), kept as a plain integer so no HDF5 header leaks
    bool writable_ = false;
    std::uint32_t format_version_ = layout::format_version;
};

}  // namespace lutra::runfile
