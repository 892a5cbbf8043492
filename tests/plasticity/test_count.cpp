#include <doctest/doctest.h>

#include <cmath>

#include "lutra/core/reference.hpp"
#include "lutra/core/relaxed.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/rules/count.hpp"
#include "lutra/plasticity/session.hpp"
#include "rule_harness.hpp"
#include "test_networks.hpp"

using namespace lutra;
using namespace lutra::plasticity;
using lutra::test::hand_context;

namespace {

// Node 0 is hidden, nodes 1 and 2 are the head's outputs of classes 0 and 1;
// all three read inputs 0 and 1 (address a = x0 + 2·x1), tables all 0 but
// entry 2 of every node, which is 1 (no column addresses it).
core::network three_nodes() {
    core::network_arrays a;
    a.num_inputs = 2;
    for (int n = 0; n < 3; ++n) {
        a.k.push_back(2);
        a.sources.insert(a.sources.end(), {0, 1});
        a.tables.push_back(0b0100);
    }
    a.head = {.num_classes = 2, .outputs = {1, 2}};
    return core::network(std::move(a));
}

// Six columns: addresses 0, 1, 1, 3, 0, 3 and labels 0, 0, 1, 1, 0, 1.
struct hand_batch {
    core::bit_matrix inputs{2, 6};
    core::bit_matrix outputs;
    std::vector<std::uint16_t> labels{0, 0, 1, 1, 0, 1};
    explicit hand_batch(const core::network& net) {
        const int x0[] = {0, 1, 1, 1, 0, 1}, x1[] = {0, 0, 0, 1, 0, 1};
        for (std::size_t c = 0; c < 6; ++c) {
            inputs.set(0, c, x0[c] != 0);
            inputs.set(1, c, x1[c] != 0);
        }
        outputs = core::reference_evaluate(net, inputs);
    }
};

bool bit(const core::network& net, std::uint32_t n, std::uint32_t a) { return net.table_bit(n, a); }

}  // namespace

TEST_CASE("count: votes by label for head outputs and by dL/dy for the others, as the equations say") {
    hand_context ctx(three_nodes());
    const hand_batch b(ctx.network());
    core::relaxed_engine::activations dy(3, 6);
    const float g[] = {-0.5F, 0.25F, -0.25F, 0.0F, 1.0F, -2.0F};
    std::copy(std::begin(g), std::end(g), dy.node(0).begin());
    std::fill(dy.node(1).begin(), dy.node(1).end(), 7.0F);  // head outputs learn from labels, not dy
    const hard_activity act(ctx.network(), b.inputs, b.outputs, 6);
    count_rule rule(count_params{});
    rule.begin(ctx);
    rule.learn(act, {.dy = &dy, .labels = b.labels}, ctx);

    // Node 1 (class 0): t = 1 at columns 0, 1, 4 (addresses 0, 1, 0).
    CHECK(rule.votes(1, 0).p == 2);
    CHECK(rule.votes(1, 0).q == 0);
    CHECK(rule.votes(1, 1).p == 1);
    CHECK(rule.votes(1, 1).q == 1);
    CHECK(rule.votes(1, 3).q == 2);
    CHECK(rule.votes(1, 2).v == 0);
    CHECK(rule.votes(1, 0).v == 2);
    CHECK(rule.total_positive(1) == 3);
    CHECK(rule.total_negative(1) == 3);
    // Node 0 (hidden): w = |dy|, t = dy < 0; the column with dy = 0 gives no vote.
    CHECK(rule.votes(0, 0).p == 0.5F);
    CHECK(rule.votes(0, 0).q == 1.0F);
    CHECK(rule.votes(0, 1).p == 0.25F);
    CHECK(rule.votes(0, 1).q == 0.25F);
    CHECK(rule.votes(0, 3).p == 2.0F);
    CHECK(rule.votes(0, 3).v == 1.0F);
    CHECK(rule.total_positive(0) == 2.75F);
    CHECK(rule.total_negative(0) == 1.25F);

    // T(a) = [p·S0 > q·S1]; entry 2 had no visit and keeps its 1; ties give 0.
    const core::network& net = ctx.network();
    CHECK(bit(net, 1, 0));
    CHECK_FALSE(bit(net, 1, 1));
    CHECK(bit(net, 1, 2));
    CHECK_FALSE(bit(net, 1, 3));
    CHECK_FALSE(bit(net, 2, 0));
    CHECK_FALSE(bit(net, 2, 1));
    CHECK(bit(net, 2, 3));
    CHECK_FALSE(bit(net, 0, 0));  // 0.5·1.25 < 1·2.75
    CHECK_FALSE(bit(net, 0, 1));  // 0.25·1.25 < 0.25·2.75
    CHECK(bit(net, 0, 3));
    REQUIRE(ctx.changes.size() == 1);
    CHECK(ctx.changes[0].what == network_change::kind::tables);
    CHECK(ctx.changes[0].nodes == std::vector<std::uint32_t>{0, 1, 2});

    // Without dy the hidden node learns nothing; without labels neither do the head's.
    hand_context quiet(three_nodes());
    count_rule alone(count_params{});
    alone.begin(quiet);
    alone.learn(hard_activity(quiet.network(), b.inputs, b.outputs, 6), {}, quiet);
    CHECK(alone.total_positive(0) + alone.total_negative(0) + alone.total_positive(1) == 0);
    CHECK(quiet.changes.empty());
}

