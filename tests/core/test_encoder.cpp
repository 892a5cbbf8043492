#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "lutra/core/encoder.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/schema.hpp"

using namespace lutra::core;

namespace {

// Each feature f uniform in [lo(f), hi(f)], so features differ in distribution.
// A dataset of this shape, its splits empty.
dataset shaped(std::string name, std::uint32_t width, std::uint32_t height, std::uint32_t channels,
               std::uint32_t classes) {
    dataset d;
    d.name = std::move(name);
    d.width = width;
    d.height = height;
    d.channels = channels;
    d.num_classes = classes;
    return d;
}

data_split random_split(
    std::size_t samples, std::uint32_t features, std::uint64_t seed,
    const std::function<std::uint8_t(std::uint32_t)>& lo = [](std::uint32_t) { return 0; },
    const std::function<std::uint8_t(std::uint32_t)>& hi = [](std::uint32_t) { return 255; }) {
    const lutra::counter_rng rng(seed, "test encoder data");
    data_split split;
    for (std::size_t s = 0; s < samples; ++s) {
        for (std::uint32_t f = 0; f < features; ++f)
            split.features.push_back(
                static_cast<std::uint8_t>(lo(f) + rng.below(s * features + f, hi(f) - lo(f) + 1U)));
        split.labels.push_back(static_cast<std::uint16_t>(s % 3));
    }
    return split;
}

dataset random_dataset(std::uint32_t width, std::uint32_t height, std::uint32_t channels, std::size_t train,
                       std::size_t test, std::uint64_t seed) {
    dataset d = shaped("random", width, height, channels, 3);
    d.train = random_split(train, d.num_features(), seed);
    d.test = random_split(test, d.num_features(), seed + 1000);
    return d;
}

// Checks every bit of enc.encode(split) against expected(row, value), and
// that the padding beyond the samples is zero.
void check_encoding(const encoder& enc, const data_split& split,
                    const std::function<bool(std::uint32_t row, std::uint8_t value)>& expected) {
    const bit_matrix m = enc.encode(split);
    REQUIRE(m.rows() == enc.num_bits());
    REQUIRE(m.samples() == split.size());
    const std::size_t features = enc.num_features();
    std::size_t wrong = 0;
    std::size_t padding = 0;
    for (std::uint32_t r = 0; r < enc.num_bits(); ++r) {
        const std::uint32_t f = enc.bits()[r].feature;
        for (std::size_t s = 0; s < split.size(); ++s)
            wrong += m.get(r, s) != expected(r, split.features[s * features + f]);
        for (std::size_t s = split.size(); s < m.stride() * 64; ++s) padding += m.get(r, s);
    }
    CHECK(wrong == 0);
    CHECK(padding == 0);
}

bool strictly_increasing_per_feature(const encoder& enc, unsigned bits) {
    const auto th = enc.thresholds();
    for (std::size_t r = 0; r < th.size(); ++r)
        if (r % bits != 0 && th[r] <= th[r - 1]) return false;
    return std::all_of(th.begin(), th.end(), [](std::uint8_t t) { return t <= 254; });
}

}  // namespace

TEST_CASE("encoder: binarize sets value ≥ threshold, for any sample count") {
    for (std::size_t samples : {1, 63, 64, 65, 511, 512, 513, 1000}) {
        CAPTURE(samples);
        const dataset d = random_dataset(5, 3, 2, samples, 7, samples);
        for (unsigned threshold : {1U, 128U, 200U, 255U}) {
            CAPTURE(threshold);
            const encoder enc = encoder::fit({.kind = "binarize", .threshold = threshold}, d);
            REQUIRE(enc.num_bits() == 30);
            CHECK(std::all_of(enc.thresholds().begin(), enc.thresholds().end(),
                              [&](std::uint8_t t) { return t == threshold - 1; }));
            check_encoding(enc, d.train, [&](std::uint32_t, std::uint8_t v) { return v >= threshold; });
            check_encoding(enc, d.test, [&](std::uint32_t, std::uint8_t v) { return v >= threshold; });
        }
    }
}

