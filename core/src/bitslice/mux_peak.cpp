#include "lutra/core/bitslice_engine.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "kernels.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"

namespace lutra::core {

namespace {

using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point start) {
    return std::chrono::duration<double>(clock::now() - start).count();
}

}  // namespace

mux_peak measure_mux_peak(isa set, double min_seconds) {
    if (!isa_supported(set)) throw error("mux peak: this processor does not support " + std::string(to_string(set)));
    const kernels::kernel_set& kernels = kernels::kernels_for(set);
    // Grow the run until it lasts long enough to time, then keep the best rate.
    std::uint64_t iterations = 1 << 16;
    volatile std::uint64_t sink = 0;
    double best = 0;
    const auto start = clock::now();
    while (seconds_since(start) < min_seconds) {
        const auto t0 = clock::now();
        sink = sink + kernels.mux_chains(iterations, iterations);
        const double dt = seconds_since(t0);
        best = std::max(best, static_cast<double>(iterations * kernels::mux_chain_count) / dt);
        if (dt < min_seconds / 10) iterations *= 2;
    }
    return {set, best, kernels.register_words * 64};
}

}  // namespace lutra::core
