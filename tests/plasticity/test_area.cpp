#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <vector>

#include "rule_harness.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/relaxed.hpp"
#include "lutra/core/table_function.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/rules/area.hpp"
#include "lutra/plasticity/session.hpp"
#include "test_networks.hpp"

using namespace lutra;
using namespace lutra::plasticity;
using lutra::test::hand_context;
using lutra::test::hard_accuracy;
using lutra::test::one_layer;
using lutra::test::synthetic;
using lutra::test::task;

namespace {

// Mean effective fan-in over the network's nodes (core::effective_inputs, as the census counts it).
double mean_effective_inputs(const core::network& net) {
    const std::vector<std::size_t> words = [&] {
        std::vector<std::size_t> w(net.num_nodes() + 1, 0);
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) w[n + 1] = w[n] + core::table_words(net.k(n));
        return w;
    }();
    double sum = 0;
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        const std::span<const std::uint64_t> table(net.arrays().tables.data() + words[n], words[n + 1] - words[n]);
        sum += std::popcount(core::effective_inputs(table, net.k(n)));
    }
    return sum / net.num_nodes();
}

session_params adam_schedule(std::uint32_t epochs, std::vector<rule_spec> extra) {
    session_params p{.epochs = epochs, .batch_size = 32, .tau = 2.0};
    std::vector<rule_spec> rules{
        {"gradient", rule_params(gradient_params{.optimizer = {.learning_rate = 0.05}})}};
    for (rule_spec& r : extra) rules.push_back(std::move(r));
    p.schedule = {{.epochs = epochs, .rules = std::move(rules)}};
    return p;
}

}  // namespace

TEST_CASE("area: the penalty's gradient matches a central finite difference, for k = 1 … 6") {
    for (unsigned k = 1; k <= 6; ++k) {
        CAPTURE(k);
        const std::size_t entries = std::size_t{1} << k;
        const counter_rng rng(7 + k, "test.area");
        // Evenly spaced values in [−3, 3) in a random order: no two entries within 6/64 of each other,
        // so no pair ties (where |·| has its kink) within the finite difference's step.
        std::vector<std::size_t> order(entries);
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::sort(order.begin(), order.end(), [&rng](std::size_t x, std::size_t y) { return rng.at(x) < rng.at(y); });
        std::vector<float> theta(entries);
        for (std::size_t a = 0; a < entries; ++a)
            theta[order[a]] = static_cast<float>(-3.0 + 6.0 * static_cast<double>(a) / static_cast<double>(entries));
        std::vector<float> grad(entries, 0.0F), sensitivity(k);
        const double lambda = 0.7, epsilon = 0.05;
        const double r = area_penalty(theta, k, lambda, epsilon, grad, sensitivity);
        CHECK(r > 0);
        for (unsigned i = 0; i < k; ++i) CHECK((sensitivity[i] >= 0 && sensitivity[i] <= 1));
        const float h = 1e-2F;
        for (std::size_t a = 0; a < entries; ++a) {
            std::vector<float> up = theta, down = theta, scratch(entries);
            up[a] += h;
            down[a] -= h;
            const double fd = (area_penalty(up, k, lambda, epsilon, scratch) -
                               area_penalty(down, k, lambda, epsilon, scratch)) /
                              (static_cast<double>(up[a]) - static_cast<double>(down[a]));
            CAPTURE(a);
            CHECK(grad[a] == doctest::Approx(fd).epsilon(1e-3).scale(1e-4));
        }
    }
}

TEST_CASE("area: S_i is the table's Boolean influence — 1 for XOR's inputs, ½ for AND's, 0 for an ignored one") {
    // Entries ±20: q is 0 or 1 to float precision. Slots 0 and 1 read; slot 2 ignored.
    const auto sens = [](std::uint32_t table) {
        std::vector<float> theta(8), grad(8, 0.0F), s(3);
        for (std::size_t a = 0; a < 8; ++a) theta[a] = ((table >> a) & 1U) ? 20.0F : -20.0F;
        (void)area_penalty(theta, 3, 1.0, 0.05, grad, s);
        return s;
    };
    const std::vector<float> x = sens(0b01100110), a = sens(0b10001000);
    CHECK(x[0] == doctest::Approx(1.0));
    CHECK(x[1] == doctest::Approx(1.0));
    CHECK(x[2] == doctest::Approx(0.0));
    CHECK(a[0] == doctest::Approx(0.5));
    CHECK(a[1] == doctest::Approx(0.5));
    CHECK(a[2] == doctest::Approx(0.0));
}

TEST_CASE("area: the weak input is pulled harder than the strong one") {
    // q_a ≈ address bit 0 (strong), with a small dependence on bit 1 (weak).
    std::vector<float> theta = {-2.0F, 2.0F, -1.5F, 2.0F}, grad(4, 0.0F), s(2);
    (void)area_penalty(theta, 2, 1.0, 0.05, grad, s);
    CHECK(s[0] > s[1]);
    // Entry 0 and entry 2 differ only in bit 1: the pull brings them together
    // (θ_0 up, θ_2 down); it outweighs bit 0's pull on θ_0 toward θ_1.
    CHECK(grad[0] < 0);  // a descent step raises θ_0 toward θ_2
    CHECK(grad[2] > 0);
}

