// network_vectors and sequence_classifier_vectors (verilog.hpp): the C++
// model's trace of a timed network, one vector per tick. Their own file: it
// is the fpga library's one user of the timed engines.

#include <algorithm>
#include <bit>
#include <span>
#include <string>
#include <string_view>

#include "lutra/core/error.hpp"
#include "lutra/core/time.hpp"
#include "lutra/fpga/classifier.hpp"
#include "lutra/fpga/verilog.hpp"

namespace lutra::fpga {

namespace {
std::string str(std::uint64_t v) { return std::to_string(v); }

// Writes `value` into rows first … first + width − 1 of column `column`.
void set_number(core::bit_matrix& m, std::size_t first, std::uint32_t width, std::size_t column, std::uint64_t value) {
    for (std::uint32_t b = 0; b < width; ++b) m.set(first + b, column, ((value >> b) & 1U) != 0);
}
}  // namespace

test_vectors network_vectors(const module_interface& dut, const core::network& net, const core::bit_matrix& inputs) {
    const std::string what = "test vectors for module '" + dut.name + "'";
    const auto port_is = [](const std::vector<verilog_port>& ports, std::string_view name, std::uint32_t width) {
        return width == 0 ? ports.empty() : ports.size() == 1 && ports[0].name == name && ports[0].width == width;
    };
    if (!port_is(dut.inputs, network_inputs_port_name, net.num_inputs()) ||
        !port_is(dut.outputs, network_nodes_port_name, net.num_nodes()))
        throw error(what + ": the module's ports must be '" + std::string(network_inputs_port_name) + "' of " +
                    str(net.num_inputs()) + " bits and '" + std::string(network_nodes_port_name) + "' of " +
                    str(net.num_nodes()) + " bits (write_network_xilinx, write_network_generic)");
    if (dut.latency != 0)
        throw error(what + ": the module has a latency of " + str(dut.latency) +
                    " cycles; tick-by-tick vectors need an unpipelined module");
    if (inputs.rows() != net.num_inputs())
        throw error(what + ": the inputs have " + str(inputs.rows()) + " rows; the network has " +
                    str(net.num_inputs()) + " inputs");

    test_vectors v;
    v.inputs = inputs;
    v.outputs = core::bit_matrix(net.num_nodes(), inputs.samples());
    const auto engine = core::make_stepped_engine(net, {.streams = 1});
    for (std::size_t t = 0; t < inputs.samples(); ++t) {
        engine->step(core::sample_range(inputs, t, 1));
        const core::bit_matrix& nodes = engine->outputs();
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) v.outputs.set(n, t, nodes.get(n, 0));
    }
    return v;
}

}  // namespace lutra::fpga

namespace lutra::fpga {

test_vectors sequence_classifier_vectors(const module_interface& dut, const core::network& net,
                                         const core::encoder& enc, const core::sequence_spec& spec,
                                         std::span<const std::uint8_t> pixels) {
    const std::string what = "sequence test vectors for module '" + dut.name + "'";
    core::check_sequence(spec);
    const std::vector<std::uint32_t> readout = core::readout_ticks(spec);
    const std::uint32_t classes = net.head().num_classes;
    if (classes == 0) throw error(what + ": the network has no group-sum head");
    const std::size_t features = enc.num_features();
    const std::size_t per_sequence = std::size_t{spec.ticks} * features;
    if (per_sequence == 0 || pixels.size() % per_sequence != 0)
        throw error(what + ": " + str(pixels.size()) + " pixel bytes are not whole sequences of " + str(spec.ticks) +
                    " ticks × " + str(features) + " features");
    const std::size_t sequences = pixels.size() / per_sequence;
    const std::uint64_t group = net.head().outputs.size() / classes;
    const auto score_bits = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::bit_width(group * readout.size())));
    const auto prediction_bits = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::bit_width(classes - 1U)));

    std::vector<verilog_port> inputs{{std::string(pixels_port_name), static_cast<std::uint32_t>(8 * features)},
                                     {std::string(last_port_name), 1}};
    std::vector<verilog_port> outputs{{std::string(prediction_port_name), prediction_bits}};
    for (std::uint32_t c = 0; c < classes; ++c) outputs.push_back({score_port_name(c), score_bits});
    outputs.push_back({std::string(valid_port_name), 1});
    const auto same = [](const std::vector<verilog_port>& a, const std::vector<verilog_port>& b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                          [](const verilog_port& x, const verilog_port& y) { return x.name == y.name && x.width == y.width; });
    };
    if (!same(dut.inputs, inputs) || !same(dut.outputs, outputs))
        throw error(what + ": the module's ports must be pixels[" + str(8 * features) + "], last, prediction[" +
                    str(prediction_bits) + "], score0.." + str(classes - 1) + "[" + str(score_bits) +
                    "] and valid (sequence_classifier_design)");
    if (dut.latency != 0)
        throw error(what + ": the module has a latency of " + str(dut.latency) +
                    " cycles; tick-by-tick vectors need an unpipelined module");

    // One stream per sequence, all run at once from rest; column s · ticks + t
    // of the vectors is tick t of sequence s, so the module sees them back to
    // back, each closed by last.
    test_vectors v;
    v.inputs = core::bit_matrix(8 * features + 1, sequences * spec.ticks);
    std::size_t output_bits = 0;
    for (const verilog_port& p : outputs) output_bits += p.width;
    v.outputs = core::bit_matrix(output_bits, sequences * spec.ticks);
    if (sequences == 0) return v;
    const auto engine = core::make_stepped_engine(net, {.streams = sequences});
    std::vector<std::uint64_t> held(sequences * classes, 0);  // readout popcounts before this tick, but the last's
    core::data_split tick_split;
    tick_split.labels.assign(sequences, 0);
    tick_split.features.resize(sequences * features);
    for (std::uint32_t t = 0; t < spec.ticks; ++t) {
        for (std::size_t s = 0; s < sequences; ++s)
            std::copy_n(pixels.begin() + static_cast<std::ptrdiff_t>((s * spec.ticks + t) * features), features,
                        tick_split.features.begin() + static_cast<std::ptrdiff_t>(s * features));
        engine->step(enc.encode(tick_split));
        const core::bit_matrix& nodes = engine->outputs();
        const bool is_readout = std::binary_search(readout.begin(), readout.end(), t);
        const bool accumulates = is_readout && t != readout.back();
        for (std::size_t s = 0; s < sequences; ++s) {
            const std::size_t column = s * spec.ticks + t;
            for (std::size_t b = 0; b < features; ++b)
                set_number(v.inputs, 8 * b, 8, column, pixels[(s * spec.ticks + t) * features + b]);
            v.inputs.set(8 * features, column, t + 1 == spec.ticks);
            std::size_t row = prediction_bits;
            std::uint64_t best = 0;
            std::uint32_t winner = 0;
            for (std::uint32_t c = 0; c < classes; ++c) {
                std::uint64_t popcount = 0;
                for (std::uint64_t j = 0; j < group; ++j) popcount += nodes.get(net.head().outputs[c * group + j], s);
                const std::uint64_t score = held[s * classes + c] + popcount;
                if (accumulates) held[s * classes + c] = score;
                if (c == 0 || score > best) {
                    best = score;
                    winner = c;
                }
                set_number(v.outputs, row, score_bits, column, score);
                row += score_bits;
            }
            set_number(v.outputs, 0, prediction_bits, column, winner);
            v.outputs.set(row, column, t == readout.back());
        }
    }
    return v;
}

}  // namespace lutra::fpga
