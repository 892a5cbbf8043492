#include "lutra/core/encoder.hpp"
#include "lutra/core/schema.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>

#include "lutra/core/error.hpp"
#include "lutra/core/names.hpp"

namespace lutra::core {
namespace {

// What a kind's fit produces: T thresholds per feature, feature-major.
struct fitted_thresholds {
    std::uint32_t per_feature = 0;
    std::vector<std::uint8_t> values;
};

void check_range(std::string_view field, unsigned value, unsigned lo, unsigned hi) {
    if (value < lo || value > hi)
        throw error("encoder." + std::string(field) + ": " + std::to_string(value) + " is out of range " +
                    std::to_string(lo) + ".." + std::to_string(hi));
}

void check_split(const dataset& data, const data_split& split, std::string_view which, std::size_t num_features) {
    if (split.features.size() != split.size() * num_features)
        throw error("dataset '" + data.name + "': the " + std::string(which) + " split has " +
                    std::to_string(split.features.size()) + " feature bytes, but " + std::to_string(split.size()) +
                    " samples × " + std::to_string(num_features) + " features need " +
                    std::to_string(split.size() * num_features));
}

fitted_thresholds fit_binarize(const encoder_params& params, const dataset& data) {
    check_range("threshold", params.threshold, 1, 255);
    return {1, std::vector<std::uint8_t>(data.num_features(), static_cast<std::uint8_t>(params.threshold - 1))};
}

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

fitted_thresholds fit_thermometer(const encoder_params& params, const dataset& data) {
    check_range("bits", params.bits, 1, 255);
    if (params.thresholds == "quantile") return {params.bits, quantile_thresholds(data, params.bits)};
    if (params.thresholds != "uniform")
        throw unknown_name_error("threshold method", params.thresholds,
                                 "encoder.thresholds: '" + params.thresholds +
                                     "' is not a threshold method; valid: " + join_names(threshold_methods) +
                                     did_you_mean(params.thresholds, threshold_methods));
    fitted_thresholds fitted{params.bits, {}};
    fitted.values.reserve(std::size_t{data.num_features()} * params.bits);
    for (std::uint32_t f = 0; f < data.num_features(); ++f)
        for (unsigned t = 0; t < params.bits; ++t)
            fitted.values.push_back(static_cast<std::uint8_t>((t + 1) * 256 / (params.bits + 1) - 1));
    return fitted;
}

// The encoder kinds by name: adding one is an entry here and its fit.
struct encoder_kind {
    std::string_view name;
    fitted_thresholds (*fit)(const encoder_params& params, const dataset& data);
};
constexpr std::array<encoder_kind, 2> kinds = {{{"binarize", fit_binarize}, {"thermometer", fit_thermometer}}};
static_assert(kinds.size() == std::size(encoder_kinds) && kinds[0].name == encoder_kinds[0] &&
                  kinds[1].name == encoder_kinds[1],
              "encoder_kinds (the schema's choices) lists the kinds of this table");

// Bit i of the result is v[i] > theta, for 64 consecutive samples. The byte
// comparisons vectorise; each 8 bytes of 0/1 are then gathered into 8 bits by
// one multiply (byte k lands on bit 56 + k, no carries). 5× faster than
// shifting bit by bit.
static_assert(std::endian::native == std::endian::little, "greater_mask reads bytes 0..7 as a little-endian word");
std::uint64_t greater_mask(const std::uint8_t* v, std::uint8_t theta) noexcept {
    std::array<std::uint8_t, 64> greater{};
    for (unsigned i = 0; i < 64; ++i) greater[i] = v[i] > theta;
    std::uint64_t word = 0;
    for (unsigned j = 0; j < 8; ++j) {
        std::uint64_t lanes = 0;
        std::memcpy(&lanes, greater.data() + 8 * j, 8);
        word |= ((lanes * 0x0102040810204080ULL) >> 56) << (8 * j);
    }
    return word;
}

}  // namespace

encoder encoder::fit(const encoder_params& params, const dataset& data) {
    const auto kind =
        std::find_if(kinds.begin(), kinds.end(), [&](const encoder_kind& k) { return k.name == params.kind; });
    if (kind == kinds.end()) {
        std::array<std::string_view, kinds.size()> names{};
        std::transform(kinds.begin(), kinds.end(), names.begin(), [](const encoder_kind& k) { return k.name; });
        throw unknown_name_error("encoder", params.kind,
                                 "encoder.kind: '" + params.kind + "' is not an encoder; valid: " + join_names(names) +
                                     did_you_mean(params.kind, names));
    }

    // Coordinates are 16-bit; the feature count must fit the 32-bit product.
    constexpr std::uint64_t max_extent = std::uint64_t{std::numeric_limits<std::uint16_t>::max()} + 1;
    const std::uint64_t features = std::uint64_t{data.width} * data.height * data.channels;
    if (data.width > max_extent || data.height > max_extent || data.channels > max_extent)
        throw error("dataset '" + data.name + "': " + std::to_string(data.width) + "×" + std::to_string(data.height) +
                    "×" + std::to_string(data.channels) +
                    " (width×height×channels): input bits store coordinates in 16 bits, so each must be ≤ 65536");
    if (features == 0 || features > std::numeric_limits<std::uint32_t>::max())
        throw error("dataset '" + data.name + "': " + std::to_string(features) + " features, expected 1.." +
                    std::to_string(std::numeric_limits<std::uint32_t>::max()));
    check_split(data, data.train, "train", features);

    fitted_thresholds fitted = kind->fit(params, data);
    if (features * fitted.per_feature > std::numeric_limits<std::uint32_t>::max())
        throw error("dataset '" + data.name + "': " + std::to_string(features) + " features × " +
                    std::to_string(fitted.per_feature) + " bits exceed 2^32 input bits");

    encoder e;
    e.num_features_ = static_cast<std::uint32_t>(features);
    e.bits_per_feature_ = fitted.per_feature;
    e.thresholds_ = std::move(fitted.values);
    e.bits_.reserve(e.thresholds_.size());
    const std::uint32_t plane = data.width * data.height;
    for (std::uint32_t f = 0; f < e.num_features_; ++f)
        for (std::uint32_t t = 0; t < e.bits_per_feature_; ++t)
            e.bits_.push_back({.feature = f,
                               .x = static_cast<std::uint16_t>(f % data.width),
                               .y = static_cast<std::uint16_t>((f / data.width) % data.height),
                               .channel = static_cast<std::uint16_t>(f / plane),
                               .bit = static_cast<std::uint16_t>(t)});
    return e;
}

encoder encoder::from_parts(std::uint32_t num_features, std::uint32_t bits_per_feature, std::vector<input_bit> bits,
                            std::vector<std::uint8_t> thresholds) {
    const auto fail = [](const std::string& detail) { throw error("encoder parts: " + detail); };
    if (num_features == 0) fail("0 features; an encoder needs at least 1");
    if (bits_per_feature < 1 || bits_per_feature > 255)
        fail(std::to_string(bits_per_feature) + " bits per feature; valid: 1..255");
    const std::uint64_t rows = std::uint64_t{num_features} * bits_per_feature;
    if (bits.size() != rows || thresholds.size() != rows)
        fail(std::to_string(bits.size()) + " bits and " + std::to_string(thresholds.size()) + " thresholds; " +
             std::to_string(num_features) + " features × " + std::to_string(bits_per_feature) +
             " bits per feature need " + std::to_string(rows) + " of each");
    // encode() finds a row's feature and threshold by its position, so the
    // stored bits must say the same.
    for (std::size_t r = 0; r < rows; ++r) {
        const input_bit& b = bits[r];
        const std::string row = "row " + std::to_string(r) + ": ";
        if (b.feature != r / bits_per_feature || b.bit != r % bits_per_feature)
            fail(row + "feature " + std::to_string(b.feature) + " bit " + std::to_string(b.bit) +
                 ", expected feature " + std::to_string(r / bits_per_feature) + " bit " +
                 std::to_string(r % bits_per_feature) + " (rows are feature-major: row = feature · " +
                 std::to_string(bits_per_feature) + " + bit)");
        if (thresholds[r] > 254)
            fail(row + "threshold " + std::to_string(thresholds[r]) + " is above 254 (value > 255 never holds)");
        if (b.bit == 0) continue;
        const input_bit& prev = bits[r - 1];
        if (b.x != prev.x || b.y != prev.y || b.channel != prev.channel)
            fail(row + "feature " + std::to_string(b.feature) + " has two coordinates, (x " + std::to_string(prev.x) +
                 ", y " + std::to_string(prev.y) + ", channel " + std::to_string(prev.channel) + ") and (x " +
                 std::to_string(b.x) + ", y " + std::to_string(b.y) + ", channel " + std::to_string(b.channel) + ")");
        if (thresholds[r] <= thresholds[r - 1])
            fail(row + "threshold " + std::to_string(thresholds[r]) + " is not above the previous bit's " +
                 std::to_string(thresholds[r - 1]) + " (thresholds increase strictly within a feature)");
    }
    encoder e;
    e.num_features_ = num_features;
    e.bits_per_feature_ = bits_per_feature;
    e.bits_ = std::move(bits);
    e.thresholds_ = std::move(thresholds);
    return e;
}

bit_matrix encoder::encode(const data_split& split) const {
    const std::size_t samples = split.size();
    const std::size_t num_features = num_features_;
    if (split.features.size() != samples * num_features)
        throw error("encoder: the split has " + std::to_string(split.features.size()) + " feature bytes for " +
                    std::to_string(samples) + " samples, but the encoder was fitted on " +
                    std::to_string(num_features) + " features per sample");
    bit_matrix out(num_bits(), samples);
    const std::size_t stride = out.stride();
    std::uint64_t* words = out.data();
    // One block of 64 samples at a time, transposed to feature-major so each
    // feature's 64 values are contiguous: one output word per (bit, block).
    // Padding samples read value 0, and 0 > θ never holds, so padding bits stay 0.
    std::vector<std::uint8_t> block(num_features * 64);
    for (std::size_t b = 0; b * 64 < samples; ++b) {
        const std::size_t first = b * 64;
        const std::size_t count = std::min<std::size_t>(64, samples - first);
        if (count < 64) std::fill(block.begin(), block.end(), 0);
        for (std::size_t i = 0; i < count; ++i) {
            const std::uint8_t* row = split.features.data() + (first + i) * num_features;
            for (std::size_t f = 0; f < num_features; ++f) block[f * 64 + i] = row[f];
        }
        for (std::size_t f = 0; f < num_features; ++f)
            for (std::size_t t = 0; t < bits_per_feature_; ++t) {
                const std::size_t r = f * bits_per_feature_ + t;
                words[r * stride + b] = greater_mask(block.data() + f * 64, thresholds_[r]);
            }
    }
    return out;
}

void describe(schema_visitor& v, encoder_params& p) {
    v.choice("kind", p.kind, encoder_kinds, "how a feature becomes bits: binarize (1 bit) or thermometer (T bits)");
    v.field("bits", p.bits, "thermometer: bits per feature", 1U, 255U);
    v.choice("thresholds", p.thresholds, threshold_methods,
             "thermometer: uniform over 0..255, or quantiles of the training split");
    v.field("threshold", p.threshold, "binarize: bit = value >= threshold", 1U, 255U);
}

}  // namespace lutra::core
