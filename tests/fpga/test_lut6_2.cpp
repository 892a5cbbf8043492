// Two LUTs in one LUT6 site (cells.hpp: make_lut6_2, pack_lut6_2,
// check_lut6_2_pairs), the report's site count and the LUT6_2 in Verilog.
#include <doctest/doctest.h>

#include <algorithm>
#include <ctime>
#include <sstream>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/random.hpp"
#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/design.hpp"
#include "lutra/fpga/report.hpp"
#include "lutra/fpga/verilog.hpp"
#include "support/all_patterns.hpp"

using namespace lutra;
using namespace lutra::fpga;

namespace {

signal in(std::uint32_t i) { return signal::input(i); }

cell lut(std::vector<signal> inputs, std::uint64_t init, part role = part::network,
         std::vector<std::uint32_t> delays = {}) {
    return {.type = cell::kind::lut, .inputs = std::move(inputs), .delays = std::move(delays), .init = init, .role = role};
}

// A full adder of in0, in1, in2: sum (XOR3, 0x96) and carry (majority, 0xE8).
cell_netlist full_adder() {
    cell_netlist n{.name = "adder", .num_inputs = 3};
    n.cells.push_back(lut({in(0), in(1), in(2)}, 0x96, part::popcount));
    n.cells.push_back(lut({in(2), in(0), in(1)}, 0xE8, part::popcount));
    n.outputs.push_back({"y", {signal::node(0), signal::node(1)}});
    return n;
}

// Every pair's cells side by side with what the LUT6_2 computes: for each
// pair, two LUTs appended after every cell (a site's inputs may be cells
// after its O6 cell), over the site's inputs, whose tables are the halves of
// the site's INIT (O6 the upper 32 bits, O5 the lower; pins the site does not
// use are 0, so the table's first 2^m bits are the ones read). Outputs: per
// pair, O6 cell, O6 half, O5 cell, O5 half.
cell_netlist with_sites(const cell_netlist& packed) {
    cell_netlist n = packed;
    n.lut6_2_pairs.clear();
    n.outputs = {{"pairs", {}}};
    for (const auto& [o6, o5] : packed.lut6_2_pairs) {
        const lut6_2_site site = make_lut6_2(packed.cells[o6], packed.cells[o5]);
        const std::uint64_t mask = (std::uint64_t{1} << (1U << site.inputs.size())) - 1;
        for (const auto& [c, half] : {std::pair(o6, site.init >> 32), std::pair(o5, site.init)}) {
            n.outputs[0].bits.push_back(signal::node(c));
            n.outputs[0].bits.push_back(signal::node(static_cast<std::uint32_t>(n.cells.size())));
            n.cells.push_back(lut(site.inputs, half & mask));
        }
    }
    return n;
}

// Whether each half of each site equals its cell on every sample.
bool sites_compute_their_cells(const cell_netlist& packed, const core::bit_matrix& inputs) {
    const core::bit_matrix out = evaluate(with_sites(packed), inputs);
    for (std::size_t r = 0; r < out.rows(); r += 2)
        for (std::size_t s = 0; s < out.samples(); ++s)
            if (out.get(r, s) != out.get(r + 1, s)) return false;
    return true;
}

// Random logic of small tables: `nodes` nodes of 1..6 inputs over 8 primary
// inputs and earlier nodes, drawn mostly from a few signals so that many
// share inputs; every node an output.
logic_design small_tables(std::uint64_t seed, std::uint32_t nodes) {
    const counter_rng rng(seed, "test.lut6_2.design");
    logic_design d;
    d.name = "small";
    d.num_inputs = 8;
    d.input_ports.push_back({"x", 0, 8});
    output_port y{"y", {}};
    for (std::uint32_t n = 0; n < nodes; ++n) {
        const counter_rng r = rng.fork(n);
        logic_node node;
        const unsigned k = 1 + static_cast<unsigned>(r.at(0) % 6);
        for (unsigned i = 0; node.inputs.size() < k; ++i) {
            const std::uint64_t pick = r.at(1 + i);
            // Inputs 0..7 or one of the last few nodes.
            const signal s = n > 0 && pick % 4 == 0 ? signal::node(n - 1 - static_cast<std::uint32_t>(pick / 4 % std::min(n, 4U)))
                                                    : in(static_cast<std::uint32_t>(pick / 4 % 8));
            if (std::find(node.inputs.begin(), node.inputs.end(), s) == node.inputs.end()) node.inputs.push_back(s);
        }
        node.table = {r.at(100)};
        if (k < 6) node.table[0] &= (std::uint64_t{1} << (1U << k)) - 1;
        d.nodes.push_back(std::move(node));
        y.bits.push_back(signal::node(n));
    }
    d.outputs.push_back(std::move(y));
    validate(d);
    return d;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("make_lut6_2: a full adder's sum and carry in one site, INIT = both tables on the union's pins") {
    const cell_netlist n = full_adder();
    const lut6_2_site site = make_lut6_2(n.cells[0], n.cells[1]);
    CHECK(site.inputs == std::vector<signal>{in(0), in(1), in(2)});  // the O6 cell's pin order
    // O6 = sum, O5 = carry, each 8 bits repeated over the unused I3, I4.
    CHECK(site.init == 0x96969696'E8E8E8E8ULL);

    // An O5 cell that reads the pins in another order, a constant pin and a
    // signal the O6 cell does not read: checked against its function
    // address by address.
    const cell o6 = lut({in(3), in(1)}, 0b0110);                                          // in3 XOR in1
    const cell o5 = lut({in(1), signal::constant(true), in(7), in(3)}, 0x0F0F ^ 0x00F0);  // see below
    const lut6_2_site mixed = make_lut6_2(o6, o5);
    REQUIRE(mixed.inputs == std::vector<signal>{in(3), in(1), in(7)});
    for (std::uint32_t a = 0; a < 32; ++a) {
        const bool i3 = (a & 1) != 0, i1 = (a & 2) != 0, i7 = (a & 4) != 0;
        CAPTURE(a);
        CHECK(((mixed.init >> (32 + a)) & 1U) == (i3 != i1 ? 1U : 0U));
        const unsigned address = unsigned{i1} | 2U | unsigned{i7} << 2 | unsigned{i3} << 3;
        CHECK(((mixed.init >> a) & 1U) == ((o5.init >> address) & 1U));
    }
}

TEST_CASE("make_lut6_2: more than 5 signals, a delay or a MUXF7 cannot share a site") {
    CHECK_THROWS_WITH_AS(static_cast<void>(make_lut6_2(lut({in(0), in(1), in(2)}, 0x96), lut({in(3), in(4), in(5)}, 0x96))),
                         doctest::Contains("6 distinct non-constant signals; a site shares at most 5"), error);
    CHECK_THROWS_WITH_AS(static_cast<void>(make_lut6_2(lut({in(0), in(1)}, 6), lut({in(0), in(1)}, 8, part::network, {0, 1}))),
                         doctest::Contains("delayed input"), error);
    const cell mux{.type = cell::kind::muxf7, .inputs = {in(0), in(1), in(2)}};
    CHECK_THROWS_WITH_AS(static_cast<void>(make_lut6_2(mux, lut({in(0)}, 2))), doctest::Contains("MUXF7/MUXF8"), error);
    // Constant pins do not count: 6 pins, 5 signals.
    CHECK_NOTHROW((void)make_lut6_2(lut({in(0), in(1), in(2), in(3), in(4), signal::constant(false)}, 0x1234'5678),
                                    lut({in(4)}, 2)));
}

TEST_CASE("pack_lut6_2: identical sets, subsets and small unions pair; delays, MUXF feeders, parts and constants do not") {
    cell_netlist n{.name = "rules", .num_inputs = 8};
    n.cells.push_back(lut({in(0), in(1), in(2)}, 0x96));           // 0: pairs with 1 (same set)
    n.cells.push_back(lut({in(2), in(1), in(0)}, 0xE8));           // 1
    n.cells.push_back(lut({in(3), in(4), in(5), in(6)}, 0x6996));  // 2: pairs with 3 (a subset)
    n.cells.push_back(lut({in(4), in(6)}, 0x6));                   // 3
    n.cells.push_back(lut({in(0), in(7)}, 0x6, part::network, {0, 1}));  // 4: a delay: never
    n.cells.push_back(lut({in(0), in(7)}, 0x8, part::encoder));          // 5: another part than 6
    n.cells.push_back(lut({in(0), in(7)}, 0x6));                         // 6: pairs with 8 (union of 4)
    n.cells.push_back(lut({in(1), in(2)}, 0xF));                         // 7: constant (ignores its inputs): never
    n.cells.push_back(lut({in(7), in(5), in(3)}, 0x80));                 // 8
    n.cells.push_back(lut({in(0), in(1), in(2), in(3), in(4), in(5)}, 1));  // 9, 10: feed a MUXF7: never
    n.cells.push_back(lut({in(0), in(1), in(2), in(3), in(4), signal::constant(true)}, 2));
    n.cells.push_back({.type = cell::kind::muxf7, .inputs = {signal::node(9), signal::node(10), in(6)}});
    n.cells.push_back(lut({in(1), in(2)}, 0x6));  // 12: only the encoder cell 5 is left, another part
    n.outputs.push_back({"y", {signal::node(0)}});
    const cell_netlist original = n;

    CHECK(pack_lut6_2(n) == 3);
    CHECK(n.lut6_2_pairs == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 1}, {2, 3}, {6, 8}});
    check_lut6_2_pairs(n, pipeline_stages(n, 0));
    CHECK(n.cells.size() == original.cells.size());  // cells unchanged: a placement, not new logic

    // Deterministic: the same pairs again, and from a copy.
    cell_netlist again = original;
    CHECK(pack_lut6_2(again) == 3);
    CHECK(again.lut6_2_pairs == n.lut6_2_pairs);
    CHECK(pack_lut6_2(n) == 3);
    CHECK(again.lut6_2_pairs == n.lut6_2_pairs);
}

TEST_CASE("pack_lut6_2: only cells of one pipeline stage share a site") {
    // Cell 1 reads cell 0: level 2. Cell 2 reads what cell 1 reads: level 1.
    cell_netlist n{.name = "stages", .num_inputs = 2};
    n.cells.push_back(lut({in(0)}, 0x1));
    n.cells.push_back(lut({signal::node(0), in(1)}, 0x6));
    n.cells.push_back(lut({in(1)}, 0x1));
    n.outputs.push_back({"y", {signal::node(1), signal::node(2)}});
    cell_netlist pipelined = n;
    CHECK(pack_lut6_2(n, 0) == 1);          // all in stage 0: cells 0 and 1 or 2 pair
    CHECK(pack_lut6_2(pipelined, 1) == 1);  // stage 0: cells 0 and 2; cell 1 alone in stage 1
    CHECK(pipelined.lut6_2_pairs == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 2}});
    // A pair made for no pipeline is refused by a writer that pipelines.
    n.lut6_2_pairs = {{1, 2}};
    CHECK_NOTHROW(check_lut6_2_pairs(n, pipeline_stages(n, 0)));
    CHECK_THROWS_WITH_AS(check_lut6_2_pairs(n, pipeline_stages(n, 1)), doctest::Contains("pipeline stages 1 and 0"),
                         error);
}

