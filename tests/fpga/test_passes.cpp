#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <functional>
#include <numeric>
#include <span>
#include <string_view>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/random.hpp"
#include "lutra/fpga/design.hpp"
#include "lutra/fpga/passes.hpp"
#include "support/all_patterns.hpp"

using namespace lutra;
using namespace lutra::fpga;
using lutra::test::all_patterns;

namespace {

std::vector<std::uint64_t> table_of(unsigned k, const std::function<bool(std::uint32_t)>& f) {
    std::vector<std::uint64_t> words(core::table_words(k), 0);
    for (std::uint32_t a = 0; a < (1U << k); ++a)
        if (f(a)) words[a / 64] |= std::uint64_t{1} << (a % 64);
    return words;
}

logic_node node_of(std::vector<signal> inputs, const std::function<bool(std::uint32_t)>& f,
                   std::vector<std::uint32_t> delays = {}) {
    const auto k = static_cast<unsigned>(inputs.size());
    return {.inputs = std::move(inputs), .delays = std::move(delays), .table = table_of(k, f)};
}

logic_design design_with(std::uint32_t num_inputs, std::vector<logic_node> nodes, std::vector<signal> outputs) {
    logic_design d;
    d.name = "hand";
    d.num_inputs = num_inputs;
    d.input_ports.push_back({"x", 0, num_inputs});
    d.nodes = std::move(nodes);
    d.outputs.push_back({"y", std::move(outputs)});
    return d;
}

const auto and2 = [](std::uint32_t a) { return a == 3; };
const auto xor2 = [](std::uint32_t a) { return std::popcount(a) == 1; };
const auto buffer1 = [](std::uint32_t a) { return a == 1; };
const auto not1 = [](std::uint32_t a) { return a == 0; };

// A random design over ≤ 12 inputs built to contain what the passes
// remove: constants and constant nodes, ignored and duplicate inputs,
// buffers and NOTs (also hidden in wider tables), exact and slot-permuted
// copies of earlier nodes, nodes nothing reads. With delays, a quarter of
// the slots read through 1..3 registers, from any node (later ones and the
// node itself included), an input or a constant.
logic_design random_design(std::uint64_t seed, bool with_delays = false) {
    rng_cursor r(counter_rng(seed, with_delays ? "test.passes.sequential" : "test.passes.design"));
    logic_design d;
    d.name = "random";
    d.num_inputs = 3 + static_cast<std::uint32_t>(r.below(10));  // 3..12
    d.input_ports.push_back({"x", 0, d.num_inputs});
    const auto nodes = static_cast<std::uint32_t>(5 + r.below(30));
    const auto pick = [&](std::uint32_t before) {
        const std::uint64_t roll = r.below(10);
        if (roll == 0) return signal::constant(r.below(2) == 1);
        if (roll < 5 || before == 0) return signal::input(static_cast<std::uint32_t>(r.below(d.num_inputs)));
        return signal::node(static_cast<std::uint32_t>(r.below(before)));
    };
    for (std::uint32_t n = 0; n < nodes; ++n) {
        logic_node node;
        node.role = static_cast<part>(r.below(num_parts));
        const std::uint64_t shape = r.below(10);
        if (shape <= 1 && n > 0) {
            // A copy of an earlier node, its slots possibly permuted.
            node = d.nodes[r.below(n)];
            const auto k = static_cast<unsigned>(node.inputs.size());
            if (k >= 2 && r.below(2) == 0) {
                const auto i = static_cast<unsigned>(r.below(k));
                const auto j = static_cast<unsigned>((i + 1 + r.below(k - 1)) % k);
                std::swap(node.inputs[i], node.inputs[j]);
                if (!node.delays.empty()) std::swap(node.delays[i], node.delays[j]);
                const std::vector<std::uint64_t> old = node.table;
                node.table = table_of(k, [&](std::uint32_t a) {
                    const std::uint32_t bi = (a >> i) & 1U, bj = (a >> j) & 1U;
                    const std::uint32_t b = (a & ~((1U << i) | (1U << j))) | (bi << j) | (bj << i);
                    return ((old[b / 64] >> (b % 64)) & 1U) != 0;
                });
            }
        } else {
            const auto k = static_cast<unsigned>(shape == 2 ? r.below(2) : 1 + r.below(7));  // 0..7
            for (unsigned i = 0; i < k; ++i) {
                if (i > 0 && r.below(6) == 0) {
                    const auto same = static_cast<std::size_t>(r.below(i));
                    node.inputs.push_back(node.inputs[same]);
                    node.delays.push_back(node.delays[same]);
                } else if (with_delays && r.below(4) == 0) {
                    // Constant 1 often: through registers it is no constant.
                    node.inputs.push_back(r.below(5) == 0 ? signal::constant(true) : pick(nodes));
                    node.delays.push_back(1 + static_cast<std::uint32_t>(r.below(3)));
                } else {
                    node.inputs.push_back(pick(n));
                    node.delays.push_back(0);
                }
            }
            if (std::all_of(node.delays.begin(), node.delays.end(), [](std::uint32_t x) { return x == 0; }))
                node.delays.clear();
            // Which slots the table reads: all, a random subset, or one (a buffer or NOT).
            std::uint32_t reads = (1U << k) - 1;
            if (shape == 3 || shape == 4) reads &= static_cast<std::uint32_t>(r.next());
            if ((shape == 5 || shape == 6) && k > 0) reads = 1U << r.below(k);
            const std::uint64_t salt = r.next();
            const bool invert = r.below(2) == 1;
            node.table = table_of(k, [&](std::uint32_t a) {
                if (std::popcount(reads) == 1) return ((a & reads) != 0) != invert;
                return (mix64(salt + (a & reads)) & 1U) != 0;
            });
        }
        d.nodes.push_back(std::move(node));
    }
    // Outputs: a random half of the nodes (so some are dead), an input and a constant.
    output_port y{"y", {}};
    for (std::uint32_t n = 0; n < nodes; ++n)
        if (r.below(2) == 0) y.bits.push_back(signal::node(n));
    y.bits.push_back(signal::node(nodes - 1));
    y.bits.push_back(signal::input(0));
    y.bits.push_back(signal::constant(true));
    d.outputs.push_back(std::move(y));
    return d;
}

// The output bits tick by tick for 64 random input sequences at once (bit j
// of a word = sequence j), inputs drawn from the seed alone. Registers start
// at 0, so a read through d registers at tick t < d sees 0 — the semantics
// the passes must keep for sequential designs (evaluate() is combinational
// only). Result: [tick][output bit].
std::vector<std::vector<std::uint64_t>> simulate(const logic_design& d, std::uint32_t ticks, std::uint64_t seed) {
    const counter_rng inputs_rng(seed, "test.passes.ticks");
    std::vector<std::vector<std::uint64_t>> input_at(ticks), node_at(ticks), outputs(ticks);
    const auto value = [&](const signal& s, std::int64_t tick) -> std::uint64_t {
        if (tick < 0) return 0;  // a register before its first clock, constants' registers too
        if (s.from == signal::kind::zero) return 0;
        if (s.from == signal::kind::one) return ~0ULL;
        const auto t = static_cast<std::size_t>(tick);
        return s.from == signal::kind::input ? input_at[t][s.index] : node_at[t][s.index];
    };
    for (std::uint32_t t = 0; t < ticks; ++t) {
        for (std::uint32_t i = 0; i < d.num_inputs; ++i) input_at[t].push_back(inputs_rng.fork(t).at(i));
        node_at[t].assign(d.nodes.size(), 0);
        for (std::size_t n = 0; n < d.nodes.size(); ++n) {
            const logic_node& node = d.nodes[n];
            const std::size_t k = node.inputs.size();
            // Shannon mux tree over the inputs, lowest slot first.
            std::vector<std::uint64_t> mux(std::size_t{1} << k);
            for (std::size_t a = 0; a < mux.size(); ++a) mux[a] = ((node.table[a / 64] >> (a % 64)) & 1U) ? ~0ULL : 0;
            for (std::size_t i = 0; i < k; ++i) {
                const std::uint32_t delay = node.delays.empty() ? 0 : node.delays[i];
                const std::uint64_t x = value(node.inputs[i], std::int64_t{t} - delay);
                for (std::size_t a = 0; a < (mux.size() >> (i + 1)); ++a)
                    mux[a] = (mux[2 * a] & ~x) | (mux[2 * a + 1] & x);
            }
            node_at[t][n] = mux[0];
        }
        for (const output_port& port : d.outputs)
            for (const signal& s : port.bits) outputs[t].push_back(value(s, t));
    }
    return outputs;
}

std::uint32_t total(const std::array<std::uint32_t, num_parts>& per_part) {
    return std::accumulate(per_part.begin(), per_part.end(), 0U);
}

}  // namespace

