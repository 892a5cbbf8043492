#pragma once
// Data augmentation for training: each image moved by a random whole-pixel
// translation, a fresh one every epoch, so a network cannot learn the exact
// pixel positions of the training set. Deterministic in the stream.

#include <cstdint>

#include "lutra/data/datasets.hpp"
#include "lutra/core/random.hpp"

namespace lutra::data {

// Sample s of the result is sample s of `split` shifted by (dx, dy), each
// uniform in −max_shift … max_shift drawn from rng at index s; pixels
// shifted in from outside are 0. Labels are copied. Every channel moves
// together. Throws lutra::error if the split's feature count does not match
// the dataset's image shape.
[[nodiscard]] data_split translate(const dataset& shape, const data_split& split, std::uint32_t max_shift,
                                   const counter_rng& rng);

}  // namespace lutra::data
