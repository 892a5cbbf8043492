#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "rule_harness.hpp"
#include "lutra/core/error.hpp"
#include "lutra/plasticity/rules/sensitize.hpp"
#include "lutra/plasticity/session.hpp"
#include "test_networks.hpp"

using namespace lutra;
using namespace lutra::plasticity;
using lutra::test::hand_activity;
using lutra::test::hard_accuracy;
using lutra::test::hand_context;
using lutra::test::one_layer;
using lutra::test::synthetic;
using lutra::test::task;

namespace {

// One gradient step through the hooks, as the gradient rule fires them.
std::vector<float> step(hand_context& ctx, std::vector<float> grad) {
    const std::vector<float> theta(grad.size(), 0.0F);
    ctx.hooks().fire_before_step({0, 0, 0, 1, 0.1}, grad, theta);
    return grad;
}

session_params sgd_schedule(std::uint32_t epochs, double lr, std::vector<rule_spec> extra, bool sensitize_first = false) {
    session_params p{.epochs = epochs, .batch_size = 32, .tau = 2.0};
    rule_spec gradient{"gradient", rule_params(gradient_params{.optimizer = {.kind = "sgd", .learning_rate = lr}})};
    std::vector<rule_spec> rules{gradient};
    for (rule_spec& r : extra) rules.insert(sensitize_first ? rules.begin() : rules.end(), std::move(r));
    p.schedule = {{.epochs = epochs, .rules = std::move(rules)}};
    return p;
}

}  // namespace

TEST_CASE("sensitize: the gain equation on a hand-made gradient sequence — growth, flips, zeros, cap and floor") {
    // Two nodes of 4 entries; the phase applies to node 0 only.
    hand_context ctx(one_layer(2, 2, 2, 2, 1), std::vector<std::uint32_t>{0});
    sensitize_rule rule({.gamma_up = 2.0, .gamma_down = 0.5, .gain_max = 3.0, .gain_min = 0.3, .smoothing = 0});
    rule.begin(ctx);
    // Entry 0's signs: + + + − + 0 + − + ; entry 1 stays 0; node 1's entries get steady +.
    const float g0[] = {0.5F, 2.0F, 1.0F, -1.0F, 4.0F, 0.0F, 1.0F, -1.0F, 1.0F};
    const float gain0[] = {1.0F, 2.0F, 3.0F, 1.5F, 0.75F, 0.75F, 0.75F, 0.375F, 0.3F};
    //                        first  ×2    cap   ×½    ×½   zero  after 0  ×½  floor
    for (std::size_t t = 0; t < std::size(g0); ++t) {
        CAPTURE(t);
        const std::vector<float> out = step(ctx, {g0[t], 0.0F, 0.25F, -0.25F, 1.0F, 1.0F, 1.0F, 1.0F});
        CHECK(rule.gains()[0] == gain0[t]);
        CHECK(out[0] == gain0[t] * g0[t]);  // the optimizer steps on gain × g
        CHECK(out[1] == 0.0F);
        CHECK(rule.gains()[1] == 1.0F);
        // Entries 2 and 3 keep their signs: ×2 from the second step, capped at 3.
        const float steady = t == 0 ? 1.0F : t == 1 ? 2.0F : 3.0F;
        CHECK(rule.gains()[2] == steady);
        CHECK(out[3] == -0.25F * steady);
        // Node 1 is outside the phase: untouched.
        for (std::size_t i = 4; i < 8; ++i) CHECK(out[i] == 1.0F);
        CHECK(rule.gains()[4] == 1.0F);
    }
    rule_summary summary;
    rule.summarize(summary, ctx);
    REQUIRE(summary.columns.size() == 2);
    CHECK(summary.columns[0].quantity == "gain_mean");
    CHECK(summary.columns[0].values[0] == doctest::Approx((0.3 + 1 + 3 + 3) / 4));
    CHECK(std::isnan(summary.columns[0].values[1]));
    CHECK(summary.columns[1].values[0] == 0.5F);  // entries 2 and 3 at the cap
    // end() takes the hook out: steps pass unchanged.
    rule.end(ctx);
    CHECK(step(ctx, {1, 1, 1, 1, 1, 1, 1, 1}) == std::vector<float>(8, 1.0F));
}

TEST_CASE("sensitize: smoothing takes the sign of the running mean, so one small reversal is no flip") {
    hand_context ctx(one_layer(2, 1, 2, 1, 1));
    sensitize_rule smooth({.gamma_up = 2.0, .gamma_down = 0.5, .smoothing = 0.5});
    smooth.begin(ctx);
    (void)step(ctx, {1.0F, 1.0F, 0, 0});   // e = 0.5: first sign
    (void)step(ctx, {-0.2F, 1.0F, 0, 0});  // e = 0.25 − 0.1 = 0.15 > 0: kept
    CHECK(smooth.gains()[0] == 2.0F);
    CHECK(smooth.state().floats.at("e")[0] == doctest::Approx(0.15));
    smooth.end(ctx);
    sensitize_rule raw({.gamma_up = 2.0, .gamma_down = 0.5, .smoothing = 0});
    raw.begin(ctx);
    (void)step(ctx, {1.0F, 1.0F, 0, 0});
    (void)step(ctx, {-0.2F, 1.0F, 0, 0});
    CHECK(raw.gains()[0] == 0.5F);
    raw.end(ctx);
}

