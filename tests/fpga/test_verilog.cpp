#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "lutra/core/encoder.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/random.hpp"
#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/classifier.hpp"
#include "lutra/fpga/design.hpp"
#include "lutra/fpga/verilog.hpp"
#include "support/all_patterns.hpp"
#include "support/temp_dir.hpp"
#include "support/run_command.hpp"

using namespace lutra;
using lutra::test::run_command;
using lutra::test::run_result;
using namespace lutra::fpga;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t occurrences(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

bool have(const std::string& tool) { return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0; }

// yosys's simulation models of the Xilinx primitives (in yosys's share
// directory, ../share/yosys beside the binary), or "" without yosys.
fs::path xilinx_models() {
    if (!have("yosys")) return {};
    std::string yosys = run_command("command -v yosys").output;
    while (!yosys.empty() && (yosys.back() == '\n' || yosys.back() == '\r')) yosys.pop_back();
    std::error_code ec;
    const fs::path binary = fs::canonical(yosys, ec);
    const fs::path models = binary.parent_path().parent_path() / "share" / "yosys" / "xilinx" / "cells_sim.v";
    return !ec && fs::exists(models) ? models : fs::path{};
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path);
    REQUIRE(out);
    out << text;
    REQUIRE(out.flush());
}

// Writes dut.v, tb.v and the vectors into dir and simulates them with Icarus
// Verilog; returns what the simulation printed.
std::string simulate(const fs::path& dir, const std::string& dut_verilog, const module_interface& dut,
                     const test_vectors& vectors) {
    write_file(dir / "dut.v", dut_verilog);
    std::ostringstream tb, in, expected;
    write_testbench(dut, vectors.inputs.samples(), {}, tb);
    write_file(dir / "tb.v", tb.str());
    write_vectors(dut, vectors, in, expected);
    write_file(dir / "vectors_in.hex", in.str());
    write_file(dir / "vectors_out.hex", expected.str());
    const run_result r = run_command("cd '" + dir.string() + "' && iverilog -g2012 -o sim -s " + dut.name +
                                 "_tb tb.v dut.v '" + xilinx_models().string() + "' && vvp -n sim");
    CAPTURE(r.output);
    REQUIRE(r.exit_code == 0);
    return r.output;
}

bool table_bit(const std::vector<std::uint64_t>& table, std::size_t address) {
    return ((table[address / 64] >> (address % 64)) & 1U) != 0;
}

// Eight primary inputs "x"; node k-1 (k = 1..8) reads inputs k-1, …, 0 in
// reverse (slot i = input k-1-i, so pin order matters) with a random table;
// node 8 reads nodes 1, 3, 5, 7 (a second level, so pipelining has work);
// output "y" bit j = node j.
logic_design tables_1_to_8(std::uint64_t seed) {
    const counter_rng rng(seed, "test.verilog.tables");
    logic_design d;
    d.name = "tables";
    d.num_inputs = 8;
    d.input_ports.push_back({"x", 0, 8});
    output_port y{"y", {}};
    for (unsigned k = 1; k <= 8; ++k) {
        logic_node node;
        for (unsigned i = 0; i < k; ++i) node.inputs.push_back(signal::input(k - 1 - i));
        node.table.resize(core::table_words(k));
        for (std::size_t w = 0; w < node.table.size(); ++w) node.table[w] = rng.fork(k).at(w);
        if (k < 6) node.table[0] &= (std::uint64_t{1} << (1U << k)) - 1;
        d.nodes.push_back(std::move(node));
        y.bits.push_back(signal::node(k - 1));
    }
    logic_node second;
    second.inputs = {signal::node(1), signal::node(3), signal::node(5), signal::node(7)};
    second.table = {0x6996};  // parity of the four
    d.nodes.push_back(std::move(second));
    y.bits.push_back(signal::node(8));
    d.outputs.push_back(std::move(y));
    validate(d);
    return d;
}

