#pragma once
// The whole classifier as one logic_design (DESIGN §8): the encoder's
// comparators, the network's tables and the group-sum head's popcounts and
// argmax, all table nodes of at most core::max_k inputs (encoder 8, head ≤ 6,
// network as trained).
//
// Ports of classifier_design(net, enc), C = net.head().num_classes,
// g = outputs per class, F = enc.num_features():
//
//   input  "pixels"      8·F bits: feature f's byte is primary inputs
//                        8f … 8f+7, bit 8f+b = bit b of the value (b = 0 LSB),
//                        so in Verilog pixels[8f +: 8] is feature f.
//   output "prediction"  bit_width(C − 1) bits (at least 1): the argmax of the
//                        scores, ties to the lowest class, exactly as
//                        core::head_output::predictions. (Not "class": that is
//                        a SystemVerilog keyword, which Verilator rejects.)
//   output "score0" … "score<C−1>"
//                        bit_width(g) bits each: class c's popcount, exactly as
//                        core::head_output::scores.
//
// Output ports appear in that order in design.outputs: prediction first, then
// the scores by class. Nodes are grouped by role in order: encoder, network,
// head. A network with delays keeps them on the network nodes' inputs; such a
// design is sequential and evaluate() refuses it.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/sequence.hpp"
#include "lutra/fpga/design.hpp"

