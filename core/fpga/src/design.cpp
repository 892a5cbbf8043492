#include "lutra/fpga/design.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"

namespace lutra::fpga {

namespace {

std::string str(std::size_t v) { return std::to_string(v); }

[[noreturn]] void fail(const logic_design& design, const std::string& where, const std::string& detail) {
    throw error("logic design '" + design.name + "': " + where + ": " + detail);
}

// The Verilog writer turns port names into module ports, so they must be
// plain identifiers; checking here keeps that writer free of escaping rules.
bool plain_identifier(const std::string& name) {
    if (name.empty()) return false;
    const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!letter(name[0])) return false;
    return std::all_of(name.begin(), name.end(), [&](char c) { return letter(c) || digit(c); });
}

// Checks a signal's index against the design. before_node: the node reading
// it with zero delay (only earlier nodes are allowed), or nodes.size() for
// port bits and delayed inputs (any node is allowed).
void check_signal(const logic_design& design, const std::string& where, const signal& s, std::size_t before_node,
                  bool delayed) {
    switch (s.from) {
        case signal::kind::zero:
        case signal::kind::one:
            if (s.index != 0)
                fail(design, where, "a constant signal has index " + str(s.index) + "; constants carry index 0");
            return;
        case signal::kind::input:
            if (s.index >= design.num_inputs)
                fail(design, where, "reads primary input " + str(s.index) + ", but the design has " +
                                        str(design.num_inputs) + " (0.." + str(design.num_inputs) + "-1)");
            return;
        case signal::kind::node:
            if (s.index >= design.nodes.size())
                fail(design, where, "reads node " + str(s.index) + ", but the design has " +
                                        str(design.nodes.size()) + " nodes");
            if (!delayed && s.index >= before_node)
                fail(design, where, "reads node " + str(s.index) +
                                        " with zero delay, but zero-delay node inputs must name an earlier node "
                                        "(nodes are in topological order; a cycle needs a delay ≥ 1)");
            return;
    }
    fail(design, where, "a signal of unknown kind " + str(static_cast<std::size_t>(s.from)));
}

void check_node(const logic_design& design, std::size_t n) {
    const logic_node& node = design.nodes[n];
    const std::string where = "node " + str(n);
    const std::size_t k = node.inputs.size();
    if (k > core::max_k)
        fail(design, where, "has " + str(k) + " inputs; a table node has 0.." + str(core::max_k));
    const std::size_t words = core::table_words(static_cast<unsigned>(k));
    if (node.table.size() != words)
        fail(design, where, "table has " + str(node.table.size()) + " words; k = " + str(k) + " needs " + str(words));
    if (k < 6 && (node.table[0] >> (1U << k)) != 0)
        fail(design, where, "table word has bits set at addresses ≥ 2^k = " + str(std::size_t{1} << k) +
                                " (they must be zero)");
    if (!node.delays.empty() && node.delays.size() != k)
        fail(design, where, "has " + str(node.delays.size()) + " delays for " + str(k) +
                                " inputs; expected none (all zero) or one per input");
    if (node.role != part::encoder && node.role != part::network && node.role != part::popcount &&
        node.role != part::argmax)
        fail(design, where, "role " + str(static_cast<std::size_t>(node.role)) + " is not encoder, network, popcount or argmax");
    for (std::size_t i = 0; i < k; ++i) {
        const bool delayed = !node.delays.empty() && node.delays[i] != 0;
        check_signal(design, where + ": input " + str(i), node.inputs[i], n, delayed);
    }
}

void check_ports(const logic_design& design) {
    std::set<std::string> names;
    const auto check_name = [&](const std::string& name, const std::string& where) {
        if (!plain_identifier(name))
            fail(design, where, "name '" + name + "' is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)");
        if (!names.insert(name).second) fail(design, where, "name '" + name + "' is used by an earlier port");
    };
    for (std::size_t p = 0; p < design.input_ports.size(); ++p) {
        const input_port& port = design.input_ports[p];
        const std::string where = "input port " + str(p) + " '" + port.name + "'";
        check_name(port.name, where);
        if (port.width == 0) fail(design, where, "has width 0; a port needs at least one bit");
        if (std::uint64_t{port.first} + port.width > design.num_inputs)
            fail(design, where, "covers primary inputs " + str(port.first) + ".." +
                                    str(std::uint64_t{port.first} + port.width - 1) + ", but the design has " +
                                    str(design.num_inputs));
    }
    for (std::size_t p = 0; p < design.outputs.size(); ++p) {
        const output_port& port = design.outputs[p];
        const std::string where = "output port " + str(p) + " '" + port.name + "'";
        check_name(port.name, where);
        if (port.bits.empty()) fail(design, where, "has no bits; a port needs at least one bit");
        for (std::size_t b = 0; b < port.bits.size(); ++b)
            check_signal(design, where + ": bit " + str(b), port.bits[b], design.nodes.size(), true);
    }
}

// Value of a signal over one word of 64 samples.
std::uint64_t signal_word(const signal& s, const std::uint64_t* input_words, const std::uint64_t* node_words) {
    switch (s.from) {
        case signal::kind::zero: return 0;
        case signal::kind::one: return ~std::uint64_t{0};
        case signal::kind::input: return input_words[s.index];
        case signal::kind::node: return node_words[s.index];
    }
    return 0;
}

bool table_bit(const logic_node& node, std::size_t address) {
    return (node.table[address / 64] >> (address % 64)) & 1U;
}

// One node over 64 samples given its input words. Up to six inputs: a mux
// tree whose leaves are the table bits, folded on input 0 first (2^k − 1
// word operations). More inputs: the mux tree grows as 2^k, so look up each
// sample's address instead (64 · k operations).
std::uint64_t node_word(const logic_node& node, const std::uint64_t* x) {
    const std::size_t k = node.inputs.size();
    if (k <= 6) {
        std::uint64_t level[64];
        const std::size_t leaves = std::size_t{1} << k;
        for (std::size_t a = 0; a < leaves; ++a) level[a] = table_bit(node, a) ? ~std::uint64_t{0} : 0;
        for (std::size_t i = 0, width = leaves; i < k; ++i, width /= 2)
            for (std::size_t j = 0; j < width / 2; ++j)
                level[j] = (level[2 * j] & ~x[i]) | (level[2 * j + 1] & x[i]);
        return level[0];
    }
    std::uint64_t out = 0;
    for (unsigned lane = 0; lane < 64; ++lane) {
        std::size_t address = 0;
        for (std::size_t i = 0; i < k; ++i) address |= static_cast<std::size_t>((x[i] >> lane) & 1U) << i;
        out |= static_cast<std::uint64_t>(table_bit(node, address)) << lane;
    }
    return out;
}

}  // namespace