// The outputs of tables_1_to_8 for every input pattern, read from the tables
// themselves, not from an evaluator under test.
core::bit_matrix expected_tables_1_to_8(const logic_design& d) {
    const core::bit_matrix inputs = test::all_patterns(8);
    core::bit_matrix out(9, inputs.samples());
    for (std::size_t s = 0; s < inputs.samples(); ++s) {
        std::array<bool, 8> node{};
        for (unsigned k = 1; k <= 8; ++k) {
            std::size_t address = 0;
            for (unsigned i = 0; i < k; ++i) address |= std::size_t{((s >> (k - 1 - i)) & 1U)} << i;
            node[k - 1] = table_bit(d.nodes[k - 1].table, address);
            out.set(k - 1, s, node[k - 1]);
        }
        const std::size_t address = std::size_t{node[1]} | std::size_t{node[3]} << 1 | std::size_t{node[5]} << 2 |
                                    std::size_t{node[7]} << 3;
        out.set(8, s, table_bit(d.nodes[8].table, address));
    }
    return out;
}

// A small trained-looking classifier: 8 features of 3 thermometer bits, a
// random 2-layer network of `nodes` LUT6 with a 3-class head over the second
// layer.
struct small_classifier {
    core::network net;
    core::encoder enc;
    core::dataset data;
};

small_classifier make_classifier(std::uint64_t seed, std::uint32_t nodes = 30) {
    small_classifier c;
    c.data.name = "random";
    c.data.width = 4;
    c.data.height = 2;
    c.data.channels = 1;
    c.data.num_classes = 3;
    const counter_rng rng(seed, "test.verilog.data");
    for (core::data_split* split : {&c.data.train, &c.data.test}) {
        const std::size_t samples = split == &c.data.train ? 200 : 64;
        for (std::size_t s = 0; s < samples; ++s) {
            for (std::uint32_t f = 0; f < c.data.num_features(); ++f)
                split->features.push_back(static_cast<std::uint8_t>(rng.fork(split == &c.data.train).at(s * 8 + f)));
            split->labels.push_back(static_cast<std::uint16_t>(s % 3));
        }
    }
    c.enc = core::encoder::fit({.kind = "thermometer", .bits = 3, .thresholds = "quantile"}, c.data);
    c.net = core::random_network({.num_inputs = c.enc.num_bits(), .nodes = nodes, .layers = 2, .k = 6, .num_classes = 3},
                                 seed);
    return c;
}

}  // namespace

TEST_CASE("write_xilinx: one primitive per cell, INIT of the LUT's width, ports and no clock when combinational") {
    const logic_design d = tables_1_to_8(1);
    const cell_netlist netlist = map_cells(d);
    std::ostringstream text;
    const module_interface m = write_xilinx(netlist, {}, text);
    const std::string v = text.str();
    CHECK(m.name == "tables");
    CHECK_FALSE(m.clocked);
    CHECK(m.latency == 0);
    REQUIRE(m.inputs.size() == 1);
    CHECK(m.inputs[0].name == "x");
    CHECK(m.inputs[0].width == 8);
    REQUIRE(m.outputs.size() == 1);
    CHECK(m.outputs[0].width == 9);
    CHECK(contains(v, "module tables (\n    input [7:0] x,\n    output [8:0] y\n);"));
    CHECK_FALSE(contains(v, "clk"));
    std::size_t luts = 0, muxf7 = 0, muxf8 = 0;
    for (const cell& c : netlist.cells) {
        luts += c.type == cell::kind::lut;
        muxf7 += c.type == cell::kind::muxf7;
        muxf8 += c.type == cell::kind::muxf8;
    }
    std::size_t lut_instances = 0;
    for (unsigned k = 1; k <= 6; ++k) lut_instances += occurrences(v, "    LUT" + std::to_string(k) + " #(");
    CHECK(lut_instances == luts);
    CHECK(occurrences(v, "    MUXF7 u") == muxf7);
    CHECK(occurrences(v, "    MUXF8 u") == muxf8);
    // Node 0 is a LUT1 on x[0] (slot 0 = input 0); its INIT has 2 bits.
    const std::uint64_t init1 = d.nodes[0].table[0] & 3;
    CHECK(contains(v, "LUT1 #(.INIT(2'h" + std::to_string(init1) + ")) u0 (.I0(x[0]), .O(cell0));"));
    // Node 1 (k = 2) reads x[1] on I0 and x[0] on I1.
    CHECK(contains(v, ".I0(x[1]), .I1(x[0]), .O(cell1));"));
    CHECK(contains(v, "LUT6 #(.INIT(64'h"));
    CHECK(contains(v, "assign y[8] = cell"));
}

