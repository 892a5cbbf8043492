#pragma once
// The `gradient` rule (DESIGN §4.1–4.3): gradient descent on every table
// entry's parameter θ through the relaxed engine. Per minibatch: forward, the
// group-sum head with temperature τ and softmax cross-entropy (core's
// group_sum_loss), backward level by level, the hooks, and an Adam or SGD step
// with the phase's learning-rate schedule; w = σ(β·θ), β annealed from 1 to
// `sharpen` over the phase. The network's tables are θ hardened (bit a =
// θ_a > 0), written into the session's network after every epoch and
// whenever another rule of the phase might read them.
//
// θ starts at ±init_scale from the network's table bits. When another rule
// changes tables, entries whose sign no longer matches their bit restart at
// ±init_scale (their optimizer moments at 0); when it changes structure,
// the relaxed engine is rebuilt and the changed nodes' entries restart so.
//
// Results depend only on the seed and the data: the engine's sums are
// thread-count independent, the loss is summed in sample order, and the
// optimizer is element-wise.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/relaxed.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/plasticity/hooks.hpp"
#include "lutra/plasticity/learned_wiring.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

inline constexpr std::string_view optimizer_kinds[] = {"adam", "sgd"};
inline constexpr std::string_view schedule_kinds[] = {"constant", "step", "cosine"};

struct optimizer_params {
    std::string kind = "adam";          // adam | sgd
    double learning_rate = 0.01;        // at the phase's first epoch, > 0
    double beta1 = 0.9;                 // adam: first-moment decay, [0, 1)
    double beta2 = 0.999;               // adam: second-moment decay, [0, 1)
    double epsilon = 1e-8;              // adam: added to √v̂, > 0
    double momentum = 0.0;              // sgd: heavy-ball momentum, [0, 1)
    std::string schedule = "constant";  // constant | step (× gamma every step_epochs) | cosine (to 0 at the phase's end)
    std::uint32_t step_epochs = 10;     // step: epochs between decays, ≥ 1
    double gamma = 0.1;                 // step: the decay factor, (0, 1]
    friend bool operator==(const optimizer_params&, const optimizer_params&) = default;
};

struct gradient_params {
    double init_scale = 1.0;  // θ = ±init_scale from the table bits, ≥ 0
    double sharpen = 1.0;     // w = σ(β·θ), β growing linearly from 1 (first epoch of the phase) to this (last), ≥ 1:
                              // anneals the entries toward 0/1 so the hardened network loses less
    optimizer_params optimizer;
    friend bool operator==(const gradient_params&, const gradient_params&) = default;
};

void describe(core::schema_visitor& v, optimizer_params& p);

// One optimizer step on x from its gradient g, element by element: Adam with
// moments m, v and bias correction for step `step` (counted from 1), or SGD
// with momentum (velocity m; v unused). The tables' θ and learnable wiring's
// scores share it.
void optimizer_step(const optimizer_params& o, std::uint64_t step, float learning_rate, std::span<float> x,
                    std::span<float> m, std::span<float> v, std::span<const float> g);
// The fields of gradient_params (init_scale, sharpen, optimizer) in the
// current mapping, as the `train` section and a schedule's gradient entry spell them.
void describe(core::schema_visitor& v, gradient_params& p);

class gradient_rule final : public rule {
public:
    static constexpr std::string_view rule_name = "gradient";

    // Throws core::schema_error for parameters out of range.
    gradient_rule(gradient_params params, session_setup setup);

    [[nodiscard]] std::string_view name() const override { return rule_name; }
    // Delayed slots or k > core::relaxed_max_k: the relaxation cannot run it.
    void check(const core::network& net) const override;
    void begin(learning_context& ctx) override;
    void batch(const batch_activity& activity, learning_context& ctx, batch_measure& measure) override;
    void end_epoch(learning_context& ctx) override;
    void end(learning_context& ctx) override;
    void network_changed(const network_change& change, learning_context& ctx) override;
    // theta, m (adam: first moment; sgd: velocity), v (adam: second moment) and steps.
    [[nodiscard]] named_state state() const override;
    void restore(const named_state& state, learning_context& ctx) override;

    // Loss (mean cross-entropy) and accuracy of the relaxed network, without learning.
    struct evaluation {
        double loss = 0;
        double accuracy = 0;
    };
    [[nodiscard]] evaluation evaluate(const core::bit_matrix& inputs, std::span<const std::uint16_t> labels) const;

    // The learning rate and β of w = σ(β·θ) at an epoch of a phase of `phase_epochs` epochs.
    [[nodiscard]] double learning_rate(std::uint32_t phase_epoch, std::uint32_t phase_epochs) const;
    [[nodiscard]] double slope(std::uint32_t phase_epoch, std::uint32_t phase_epochs) const;
    // The learning rate of the last batch trained (0 before any).
    [[nodiscard]] double current_learning_rate() const noexcept { return current_lr_; }

    [[nodiscard]] std::span<const float> theta() const noexcept { return theta_; }
    [[nodiscard]] const gradient_params& params() const noexcept { return params_; }

private:
    // Rebuilds the engine on ctx's network; keeps θ of the nodes not listed
    // as changed (all are changed when `changed` is empty and θ is new).
    void rebuild(const core::network& net, std::span<const std::uint32_t> changed);
    // Entries whose sign disagrees with the network's table bit restart.
    void follow_tables(const core::network& net);
    void step(std::span<const float> grad_theta, double learning_rate);
    void update_w(double beta);
    void write_tables(learning_context& ctx) const;

    [[nodiscard]] core::relaxed_options engine_options() const;

    gradient_params params_;
    session_setup setup_;
    learned_wiring wiring_;                       // the slots that choose their source (DESIGN §4.1a)
    core::relaxed_engine::activations slot_dy_;   // their dL/dp in the last batch
    std::optional<core::relaxed_engine> engine_;
    std::vector<float> theta_;
    std::vector<float> w_;
    std::vector<float> scaled_;  // β·θ
    std::vector<float> m_;       // first moment (adam) or velocity (sgd)
    std::vector<float> v_;       // second moment (adam)
    std::uint64_t steps_ = 0;
    double beta_ = 1.0;          // the slope w_ was computed with
    double current_lr_ = 0;
    bool others_read_tables_ = false;  // another rule shares the phase: harden after every batch
    std::vector<std::uint32_t> frozen_;  // nodes outside the phase's populations: no step
    core::relaxed_engine::activations y_, dy_;
    std::vector<float> grad_w_, grad_theta_;
};

}  // namespace lutra::plasticity
