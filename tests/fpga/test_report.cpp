#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include "lutra/core/error.hpp"
#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/report.hpp"

using namespace lutra;
using namespace lutra::fpga;

namespace {

cell lut(std::vector<signal> inputs, part role, std::vector<std::uint32_t> delays = {}) {
    return {
        .type = cell::kind::lut, .inputs = std::move(inputs), .delays = std::move(delays), .init = 0x6, .role = role};
}

std::map<std::string, std::string> parse(const std::string& key_values) {
    std::map<std::string, std::string> values;
    std::istringstream lines(key_values);
    for (std::string line; std::getline(lines, line);) {
        const std::size_t eq = line.find('=');
        REQUIRE(eq != std::string::npos);
        values[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return values;
}

// in0..in7. Encoder: a LUT2 and a LUT3 with one constant pin (2 used).
// Network: two LUT6 into a MUXF7 (a 7-input node), a LUT1 reading the mux.
// Head: a LUT4 on the LUT1, the encoder's two LUTs and in7.
cell_netlist mixed() {
    cell_netlist n{.name = "mixed", .num_inputs = 8};
    const auto in = [](std::uint32_t i) { return signal::input(i); };
    n.cells.push_back(lut({in(0), in(1)}, part::encoder));                              // 0: level 1
    n.cells.push_back(lut({in(2), signal::constant(true), in(3)}, part::encoder));      // 1: level 1
    n.cells.push_back(lut({in(0), in(1), in(2), in(3), in(4), in(5)}, part::network));  // 2: level 1
    n.cells.push_back(lut({in(0), in(1), in(2), in(3), in(4), in(5)}, part::network));  // 3: level 1
    n.cells.push_back({.type = cell::kind::muxf7,                                       // 4: level 1
                       .inputs = {signal::node(2), signal::node(3), in(6)},
                       .role = part::network});
    n.cells.push_back(lut({signal::node(4)}, part::network));                                        // 5: level 2
    n.cells.push_back(lut({signal::node(5), signal::node(0), signal::node(1), in(7)}, part::popcount));  // 6: level 3
    n.outputs.push_back({"y", {signal::node(6), signal::node(0)}});
    return n;
}

}  // namespace

TEST_CASE("report: LUTs by inputs, LUT6 sites, MUXF7/F8 and depth, per part and in total") {
    const resource_report r = make_report(mixed(), {});
    CHECK(r.part.name == "xc7k480t");
    CHECK(r.per_part[0].luts_by_inputs[2] == 2);  // the constant pin is not used
    CHECK(r.per_part[0].lut6_sites == 2);
    CHECK(r.per_part[0].depth == 1);
    CHECK(r.per_part[1].luts_by_inputs[6] == 2);
    CHECK(r.per_part[1].luts_by_inputs[1] == 1);
    CHECK(r.per_part[1].lut6_sites == 3);
    CHECK(r.per_part[1].muxf7 == 1);
    CHECK(r.per_part[1].depth == 2);
    CHECK(r.per_part[2].luts_by_inputs[4] == 1);
    CHECK(r.per_part[2].depth == 3);
    CHECK(r.total.lut6_sites == 6);
    CHECK(r.total.muxf7 == 1);
    CHECK(r.total.muxf8 == 0);
    CHECK(r.total.depth == 3);
    CHECK(r.total.flip_flops() == 0);
    CHECK(r.latency_cycles == 0);
    CHECK(r.lut_utilisation_percent == doctest::Approx(100.0 * 6 / 298'636));
}

TEST_CASE("report: an 8-input node decomposed is 4 LUT6 sites, 2 MUXF7, 1 MUXF8, one LUT level") {
    logic_design d;
    d.name = "eight";
    d.num_inputs = 8;
    logic_node node;
    for (std::uint32_t i = 0; i < 8; ++i) node.inputs.push_back(signal::input(i));
    node.table = {1, 2, 3, 4};
    d.nodes.push_back(std::move(node));
    d.outputs.push_back({"y", {signal::node(0)}});
    const resource_report r = make_report(map_cells(d), {});
    CHECK(r.total.lut6_sites == 4);
    CHECK(r.total.luts_by_inputs[6] == 4);
    CHECK(r.total.muxf7 == 2);
    CHECK(r.total.muxf8 == 1);
    CHECK(r.total.depth == 1);
    CHECK(r.per_part[1].lut6_sites == 4);
}

TEST_CASE("report: delay registers are one shift chain per signal, as long as its longest delay") {
    cell_netlist n{.name = "delays", .num_inputs = 2};
    n.cells.push_back(lut({signal::input(0), signal::input(1)}, part::encoder));
    // Cell 0 read with delays 1 and 3 (3 flip-flops, encoder), input 1 with
    // delay 2 twice (2, inputs), cell 1 with delay 4 (4, network).
    n.cells.push_back(lut({signal::node(0), signal::input(1)}, part::network, {1, 2}));
    n.cells.push_back(lut({signal::node(0), signal::input(1), signal::node(1)}, part::popcount, {3, 2, 4}));
    n.outputs.push_back({"y", {signal::node(2)}});
    const resource_report r = make_report(n, {});
    CHECK(r.per_part[0].delay_flip_flops == 3);
    CHECK(r.per_part[1].delay_flip_flops == 4);
    CHECK(r.per_part[2].delay_flip_flops == 0);
    CHECK(r.inputs.delay_flip_flops == 2);
    CHECK(r.total.delay_flip_flops == 9);
    CHECK(r.flip_flop_utilisation_percent == doctest::Approx(100.0 * 9 / 597'272));
    // Delayed inputs start new paths: every cell is on LUT level 1.
    CHECK(r.total.depth == 1);
}

TEST_CASE("report: pipeline flip-flops, stages and latency of a 4-LUT chain, counted by hand") {
    // L0 = f(in0, in1) encoder, L1..L3 = f(previous, in0) network; outputs {L3, L0}.
    cell_netlist n{.name = "chain", .num_inputs = 2};
    n.cells.push_back(lut({signal::input(0), signal::input(1)}, part::encoder));
    for (std::uint32_t c = 0; c < 3; ++c) n.cells.push_back(lut({signal::node(c), signal::input(0)}, part::network));
    n.outputs.push_back({"y", {signal::node(3), signal::node(0)}});

    // Every 2 levels: in0 needs 1 register (read in stage 1), L0 1 (the
    // output reads it in stage 1), L1 1 (read by L2 in stage 1).
    const resource_report two = make_report(n, {.part = "xc7k480t", .clock_mhz = 250, .pipeline_every = 2});
    CHECK(two.inputs.pipeline_flip_flops == 1);
    CHECK(two.per_part[0].pipeline_flip_flops == 1);
    CHECK(two.per_part[1].pipeline_flip_flops == 1);
    CHECK(two.total.pipeline_flip_flops == 3);
    CHECK(two.stages == 2);
    CHECK(two.latency_cycles == 1);
    CHECK(two.latency_ns == doctest::Approx(4.0));
    CHECK(two.samples_per_second == doctest::Approx(2.5e8));

    // Every level: in0 3, L0 3, L1 1, L2 1; latency 3 cycles = 12 ns at 250 MHz.
    const resource_report one = make_report(n, {.part = "xc7k480t", .clock_mhz = 250, .pipeline_every = 1});
    CHECK(one.inputs.pipeline_flip_flops == 3);
    CHECK(one.per_part[0].pipeline_flip_flops == 3);
    CHECK(one.per_part[1].pipeline_flip_flops == 2);
    CHECK(one.total.flip_flops() == 8);
    CHECK(one.latency_cycles == 3);
    CHECK(one.latency_ns == doctest::Approx(12.0));

    const std::map<std::string, std::string> kv = parse(to_key_values(one));
    CHECK(kv.at("total.pipeline_flip_flops") == "8");
    CHECK(kv.at("latency_cycles") == "3");
    CHECK(kv.at("encoder.lut6_sites") == "1");
    CHECK(kv.at("network.luts_2_inputs") == "3");
    CHECK(kv.at("part.lut6") == "298636");
    const std::string text = to_text(one);
    CHECK(text.find("latency 3 cycles = 12.0 ns") != std::string::npos);
    CHECK(text.find("not a measured Fmax") != std::string::npos);
    CHECK(text.find("298,636 LUT6") != std::string::npos);
}

TEST_CASE("report: parts by name, case ignored; an unknown part lists the known ones") {
    CHECK(find_part("xc7k480t").lut6 == 298'636);
    CHECK(find_part("XC7K480T").flip_flops == 597'272);
    CHECK(known_parts().front().name == "xc7k480t");
    CHECK_THROWS_WITH_AS(static_cast<void>(find_part("xc7k999t")),
                         doctest::Contains("unknown FPGA part 'xc7k999t'; known parts: xc7k480t"),
                         lutra::unknown_name_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(make_report(mixed(), {.part = "ice40", .clock_mhz = 100})),
                         doctest::Contains("known parts"), lutra::unknown_name_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(make_report(mixed(), {.part = "xc7k480t", .clock_mhz = 0})),
                         doctest::Contains("must be a positive number of MHz"), lutra::error);
}