TEST_CASE("encoder: uniform thermometer thresholds follow the documented formula") {
    const dataset d = random_dataset(4, 4, 1, 130, 520, 1);
    const auto uniform = [&](unsigned bits) {
        return encoder::fit({.kind = "thermometer", .bits = bits, .thresholds = "uniform"}, d);
    };
    const auto first = [](const encoder& e, std::size_t n) {
        return std::vector<unsigned>(e.thresholds().begin(), e.thresholds().begin() + static_cast<std::ptrdiff_t>(n));
    };
    CHECK(first(uniform(1), 1) == std::vector<unsigned>{127});
    CHECK(first(uniform(3), 3) == std::vector<unsigned>{63, 127, 191});
    CHECK(first(uniform(7), 7) == std::vector<unsigned>{31, 63, 95, 127, 159, 191, 223});
    std::vector<unsigned> all(255);
    for (unsigned t = 0; t < 255; ++t) all[t] = t;
    CHECK(first(uniform(255), 255) == all);

    for (unsigned bits : {1U, 2U, 3U, 5U, 16U, 100U, 255U}) {
        CAPTURE(bits);
        const encoder enc = uniform(bits);
        REQUIRE(enc.num_bits() == 16 * bits);
        CHECK(strictly_increasing_per_feature(enc, bits));
        // bit t = value ≥ ⌊(t+1)·256/(T+1)⌋, recomputed from the formula, not from thresholds().
        const auto expected = [&](std::uint32_t row, std::uint8_t v) {
            return v >= (row % bits + 1) * 256 / (bits + 1);
        };
        check_encoding(enc, d.train, expected);
        check_encoding(enc, d.test, expected);
    }
}

namespace {

// 50 features, feature f spanning [2f, 2f + 150] in the training split, so
// every feature has its own quantiles; the test split is another
// distribution, which fitting must not look at.
dataset spread_features() {
    dataset d = shaped("spread", 50, 1, 1, 3);
    const auto lo = [](std::uint32_t f) { return static_cast<std::uint8_t>(2 * f); };
    const auto hi = [](std::uint32_t f) { return static_cast<std::uint8_t>(2 * f + 150); };
    d.train = random_split(20000, 50, 3, lo, hi);
    d.test = random_split(777, 50, 4);
    return d;
}

}  // namespace

TEST_CASE("encoder: quantile thresholds split each feature's training values") {
    const dataset d = spread_features();

    for (unsigned bits : {1U, 3U, 7U}) {
        CAPTURE(bits);
        const encoder enc = encoder::fit({.kind = "thermometer", .bits = bits, .thresholds = "quantile"}, d);
        REQUIRE(enc.num_bits() == 50 * bits);
        CHECK(strictly_increasing_per_feature(enc, bits));
        for (std::uint32_t f = 0; f < 50; ++f)
            for (unsigned t = 0; t < bits; ++t) {
                const std::uint8_t theta = enc.thresholds()[f * bits + t];
                std::size_t at_most = 0;
                std::size_t below = 0;
                for (std::size_t s = 0; s < d.train.size(); ++s) {
                    const std::uint8_t v = d.train.features[s * 50 + f];
                    at_most += v <= theta;
                    below += v < theta;
                }
                const double level = double(t + 1) / (bits + 1);
                const double n = double(d.train.size());
                // θ is the smallest value with at least a fraction `level` at or below it ...
                CHECK(double(at_most) >= level * n);
                CHECK(double(below) < level * n);
                // ... which, for 151 evenly used values, is within a percent of the level.
                CHECK(double(at_most) / n == doctest::Approx(level).epsilon(0.02));
            }
        check_encoding(enc, d.test, [&](std::uint32_t row, std::uint8_t v) { return v > enc.thresholds()[row]; });
        check_encoding(enc, d.train, [&](std::uint32_t row, std::uint8_t v) { return v > enc.thresholds()[row]; });

        // Fitted on the training split only.
        dataset other_test = d;
        other_test.test = random_split(10, 50, 99);
        const encoder same = encoder::fit({.kind = "thermometer", .bits = bits, .thresholds = "quantile"}, other_test);
        CHECK(std::equal(same.thresholds().begin(), same.thresholds().end(), enc.thresholds().begin(),
                         enc.thresholds().end()));
    }
}

