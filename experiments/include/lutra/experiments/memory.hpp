#pragma once
// How much memory a command's settings will need, estimated from their sizes
// before anything is allocated, and the refusal when the machine does not
// have it (docs/configuration.md, "Memory"). The estimate sums terms, each
// charged to the YAML path whose value drives it, so a refusal names the
// setting to lower. It is meant to be realistic, not a bound: a config that
// passes may still need a little more, one that fails would not have fit.

#include <cstdint>
#include <string>
#include <vector>

#include "lutra/data/datasets.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/settings.hpp"

namespace lutra::experiments {

struct memory_term {
    std::string field;  // the YAML path that drives it, e.g. "data.train_samples", "genome.populations[1].size"
    std::string what;   // e.g. "training samples: features, encoded bits, shuffled copy"
    double bytes = 0;
};

struct memory_estimate {
    std::vector<memory_term> terms;
    [[nodiscard]] double total() const noexcept;
    // The term of the most bytes; the estimate has at least one.
    [[nodiscard]] const memory_term& largest() const;
};

// `lutra run`: the dataset (features, encoded bits, copies for shuffling and
// augmentation), the network (tables, wiring graph, candidates), training
// (per entry: θ, w, gradients and Adam moments; per node and batch sample:
// the relaxed engine's activations and their gradients), the bit-sliced
// engine's tiles and the statistics recorder. `shape` is the dataset's
// (data::dataset_shape_of).
[[nodiscard]] memory_estimate estimate_memory(const experiment_settings& s, const data::dataset_shape& shape);
// `lutra data show`: the dataset alone (fields relative to the data settings).
[[nodiscard]] memory_estimate estimate_memory(const data_settings& s, const data::dataset_shape& shape);
// `lutra bench infer`: the random network, its input bits and the engine's tiles.
[[nodiscard]] memory_estimate estimate_memory(const infer_bench_settings& s);
// `lutra genome develop|show`: developing and compiling the genome
// (fields relative to the genome).
[[nodiscard]] memory_estimate estimate_memory(const topology::genome& g, unsigned threads);

// What a command may use, in bytes: $LUTRA_MEMORY_LIMIT when set (bytes, or
// with a K, M, G or T suffix for KiB … TiB), else the machine's physical memory.
struct memory_limit {
    double bytes = 0;
    std::string source;  // "physical memory" or "LUTRA_MEMORY_LIMIT"
};
[[nodiscard]] memory_limit available_memory();

// Throws the config_error `where` gives at the largest term's field when the
// estimate exceeds available_memory(): what it would need, in GiB, against
// what the machine has. `what` names the command, e.g. "the run".
void check_memory(const memory_estimate& e, const config_source& where, const std::string& what);

}  // namespace lutra::experiments
