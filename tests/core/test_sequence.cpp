// Sequences through timed networks (core/sequence.hpp): the unrolled network
// equals the timed engines tick for tick, and the relaxed engine's
// backpropagation through time equals finite differences of a plain
// recurrence written from the definition, truncated or not.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/relaxed.hpp"
#include "lutra/core/sequence.hpp"
#include "lutra/core/time.hpp"
#include "support/random_bits.hpp"
#include "support/tolerance.hpp"

using namespace lutra;
using namespace lutra::core;
using lutra::test::close;
using lutra::test::random_inputs;

namespace {

using activations = relaxed_engine::activations;

// A small recurrent network: delays up to max_delay from anywhere, a head
// of `classes` groups of 2 over the last nodes.
network recurrent_network(std::uint32_t inputs, std::uint32_t nodes, unsigned k_max, std::uint32_t max_delay,
                          std::uint32_t classes, std::uint64_t seed) {
    network_arrays a = random_timed_network({.num_inputs = inputs,
                                             .nodes = nodes,
                                             .k_min = 1,
                                             .k_max = k_max,
                                             .p_delayed = 0.4,
                                             .max_delay = max_delay,
                                             .table_density = 0.5},
                                            seed)
                           .arrays();
    a.head = {};
    if (classes > 0) {
        a.head.num_classes = classes;
        for (std::uint32_t j = 0; j < 2 * classes; ++j) a.head.outputs.push_back(nodes - 2 * classes + j);
    }
    return network(std::move(a));
}

// The samples' input bits of one tick, out of the flat sequences.
bit_matrix tick_inputs(const bit_matrix& flat, std::uint32_t inputs, std::uint32_t tick) {
    bit_matrix m(inputs, flat.samples());
    for (std::uint32_t i = 0; i < inputs; ++i)
        for (std::size_t s = 0; s < flat.samples(); ++s) m.set(i, s, flat.get(tick * inputs + i, s));
    return m;
}

std::vector<float> random_entries(std::size_t n, std::uint64_t seed) {
    std::vector<float> w(n);
    const counter_rng rng(seed, "test.sequence.entries");
    for (std::size_t i = 0; i < n; ++i) w[i] = static_cast<float>(0.05 + 0.9 * rng.uniform(i));
    return w;
}

// The relaxed recurrence from the definition, in double, tick by tick: a
// slot with delay d reads its source's value d ticks earlier, 0 before.
// Entries `early` are used at ticks before `split`, `late` from it on, so
// d/d(late) with early held fixed is what truncated BPTT computes.
struct recurrence {
    const network& net;
    const bit_matrix& flat;
    std::uint32_t ticks;

    // y[(t · N + n) · S + s]
    std::vector<double> forward(const std::vector<double>& early, const std::vector<double>& late,
                                std::uint32_t split) const {
        const std::uint32_t nodes = net.num_nodes();
        const std::size_t samples = flat.samples();
        const std::vector<std::size_t> offsets = entry_offsets(net);
        std::vector<double> y(std::size_t{ticks} * nodes * samples, 0.0), tree;
        for (std::uint32_t t = 0; t < ticks; ++t) {
            const std::vector<double>& w = t < split ? early : late;
            for (std::size_t s = 0; s < samples; ++s)
                for (std::uint32_t n = 0; n < nodes; ++n) {
                    const auto src = net.sources(n);
                    const auto del = net.delays(n);
                    tree.assign(w.begin() + static_cast<std::ptrdiff_t>(offsets[n]),
                                w.begin() + static_cast<std::ptrdiff_t>(offsets[n + 1]));
                    for (unsigned i = 0; i < src.size(); ++i) {
                        const std::uint32_t d = del.empty() ? 0 : del[i];
                        double p = 0;
                        if (d <= t) {
                            if (src[i] < net.num_inputs())
                                p = flat.get((t - d) * net.num_inputs() + src[i], s) ? 1.0 : 0.0;
                            else
                                p = y[(std::size_t{t - d} * nodes + (src[i] - net.num_inputs())) * samples + s];
                        }
                        for (std::size_t m = 0; m < tree.size() / 2; ++m)
                            tree[m] = tree[2 * m] + p * (tree[2 * m + 1] - tree[2 * m]);
                        tree.resize(tree.size() / 2);
                    }
                    y[(std::size_t{t} * nodes + n) * samples + s] = tree[0];
                }
        }
        return y;
    }
    double loss(const std::vector<double>& r, const std::vector<double>& early, const std::vector<double>& late,
                std::uint32_t split) const {
        const std::vector<double> y = forward(early, late, split);
        double l = 0;
        for (std::size_t i = 0; i < y.size(); ++i) l += r[i] * y[i];
        return l;
    }
};

}  // namespace

