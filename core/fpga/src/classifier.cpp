#include "lutra/fpga/classifier.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <optional>

#include "head.hpp"
#include "lutra/core/error.hpp"

namespace lutra::fpga {

namespace {

std::string str(std::size_t v) { return std::to_string(v); }

// Network: node n keeps its tables, its slot order and its delays; network
// input i reads inputs[i]. Returns the design index of network node 0, which
// is the design's size at the call.
std::uint32_t add_network(logic_design& design, const core::network& net, std::span<const signal> inputs) {
    const auto first = static_cast<std::uint32_t>(design.nodes.size());
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        logic_node node;
        for (const std::uint32_t id : net.sources(n))
            node.inputs.push_back(id < net.num_inputs() ? inputs[id] : signal::node(first + (id - net.num_inputs())));
        const auto delays = net.delays(n);
        node.table.assign(net.table(n).begin(), net.table(n).end());
        if (std::any_of(delays.begin(), delays.end(), [](std::uint32_t d) { return d != 0; }))
            node.delays.assign(delays.begin(), delays.end());
        node.role = part::network;
        node.origin = n;
        design.nodes.push_back(std::move(node));
    }
    return first;
}

void check_classifier(const core::network& net, const core::encoder& enc) {
    const core::group_sum_head& head = net.head();
    if (head.num_classes == 0)
        throw error("FPGA export: the network has no head (num_classes = 0); the exported classifier needs a "
                    "group-sum head to turn its outputs into a class");
    if (net.num_inputs() != enc.num_bits())
        throw error("FPGA export: the network reads " + str(net.num_inputs()) + " input bits, but the encoder makes " +
                    str(enc.num_bits()) + "; they must be the same rows");
    if (enc.num_features() > (UINT32_MAX - 1) / 8)
        throw error("FPGA export: " + str(enc.num_features()) + " features are too many");
}

// Encoder: a comparator per encoder row some node reads, over the pixels on
// primary inputs 0 … 8F − 1. Returns the signal of every row (constant 0
// for rows nobody reads). A comparator reads only the pixel bits that can
// change it (all but the threshold's trailing ones). One table: those bits
// address it. Two tables, for comparators of 7 or 8 bits: the low nibbles
// decide only where the high nibbles are equal.
std::vector<signal> add_encoder(logic_design& design, const core::network& net, const core::encoder& enc,
                                const classifier_options& options) {
    std::vector<bool> read(net.num_inputs(), false);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        for (const std::uint32_t id : net.sources(n))
            if (id < net.num_inputs()) read[id] = true;
    if (options.comparators != comparator_form::one_table && options.comparators != comparator_form::two_tables)
        throw error("FPGA export: comparator form " + str(static_cast<std::size_t>(options.comparators)) +
                    " is neither one_table nor two_tables");
    std::vector<signal> row_signal(net.num_inputs(), signal::constant(false));
    for (std::uint32_t r = 0; r < net.num_inputs(); ++r) {
        if (!read[r]) continue;
        const std::uint32_t feature = enc.bits()[r].feature;
        const std::uint32_t threshold = enc.thresholds()[r];
        std::vector<signal> pixel;
        for (std::uint32_t b = 0; b < 8; ++b) pixel.push_back(signal::input(8 * feature + b));
        // θ = (μ+1)·2^k − 1 (k trailing ones, a threshold on a grid of 2^(8−k)
        // levels): value > θ ⟺ (value >> k) > μ, a function of the top 8 − k
        // bits only. Up to 6 of them fit one LUT6 in either form.
        const auto ignored = static_cast<std::uint32_t>(std::countr_one(threshold));
        const std::vector<signal> compared(pixel.begin() + ignored, pixel.end());
        const std::uint32_t level = threshold >> ignored;
        if (options.comparators == comparator_form::one_table || compared.size() <= 6) {
            row_signal[r] = add_table(design, compared, part::encoder, [level](std::uint32_t top) { return top > level; });
            continue;
        }
        // Two tables: the 3 or 4 low bits read, then the high nibble.
        const auto low_bits = static_cast<std::uint32_t>(compared.size() - 4);
        const std::uint32_t low_threshold = level & ((1U << low_bits) - 1);
        const std::uint32_t high_threshold = level >> low_bits;
        const signal low_greater = add_table(design, {compared.begin(), compared.begin() + low_bits}, part::encoder,
                                             [low_threshold](std::uint32_t low) { return low > low_threshold; });
        std::vector<signal> high(compared.begin() + low_bits, compared.end());
        high.push_back(low_greater);
        row_signal[r] = add_table(design, std::move(high), part::encoder, [high_threshold](std::uint32_t a) {
            const std::uint32_t high_value = a & 15U;
            return high_value > high_threshold || (high_value == high_threshold && address_bit(a, 4));
        });
    }
    return row_signal;
}

// Head output bits of class c, as design signals.
std::vector<signal> class_outputs(const core::network& net, std::uint32_t first_network_node, std::uint32_t c) {
    const core::group_sum_head& head = net.head();
    const std::size_t group = head.outputs.size() / head.num_classes;
    std::vector<signal> outputs;
    for (std::size_t j = 0; j < group; ++j) outputs.push_back(signal::node(first_network_node + head.outputs[c * group + j]));
    return outputs;
}

}  // namespace