TEST_CASE("write_xilinx: pipelined, registers where pipeline_stages puts them and its latency") {
    const logic_design d = tables_1_to_8(2);
    const cell_netlist netlist = map_cells(d);
    const pipeline_plan plan = pipeline_stages(netlist, 1);
    REQUIRE(plan.latency() > 0);
    std::ostringstream text;
    const module_interface m = write_xilinx(netlist, {.pipeline_every = 1}, text);
    CHECK(m.clocked);
    CHECK(m.latency == plan.latency());
    CHECK(contains(text.str(), "    input clk,\n"));
    CHECK(occurrences(text.str(), "FDRE #(.INIT(1'b0))") == plan.flip_flops());
}

TEST_CASE("write_xilinx: delays become shared chains of FDRE") {
    logic_design d;
    d.name = "delays";
    d.num_inputs = 2;
    d.input_ports.push_back({"a", 0, 2});
    logic_node n0{.inputs = {signal::input(0), signal::input(1)}, .delays = {2, 0}, .table = {0x8}};
    logic_node n1{.inputs = {signal::input(0), signal::input(1)}, .delays = {3, 1}, .table = {0x6}};
    d.nodes = {n0, n1};
    d.outputs.push_back({"y", {signal::node(0), signal::node(1)}});
    std::ostringstream text;
    const module_interface m = write_xilinx(map_cells(d), {}, text);
    const std::string v = text.str();
    CHECK(m.clocked);
    CHECK(m.latency == 0);
    // Input 0 is read 2 and 3 cycles late: one chain of 3; input 1 one of 1.
    CHECK(occurrences(v, "FDRE #(.INIT(1'b0))") == 4);
    CHECK(contains(v, "in0_d1_ff (.C(clk), .CE(1'b1), .R(1'b0), .D(a[0]), .Q(in0_d1));"));
    CHECK(contains(v, "in0_d3_ff (.C(clk), .CE(1'b1), .R(1'b0), .D(in0_d2), .Q(in0_d3));"));
    CHECK(contains(v, ".I0(in0_d2), .I1(a[1]), .O(cell0)"));
    CHECK(contains(v, ".I0(in0_d3), .I1(in1_d1), .O(cell1)"));
}

TEST_CASE("write_xilinx: names a port may not have and inputs on no port are errors") {
    logic_design d = tables_1_to_8(3);
    cell_netlist netlist = map_cells(d);
    std::ostringstream sink;
    netlist.outputs[0].name = "class";
    CHECK_THROWS_WITH_AS(write_xilinx(netlist, {}, sink),
                         "netlist 'tables': output port 'class' is a Verilog or SystemVerilog keyword; choose another "
                         "name",
                         lutra::error);
    netlist.outputs[0].name = "cell7";
    CHECK_THROWS_AS(write_xilinx(netlist, {}, sink), lutra::error);
    netlist.outputs[0].name = "y";
    netlist.input_ports[0].width = 7;
    CHECK_THROWS_WITH_AS(write_xilinx(netlist, {}, sink), "netlist 'tables': primary input 7 is on no input port",
                         lutra::error);
}