TEST_CASE("sequence: the unrolled network equals the stepped engine at every tick, every node") {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        CAPTURE(seed);
        const network net = recurrent_network(5, 40, 6, 4, 2, seed);
        const std::uint32_t ticks = 9;
        const std::size_t samples = 70;
        const bit_matrix flat = random_inputs(ticks * 5, samples, seed);
        const network unrolled = unroll(net, {.ticks = ticks});
        CHECK(unrolled.combinational());
        CHECK(unrolled.num_nodes() == 1 + ticks * 40);
        CHECK(unrolled.num_inputs() == ticks * 5);
        const bit_matrix all = bitslice_engine(unrolled).evaluate(flat);

        const auto engine = make_stepped_engine(net, {.streams = samples});
        for (std::uint32_t t = 0; t < ticks; ++t) {
            engine->step(tick_inputs(flat, 5, t));
            for (std::uint32_t n = 0; n < 40; ++n)
                for (std::size_t s = 0; s < samples; ++s)
                    REQUIRE(all.get(unrolled_node(t, n, 40), s) == engine->outputs().get(n, s));
        }
        for (std::size_t s = 0; s < samples; ++s) CHECK_FALSE(all.get(0, s));  // the constant
    }
}

TEST_CASE("sequence: readout ticks sum the head's popcounts") {
    const network net = recurrent_network(4, 30, 5, 3, 3, 7);
    const std::uint32_t ticks = 6;
    const bit_matrix flat = random_inputs(ticks * 4, 100, 7);
    const head_output windowed = bitslice_engine(unroll(net, {.ticks = ticks, .readout = {2, 4, 5}})).classify(flat);
    const auto engine = make_stepped_engine(net, {.streams = 100});
    std::vector<std::uint32_t> scores(100 * 3, 0);
    for (std::uint32_t t = 0; t < ticks; ++t) {
        engine->step(tick_inputs(flat, 4, t));
        if (t != 2 && t != 4 && t != 5) continue;
        for (std::uint32_t c = 0; c < 3; ++c)
            for (std::uint32_t j = 0; j < 2; ++j)
                for (std::size_t s = 0; s < 100; ++s)
                    scores[s * 3 + c] += engine->outputs().get(net.head().outputs[c * 2 + j], s) ? 1 : 0;
    }
    CHECK(windowed.scores == scores);
    const head_output last = bitslice_engine(unroll(net, {.ticks = ticks})).classify(flat);
    CHECK(last.scores != windowed.scores);
}

TEST_CASE("sequence: first_reachable_tick counts the delays along the shortest path from an input") {
    network_arrays a;
    a.num_inputs = 1;
    a.k = {1, 1, 1, 1};
    a.sources = {0, 1, 2, 4};  // node 0 ← input; 1 ← node 0 (delay 3); 2 ← node 1 (0); 3 ← itself (1)
    a.delays = {0, 3, 0, 1};
    a.tables = {0b10, 0b10, 0b10, 0b10};
    const std::vector<std::uint32_t> first = first_reachable_tick(network(std::move(a)));
    CHECK(first == std::vector<std::uint32_t>{0, 3, 3, no_tick});
}

TEST_CASE("sequence: bad specs are refused with what would be valid") {
    CHECK_THROWS_WITH_AS(check_sequence({.ticks = 0}), doctest::Contains("at least one tick"), error);
    CHECK_THROWS_WITH_AS(check_sequence({.ticks = 5, .readout = {2, 5}}),
                         doctest::Contains("readout tick 5 is outside the sequence's ticks 0 … 4"), error);
    CHECK_THROWS_WITH_AS(check_sequence({.ticks = 5, .readout = {3, 2}}), doctest::Contains("ascending"), error);
    CHECK_THROWS_WITH_AS(check_sequence({.ticks = 5, .bptt_window = 6}),
                         doctest::Contains("bptt_window = 6 is longer than the sequence of 5 ticks"), error);
    const network net = recurrent_network(3, 10, 3, 2, 1, 1);
    CHECK_THROWS_WITH_AS(relaxed_engine(net, {}), doctest::Contains("train it on sequences"), error);
    const relaxed_engine engine(net, {.sequence = sequence_spec{.ticks = 4}});
    activations y;
    const std::vector<float> w = random_entries(engine.num_entries(), 1);
    CHECK_THROWS_WITH_AS(engine.forward(random_inputs(3, 10, 1), 0, 10, w, y),
                         doctest::Contains("3 input rows for a network of 3 inputs over 4 ticks (12 rows a sequence)"),
                         error);
}

