#pragma once
// Encoders turn a dataset's features (bytes 0..255) into network input bits:
// a bit_matrix with one row per input bit and one column per sample. Every
// input bit is `value > threshold` for one feature and one integer threshold
// in 0..254, so one 8-bit comparator form serves every encoder in hardware.
//
// binarize     1 bit per feature: value ≥ θ (params.threshold), stored as
//              threshold θ − 1.
// thermometer  T = params.bits bits per feature, bit t = value > θ_t with
//              θ_0 < θ_1 < … < θ_{T−1}, all on the grid of r = params.resolution
//              bits: θ = (μ+1)·2^(8−r) − 1 for a level μ in 0..2^r − 2, so
//              bit t = (value >> (8−r)) > μ_t reads only the top r bits of the
//              value (r = 8: every θ in 0..254). T ≤ 2^r − 1 levels fit.
//   uniform    μ_t = ⌊(t+1)·2^r/(T+1)⌋ − 1, i.e. bit t = value ≥ ⌊(t+1)·2^r/(T+1)⌋·2^(8−r):
//              T+1 equal intervals of 0..255 (r = 8, T = 1: value ≥ 128; T = 3:
//              value ≥ 64, 128, 192), rounded down to the grid.
//   quantile   plain quantiles, fitted per feature on the levels
//              (value >> (8−r)) of the training split: μ_t is the smallest
//              level with #(level ≤ μ_t) · (T+1) ≥ (t+1) · #samples, so bit t
//              is 1 for at most a fraction 1 − (t+1)/(T+1) of the training
//              values. Where quantiles coincide (ties: a pixel that is 0 in
//              most MNIST images gets 0, 0, 0) they are pushed apart:
//              μ_t = max(μ_t, μ_{t−1} + 1) upward, then μ_t = min(μ_t, μ_{t+1} − 1)
//              downward from μ_{T−1} ≤ 2^r − 2 — so that pixel's thresholds are
//              0, 1, 2 and its upper bits nearly repeat bit 0. (The default,
//              as every run before issue 16 fitted it; README "Accuracy per
//              LUT" measures what it costs against conditional.)
//   conditional  conditional quantiles, fitted per feature on the levels
//              (value >> (8−r)) of the training split: μ_t is the smallest
//              level with #(μ_{t−1} < level ≤ μ_t) · (T+1−t) ≥ #(level > μ_{t−1})
//              (μ_{−1} = −1), the first of T+1−t equal-frequency cut points of
//              the values above the previous threshold. θ_0 is the 1/(T+1)
//              quantile of all values; a value that holds most samples (0 in
//              MNIST) gets one bit and the other bits split the values above
//              it evenly; for values without ties this is the plain (t+1)/(T+1)
//              quantile. On a grid each cut point is rounded up to the top of
//              its level, the next one taken among the values above that.
//              A cut point in the top level 2^r − 1 (no threshold can split
//              it off) becomes 2^r − 2 if values lie between. Where no value
//              lies above μ_{t−1} (or only in the top level), μ_t = μ_{t−1} + 1,
//              and levels past 2^r − 2 are pulled down one below the next
//              from the top: μ_t = min(μ_t, μ_{t+1} − 1). Those bits are
//              constant on the training data or repeat another bit.
//   distributive  one set of thresholds for every feature: the conditional
//              quantiles (as conditional) of all features' training values pooled
//              (DWN's distributive thermometer).
// Rows are feature-major: row = feature · T + t (binarize: T = 1).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/dataset.hpp"

namespace lutra::core {

// Where one input bit comes from.
struct input_bit {
    std::uint32_t feature = 0;  // index into the dataset's features
    std::uint16_t x = 0;        // the feature's column, f % width
    std::uint16_t y = 0;        // its row, (f / width) % height
    std::uint16_t channel = 0;  // its plane, f / (width · height)
    std::uint16_t bit = 0;      // index within the feature's T bits, 0 = lowest threshold
    friend bool operator==(const input_bit&, const input_bit&) = default;
};

// The encoder kinds by name, in the order of their table (core/src/encoders/).
[[nodiscard]] std::span<const std::string_view> encoder_kinds() noexcept;
inline constexpr std::string_view threshold_methods[] = {"uniform", "quantile", "conditional", "distributive"};

// Only the fields of the chosen kind are read and checked.
struct encoder_params {
    std::string kind = "thermometer";     // binarize | thermometer
    unsigned bits = 3;                    // thermometer: bits per feature, 1..255
    std::string thresholds = "quantile";  // thermometer: uniform | quantile | conditional | distributive
    unsigned resolution = 8;              // thermometer: the value bits a threshold compares, 1..8; bits ≤ 2^resolution − 1
    unsigned threshold = 128;             // binarize: bit = value ≥ threshold, 1..255
};

class schema_visitor;
void describe(schema_visitor& v, encoder_params& p);

// The checks describe() cannot make, between fields of the chosen kind:
// thermometer bits ≤ 2^resolution − 1. Throws schema_error at
// root_path + ".resolution" saying what would be valid. encoder::fit calls it
// (root "encoder"); runs call it before loading data (root "data.encoder").
void check_encoder_params(const encoder_params& p, std::string_view root_path);

class encoder {
public:
    // An encoder of no features; fit() makes useful ones.
    encoder() = default;

    // Checks params (lutra::error naming the field and the valid range or
    // choices) and fits the thresholds, on data.train only.
    [[nodiscard]] static encoder fit(const encoder_params& params, const dataset& data);

    // An encoder rebuilt from what bits() and thresholds() returned, e.g. read
    // from a run file. Checks that the parts could have come from fit():
    // 1 ≤ num_features, 1 ≤ bits_per_feature ≤ 255, one bit and one threshold
    // per row, rows feature-major (row r is feature r / T, bit r % T), the T
    // bits of a feature at one coordinate, thresholds ≤ 254 and strictly
    // increasing within a feature. Throws lutra::error naming the first
    // offending row.
    [[nodiscard]] static encoder from_parts(std::uint32_t num_features, std::uint32_t bits_per_feature,
                                            std::vector<input_bit> bits, std::vector<std::uint8_t> thresholds);

    [[nodiscard]] std::uint32_t num_features() const noexcept { return num_features_; }
    // T: input bits per feature (binarize: 1).
    [[nodiscard]] std::uint32_t bits_per_feature() const noexcept { return bits_per_feature_; }
    [[nodiscard]] std::uint32_t num_bits() const noexcept { return static_cast<std::uint32_t>(bits_.size()); }
    // Per input bit (row): where it comes from.
    [[nodiscard]] std::span<const input_bit> bits() const noexcept { return bits_; }
    // Per input bit (row): the threshold θ with bit = value > θ.
    [[nodiscard]] std::span<const std::uint8_t> thresholds() const noexcept { return thresholds_; }

    // num_bits() rows × split.size() samples; padding bits beyond the samples
    // are zero. Throws lutra::error if the split does not have num_features()
    // features per sample.
    [[nodiscard]] bit_matrix encode(const data_split& split) const;

private:
    std::uint32_t num_features_ = 0;
    std::uint32_t bits_per_feature_ = 0;
    std::vector<input_bit> bits_;
    std::vector<std::uint8_t> thresholds_;
};

}  // namespace lutra::core
