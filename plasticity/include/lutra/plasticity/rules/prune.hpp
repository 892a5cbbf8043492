#pragma once
// The `prune` rule (DESIGN §4.4): makes tables smaller. A k-input node
// becomes a (k−1)-input one by dropping a slot; a node whose last slot is
// dropped becomes a constant (kept as k = 1 with equal entries, which the
// FPGA passes fold away with every node only it fed).
//
// At the first batch of each epoch of its phase it takes the first
// `samples` samples of the epoch (0 = all), ranks on a part of them and
// judges on the rest (the last `validation` fraction), for the phase's
// nodes:
//
//   1. every slot the table ignores is dropped: T(a) = T(a ⊕ 2^i) for every
//      address a, so the network computes the same function;
//   2. every remaining slot i of node n is scored by the outputs its drop
//      would change on the ranking samples,
//
//          C(n, i) = Σ_{a : bit i of a = 0, T(a) ≠ T(a ⊕ 2^i)} min(N_a, N_{a ⊕ 2^i})
//
//      (N_a = ranking samples addressing entry a), and the slots are dropped
//      in increasing C, as many as the budget allows: the longest prefix of
//      that order for which, on the judging samples, evaluated exactly with
//      the bit-sliced engine,
//
//          correct ≥ correct₀ − budget · samples   and   L ≤ L₀ + loss_budget · samples
//
//      where correct₀ and L₀ (summed cross-entropy of the hard scores / τ)
//      are those of the network the phase started with (kept, so every
//      epoch measures against it on that epoch's samples). The prefix is
//      found by bisection, so the judging samples decide about log2(slots)
//      questions, not one per slot: asked slot by slot, the judge is fitted
//      by the answers. Measured on the trained configs/mnist.yaml network
//      with 5,000 test images as the judge and a budget of 0.2 points: slot
//      by slot, the judge lost its 0.2 points and the other 5,000 test
//      images lost 2.9; by bisection, the judge lost 0.2 and the others 0.06.
//
// The rule changes structure (k and sources), so a gradient rule sharing its
// phase rebuilds the pruned nodes' parameters. It needs a group-sum head and
// a combinational network. Summaries per node: slots_dropped (over the
// phase so far), k (after the last prune).

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "lutra/core/schema.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

struct prune_params {
    double budget = 0.002;           // accuracy (a fraction of the samples) the phase may lose, [0, 1]
    double loss_budget = 1e9;        // mean cross-entropy the phase may add on the measured samples, ≥ 0
    double validation = 0.5;         // of the samples judging the budget; the rest rank the slots, [0, 0.9]
    std::size_t samples = 0;         // samples measured on, from the epoch's start; 0 = every training sample
    bool ignored_only = false;       // drop only the slots tables ignore (step 1), nothing that changes a decision
    friend bool operator==(const prune_params&, const prune_params&) = default;
};
void describe(core::schema_visitor& v, prune_params& p);

// The table of a node without slot `slot` (k − 1 inputs), merged as above by
// `counts` (how often each of the 2^k addresses was seen).
[[nodiscard]] std::vector<std::uint64_t> drop_slot(std::span<const std::uint64_t> table, unsigned k, unsigned slot,
                                                   std::span<const std::uint32_t> counts);

class prune_rule final : public rule {
public:
    static constexpr std::string_view rule_name = "prune";
    prune_rule(prune_params params, session_setup setup);

    [[nodiscard]] std::string_view name() const override { return rule_name; }
    void check(const core::network& net) const override;
    void begin(learning_context& ctx) override;
    void batch(const batch_activity& activity, learning_context& ctx, batch_measure& measure) override;
    void summarize(rule_summary& out, const learning_context& ctx) const override;
    // The phase's starting network (the budget's reference) and the slots dropped per node.
    [[nodiscard]] named_state state() const override;
    void restore(const named_state& state, learning_context& ctx) override;

    // What the last prune did.
    struct result {
        std::size_t ignored_dropped = 0;  // step 1
        std::size_t dropped = 0;          // step 2
        std::size_t constant_nodes = 0;   // nodes left constant
        std::size_t correct_before = 0, correct_after = 0, correct_reference = 0, samples = 0;
        double loss_before = 0, loss_after = 0, loss_reference = 0;  // summed over the samples
    };
    [[nodiscard]] const result& last() const noexcept { return last_; }

    // One prune of `net` on the samples (exposed for tests and tools).
    // Returns the pruned network; `reference` is what the budget measures against.
    [[nodiscard]] core::network prune(const core::network& net, const core::network& reference,
                                      std::span<const std::uint32_t> nodes, const core::bit_matrix& inputs,
                                      std::span<const std::uint16_t> labels, unsigned threads);

private:
    prune_params params_;
    session_setup setup_;
    std::optional<core::network> reference_;  // the network as the phase began
    std::vector<std::uint32_t> dropped_;      // per node, over the phase
    result last_;
};

}  // namespace lutra::plasticity
