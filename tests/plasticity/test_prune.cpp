#include <doctest/doctest.h>

#include <algorithm>

#include "lutra/core/error.hpp"
#include "lutra/core/reference.hpp"
#include "lutra/core/table_function.hpp"
#include "lutra/plasticity/rules/prune.hpp"
#include "lutra/plasticity/session.hpp"
#include "test_networks.hpp"

using namespace lutra;
using namespace lutra::plasticity;
using lutra::test::hard_accuracy;
using lutra::test::synthetic;
using lutra::test::task;

namespace {

std::size_t total_slots(const core::network& net) { return net.num_slots(); }

// A trained two-layer network on majority-9: prune's material.
core::network trained(const task& m) {
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 60, .layers = 2, .k = 4, .num_classes = 2}, 3);
    session s(net, {.epochs = 4, .batch_size = 32, .tau = 2.0,
                    .gradient = {.sharpen = 4.0, .optimizer = {.learning_rate = 0.05, .schedule = "cosine"}}},
              5);
    for (int e = 0; e < 4; ++e) s.train_epoch(m.inputs, m.labels);
    return s.network();
}

}  // namespace

TEST_CASE("prune: drop_slot merges each pair of addresses by the more frequent entry") {
    // k = 2, AND: T(3) = 1, the rest 0. Dropping slot 0 merges (0, 1) and (2, 3).
    const std::uint64_t and2[] = {0b1000};
    std::uint32_t counts[] = {5, 5, 1, 9};  // address 3 seen more often than 2
    CHECK(drop_slot(and2, 2, 0, counts) == std::vector<std::uint64_t>{0b10});  // T'(1) = T(3)
    counts[2] = 10;
    CHECK(drop_slot(and2, 2, 0, counts) == std::vector<std::uint64_t>{0b00});  // T'(1) = T(2)
    counts[2] = 9;
    CHECK(drop_slot(and2, 2, 0, counts) == std::vector<std::uint64_t>{0b00});  // a tie keeps the bit-0 entry
    // Dropping slot 1 merges (0, 2) and (1, 3): entry 1 of the result is the pair (1, 3).
    counts[1] = 0;
    CHECK(drop_slot(and2, 2, 1, counts) == std::vector<std::uint64_t>{0b10});
    // A slot the table ignores: the same function of the other inputs.
    const std::uint64_t xor_ignoring_1[] = {0b01011010};  // k = 3: x0 ⊕ x2
    const std::uint32_t uniform[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(drop_slot(xor_ignoring_1, 3, 1, uniform) == std::vector<std::uint64_t>{0b0110});
    CHECK_THROWS_AS((void)drop_slot(and2, 2, 2, counts), lutra::internal_error);
}

TEST_CASE("prune: slots tables ignore go first and change nothing") {
    // Node 0 reads inputs 0..3 but its table is x0 AND x3: slots 1 and 2 are ignored.
    core::network_arrays a;
    a.num_inputs = 4;
    std::uint64_t table = 0;
    for (std::uint32_t addr = 0; addr < 16; ++addr)
        if ((addr & 1U) && (addr & 8U)) table |= std::uint64_t{1} << addr;
    a.head = {2, {1, 2}};
    a.k = {4, 1, 1};
    a.sources = {0, 1, 2, 3, 4, 1};
    a.tables = {table, 0b10, 0b01};
    const core::network net(a);
    const task m{[] {
                     core::bit_matrix x(4, 16);
                     for (std::size_t s = 0; s < 16; ++s)
                         for (std::size_t r = 0; r < 4; ++r) x.set(r, s, (s >> r) & 1U);
                     return x;
                 }(),
                 std::vector<std::uint16_t>(16, 0)};
    prune_rule rule({.ignored_only = true}, {.tau = 1.0});
    const std::vector<std::uint32_t> nodes = {0, 1, 2};
    const core::network pruned = rule.prune(net, net, nodes, m.inputs, m.labels, 1);
    CHECK(pruned.k(0) == 2);
    CHECK(std::vector<std::uint32_t>(pruned.sources(0).begin(), pruned.sources(0).end()) == std::vector<std::uint32_t>{0, 3});
    CHECK(pruned.table(0)[0] == 0b1000);
    CHECK(rule.last().ignored_dropped == 2);
    CHECK(rule.last().dropped == 0);
    CHECK(core::reference_evaluate(pruned, m.inputs) == core::reference_evaluate(net, m.inputs));
}

TEST_CASE("prune: the budget bounds what the judging samples lose; a larger budget drops more") {
    const task m = synthetic("majority-9");
    const core::network net = trained(m);
    std::vector<std::uint32_t> all(net.num_nodes());
    for (std::uint32_t n = 0; n < all.size(); ++n) all[n] = n;
    std::size_t previous = 0;
    for (const double budget : {0.0, 0.02, 0.1}) {
        prune_rule rule({.budget = budget, .validation = 0.5}, {.tau = 2.0});
        const core::network pruned = rule.prune(net, net, all, m.inputs, m.labels, 2);
        const prune_rule::result& r = rule.last();
        CAPTURE(budget);
        CHECK(static_cast<double>(r.correct_after) >=
              static_cast<double>(r.correct_reference) - budget * static_cast<double>(r.samples));
        // The judge's measure is the pruned network's, exactly.
        const std::size_t held = m.labels.size() / 2;
        const core::bit_matrix judged = core::sample_range(m.inputs, m.labels.size() - held, held);
        const double judged_accuracy =
            hard_accuracy(pruned, judged, std::span(m.labels).subspan(m.labels.size() - held));
        CHECK(judged_accuracy == doctest::Approx(static_cast<double>(r.correct_after) / static_cast<double>(r.samples)));
        CHECK(r.dropped >= previous);
        CHECK(total_slots(pruned) <= total_slots(net));
        previous = r.dropped;
    }
    CHECK(previous > 0);
}

TEST_CASE("prune: a phase after gradient shrinks tables; its state resumes to the same end") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 60, .layers = 2, .k = 4, .num_classes = 2}, 3);
    session_params params{.epochs = 4, .batch_size = 32, .tau = 2.0};
    params.schedule = {
        {.epochs = 2, .rules = {{"gradient", rule_params(gradient_params{.sharpen = 4, .optimizer = {.learning_rate = 0.05}})}}},
        {.epochs = 2, .rules = {{"prune", rule_params(prune_params{.budget = 0.01})}}},
    };
    session whole(net, params, 4);
    for (int e = 0; e < 3; ++e) whole.train_epoch(m.inputs, m.labels);
    const session_state after_three = whole.state();
    whole.train_epoch(m.inputs, m.labels);
    CHECK(whole.network().num_slots() < net.num_slots());
    const std::vector<node_record::rule_columns> summary = whole.summarize_rules();
    REQUIRE(summary.size() == 1);
    CHECK(summary[0].rule == "prune");
    REQUIRE(summary[0].summary.columns.size() == 2);
    CHECK(summary[0].summary.columns[0].quantity == "slots_dropped");
    float dropped = 0;
    for (const float d : summary[0].summary.columns[0].values) dropped += d;
    CHECK(dropped > 0);

    session resumed(net, params, 4);
    resumed.restore(after_three);
    resumed.train_epoch(m.inputs, m.labels);
    CHECK(resumed.network().arrays().tables == whole.network().arrays().tables);
    CHECK(resumed.network().arrays().sources == whole.network().arrays().sources);
    CHECK(resumed.state() == whole.state());
}

