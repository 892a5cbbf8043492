#include "lutra/core/encoder.hpp"

#include "encoders/encoders.hpp"
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

using encoders::fitted_thresholds;

void check_split(const dataset& data, const data_split& split, std::string_view which, std::size_t num_features) {
    if (split.features.size() != split.size() * num_features)
        throw error("dataset '" + data.name + "': the " + std::string(which) + " split has " +
                    std::to_string(split.features.size()) + " feature bytes, but " + std::to_string(split.size()) +
                    " samples × " + std::to_string(num_features) + " features need " +
                    std::to_string(split.size() * num_features));
}

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
    const std::span<const encoders::encoder_kind> kinds = encoders::kinds();
    const auto kind = std::find_if(kinds.begin(), kinds.end(),
                                   [&](const encoders::encoder_kind& k) { return k.name == params.kind; });
    if (kind == kinds.end())
        throw unknown_name_error("encoder", params.kind,
                                 "encoder.kind: '" + params.kind + "' is not an encoder; valid: " +
                                     join_names(encoder_kinds()) + did_you_mean(params.kind, encoder_kinds()));
    {
        // The ranges and choices the YAML reader checks too, of the chosen
        // kind's fields only: the other kind's are not read.
        encoder_params used = params;
        kind->forget_unused(used);
        check_schema(used, "encoder");
        check_encoder_params(used, "encoder");
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
    v.choice("kind", p.kind, encoder_kinds(), "how a feature becomes bits: binarize (1 bit) or thermometer (T bits)");
    v.field("bits", p.bits, "thermometer: bits per feature", 1U, 255U);
    v.choice("thresholds", p.thresholds, threshold_methods,
             "thermometer: uniform over 0..255; quantile (plain) or conditional quantiles of each feature's "
             "training values; or distributive: one set for all features, of their training values pooled");
    v.field("resolution", p.resolution,
            "thermometer: thresholds compare the top resolution bits of a value (<= 6: one LUT6 a comparator); "
            "bits <= 2^resolution - 1",
            1U, 8U);
    v.field("threshold", p.threshold, "binarize: bit = value >= threshold", 1U, 255U);
}

void check_encoder_params(const encoder_params& p, std::string_view root_path) {
    if (p.kind != "thermometer" || p.resolution < 1 || p.resolution > 8) return;  // describe() checks the range
    const unsigned levels = (1U << p.resolution) - 1;
    if (p.bits > levels)
        throw schema_error(std::string(root_path) + ".resolution",
                           "a threshold grid coarser than the encoder's bits allow: " + std::to_string(p.bits) +
                               " bits need resolution ≥ " + std::to_string(std::bit_width(p.bits)) +
                               " (resolution r has 2^r − 1 thresholds; got " + std::to_string(p.resolution) + ", " +
                               std::to_string(levels) + " thresholds)");
}

}  // namespace lutra::core
