#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "lutra/core/error.hpp"
#include "lutra/core/node_stats.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/reference.hpp"
#include "support/random_bits.hpp"
#include "support/inverted_node.hpp"

using namespace lutra;
using namespace lutra::core;

using lutra::test::with_inverted;
using lutra::test::random_inputs;

namespace {

// A layered network whose nodes read inputs and earlier nodes (repeats
// included, so a node may read one source twice), with a 3-class head over
// the last 12 nodes.
network layered_network(unsigned k, std::uint64_t seed) {
    network_arrays a;
    a.num_inputs = 20;
    const std::uint32_t nodes = 60;
    const counter_rng rng(seed, "test.stats");
    for (std::uint32_t n = 0; n < nodes; ++n) {
        a.k.push_back(static_cast<std::uint8_t>(k));
        for (unsigned s = 0; s < k; ++s) a.sources.push_back(static_cast<std::uint32_t>(rng.fork(n).below(s, a.num_inputs + n)));
        for (std::size_t w = 0; w < table_words(k); ++w) {
            std::uint64_t t = rng.fork(n).at(100 + w);
            if (k < 6) t &= (std::uint64_t{1} << (1U << k)) - 1;
            a.tables.push_back(t);
        }
    }
    a.head.num_classes = 3;
    for (std::uint32_t n = nodes - 12; n < nodes; ++n) a.head.outputs.push_back(n);
    return network(std::move(a));
}

}  // namespace

TEST_CASE("node statistics: every figure equals a direct recomputation, for any thread count") {
    for (const unsigned k : {2U, 4U, 6U, 7U}) {
        CAPTURE(k);
        const network net = layered_network(k, 10 + k);
        const std::size_t samples = 333;  // not a multiple of 64: the tail lanes must not count
        const bit_matrix in = random_inputs(net.num_inputs(), samples, 3);
        const node_statistics st = measure_nodes(net, in, {.threads = 1});
        REQUIRE(st.samples == samples);

        const bit_matrix out = reference_evaluate(net, in);
        const head_output decided = reference_classify(net, in);
        const std::size_t entries = std::size_t{1} << k;
        REQUIRE(st.usage_k == k);
        REQUIRE(st.entry_usage.size() == net.num_nodes() * entries);
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
            CAPTURE(n);
            std::size_t ones = 0;
            std::vector<std::uint32_t> usage(entries, 0);
            for (std::size_t s = 0; s < samples; ++s) {
                ones += out.get(n, s);
                std::uint32_t address = 0;
                const auto src = net.sources(n);
                for (unsigned i = 0; i < k; ++i) {
                    const bool bit = src[i] < net.num_inputs() ? in.get(src[i], s) : out.get(src[i] - net.num_inputs(), s);
                    address |= static_cast<std::uint32_t>(bit) << i;
                }
                ++usage[address];
            }
            const double p = static_cast<double>(ones) / samples;
            CHECK(st.activation_rate[n] == doctest::Approx(p).epsilon(1e-6));
            const double h = p == 0 || p == 1 ? 0 : -p * std::log2(p) - (1 - p) * std::log2(1 - p);
            CHECK(st.entropy[n] == doctest::Approx(h).epsilon(1e-5));
            for (std::size_t a = 0; a < entries; ++a) CHECK(st.entry_usage[n * entries + a] == usage[a]);

            const head_output flipped = reference_classify(with_inverted(net, n), in);
            std::size_t changed = 0;
            for (std::size_t s = 0; s < samples; ++s) changed += flipped.predictions[s] != decided.predictions[s];
            CHECK(st.sensitivity[n] == doctest::Approx(static_cast<double>(changed) / samples).epsilon(1e-6));
        }
        const node_statistics two = measure_nodes(net, in, {.threads = 2});
        CHECK(two.sensitivity == st.sensitivity);
        CHECK(two.entry_usage == st.entry_usage);
    }
}

