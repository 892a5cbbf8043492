#pragma once
// Every input pattern of n bits as a bit matrix, for exhaustive tests:
// sample (column) s is the pattern s, row i = bit i of s.

#include <cstddef>
#include <cstdint>

#include "lutra/core/bit_matrix.hpp"

namespace lutra::test {

inline core::bit_matrix all_patterns(std::uint32_t n) {
    core::bit_matrix m(n, std::size_t{1} << n);
    for (std::uint32_t i = 0; i < n; ++i)
        for (std::size_t s = 0; s < m.samples(); ++s) m.set(i, s, ((s >> i) & 1U) != 0);
    return m;
}

}  // namespace lutra::test
