#pragma once
// The `desensitize` rule (DESIGN §4.4: habituation): a table entry that is
// addressed again and again without consequence loses efficacy — its
// gradient steps shrink — and recovers with rest; a novel stimulus to the
// same node restores it (dishabituation). The two-timescale model of
// habituation (DESIGN §4.4) per table entry a of the phase's nodes, with an
// efficacy y_a and a recovery rate z_a, updated once per batch or tick (Δ = 1):
//
//     s_a ← (columns that addressed entry a without consequence) / (columns)
//     y_a ← y_a + (1/tau) · [alpha · z_a · (y0 − y_a) − beta · y_a · s_a]   clamped to [0, y0]
//     z_a ← z_a + gamma · z_a · (z_a − 1) · s_a                            (z_a of before this step on the right)
//
// y falls while the entry is driven (s > 0) and recovers toward y0 at rest,
// at a rate α·z/τ; z falls with long stimulation, so recovery after it is
// slower: the second timescale. z starts at z0 < 1 (z = 1 is a fixed point
// of its equation) and never rises again.
//
// Consequence: a column c addressing an entry of node n has consequence when
//   - the teaching signal has dy: |dy(n, c)| · columns ≥ threshold (dy is of
//     the mean loss; times the columns it is the column's own ∂L/∂y);
//   - else, for a head output with labels: the node's output bit differs from
//     its target bit (its class is the column's label) — it was wrong;
//   - else (no signal for the node): never, so every addressed column counts.
//
// Dishabituation: entry b of node n is a novel stimulus in a step when it is
// addressed with consequence, or addressed while y_b ≥ novelty (before the
// step's update: not habituated). When node n has a novel stimulus, after the
// update above every entry a of n that is not itself novel recovers by
//     y_a ← y_a + dishabituation · (y0 − y_a)
// (entries at rest at y0 are unchanged by it; other nodes are untouched).
//
// Effect on learning: a before_step gradient hook (registered in begin(),
// removed in end()) scales each entry's step by its efficacy,
// dL/dθ_a ← y_a · dL/dθ_a, so without the `gradient` rule in the phase
// desensitize only keeps its state. For dy to reach it, list desensitize
// AFTER `gradient` in the phase (rules run in order; dy exists once the
// gradient's backward pass ran); the efficacies it leaves scale the next
// batch's step. tick() runs the same update from the tick's activity.
//
// Cost per batch: the hard evaluation of the batch (shared with other local
// rules), then per node of the phase its 2^k entry masks, a popcount per
// entry and the update of its 2^k entries.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "lutra/core/schema.hpp"
#include "lutra/plasticity/hooks.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

namespace detail {
class entry_layout;
}

struct desensitize_params {
    double tau = 50.0;           // time constant of the efficacy, in batches or ticks, ≥ 1
    double alpha = 0.5;          // recovery rate toward y0, ≥ 0 (with z: α·z/τ per step)
    double beta = 1.0;           // depression rate per unit of stimulation, ≥ 0
    double gamma = 0.05;         // rate at which stimulation lowers z (slower recovery), ≥ 0
    double y0 = 1.0;             // resting efficacy (the step's scale at rest), (0, 1]
    double z0 = 0.99;            // recovery rate z at the start, (0, 1)
    double threshold = 1e-4;     // |∂L/∂y| of a column below which addressing has no consequence, ≥ 0
    double dishabituation = 0.1; // δ: fraction of (y0 − y) a novel stimulus restores, [0, 1]
    double novelty = 0.95;       // an addressed entry with y ≥ this is a novel stimulus, [0, 1]
    friend bool operator==(const desensitize_params&, const desensitize_params&) = default;
};

void describe(core::schema_visitor& v, desensitize_params& p);

class desensitize_rule final : public rule {
public:
    static constexpr std::string_view rule_name = "desensitize";

    // Throws core::schema_error for parameters out of range (novelty above y0 included).
    desensitize_rule(desensitize_params params, const session_setup& setup = {});
    ~desensitize_rule() override;
    desensitize_rule(const desensitize_rule&) = delete;
    desensitize_rule& operator=(const desensitize_rule&) = delete;

    [[nodiscard]] std::string_view name() const override { return rule_name; }
    void begin(learning_context& ctx) override;
    void batch(const batch_activity& activity, learning_context& ctx, batch_measure& measure) override;
    void tick(const tick_activity& activity, learning_context& ctx) override;
    void end(learning_context& ctx) override;
    void network_changed(const network_change& change, learning_context& ctx) override;
    [[nodiscard]] bool needs_activity() const override { return true; }
    // efficacy_mean and recovery_mean (y and z over the node's entries), habituated (fraction with y < novelty).
    void summarize(rule_summary& out, const learning_context& ctx) const override;
    // y and z per table entry.
    [[nodiscard]] named_state state() const override;
    void restore(const named_state& state, learning_context& ctx) override;

    // One step (Δ = 1) of the equations above from a batch's or tick's activity.
    void learn(const hard_activity& hard, const teaching_signal& signal, const learning_context& ctx);

    // Per table entry, laid out like the gradient's θ (core::entry_offsets).
    [[nodiscard]] std::span<const float> efficacy() const noexcept { return y_; }
    [[nodiscard]] std::span<const float> recovery() const noexcept { return z_; }
    [[nodiscard]] const desensitize_params& params() const noexcept { return params_; }

private:
    void fit(const core::network& net);

    desensitize_params params_;
    std::unique_ptr<detail::entry_layout> layout_;
    std::vector<float> y_, z_;
    std::optional<gradient_hooks::id> hook_;
    // Scratch of learn(), kept between steps.
    std::vector<std::uint64_t> masks_, consequence_;
    std::vector<std::int32_t> classes_;
    std::vector<std::uint8_t> novel_;
};

}  // namespace lutra::plasticity