TEST_CASE("count: class balance weighs the rarer target up; the majority decides as votes come in") {
    // Node 1 (class 0) sees labels 0, 1, 1, 1 at addresses 1, 1, 0, 0: at
    // entry 1, p = 1 and q = 1, a tie without balance, but S1 = 1 and S0 = 3
    // make it 1·3 > 1·1.
    hand_context ctx(three_nodes());
    core::bit_matrix inputs(2, 4);
    inputs.set(0, 0, true);
    inputs.set(0, 1, true);
    const std::vector<std::uint16_t> labels{0, 1, 1, 1};
    const core::bit_matrix outputs = core::reference_evaluate(ctx.network(), inputs);
    const hard_activity act(ctx.network(), inputs, outputs, 4);
    {
        count_rule balanced(count_params{});
        balanced.begin(ctx);
        balanced.learn(act, {.labels = labels}, ctx);
        CHECK(bit(ctx.network(), 1, 1));
        CHECK_FALSE(bit(ctx.network(), 1, 0));  // 0·3 > 2·1: no
    }
    hand_context plain_ctx(three_nodes());
    count_rule plain(count_params{.balance = false});
    plain.begin(plain_ctx);
    plain.learn(act, {.labels = labels}, plain_ctx);
    CHECK_FALSE(bit(plain_ctx.network(), 1, 1));  // 1 > 1: no
    // More votes for class 0 at entry 1 turn the majority.
    const std::vector<std::uint16_t> zeros{0, 0, 0, 0};
    plain.learn(act, {.labels = zeros}, plain_ctx);
    CHECK(plain.votes(1, 1).p == 3);
    CHECK(bit(plain_ctx.network(), 1, 1));
    CHECK_FALSE(bit(plain_ctx.network(), 1, 0));  // p = 2, q = 2: a tie gives 0
}

