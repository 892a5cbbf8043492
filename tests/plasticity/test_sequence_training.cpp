// Training on sequences through the session (core/sequence.hpp,
// plasticity/gradient.hpp): a recurrent network learns a task that needs
// its delays, the per-tick hooks see every tick in order, results do not
// depend on the thread count, and what cannot train on sequences is refused.

#include <doctest/doctest.h>

#include <vector>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/core/sequence.hpp"
#include "lutra/plasticity/rule.hpp"
#include "lutra/plasticity/session.hpp"

using namespace lutra;
using namespace lutra::core;
using namespace lutra::plasticity;

namespace {

// Two inputs a tick; label = input 0 at tick 1 xor input 1 at tick 3, read at
// tick 5: only a network that holds them (delays) can tell.
struct sequences {
    bit_matrix inputs;
    std::vector<std::uint16_t> labels;
};
constexpr std::uint32_t ticks = 6;
sequences make(std::size_t samples, std::uint64_t seed) {
    sequences s{bit_matrix(ticks * 2, samples), std::vector<std::uint16_t>(samples)};
    const counter_rng rng(seed, "test.sequence.task");
    for (std::size_t i = 0; i < samples; ++i) {
        for (std::uint32_t r = 0; r < ticks * 2; ++r) s.inputs.set(r, i, (rng.fork(i).at(r) & 1U) != 0);
        s.labels[i] = static_cast<std::uint16_t>(s.inputs.get(1 * 2 + 0, i) ^ s.inputs.get(3 * 2 + 1, i));
    }
    return s;
}

// A layer reading both inputs through delays 0–4, a head of 2 × 4 reading it.
network delayed_network(std::uint64_t seed) {
    network_arrays a;
    a.num_inputs = 2;
    const counter_rng rng(seed, "test.sequence.net");
    for (std::uint32_t n = 0; n < 24; ++n) {
        a.k.push_back(4);
        for (std::uint32_t i = 0; i < 4; ++i) {
            a.sources.push_back(static_cast<std::uint32_t>(rng.fork(n).below(2 * i, 2)));
            a.delays.push_back(static_cast<std::uint32_t>(rng.fork(n).below(2 * i + 1, 5)));
        }
        a.tables.push_back(rng.fork(n).at(99) & 0xFFFF);
    }
    for (std::uint32_t n = 0; n < 8; ++n) {
        a.k.push_back(4);
        for (std::uint32_t i = 0; i < 4; ++i) {
            a.sources.push_back(2 + static_cast<std::uint32_t>(rng.fork(100 + n).below(i, 24)));
            a.delays.push_back(0);
        }
        a.tables.push_back(rng.fork(100 + n).at(99) & 0xFFFF);
        a.head.outputs.push_back(24 + n);
    }
    a.head.num_classes = 2;
    return network(std::move(a));
}

session_params params(unsigned threads, std::uint32_t epochs) {
    session_params p;
    p.epochs = epochs;
    p.batch_size = 32;
    p.tau = 1.0;
    p.gradient.optimizer.learning_rate = 0.05;
    p.engine.threads = threads;
    p.engine.block_samples = 16;
    p.engine.sequence = sequence_spec{.ticks = ticks};
    return p;
}

}  // namespace

TEST_CASE("sequence training: a delayed network learns what only its delays can hold; threads agree") {
    const sequences train = make(2048, 1), test = make(1024, 2);
    std::vector<std::uint64_t> tables;
    for (const unsigned threads : {1U, 2U}) {
        session s(delayed_network(3), params(threads, 20), 5);
        for (std::uint32_t e = 0; e < 20; ++e) s.train_epoch(train.inputs, train.labels);
        const evaluation e = s.evaluate(test.inputs, test.labels);
        CAPTURE(threads);
        CHECK(e.hardened >= 0.99);
        // The hard decision is the unrolled network's, through the bit-sliced engine.
        const head_output out = bitslice_engine(unroll(s.network(), {.ticks = ticks})).classify(test.inputs);
        std::size_t correct = 0;
        for (std::size_t i = 0; i < test.labels.size(); ++i) correct += out.predictions[i] == test.labels[i];
        CHECK(static_cast<double>(correct) / 1024 == e.hardened);
        if (tables.empty())
            tables = s.network().arrays().tables;
        else
            CHECK(s.network().arrays().tables == tables);
    }
    // Without its delays (all 0) the same network cannot do better than chance.
    network_arrays flat = delayed_network(3).arrays();
    std::fill(flat.delays.begin(), flat.delays.end(), 0);
    session s(network(std::move(flat)), params(1, 20), 5);
    for (std::uint32_t e = 0; e < 20; ++e) s.train_epoch(train.inputs, train.labels);
    CHECK(s.evaluate(test.inputs, test.labels).hardened < 0.6);
}

TEST_CASE("sequence training: hooks fire per tick, in order, with each tick's rows") {
    const sequences train = make(64, 1);
    session s(delayed_network(3), params(1, 1), 5);
    std::vector<std::uint32_t> seen;
    std::size_t head_rows = 0, dead_rows = 0;
    s.hooks().after_tick([&](const batch_context&, const tick_rows& y, const tick_rows& dy) {
        seen.push_back(y.tick);
        for (std::uint32_t n = 0; n < 32; ++n) {
            if (y.node(n).empty()) {
                ++dead_rows;
                CHECK(dy.node(n).empty());
                continue;
            }
            CHECK(y.node(n).size() == dy.node(n).size());
            if (n >= 24 && y.tick == ticks - 1)
                for (const float g : dy.node(n)) head_rows += g != 0.0F;
        }
    });
    s.train_epoch(train.inputs, train.labels);
    const std::vector<std::uint32_t> one_batch{0, 1, 2, 3, 4, 5};
    REQUIRE(seen.size() == 2 * ticks);  // two batches of 32
    CHECK(std::vector<std::uint32_t>(seen.begin(), seen.begin() + ticks) == one_batch);
    CHECK(head_rows > 0);   // the loss reaches the last tick's head
    CHECK(dead_rows > 0);   // the head's copies before the last tick are not computed
}

TEST_CASE("sequence training: a delayed network needs a sequence; other rules are refused on sequences") {
    session_params no_sequence = params(1, 1);
    no_sequence.engine.sequence.reset();
    CHECK_THROWS_WITH_AS(session(delayed_network(3), no_sequence, 1), doctest::Contains("train on sequences"),
                         rule_limit_error);
    session_params counted = params(1, 2);
    counted.gradient = {};
    counted.schedule = {phase{.epochs = 1, .populations = {}, .rules = {rule_spec{}}},
                        phase{.epochs = 1, .populations = {}, .rules = {rule_spec{.rule = "count", .params = {}}}}};
    CHECK_THROWS_WITH_AS(session(delayed_network(3), counted, 1),
                         doctest::Contains("rule 'count' learns from static samples"), schema_error);
    session_params too_long = params(1, 1);
    too_long.engine.sequence->bptt_window = ticks + 1;
    CHECK_THROWS_WITH_AS(session(delayed_network(3), too_long, 1), doctest::Contains("bptt_window"), error);
}