TEST_CASE("area: the strength is 0 before start, ramps linearly, then holds; the hook adds it at the context's epoch") {
    const area_rule r({.strength = 2.0, .start = 3, .ramp = 4});
    CHECK(r.strength_at({.phase_epoch = 2, .phase_epochs = 10}) == 0.0);
    CHECK(r.strength_at({.phase_epoch = 3, .phase_epochs = 10}) == doctest::Approx(0.5));
    CHECK(r.strength_at({.phase_epoch = 6, .phase_epochs = 10}) == doctest::Approx(2.0));
    CHECK(r.strength_at({.phase_epoch = 9, .phase_epochs = 10}) == doctest::Approx(2.0));
    CHECK(area_rule({.strength = 2.0, .start = 1}).strength_at({.phase_epoch = 1}) == 2.0);

    hand_context ctx(one_layer(3, 2, 3, 2, 5));
    area_rule rule({.strength = 1.0, .start = 1});
    rule.begin(ctx);
    const std::vector<float> theta = {1, -2, 0.5F, 3, -1, 2, -0.25F, 0.75F, 2, 2, -2, -2, 1, 1, 1, -1};
    std::vector<float> grad(theta.size(), 0.0F);
    ctx.set_position({.epoch = 0, .phase_epoch = 0, .phase_epochs = 3});
    ctx.hooks().fire_before_step({0, 0, 0, 1, 0.1}, grad, theta);
    CHECK(grad == std::vector<float>(theta.size(), 0.0F));
    ctx.set_position({.epoch = 1, .phase_epoch = 1, .phase_epochs = 3});
    ctx.hooks().fire_before_step({1, 0, 0, 1, 0.1}, grad, theta);
    std::vector<float> expected(8, 0.0F);
    (void)area_penalty(std::span(theta).first(8), 3, 1.0, 0.05, expected);
    CHECK(std::vector<float>(grad.begin(), grad.begin() + 8) == expected);
    rule_summary summary;
    rule.summarize(summary, ctx);
    REQUIRE(summary.columns.size() == 1);
    CHECK(summary.columns[0].quantity == "sensitivity");
    CHECK(summary.columns[0].values[0] > 0);
    rule.end(ctx);
    std::vector<float> after(theta.size(), 0.0F);
    ctx.hooks().fire_before_step({1, 1, 0, 1, 0.1}, after, theta);
    CHECK(after == std::vector<float>(theta.size(), 0.0F));  // removed with the phase
}

TEST_CASE("area: parameters out of range are schema errors naming the key") {
    CHECK_THROWS_WITH_AS(area_rule({.epsilon = 0.0}), doctest::Contains("epsilon"), core::schema_error);
    CHECK_THROWS_WITH_AS(area_rule({.strength = -1.0}), doctest::Contains("strength"), core::schema_error);
    session_params p = adam_schedule(1, {{"area", rule_params(area_params{.strength = -1.0})}});
    CHECK_THROWS_WITH_AS(session(one_layer(2, 2, 2, 2, 1), p, 1), doctest::Contains("strength"), core::schema_error);
    CHECK(catalogue().has("area"));
}

TEST_CASE("area: with the gradient on a small task, fewer effective inputs than the gradient alone at equal seed, "
          "accuracy within 3 points (the same seed)") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 60, .layers = 2, .k = 4, .num_classes = 2}, 3);
    const std::uint32_t epochs = 12;
    const auto train = [&](const session_params& p) {
        session s(net, p, 5);
        for (std::uint32_t e = 0; e < epochs; ++e) s.train_epoch(m.inputs, m.labels);
        return s.network();
    };
    const core::network plain = train(adam_schedule(epochs, {}));
    // Measured: gradient 96.5 % with 3.90 effective inputs a node; with area 94.5 % with 2.57
    // (λ = 0.003: 92.2 % with 1.68; λ = 0.001 with 8 epochs: 94.7 % with 3.27).
    const core::network lean =
        train(adam_schedule(epochs, {{"area", rule_params(area_params{.strength = 0.0015, .start = 2, .ramp = 4})}}));
    const double plain_accuracy = hard_accuracy(plain, m.inputs, m.labels);
    const double lean_accuracy = hard_accuracy(lean, m.inputs, m.labels);
    const double plain_inputs = mean_effective_inputs(plain), lean_inputs = mean_effective_inputs(lean);
    MESSAGE("gradient: " << plain_accuracy << " accuracy, " << plain_inputs << " effective inputs a node; "
                         << "gradient + area: " << lean_accuracy << ", " << lean_inputs);
    CHECK(plain_accuracy >= 0.9);
    CHECK(lean_accuracy >= plain_accuracy - 0.03);
    CHECK(lean_inputs <= 0.75 * plain_inputs);
}

TEST_CASE("area: a resumed run trains as the uninterrupted one — 3 epochs = 2 epochs, checkpoint, a fresh session, 1") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 3);
    const session_params p =
        adam_schedule(3, {{"area", rule_params(area_params{.strength = 0.002, .start = 1, .ramp = 2})}});
    session whole(net, p, 9);
    whole.train_epoch(m.inputs, m.labels);
    whole.train_epoch(m.inputs, m.labels);
    const session_state after_two = whole.state();
    whole.train_epoch(m.inputs, m.labels);

    session resumed(net, p, 9);
    resumed.restore(after_two);
    resumed.train_epoch(m.inputs, m.labels);
    CHECK(resumed.network().arrays().tables == whole.network().arrays().tables);
    CHECK(resumed.state() == whole.state());
}