TEST_CASE("passes: simplify keeps every output bit of 300 random designs on every input pattern") {
    simplify_stats sum;
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
        CAPTURE(seed);
        logic_design d = random_design(seed);
        validate(d);
        const core::bit_matrix patterns = all_patterns(d.num_inputs);
        const core::bit_matrix before = evaluate(d, patterns);
        const simplify_stats stats = simplify(d);
        REQUIRE_NOTHROW(validate(d));
        REQUIRE(evaluate(d, patterns) == before);
        CHECK(stats.fixpoint);
        CHECK(total(stats.nodes_after) == d.nodes.size());
        CHECK(total(stats.nodes_after) <= total(stats.nodes_before));
        // What remains is simple already: no input is constant, ignored or
        // doubled, no node is constant, a buffer or an unread NOT.
        for (const logic_node& node : d.nodes) {
            const auto k = static_cast<unsigned>(node.inputs.size());
            CHECK(k > 0);
            CHECK(core::effective_inputs(node.table, k) == (1U << k) - 1);
            CHECK(std::none_of(node.inputs.begin(), node.inputs.end(), [](signal s) { return s.is_constant(); }));
            CHECK(core::classify(node.table, k) != core::function_kind::buffer);
        }
        // A second run finds nothing left to do.
        logic_design again = d;
        const simplify_stats second = simplify(again);
        CHECK(second.iterations == 1);
        CHECK(again.nodes.size() == d.nodes.size());
        sum.constant_inputs_folded += stats.constant_inputs_folded;
        sum.ignored_inputs_removed += stats.ignored_inputs_removed;
        sum.duplicate_inputs_removed += stats.duplicate_inputs_removed;
        sum.buffer_reads_bypassed += stats.buffer_reads_bypassed;
        sum.inverter_reads_absorbed += stats.inverter_reads_absorbed;
        sum.merged += stats.merged;
        sum.dead_removed += stats.dead_removed;
        sum.constant_nodes += stats.constant_nodes;
    }
    // The designs really exercised every pass.
    CHECK(sum.constant_inputs_folded > 0);
    CHECK(sum.ignored_inputs_removed > 0);
    CHECK(sum.duplicate_inputs_removed > 0);
    CHECK(sum.buffer_reads_bypassed > 0);
    CHECK(sum.inverter_reads_absorbed > 0);
    CHECK(sum.merged > 0);
    CHECK(sum.dead_removed > 0);
    CHECK(sum.constant_nodes > 0);
}

