// thermometer: T bits a feature at thresholds spread uniformly over 0..255
// or at quantiles of the training split (encoder.hpp).
#include <algorithm>
#include <span>

#include "encoders.hpp"
#include "lutra/core/error.hpp"

namespace lutra::core::encoders {

namespace {

// Makes sorted thresholds in 0..255 strictly increasing within 0..254 (T ≤ 255
// values fit): push coinciding ones up, then pull the top ones down below 255.
void spread(std::span<unsigned> theta) {
    for (std::size_t t = 1; t < theta.size(); ++t) theta[t] = std::max(theta[t], theta[t - 1] + 1);
    theta.back() = std::min(theta.back(), 254U);
    for (std::size_t t = theta.size() - 1; t-- > 0;) theta[t] = std::min(theta[t], theta[t + 1] - 1);
}

std::vector<std::uint8_t> quantile_thresholds(const dataset& data, std::uint32_t bits) {
    const data_split& train = data.train;
    const std::size_t num_features = data.num_features();
    const std::size_t n = train.size();
    if (n == 0)
        throw error("encoder.thresholds: 'quantile' is fitted on the training split, and dataset '" + data.name +
                    "' has no training samples");
    // Value-major, so the common values (0 in MNIST) of one sample hit
    // adjacent counters: 8× faster than feature-major on MNIST.
    std::vector<std::uint64_t> histogram(256 * num_features, 0);
    for (std::size_t s = 0; s < n; ++s) {
        const std::uint8_t* row = train.features.data() + s * num_features;
        for (std::size_t f = 0; f < num_features; ++f) ++histogram[row[f] * num_features + f];
    }
    std::vector<std::uint8_t> thresholds(num_features * bits);
    std::vector<unsigned> theta(bits);
    for (std::size_t f = 0; f < num_features; ++f) {
        // θ_t = the smallest v with #(values ≤ v) · (T+1) ≥ (t+1) · n; every t
        // is reached by v = 255, where #(values ≤ v) = n.
        std::uint64_t at_most = 0;
        std::uint32_t t = 0;
        for (unsigned v = 0; v < 256 && t < bits; ++v) {
            at_most += histogram[v * num_features + f];
            for (; t < bits && at_most * (bits + 1) >= (std::uint64_t{t} + 1) * n; ++t) theta[t] = v;
        }
        spread(theta);
        std::copy(theta.begin(), theta.end(), thresholds.begin() + static_cast<std::ptrdiff_t>(f * bits));
    }
    return thresholds;
}

}  // namespace

fitted_thresholds fit_thermometer(const encoder_params& params, const dataset& data) {
    if (params.thresholds == "quantile") return {params.bits, quantile_thresholds(data, params.bits)};
    fitted_thresholds fitted{params.bits, {}};
    fitted.values.reserve(std::size_t{data.num_features()} * params.bits);
    for (std::uint32_t f = 0; f < data.num_features(); ++f)
        for (unsigned t = 0; t < params.bits; ++t)
            fitted.values.push_back(static_cast<std::uint8_t>((t + 1) * 256 / (params.bits + 1) - 1));
    return fitted;
}

void forget_unused_by_thermometer(encoder_params& params) { params.threshold = encoder_params{}.threshold; }

}  // namespace lutra::core::encoders