TEST_CASE("pack_lut6_2: a cell that reads its partner's output never shares its site") {
    // Cell 1 reads cell 0 and in0: {in0} is a subset of its inputs, but the
    // site would feed its own O6 into its I pins.
    cell_netlist n{.name = "loop", .num_inputs = 1};
    n.cells.push_back(lut({in(0)}, 0x1));
    n.cells.push_back(lut({signal::node(0), in(0)}, 0x6));
    n.outputs.push_back({"y", {signal::node(1)}});
    CHECK(pack_lut6_2(n) == 0);
    n.lut6_2_pairs = {{0, 1}};
    CHECK_THROWS_WITH_AS(check_lut6_2_pairs(n, pipeline_stages(n, 0)),
                         doctest::Contains("cell 1 reads cell 0, so the site would feed itself"), error);
}

TEST_CASE("check_lut6_2_pairs: a cell in two pairs, itself, another part or a bad index is refused") {
    cell_netlist n = full_adder();
    n.cells.push_back(lut({in(0)}, 0x1, part::argmax));
    const pipeline_plan plan = pipeline_stages(n, 0);
    n.lut6_2_pairs = {{0, 1}, {1, 2}};
    CHECK_THROWS_WITH_AS(check_lut6_2_pairs(n, plan), doctest::Contains("already in another pair"), error);
    n.lut6_2_pairs = {{0, 0}};
    CHECK_THROWS_WITH_AS(check_lut6_2_pairs(n, plan), doctest::Contains("with itself"), error);
    n.lut6_2_pairs = {{0, 2}};
    CHECK_THROWS_WITH_AS(check_lut6_2_pairs(n, plan), doctest::Contains("different parts (popcount, argmax)"), error);
    n.lut6_2_pairs = {{0, 7}};
    CHECK_THROWS_WITH_AS(check_lut6_2_pairs(n, plan), doctest::Contains("has 3 cells"), error);
}

