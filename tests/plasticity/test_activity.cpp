#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "lutra/core/error.hpp"
#include "lutra/core/loss.hpp"
#include "lutra/core/reference.hpp"
#include "lutra/plasticity/activity.hpp"
#include "lutra/plasticity/probe.hpp"
#include "test_networks.hpp"

using namespace lutra;
using namespace lutra::plasticity;

namespace {

core::bit_matrix random_inputs(std::uint32_t rows, std::size_t samples, std::uint64_t seed) {
    core::bit_matrix m(rows, samples);
    const counter_rng rng(seed, "test.activity.inputs");
    for (std::uint32_t r = 0; r < rows; ++r)
        for (std::size_t s = 0; s < samples; ++s) m.set(r, s, rng.fork(r).at(s) & 1U);
    return m;
}

std::vector<std::uint16_t> random_labels(std::size_t samples, std::uint32_t classes, std::uint64_t seed) {
    const counter_rng rng(seed, "test.activity.labels");
    std::vector<std::uint16_t> labels(samples);
    for (std::size_t s = 0; s < samples; ++s) labels[s] = static_cast<std::uint16_t>(rng.below(s, classes));
    return labels;
}

// The exact measure of a network from scratch, with core's loss.
loss_probe::measure measure_of(const core::network& net, const core::bit_matrix& inputs,
                               std::span<const std::uint16_t> labels, double tau) {
    const core::head_output out = core::reference_classify(net, inputs);
    const core::group_sum_loss_result r = core::group_sum_loss(out.scores, out.num_classes, labels, tau);
    return {r.loss_sum, r.correct};
}

}  // namespace

TEST_CASE("hard activity: addresses, entry counts and entry masks agree with the scalar reference") {
    const core::network net = core::random_network({.num_inputs = 40, .nodes = 60, .layers = 3, .k = 5, .num_classes = 4}, 3);
    const std::size_t columns = 333;
    const core::bit_matrix inputs = random_inputs(40, columns, 1);
    core::bit_matrix outputs = core::reference_evaluate(net, inputs);
    const hard_activity act(net, inputs, outputs, columns);
    CHECK(act.words() == 6);
    std::vector<std::uint32_t> address(columns), counts(32);
    std::vector<std::uint64_t> masks(32 * act.words());
    for (const std::uint32_t n : {0U, 21U, 59U}) {
        act.addresses(n, address);
        std::vector<std::uint32_t> expected_counts(32, 0);
        for (std::size_t c = 0; c < columns; ++c) {
            std::uint32_t a = 0;
            for (unsigned i = 0; i < 5; ++i) {
                const std::uint32_t src = net.sources(n)[i];
                a |= static_cast<std::uint32_t>(src < 40 ? inputs.get(src, c) : outputs.get(src - 40, c)) << i;
            }
            REQUIRE(address[c] == a);
            ++expected_counts[a];
            REQUIRE(net.table_bit(n, a) == outputs.get(n, c));
        }
        act.entry_counts(n, counts);
        CHECK(counts == expected_counts);
        act.entry_masks(n, masks);
        for (std::size_t a = 0; a < 32; ++a) {
            std::size_t set = 0;
            for (std::size_t w = 0; w < act.words(); ++w)
                set += static_cast<std::size_t>(std::popcount(masks[a * act.words() + w]));
            REQUIRE(set == expected_counts[a]);
            for (std::size_t c = 0; c < columns; ++c)
                REQUIRE(((masks[a * act.words() + c / 64] >> (c % 64)) & 1U) == (address[c] == a));
        }
        // Only the columns in `where`.
        std::vector<std::uint64_t> where(act.words(), 0);
        for (std::size_t c = 0; c < columns; c += 3) where[c / 64] |= std::uint64_t{1} << (c % 64);
        act.entry_counts(n, counts, where);
        std::vector<std::uint32_t> thirds(32, 0);
        for (std::size_t c = 0; c < columns; c += 3) ++thirds[address[c]];
        CHECK(counts == thirds);
    }
}