TEST_CASE("write_vectors: one hex line per vector, the first port in the low bits") {
    module_interface m{.name = "m", .inputs = {{"a", 5}}, .outputs = {{"p", 2}, {"q", 3}}};
    test_vectors v{core::bit_matrix(5, 2), core::bit_matrix(5, 2)};
    // Vector 0: a = 0b10011, p = 0b01, q = 0b110 → outputs {q, p} = 0b11001.
    for (unsigned b : {0U, 1U, 4U}) v.inputs.set(b, 0, true);
    for (unsigned b : {0U, 3U, 4U}) v.outputs.set(b, 0, true);
    // Vector 1: all ones.
    for (unsigned b = 0; b < 5; ++b) {
        v.inputs.set(b, 1, true);
        v.outputs.set(b, 1, true);
    }
    std::ostringstream in, out;
    write_vectors(m, v, in, out);
    CHECK(in.str() == "// m input vectors, one per line in hex: {a[4:0]}, 2 vectors\n13\n1f\n");
    CHECK(out.str() ==
          "// m expected outputs from the C++ model, one per line in hex: {q[2:0], p[1:0]}, 2 vectors\n19\n1f\n");
    const test_vectors wrong{core::bit_matrix(4, 2), core::bit_matrix(5, 2)};
    CHECK_THROWS_AS(write_vectors(m, wrong, in, out), lutra::error);
}

TEST_CASE("write_generic: comparators, tables indexed by their inputs, popcounts and argmax") {
    const small_classifier c = make_classifier(4);
    std::ostringstream text;
    const module_interface m = write_generic(c.net, c.enc, {}, text);
    const std::string v = text.str();
    CHECK(m.name == "lutra_classifier");
    CHECK_FALSE(m.clocked);
    REQUIRE(m.inputs.size() == 1);
    CHECK(m.inputs[0].width == 8 * 8);
    REQUIRE(m.outputs.size() == 4);
    CHECK(m.outputs[0].name == "prediction");
    CHECK(m.outputs[0].width == 2);
    CHECK(m.outputs[3].name == "score2");
    CHECK(m.outputs[1].width == 3);  // 5 outputs per class: 0..5
    // Node 0 in full: its table and its inputs, slot k-1 first.
    std::string node0 = "    assign node0 = T0[{";
    for (unsigned i = 6; i-- > 0;) node0 += "enc" + std::to_string(c.net.sources(0)[i]) + (i ? ", " : "}];");
    CHECK(contains(v, node0));
    char table0[40];
    std::snprintf(table0, sizeof table0, "T0 = 64'h%016llx;", static_cast<unsigned long long>(c.net.table(0)[0]));
    CHECK(contains(v, table0));
    const std::uint32_t row = c.net.sources(0)[0];
    const std::uint32_t f = c.enc.bits()[row].feature;
    CHECK(contains(v, "assign enc" + std::to_string(row) + " = pixels[" + std::to_string(8 * f + 7) + ":" +
                          std::to_string(8 * f) + "] > 8'd" + std::to_string(c.enc.thresholds()[row]) + ";"));
    CHECK(contains(v, "if (score2 > best_score) begin best_class = 2'd2;"));
    CHECK_THROWS_AS(write_generic(c.net, c.enc, {.pipeline_every = 2}, text), lutra::error);
}

TEST_CASE("simulation: LUT1 … LUT8 tables through map_cells and write_xilinx, every address, in Icarus Verilog") {
    if (!have("iverilog") || xilinx_models().empty()) {
        MESSAGE("iverilog or yosys's Xilinx models are missing (bash .ci/setup installs them): not simulated");
        return;
    }
    const logic_design d = tables_1_to_8(5);
    const test_vectors vectors{test::all_patterns(8), expected_tables_1_to_8(d)};
    for (std::uint32_t every : {0U, 1U})
    for (const bool packed : {false, true}) {
        CAPTURE(every);
        CAPTURE(packed);
        // Packed: LUT1 … LUT5 read inputs 0 … k-1, so they pair into LUT6_2 sites.
        cell_netlist netlist = map_cells(d);
        if (packed) REQUIRE(pack_lut6_2(netlist, every) == 2);
        const test::temp_dir dir("lutra-verilog");
        std::ostringstream text;
        const module_interface m = write_xilinx(netlist, {.pipeline_every = every}, text);
        CHECK(m.latency == pipeline_stages(netlist, every).latency());
        const std::string printed = simulate(dir.path, text.str(), m, vectors);
        CAPTURE(printed);
        CHECK(contains(printed, "PASS 256 vectors"));
        // The bench can fail: one wrong expected bit is found and named.
        test_vectors wrong = vectors;
        wrong.outputs.set(7, 200, !wrong.outputs.get(7, 200));
        const std::string failed = simulate(dir.path, text.str(), m, wrong);
        CAPTURE(failed);
        CHECK(contains(failed, "MISMATCH vector 200"));
        CHECK(contains(failed, "FAIL 1 of 256 vectors"));
    }
}