std::string score_port_name(std::uint32_t class_index) { return "score" + std::to_string(class_index); }

logic_design classifier_design(const core::network& net, const core::encoder& enc, const classifier_options& options) {
    check_classifier(net, enc);
    logic_design design;
    design.name = "lutra_classifier";
    design.num_inputs = 8 * enc.num_features();
    design.input_ports.push_back({std::string(pixels_port_name), 0, design.num_inputs});
    const std::vector<signal> rows = add_encoder(design, net, enc, options);
    const std::uint32_t first_network_node = add_network(design, net, rows);

    // Head: a popcount per class, then the argmax over them.
    std::vector<std::vector<signal>> scores;
    for (std::uint32_t c = 0; c < net.head().num_classes; ++c)
        scores.push_back(add_popcount(design, class_outputs(net, first_network_node, c)));
    design.outputs.push_back({std::string(prediction_port_name), add_argmax(design, scores, options.argmax)});
    for (std::uint32_t c = 0; c < net.head().num_classes; ++c) design.outputs.push_back({score_port_name(c), scores[c]});
    return design;
}

logic_design sequence_classifier_design(const core::network& net, const core::encoder& enc,
                                        const core::sequence_spec& spec, const classifier_options& options) {
    check_classifier(net, enc);
    core::check_sequence(spec);
    const std::vector<std::uint32_t> readout = core::readout_ticks(spec);
    const std::uint32_t last = readout.back();
    // The tick counter counts 0 … ticks and stays at ticks (past the sequence).
    const auto counter_bits = static_cast<std::uint32_t>(std::bit_width(spec.ticks));
    if (counter_bits + 1 > core::max_k)
        throw error("FPGA export: a sequence of " + str(spec.ticks) + " ticks needs a " + str(counter_bits) +
                    "-bit tick counter; at most " + str(core::max_k - 1) + " bits (" +
                    str((std::size_t{1} << (core::max_k - 1)) - 1) + " ticks) are supported");

    logic_design design;
    design.name = std::string(sequence_design_name);
    const std::uint32_t pixel_bits = 8 * enc.num_features();
    design.num_inputs = pixel_bits + 1;
    design.input_ports.push_back({std::string(pixels_port_name), 0, pixel_bits});
    design.input_ports.push_back({std::string(last_port_name), pixel_bits, 1});
    // Every delay register clears at the edge ending a `last` tick.
    design.clear_input = pixel_bits;
    const std::vector<signal> rows = add_encoder(design, net, enc, options);

    // Tick counter: tick_i reads next_i through one register, next =
    // min(tick + 1, ticks); cleared or at power-up the tick is 0.
    const auto counter_first = static_cast<std::uint32_t>(design.nodes.size());
    std::vector<signal> tick;
    for (std::uint32_t i = 0; i < counter_bits; ++i) {
        tick.push_back(signal::node(counter_first + i));
        // Patched below to read next_i, made after the counter.
        (void)add_table(design, {signal::constant(false)}, part::popcount, [](std::uint32_t a) { return address_bit(a, 0); });
        design.nodes.back().delays = {1};
    }
    for (std::uint32_t i = 0; i < counter_bits; ++i) {
        const std::uint32_t ticks = spec.ticks;
        design.nodes[counter_first + i].inputs[0] =
            add_table(design, tick, part::popcount, [i, ticks](std::uint32_t a) { return address_bit(std::min(ticks, a + 1), i); });
    }
    // One table over the counter: is the tick in `set`?
    const auto tick_in = [&](part role, const std::function<bool(std::uint32_t)>& set) {
        return add_table(design, tick, role, set);
    };

    const std::uint32_t first_network_node = add_network(design, net, rows);

    // Head: score<c> = this tick's popcount + the popcounts of the readout
    // ticks before it other than the last, which an accumulator holds.
    const std::uint32_t classes = net.head().num_classes;
    const std::uint64_t group = net.head().outputs.size() / classes;
    const std::uint64_t bound = group * readout.size();
    const auto accumulator_bits = static_cast<std::uint32_t>(std::bit_width(group * (readout.size() - 1)));
    std::optional<signal> accumulate;
    if (accumulator_bits > 0)
        accumulate = tick_in(part::popcount, [&](std::uint32_t t) {
            return t != last && std::binary_search(readout.begin(), readout.end(), t);
        });
    std::vector<std::vector<signal>> scores;
    for (std::uint32_t c = 0; c < classes; ++c) {
        std::vector<std::vector<signal>> columns(1, class_outputs(net, first_network_node, c));
        // prev_i = bit i of the accumulator one cycle ago, cleared with the
        // sequence; it reads the accumulator node, made after the sum: patched below.
        std::vector<std::uint32_t> previous;
        for (std::uint32_t i = 0; i < accumulator_bits; ++i) {
            previous.push_back(static_cast<std::uint32_t>(design.nodes.size()));
            const signal bit = add_table(design, {signal::constant(false)}, part::popcount,
                                         [](std::uint32_t a) { return address_bit(a, 0); });
            design.nodes.back().delays = {1};
            if (columns.size() <= i) columns.resize(i + 1);
            columns[i].push_back(bit);
        }
        std::vector<signal> score = add_weighted_sum(design, std::move(columns), bound);
        for (std::uint32_t i = 0; i < accumulator_bits; ++i) {
            const signal held = signal::node(previous[i]);
            const signal next = add_table(design, {*accumulate, held, score[i]}, part::popcount, [](std::uint32_t a) {
                return address_bit(a, 0) ? address_bit(a, 2) : address_bit(a, 1);
            });
            design.nodes[previous[i]].inputs[0] = next;
        }
        scores.push_back(std::move(score));
    }
    design.outputs.push_back({std::string(prediction_port_name), add_argmax(design, scores, options.argmax)});
    for (std::uint32_t c = 0; c < classes; ++c) design.outputs.push_back({score_port_name(c), scores[c]});
    design.outputs.push_back({std::string(valid_port_name), {tick_in(part::popcount, [last](std::uint32_t t) { return t == last; })}});
    return design;
}

