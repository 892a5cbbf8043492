#pragma once
// lutra::fpga — a trained classifier as logic for an FPGA (DESIGN §8).
//
// The whole classifier — the input encoder's comparators, the network's
// tables and the head's popcounts and argmax — is one logic_design: a list of
// table nodes over primary input bits. One representation means one set of
// passes, one decomposition into LUT6/MUXF7/MUXF8 cells, one resource count
// and one Verilog writer serve every part, and the count in the report is
// the count of what is emitted.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lutra/core/bit_matrix.hpp"

namespace lutra::fpga {

// Where a node input or an output bit comes from.
struct signal {
    enum class kind : std::uint8_t { zero, one, input, node };
    kind from = kind::zero;
    std::uint32_t index = 0;  // input: primary input bit; node: logic node index; else 0

    static constexpr signal constant(bool value) noexcept { return {value ? kind::one : kind::zero, 0}; }
    static constexpr signal input(std::uint32_t bit) noexcept { return {kind::input, bit}; }
    static constexpr signal node(std::uint32_t index) noexcept { return {kind::node, index}; }
    [[nodiscard]] constexpr bool is_constant() const noexcept { return from == kind::zero || from == kind::one; }
    friend constexpr auto operator<=>(const signal&, const signal&) = default;
};

// Which part of the classifier a node belongs to, for the report's
// breakdown: the head is its popcounts (with a sequence classifier's tick
// counter and accumulators: what makes the scores) and its argmax.
enum class part : std::uint8_t { encoder, network, popcount, argmax };

// A table node: output = table bit at address Σ value(inputs[i]) · 2^i, the
// layout of core::network (k ≤ 6: one word = LUT6 INIT; k > 6: 2^(k-6) words).
// k = inputs.size() may be 0 (a constant: table bit 0) up to core::max_k.
struct logic_node {
    std::vector<signal> inputs;
    std::vector<std::uint32_t> delays;  // per input in ticks (registers on the connection); empty = all 0
    std::vector<std::uint64_t> table;
    part role = part::network;
    std::uint32_t origin = no_origin;  // the core::network node it came from, if any
    static constexpr std::uint32_t no_origin = 0xffffffffU;
};

// A named output bus, least significant bit first.
struct output_port {
    std::string name;
    std::vector<signal> bits;
};

// A named input bus over consecutive primary input bits [first, first+width).
struct input_port {
    std::string name;
    std::uint32_t first = 0;
    std::uint32_t width = 0;
};

struct logic_design {
    std::string name = "lutra_classifier";
    std::uint32_t num_inputs = 0;  // primary input bits
    std::vector<input_port> input_ports;
    std::vector<logic_node> nodes;  // topological order: a zero-delay node input names an earlier node
    std::vector<output_port> outputs;
    // A sequential design that restarts (sequence_classifier_design): the
    // primary input whose 1 at a clock edge clears every delay register
    // (FDRE R pin). So a read with delay d at tick t is the source at t − d,
    // or 0 when the clear input was 1 at a tick in [t − d, t − 1] (or
    // t < d). No clear when absent.
    std::optional<std::uint32_t> clear_input;
};

// Checks indices, k ≤ core::max_k, table sizes and padding, topological order
// and the ports; throws lutra::error naming the first offending node or port.
void validate(const logic_design& design);

// Every output bit for every sample: inputs has num_inputs rows, one column
// per sample; the result has one row per output bit (ports in order, LSB
// first) and the same columns. Combinational designs only (no delays);
// throws lutra::error otherwise. Slow and obviously right: the reference the
// passes, the decomposition and the Verilog are tested against.
[[nodiscard]] core::bit_matrix evaluate(const logic_design& design, const core::bit_matrix& inputs);

}  // namespace lutra::fpga