TEST_CASE("encoder: coinciding quantiles, plain or conditional, are spread into valid thresholds") {
    // Feature 0 is always 0, feature 1 always 255, feature 2 is 0 for 90% and
    // 200 for 10%, feature 3 takes 10 and 11 equally often.
    dataset d = shaped("ties", 4, 1, 1, 2);
    for (std::uint8_t s = 0; s < 100; ++s) {
        const std::uint8_t row[4] = {0, 255, static_cast<std::uint8_t>(s < 90 ? 0 : 200),
                                     static_cast<std::uint8_t>(s % 2 == 0 ? 10 : 11)};
        d.train.features.insert(d.train.features.end(), row, row + 4);
        d.train.labels.push_back(0);
    }
    struct expectation {
        const char* method;
        std::vector<unsigned> thresholds;
    };
    // Plain: every quantile of feature 1 is 255, pulled down below 255.
    // Conditional: nothing lies above the first cut point of a constant
    // feature, so the rest follow one apart (255 sits in the top level, which
    // no threshold splits off); feature 2's 0 gets one bit, 200 the next.
    for (const expectation& e : {expectation{"quantile", {0, 1, 2, 252, 253, 254, 0, 1, 2, 10, 11, 12}},
                                 expectation{"conditional", {0, 1, 2, 0, 1, 2, 0, 200, 201, 10, 11, 12}}}) {
        CAPTURE(e.method);
        const encoder enc = encoder::fit({.kind = "thermometer", .bits = 3, .thresholds = e.method}, d);
        const std::vector<unsigned> th(enc.thresholds().begin(), enc.thresholds().end());
        CHECK(th == e.thresholds);
        check_encoding(enc, d.train, [&](std::uint32_t row, std::uint8_t v) { return v > th[row]; });

        const encoder all = encoder::fit({.kind = "thermometer", .bits = 255, .thresholds = e.method}, d);
        CHECK(strictly_increasing_per_feature(all, 255));
        CHECK(all.thresholds()[0] == 0);  // constant 0: 0 … 254
        CHECK(all.thresholds()[254] == 254);
        CHECK(all.thresholds()[255] == 0);  // constant 255: also 0 … 254
    }
}

TEST_CASE("encoder: conditional thresholds split the training values above the previous threshold") {
    const dataset d = spread_features();

    for (unsigned bits : {1U, 3U, 7U}) {
        CAPTURE(bits);
        const encoder enc = encoder::fit({.kind = "thermometer", .bits = bits, .thresholds = "conditional"}, d);
        REQUIRE(enc.num_bits() == 50 * bits);
        CHECK(strictly_increasing_per_feature(enc, bits));
        for (std::uint32_t f = 0; f < 50; ++f)
            for (unsigned t = 0; t < bits; ++t) {
                const std::uint8_t theta = enc.thresholds()[f * bits + t];
                const int previous = t == 0 ? -1 : enc.thresholds()[f * bits + t - 1];
                std::size_t above = 0;    // values above the previous threshold
                std::size_t at_most = 0;  // of those, at or below θ
                std::size_t below = 0;    // of those, below θ
                std::size_t all_at_most = 0;
                for (std::size_t s = 0; s < d.train.size(); ++s) {
                    const std::uint8_t v = d.train.features[s * 50 + f];
                    all_at_most += v <= theta;
                    if (v <= previous) continue;
                    ++above;
                    at_most += v <= theta;
                    below += v < theta;
                }
                // θ is the first of T − t + 1 equal-frequency cut points of the values above θ_{t−1} ...
                const std::size_t parts = bits + 1 - t;
                CHECK(at_most * parts >= above);
                CHECK(below * parts < above);
                // ... which, for 151 evenly used values, is within a percent of the plain quantile.
                const double level = double(t + 1) / (bits + 1);
                CHECK(double(all_at_most) / double(d.train.size()) == doctest::Approx(level).epsilon(0.02));
            }
        check_encoding(enc, d.test, [&](std::uint32_t row, std::uint8_t v) { return v > enc.thresholds()[row]; });
        check_encoding(enc, d.train, [&](std::uint32_t row, std::uint8_t v) { return v > enc.thresholds()[row]; });

        // Fitted on the training split only.
        dataset other_test = d;
        other_test.test = random_split(10, 50, 99);
        const encoder same = encoder::fit({.kind = "thermometer", .bits = bits, .thresholds = "conditional"}, other_test);
        CHECK(std::equal(same.thresholds().begin(), same.thresholds().end(), enc.thresholds().begin(),
                         enc.thresholds().end()));
    }
}