logic_design network_design(const core::network& net) {
    logic_design design;
    design.name = std::string(network_design_name);
    design.num_inputs = net.num_inputs();
    if (net.num_inputs() > 0) design.input_ports.push_back({std::string(network_inputs_port_name), 0, net.num_inputs()});
    std::vector<signal> inputs;
    for (std::uint32_t i = 0; i < net.num_inputs(); ++i) inputs.push_back(signal::input(i));
    const std::uint32_t first = add_network(design, net, inputs);
    output_port nodes{std::string(network_nodes_port_name), {}};
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) nodes.bits.push_back(signal::node(first + n));
    if (!nodes.bits.empty()) design.outputs.push_back(std::move(nodes));
    return design;
}

core::bit_matrix pixel_inputs(const core::data_split& split, std::uint32_t num_features) {
    const std::size_t samples = split.size();
    if (split.features.size() != samples * num_features)
        throw error("pixel inputs: the split has " + str(split.features.size()) + " feature bytes for " +
                    str(samples) + " samples; " + str(num_features) + " features per sample need " +
                    str(samples * num_features));
    core::bit_matrix bits(std::size_t{8} * num_features, samples);
    for (std::size_t s = 0; s < samples; ++s)
        for (std::size_t f = 0; f < num_features; ++f) {
            const std::uint8_t value = split.features[s * num_features + f];
            for (std::size_t b = 0; b < 8; ++b) bits.set(8 * f + b, s, ((value >> b) & 1U) != 0);
        }
    return bits;
}

}  // namespace lutra::fpga
