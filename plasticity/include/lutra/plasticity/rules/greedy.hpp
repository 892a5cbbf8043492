#pragma once
// The `greedy` rule (DESIGN §4.4): discrete hill-climbing on the exact loss
// of the hard network, measured with the bit-sliced engine (loss_probe).
//
// Every `every` batches (batch b with b mod every = 0), on the `samples`
// samples of the epoch starting at the batch's first one (fewer at the
// epoch's end), the rule makes `trials` trials one after another. Trial j
// draws from counter_rng(seed, "rule.greedy").fork(epoch).fork(batch).fork(j):
//   - a node n, uniformly among the phase's nodes;
//   - its kind: `flip` or `swap` as `kind` says; with kind `both`, a swap
//     with probability `swap_fraction`;
//   - flip: a sample s, uniformly; the entry a = address(n, s) its inputs
//     address there has its bit flipped, T'(a) = 1 − T(a) (so entries are
//     drawn in proportion to how often the samples address them);
//   - swap: a slot i, uniformly, and a start in its candidates
//     (core::candidate_sources); the first candidate from there on
//     (cyclically) that is an input bit or a node before n and that n does
//     not read already becomes the slot's source, the table kept. A slot
//     with no such candidate, or a network without candidates, makes the
//     trial a flip.
// With L the cross-entropy of the hard scores / τ summed over the samples
// (probe.hpp), the trial's change is kept iff
//
//     L(after) < L(before) − 1e-9 · (1 + L(before))
//
// — strictly lower, by more than the rounding of the probe's incremental
// sums, so a measured increase (or a tie) is never accepted. Trials follow
// each other: each one starts from the network as the accepted ones left it.
// After the step the accepted changes are written into the session's
// network: network_changed(tables, nodes), or (structure, nodes) when a
// source moved.
//
// Needs a group-sum head and a combinational network; with kind `swap`, the
// genome's candidates. Cost per step: building the probe (the network on
// `samples` samples) plus, per trial, the changed node's cone on them.
// Summaries per node, over the last epoch: flips_accepted, swaps_accepted
// and trials.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/random.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/plasticity/probe.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

inline constexpr std::string_view greedy_kinds[] = {"flip", "swap", "both"};

struct greedy_params {
    std::uint32_t trials = 256;       // trials per step (the budget), ≥ 1
    std::uint32_t every = 1;          // a step every this many batches, ≥ 1
    std::size_t samples = 1024;       // samples a step measures on, from the batch's first, ≥ 1
    std::string kind = "flip";        // flip (table entries) | swap (input sources) | both
    double swap_fraction = 0.5;       // kind both: the probability a trial is a swap, [0, 1]
    friend bool operator==(const greedy_params&, const greedy_params&) = default;
};
void describe(core::schema_visitor& v, greedy_params& p);

class greedy_rule final : public rule {
public:
    static constexpr std::string_view rule_name = "greedy";
    greedy_rule(greedy_params params, session_setup setup);

    [[nodiscard]] std::string_view name() const override { return rule_name; }
    void check(const core::network& net) const override;
    [[nodiscard]] bool needs_candidates() const override { return params_.kind == "swap"; }
    void begin(learning_context& ctx) override;
    void batch(const batch_activity& activity, learning_context& ctx, batch_measure& measure) override;
    void summarize(rule_summary& out, const learning_context& ctx) const override;
    // The epoch's per-node counts (the network is the session's).
    [[nodiscard]] named_state state() const override;
    void restore(const named_state& state, learning_context& ctx) override;

    // What one step did.
    struct step_result {
        std::size_t trials = 0, flips = 0, swaps = 0;
        loss_probe::measure before, after;
        std::vector<std::uint32_t> changed;  // nodes changed, ascending
        bool structure = false;              // some source moved
    };
    // One step on a probe of ctx's network: the trials, accepted into the
    // probe; the caller writes the probe's network back (what batch does).
    step_result step(loss_probe& probe, learning_context& ctx, const counter_rng& rng);

private:
    void count_in(const learning_context& ctx);

    greedy_params params_;
    session_setup setup_;
    std::vector<std::uint32_t> flips_, swaps_, trials_;  // per node, this epoch
};

}  // namespace lutra::plasticity