TEST_CASE("passes: simplify keeps every output bit, tick by tick, of 200 random designs with delays") {
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        CAPTURE(seed);
        logic_design d = random_design(seed, true);
        REQUIRE_NOTHROW(validate(d));
        const auto before = simulate(d, 12, seed);
        const simplify_stats stats = simplify(d);
        REQUIRE_NOTHROW(validate(d));
        CHECK(stats.fixpoint);
        REQUIRE(simulate(d, 12, seed) == before);
    }
}

TEST_CASE("passes: simplify's table lists the passes in order; each alone keeps every output bit") {
    const std::span<const pass_entry> table = passes();
    std::vector<std::string_view> names;
    for (const pass_entry& pass : table) names.emplace_back(pass.name);
    CHECK(names == std::vector<std::string_view>{"fold_inputs", "bypass_buffers_and_inverters", "merge_identical_nodes",
                                                 "remove_dead_nodes"});
    CHECK((table[0].run == &fold_inputs));
    CHECK((table[3].run == &remove_dead_nodes));
    // Whatever passes ran before: a pass keeps the design valid and its
    // outputs, tick by tick, on its own too.
    for (const pass_entry& pass : table) {
        CAPTURE(pass.name);
        bool changed_any = false;
        for (std::uint64_t seed = 0; seed < 60; ++seed) {
            CAPTURE(seed);
            logic_design d = random_design(seed, seed % 2 == 1);
            const auto before = simulate(d, 8, seed);
            simplify_stats stats;
            changed_any = pass.run(d, stats) || changed_any;
            REQUIRE_NOTHROW(validate(d));
            REQUIRE(simulate(d, 8, seed) == before);
        }
        CHECK(changed_any);
    }
}

