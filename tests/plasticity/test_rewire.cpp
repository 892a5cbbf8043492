#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "lutra/core/error.hpp"
#include "lutra/plasticity/rules/prune.hpp"
#include "lutra/plasticity/rules/rewire.hpp"
#include "lutra/plasticity/session.hpp"
#include "rule_harness.hpp"
#include "test_networks.hpp"

using namespace lutra;
using namespace lutra::plasticity;
using lutra::test::synthetic;
using lutra::test::hand_context;
using lutra::test::task;

namespace {

// Every slot of a layer-1 node may read any input; of a layer-2 node, any layer-1 node.
core::candidate_sources layered_candidates(const core::network& net, std::uint32_t first_layer_nodes) {
    core::candidate_sources c;
    c.list_offset = {0};
    for (std::uint32_t i = 0; i < net.num_inputs(); ++i) c.sources.push_back(i);
    c.list_offset.push_back(c.sources.size());
    for (std::uint32_t n = 0; n < first_layer_nodes; ++n) c.sources.push_back(net.num_inputs() + n);
    c.list_offset.push_back(c.sources.size());
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        for (unsigned i = 0; i < net.k(n); ++i) c.slot_list.push_back(n < first_layer_nodes ? 0 : 1);
    core::validate(c, net);
    return c;
}

}  // namespace

TEST_CASE("rewire: influence counts the columns where flipping a slot flips the output") {
    // Node 0 = x0 AND x1 over inputs 0 and 1; node 1 (the head) buffers node 0.
    core::network_arrays a;
    a.num_inputs = 3;
    a.k = {2, 1};
    a.sources = {0, 1, 3};
    a.tables = {0b1000, 0b10};
    a.head = {1, {1}};
    const core::network net(a);
    // Five columns addressing node 0's entries 0, 1, 2, 3, 3.
    core::bit_matrix inputs(3, 5), outputs(2, 5);
    const std::uint32_t address[] = {0, 1, 2, 3, 3};
    for (std::size_t c = 0; c < 5; ++c) {
        inputs.set(0, c, address[c] & 1U);
        inputs.set(1, c, address[c] & 2U);
        outputs.set(0, c, address[c] == 3);
        outputs.set(1, c, address[c] == 3);
    }
    hand_context ctx(net, layered_candidates(net, 1));
    rewire_rule rule({.fraction = 0, .zero_influence = true});
    rule.begin(ctx);
    rule.observe(hard_activity(net, inputs, outputs, 5), ctx);
    // Slot 0 matters where x1 = 1 (entries 2 and 3: three columns), slot 1 where x0 = 1 (1 and 3: three).
    CHECK(rule.influence() == std::vector<std::uint64_t>{3, 3, 5});
    // The same from one tick of five streams.
    rule.tick({.tick = 0, .hard = hard_activity(net, inputs, outputs, 5), .signal = {}}, ctx);
    CHECK(rule.influence() == std::vector<std::uint64_t>{6, 6, 10});
}

TEST_CASE("rewire: slots without influence re-grow from admissible candidates, by the seed alone") {
    // Layer 1: 6 nodes of k = 3 over 12 inputs whose tables ignore slot 2.
    core::network_arrays a;
    a.num_inputs = 12;
    for (std::uint32_t n = 0; n < 6; ++n) {
        a.k.push_back(3);
        for (std::uint32_t i = 0; i < 3; ++i) a.sources.push_back((2 * n + i) % 12);
        a.tables.push_back(0b01100110);  // x0 ⊕ x1, slot 2 ignored
    }
    for (std::uint32_t n = 0; n < 2; ++n) {
        a.k.push_back(3);
        for (std::uint32_t i = 0; i < 3; ++i) a.sources.push_back(12 + 3 * n + i);
        a.tables.push_back(0b11101000);  // majority
        a.head.outputs.push_back(6 + n);
    }
    a.head.num_classes = 2;
    const core::network net(a);
    const task data{[] {
                        core::bit_matrix x(12, 200);
                        const counter_rng rng(3, "test.rewire");
                        for (std::size_t r = 0; r < 12; ++r)
                            for (std::size_t s = 0; s < 200; ++s) x.set(r, s, rng.fork(r).at(s) & 1U);
                        return x;
                    }(),
                    std::vector<std::uint16_t>(200, 0)};
    const auto run = [&](std::uint64_t seed) {
        core::candidate_sources c = layered_candidates(net, 6);
        session_params params{.epochs = 1, .batch_size = 50, .tau = 1.0};
        params.schedule = {{.epochs = 1, .rules = {{"rewire", rule_params(rewire_params{.fraction = 0})}}}};
        session s(net, params, seed, catalogue(), c);
        s.train_epoch(data.inputs, data.labels);
        return s.network();
    };
    const core::network once = run(1);
    for (std::uint32_t n = 0; n < 6; ++n) {
        // Slot 2 moved; slots 0 and 1 (which matter) stayed; no source twice.
        CHECK(once.sources(n)[0] == net.sources(n)[0]);
        CHECK(once.sources(n)[1] == net.sources(n)[1]);
        CHECK(once.sources(n)[2] != net.sources(n)[2]);
        CHECK(once.sources(n)[2] < 12);
        CHECK(once.sources(n)[2] != once.sources(n)[0]);
        CHECK(once.sources(n)[2] != once.sources(n)[1]);
    }
    // Layer 2's majority reads all three slots: nothing to re-grow there.
    for (std::uint32_t n = 6; n < 8; ++n)
        CHECK(std::ranges::equal(once.sources(n), net.sources(n)));
    CHECK(run(1).arrays().sources == once.arrays().sources);
    CHECK(run(2).arrays().sources != once.arrays().sources);
}