TEST_CASE("simulation: both styles of a classifier agree with the C++ model in Icarus Verilog") {
    if (!have("iverilog") || xilinx_models().empty()) {
        MESSAGE("iverilog or yosys's Xilinx models are missing (bash .ci/setup installs them): not simulated");
        return;
    }
    const small_classifier c = make_classifier(6);
    const logic_design design = classifier_design(c.net, c.enc);
    const test::temp_dir dir("lutra-verilog");
    for (std::uint32_t every : {0U, 2U})
    for (const bool packed : {false, true}) {
        CAPTURE(every);
        CAPTURE(packed);
        cell_netlist netlist = map_cells(design);
        if (packed) REQUIRE(pack_lut6_2(netlist, every) > 0);  // comparators and popcount pair
        std::ostringstream text;
        const module_interface m = write_xilinx(netlist, {.pipeline_every = every, .design = &design}, text);
        const std::string printed = simulate(dir.path, text.str(), m, classifier_vectors(m, c.net, c.enc, c.data.test));
        CAPTURE(printed);
        CHECK(contains(printed, "PASS 64 vectors"));
    }
    std::ostringstream text;
    const module_interface m = write_generic(c.net, c.enc, {}, text);
    const std::string printed = simulate(dir.path, text.str(), m, classifier_vectors(m, c.net, c.enc, c.data.test));
    CAPTURE(printed);
    CHECK(contains(printed, "PASS 64 vectors"));
}

TEST_CASE("equivalence: yosys proves the two styles equal, and fails when one INIT bit of one LUT is flipped") {
    if (!have("yosys")) {
        MESSAGE("yosys is missing (bash .ci/setup installs it): equivalence not checked");
        return;
    }
    const small_classifier c = make_classifier(7, 12);  // small: yosys proves it in about a second
    const logic_design design = classifier_design(c.net, c.enc);
    cell_netlist netlist = map_cells(design);
    const test::temp_dir dir("lutra-equiv");
    std::ostringstream generic, script;
    (void)write_generic(c.net, c.enc, {}, generic);
    write_file(dir.path / "generic.v", generic.str());
    write_equivalence_script("generic.v", "xilinx.v", "lutra_classifier", script);
    write_file(dir.path / "equiv.ys", script.str());
    const auto prove = [&](const cell_netlist& n) {
        std::ostringstream xilinx;
        (void)write_xilinx(n, {.design = &design}, xilinx);
        write_file(dir.path / "xilinx.v", xilinx.str());
        return run_command("cd '" + dir.path.string() + "' && yosys -q -s equiv.ys");
    };
    const run_result same = prove(netlist);
    CAPTURE(same.output);
    CHECK(same.exit_code == 0);
    // And with LUT6_2 sites, proven through yosys's own LUT6_2 model.
    cell_netlist packed = netlist;
    REQUIRE(pack_lut6_2(packed) > 0);
    const run_result same_packed = prove(packed);
    CAPTURE(same_packed.output);
    CHECK(same_packed.exit_code == 0);

    // Flip the INIT bit of a last-layer network LUT (read by the head's
    // popcount) at the address test sample 0 gives it, so the flip changes a
    // score for that sample: the proof must fail.
    const auto victim = std::find_if(netlist.cells.rbegin(), netlist.cells.rend(), [](const cell& x) {
        return x.type == cell::kind::lut && x.role == part::network && x.inputs.size() == 6;
    });
    REQUIRE(victim != netlist.cells.rend());
    cell_netlist probe = netlist;
    probe.outputs = {{"probe", victim->inputs}};
    const core::bit_matrix pins = evaluate(probe, pixel_inputs(c.data.test, c.enc.num_features()));
    unsigned address = 0;
    for (unsigned i = 0; i < 6; ++i) address |= unsigned{pins.get(i, 0)} << i;
    victim->init ^= std::uint64_t{1} << address;
    const run_result flipped = prove(netlist);
    CAPTURE(flipped.output);
    CHECK(flipped.exit_code != 0);
    CHECK(contains(flipped.output, "unproven $equiv cells"));
}