TEST_CASE("passes: a constant input is cofactored away; a constant node becomes a constant everywhere") {
    // n0 = AND(x0, 1) → reads x0 alone; n1 = AND(x1, 0) → constant 0, so
    // n2 = XOR(n1, x2) → reads x2 alone, and the port bit naming n1 reads 0.
    logic_design d = design_with(3,
                                 {node_of({signal::input(0), signal::constant(true)}, and2),
                                  node_of({signal::input(1), signal::constant(false)}, and2),
                                  node_of({signal::node(1), signal::input(2)}, xor2)},
                                 {signal::node(0), signal::node(1), signal::node(2)});
    simplify_stats stats;
    CHECK(fold_inputs(d, stats));
    CHECK(d.nodes[0].inputs == std::vector<signal>{signal::input(0)});
    CHECK(d.nodes[0].table == std::vector<std::uint64_t>{0b10});
    CHECK(d.nodes[1].inputs.empty());
    CHECK(d.nodes[1].table == std::vector<std::uint64_t>{0});
    CHECK(d.nodes[2].inputs == std::vector<signal>{signal::input(2)});
    CHECK(d.nodes[2].table == std::vector<std::uint64_t>{0b10});
    CHECK(d.outputs[0].bits[1] == signal::constant(false));
    CHECK(stats.constant_inputs_folded == 3);  // x0's 1, x1's 0, n2's n1
    CHECK(stats.constant_nodes == 1);
    CHECK_FALSE(fold_inputs(d, stats));

    // Through a register a constant is no constant (the register starts at
    // its initial value): the slot stays.
    logic_design delayed =
        design_with(1, {node_of({signal::input(0), signal::constant(true)}, and2, {0, 2})}, {signal::node(0)});
    CHECK_FALSE(fold_inputs(delayed, stats));
    CHECK(delayed.nodes[0].inputs.size() == 2);
}

