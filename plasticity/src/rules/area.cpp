#include "lutra/plasticity/rules/area.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "lutra/core/error.hpp"
#include "lutra/core/relaxed.hpp"

namespace lutra::plasticity {

void describe(core::schema_visitor& v, area_params& p) {
    v.field("strength", p.strength,
            "lambda: weight of the penalty sum of log(1 + S_i / epsilon) over every node's input sensitivities S_i",
            core::closed(0.0, 1e3));
    v.field("epsilon", p.epsilon, "sensitivities well below it are pulled toward zero hardest",
            core::open_closed(0.0, 1.0));
    v.field("start", p.start, "phase epoch (0-based) at which the strength starts to rise", 0U, 1U << 20);
    v.field("ramp", p.ramp, "epochs over which the strength rises from 0 to its value (0 = at once)", 0U, 1U << 20);
}

double area_penalty(std::span<const float> theta, unsigned k, double strength, double epsilon,
                    std::span<float> grad, std::span<float> sensitivity) {
    const std::size_t entries = std::size_t{1} << k;
    if (theta.size() != entries || grad.size() != entries || (!sensitivity.empty() && sensitivity.size() != k))
        throw internal_error("area_penalty: " + std::to_string(theta.size()) + " entries for k = " + std::to_string(k));
    if (k == 0) return 0;  // a constant has no inputs to lose
    // In double: the pair differences of nearly equal q's are what the penalty is about.
    std::array<double, std::size_t{1} << core::relaxed_max_k> q, slope;
    if (entries > q.size()) throw internal_error("area_penalty: k = " + std::to_string(k) + " is beyond the relaxed engine's");
    for (std::size_t a = 0; a < entries; ++a) {
        q[a] = 1 / (1 + std::exp(-static_cast<double>(theta[a])));
        slope[a] = q[a] * (1 - q[a]);
    }
    const double pairs = static_cast<double>(entries / 2);
    double penalty = 0;
    for (unsigned i = 0; i < k; ++i) {
        // The pairs (a, a + bit) with bit i of a clear: blocks of `bit` addresses every 2·bit.
        const std::size_t bit = std::size_t{1} << i;
        double s = 0;
        for (std::size_t block = 0; block < entries; block += 2 * bit)
            for (std::size_t a = block; a < block + bit; ++a) s += std::abs(q[a] - q[a + bit]);
        s /= pairs;
        if (!sensitivity.empty()) sensitivity[i] = static_cast<float>(s);
        penalty += std::log1p(s / epsilon);
        const double weight = strength / (epsilon + s) / pairs;
        for (std::size_t block = 0; block < entries; block += 2 * bit)
            for (std::size_t a = block; a < block + bit; ++a) {
                const double d = q[a] - q[a + bit];
                const double pull = weight * static_cast<double>((d > 0) - (d < 0));
                grad[a] += static_cast<float>(pull * slope[a]);
                grad[a + bit] -= static_cast<float>(pull * slope[a + bit]);
            }
    }
    return strength * penalty;
}

area_rule::area_rule(area_params params, const session_setup& setup) : params_(params) {
    (void)setup;
    core::check_schema(params_);
}

double area_rule::strength_at(const epoch_position& at) const {
    if (at.phase_epoch < params_.start) return 0;
    if (params_.ramp == 0) return params_.strength;
    // Epoch start + r trains at (r + 1) / ramp of the strength: the ramp's last epoch at the full value.
    const double t = static_cast<double>(at.phase_epoch - params_.start + 1) / params_.ramp;
    return params_.strength * std::min(1.0, t);
}

void area_rule::begin(learning_context& ctx) {
    sensitivity_.assign(ctx.network().num_nodes(), std::numeric_limits<float>::quiet_NaN());
    hook_ = ctx.hooks().before_step(
        [this, &ctx](const batch_context&, std::span<float> grad_theta, std::span<const float> theta) {
            penalise(grad_theta, theta, ctx);
        });
}

void area_rule::end(learning_context& ctx) {
    if (hook_) ctx.hooks().remove(*hook_);
    hook_.reset();
}

void area_rule::penalise(std::span<float> grad, std::span<const float> theta, const learning_context& ctx) {
    const core::network& net = ctx.network();
    const std::vector<std::size_t> offsets = core::entry_offsets(net);
    if (grad.size() != offsets.back() || theta.size() != offsets.back())
        throw internal_error("area: a step of " + std::to_string(grad.size()) + " entries for " +
                             std::to_string(offsets.back()));
    const double strength = strength_at(ctx.position());
    if (strength == 0) return;  // before the ramp: nothing to add, and nothing to spend
    if (sensitivity_.size() != net.num_nodes()) sensitivity_.assign(net.num_nodes(), std::numeric_limits<float>::quiet_NaN());
    float inputs[core::relaxed_max_k];
    for (const std::uint32_t n : ctx.nodes()) {
        const unsigned k = net.k(n);
        if (k > core::relaxed_max_k) continue;  // the gradient rule refuses such a network before any step
        const std::size_t at = offsets[n], count = offsets[n + 1] - at;
        (void)area_penalty(theta.subspan(at, count), k, strength, params_.epsilon, grad.subspan(at, count),
                           std::span<float>(inputs, k));
        float sum = 0;
        for (unsigned i = 0; i < k; ++i) sum += inputs[i];
        sensitivity_[n] = sum;
    }
}

void area_rule::summarize(rule_summary& out, const learning_context& ctx) const {
    std::vector<float> column(ctx.network().num_nodes(), std::numeric_limits<float>::quiet_NaN());
    for (const std::uint32_t n : ctx.nodes())
        if (n < sensitivity_.size() && n < column.size()) column[n] = sensitivity_[n];
    out.add("sensitivity", std::move(column));
}

}  // namespace lutra::plasticity