TEST_CASE("sensitize: tick() follows the sign of dy summed over the columns addressing each entry") {
    hand_context ctx(one_layer(2, 1, 2, 1, 1));
    sensitize_rule rule({.gamma_up = 2.0, .gamma_down = 0.5, .smoothing = 0});
    rule.begin(ctx);
    // Three streams address entries 1, 1 and 2 (inputs 01, 01, 10).
    const std::uint32_t columns[] = {1, 1, 2};
    const hand_activity act(ctx.network(), columns);
    core::relaxed_engine::activations dy(1, 3);
    const auto set = [&dy](float a, float b, float c) {
        dy.node(0)[0] = a, dy.node(0)[1] = b, dy.node(0)[2] = c;
    };
    set(0.5F, -0.2F, -1.0F);  // entry 1: +0.3, entry 2: −1
    CHECK(rule.entry_signal(act.hard, {.dy = &dy}, ctx) == std::vector<float>{0.0F, 0.3F, -1.0F, 0.0F});
    rule.tick({0, act.hard, {.dy = &dy}}, ctx);
    set(0.5F, 0.5F, -1.0F);
    rule.tick({1, act.hard, {.dy = &dy}}, ctx);
    CHECK(rule.gains()[1] == 2.0F);
    CHECK(rule.gains()[2] == 2.0F);
    set(-0.5F, 0.1F, 1.0F);
    rule.tick({2, act.hard, {.dy = &dy}}, ctx);
    CHECK(rule.gains()[1] == 1.0F);
    CHECK(rule.gains()[2] == 1.0F);
    CHECK(rule.gains()[0] == 1.0F);  // never addressed
    // Without dy a tick changes nothing.
    const named_state before = rule.state();
    rule.tick({3, act.hard, {}}, ctx);
    CHECK(rule.state() == before);
    rule.end(ctx);
}

TEST_CASE("sensitize: parameters out of range are schema errors naming the key") {
    CHECK_THROWS_WITH_AS(sensitize_rule({.gamma_up = 1.0}), doctest::Contains("gamma_up"), core::schema_error);
    CHECK_THROWS_WITH_AS(sensitize_rule({.gamma_down = 1.0}), doctest::Contains("gamma_down"), core::schema_error);
    CHECK_THROWS_WITH_AS(sensitize_rule({.gain_max = 0.5}), doctest::Contains("gain_max"), core::schema_error);
    CHECK_THROWS_WITH_AS(sensitize_rule({.gain_min = 0.0}), doctest::Contains("gain_min"), core::schema_error);
    CHECK_THROWS_WITH_AS(sensitize_rule({.smoothing = 1.0}), doctest::Contains("smoothing"), core::schema_error);
    session_params p = sgd_schedule(1, 1.0, {{"sensitize", rule_params(sensitize_params{.gain_min = 2.0})}});
    CHECK_THROWS_WITH_AS(session(one_layer(2, 2, 2, 2, 1), p, 1),
                         doctest::Contains("train.schedule[0].rules[1].gain_min"), core::schema_error);
}

TEST_CASE("sensitize: SGD with sensitize trains a small task further than SGD alone in the same epochs; "
          "its place in the phase's list does not matter") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 3);
    const std::uint32_t epochs = 4;
    const double lr = 5.0;  // SGD alone barely moves in 4 epochs
    const auto train = [&](const session_params& p) {
        session s(net, p, 5);
        for (std::uint32_t e = 0; e < epochs; ++e) s.train_epoch(m.inputs, m.labels);
        return s.network();
    };
    const rule_spec sensitize{"sensitize", rule_params(sensitize_params{})};
    const core::network plain = train(sgd_schedule(epochs, lr, {}));
    const core::network amplified = train(sgd_schedule(epochs, lr, {sensitize}));
    const double plain_accuracy = hard_accuracy(plain, m.inputs, m.labels);
    const double amplified_accuracy = hard_accuracy(amplified, m.inputs, m.labels);
    MESSAGE("sgd " << plain_accuracy << ", sgd + sensitize " << amplified_accuracy);
    CHECK(amplified_accuracy >= 0.85);
    CHECK(amplified_accuracy > plain_accuracy + 0.2);
    // Listed before gradient: its hook still fires inside the gradient's batch.
    const core::network first = train(sgd_schedule(epochs, lr, {sensitize}, true));
    CHECK(first.arrays().tables == amplified.arrays().tables);
}

TEST_CASE("sensitize: its state round-trips — 2 epochs = 1 epoch, checkpoint, a fresh session, 1 epoch") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 3);
    const session_params p =
        sgd_schedule(2, 0.5, {{"sensitize", rule_params(sensitize_params{.smoothing = 0.3})}});
    session whole(net, p, 9);
    whole.train_epoch(m.inputs, m.labels);
    const session_state after_one = whole.state();
    whole.train_epoch(m.inputs, m.labels);

    session resumed(net, p, 9);
    resumed.restore(after_one);
    resumed.train_epoch(m.inputs, m.labels);
    CHECK(resumed.network().arrays().tables == whole.network().arrays().tables);
    CHECK(resumed.state() == whole.state());
    const auto* rule = whole.find_rule<sensitize_rule>();
    REQUIRE(rule != nullptr);
    CHECK(*std::max_element(rule->gains().begin(), rule->gains().end()) > 1.0F);  // it did something

    // A state of another network's size is refused.
    session_state wrong = after_one;
    wrong.rules[1].second.floats["gain"].pop_back();
    CHECK_THROWS_WITH_AS(resumed.restore(wrong), doctest::Contains("sensitize state: 'gain' has"), lutra::error);
}