TEST_CASE("node statistics: some nodes matter, nodes outside every output's cone do not") {
    const network net = layered_network(6, 1);
    const node_statistics st = measure_nodes(net, random_inputs(net.num_inputs(), 500, 9), {.threads = 2});
    float most = 0;
    for (const float s : st.sensitivity) most = std::max(most, s);
    CHECK(most > 0.0F);
    // Node 0 feeds nothing? Find a node no head output depends on and check it is 0.
    std::vector<bool> live(net.num_nodes(), false);
    for (const std::uint32_t o : net.head().outputs) live[o] = true;
    for (std::uint32_t n = net.num_nodes(); n-- > 0;)
        if (live[n])
            for (const std::uint32_t s : net.sources(n))
                if (s >= net.num_inputs()) live[s - net.num_inputs()] = true;
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        if (!live[n]) CHECK(st.sensitivity[n] == 0.0F);
}

TEST_CASE("node statistics: flips count changed entries; shapes must match") {
    const network a = layered_network(7, 2);
    const network b = with_inverted(a, 5);
    const std::vector<std::uint32_t> flips = table_flips(a, b);
    for (std::uint32_t n = 0; n < a.num_nodes(); ++n) CHECK(flips[n] == (n == 5 ? 128U : 0U));
    CHECK_THROWS_AS((void)table_flips(a, random_network({.num_inputs = 4, .nodes = 3, .layers = 1, .k = 2,
                                                          .num_classes = 0}, 1)),
                    lutra::error);
    CHECK_THROWS_AS((void)measure_nodes(a, random_inputs(3, 10, 1)), lutra::error);
    // A node whose fan-in changed (a pruned node) counts its whole new table.
    network_arrays smaller = a.arrays();
    const std::size_t slot = a.slot_offset(5);
    smaller.sources.erase(smaller.sources.begin() + static_cast<std::ptrdiff_t>(slot));
    if (!smaller.delays.empty()) smaller.delays.erase(smaller.delays.begin() + static_cast<std::ptrdiff_t>(slot));
    smaller.k[5] = static_cast<std::uint8_t>(a.k(5) - 1);
    const std::size_t word = a.table_offset(5);
    const std::size_t extra = table_words(a.k(5)) - table_words(smaller.k[5]);
    smaller.tables.erase(smaller.tables.begin() + static_cast<std::ptrdiff_t>(word + 1),
                         smaller.tables.begin() + static_cast<std::ptrdiff_t>(word + 1 + extra));
    if (smaller.k[5] < 6) smaller.tables[word] &= (std::uint64_t{1} << (1U << smaller.k[5])) - 1;
    const std::vector<std::uint32_t> reshaped = table_flips(a, network(smaller));
    for (std::uint32_t n = 0; n < a.num_nodes(); ++n) CHECK(reshaped[n] == (n == 5 ? 1U << smaller.k[5] : 0U));
}

TEST_CASE("node statistics: entry usage keeps a given width when every node is smaller") {
    const network net = layered_network(7, 2);
    unsigned largest = 0;
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) largest = std::max(largest, net.k(n));
    const bit_matrix inputs = random_inputs(net.num_inputs(), 100, 4);
    const node_statistics own = measure_nodes(net, inputs, {.sensitivity = false});
    const node_statistics wide = measure_nodes(net, inputs, {.sensitivity = false, .usage_k = largest + 1});
    CHECK(own.usage_k == largest);
    CHECK(wide.usage_k == largest + 1);
    REQUIRE(wide.entry_usage.size() == 2 * own.entry_usage.size());
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        for (std::size_t a = 0; a < (std::size_t{1} << (largest + 1)); ++a)
            CHECK(wide.entry_usage[(n << (largest + 1)) + a] ==
                  (a < (std::size_t{1} << largest) ? own.entry_usage[(n << largest) + a] : 0U));
}

TEST_CASE("node statistics: the gradient meter averages |dL/dy| over the samples it saw") {
    gradient_meter meter(3);
    relaxed_engine::activations dy(3, 40);
    for (std::uint32_t n = 0; n < 3; ++n)
        for (std::size_t s = 0; s < 40; ++s) dy.node(n)[s] = (s % 2 ? -1.0F : 1.0F) * static_cast<float>(n + s);
    meter.add(dy);
    meter.add(dy);
    const std::vector<float> m = meter.mean();
    for (std::uint32_t n = 0; n < 3; ++n) CHECK(m[n] == doctest::Approx(n + 19.5));
    CHECK(meter.samples() == 80);
    CHECK_THROWS_AS(meter.add(relaxed_engine::activations(2, 4)), lutra::error);
    meter.reset();
    CHECK(meter.mean() == std::vector<float>(3, 0.0F));
}