TEST_CASE("rewire: needs the genome's candidates, refused before training") {
    const core::network net = core::random_network({.num_inputs = 9, .nodes = 4, .layers = 1, .k = 2, .num_classes = 2}, 1);
    session_params params{.epochs = 1, .batch_size = 32, .tau = 2.0};
    params.schedule = {{.epochs = 1, .rules = {{"rewire", rule_params(rewire_params{})}}}};
    CHECK_THROWS_WITH_AS(session(net, params, 1), doctest::Contains("train.schedule[0].rules[0].rule: rule 'rewire' moves sources"),
                         core::schema_error);
}

TEST_CASE("rewire: with gradient it keeps training; resumed from its state it ends the same") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 3, .num_classes = 2}, 8);
    const core::candidate_sources c = layered_candidates(net, 20);
    session_params params{.epochs = 3, .batch_size = 32, .tau = 2.0};
    params.schedule = {{.epochs = 3,
                        .rules = {{"gradient", rule_params(gradient_params{.optimizer = {.learning_rate = 0.05}})},
                                  {"rewire", rule_params(rewire_params{.fraction = 0.05})}}}};
    session whole(net, params, 6, catalogue(), c);
    whole.train_epoch(m.inputs, m.labels);
    const session_state after_one = whole.state();
    whole.train_epoch(m.inputs, m.labels);
    whole.train_epoch(m.inputs, m.labels);
    CHECK(whole.network().arrays().sources != net.arrays().sources);
    const std::vector<node_record::rule_columns> summary = whole.summarize_rules();
    REQUIRE(summary.size() == 1);
    CHECK(summary[0].rule == "rewire");
    float regrown = 0;
    for (const float r : summary[0].summary.columns[0].values) regrown += r;
    CHECK(regrown >= 3 * 6);  // 5 % of 120 slots each epoch, at least

    session resumed(net, params, 6, catalogue(), c);
    resumed.restore(after_one);
    resumed.train_epoch(m.inputs, m.labels);
    resumed.train_epoch(m.inputs, m.labels);
    CHECK(resumed.network().arrays().sources == whole.network().arrays().sources);
    CHECK(resumed.network().arrays().tables == whole.network().arrays().tables);
}

TEST_CASE("rewire after prune: candidate lists follow the slots prune moved, in the checkpoint too") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 8);
    const core::candidate_sources c = layered_candidates(net, 20);
    session_params params{.epochs = 3, .batch_size = 32, .tau = 2.0};
    params.schedule = {
        {.epochs = 1, .rules = {{"gradient", rule_params(gradient_params{.sharpen = 4, .optimizer = {.learning_rate = 0.05}})}}},
        {.epochs = 2,
         .rules = {{"prune", rule_params(prune_params{.budget = 0.05})},
                   {"rewire", rule_params(rewire_params{.fraction = 0.1})}}},
    };
    session whole(net, params, 6, catalogue(), c);
    whole.train_epoch(m.inputs, m.labels);
    whole.train_epoch(m.inputs, m.labels);
    CHECK(whole.network().num_slots() < net.num_slots());
    core::validate(whole.candidates(), whole.network());  // every slot reads one of its own candidates
    // A layer-2 slot still draws from layer 1, a layer-1 slot from the inputs.
    for (std::uint32_t n = 0; n < 40; ++n)
        for (unsigned i = 0; i < whole.network().k(n); ++i)
            CHECK(whole.candidates().slot_list[whole.network().slot_offset(n) + i] == (n < 20 ? 0U : 1U));
    const session_state after_two = whole.state();
    whole.train_epoch(m.inputs, m.labels);
    core::validate(whole.candidates(), whole.network());

    session resumed(net, params, 6, catalogue(), c);
    resumed.restore(after_two);
    resumed.train_epoch(m.inputs, m.labels);
    CHECK(resumed.network().arrays().sources == whole.network().arrays().sources);
    CHECK(resumed.network().arrays().tables == whole.network().arrays().tables);
    CHECK(resumed.candidates().slot_list == whole.candidates().slot_list);
}
