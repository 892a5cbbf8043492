#pragma once
// The harness of `lutra bench infer`: bit-sliced inference on a random
// network, timed batch after batch (the best batch is the figure).

#include <cstddef>
#include <cstdint>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/network.hpp"

namespace lutra::experiments {

struct infer_bench_params {
    core::random_network_params net{.num_inputs = 2352, .nodes = 5000, .layers = 5, .k = 6, .num_classes = 10};
    std::size_t samples = 65536;  // samples per batch
    core::engine_options engine{};      // instruction set, threads, tile size
    std::uint64_t seed = 1;       // network and input bits
    double min_seconds = 1.0;     // keep repeating batches at least this long
};

struct infer_bench_result {
    std::size_t batches = 0;            // batches timed
    double best_batch_seconds = 0;      // fastest batch (the figure; the others were disturbed)
    double median_batch_seconds = 0;
    double lut_evals_per_second = 0;    // nodes × samples / best batch time
    double samples_per_second = 0;      // classified samples / best batch time
};

// Builds the random network and inputs, then times engine.classify().
[[nodiscard]] infer_bench_result run_infer_bench(const infer_bench_params& params);

}  // namespace lutra::experiments
