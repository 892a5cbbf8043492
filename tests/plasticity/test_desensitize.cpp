#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "rule_harness.hpp"
#include "lutra/core/error.hpp"
#include "lutra/plasticity/rules/desensitize.hpp"
#include "lutra/plasticity/session.hpp"
#include "test_networks.hpp"

using namespace lutra;
using namespace lutra::plasticity;
using lutra::test::hand_activity;
using lutra::test::hand_context;
using lutra::test::one_layer;
using lutra::test::synthetic;
using lutra::test::task;

namespace {

// A driven node: node 0 of two, each of 2 inputs; node 0 addresses entry
// x0 + 2·x1, so a stream whose inputs are `a` drives node 0's entry a. The
// phase applies to node 0 only.
struct driven {
    explicit driven(desensitize_params p) : ctx(one_layer(2, 2, 2, 2, 1), std::vector<std::uint32_t>{0}), rule(p) { rule.begin(ctx); }
    ~driven() { rule.end(ctx); }
    // One tick: one stream addressing `entry`, with this dy for node 0 (none when NaN).
    void stimulate(std::uint32_t entry, float dy_value = NAN) {
        const std::uint32_t columns[] = {entry};
        const hand_activity act(ctx.network(), columns);
        core::relaxed_engine::activations dy(2, 1);
        dy.node(0)[0] = dy_value;
        rule.tick({ticks++, act.hard, {.dy = std::isnan(dy_value) ? nullptr : &dy}}, ctx);
    }
    // One tick at rest: no stream addresses anything.
    void rest() {
        const hand_activity act(ctx.network(), {});
        rule.tick({ticks++, act.hard, {}}, ctx);
    }
    [[nodiscard]] float y(std::uint32_t entry) const { return rule.efficacy()[entry]; }
    [[nodiscard]] float z(std::uint32_t entry) const { return rule.recovery()[entry]; }

    hand_context ctx;
    desensitize_rule rule;
    std::uint64_t ticks = 0;
};

const desensitize_params habituating{.tau = 4.0, .alpha = 0.5, .beta = 2.0, .gamma = 0.05, .dishabituation = 0.3};

}  // namespace

TEST_CASE("desensitize: one step of the equations, checked numerically") {
    driven d(habituating);
    CHECK(d.y(1) == 1.0F);
    CHECK(d.z(1) == doctest::Approx(0.99));
    d.stimulate(1);  // s = 1: y = 1 + (1/4)(0.5·0.99·0 − 2·1·1) = 0.5; z = 0.99 + 0.05·0.99·(−0.01)
    CHECK(d.y(1) == doctest::Approx(0.5));
    CHECK(d.z(1) == doctest::Approx(0.99 - 0.05 * 0.99 * 0.01));
    const double y = 0.5, z = 0.99 - 0.05 * 0.99 * 0.01;
    d.stimulate(1);
    CHECK(d.y(1) == doctest::Approx(y + 0.25 * (0.5 * z * (1 - y) - 2 * y)));
    CHECK(d.z(1) == doctest::Approx(z + 0.05 * z * (z - 1)));
    d.rest();  // s = 0: recovery only
    const double y2 = y + 0.25 * (0.5 * z * (1 - y) - 2 * y), z2 = z + 0.05 * z * (z - 1);
    CHECK(d.y(1) == doctest::Approx(y2 + 0.25 * 0.5 * z2 * (1 - y2)));
    CHECK(d.z(1) == doctest::Approx(z2));
}

TEST_CASE("desensitize: decrement with repetition, spontaneous recovery with rest, slower after long stimulation") {
    driven d(habituating);
    float last = d.y(1);
    for (int t = 0; t < 20; ++t) {
        d.stimulate(1);
        CHECK(d.y(1) < last);  // each repetition lowers it
        last = d.y(1);
    }
    CHECK(last < 0.2F);
    const float habituated = last;
    for (int t = 0; t < 40; ++t) {
        d.rest();
        CHECK(d.y(1) > last);  // rest restores it, step by step
        last = d.y(1);
    }
    CHECK(last > 0.85F);
    // After ten times the stimulation, z is lower and the same rest restores less.
    driven longer(habituating);
    for (int t = 0; t < 200; ++t) longer.stimulate(1);
    CHECK(longer.z(1) < d.z(1));
    CHECK(longer.y(1) <= habituated);
    for (int t = 0; t < 40; ++t) longer.rest();
    CHECK(longer.y(1) < last - 0.05F);
}

TEST_CASE("desensitize: faster and deeper habituation at a higher stimulation rate") {
    driven every(habituating), fourth(habituating);
    std::vector<float> after_every, after_fourth;  // y after each stimulus
    int below_every = -1, below_fourth = -1;        // first tick with y < 0.5
    for (int t = 0; t < 400; ++t) {
        every.stimulate(1);
        after_every.push_back(every.y(1));
        if (t % 4 == 0) {
            fourth.stimulate(1);
            after_fourth.push_back(fourth.y(1));
        } else {
            fourth.rest();
        }
        if (below_every < 0 && every.y(1) < 0.5F) below_every = t;
        if (below_fourth < 0 && fourth.y(1) < 0.5F) below_fourth = t;
    }
    // Faster: after the same number of stimuli, and in ticks.
    for (std::size_t n = 1; n < 20; ++n) CHECK(after_every[n] < after_fourth[n]);
    CHECK(below_every >= 0);
    CHECK((below_fourth < 0 || below_every < below_fourth));
    // Deeper: the level it settles at is lower.
    CHECK(after_every.back() < 0.5F * after_fourth.back());
}