TEST_CASE("count: bleaching keeps (or zeroes) the bits of entries visited fewer than bleach times") {
    hand_context ctx(three_nodes());
    const hand_batch b(ctx.network());
    const hard_activity act(ctx.network(), b.inputs, b.outputs, 6);
    // Only column 1 (address 1, label 0): one visit.
    const std::vector<std::uint16_t> one{0};
    core::bit_matrix single_in = core::sample_range(b.inputs, 1, 1);
    const core::bit_matrix single_out = core::reference_evaluate(ctx.network(), single_in);
    const hard_activity single(ctx.network(), single_in, single_out, 1);
    count_rule rule(count_params{.bleach = 2});
    rule.begin(ctx);
    rule.learn(single, {.labels = one}, ctx);
    CHECK(rule.votes(1, 1).v == 1);
    CHECK_FALSE(bit(ctx.network(), 1, 1));  // p = 1 > q = 0, but one visit < 2: kept at 0
    CHECK(ctx.changes.empty());
    rule.learn(single, {.labels = one}, ctx);
    CHECK(bit(ctx.network(), 1, 1));  // two visits: it follows its votes
    // below_bleach: zero clears the unvisited entries at the end of the epoch.
    hand_context zctx(three_nodes());
    count_rule zero(count_params{.bleach = 1, .below_bleach = "zero"});
    zero.begin(zctx);
    zero.learn(act, {.labels = b.labels}, zctx);
    CHECK(bit(zctx.network(), 1, 2));  // not addressed in the batch
    zero.end_epoch(zctx);
    CHECK_FALSE(bit(zctx.network(), 1, 2));
    CHECK_FALSE(bit(zctx.network(), 2, 2));
    CHECK(bit(zctx.network(), 0, 2));  // no dy: node 0 did not learn
}

TEST_CASE("count: tick() learns as batch() does; decay; the state round-trips") {
    hand_context by_batch(three_nodes()), by_tick(three_nodes());
    const hand_batch b(by_batch.network());
    const hard_activity act(by_batch.network(), b.inputs, b.outputs, 6);
    count_rule r1(count_params{.decay = 0.5}), r2(count_params{.decay = 0.5});
    r1.begin(by_batch);
    r2.begin(by_tick);
    const batch_activity ba{{}, 0, b.inputs, 0, 6, b.labels, b.labels, &act, {.labels = b.labels}};
    batch_measure m;
    r1.batch(ba, by_batch, m);
    r2.tick({.tick = 0, .hard = act, .signal = {.labels = b.labels}}, by_tick);
    CHECK(r1.state() == r2.state());
    CHECK(by_batch.network().arrays().tables == by_tick.network().arrays().tables);
    r1.end_epoch(by_batch);
    CHECK(r1.votes(1, 0).p == 1.0F);  // 2 × 0.5
    CHECK(r1.total_negative(1) == 1.5F);

    count_rule restored(count_params{.decay = 0.5});
    hand_context other(by_batch.network());
    restored.begin(other);
    restored.restore(r1.state(), other);
    CHECK(restored.state() == r1.state());
    named_state wrong = r1.state();
    wrong.floats["p"].pop_back();
    CHECK_THROWS_AS(restored.restore(wrong, other), lutra::error);
}

TEST_CASE("count: alone, it learns majority-9 well above chance; resume gives the same network") {
    const test::task m = test::synthetic("majority-9");
    const core::network net = test::one_layer(9, 60, 4, 2, 7);
    session_params params{.epochs = 2, .batch_size = 64, .tau = 3.0};
    params.schedule = {{.epochs = 2, .rules = {{"count", rule_params(count_params{})}}}};
    const double before = test::hard_accuracy(net, m.inputs, m.labels);
    session whole(net, params, 5);
    whole.train_epoch(m.inputs, m.labels);
    const session_state after_one = whole.state();
    whole.train_epoch(m.inputs, m.labels);
    const double after = test::hard_accuracy(whole.network(), m.inputs, m.labels);
    MESSAGE("majority-9 by count alone: ", before, " -> ", after);
    CHECK(after > 0.85);
    CHECK(after > before + 0.2);

    session resumed(net, params, 5);
    resumed.restore(after_one);
    resumed.train_epoch(m.inputs, m.labels);
    CHECK(resumed.network().arrays().tables == whole.network().arrays().tables);
    CHECK(resumed.state() == whole.state());

    // Bad parameters are schema errors naming the path.
    params.schedule[0].rules[0].params = rule_params(count_params{.decay = 0});
    CHECK_THROWS_WITH_AS(session(net, params, 5), doctest::Contains("train.schedule[0].rules[0].decay"),
                         core::schema_error);
}
