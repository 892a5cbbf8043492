#include <doctest/doctest.h>

#include <algorithm>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/random.hpp"
#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/design.hpp"
#include "support/all_patterns.hpp"

using namespace lutra;
using namespace lutra::fpga;
using lutra::test::all_patterns;

namespace {

std::vector<std::uint64_t> random_table(unsigned k, const counter_rng& rng) {
    std::vector<std::uint64_t> table(core::table_words(k));
    for (std::size_t w = 0; w < table.size(); ++w) table[w] = rng.at(w);
    // Some tables have constant words, so constant cofactors get mapped too.
    if (k > 6 && rng.at(1000) % 3 == 0) table[rng.at(1001) % table.size()] = rng.at(1002) % 2 ? ~0ULL : 0;
    if (k < 6) table[0] &= (std::uint64_t{1} << (1U << k)) - 1;
    return table;
}

// One node over k primary inputs read in reverse order (so pin i is not
// simply primary input i), output port "y" = the node.
logic_design one_node(unsigned k, std::vector<std::uint64_t> table) {
    logic_design d;
    d.name = "one";
    d.num_inputs = k;
    d.input_ports.push_back({"x", 0, k});
    logic_node node;
    for (unsigned i = 0; i < k; ++i) node.inputs.push_back(signal::input(k - 1 - i));
    node.table = std::move(table);
    d.nodes.push_back(std::move(node));
    d.outputs.push_back({"y", {signal::node(0)}});
    return d;
}

struct cell_counts {
    std::size_t luts = 0, muxf7 = 0, muxf8 = 0;
    bool operator==(const cell_counts&) const = default;
};
cell_counts count(const cell_netlist& netlist) {
    cell_counts c;
    for (const cell& x : netlist.cells) {
        c.luts += x.type == cell::kind::lut ? 1 : 0;
        c.muxf7 += x.type == cell::kind::muxf7 ? 1 : 0;
        c.muxf8 += x.type == cell::kind::muxf8 ? 1 : 0;
    }
    return c;
}

cell lut(std::vector<signal> inputs, std::vector<std::uint32_t> delays = {}) {
    return {.type = cell::kind::lut, .inputs = std::move(inputs), .delays = std::move(delays), .init = 0x6};
}

}  // namespace

TEST_CASE("cells: one node of k = 1..8 inputs, random tables, equals the design on every address") {
    for (unsigned k = 1; k <= 8; ++k) {
        const core::bit_matrix patterns = all_patterns(k);
        for (std::uint64_t trial = 0; trial < 40; ++trial) {
            CAPTURE(k);
            CAPTURE(trial);
            const logic_design d = one_node(k, random_table(k, counter_rng(trial, "test.cells").fork(k)));
            const cell_netlist netlist = map_cells(d);
            REQUIRE(evaluate(netlist, patterns) == evaluate(d, patterns));
            if (k <= 6) {
                REQUIRE(netlist.cells.size() == 1);
                CHECK(netlist.cells[0].type == cell::kind::lut);
                CHECK(netlist.cells[0].inputs == d.nodes[0].inputs);
                CHECK(netlist.cells[0].init == d.nodes[0].table[0]);
            }
        }
    }
}

TEST_CASE("cells: k = 6, 7, 8 take 1 LUT; 2 LUT + 1 MUXF7; 4 LUT + 2 MUXF7 + 1 MUXF8") {
    const counter_rng rng(7, "test.cells.counts");
    CHECK(count(map_cells(one_node(6, random_table(6, rng)))) == cell_counts{1, 0, 0});
    CHECK(count(map_cells(one_node(7, random_table(7, rng)))) == cell_counts{2, 1, 0});
    CHECK(count(map_cells(one_node(8, random_table(8, rng)))) == cell_counts{4, 2, 1});
    // Shannon above 8: two (four) 8-input pieces joined by one (three) LUT3 multiplexers.
    CHECK(count(map_cells(one_node(9, random_table(9, rng)))) == cell_counts{9, 4, 2});
    CHECK(count(map_cells(one_node(10, random_table(10, rng)))) == cell_counts{19, 8, 4});

    const cell_netlist eight = map_cells(one_node(8, random_table(8, rng)));
    const cell& f8 = eight.cells.back();
    REQUIRE(f8.type == cell::kind::muxf8);
    CHECK(f8.inputs[2] == signal::input(0));  // node input 7 = primary input 8 − 1 − 7
    CHECK(eight.cells[f8.inputs[0].index].type == cell::kind::muxf7);
    CHECK(eight.outputs[0].bits[0] == signal::node(6));
}