namespace {

// One feature that is 0 in 900 of 1000 samples and 1 … 100 once each in the
// others (a background pixel), and one spread evenly over 0 … 249.
dataset mostly_zero() {
    dataset d = shaped("mostly zero", 2, 1, 1, 2);
    for (unsigned s = 0; s < 1000; ++s) {
        const std::uint8_t row[2] = {static_cast<std::uint8_t>(s < 900 ? 0 : s - 899),
                                     static_cast<std::uint8_t>(s / 4)};
        d.train.features.insert(d.train.features.end(), row, row + 2);
        d.train.labels.push_back(0);
    }
    d.test = d.train;
    return d;
}

std::vector<unsigned> thresholds_of(const encoder& enc) { return {enc.thresholds().begin(), enc.thresholds().end()}; }

}  // namespace

TEST_CASE("encoder: a value most samples share gets one quantile bit, the others split the values above it") {
    const dataset d = mostly_zero();
    const encoder enc = encoder::fit({.bits = 3, .thresholds = "conditional"}, d);
    // Feature 0: θ_0 = 0 (the 1/4 quantile), then the tertiles of 1 … 100:
    // 34 values at or below 34, 33 more at or below 67. The plain quantiles
    // were 0, 0, 0, spread to 0, 1, 2: three bits that almost always agree.
    // Feature 1 (0 … 249, 4 samples each): the plain quartiles are 62, 124,
    // 187; the conditional cut after 62 (252 samples, not 250, at or below)
    // takes 125, as no cut point falls between two samples of one value.
    CHECK(thresholds_of(enc) == std::vector<unsigned>{0, 34, 67, 62, 125, 187});
    check_encoding(enc, d.train, [&](std::uint32_t row, std::uint8_t v) { return v > enc.thresholds()[row]; });
    // The default, plain quantiles, as every run before issue 16 fitted them.
    CHECK(thresholds_of(encoder::fit({.bits = 3, .thresholds = "quantile"}, d)) ==
          std::vector<unsigned>{0, 1, 2, 62, 124, 187});
}

TEST_CASE("encoder: without a point mass, conditional quantiles are the plain quantiles") {
    // Every value 0 … 255 four times: the (t+1)/(T+1) quantiles are exact.
    dataset d = shaped("even", 1, 1, 1, 2);
    for (unsigned s = 0; s < 1024; ++s) {
        d.train.features.push_back(static_cast<std::uint8_t>(s % 256));
        d.train.labels.push_back(0);
    }
    for (const unsigned bits : {1U, 3U, 7U, 15U}) {
        CAPTURE(bits);
        const encoder enc = encoder::fit({.bits = bits, .thresholds = "conditional"}, d);
        std::vector<unsigned> plain;
        for (unsigned t = 0; t < bits; ++t) plain.push_back((t + 1) * 256 / (bits + 1) - 1);
        CHECK(thresholds_of(enc) == plain);
        CHECK(thresholds_of(encoder::fit({.bits = bits, .thresholds = "quantile"}, d)) == plain);
    }
}