TEST_CASE("desensitize: dishabituation — a novel stimulus to the node restores its habituated entries") {
    driven d(habituating), control(habituating);
    for (int t = 0; t < 20; ++t) d.stimulate(1), control.stimulate(1);
    // Entry 2 has never been driven: y = y0 ≥ novelty, a novel stimulus.
    const float before = d.y(1);
    d.stimulate(2);
    control.rest();
    const float recovered = control.y(1);  // what rest alone gives
    CHECK(d.y(1) == doctest::Approx(recovered + 0.3 * (1.0 - recovered)));
    CHECK(d.y(1) > before + 0.2F);
    // Entry 2 itself is depressed by its stimulus, not restored.
    CHECK(d.y(2) == doctest::Approx(1.0 + 0.25 * (0.5 * 0.99 * 0 - 2 * 1.0)));
    // A stimulus with consequence is novel too, even to a habituated entry.
    for (int t = 0; t < 20; ++t) d.stimulate(1), d.stimulate(2);
    const float one = d.y(1), two = d.y(2);
    d.stimulate(2, 1.0F);  // |dy| = 1 ≥ threshold: entry 2 mattered
    CHECK(d.y(1) > one + 0.2F);
    CHECK(d.y(2) > two);  // consequence is no stimulation: entry 2 only recovers
    // Without novelty, nothing is restored: a habituated entry driven again.
    driven plain(habituating);
    for (int t = 0; t < 20; ++t) plain.stimulate(1), plain.stimulate(2);
    const float still = plain.y(1);
    plain.stimulate(2, 0.0F);  // dy = 0: no consequence, and entry 2 is habituated
    CHECK(plain.y(1) < still + 0.1F);
}

TEST_CASE("desensitize: stimulus specificity — only the driven entry loses efficacy, and only its steps shrink") {
    driven d(habituating);
    for (int t = 0; t < 30; ++t) d.stimulate(1);
    CHECK(d.y(1) < 0.2F);
    for (const std::uint32_t other : {0U, 2U, 3U}) {
        CHECK(d.y(other) == 1.0F);
        CHECK(d.z(other) == doctest::Approx(0.99));
    }
    // Node 1 is outside the phase: its entries keep y0 though its inputs were driven.
    for (std::uint32_t i = 4; i < 8; ++i) CHECK(d.y(i) == 1.0F);
    // The gradient step of each entry is scaled by its efficacy.
    std::vector<float> grad(8, 2.0F);
    const std::vector<float> theta(8, 0.0F);
    d.ctx.hooks().fire_before_step({0, 0, 0, 1, 0.1}, grad, theta);
    CHECK(grad[1] == 2.0F * d.y(1));
    CHECK(grad[0] == 2.0F);
    CHECK(grad[5] == 2.0F);
    rule_summary summary;
    d.rule.summarize(summary, d.ctx);
    REQUIRE(summary.columns.size() == 3);
    CHECK(summary.columns[0].values[0] == doctest::Approx((3 + d.y(1)) / 4));
    CHECK(summary.columns[2].values[0] == 0.25F);
    CHECK(std::isnan(summary.columns[0].values[1]));
}

TEST_CASE("desensitize: a head output's consequence without dy is its being wrong") {
    // Node 0 is a head output of class 0 (one_layer: 2 nodes, 2 classes).
    hand_context ctx(one_layer(2, 2, 2, 2, 1), std::vector<std::uint32_t>{0});
    desensitize_rule rule(habituating);
    rule.begin(ctx);
    const std::uint32_t columns[] = {1, 1};
    hand_activity act(ctx.network(), columns);
    act.outputs.set(0, 0, true);  // column 0: output 1, label 0 → right; column 1: output 0, label 0 → wrong
    const std::uint16_t labels[] = {0, 0};
    rule.tick({0, act.hard, {.labels = labels}}, ctx);
    // One of two columns without consequence: s = ½.
    CHECK(rule.efficacy()[1] == doctest::Approx(1.0 - 0.25 * 2 * 0.5));
    rule.end(ctx);
}

TEST_CASE("desensitize: parameters out of range are schema errors naming the key") {
    CHECK_THROWS_WITH_AS(desensitize_rule({.tau = 0.5}), doctest::Contains("tau"), core::schema_error);
    CHECK_THROWS_WITH_AS(desensitize_rule({.z0 = 1.0}), doctest::Contains("z0"), core::schema_error);
    CHECK_THROWS_WITH_AS(desensitize_rule({.y0 = 0.5, .novelty = 0.9}), doctest::Contains("novelty: expected at most y0"),
                         core::schema_error);
    CHECK_THROWS_WITH_AS(desensitize_rule({.dishabituation = 2}), doctest::Contains("dishabituation"), core::schema_error);
}

TEST_CASE("desensitize: inside gradient training, its state round-trips through a checkpoint") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 3);
    session_params p{.epochs = 3, .batch_size = 32, .tau = 2.0};
    p.schedule = {{.epochs = 3,
                   .rules = {{"gradient", rule_params(gradient_params{.optimizer = {.learning_rate = 0.05}})},
                             {"desensitize", rule_params(desensitize_params{.tau = 4.0, .threshold = 0.05})}}}};
    session whole(net, p, 9);
    whole.train_epoch(m.inputs, m.labels);
    const session_state after_one = whole.state();
    whole.train_epoch(m.inputs, m.labels);
    whole.train_epoch(m.inputs, m.labels);
    const auto* rule = whole.find_rule<desensitize_rule>();
    REQUIRE(rule != nullptr);
    CHECK(*std::min_element(rule->efficacy().begin(), rule->efficacy().end()) < 0.95F);  // it acted

    session resumed(net, p, 9);
    resumed.restore(after_one);
    resumed.train_epoch(m.inputs, m.labels);
    resumed.train_epoch(m.inputs, m.labels);
    CHECK(resumed.network().arrays().tables == whole.network().arrays().tables);
    CHECK(resumed.state() == whole.state());
}