namespace lutra::fpga {

inline constexpr std::string_view pixels_port_name = "pixels";
inline constexpr std::string_view prediction_port_name = "prediction";
// "score<c>", the name of class c's score port.
[[nodiscard]] std::string score_port_name(std::uint32_t class_index);

// How an encoder row's comparator `value > threshold` becomes tables. A
// threshold with k trailing one bits (θ = (μ+1)·2^k − 1, on the grid of
// data.encoder.resolution = 8 − k or coarser) is (value >> k) > μ: the
// comparator reads only the top 8 − k pixel bits, and with at most 6 of them
// (k ≥ 2) it is one table, one LUT6, in either form.
enum class comparator_form : std::uint8_t {
    // One table addressed by the bits read: with 8 of them, after
    // decomposition 4 LUT6 + 2 MUXF7 + 1 MUXF8, one LUT level (the passes
    // shrink special thresholds, e.g. value > 127 is bit 7).
    one_table,
    // For 7 or 8 bits read: the low nibbles compared by a 4-input table, then
    // a 5-input table over the high nibble and that: 2 LUT6, two LUT levels.
    two_tables,
};

// How the head's argmax over C scores of w bits becomes tables (docs/fpga.md,
// "The head"). Both give the lowest index among equal maxima.
enum class argmax_form : std::uint8_t {
    // Rounds of neighbour pairs: C − 1 greater-than comparators, each
    // followed by muxes of the winner's score and index bits. The fewest
    // tables; depth ⌈log2 C⌉ · (comparator + 1) levels (12 for 10 classes of
    // 4 to 9 bits).
    tournament,
    // Every pair compared at once (C(C − 1)/2 comparators), each class's
    // "beats all" an AND of C − 1 of them, the index bits ORs of those: depth
    // comparator + 3 levels for up to 13 classes, + 4 up to 37 (5 for 10
    // classes of 4 to 9 bits), about 2.3 times the tournament's LUT6 (MNIST heads: 292
    // instead of 125 for 8-bit scores, 202 instead of 91 for 6-bit ones).
    all_pairs,
};

struct classifier_options {
    // Two tables by default: 2 LUT6 a comparator instead of 4 LUT6 and 3 MUXF7/F8
    // (configs/mnist-fixed.yaml, 3 bits a pixel, measured before comparators dropped the bits
    // their threshold ignores: 4,626 LUT6 for the encoder instead of 7,659 + 5,307 muxes).
    comparator_form comparators = comparator_form::two_tables;
    argmax_form argmax = argmax_form::tournament;
};

// The classifier as table nodes, ports as above, name "lutra_classifier".
// Encoder nodes exist only for the encoder rows the network reads; network
// node n becomes a node with role part::network and origin n. Throws
// lutra::error if the network has no head (export needs one) or its inputs
// are not the encoder's bits.
[[nodiscard]] logic_design classifier_design(const core::network& net, const core::encoder& enc,
                                             const classifier_options& options = {});

// A recurrent classifier over sequences (core/sequence.hpp) as one
// sequential design, one tick per clock cycle (docs/fpga.md, "Sequence
// classifiers"). The encoder's comparators read that tick's pixels. Ports of
// sequence_classifier_design(net, enc, spec), R = the readout ticks, last =
// the last of them:
//
//   input  "pixels"      8·F bits, as classifier_design's, for this tick
//   input  "last"        1 on the last tick of every sequence (and on idle
//                        ticks between sequences): at that clock edge every
//                        delay register clears, so the next tick is tick 0
//                        of a sequence starting from rest. The first
//                        sequence after power-up starts from INIT 0.
//   output "prediction"  the argmax of the score ports, ties to the lowest
//   output "score0" …    bit_width(g · |R|) bits: this tick's popcount of
//                        class c's group plus the popcounts of the readout
//                        ticks before this tick other than the last. At a
//                        readout tick that is the score so far; at the last
//                        one it is core's sequence score.
//   output "valid"       1 at tick `last` of a sequence, 0 at every other tick
//
// Inside: a tick counter (bit_width(ticks) registers holding
// min(tick + 1, ticks) of the tick before, so a cleared counter is tick 0)
// for the readout decodes and valid; the network with its delay registers;
// and per class an accumulator of bit_width(g · (|R| − 1)) registers (none
// for one readout tick: then the head is classifier_design's). Every delay
// register, counter and accumulator included, has FDRE R = last
// (design.clear_input), so restarting costs no LUT: a sequence must run all
// its ticks, with last on the final one. Counter, decodes and accumulators
// have role part::popcount. Throws what classifier_design and
// core::check_sequence throw, and lutra::error if the counter would need
// more than core::max_k − 1 bits.
inline constexpr std::string_view sequence_design_name = "lutra_sequence_classifier";
inline constexpr std::string_view last_port_name = "last";
inline constexpr std::string_view valid_port_name = "valid";
[[nodiscard]] logic_design sequence_classifier_design(const core::network& net, const core::encoder& enc,
                                                      const core::sequence_spec& spec,
                                                      const classifier_options& options = {});

// A network alone, with no encoder and no head — a timed network whose every
// node is watched, tick by tick, in simulation (docs/fpga.md, "Timed
// networks"). Ports of network_design(net), name "lutra_network":
//
//   input  "inputs"  net.num_inputs() bits: bit i = network input i (no port
//                    when the network has no inputs)
//   output "nodes"   net.num_nodes() bits: bit n = node n's output
//
// Network node n becomes design node n (role part::network, origin n) with
// its table, slot order and delays, as in classifier_design. Every node is an
// output bit, so the passes of simplify() keep every node's function
// observable: dead-node removal finds nothing dead, and merging, folding to a
// constant or bypassing a buffer rewires the port bit to a signal that is
// equal tick for tick (passes.hpp).
inline constexpr std::string_view network_design_name = "lutra_network";
inline constexpr std::string_view network_inputs_port_name = "inputs";
inline constexpr std::string_view network_nodes_port_name = "nodes";
[[nodiscard]] logic_design network_design(const core::network& net);

// The primary inputs of classifier_design for a split: 8·num_features rows
// (row 8f + b = bit b of feature f's value), one column per sample. Throws
// lutra::error if the split does not hold num_features values per sample.
[[nodiscard]] core::bit_matrix pixel_inputs(const core::data_split& split, std::uint32_t num_features);

// The head's building blocks, public so they can be tested exhaustively and
// reused. They append nodes of role part::popcount (sums) or part::argmax
// (comparisons, argmax), each of at most 6 inputs, to design and return the
// result bits, least significant first.

// The number of set bits among `bits`: bit_width(bits.size()) bits, at least
// 1 (a constant-zero bit where no node is needed). Built from counters (up to six
// bits of one weight summed by one table per sum bit) until each weight has
// at most two bits, then a carry-rippling adder of small tables.
[[nodiscard]] std::vector<signal> add_popcount(logic_design& design, std::span<const signal> bits);

// Σ over columns[i] of bit · 2^i, by the same counters and adder as
// add_popcount: bit_width(bound) bits, bound being the largest value the sum
// can take (bits of higher weight are taken as 0, so a larger sum is wrong).
[[nodiscard]] std::vector<signal> add_weighted_sum(logic_design& design, std::vector<std::vector<signal>> columns,
                                                   std::uint64_t bound);

// One bit: b > a as unsigned numbers of equal width (a.size() == b.size() ≥ 1).
[[nodiscard]] signal add_greater_than(logic_design& design, std::span<const signal> a, std::span<const signal> b);

// The index of the largest score, ties to the lowest index: bit_width(C − 1)
// bits (at least 1) for C = scores.size() ≥ 1 scores of equal width ≥ 1, in
// the given form (argmax_form).
[[nodiscard]] std::vector<signal> add_argmax(logic_design& design, std::span<const std::vector<signal>> scores,
                                             argmax_form form = argmax_form::tournament);

}  // namespace lutra::fpga