TEST_CASE("cells: k = 9 and 10 by Shannon decomposition equal the design on every address") {
    for (unsigned k = 9; k <= 10; ++k) {
        const core::bit_matrix patterns = all_patterns(k);
        for (std::uint64_t trial = 0; trial < 6; ++trial) {
            CAPTURE(k);
            CAPTURE(trial);
            const logic_design d = one_node(k, random_table(k, counter_rng(trial, "test.cells.big").fork(k)));
            const cell_netlist netlist = map_cells(d);
            REQUIRE(evaluate(netlist, patterns) == evaluate(d, patterns));
            // A MUXF8 feeds only LUTs (the LUT3 multiplexers), never another mux.
            for (const cell& x : netlist.cells)
                for (const signal& s : x.inputs)
                    if (s.from == signal::kind::node && netlist.cells[s.index].type == cell::kind::muxf8)
                        CHECK(x.type == cell::kind::lut);
        }
    }
}

TEST_CASE("cells: random multi-node designs with constants, constant nodes and k up to 9") {
    constexpr std::uint32_t num_inputs = 10;
    const core::bit_matrix patterns = all_patterns(num_inputs);
    for (std::uint64_t trial = 0; trial < 20; ++trial) {
        CAPTURE(trial);
        const counter_rng rng(trial, "test.cells.designs");
        logic_design d;
        d.name = "random";
        d.num_inputs = num_inputs;
        d.input_ports.push_back({"x", 0, num_inputs});
        for (std::uint32_t n = 0; n < 12; ++n) {
            const counter_rng r = rng.fork(n);
            const unsigned k = static_cast<unsigned>(r.below(0, 10));  // 0..9
            logic_node node;
            for (unsigned i = 0; i < k; ++i) {
                const std::uint64_t pick = r.below(10 + i, num_inputs + n + 2);
                node.inputs.push_back(pick < num_inputs ? signal::input(static_cast<std::uint32_t>(pick))
                                      : pick < num_inputs + n
                                          ? signal::node(static_cast<std::uint32_t>(pick - num_inputs))
                                          : signal::constant(pick % 2 == 1));
            }
            node.table = random_table(k, r.fork(99));
            if (k == 0) node.table[0] = r.at(5) & 1U;
            node.role = static_cast<part>(n % 3);
            d.nodes.push_back(std::move(node));
        }
        output_port y{"y", {}};
        for (std::uint32_t n = 0; n < 12; ++n) y.bits.push_back(signal::node(n));
        y.bits.push_back(signal::input(3));
        y.bits.push_back(signal::constant(true));
        d.outputs.push_back(std::move(y));

        const cell_netlist netlist = map_cells(d);
        REQUIRE(evaluate(netlist, patterns) == evaluate(d, patterns));
        for (const cell& x : netlist.cells) CHECK(x.role == d.nodes[x.node].role);
    }
}

TEST_CASE("cells: delays go onto the cell inputs that read the delayed node input") {
    logic_design d = one_node(9, random_table(9, counter_rng(3, "test.cells.delays")));
    d.nodes[0].delays = {0, 0, 1, 0, 0, 0, 2, 3, 4};
    const cell_netlist netlist = map_cells(d);
    for (const cell& x : netlist.cells) {
        if (x.type == cell::kind::lut && x.inputs.size() == 6)
            CHECK(x.delays == std::vector<std::uint32_t>{0, 0, 1, 0, 0, 0});
        if (x.type == cell::kind::muxf7) CHECK(x.delays == std::vector<std::uint32_t>{0, 0, 2});
        if (x.type == cell::kind::muxf8) CHECK(x.delays == std::vector<std::uint32_t>{0, 0, 3});
        if (x.type == cell::kind::lut && x.inputs.size() == 3) CHECK(x.delays == std::vector<std::uint32_t>{0, 0, 4});
    }
    CHECK_THROWS_WITH_AS(static_cast<void>(evaluate(netlist, all_patterns(9))), doctest::Contains("has a delay"),
                         lutra::error);
    CHECK_THROWS_WITH_AS(static_cast<void>(evaluate(netlist, all_patterns(8))),
                         doctest::Contains("8 rows, the netlist 9 primary inputs"), lutra::error);
}

