#pragma once
// The bit-sliced inference engine (DESIGN §3): every node is a Shannon mux
// tree over 512-sample bit-planes. Samples are processed in tiles (whole
// vectors of 512 samples); threads take whole tiles and never split nodes, so
// the results are the same for every thread count.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/cpu.hpp"
#include "lutra/core/network.hpp"

namespace lutra::core {

struct engine_options {
    std::optional<isa> instruction_set;  // kernel to use; empty = the fastest this processor supports
    unsigned threads = 1;                // worker threads, 0 = one per hardware thread
    std::size_t tile_samples = 4096;     // samples per tile, a positive multiple of 512 (2048 … 8192 measured alike)
};

// Group-sum head output for a batch.
struct head_output {
    std::uint32_t num_classes = 0;
    std::vector<std::uint32_t> scores;       // samples × num_classes popcounts, row-major
    std::vector<std::uint16_t> predictions;  // argmax per sample, ties to the lowest class
};

class bitslice_engine {
public:
    // Throws lutra::error if the network has delayed slots (that is the event
    // engine's work), or the instruction set is not supported here, or the
    // options are out of range.
    explicit bitslice_engine(network net, engine_options options = {});

    // Every node's output: rows = nodes, one plane each.
    [[nodiscard]] bit_matrix evaluate(const bit_matrix& inputs) const;
    // The group-sum head: popcount per class and the decision, per sample.
    [[nodiscard]] head_output classify(const bit_matrix& inputs) const;

    [[nodiscard]] const network& net() const noexcept { return net_; }
    [[nodiscard]] isa instruction_set() const noexcept { return isa_; }
    [[nodiscard]] unsigned threads() const noexcept { return threads_; }
    [[nodiscard]] std::size_t tile_samples() const noexcept { return tile_samples_; }

private:
    template <class PerTile>
    void run_tiles(const bit_matrix& inputs, PerTile&& per_tile) const;

    network net_;
    isa isa_;
    unsigned threads_;
    std::size_t tile_samples_;
};

// Popcount per class and argmax (ties to the lowest class) from the head's
// output planes: rows = the head's outputs in order. Shared by the engines.
[[nodiscard]] head_output group_sum(const group_sum_head& head, const bit_matrix& output_planes);

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

}  // namespace lutra::core