TEST_CASE("pack_lut6_2: every site's INIT computes both cells on random logic, bit for bit") {
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        CAPTURE(seed);
        const logic_design d = small_tables(seed, 60);
        cell_netlist packed = map_cells(d);
        const std::size_t pairs = pack_lut6_2(packed);
        CHECK(pairs >= 5);
        const core::bit_matrix inputs = test::all_patterns(8);
        CHECK(sites_compute_their_cells(packed, inputs));
        // And the check can fail: one INIT bit of one O5 cell flipped.
        cell_netlist broken = packed;
        const std::uint32_t o5 = broken.lut6_2_pairs.front().second;
        bool differs = false;
        for (unsigned bit = 0; bit < 32 && !differs; ++bit) {
            broken.cells[o5].init = packed.cells[o5].init ^ (std::uint64_t{1} << bit);
            // The site is made from the flipped cell: compare it with the original.
            cell_netlist site_of_broken = with_sites(broken);
            site_of_broken.cells[o5] = packed.cells[o5];
            const core::bit_matrix out = evaluate(site_of_broken, inputs);
            for (std::size_t r = 0; r < out.rows() && !differs; r += 2)
                for (std::size_t s = 0; s < out.samples() && !differs; ++s) differs = out.get(r, s) != out.get(r + 1, s);
        }
        CHECK(differs);
    }
}

