#pragma once
// Random input bits for engine tests, the same for every run (counter-based).

#include <cstddef>
#include <cstdint>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/random.hpp"

namespace lutra::test {

inline core::bit_matrix random_inputs(std::uint32_t rows, std::size_t samples, std::uint64_t seed) {
    core::bit_matrix m(rows, samples);
    const counter_rng rng(seed, "test.inputs");
    for (std::uint32_t r = 0; r < rows; ++r)
        for (std::size_t s = 0; s < samples; ++s) m.set(r, s, rng.fork(r).at(s) & 1U);
    return m;
}

}  // namespace lutra::test