namespace {

// Input x; node0 = x; node1 = node0 two ticks earlier; node2 = node2 one tick
// earlier XOR x (a running parity): a recurrent network small enough to
// trace by hand.
core::network delayed_parity() {
    core::network_arrays a;
    a.num_inputs = 1;
    a.k = {1, 1, 2};
    a.sources = {0, 1, 3, 0};
    a.delays = {0, 2, 1, 0};
    a.tables = {0b10, 0b10, 0b0110};
    return core::network(std::move(a));
}

}  // namespace

TEST_CASE("network_vectors: every node at every tick from the stepped engine, registers starting at 0") {
    const core::network net = delayed_parity();
    std::ostringstream text;
    const module_interface dut = write_network_generic(net, {}, text);
    CHECK(dut.name == "lutra_network");
    CHECK(dut.clocked);
    CHECK(dut.latency == 0);
    REQUIRE(dut.inputs.size() == 1);
    CHECK(dut.inputs[0].name == "inputs");
    REQUIRE(dut.outputs.size() == 1);
    CHECK(dut.outputs[0].name == "nodes");
    CHECK(dut.outputs[0].width == 3);
    CHECK(contains(text.str(), "assign nodes[2] = node2;"));
    CHECK(contains(text.str(), "reg node0_d2 = 1'b0;"));
    CHECK(contains(text.str(), "assign node2 = T2[{in0, node2_d1}];"));

    const bool x[] = {1, 0, 1, 1, 0};
    core::bit_matrix inputs(1, 5);
    for (std::size_t t = 0; t < 5; ++t) inputs.set(0, t, x[t]);
    const test_vectors v = network_vectors(dut, net, inputs);
    const bool expected[3][5] = {{1, 0, 1, 1, 0}, {0, 0, 1, 0, 1}, {1, 1, 0, 1, 1}};
    for (std::size_t n = 0; n < 3; ++n)
        for (std::size_t t = 0; t < 5; ++t) {
            CAPTURE(n);
            CAPTURE(t);
            CHECK(v.outputs.get(n, t) == expected[n][t]);
        }

    // The Xilinx style through the passes has the same interface.
    std::ostringstream xilinx;
    const module_interface x_dut = write_network_xilinx(net, {}, xilinx);
    CHECK(x_dut.clocked);
    CHECK(x_dut.outputs[0].width == 3);
    CHECK(contains(xilinx.str(), "FDRE"));
    CHECK_THROWS_WITH_AS((void)write_network_xilinx(net, {.pipeline_every = 1}, xilinx),
                         doctest::Contains("written unpipelined"), error);

    // Vectors for a module of other ports, or inputs of another shape, are refused.
    module_interface other = dut;
    other.outputs[0].width = 2;
    CHECK_THROWS_WITH_AS((void)network_vectors(other, net, inputs), doctest::Contains("'nodes' of 3 bits"), error);
    CHECK_THROWS_WITH_AS((void)network_vectors(dut, net, core::bit_matrix(2, 5)), doctest::Contains("2 rows"), error);
}

TEST_CASE("write_testbench: a port wider than 64 bits reports its first differing bits") {
    module_interface wide;
    wide.name = "wide";
    wide.clocked = true;
    wide.inputs = {{"inputs", 3}};
    wide.outputs = {{"nodes", 100}};
    std::ostringstream tb;
    write_testbench(wide, 4, {}, tb);
    CHECK(contains(tb.str(), "for (b = 0; b < 100; b = b + 1)"));
    CHECK(contains(tb.str(), "$display(\"  nodes[%0d]: expected %0d, got %0d\", b, want[0 + b], out_nodes[b]);"));
    CHECK(!contains(tb.str(), "nodes: expected %0d"));
}