TEST_CASE("sequence: backpropagation through time equals finite differences, whole and truncated") {
    for (const std::uint32_t window : {0U, 3U}) {
        for (const char* relaxation : {"multilinear"}) {
            CAPTURE(window);
            const std::uint32_t inputs = 3, nodes = 9, ticks = 6;
            const network net = recurrent_network(inputs, nodes, 4, 3, 0, 11 + window);
            const std::size_t samples = 37;
            const bit_matrix flat = random_inputs(ticks * inputs, samples, 5);
            const std::vector<float> w = random_entries(entry_offsets(net).back(), 3);
            const std::vector<double> wd(w.begin(), w.end());
            const recurrence model{net, flat, ticks};
            // The truncated gradient holds ticks before the window fixed.
            const std::uint32_t split = window == 0 ? 0 : ticks - window;

            for (const unsigned threads : {1U, 2U}) {
                CAPTURE(threads);
                const relaxed_engine engine(net, {.threads = threads,
                                                  .block_samples = 16,
                                                  .relaxation = relaxation,
                                                  .sequence = sequence_spec{.ticks = ticks, .bptt_window = window}});
                REQUIRE(engine.rows() == 1 + ticks * nodes);
                activations y;
                engine.forward(flat, 0, samples, w, y);
                const std::vector<double> yd = model.forward(wd, wd, 0);
                for (std::uint32_t t = 0; t < ticks; ++t)
                    for (std::uint32_t n = 0; n < nodes; ++n)
                        for (std::size_t s = 0; s < samples; ++s)
                            REQUIRE(close(y.node(engine.row(t, n))[s],
                                          yd[(std::size_t{t} * nodes + n) * samples + s], 1e-5));

                // The loss reads the last tick's nodes and one node at tick 4.
                std::vector<double> r(yd.size(), 0.0);
                activations dy(engine.rows(), samples);
                const counter_rng rng(window, "test.sequence.loss");
                for (std::uint32_t n = 0; n < nodes; ++n)
                    for (const std::uint32_t t : {ticks - 1, 4U}) {
                        if (t == 4 && n != 2) continue;
                        for (std::size_t s = 0; s < samples; ++s) {
                            const std::size_t i = (std::size_t{t} * nodes + n) * samples + s;
                            r[i] = rng.uniform(i) - 0.5;
                            dy.node(engine.row(t, n))[s] = static_cast<float>(r[i]);
                        }
                    }
                std::vector<float> grad(w.size(), 0.0F);
                engine.backward(flat, 0, samples, w, y, dy, grad);

                const double h = 1e-3;
                for (std::size_t e = 0; e < w.size(); ++e) {
                    std::vector<double> plus = wd, minus = wd;
                    plus[e] += h;
                    minus[e] -= h;
                    const double fd = (model.loss(r, wd, plus, split) - model.loss(r, wd, minus, split)) / (2 * h);
                    CAPTURE(e);
                    CHECK(close(grad[e], fd, 1e-4));
                }
                // Copies before the window get no gradient.
                for (std::uint32_t t = 0; t < split; ++t)
                    for (std::uint32_t n = 0; n < nodes; ++n)
                        for (std::size_t s = 0; s < samples; ++s)
                            if (!(t == 4 && n == 2)) CHECK(dy.node(engine.row(t, n))[s] == 0.0F);
            }
        }
    }
}

