#pragma once
// A random recurrent classifier for the sequence export's tests
// (tests/fpga/test_sequence.cpp, tests/fpga/sequence_case.cpp): a
// core::random_timed_network with a group-sum head over its last nodes, a
// thermometer encoder of a few features, and random per-tick pixels.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lutra/core/encoder.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/time.hpp"

namespace lutra::test {

struct recurrent_classifier {
    core::network net;
    core::encoder enc;
};

// `features` features of 3 thermometer bits (thresholds 63, 127, 191);
// `nodes` nodes of k in [1, k_max] with delays up to max_delay; the head
// has `classes` groups of `group` nodes, the last nodes of the network.
inline recurrent_classifier random_recurrent_classifier(std::uint32_t features, std::uint32_t nodes, unsigned k_max,
                                                        std::uint32_t max_delay, std::uint32_t classes,
                                                        std::uint32_t group, std::uint64_t seed) {
    std::vector<core::input_bit> bits;
    std::vector<std::uint8_t> thresholds;
    for (std::uint32_t f = 0; f < features; ++f)
        for (std::uint16_t b = 0; b < 3; ++b) {
            bits.push_back({.feature = f, .x = static_cast<std::uint16_t>(f), .y = 0, .channel = 0, .bit = b});
            thresholds.push_back(static_cast<std::uint8_t>(63 + 64 * b));
        }
    core::random_timed_params params;
    params.num_inputs = 3 * features;
    params.nodes = nodes;
    params.k_min = 1;
    params.k_max = k_max;
    params.max_delay = max_delay;
    params.p_delayed = 0.3;
    core::network_arrays arrays = core::random_timed_network(params, seed).arrays();
    arrays.head.num_classes = classes;
    for (std::uint32_t n = nodes - classes * group; n < nodes; ++n) arrays.head.outputs.push_back(n);
    return {core::network(std::move(arrays)), core::encoder::from_parts(features, 3, std::move(bits), std::move(thresholds))};
}

// Pixels of `sequences` sequences of `ticks` ticks: sample-major, then tick,
// then feature. Each pixel keeps its value from the tick before with
// probability 1/2, so the network sees both steady and changing inputs.
inline std::vector<std::uint8_t> random_sequence_pixels(std::size_t sequences, std::uint32_t ticks,
                                                        std::uint32_t features, std::uint64_t seed) {
    const counter_rng rng(seed, "test.sequence_pixels");
    std::vector<std::uint8_t> pixels(sequences * ticks * features);
    for (std::size_t i = 0; i < pixels.size(); ++i) {
        const std::uint64_t r = rng.at(i);
        const bool keep = (i / features) % ticks != 0 && (r & 1U);
        pixels[i] = keep ? pixels[i - features] : static_cast<std::uint8_t>(r >> 8);
    }
    return pixels;
}

}  // namespace lutra::test
