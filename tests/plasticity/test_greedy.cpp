#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "lutra/core/reference.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/probe.hpp"
#include "lutra/plasticity/rules/greedy.hpp"
#include "lutra/plasticity/session.hpp"
#include "rule_harness.hpp"
#include "test_networks.hpp"

using namespace lutra;
using namespace lutra::plasticity;
using lutra::test::hand_context;

namespace {

core::bit_matrix random_inputs(std::uint32_t rows, std::size_t samples, std::uint64_t seed) {
    core::bit_matrix m(rows, samples);
    const counter_rng rng(seed, "test.greedy.inputs");
    for (std::uint32_t r = 0; r < rows; ++r)
        for (std::size_t s = 0; s < samples; ++s) m.set(r, s, rng.fork(r).at(s) & 1U);
    return m;
}

// Labels a function of the inputs (so there is something to learn).
std::vector<std::uint16_t> labels_of(const core::bit_matrix& in, std::uint32_t classes) {
    std::vector<std::uint16_t> labels(in.samples());
    for (std::size_t s = 0; s < in.samples(); ++s)
        labels[s] = static_cast<std::uint16_t>((in.get(0, s) + 2 * in.get(1, s) + in.get(2, s)) % classes);
    return labels;
}

// Every slot may read any input bit or node: the rule must skip the nodes at
// or after the slot's own, and the sources its node reads already.
core::candidate_sources anything(const core::network& net) {
    core::candidate_sources c;
    c.slot_list.assign(net.num_slots(), 0);
    c.list_offset = {0, net.num_inputs() + net.num_nodes()};
    for (std::uint32_t id = 0; id < net.num_inputs() + net.num_nodes(); ++id) c.sources.push_back(id);
    core::validate(c, net);
    return c;
}

loss_probe::measure from_scratch(const core::network& net, const core::bit_matrix& inputs,
                                 std::span<const std::uint16_t> labels, double tau) {
    return loss_probe(net, inputs, {labels.begin(), labels.end()}, tau).current();
}

}  // namespace

TEST_CASE("greedy: a measured increase is never accepted; the written network measures what the probe says") {
    const core::network start =
        core::random_network({.num_inputs = 24, .nodes = 60, .layers = 3, .k = 4, .num_classes = 4}, 9);
    const core::bit_matrix inputs = random_inputs(24, 700, 2);
    const std::vector<std::uint16_t> labels = labels_of(inputs, 4);
    for (const std::string kind : {"flip", "swap", "both"}) {
        CAPTURE(kind);
        hand_context ctx(start, 3);
        ctx.set_candidates(anything(start));
        greedy_rule rule(greedy_params{.trials = 64, .samples = 256, .kind = kind}, {.tau = 2.0});
        rule.begin(ctx);
        std::size_t accepted = 0, swaps = 0;
        for (std::size_t batch = 0; batch < 6; ++batch) {
            const std::size_t first = batch * 128;  // the last steps are clipped at the epoch's end
            const std::size_t count = std::min<std::size_t>(256, 700 - first);
            const core::bit_matrix probed = core::sample_range(inputs, first, count);
            const std::span<const std::uint16_t> probed_labels = std::span(labels).subspan(first, count);
            const loss_probe::measure before = from_scratch(ctx.network(), probed, probed_labels, 2.0);
            const std::size_t changes_before = ctx.changes.size();
            const core::network before_net = ctx.network();
            const batch_activity a{{}, batch, inputs, first, std::min<std::size_t>(128, 700 - first),
                                   std::span(labels).subspan(first, std::min<std::size_t>(128, 700 - first)),
                                   labels, nullptr, {}};
            batch_measure m;
            rule.batch(a, ctx, m);
            const loss_probe::measure after = from_scratch(ctx.network(), probed, probed_labels, 2.0);
            CHECK(after.loss_sum <= before.loss_sum);
            if (ctx.changes.size() > changes_before) {
                CHECK(after.loss_sum < before.loss_sum);
                ++accepted;
                const network_change& c = ctx.changes.back();
                CHECK(std::is_sorted(c.nodes.begin(), c.nodes.end()));
                swaps += c.what == network_change::kind::structure;
            }
            // A moved slot reads a source its node did not read (the network's
            // constructor checked the order).
            for (std::uint32_t n = 0; n < ctx.network().num_nodes(); ++n) {
                const auto now = ctx.network().sources(n), was = before_net.sources(n);
                for (std::size_t i = 0; i < now.size(); ++i)
                    if (now[i] != was[i]) CHECK(std::count(now.begin(), now.end(), now[i]) == 1);
            }
        }
        CHECK(accepted > 0);
        if (kind == "flip") {
            CHECK(swaps == 0);
            CHECK(ctx.network().arrays().tables != start.arrays().tables);
        } else {
            CHECK(swaps > 0);
            CHECK(ctx.network().arrays().sources != start.arrays().sources);
        }
    }

    // step() itself: the probe's measure after the trials is that of its network from scratch.
    hand_context ctx(start, 4);
    const core::bit_matrix probed = core::sample_range(inputs, 0, 300);
    const std::vector<std::uint16_t> probed_labels(labels.begin(), labels.begin() + 300);
    loss_probe probe(start, probed, probed_labels, 2.0);
    greedy_rule rule(greedy_params{.trials = 500}, {.tau = 2.0});
    rule.begin(ctx);
    const greedy_rule::step_result r = rule.step(probe, ctx, counter_rng(1, "test"));
    CHECK(r.trials == 500);
    CHECK(r.flips > 0);
    CHECK(r.after.loss_sum < r.before.loss_sum);
    const loss_probe::measure fresh = from_scratch(probe.network(), probed, probed_labels, 2.0);
    CHECK(fresh.correct == r.after.correct);
    CHECK(fresh.loss_sum == doctest::Approx(r.after.loss_sum).epsilon(1e-12));
}

