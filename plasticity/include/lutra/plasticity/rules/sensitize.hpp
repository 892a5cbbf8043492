#pragma once
// The `sensitize` rule (DESIGN §4.4: sensitization, continuous
// amplification): a step-size gain per table entry on top of the gradient
// rule's optimizer (SGD or Adam). An entry whose gradient keeps its sign is
// sensitized — each step larger than the last, ×gamma_up, up to gain_max —
// and one whose sign flips is calmed, ×gamma_down, down to gain_min.
//
// For every table entry i of the phase's nodes, each gradient step, with
// g_i = ∂L/∂θ_i of the step (the gradient rule's dL/dθ, before the optimizer):
//
//     e_i    ← ρ·e_i + (1 − ρ)·g_i                     ρ = smoothing (0: e_i = g_i)
//     gain_i ← min(gain_i · gamma_up,   gain_max)      if sign(e_i) =  prev_i ≠ 0
//     gain_i ← max(gain_i · gamma_down, gain_min)      if sign(e_i) = −prev_i ≠ 0
//     (gain_i unchanged otherwise: either sign is 0)
//     prev_i ← sign(e_i)
//     g_i    ← gain_i · g_i                            what the optimizer then steps on
//
// gain starts at 1, prev and e at 0. The update happens in a before_step
// gradient hook, registered in begin() and removed in end(): sensitize needs
// the `gradient` rule in the same phase (without it the hook never fires and
// nothing changes; the session cannot tell). Its place in the phase's list
// does not matter — hooks registered in begin() fire inside gradient's
// batch() either way (tested).
//
// tick() (the event engine's driver) takes the same update from the teaching
// signal when it carries dy: g_i = Σ over the columns c addressing entry i of
// dy(node, c) (for hard inputs, exactly ∂L/∂w_i, whose sign is that of
// ∂L/∂θ_i); the gains it leaves are those the next gradient step uses
// (which updates them again with its own g). Without dy, tick() does nothing.
//
// On Adam a gain acts only while it changes (Adam's step is invariant to a
// constant scale of an entry's gradient); on SGD it scales the step itself.
//
// Cost per batch: a few operations per table entry of the phase's nodes.

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

struct sensitize_params {
    double gamma_up = 1.2;     // γ⁺: gain factor when the sign holds, > 1
    double gamma_down = 0.5;   // γ⁻: gain factor when the sign flips, (0, 1)
    double gain_max = 50.0;    // the cap of a gain, ≥ 1
    double gain_min = 0.01;    // the floor of a gain, (0, 1]
    double smoothing = 0.9;    // ρ: the sign is that of e ← ρ·e + (1 − ρ)·g, [0, 1); 0 = of g itself.
                               // Minibatch gradients flip sign by noise: the raw sign (0) mostly shrinks gains
    friend bool operator==(const sensitize_params&, const sensitize_params&) = default;
};

void describe(core::schema_visitor& v, sensitize_params& p);

class sensitize_rule final : public rule {
public:
    static constexpr std::string_view rule_name = "sensitize";

    // Throws core::schema_error for parameters out of range.
    sensitize_rule(sensitize_params params, const session_setup& setup = {});
    ~sensitize_rule() override;
    sensitize_rule(const sensitize_rule&) = delete;
    sensitize_rule& operator=(const sensitize_rule&) = delete;

    [[nodiscard]] std::string_view name() const override { return rule_name; }
    void begin(learning_context& ctx) override;
    void tick(const tick_activity& activity, learning_context& ctx) override;
    void end(learning_context& ctx) override;
    void network_changed(const network_change& change, learning_context& ctx) override;
    // gain_mean: mean gain over the node's entries; gain_capped: the fraction of them at gain_max.
    void summarize(rule_summary& out, const learning_context& ctx) const override;
    // gain, prev (−1, 0, +1) and e per table entry.
    [[nodiscard]] named_state state() const override;
    void restore(const named_state& state, learning_context& ctx) override;

    // The update above on one step's per-entry signal g (laid out like the
    // gradient's dL/dθ), for the phase's nodes; g is scaled in place by the gains.
    void learn(std::span<float> g, const learning_context& ctx);
    // tick()'s per-entry signal from activity: Σ of dy over the columns addressing each entry (0 without dy).
    [[nodiscard]] std::vector<float> entry_signal(const hard_activity& hard, const teaching_signal& signal,
                                                  const learning_context& ctx) const;

    [[nodiscard]] std::span<const float> gains() const noexcept { return gain_; }
    [[nodiscard]] const sensitize_params& params() const noexcept { return params_; }

private:
    void fit(const core::network& net);

    sensitize_params params_;
    std::unique_ptr<detail::entry_layout> layout_;
    std::vector<float> gain_, prev_, e_;
    std::optional<gradient_hooks::id> hook_;
};

}  // namespace lutra::plasticity