TEST_CASE("encoder: a coarse resolution puts every threshold on its grid") {
    const dataset d = mostly_zero();
    const auto fit = [&](unsigned bits, std::string thresholds, unsigned resolution) {
        return encoder::fit({.bits = bits, .thresholds = std::move(thresholds), .resolution = resolution}, d);
    };
    // Levels of 16 values: feature 0's level 0 holds 915 samples (θ = 15),
    // then 85 values 16 … 100 in levels 1 … 6, cut at ≥ 29 of them (level 2,
    // θ = 47), then 53 values above, cut at ≥ 27 (level 4, θ = 79).
    CHECK(thresholds_of(fit(3, "conditional", 4)) == std::vector<unsigned>{15, 47, 79, 63, 127, 191});
    // uniform: boundaries ⌊(t+1)·16/6⌋·16.
    CHECK(thresholds_of(fit(5, "uniform", 4)) == std::vector<unsigned>{31, 79, 127, 159, 207, 31, 79, 127, 159, 207});
    CHECK(thresholds_of(fit(3, "uniform", 8)) == std::vector<unsigned>{63, 127, 191, 63, 127, 191});
    // r = 1: one threshold, 127.
    CHECK(thresholds_of(fit(1, "conditional", 1)) == std::vector<unsigned>{127, 127});

    const dataset r = random_dataset(5, 4, 1, 700, 300, 12);
    for (unsigned resolution = 1; resolution <= 8; ++resolution)
        for (const char* method : {"uniform", "quantile", "conditional", "distributive"})
            for (unsigned bits : {1U, 2U, 3U, 7U, 15U}) {
                if (bits >= (1U << resolution)) continue;
                CAPTURE(resolution);
                CAPTURE(method);
                CAPTURE(bits);
                const encoder enc = encoder::fit({.bits = bits, .thresholds = method, .resolution = resolution}, r);
                CHECK(strictly_increasing_per_feature(enc, bits));
                const unsigned step = 1U << (8 - resolution);
                CHECK(std::all_of(enc.thresholds().begin(), enc.thresholds().end(),
                                  [&](std::uint8_t t) { return (t + 1U) % step == 0; }));
                // So every bit reads only the top `resolution` bits of a value.
                check_encoding(enc, r.test, [&](std::uint32_t row, std::uint8_t v) {
                    return (v >> (8 - resolution)) > (enc.thresholds()[row] >> (8 - resolution));
                });
            }
}

TEST_CASE("encoder: distributive thresholds are the conditional thresholds of all features pooled") {
    // Feature f spans [10f, 10f + 100]: pooled, 0 … 250.
    dataset d = shaped("shifted", 16, 1, 1, 3);
    const auto lo = [](std::uint32_t f) { return static_cast<std::uint8_t>(10 * f); };
    const auto hi = [](std::uint32_t f) { return static_cast<std::uint8_t>(10 * f + 100); };
    d.train = random_split(3000, 16, 13, lo, hi);
    d.test = random_split(100, 16, 14);
    dataset pooled = shaped("pooled", 1, 1, 1, 3);
    pooled.train.features = d.train.features;
    pooled.train.labels.assign(pooled.train.features.size(), 0);
    for (unsigned resolution : {8U, 5U}) {
        CAPTURE(resolution);
        const encoder dist = encoder::fit({.bits = 5, .thresholds = "distributive", .resolution = resolution}, d);
        const encoder one = encoder::fit({.bits = 5, .thresholds = "conditional", .resolution = resolution}, pooled);
        for (std::uint32_t f = 0; f < 16; ++f)
            CHECK(std::equal(dist.thresholds().begin() + 5 * f, dist.thresholds().begin() + 5 * (f + 1),
                             one.thresholds().begin(), one.thresholds().end()));
        check_encoding(dist, d.test, [&](std::uint32_t row, std::uint8_t v) { return v > dist.thresholds()[row]; });
    }
}