TEST_CASE("pack_lut6_2: 30,000 cells, every pair valid") {
    // At MNIST's scale: an O(n²) search would make this test take minutes
    // (about 0.2 s of processor time in Release, 1 s under ASan). Timing
    // belongs to benchmarks, so the time is printed, not checked.
    const logic_design d = small_tables(9, 30'000);
    cell_netlist n = map_cells(d);
    const std::clock_t start = std::clock();
    const std::size_t pairs = pack_lut6_2(n);
    const double seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
    MESSAGE(pairs << " pairs of " << n.cells.size() << " cells in " << seconds << " s of processor time");
    CHECK(pairs > 1000);
    check_lut6_2_pairs(n, pipeline_stages(n, 0));
}

TEST_CASE("report: a LUT6_2 pair is one site of its part, listed as LUT6_2") {
    cell_netlist n = full_adder();
    n.cells.push_back(lut({in(0), in(1)}, 0x8, part::argmax));
    n.outputs[0].bits.push_back(signal::node(2));
    const resource_report before = make_report(n, {});
    CHECK(before.total.lut6_sites == 3);
    CHECK(before.total.lut6_2_sites == 0);
    CHECK_FALSE(contains(to_text(before), "LUT6_2"));
    CHECK(pack_lut6_2(n) == 1);  // the argmax cell is of another part
    const resource_report after = make_report(n, {});
    CHECK(after.total.lut6_sites == 2);
    CHECK(after.total.lut6_2_sites == 1);
    CHECK(after.per_part[static_cast<std::size_t>(part::popcount)].lut6_sites == 1);
    CHECK(after.per_part[static_cast<std::size_t>(part::popcount)].lut6_2_sites == 1);
    CHECK(after.per_part[static_cast<std::size_t>(part::argmax)].lut6_sites == 1);
    CHECK(after.total.luts_by_inputs[3] == 2);  // LUTs are still counted one by one
    CHECK(contains(to_text(after), "LUT6_2 (2 LUTs)"));
    CHECK(contains(to_key_values(after), "popcount.lut6_2_sites=1\n"));
    CHECK(contains(to_key_values(after), "total.lut6_sites=2\n"));
    // A pair that breaks a rule is refused, not counted.
    n.lut6_2_pairs = {{0, 2}};
    CHECK_THROWS_AS((void)make_report(n, {}), error);
}

TEST_CASE("write_xilinx: a pair is one LUT6_2, I0..I4 the union, I5 = 1, O6 and O5 the two cells' wires") {
    cell_netlist n = full_adder();
    REQUIRE(pack_lut6_2(n) == 1);
    n.input_ports.push_back({"x", 0, 3});
    std::ostringstream text;
    (void)write_xilinx(n, {}, text);
    const std::string v = text.str();
    CAPTURE(v);
    CHECK(contains(v, "LUT6_2 #(.INIT(64'h96969696e8e8e8e8)) u0 (.I0(x[0]), .I1(x[1]), .I2(x[2]), .I3(1'b0), "
                      ".I4(1'b0), .I5(1'b1), .O6(cell0), .O5(cell1));"));
    CHECK_FALSE(contains(v, "LUT3"));
    CHECK_FALSE(contains(v, " u1 "));
}
