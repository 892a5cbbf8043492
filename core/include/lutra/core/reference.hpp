#pragma once
// The scalar reference evaluator: one sample at a time, address → table bit.
// Slow and obviously right; it exists so every fast engine can be tested
// against it.

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/network.hpp"

namespace lutra::core {

// Every node's output for every sample (combinational networks only).
[[nodiscard]] bit_matrix reference_evaluate(const network& net, const bit_matrix& inputs);
// The group-sum head, counting and comparing one sample at a time.
[[nodiscard]] head_output reference_classify(const network& net, const bit_matrix& inputs);

}  // namespace lutra::core
