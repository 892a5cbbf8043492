#pragma once
// The group-sum head's training loss (DESIGN §4.2): class score
// s_c = (Σ_{j ∈ group c} y_j) / τ, softmax cross-entropy against the label,
// and its gradient dL/dy_j = (softmax_c − [c = label]) / (τ · samples) for
// every output j of group c. The rows y are the relaxed engine's (or any
// per-node values in [0, 1]); sums run in sample order, in double.

#include <cstddef>
#include <cstdint>
#include <span>

#include "lutra/core/network.hpp"
#include "lutra/core/relaxed.hpp"

namespace lutra::core {

struct group_sum_loss_result {
    double loss_sum = 0;     // cross-entropy summed over the samples
    std::size_t correct = 0; // samples whose highest score (ties: the lowest class) is the label
};

// With dy, adds the head's dL/dy (the mean loss's) to its output rows.
// labels has y.samples() values, each below head.num_classes.
[[nodiscard]] group_sum_loss_result group_sum_loss(const group_sum_head& head, const relaxed_engine::activations& y,
                                                   std::span<const std::uint16_t> labels, double tau,
                                                   relaxed_engine::activations* dy = nullptr);

// The same loss of a hard network's popcount scores (samples × classes,
// row-major, as core::head_output holds them).
[[nodiscard]] group_sum_loss_result group_sum_loss(std::span<const std::uint32_t> scores, std::uint32_t classes,
                                                   std::span<const std::uint16_t> labels, double tau);

}  // namespace lutra::core
