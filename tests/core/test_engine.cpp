#include <doctest/doctest.h>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/reference.hpp"
#include "support/random_bits.hpp"

using namespace lutra;
using namespace lutra::core;

using lutra::test::random_inputs;

namespace {

// Wiring that mixes inputs and every earlier node, repeated sources included,
// so the kernels see aliasing planes and skip connections.
network mixed_network(unsigned k, std::uint32_t inputs, std::uint32_t nodes, std::uint64_t seed) {
    network_arrays a;
    a.num_inputs = inputs;
    const counter_rng rng(seed, "test.network");
    for (std::uint32_t n = 0; n < nodes; ++n) {
        a.k.push_back(static_cast<std::uint8_t>(k));
        for (unsigned s = 0; s < k; ++s) a.sources.push_back(static_cast<std::uint32_t>(rng.fork(n).below(s, inputs + n)));
        for (std::size_t w = 0; w < table_words(k); ++w) {
            std::uint64_t t = rng.fork(n).at(100 + w);
            // Constant, single-input and random leaves all occur.
            if (rng.fork(n).at(200 + w) % 4 == 0) t &= 0x00FF00FFFF0000FFULL;
            if (k < 6) t &= (std::uint64_t{1} << (1U << k)) - 1;
            a.tables.push_back(t);
        }
    }
    a.head.num_classes = 2;
    a.head.outputs = {nodes - 2, nodes - 1};
    return network(std::move(a));
}

}  // namespace

TEST_CASE("engine: every kernel equals the scalar reference for k = 1..8 and 16") {
    for (unsigned k : {1U, 2U, 3U, 4U, 5U, 6U, 7U, 8U, 16U}) {
        const std::uint32_t nodes = k == 16 ? 6 : 40;
        const network net = mixed_network(k, 13, nodes, 1000 + k);
        for (std::size_t samples : {1UL, 63UL, 700UL, 1537UL}) {
            const bit_matrix inputs = random_inputs(13, samples, samples * 31 + k);
            const bit_matrix expected = reference_evaluate(net, inputs);
            for (isa set : all_isas) {
                if (!isa_supported(set)) {
                    MESSAGE("skipping ", to_string(set), ": not supported by this processor");
                    continue;
                }
                CAPTURE(k);
                CAPTURE(samples);
                CAPTURE(to_string(set));
                const bitslice_engine engine(net, {.instruction_set = set, .threads = 1, .tile_samples = 1024});
                CHECK(engine.evaluate(inputs) == expected);
            }
        }
    }
}

TEST_CASE("engine: mixed k in one network, several tile sizes") {
    network_arrays a;
    a.num_inputs = 9;
    const counter_rng rng(5, "test.mixed");
    for (std::uint32_t n = 0; n < 60; ++n) {
        const unsigned k = 1 + static_cast<unsigned>(rng.below(n, 8));
        a.k.push_back(static_cast<std::uint8_t>(k));
        for (unsigned s = 0; s < k; ++s) a.sources.push_back(static_cast<std::uint32_t>(rng.fork(n).below(s, 9 + n)));
        for (std::size_t w = 0; w < table_words(k); ++w)
            a.tables.push_back(k < 6 ? rng.fork(n).at(50 + w) & ((std::uint64_t{1} << (1U << k)) - 1)
                                     : rng.fork(n).at(50 + w));
    }
    const network net(std::move(a));
    const bit_matrix inputs = random_inputs(9, 5000, 77);
    const bit_matrix expected = reference_evaluate(net, inputs);
    for (std::size_t tile : {512UL, 1536UL, 8192UL}) {
        const bitslice_engine engine(net, {.tile_samples = tile});
        CHECK(engine.evaluate(inputs) == expected);
    }
}

