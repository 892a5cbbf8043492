#pragma once
// Measuring the bit-sliced engine against this core's own peak. Used by
// `lutra bench infer` and by the Google Benchmark programs in bench/.

#include <cstddef>
#include <cstdint>

#include "lutra/core/cpu.hpp"
#include "lutra/core/engine.hpp"
#include "lutra/core/network.hpp"

namespace lutra::core {

// How fast one core issues the kernel's mux (one vpternlog on AVX-512, three
// logic operations on AVX2 and portable) on whole registers, measured with
// independent chains in registers.
struct mux_peak {
    isa instruction_set = isa::portable;
    double muxes_per_second = 0;     // register-wide muxes per second on one thread
    std::size_t samples_per_mux = 0; // samples one register holds
    // LUT6 evaluations per second if every LUT6 cost the naive 63 muxes.
    [[nodiscard]] double naive_lut6_per_second() const noexcept {
        return muxes_per_second * static_cast<double>(samples_per_mux) / 63.0;
    }
};
[[nodiscard]] mux_peak measure_mux_peak(isa set, double min_seconds = 0.2);

struct infer_bench_params {
    random_network_params net{.num_inputs = 2352, .nodes = 5000, .layers = 5, .k = 6, .num_classes = 10};
    std::size_t samples = 65536;  // samples per batch
    engine_options engine{};      // instruction set, threads, tile size
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

}  // namespace lutra::core