void validate(const logic_design& design) {
    for (std::size_t n = 0; n < design.nodes.size(); ++n) check_node(design, n);
    if (design.clear_input && *design.clear_input >= design.num_inputs)
        fail(design, "clear input", "is primary input " + str(*design.clear_input) + ", but the design has " +
                                        str(design.num_inputs));
    check_ports(design);
}

core::bit_matrix evaluate(const logic_design& design, const core::bit_matrix& inputs) {
    validate(design);
    for (std::size_t n = 0; n < design.nodes.size(); ++n)
        for (const std::uint32_t d : design.nodes[n].delays)
            if (d != 0)
                fail(design, "node " + str(n),
                     "has a delayed input; evaluate() handles combinational designs only");
    if (inputs.rows() != design.num_inputs)
        fail(design, "inputs", "the input matrix has " + str(inputs.rows()) + " rows for " +
                                   str(design.num_inputs) + " primary inputs");

    std::size_t output_rows = 0;
    for (const output_port& port : design.outputs) output_rows += port.bits.size();
    core::bit_matrix out(output_rows, inputs.samples());

    // One 64-sample word at a time: every node's word for this column of
    // samples, in node order, so a node's inputs are ready when it is reached.
    const std::size_t words = (inputs.samples() + 63) / 64;
    std::vector<std::uint64_t> input_words(design.num_inputs);
    std::vector<std::uint64_t> node_words(design.nodes.size());
    std::vector<std::uint64_t> x(core::max_k);
    for (std::size_t w = 0; w < words; ++w) {
        for (std::size_t i = 0; i < design.num_inputs; ++i) input_words[i] = inputs.row(i)[w];
        for (std::size_t n = 0; n < design.nodes.size(); ++n) {
            const logic_node& node = design.nodes[n];
            for (std::size_t i = 0; i < node.inputs.size(); ++i)
                x[i] = signal_word(node.inputs[i], input_words.data(), node_words.data());
            node_words[n] = node_word(node, x.data());
        }
        // Padding samples stay zero, as bit_matrix promises for fresh rows.
        const std::size_t valid = std::min<std::size_t>(64, inputs.samples() - 64 * w);
        const std::uint64_t mask = valid == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << valid) - 1;
        std::size_t row = 0;
        for (const output_port& port : design.outputs)
            for (const signal& bit : port.bits)
                out.row(row++)[w] = signal_word(bit, input_words.data(), node_words.data()) & mask;
    }
    return out;
}

}  // namespace lutra::fpga
