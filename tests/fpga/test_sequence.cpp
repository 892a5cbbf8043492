// The sequence classifier as a sequential design (classifier.hpp's
// sequence_classifier_design), its tick-by-tick vectors, and the cells run
// tick by tick (evaluate_ticks).

#include <doctest/doctest.h>

#include <bit>
#include <sstream>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/sequence.hpp"
#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/classifier.hpp"
#include "lutra/fpga/passes.hpp"
#include "lutra/fpga/report.hpp"
#include "lutra/fpga/verilog.hpp"
#include "support/recurrent_classifier.hpp"

using namespace lutra;
using namespace lutra::fpga;

namespace {

std::uint64_t read_number(const core::bit_matrix& rows, std::size_t first, std::size_t width, std::size_t column) {
    std::uint64_t v = 0;
    for (std::size_t b = 0; b < width; ++b) v |= static_cast<std::uint64_t>(rows.get(first + b, column)) << b;
    return v;
}

// The design simplified and mapped, its Verilog interface and its vectors.
struct mapped_case {
    logic_design design;
    cell_netlist netlist;
    module_interface dut;
    test_vectors vectors;
};

mapped_case map_case(const core::network& net, const core::encoder& enc, const core::sequence_spec& spec,
                     const std::vector<std::uint8_t>& pixels, bool simplified = true) {
    mapped_case m;
    m.design = sequence_classifier_design(net, enc, spec);
    if (simplified) (void)simplify(m.design);
    m.netlist = map_cells(m.design);
    std::ostringstream verilog;
    m.dut = write_xilinx(m.netlist, {.design = &m.design}, verilog);
    m.vectors = sequence_classifier_vectors(m.dut, net, enc, spec, pixels);
    return m;
}

}  // namespace

TEST_CASE("sequence classifier: the mapped cells equal the stepped engine at every tick, back to back") {
    const auto c = test::random_recurrent_classifier(4, 60, 6, 8, 3, 4, 11);
    const core::sequence_spec spec{.ticks = 12, .readout = {8, 9, 10, 11}};
    const auto pixels = test::random_sequence_pixels(20, spec.ticks, 4, 5);
    for (const bool simplified : {false, true}) {
        CAPTURE(simplified);
        const mapped_case m = map_case(c.net, c.enc, spec, pixels, simplified);
        CHECK(m.dut.clocked);
        CHECK(m.dut.latency == 0);
        CHECK(evaluate_ticks(m.netlist, m.vectors.inputs) == m.vectors.outputs);
    }
}

TEST_CASE("sequence classifier: the stepped engine's scores at the last readout tick equal core::unroll's") {
    const auto c = test::random_recurrent_classifier(3, 50, 6, 8, 4, 3, 21);
    const core::sequence_spec spec{.ticks = 12, .readout = {8, 9, 10, 11}};
    const std::size_t sequences = 30;
    const auto pixels = test::random_sequence_pixels(sequences, spec.ticks, 3, 6);
    const mapped_case m = map_case(c.net, c.enc, spec, pixels);

    // The unrolled network reads row t · I + i = input i at tick t.
    const std::uint32_t inputs = c.net.num_inputs();
    core::bit_matrix flat(std::size_t{spec.ticks} * inputs, sequences);
    for (std::uint32_t t = 0; t < spec.ticks; ++t) {
        core::data_split tick;
        tick.labels.assign(sequences, 0);
        for (std::size_t s = 0; s < sequences; ++s)
            for (std::uint32_t f = 0; f < 3; ++f) tick.features.push_back(pixels[(s * spec.ticks + t) * 3 + f]);
        const core::bit_matrix bits = c.enc.encode(tick);
        for (std::uint32_t i = 0; i < inputs; ++i)
            for (std::size_t s = 0; s < sequences; ++s) flat.set(t * inputs + i, s, bits.get(i, s));
    }
    const core::head_output unrolled = core::bitslice_engine(core::unroll(c.net, spec)).classify(flat);
    const std::size_t score_bits = std::bit_width(std::uint64_t{3} * 4);
    const std::size_t prediction_bits = 2;
    std::size_t nonzero = 0;
    for (std::size_t s = 0; s < sequences; ++s) {
        const std::size_t last = s * spec.ticks + 11;
        CHECK(m.vectors.outputs.get(prediction_bits + 4 * score_bits, last));  // valid
        CHECK(read_number(m.vectors.outputs, 0, prediction_bits, last) == unrolled.predictions[s]);
        for (std::uint32_t k = 0; k < 4; ++k) {
            const std::uint64_t score = read_number(m.vectors.outputs, prediction_bits + k * score_bits, score_bits, last);
            CHECK(score == unrolled.scores[s * 4 + k]);
            nonzero += score != 0;
        }
        for (std::uint32_t t = 0; t < 11; ++t)
            CHECK_FALSE(m.vectors.outputs.get(prediction_bits + 4 * score_bits, s * spec.ticks + t));
    }
    CHECK(nonzero > 0);  // a test of all-zero scores would prove little
}

