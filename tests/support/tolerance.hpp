#pragma once
// Floating-point comparison for gradient checks: |got − expected| within
// `tolerance` relative to max(1, |expected|).

#include <cmath>

namespace lutra::test {

inline bool close(double got, double expected, double tolerance) {
    return std::abs(got - expected) <= tolerance * (1 + std::abs(expected));
}

}  // namespace lutra::test