TEST_CASE("passes: ignored and duplicate inputs are removed") {
    // n0 reads x0, x1, x2 but computes x0 AND x2; n1 = x1 AND x1 = x1;
    // n2 = x0 XOR x0 = 0; n3 reads x1 twice, once through a register: both stay.
    logic_design d = design_with(
        3,
        {node_of({signal::input(0), signal::input(1), signal::input(2)},
                 [](std::uint32_t a) { return (a & 5U) == 5U; }),
         node_of({signal::input(1), signal::input(1)}, and2), node_of({signal::input(0), signal::input(0)}, xor2),
         node_of({signal::input(1), signal::input(1)}, xor2, {0, 1})},
        {signal::node(0), signal::node(1), signal::node(2), signal::node(3)});
    simplify_stats stats;
    CHECK(fold_inputs(d, stats));
    CHECK(d.nodes[0].inputs == std::vector<signal>{signal::input(0), signal::input(2)});
    CHECK(d.nodes[0].table == std::vector<std::uint64_t>{0b1000});
    CHECK(d.nodes[1].inputs == std::vector<signal>{signal::input(1)});
    CHECK(d.nodes[1].table == std::vector<std::uint64_t>{0b10});
    CHECK(d.nodes[2].inputs.empty());
    CHECK(d.nodes[3].inputs.size() == 2);
    CHECK(d.nodes[3].delays == std::vector<std::uint32_t>{0, 1});
    CHECK(d.outputs[0].bits[2] == signal::constant(false));
    CHECK(stats.ignored_inputs_removed == 2);    // n0's x1, n2's remaining x0
    CHECK(stats.duplicate_inputs_removed == 2);  // n1's and n2's second slot
}

TEST_CASE("passes: buffers are bypassed, NOTs absorbed into zero-delay readers") {
    // n0 = BUF(x1); n1 = n0 AND x2 → reads x1; port bit n0 → x1.
    // n2 = NOT(x0); n3 = n2 AND x1 → (NOT x0) AND x1 on x0 directly; the port
    // bit naming n2 and the delayed reader n4 keep the NOT.
    // n5 = BUF(x2) through a register: not a wire, its reader n6 keeps it.
    logic_design d = design_with(
        3,
        {node_of({signal::input(1)}, buffer1), node_of({signal::node(0), signal::input(2)}, and2),
         node_of({signal::input(0)}, not1), node_of({signal::node(2), signal::input(1)}, and2),
         node_of({signal::node(2), signal::input(1)}, and2, {1, 0}), node_of({signal::input(2)}, buffer1, {1}),
         node_of({signal::node(5), signal::input(0)}, xor2)},
        {signal::node(0), signal::node(1), signal::node(2), signal::node(3), signal::node(4), signal::node(6)});
    simplify_stats stats;
    CHECK(bypass_buffers_and_inverters(d, stats));
    CHECK(d.nodes[1].inputs == std::vector<signal>{signal::input(1), signal::input(2)});
    CHECK(d.outputs[0].bits[0] == signal::input(1));
    CHECK(d.nodes[3].inputs == std::vector<signal>{signal::input(0), signal::input(1)});
    CHECK(d.nodes[3].table == std::vector<std::uint64_t>{0b0100});  // x0 = 0, x1 = 1
    CHECK(d.nodes[4].inputs[0] == signal::node(2));
    CHECK(d.outputs[0].bits[2] == signal::node(2));
    CHECK(d.nodes[6].inputs[0] == signal::node(5));
    CHECK(stats.buffer_reads_bypassed == 2);
    CHECK(stats.inverter_reads_absorbed == 1);

    // A NOT behind a register on its own input is absorbed with that delay.
    logic_design registered =
        design_with(2, {node_of({signal::input(0)}, not1, {3}), node_of({signal::node(0), signal::input(1)}, and2)},
                    {signal::node(1)});
    CHECK(bypass_buffers_and_inverters(registered, stats));
    CHECK(registered.nodes[1].inputs[0] == signal::input(0));
    CHECK(registered.nodes[1].delays == std::vector<std::uint32_t>{3, 0});
}

