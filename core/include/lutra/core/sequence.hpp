#pragma once
// Classifying sequences with a timed network (DESIGN §5.4, docs/time.md).
//
// A sample is a sequence of `ticks` ticks. The network starts from rest
// (every register 0, as in core/time.hpp), reads the sample's input bits of
// tick t at tick t, and class c's score is the popcount of head group c
// summed over the readout ticks; the decision is the argmax, ties to the
// lowest class. Readout {ticks − 1} reads the last tick only.
//
// A sequence sample is stored flat, tick-major: row t · I + i of a
// bit_matrix is input bit i at tick t (I = the network's inputs), so a
// batch of sequences is one bit_matrix with ticks · I rows, and the
// engines for static samples take it unchanged.
//
// unroll() turns (network, spec) into the one combinational network that
// computes the same: node 0 is a constant 0, node n at tick t becomes node
// 1 + t · N + n with n's table, a slot with delay d reads its source's copy
// at tick t − d (the constant before tick d), and the head is every readout
// tick's copy of the head's outputs, class by class. The bit-sliced engine classifies sequences with
// it, and the relaxed engine trains through it (backpropagation through
// time), the copies of a node sharing its entries.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lutra/core/network.hpp"

namespace lutra::core {

struct sequence_spec {
    std::uint32_t ticks = 1;               // ticks per sample, ≥ 1
    std::vector<std::uint32_t> readout;    // ascending, distinct, each < ticks; empty = {ticks − 1}
    // Training only (relaxed engine): how many ticks back from each readout
    // tick the gradient flows (truncated backpropagation through time);
    // 0 = through the whole sequence.
    std::uint32_t bptt_window = 0;
    friend bool operator==(const sequence_spec&, const sequence_spec&) = default;
};

// The readout ticks, {ticks − 1} when none are listed.
[[nodiscard]] std::vector<std::uint32_t> readout_ticks(const sequence_spec& spec);

// Throws lutra::error saying what is wrong: ticks = 0, a readout tick at or
// past `ticks` or out of order, a bptt_window longer than the sequence.
void check_sequence(const sequence_spec& spec);

// The first tick at which a change of any network input can reach node n
// (the shortest input-to-node path, counting each slot's delay), or
// no_tick when no input ever reaches it.
inline constexpr std::uint32_t no_tick = 0xFFFF'FFFFU;
[[nodiscard]] std::vector<std::uint32_t> first_reachable_tick(const network& net);

// The unrolled network of the file comment: 1 + ticks · N nodes over
// ticks · I inputs, the head over the readout ticks. Throws what
// check_sequence throws.
[[nodiscard]] network unroll(const network& timed, const sequence_spec& spec);
// unroll()'s network without the copies no readout depends on (in a
// layered network most copies before the last readout tick are dead), and
// where each copy went. Nodes keep their order, so the network stays
// tick-major; node 0 is the constant.
struct live_unrolled {
    network net;
    std::vector<std::uint32_t> row;     // per unroll() node: its node in net, or no_tick if dropped
    std::vector<std::uint32_t> origin;  // per node of net: the timed node it copies (node 0: no_tick)
    std::vector<std::uint32_t> tick;    // per node of net: its tick (node 0: 0)
};
[[nodiscard]] live_unrolled unroll_live(const network& timed, const sequence_spec& spec);

// Node n's copy at tick t in unroll()'s network of a network of `nodes` nodes.
[[nodiscard]] constexpr std::uint32_t unrolled_node(std::uint32_t tick, std::uint32_t n, std::uint32_t nodes) noexcept {
    return 1 + tick * nodes + n;
}

}  // namespace lutra::core
