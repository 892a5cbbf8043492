#pragma once
// Per-node statistics of a hardened network on a set of samples (DESIGN §7's
// /stats): how often each node fires, how much information its output
// carries, which table entries the data uses, and how much the classifier's
// decision depends on it. Computed bit-sliced, 64 samples a word; the
// sensitivity pass is threaded over nodes, so the numbers depend only on the
// network and the samples, never on the thread count.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/relaxed.hpp"

namespace lutra::core {

// Entry usage is kept for nodes of at most this many inputs (2^8 counters).
inline constexpr unsigned max_usage_k = 8;

struct node_statistics {
    std::size_t samples = 0;
    std::vector<float> activation_rate;  // per node: fraction of samples with output 1
    std::vector<float> entropy;          // per node: H(activation_rate) in bits, 0..1
    // Per node: the fraction of samples whose predicted class changes when the
    // node's output alone is inverted (only with a head; else empty).
    std::vector<float> sensitivity;
    // Per node, 2^usage_k counters: how many samples hit each table address
    // (addresses ≥ 2^k of a node count 0). Empty when some node has k > max_usage_k.
    unsigned usage_k = 0;
    std::vector<std::uint32_t> entry_usage;
};

struct node_statistics_options {
    bool sensitivity = true;  // the costliest part: one fan-out cone per node
    unsigned threads = 1;     // 0 = all cores
    // Entry usage counters per node: 2^max(usage_k, the network's largest k).
    // A recorder keeps the first network's, so rows keep their shape when
    // pruning shrinks every node.
    unsigned usage_k = 0;
};

// The network must be combinational; inputs has num_inputs() rows.
[[nodiscard]] node_statistics measure_nodes(const network& net, const bit_matrix& inputs,
                                            const node_statistics_options& options = {});

// Per node: table entries that differ between two networks of the same
// nodes (e.g. the hardened tables of two epochs); a node whose fan-in
// changed counts every entry of its new table. Throws lutra::error when the
// node counts differ.
[[nodiscard]] std::vector<std::uint32_t> table_flips(const network& before, const network& after);

// Σ |dL/dy| per node over the samples it has seen, fed by a trainer's
// after-backward hook; mean() divides by the samples. Sums in sample order,
// in double, so the result does not depend on batching into threads.
class gradient_meter {
public:
    explicit gradient_meter(std::uint32_t nodes = 0) : sums_(nodes, 0.0) {}
    void add(const relaxed_engine::activations& dy);
    [[nodiscard]] std::vector<float> mean() const;
    [[nodiscard]] std::size_t samples() const noexcept { return samples_; }
    void reset() noexcept;

private:
    std::vector<double> sums_;
    std::size_t samples_ = 0;
};

}  // namespace lutra::core