TEST_CASE("engine: the group-sum head equals the reference, ties to the lowest class") {
    const network net = random_network({.num_inputs = 64, .nodes = 300, .layers = 3, .k = 6, .num_classes = 10}, 9);
    const bit_matrix inputs = random_inputs(64, 3001, 4);
    const head_output expected = reference_classify(net, inputs);
    const bitslice_engine engine(net, {.tile_samples = 1024});
    const head_output got = engine.classify(inputs);
    CHECK(got.scores == expected.scores);
    CHECK(got.predictions == expected.predictions);

    // Groups wider than 255 outputs need counters of more than 8 bits.
    const network wide = random_network({.num_inputs = 40, .nodes = 1200, .layers = 2, .k = 4, .num_classes = 2}, 5);
    const bit_matrix wide_inputs = random_inputs(40, 700, 6);
    const head_output wide_expected = reference_classify(wide, wide_inputs);
    for (isa set : all_isas) {
        if (!isa_supported(set)) continue;
        CAPTURE(to_string(set));
        const head_output w = bitslice_engine(wide, {.instruction_set = set, .tile_samples = 512}).classify(wide_inputs);
        CHECK(w.scores == wide_expected.scores);
        CHECK(w.predictions == wide_expected.predictions);
    }
    // group_sum() on planes computed elsewhere gives the same.
    const bit_matrix all = reference_evaluate(wide, wide_inputs);
    bit_matrix head_planes(wide.head().outputs.size(), wide_inputs.samples());
    for (std::size_t j = 0; j < head_planes.rows(); ++j)
        for (std::size_t s = 0; s < wide_inputs.samples(); ++s) head_planes.set(j, s, all.get(wide.head().outputs[j], s));
    CHECK(group_sum(wide.head(), head_planes).scores == wide_expected.scores);

    // Two outputs per class, all constant 1: every score ties, so class 0 wins.
    network_arrays tied;
    tied.num_inputs = 1;
    tied.k.assign(6, 1);
    tied.sources.assign(6, 0);
    tied.tables.assign(6, 0b11);
    tied.head = {.num_classes = 3, .outputs = {0, 1, 2, 3, 4, 5}};
    const head_output t = bitslice_engine(network(std::move(tied))).classify(bit_matrix(1, 10));
    CHECK(t.predictions == std::vector<std::uint16_t>(10, 0));
    CHECK(t.scores == std::vector<std::uint32_t>(30, 2));
}

TEST_CASE("engine: results do not depend on the thread count") {
    const network net = random_network({.num_inputs = 100, .nodes = 400, .layers = 4, .k = 6, .num_classes = 10}, 3);
    const bit_matrix inputs = random_inputs(100, 9000, 8);
    const bitslice_engine one(net, {.threads = 1, .tile_samples = 512});
    const bitslice_engine two(net, {.threads = 2, .tile_samples = 512});
    CHECK(one.evaluate(inputs) == two.evaluate(inputs));
    const head_output a = one.classify(inputs);
    const head_output b = two.classify(inputs);
    CHECK(a.scores == b.scores);
    CHECK(a.predictions == b.predictions);
}

TEST_CASE("engine: bad use is rejected with a reason") {
    const network net = random_network({.num_inputs = 8, .nodes = 20, .layers = 2, .k = 3, .num_classes = 2}, 1);
    CHECK_THROWS_WITH_AS(bitslice_engine(net, {.tile_samples = 1000}),
                         doctest::Contains("tile_samples = 1000 is not a positive multiple of 512"), lutra::error);
    CHECK_THROWS_WITH_AS((void)bitslice_engine(net).evaluate(bit_matrix(7, 10)),
                         doctest::Contains("7 input rows for a network of 8 inputs"), lutra::error);
    network_arrays delayed;
    delayed.num_inputs = 1;
    delayed.k = {1};
    delayed.sources = {1};
    delayed.delays = {1};
    delayed.tables = {0b01};
    CHECK_THROWS_WITH_AS(bitslice_engine(network(std::move(delayed))), doctest::Contains("delayed slots"),
                         lutra::error);
}
