#pragma once
// The `area` rule (DESIGN §4.4, issue 16): area-aware training. A penalty on
// each table's input sensitivities, added to the gradient every step, that
// drives the inputs a node barely uses to exactly no influence — so the
// hardened table ignores them, the analysis census counts fewer effective
// inputs, and the FPGA passes shrink the LUT (or fold it away when no input
// is left: a constant).
//
// For node n of the phase, with fan-in k and entries θ_a (a < 2^k), the
// table's probabilities q_a = σ(θ_a) (the gradient rule's own w at slope 1;
// with `sharpen` β its w = σ(β·θ) hardens to the same bits, q_a > ½ ⇔ θ_a > 0).
// The sensitivity of input i is the Boolean influence of the relaxed table,
// the probability that flipping input i flips the output over uniform
// addresses:
//
//     S_i = 2^−(k−1) · Σ_{a : bit i of a = 0} |q_a − q_{a ⊕ 2^i}|        ∈ [0, 1]
//
// (S_i = 0 exactly when the hardened table ignores input i, if the q's have
// hardened too.) The penalty is a log-sparsity (reweighted-L1) penalty on
// the sensitivities,
//
//     R = λ(epoch) · Σ_n Σ_i log(1 + S_i / ε)
//
//     ∂R/∂θ_a = λ · Σ_i 1/(ε + S_i) · 2^−(k−1) · sign(q_a − q_{a ⊕ 2^i}) · q_a · (1 − q_a)
//
// The weight 1/(ε + S_i) is what makes it choose: an input of small
// influence is pulled toward none harder than one the node relies on, so
// weak inputs go to exactly zero rather than all inputs shrinking a little
// (Candès, Wakin & Boyd 2008). Each pair term pulls q_a and q_{a ⊕ 2^i}
// together, so a node that loses inputs becomes a smaller function and, with
// none left, a constant. R is added to the batch's mean cross-entropy (the
// loss the gradient rule's dL/dθ is of), so λ does not depend on the batch
// size; it weighs against each table's share of the loss, so it may need
// retuning with the network's size (mnist-small: 1e-4; the test's 60-node
// task: 1.5e-3).
//
// λ follows a schedule over the phase's epochs: 0 before epoch `start`
// (0-based within the phase), then rising linearly to `strength` over
// `ramp` epochs (ramp 0: at once), then constant — so tables first learn,
// then shed what they do not need.
//
// The gradient is added in a before_step gradient hook, registered in
// begin() and removed in end(): `area` needs the `gradient` rule in the same
// phase (without it nothing changes), and only the phase's nodes are
// penalised. Summary per node: sensitivity (Σ_i S_i at the last step with
// λ > 0; NaN before).
// Stateless between epochs (the schedule derives from the epoch).
//
// Cost per batch: 2^k exponentials and about 3·k·2^k operations a node, on
// the calling thread (0.8 ms a batch of 1,000 nodes of k = 6: about 1.6 s an
// epoch of configs/mnist-small-area.yaml); none before the ramp.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "lutra/core/schema.hpp"
#include "lutra/plasticity/hooks.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

struct area_params {
    double strength = 1e-4;   // λ once ramped, ≥ 0 (configs/mnist-small-area.yaml's)
    double epsilon = 0.05;    // ε: sensitivities well below it are pulled hardest, (0, 1]
    std::uint32_t start = 0;  // phase epoch at which λ starts to rise
    std::uint32_t ramp = 0;   // epochs over which λ rises from 0 to strength (0 = at once)
    friend bool operator==(const area_params&, const area_params&) = default;
};

void describe(core::schema_visitor& v, area_params& p);

// R of one node's entries θ (2^k of them) at strength λ and floor ε, as in
// the file comment; adds ∂R/∂θ to grad (same size) and returns R. Also
// writes each input's S_i to sensitivity when it is not empty (k values).
double area_penalty(std::span<const float> theta, unsigned k, double strength, double epsilon,
                    std::span<float> grad, std::span<float> sensitivity = {});

class area_rule final : public rule {
public:
    static constexpr std::string_view rule_name = "area";

    // Throws core::schema_error for parameters out of range.
    explicit area_rule(area_params params, const session_setup& setup = {});

    [[nodiscard]] std::string_view name() const override { return rule_name; }
    void begin(learning_context& ctx) override;
    void end(learning_context& ctx) override;
    // sensitivity: Σ_i S_i of the node at the last step with λ > 0 (NaN before any).
    void summarize(rule_summary& out, const learning_context& ctx) const override;

    // λ at a position in the schedule.
    [[nodiscard]] double strength_at(const epoch_position& at) const;
    // One step: adds ∂R/∂θ of the phase's nodes to grad (laid out like the
    // gradient rule's dL/dθ, core::entry_offsets), at λ of the context's position.
    void penalise(std::span<float> grad, std::span<const float> theta, const learning_context& ctx);

    [[nodiscard]] const area_params& params() const noexcept { return params_; }

private:
    area_params params_;
    std::vector<float> sensitivity_;  // per node, Σ_i S_i
    std::optional<gradient_hooks::id> hook_;
};

}  // namespace lutra::plasticity