TEST_CASE("encoder: input bits carry their feature's coordinates, feature-major") {
    const dataset d = random_dataset(4, 3, 2, 10, 10, 5);
    const encoder enc = encoder::fit({.kind = "thermometer", .bits = 2, .thresholds = "uniform"}, d);
    REQUIRE(enc.num_features() == 24);
    REQUIRE(enc.num_bits() == 48);
    for (std::uint32_t r = 0; r < 48; ++r) {
        const std::uint32_t f = r / 2;
        const input_bit expected{.feature = f,
                                 .x = static_cast<std::uint16_t>(f % 4),
                                 .y = static_cast<std::uint16_t>((f / 4) % 3),
                                 .channel = static_cast<std::uint16_t>(f / 12),
                                 .bit = static_cast<std::uint16_t>(r % 2)};
        CHECK(enc.bits()[r] == expected);
    }
    CHECK(enc.bits()[47].x == 3);
    CHECK(enc.bits()[47].y == 2);
    CHECK(enc.bits()[47].channel == 1);
}

TEST_CASE("encoder: bad parameters are rejected naming the field and the valid choices") {
    const dataset d = random_dataset(3, 1, 1, 10, 10, 6);
    const auto message = [&](const encoder_params& p) {
        try {
            (void)encoder::fit(p, d);
        } catch (const lutra::error& e) {
            return std::string(e.what());
        }
        FAIL("accepted bad parameters");
        return std::string();
    };
    CHECK(message({.kind = "thermo"}) ==
          "encoder.kind: 'thermo' is not an encoder; valid: binarize, thermometer (did you mean 'thermometer'?)");
    CHECK(message({.kind = "onehot"}) == "encoder.kind: 'onehot' is not an encoder; valid: binarize, thermometer");
    CHECK(message({.bits = 0}) == "encoder.bits: expected an integer in 1..255, got 0");
    CHECK(message({.bits = 256}) == "encoder.bits: expected an integer in 1..255, got 256");
    CHECK(message({.thresholds = "quantil"}) ==
          "encoder.thresholds: expected one of uniform, quantile, conditional, distributive, got 'quantil' (did you mean "
          "'quantile'?)");
    CHECK(message({.resolution = 0}) == "encoder.resolution: expected an integer in 1..8, got 0");
    CHECK(message({.resolution = 9}) == "encoder.resolution: expected an integer in 1..8, got 9");
    CHECK(message({.bits = 4, .resolution = 2}) ==
          "encoder.resolution: a threshold grid coarser than the encoder's bits allow: 4 bits need resolution ≥ 3 "
          "(resolution r has 2^r − 1 thresholds; got 2, 3 thresholds)");
    CHECK_THROWS_AS((void)encoder::fit({.bits = 2, .resolution = 1}, d), schema_error);
    CHECK(encoder::fit({.bits = 3, .resolution = 2}, d).num_bits() == 9);
    CHECK(message({.kind = "binarize", .threshold = 0}) == "encoder.threshold: expected an integer in 1..255, got 0");
    CHECK(message({.kind = "binarize", .threshold = 256}) == "encoder.threshold: expected an integer in 1..255, got 256");
    CHECK_THROWS_AS((void)encoder::fit({.kind = "thermo"}, d), lutra::unknown_name_error);
    // Fields of the other kind are not read.
    CHECK(encoder::fit({.kind = "binarize", .bits = 0, .thresholds = "x", .resolution = 0}, d).num_bits() == 3);
    CHECK(encoder::fit({.bits = 2, .thresholds = "uniform", .threshold = 0}, d).num_bits() == 6);
}

TEST_CASE("encoder: mismatched data is rejected") {
    dataset d = random_dataset(3, 1, 1, 10, 10, 7);
    const encoder enc = encoder::fit({.kind = "binarize"}, d);
    CHECK_THROWS_WITH_AS((void)enc.encode(random_split(5, 4, 1)),
                         "encoder: the split has 20 feature bytes for 5 samples, but the encoder was fitted on 3 "
                         "features per sample",
                         lutra::error);
    CHECK(enc.encode(data_split{}).samples() == 0);

    dataset empty = d;
    empty.train = {};
    CHECK_THROWS_WITH_AS((void)encoder::fit({}, empty), doctest::Contains("dataset 'random' has no training samples"),
                         lutra::error);
    dataset broken = d;
    broken.train.features.pop_back();
    CHECK_THROWS_WITH_AS((void)encoder::fit({}, broken),
                         "dataset 'random': the train split has 29 feature bytes, but 10 samples × 3 features need 30",
                         lutra::error);
    dataset featureless = d;
    featureless.width = 0;
    CHECK_THROWS_WITH_AS((void)encoder::fit({}, featureless), doctest::Contains("0 features"), lutra::error);
}