TEST_CASE("greedy: alone, it lowers the training loss of a random network on majority-9") {
    const test::task m = test::synthetic("majority-9");
    const core::network net = core::random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 3);
    session_params params{.epochs = 3, .batch_size = 64, .tau = 3.0};
    params.schedule = {{.epochs = 3, .rules = {{"greedy", rule_params(greedy_params{.trials = 64, .samples = 256})}}}};
    session s(net, params, 2);
    const evaluation before = s.evaluate(m.inputs, m.labels);
    for (int e = 0; e < 3; ++e) s.train_epoch(m.inputs, m.labels);
    const evaluation after = s.evaluate(m.inputs, m.labels);
    MESSAGE("majority-9 by greedy alone: loss ", before.loss, " -> ", after.loss, ", accuracy ", before.hardened,
            " -> ", after.hardened);
    CHECK(after.loss < before.loss * 0.8);
    CHECK(after.hardened > before.hardened + 0.15);
    // Its summaries: one value per node, the epoch's counts.
    const auto summaries = s.summarize_rules();
    REQUIRE(summaries.size() == 1);
    CHECK(summaries[0].rule == "greedy");
    REQUIRE(summaries[0].summary.columns.size() == 3);
    float trials = 0;
    for (const float t : summaries[0].summary.columns[2].values) trials += t;
    CHECK(trials == 64.0F * 8);  // 512 samples: 8 batches of 64, a step each
}

TEST_CASE("greedy: deterministic in the seed, independent of threads; resume gives the same network") {
    const test::task m = test::synthetic("majority-9");
    const core::network net = core::random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 5);
    session_params params{.epochs = 2, .batch_size = 64, .tau = 3.0};
    params.schedule = {{.epochs = 2,
                        .rules = {{"greedy", rule_params(greedy_params{.trials = 32, .every = 2, .samples = 200})}}}};
    const auto train = [&](std::uint64_t seed, unsigned threads) {
        session_params p = params;
        p.engine.threads = threads;
        session s(net, p, seed);
        for (int e = 0; e < 2; ++e) s.train_epoch(m.inputs, m.labels);
        return s.network().arrays().tables;
    };
    const std::vector<std::uint64_t> one = train(8, 1);
    CHECK(train(8, 2) == one);
    CHECK(train(9, 1) != one);

    session whole(net, params, 8);
    whole.train_epoch(m.inputs, m.labels);
    const session_state after_one = whole.state();
    whole.train_epoch(m.inputs, m.labels);
    session resumed(net, params, 8);
    resumed.restore(after_one);
    resumed.train_epoch(m.inputs, m.labels);
    CHECK(resumed.network().arrays().tables == whole.network().arrays().tables);
    CHECK(resumed.state() == whole.state());
    CHECK(resumed.network().arrays().tables == one);

    // Bad parameters name their path; kind swap needs the genome's candidates.
    params.schedule[0].rules[0].params = rule_params(greedy_params{.kind = "flips"});
    CHECK_THROWS_WITH_AS(session(net, params, 8), doctest::Contains("train.schedule[0].rules[0].kind"),
                         core::schema_error);
    params.schedule[0].rules[0].params = rule_params(greedy_params{.kind = "swap"});
    CHECK_THROWS_WITH_AS(session(net, params, 8), doctest::Contains("candidates"), core::schema_error);
}