TEST_CASE("evaluate_batch: a batch's columns, its node outputs and a reward of ±1 per decision") {
    const core::network net = core::random_network({.num_inputs = 30, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 5);
    const core::bit_matrix inputs = random_inputs(30, 700, 2);
    const std::vector<std::uint16_t> labels = random_labels(700, 2, 3);
    const evaluated_batch b = evaluate_batch(net, inputs, 77, 130, std::span(labels).subspan(77, 130), 2);
    CHECK(b.inputs == core::sample_range(inputs, 77, 130));
    CHECK(b.outputs == core::reference_evaluate(net, b.inputs));
    const core::head_output decided = core::reference_classify(net, b.inputs);
    REQUIRE(b.reward.size() == 130);
    for (std::size_t s = 0; s < 130; ++s) CHECK(b.reward[s] == (decided.predictions[s] == labels[77 + s] ? 1.0F : -1.0F));
}

TEST_CASE("head_classes: the class of each head output, -1 elsewhere") {
    const core::network net = core::random_network({.num_inputs = 10, .nodes = 12, .layers = 2, .k = 2, .num_classes = 3}, 1);
    const std::vector<std::int32_t> cls = head_classes(net);
    for (std::uint32_t n = 0; n < 6; ++n) CHECK(cls[n] == -1);
    for (std::uint32_t j = 0; j < 6; ++j) CHECK(cls[net.head().outputs[j]] == static_cast<std::int32_t>(j / 2));
}

TEST_CASE("loss probe: every trial's measure equals the changed network's, evaluated from scratch") {
    const core::network net =
        core::random_network({.num_inputs = 50, .nodes = 120, .layers = 3, .k = 6, .num_classes = 4}, 11);
    const core::bit_matrix inputs = random_inputs(50, 301, 4);
    const std::vector<std::uint16_t> labels = random_labels(301, 4, 5);
    const double tau = 2.5;
    loss_probe probe(net, inputs, labels, tau);
    const loss_probe::measure start = measure_of(net, inputs, labels, tau);
    CHECK(probe.current().correct == start.correct);
    CHECK(probe.current().loss_sum == doctest::Approx(start.loss_sum).epsilon(1e-12));

    const counter_rng rng(9, "test.probe");
    core::network_arrays current = net.arrays();
    std::size_t accepted = 0;
    for (std::uint64_t t = 0; t < 200; ++t) {
        const auto node = static_cast<std::uint32_t>(rng.below(3 * t, 120));
        core::network_arrays changed = current;
        const core::network before(current);
        std::vector<std::uint32_t> sources(before.sources(node).begin(), before.sources(node).end());
        std::vector<std::uint64_t> table(before.table(node).begin(), before.table(node).end());
        if (t % 3 == 0) {
            // A new source (an input bit or an earlier node) and a random table.
            sources[rng.below(3 * t + 1, sources.size())] =
                static_cast<std::uint32_t>(rng.below(3 * t + 2, 50 + node));
            table[0] = rng.at(3 * t + 2);
            if (sources.size() < 6) table[0] &= (std::uint64_t{1} << (1U << sources.size())) - 1;
        } else if (t % 3 == 1) {
            table[0] ^= std::uint64_t{1} << rng.below(3 * t + 1, std::uint64_t{1} << sources.size());
        } else if (sources.size() > 1) {
            // A smaller node: k − 1 inputs.
            sources.pop_back();
            table[0] &= (std::uint64_t{1} << (1U << sources.size())) - 1;
        }
        const loss_probe::measure m = probe.trial(node, sources, table);
        // The same change to the arrays, evaluated from scratch.
        std::vector<std::uint8_t> k(changed.k);
        changed.sources.clear();
        changed.tables.clear();
        for (std::uint32_t n = 0; n < 120; ++n) {
            const bool it = n == node;
            k[n] = static_cast<std::uint8_t>(it ? sources.size() : before.k(n));
            const auto src = it ? std::span<const std::uint32_t>(sources) : before.sources(n);
            const auto tab = it ? std::span<const std::uint64_t>(table) : before.table(n);
            changed.sources.insert(changed.sources.end(), src.begin(), src.end());
            changed.tables.insert(changed.tables.end(), tab.begin(), tab.end());
        }
        changed.k = k;
        changed.delays.assign(changed.sources.size(), 0);
        const core::network after(changed);
        const loss_probe::measure expected = measure_of(after, inputs, labels, tau);
        REQUIRE(m.correct == expected.correct);
        REQUIRE(m.loss_sum == doctest::Approx(expected.loss_sum).epsilon(1e-9));
        if (m.loss_sum < probe.current().loss_sum) {
            probe.accept();
            current = changed;
            ++accepted;
            REQUIRE(probe.network().arrays().tables == after.arrays().tables);
            REQUIRE(probe.network().arrays().sources == after.arrays().sources);
        }
    }
    CHECK(accepted > 5);
    const loss_probe::measure end = measure_of(probe.network(), inputs, labels, tau);
    CHECK(probe.current().correct == end.correct);
    CHECK(probe.current().loss_sum == doctest::Approx(end.loss_sum).epsilon(1e-9));
    CHECK(end.loss_sum < start.loss_sum);
}

TEST_CASE("loss probe: refuses sources after the node, delayed networks and mislabelled samples") {
    const core::network net = core::random_network({.num_inputs = 8, .nodes = 10, .layers = 2, .k = 2, .num_classes = 5}, 1);
    const core::bit_matrix inputs = random_inputs(8, 20, 1);
    loss_probe probe(net, inputs, random_labels(20, 5, 1), 1.0);
    const std::uint64_t table[] = {0x6};
    const std::uint32_t later[] = {0, 8 + 7};
    CHECK_THROWS_AS((void)probe.trial(3, later, table), lutra::error);
    CHECK_THROWS_AS(loss_probe(net, inputs, std::vector<std::uint16_t>(20, 5), 1.0), lutra::error);
    CHECK_THROWS_AS(loss_probe(net, inputs, std::vector<std::uint16_t>(19, 0), 1.0), lutra::error);
    CHECK_THROWS_AS(probe.accept(), lutra::internal_error);
}

TEST_CASE("loss probe: evaluate_node is the mux tree for every k up to 16") {
    const counter_rng rng(4, "test.probe.evaluate");
    for (unsigned k = 1; k <= 16; ++k) {
        const std::size_t words = 3;
        std::vector<std::vector<std::uint64_t>> planes(k, std::vector<std::uint64_t>(words));
        std::vector<const std::uint64_t*> ptrs;
        for (unsigned i = 0; i < k; ++i) {
            for (std::size_t w = 0; w < words; ++w) planes[i][w] = rng.fork(k).fork(i).at(w);
            ptrs.push_back(planes[i].data());
        }
        std::vector<std::uint64_t> table(core::table_words(k));
        for (std::size_t w = 0; w < table.size(); ++w) table[w] = rng.fork(100 + k).at(w);
        if (k < 6) table[0] &= (std::uint64_t{1} << (1U << k)) - 1;
        std::vector<std::uint64_t> out(words);
        loss_probe::evaluate_node(table, ptrs, words, out.data());
        for (std::size_t c = 0; c < words * 64; ++c) {
            std::size_t a = 0;
            for (unsigned i = 0; i < k; ++i) a |= ((planes[i][c / 64] >> (c % 64)) & 1U) << i;
            REQUIRE(((out[c / 64] >> (c % 64)) & 1U) == ((table[a / 64] >> (a % 64)) & 1U));
        }
    }
}