TEST_CASE("cells: LUT levels of a hand-built chain") {
    cell_netlist netlist{.name = "chain", .num_inputs = 3};
    netlist.cells.push_back(lut({signal::input(0), signal::input(1)}));  // 0: level 1
    netlist.cells.push_back(lut({signal::node(0), signal::input(2)}));   // 1: level 2
    netlist.cells.push_back({.type = cell::kind::muxf7,                  // 2: level 2 (adds none)
                             .inputs = {signal::node(1), signal::node(0), signal::input(0)}});
    netlist.cells.push_back(lut({signal::node(2)}));                            // 3: level 3
    netlist.cells.push_back(lut({signal::node(3), signal::input(1)}, {1, 0}));  // 4: delayed input → level 1
    netlist.cells.push_back(lut({signal::constant(true)}));                     // 5: level 1
    netlist.cells.push_back({.type = cell::kind::muxf8,                         // 6: level 3
                             .inputs = {signal::node(3), signal::node(5), signal::node(4)}});
    CHECK(lut_levels(netlist) == std::vector<std::uint32_t>{1, 2, 2, 3, 1, 1, 3});

    netlist.cells.push_back(lut({signal::node(7)}));
    CHECK_THROWS_WITH_AS(static_cast<void>(lut_levels(netlist)),
                         doctest::Contains("cell 7 has a zero-delay input from cell 7"), lutra::error);
}

TEST_CASE("cells: pipeline stages and register chains of a 4-LUT chain, counted by hand") {
    // L0 = f(in0, in1), L1 = f(L0, in0), L2 = f(L1, in0), L3 = f(L2, in0); outputs {L3, L0}.
    cell_netlist netlist{.name = "chain", .num_inputs = 2};
    netlist.cells.push_back(lut({signal::input(0), signal::input(1)}));
    for (std::uint32_t c = 0; c < 3; ++c) netlist.cells.push_back(lut({signal::node(c), signal::input(0)}));
    netlist.outputs.push_back({"y", {signal::node(3), signal::node(0)}});

    const pipeline_plan none = pipeline_stages(netlist, 0);
    CHECK(none.stages == 1);
    CHECK(none.latency() == 0);
    CHECK(none.flip_flops() == 0);

    // Every 2 levels: stages {0, 0, 1, 1}. in0 is read in stage 1 (1 register),
    // L0 by the output port in stage 1 (1), L1 by L2 (1): 3 flip-flops.
    const pipeline_plan two = pipeline_stages(netlist, 2);
    CHECK(two.cell_stage == std::vector<std::uint32_t>{0, 0, 1, 1});
    CHECK(two.stages == 2);
    CHECK(two.latency() == 1);
    CHECK(two.input_registers == std::vector<std::uint32_t>{1, 0});
    CHECK(two.cell_registers == std::vector<std::uint32_t>{1, 1, 0, 0});
    CHECK(two.flip_flops() == 3);

    // Every level: stages {0, 1, 2, 3}; in0 up to stage 3 (3), L0 to the
    // output in stage 3 (3), L1 and L2 one each: 8 flip-flops, latency 3.
    const pipeline_plan one = pipeline_stages(netlist, 1);
    CHECK(one.cell_stage == std::vector<std::uint32_t>{0, 1, 2, 3});
    CHECK(one.latency() == 3);
    CHECK(one.input_registers == std::vector<std::uint32_t>{3, 0});
    CHECK(one.cell_registers == std::vector<std::uint32_t>{3, 1, 1, 0});
    CHECK(one.flip_flops() == 8);

    // More levels per stage than the depth: one stage, nothing registered.
    CHECK(pipeline_stages(netlist, 4).flip_flops() == 0);
}