TEST_CASE("encoder: from_parts rebuilds a fitted encoder and rejects inconsistent parts") {
    const dataset d = random_dataset(4, 3, 2, 300, 200, 8);
    for (const encoder_params& params :
         {encoder_params{.kind = "binarize", .threshold = 90}, encoder_params{.bits = 5, .thresholds = "conditional"},
          encoder_params{.bits = 3, .thresholds = "uniform"}}) {
        CAPTURE(params.kind);
        const encoder fitted = encoder::fit(params, d);
        const std::vector<input_bit> bits(fitted.bits().begin(), fitted.bits().end());
        const std::vector<std::uint8_t> thresholds(fitted.thresholds().begin(), fitted.thresholds().end());
        const encoder rebuilt = encoder::from_parts(fitted.num_features(), fitted.bits_per_feature(), bits, thresholds);
        CHECK(rebuilt.num_features() == fitted.num_features());
        CHECK(rebuilt.bits_per_feature() == fitted.bits_per_feature());
        CHECK(std::ranges::equal(rebuilt.bits(), fitted.bits()));
        CHECK(std::ranges::equal(rebuilt.thresholds(), fitted.thresholds()));
        CHECK(rebuilt.encode(d.test) == fitted.encode(d.test));
    }

    const encoder fitted = encoder::fit({.bits = 3, .thresholds = "uniform"}, d);  // 24 features, θ = 63, 127, 191
    const std::vector<input_bit> bits(fitted.bits().begin(), fitted.bits().end());
    const std::vector<std::uint8_t> thresholds(fitted.thresholds().begin(), fitted.thresholds().end());
    const auto rejects = [&](std::uint32_t features, std::uint32_t per_feature, std::vector<input_bit> b,
                             std::vector<std::uint8_t> t, const std::string& message) {
        CHECK_THROWS_WITH_AS((void)encoder::from_parts(features, per_feature, std::move(b), std::move(t)),
                             message.c_str(), lutra::error);
    };
    rejects(0, 3, {}, {}, "encoder parts: 0 features; an encoder needs at least 1");
    rejects(24, 0, bits, thresholds, "encoder parts: 0 bits per feature; valid: 1..255");
    rejects(24, 256, bits, thresholds, "encoder parts: 256 bits per feature; valid: 1..255");
    rejects(25, 3, bits, thresholds,
            "encoder parts: 72 bits and 72 thresholds; 25 features × 3 bits per feature need 75 of each");
    const std::vector<std::uint8_t> short_thresholds(thresholds.begin(), thresholds.end() - 1);
    rejects(24, 3, bits, short_thresholds,
            "encoder parts: 72 bits and 71 thresholds; 24 features × 3 bits per feature need 72 of each");

    std::vector<input_bit> swapped = bits;
    std::swap(swapped[3], swapped[6]);
    rejects(24, 3, swapped, thresholds,
            "encoder parts: row 3: feature 2 bit 0, expected feature 1 bit 0 (rows are feature-major: row = "
            "feature · 3 + bit)");
    std::vector<input_bit> moved = bits;
    moved[4].x = 3;
    rejects(24, 3, moved, thresholds,
            "encoder parts: row 4: feature 1 has two coordinates, (x 1, y 0, channel 0) and (x 3, y 0, channel 0)");
    std::vector<std::uint8_t> unordered = thresholds;
    unordered[5] = 127;
    rejects(24, 3, bits, unordered,
            "encoder parts: row 5: threshold 127 is not above the previous bit's 127 (thresholds increase strictly "
            "within a feature)");
    std::vector<std::uint8_t> too_high = thresholds;
    too_high[2] = 255;
    rejects(24, 3, bits, too_high, "encoder parts: row 2: threshold 255 is above 254 (value > 255 never holds)");
}
