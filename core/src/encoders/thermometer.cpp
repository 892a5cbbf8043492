// thermometer: T bits a feature at thresholds on a grid of 2^r levels,
// spread uniformly, at plain (quantile) or conditional quantiles of the
// training split per feature, or at conditional quantiles of all features
// pooled (distributive) (encoder.hpp).
#include <algorithm>
#include <span>

#include "encoders.hpp"
#include "lutra/core/error.hpp"

namespace lutra::core::encoders {

namespace {

// The grid: a threshold compares the top r bits of a value, level = value >> (8 − r),
// against a level μ in 0..2^r − 2, which is θ = (μ + 1)·2^(8−r) − 1 on bytes.
struct grid {
    unsigned resolution = 8;
    [[nodiscard]] unsigned levels() const noexcept { return 1U << resolution; }
    [[nodiscard]] unsigned level_of(unsigned value) const noexcept { return value >> (8 - resolution); }
    [[nodiscard]] std::uint8_t threshold_of(unsigned level) const noexcept {
        return static_cast<std::uint8_t>(((level + 1) << (8 - resolution)) - 1);
    }
};

// Makes sorted levels strictly increasing within 0..top (T ≤ top + 1 values
// fit): push coinciding ones up, then pull the top ones down to top.
void spread(std::span<unsigned> levels, unsigned top) {
    for (std::size_t t = 1; t < levels.size(); ++t) levels[t] = std::max(levels[t], levels[t - 1] + 1);
    levels.back() = std::min(levels.back(), top);
    for (std::size_t t = levels.size() - 1; t-- > 0;) levels[t] = std::min(levels[t], levels[t + 1] - 1);
}

// Conditional quantiles of a histogram of levels (encoder.hpp): μ_t is the
// first of the T − t + 1 equal-frequency cut points of the values above
// μ_{t−1} (μ_{−1} = −1). A point mass thus gets one bit and the bits after
// it split the values above it evenly. A cut point in the top level, which
// no threshold can split off, becomes the level below it if values lie
// between; where none do (or no value lies above μ_{t−1} at all),
// μ_t = μ_{t−1} + 1 and spread() keeps the levels valid: such bits repeat
// another bit or are constant on the data.
void conditional_quantiles(std::span<const std::uint64_t> histogram, const grid& g, std::span<unsigned> levels) {
    const auto bits = static_cast<std::uint64_t>(levels.size());
    const unsigned top = g.levels() - 2;  // the highest level a threshold can have
    std::uint64_t above = 0;              // values above the previous level
    for (const std::uint64_t count : histogram) above += count;
    unsigned first = 0;  // the lowest level above the previous one
    for (std::uint64_t t = 0; t < bits; ++t) {
        const std::uint64_t parts = bits + 1 - t;
        // The smallest level with #(μ_{t−1} < value ≤ level) · parts ≥ #(value > μ_{t−1}).
        unsigned level = first;
        std::uint64_t passed = 0;
        for (; level < g.levels(); ++level) {
            passed += histogram[level];
            if (passed * parts >= above) break;
        }
        if (above == 0) level = first;
        else if (level > top) level = first <= top && passed > histogram[top + 1] ? top : first;
        for (unsigned l = first; l <= level && l < g.levels(); ++l) above -= histogram[l];
        levels[t] = level;
        first = level + 1;
    }
    spread(levels, top);
}

// Plain quantiles (encoder.hpp): μ_t is the smallest level with
// #(level ≤ μ_t) · (T+1) ≥ (t+1) · n, every t reached by the top level;
// coinciding ones are spread apart.
void plain_quantiles(std::span<const std::uint64_t> histogram, const grid& g, std::span<unsigned> levels) {
    const auto bits = static_cast<std::uint64_t>(levels.size());
    std::uint64_t n = 0;
    for (const std::uint64_t count : histogram) n += count;
    std::uint64_t at_most = 0;
    std::uint64_t t = 0;
    for (unsigned level = 0; level < g.levels() && t < bits; ++level) {
        at_most += histogram[level];
        for (; t < bits && at_most * (bits + 1) >= (t + 1) * n; ++t) levels[t] = level;
    }
    spread(levels, g.levels() - 2);
}

// The training values of the features, one histogram of grid levels each.
std::vector<std::uint64_t> level_histograms(const dataset& data, const grid& g, std::string_view method) {
    const data_split& train = data.train;
    const std::size_t num_features = data.num_features();
    const std::size_t n = train.size();
    if (n == 0)
        throw error("encoder.thresholds: '" + std::string(method) +
                    "' is fitted on the training split, and dataset '" + data.name + "' has no training samples");
    // Value-major, so the common values (0 in MNIST) of one sample hit
    // adjacent counters: 8× faster than feature-major on MNIST.
    std::vector<std::uint64_t> by_value(256 * num_features, 0);
    for (std::size_t s = 0; s < n; ++s) {
        const std::uint8_t* row = train.features.data() + s * num_features;
        for (std::size_t f = 0; f < num_features; ++f) ++by_value[row[f] * num_features + f];
    }
    std::vector<std::uint64_t> histograms(std::size_t{g.levels()} * num_features, 0);  // feature-major
    for (unsigned v = 0; v < 256; ++v)
        for (std::size_t f = 0; f < num_features; ++f)
            histograms[f * g.levels() + g.level_of(v)] += by_value[v * num_features + f];
    return histograms;
}

// Per feature, from its histogram: plain or conditional quantiles.
std::vector<std::uint8_t> quantile_thresholds(const dataset& data, std::uint32_t bits, const grid& g,
                                              std::string_view method) {
    const std::size_t num_features = data.num_features();
    const std::vector<std::uint64_t> histograms = level_histograms(data, g, method);
    std::vector<std::uint8_t> thresholds(num_features * bits);
    std::vector<unsigned> levels(bits);
    const auto fit = method == "conditional" ? conditional_quantiles : plain_quantiles;
    for (std::size_t f = 0; f < num_features; ++f) {
        fit({histograms.data() + f * g.levels(), g.levels()}, g, levels);
        for (std::uint32_t t = 0; t < bits; ++t) thresholds[f * bits + t] = g.threshold_of(levels[t]);
    }
    return thresholds;
}

// One set for every feature: the conditional quantiles of all features'
// training values pooled.
std::vector<std::uint8_t> distributive_thresholds(const dataset& data, std::uint32_t bits, const grid& g) {
    const std::size_t num_features = data.num_features();
    const std::vector<std::uint64_t> histograms = level_histograms(data, g, "distributive");
    std::vector<std::uint64_t> pooled(g.levels(), 0);
    for (std::size_t f = 0; f < num_features; ++f)
        for (unsigned l = 0; l < g.levels(); ++l) pooled[l] += histograms[f * g.levels() + l];
    std::vector<unsigned> levels(bits);
    conditional_quantiles(pooled, g, levels);
    std::vector<std::uint8_t> thresholds;
    thresholds.reserve(num_features * bits);
    for (std::size_t f = 0; f < num_features; ++f)
        for (std::uint32_t t = 0; t < bits; ++t) thresholds.push_back(g.threshold_of(levels[t]));
    return thresholds;
}

// μ_t = ⌊(t+1)·2^r/(T+1)⌋ − 1: T+1 equal intervals of the levels, strictly
// increasing as T ≤ 2^r − 1.
std::vector<std::uint8_t> uniform_thresholds(const dataset& data, std::uint32_t bits, const grid& g) {
    std::vector<std::uint8_t> thresholds;
    thresholds.reserve(std::size_t{data.num_features()} * bits);
    for (std::uint32_t f = 0; f < data.num_features(); ++f)
        for (unsigned t = 0; t < bits; ++t) thresholds.push_back(g.threshold_of((t + 1) * g.levels() / (bits + 1) - 1));
    return thresholds;
}

}  // namespace

fitted_thresholds fit_thermometer(const encoder_params& params, const dataset& data) {
    const grid g{params.resolution};
    if (params.thresholds == "quantile" || params.thresholds == "conditional")
        return {params.bits, quantile_thresholds(data, params.bits, g, params.thresholds)};
    if (params.thresholds == "distributive") return {params.bits, distributive_thresholds(data, params.bits, g)};
    return {params.bits, uniform_thresholds(data, params.bits, g)};
}

void forget_unused_by_thermometer(encoder_params& params) { params.threshold = encoder_params{}.threshold; }

}  // namespace lutra::core::encoders