TEST_CASE("sequence classifier: a head node with its table inverted makes the cells differ from the vectors") {
    const auto c = test::random_recurrent_classifier(4, 60, 6, 8, 3, 4, 11);
    const core::sequence_spec spec{.ticks = 12, .readout = {8, 9, 10, 11}};
    const auto pixels = test::random_sequence_pixels(20, spec.ticks, 4, 5);
    const mapped_case good = map_case(c.net, c.enc, spec, pixels);
    // Head nodes' tables: flipping every bit of one head node changes it
    // wherever it is read.
    core::network_arrays arrays = c.net.arrays();
    const std::uint32_t node = c.net.head().outputs[0];
    const unsigned k = c.net.k(node);
    arrays.tables[c.net.table_offset(node)] ^= k < 6 ? (std::uint64_t{1} << (1U << k)) - 1 : ~std::uint64_t{0};
    const core::network flipped(std::move(arrays));
    logic_design design = sequence_classifier_design(flipped, c.enc, spec);
    (void)simplify(design);
    CHECK_FALSE(evaluate_ticks(map_cells(design), good.vectors.inputs) == good.vectors.outputs);
}

TEST_CASE("sequence classifier: one readout tick has no accumulator and score ports of bit_width(g)") {
    const auto c = test::random_recurrent_classifier(2, 30, 4, 3, 2, 5, 3);
    const core::sequence_spec spec{.ticks = 6, .readout = {}};
    const auto pixels = test::random_sequence_pixels(10, spec.ticks, 2, 8);
    const mapped_case m = map_case(c.net, c.enc, spec, pixels);
    CHECK(m.dut.outputs[1].width == std::bit_width(5U));
    CHECK(evaluate_ticks(m.netlist, m.vectors.inputs) == m.vectors.outputs);
    const resource_report report = make_report(m.netlist, {});
    // With one readout tick the head has no accumulator; with three it has.
    const core::sequence_spec window{.ticks = 6, .readout = {3, 4, 5}};
    const mapped_case w = map_case(c.net, c.enc, window, pixels);
    CHECK(w.dut.outputs[1].width == std::bit_width(15U));
    CHECK(evaluate_ticks(w.netlist, w.vectors.inputs) == w.vectors.outputs);
    CHECK(make_report(w.netlist, {}).per_part[static_cast<std::size_t>(part::popcount)].delay_flip_flops >
          report.per_part[static_cast<std::size_t>(part::popcount)].delay_flip_flops);
    // One sample takes `ticks` cycles.
    const resource_report timed = make_report(w.netlist, {.clock_mhz = 120, .cycles_per_sample = 6});
    CHECK(timed.samples_per_second == doctest::Approx(2e7));
    CHECK(to_text(timed).find("one sample per 6 cycles") != std::string::npos);
    CHECK_THROWS_AS((void)make_report(w.netlist, {.cycles_per_sample = 0}), error);
}

TEST_CASE("sequence classifier: ports, and what it refuses") {
    const auto c = test::random_recurrent_classifier(2, 20, 3, 2, 2, 2, 4);
    const logic_design d = sequence_classifier_design(c.net, c.enc, {.ticks = 5, .readout = {2, 4}});
    REQUIRE(d.input_ports.size() == 2);
    CHECK(d.input_ports[0].name == "pixels");
    CHECK(d.input_ports[0].width == 16);
    CHECK(d.input_ports[1].name == "last");
    CHECK(d.input_ports[1].first == 16);
    REQUIRE(d.outputs.size() == 4);
    CHECK(d.outputs[0].name == "prediction");
    CHECK(d.outputs[1].name == "score0");
    CHECK(d.outputs[1].bits.size() == 3);  // bit_width(2 · 2)
    CHECK(d.outputs[3].name == "valid");
    CHECK_THROWS_AS((void)sequence_classifier_design(c.net, c.enc, {.ticks = 5, .readout = {5}}), error);
    CHECK_THROWS_AS((void)sequence_classifier_design(c.net, c.enc, {.ticks = 0}), error);
    // Vectors refuse pixels that are not whole sequences.
    std::ostringstream verilog;
    logic_design copy = d;
    const module_interface dut = write_xilinx(map_cells(copy), {}, verilog);
    const std::vector<std::uint8_t> ragged(2 * 5 * 2 + 1, 0);
    CHECK_THROWS_AS((void)sequence_classifier_vectors(dut, c.net, c.enc, {.ticks = 5, .readout = {2, 4}}, ragged), error);
}
