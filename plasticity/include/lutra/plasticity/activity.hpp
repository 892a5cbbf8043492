#pragma once
// What local rules learn from (DESIGN §4.4): the hard network's activity on
// a set of columns — the samples of a minibatch (the session's driver) or the
// parallel streams of one tick (the event engine's driver) — and a teaching
// signal. Both drivers hand rules the same two views, so a rule written
// against them makes no batch-only assumption: a column is a sample or a
// stream, and nothing here knows which.
//
// Activity is bit-sliced like the engines (DESIGN §3): bit c of a plane is
// column c. A node's addressed entry at column c is a = Σ x_i(c) · 2^i over
// what its input slots read at that column (network.hpp's address order).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/relaxed.hpp"

namespace lutra::plasticity {

class hard_activity {
public:
    // What a delayed slot reads at these columns (the tick driver's registers).
    using delayed_planes = std::function<std::span<const std::uint64_t>(std::uint32_t node, unsigned slot)>;

    // `inputs` has a row per network input bit, `outputs` a row per node,
    // both over the same columns (columns ≤ both matrices' samples); bits
    // past `columns` must be zero. A network with delayed slots needs
    // `delayed`. Throws lutra::error when the shapes do not fit.
    hard_activity(const core::network& net, const core::bit_matrix& inputs, const core::bit_matrix& outputs,
                  std::size_t columns, delayed_planes delayed = {});

    [[nodiscard]] const core::network& net() const noexcept { return net_; }
    [[nodiscard]] std::size_t columns() const noexcept { return columns_; }
    // Words of a plane that hold the columns: ⌈columns / 64⌉.
    [[nodiscard]] std::size_t words() const noexcept { return words_; }

    // A node's output plane (words() words).
    [[nodiscard]] std::span<const std::uint64_t> output(std::uint32_t node) const noexcept {
        return outputs_.row(node).first(words_);
    }
    // A source's plane: input bit (id < num_inputs) or node output.
    [[nodiscard]] std::span<const std::uint64_t> source(std::uint32_t id) const noexcept;
    // What input slot i of a node reads at these columns (its source, or
    // the delayed value for a slot with a delay).
    [[nodiscard]] std::span<const std::uint64_t> slot(std::uint32_t node, unsigned i) const;

    // Every column's addressed entry of a node; out.size() ≥ columns().
    void addresses(std::uint32_t node, std::span<std::uint32_t> out) const;
    // How many columns addressed each entry of a node, among the columns
    // whose bit is set in `where` (words() words; empty = every column);
    // counts.size() ≥ 2^k, counts are overwritten.
    void entry_counts(std::uint32_t node, std::span<std::uint32_t> counts,
                      std::span<const std::uint64_t> where = {}) const;
    // Column masks of a node's entries, bit-sliced: entry a's mask is
    // masks[a·words(), (a+1)·words()); masks.size() ≥ 2^k · words().
    void entry_masks(std::uint32_t node, std::span<std::uint64_t> masks) const;

private:
    const core::network& net_;
    const core::bit_matrix& inputs_;
    const core::bit_matrix& outputs_;
    std::size_t columns_;
    std::size_t words_;
    delayed_planes delayed_;
};

// The teaching signal (DESIGN §4.3–4.4), per column. Any part may be absent;
// a rule uses what it finds and says in its documentation what it needs.
struct teaching_signal {
    // ∂L/∂y of every node per column (of the mean loss), from the gradient
    // rule's backward pass in this batch; null when no gradient rule ran
    // before the rule reading it (rules run in their phase's order).
    const core::relaxed_engine::activations* dy = nullptr;
    // The label per column: the target bit of the head's outputs
    // (head_classes) derives from it. Empty = no labels.
    std::span<const std::uint16_t> labels;
    // A scalar reward per column. The batch driver gives +1 where the hard
    // network decided right and −1 where wrong; a stream, its own. Empty = none.
    std::span<const float> reward;
};

// The class of every node in the head's groups, −1 for the others: a head
// output's target bit at a column is (its class == the column's label).
[[nodiscard]] std::vector<std::int32_t> head_classes(const core::network& net);

// The hard network's activity on the columns [first, first + count) of
// `inputs`: the batch driver's evaluation (one bit-sliced pass, `threads`
// worker threads, the result independent of them).
struct evaluated_batch {
    core::bit_matrix inputs;   // the batch's columns, from column 0
    core::bit_matrix outputs;  // every node's output on them
    std::vector<float> reward; // +1 where the group-sum head decided the label, −1 where not (labels given)
};
[[nodiscard]] evaluated_batch evaluate_batch(const core::network& net, const core::bit_matrix& inputs,
                                             std::size_t first, std::size_t count,
                                             std::span<const std::uint16_t> labels, unsigned threads);

}  // namespace lutra::plasticity