TEST_CASE("sequence: hardened entries make the relaxed engine the unrolled hard network; threads agree") {
    const network net = recurrent_network(4, 60, 6, 5, 2, 21);
    const std::uint32_t ticks = 8;
    const bit_matrix flat = random_inputs(ticks * 4, 300, 21);
    const bit_matrix hard = bitslice_engine(unroll(net, {.ticks = ticks})).evaluate(flat);
    const std::vector<float> w = table_entries(net);
    for (const char* relaxation : {"multilinear", "efd"}) {
        CAPTURE(relaxation);
        const relaxed_engine one(net, {.threads = 1, .relaxation = relaxation, .sequence = sequence_spec{.ticks = ticks}});
        const relaxed_engine two(net, {.threads = 2, .relaxation = relaxation, .sequence = sequence_spec{.ticks = ticks}});
        activations y1, y2;
        one.forward(flat, 0, 300, w, y1);
        two.forward(flat, 0, 300, w, y2);
        std::uint32_t live = 0;
        for (std::uint32_t t = 0; t < ticks; ++t)
            for (std::uint32_t n = 0; n < 60; ++n) {
                const std::uint32_t r = one.row(t, n);
                if (r == no_tick) continue;
                ++live;
                for (std::size_t s = 0; s < 300; ++s) {
                    REQUIRE(y1.node(r)[s] == (hard.get(unrolled_node(t, n, 60), s) ? 1.0F : 0.0F));
                    REQUIRE(y2.node(r)[s] == y1.node(r)[s]);
                }
            }
        CHECK(live + 1 == one.rows());
        // Gradients bit-identical across thread counts.
        activations d1(one.rows(), 300), d2(one.rows(), 300);
        for (const std::uint32_t out : one.head().outputs) {
            for (std::size_t s = 0; s < 300; ++s) d1.node(out)[s] = d2.node(out)[s] = (s % 3 == 0) ? 0.5F : -0.25F;
        }
        const std::vector<float> soft = random_entries(w.size(), 9);
        one.forward(flat, 0, 300, soft, y1);
        two.forward(flat, 0, 300, soft, y2);
        std::vector<float> g1(w.size(), 0.0F), g2(w.size(), 0.0F);
        one.backward(flat, 0, 300, soft, y1, d1, g1);
        two.backward(flat, 0, 300, soft, y2, d2, g2);
        CHECK(g1 == g2);
        CHECK(std::any_of(g1.begin(), g1.end(), [](float g) { return g != 0.0F; }));
    }
}

TEST_CASE("sequence: the live unrolled network drops copies no readout reads and classifies the same") {
    // Two layers, the second reading the first without delay, the first
    // reading the input through delays: before the last tick, only the
    // first layer's copies that the delays reach are live.
    network_arrays a;
    a.num_inputs = 2;
    for (std::uint32_t n = 0; n < 8; ++n) {  // layer 1: input i at delay n % 4
        a.k.push_back(2);
        a.sources.insert(a.sources.end(), {0, 1});
        a.delays.insert(a.delays.end(), {n % 4, (n + 1) % 4});
        a.tables.push_back(0b0110 ^ (n & 1U));
    }
    for (std::uint32_t n = 0; n < 4; ++n) {  // layer 2: two of layer 1, the head
        a.k.push_back(2);
        a.sources.insert(a.sources.end(), {2 + 2 * n, 3 + 2 * n});
        a.delays.insert(a.delays.end(), {0, 0});
        a.tables.push_back(0b1000);
    }
    a.head = {.num_classes = 2, .outputs = {8, 9, 10, 11}};
    const network net(std::move(a));
    const sequence_spec spec{.ticks = 10};
    const live_unrolled live = unroll_live(net, spec);
    CHECK(live.net.num_nodes() == 1 + 12);  // the constant and the last tick's copies
    const bit_matrix flat = random_inputs(20, 200, 3);
    CHECK(bitslice_engine(live.net).classify(flat).scores == bitslice_engine(unroll(net, spec)).classify(flat).scores);
    // A recurrent network keeps what its feedback carries to the end.
    const network rec = recurrent_network(4, 30, 5, 3, 3, 7);
    const sequence_spec window{.ticks = 7, .readout = {4, 6}};
    const live_unrolled rec_live = unroll_live(rec, window);
    CHECK(rec_live.net.num_nodes() < unroll(rec, window).num_nodes());
    const bit_matrix rec_in = random_inputs(28, 150, 4);
    CHECK(bitslice_engine(rec_live.net).classify(rec_in).scores ==
          bitslice_engine(unroll(rec, window)).classify(rec_in).scores);
    for (std::uint32_t t = 0; t < 7; ++t)
        for (std::uint32_t n = 0; n < 30; ++n)
            if (const std::uint32_t r = rec_live.row[unrolled_node(t, n, 30)]; r != no_tick) {
                CHECK(rec_live.origin[r] == n);
                CHECK(rec_live.tick[r] == t);
            }
}