TEST_CASE("prune: statistics keep their shape while prune shrinks every node") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 60, .layers = 2, .k = 4, .num_classes = 2}, 3);
    session_params params{.epochs = 3, .batch_size = 32, .tau = 2.0};
    params.schedule = {
        {.epochs = 1, .rules = {{"gradient", rule_params(gradient_params{.sharpen = 4, .optimizer = {.learning_rate = 0.05}})}}},
        {.epochs = 2, .rules = {{"prune", rule_params(prune_params{.budget = 0.05})}}},
    };
    struct shapes final : epoch_observer {
        std::vector<std::size_t> usage_sizes;
        std::vector<std::uint32_t> flips_total;
        void epoch_finished(const epoch_report& r) override {
            REQUIRE(r.record != nullptr);
            usage_sizes.push_back(r.record->statistics.entry_usage.size());
            std::uint32_t total = 0;
            for (const std::uint32_t f : r.record->flips) total += f;
            flips_total.push_back(total);
        }
    } seen;
    const auto inputs = [&m](std::uint32_t) -> const core::bit_matrix& { return m.inputs; };
    const core::bit_matrix samples = core::first_samples(m.inputs, 64);
    session s(net, params, 2);
    CHECK(s.train({inputs, m.labels, &samples, {.every = 1, .sensitivity = false, .usage_k = 4}}, seen) ==
          train_outcome::finished);
    CHECK(s.network().num_slots() < net.num_slots());
    CHECK(seen.usage_sizes == std::vector<std::size_t>(3, 60 * 16));
    CHECK(seen.flips_total[1] > 0);  // the pruned nodes' new tables
}

TEST_CASE("prune: parameters out of range are schema errors naming the key") {
    session_params params{.epochs = 1, .batch_size = 32, .tau = 2.0};
    params.schedule = {{.epochs = 1, .rules = {{"prune", rule_params(prune_params{.budget = 1.5})}}}};
    const core::network net = core::random_network({.num_inputs = 9, .nodes = 4, .layers = 1, .k = 2, .num_classes = 2}, 1);
    CHECK_THROWS_WITH_AS(session(net, params, 1), doctest::Contains("train.schedule[0].rules[0].budget"),
                         core::schema_error);
}