TEST_CASE("passes: dead nodes are removed and the rest renumbered in order") {
    // n1 is read by nothing; n3 is read only through a register by n2, so it lives.
    logic_design d = design_with(
        2,
        {node_of({signal::input(0), signal::input(1)}, and2), node_of({signal::input(0), signal::input(1)}, xor2),
         node_of({signal::node(0), signal::node(3)}, xor2, {0, 1}), node_of({signal::input(1), signal::input(0)}, and2),
         node_of({signal::node(1)}, buffer1)},
        {signal::node(2)});
    simplify_stats stats;
    CHECK(remove_dead_nodes(d, stats));
    REQUIRE(d.nodes.size() == 3);
    CHECK(d.nodes[1].inputs == std::vector<signal>{signal::node(0), signal::node(2)});
    CHECK(d.outputs[0].bits[0] == signal::node(1));
    CHECK(stats.dead_removed == 2);
    CHECK_NOTHROW(validate(d));
    CHECK_FALSE(remove_dead_nodes(d, stats));
}

TEST_CASE("passes: identical nodes are merged, slot order aside, but not across different delays") {
    // n0 = x0 AND NOT x1; n1 = the same with its slots swapped; n2 = n0 XOR n1
    // (= 0 once merged); n3 like n0 but x0 through a register.
    logic_design d =
        design_with(2,
                    {node_of({signal::input(0), signal::input(1)}, [](std::uint32_t a) { return a == 1; }),
                     node_of({signal::input(1), signal::input(0)}, [](std::uint32_t a) { return a == 2; }),
                     node_of({signal::node(0), signal::node(1)}, xor2),
                     node_of({signal::input(0), signal::input(1)}, [](std::uint32_t a) { return a == 1; }, {1, 0})},
                    {signal::node(1), signal::node(2), signal::node(3)});
    simplify_stats stats;
    CHECK(merge_identical_nodes(d, stats));
    REQUIRE(d.nodes.size() == 3);
    CHECK(stats.merged == 1);
    CHECK(d.outputs[0].bits[0] == signal::node(0));
    CHECK(d.nodes[1].inputs == std::vector<signal>{signal::node(0), signal::node(0)});
    CHECK(d.outputs[0].bits[2] == signal::node(2));
    CHECK(d.nodes[2].delays == std::vector<std::uint32_t>{1, 0});

    // The whole run: n2 reads n0 twice → XOR of equal inputs → constant 0.
    const simplify_stats all = simplify(d);
    CHECK(d.outputs[0].bits[1] == signal::constant(false));
    CHECK(all.constant_nodes == 1);
}

TEST_CASE("passes: census per part and the text report") {
    logic_design d = design_with(
        3,
        {node_of({signal::input(0), signal::input(1)}, and2), node_of({signal::input(0), signal::input(2)}, xor2),
         node_of({signal::node(0), signal::node(1), signal::input(2)},
                 [](std::uint32_t a) { return std::popcount(a) >= 2; }),
         node_of({signal::input(1)}, buffer1)},
        {signal::node(2), signal::node(3)});
    d.nodes[0].role = part::encoder;
    d.nodes[2].role = part::popcount;
    const simplify_stats stats = simplify(d);
    CHECK(stats.nodes_before == std::array<std::uint32_t, num_parts>{1, 2, 1, 0});
    CHECK(stats.nodes_after == std::array<std::uint32_t, num_parts>{1, 1, 1, 0});
    const auto kind = [](core::function_kind f) { return static_cast<std::size_t>(f); };
    CHECK(stats.census[0][kind(core::function_kind::and_)] == 1);
    CHECK(stats.census[1][kind(core::function_kind::xor_)] == 1);
    CHECK(stats.census[2][kind(core::function_kind::majority)] == 1);
    CHECK(stats.buffer_reads_bypassed == 1);
    CHECK(stats.dead_removed == 1);
    const std::string text = to_text(stats);
    CHECK(text.find("buffer reads bypassed") != std::string::npos);
    CHECK(text.find("majority") != std::string::npos);
    CHECK(text.find("  total                4            3") != std::string::npos);
}

TEST_CASE("passes: simplify rejects an invalid design before changing it") {
    logic_design d = design_with(1, {node_of({signal::input(5)}, buffer1)}, {signal::node(0)});
    CHECK_THROWS_AS(simplify(d), lutra::error);
    CHECK(d.nodes.size() == 1);
}
