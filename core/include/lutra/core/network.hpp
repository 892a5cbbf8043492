#pragma once
// core::network — the developed, compiled form of a LUT network (DESIGN §3).
//
// Structure of arrays. Sources are numbered in one space: ids below
// num_inputs() are network input bits, id num_inputs() + n is node n. Input
// slot i of a node is address bit i: address a = Σ x_i · 2^i, table bit a is
// the output for address a. A node with k ≤ 6 has one 64-bit table word, its
// LUT6 INIT, with the bits at addresses ≥ 2^k zero; a node with k > 6 has
// 2^(k-6) words, word w holding addresses 64w … 64w+63.
//
// Nodes are stored in topological order: a node's zero-delay node sources
// come before it, so evaluating nodes by index respects every dependency (the
// genome compiler also sorts them by level, which the validation does not
// demand). A slot with
// delay d ≥ 1 reads its source as it was d ticks earlier (a register) and may
// point anywhere, itself included.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace lutra::core {

inline constexpr unsigned max_k = 16;

// Table words a node with k inputs uses: max(1, 2^k / 64).
constexpr std::size_t table_words(unsigned k) noexcept { return k <= 6 ? 1 : std::size_t{1} << (k - 6); }

// The group-sum head: output nodes split into num_classes equal groups; the
// class score is the popcount of its group; the decision is the argmax, ties
// to the lowest class.
struct group_sum_head {
    std::uint32_t num_classes = 0;      // 0 = no head
    std::vector<std::uint32_t> outputs; // node indices; class c owns outputs[c·g, (c+1)·g), g = size / classes
};

// What a builder (the genome compiler, a loader, a test) fills in.
struct network_arrays {
    std::uint32_t num_inputs = 0;       // network input bits
    std::vector<std::uint8_t> k;        // per node, 1 … 16
    std::vector<std::uint32_t> sources; // per slot, node-major (node 0's k[0] slots, then node 1's, …)
    std::vector<std::uint32_t> delays;  // per slot in ticks; empty means all zero
    std::vector<std::uint64_t> tables;  // node-major table words, table_words(k[n]) per node
    group_sum_head head;
};

class network {
public:
    network() = default;
    // Validates everything (k, source ids, topological order, table padding, head)
    // and throws lutra::network_error naming the first offending node.
    explicit network(network_arrays arrays);

    [[nodiscard]] std::uint32_t num_inputs() const noexcept { return a_.num_inputs; }
    [[nodiscard]] std::uint32_t num_nodes() const noexcept { return static_cast<std::uint32_t>(a_.k.size()); }
    [[nodiscard]] unsigned k(std::uint32_t node) const noexcept { return a_.k[node]; }
    [[nodiscard]] std::span<const std::uint32_t> sources(std::uint32_t node) const noexcept {
        return {a_.sources.data() + slot_offset_[node], a_.k[node]};
    }
    [[nodiscard]] std::span<const std::uint32_t> delays(std::uint32_t node) const noexcept {
        return {a_.delays.data() + slot_offset_[node], a_.k[node]};
    }
    [[nodiscard]] std::span<const std::uint64_t> table(std::uint32_t node) const noexcept {
        return {a_.tables.data() + table_offset_[node], table_words(a_.k[node])};
    }
    [[nodiscard]] bool table_bit(std::uint32_t node, std::uint32_t address) const noexcept {
        return (a_.tables[table_offset_[node] + address / 64] >> (address % 64)) & 1U;
    }
    // Topological level in the zero-delay graph: 1 + the highest level of the
    // node's zero-delay node sources; input bits and delayed slots count as 0.
    [[nodiscard]] std::uint32_t level(std::uint32_t node) const noexcept { return level_[node]; }
    [[nodiscard]] std::uint32_t depth() const noexcept { return depth_; }
    // No slot has a delay: the network is one combinational function.
    [[nodiscard]] bool combinational() const noexcept { return combinational_; }
    [[nodiscard]] const group_sum_head& head() const noexcept { return a_.head; }
    [[nodiscard]] std::size_t slot_offset(std::uint32_t node) const noexcept { return slot_offset_[node]; }
    [[nodiscard]] std::size_t table_offset(std::uint32_t node) const noexcept { return table_offset_[node]; }
    // Total input slots and table words.
    [[nodiscard]] std::size_t num_slots() const noexcept { return a_.sources.size(); }
    [[nodiscard]] const network_arrays& arrays() const noexcept { return a_; }

private:
    network_arrays a_;
    std::vector<std::size_t> slot_offset_;
    std::vector<std::size_t> table_offset_;
    std::vector<std::uint32_t> level_;
    std::uint32_t depth_ = 0;
    bool combinational_ = true;
};

// A random network for tests and benchmarks: `nodes` nodes of fan-in k in
// `layers` equal layers, each slot drawing uniformly from the previous layer
// (the first layer from the inputs), uniformly random tables, and a group-sum
// head over the last layer when num_classes > 0 (the last layer's size must
// then be a multiple of num_classes). Deterministic in the seed.
struct random_network_params {
    std::uint32_t num_inputs = 784;  // input bits
    std::uint32_t nodes = 5000;      // total nodes
    std::uint32_t layers = 5;        // equal layers, ≥ 1
    unsigned k = 6;                  // fan-in, 1 … 16
    std::uint32_t num_classes = 10;  // head classes, 0 = no head
};
[[nodiscard]] network random_network(const random_network_params& params, std::uint64_t seed);

class schema_visitor;
void describe(schema_visitor& v, random_network_params& p);

}  // namespace lutra::core
