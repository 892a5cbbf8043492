#include "lutra/plasticity/rules/desensitize.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "entry_state.hpp"
#include "lutra/core/error.hpp"

namespace lutra::plasticity {

void describe(core::schema_visitor& v, desensitize_params& p) {
    v.field("tau", p.tau, "time constant of the efficacy, in batches (or ticks)", core::closed(1.0, 1e9));
    v.field("alpha", p.alpha, "recovery rate toward y0 (times z / tau per step)", core::closed(0.0, 1e3));
    v.field("beta", p.beta, "depression rate per unit of stimulation (times y / tau)", core::closed(0.0, 1e3));
    v.field("gamma", p.gamma, "how fast stimulation lowers the recovery rate z (the slow timescale)",
            core::closed(0.0, 1e3));
    v.field("y0", p.y0, "resting efficacy: the gradient step's scale at rest", core::open_closed(0.0, 1.0));
    v.field("z0", p.z0, "recovery rate at the start, below 1 (z = 1 never moves)",
            core::number_range{0.0, 1.0, true, true});
    v.field("threshold", p.threshold,
            "per-column |dL/dy| below which addressing an entry has no consequence", core::closed(0.0, 1e9));
    v.field("dishabituation", p.dishabituation,
            "fraction of (y0 - y) a novel stimulus to the node restores in its habituated entries", core::closed(0.0, 1.0));
    v.field("novelty", p.novelty, "an addressed entry with efficacy >= this is a novel stimulus (at most y0)",
            core::closed(0.0, 1.0));
}

desensitize_rule::desensitize_rule(desensitize_params params, const session_setup& setup)
    : params_(params), layout_(std::make_unique<detail::entry_layout>()) {
    (void)setup;
    core::check_schema(params_);
    if (params_.novelty > params_.y0)
        throw core::schema_error("novelty", "expected at most y0 = " + core::number_text(params_.y0) + ", got " +
                                                core::number_text(params_.novelty) +
                                                " (no entry could ever be novel by efficacy)");
}

desensitize_rule::~desensitize_rule() = default;

void desensitize_rule::fit(const core::network& net) {
    *layout_ = detail::entry_layout(net);
    y_.assign(layout_->entries(), static_cast<float>(params_.y0));
    z_.assign(layout_->entries(), static_cast<float>(params_.z0));
}

void desensitize_rule::begin(learning_context& ctx) {
    if (y_.empty() || detail::entry_layout(ctx.network()).entries() != layout_->entries()) fit(ctx.network());
    // Every gradient step of the phase is scaled by the efficacies.
    hook_ = ctx.hooks().before_step([this, &ctx](const batch_context&, std::span<float> g, std::span<const float>) {
        if (g.size() != y_.size())
            throw internal_error("desensitize: a step of " + std::to_string(g.size()) + " entries for " +
                                 std::to_string(y_.size()));
        for (const std::uint32_t n : ctx.nodes())
            for (std::size_t i = layout_->offset(n); i < layout_->offset(n) + layout_->count(n); ++i) g[i] *= y_[i];
    });
}

void desensitize_rule::end(learning_context& ctx) {
    if (hook_) ctx.hooks().remove(*hook_);
    hook_.reset();
}

void desensitize_rule::network_changed(const network_change& change, learning_context& ctx) {
    if (change.what != network_change::kind::structure) return;
    const detail::entry_layout::array arrays[] = {{&y_, static_cast<float>(params_.y0)},
                                                  {&z_, static_cast<float>(params_.z0)}};
    layout_->follow(ctx.network(), change.nodes, arrays);
}

void desensitize_rule::batch(const batch_activity& activity, learning_context& ctx, batch_measure& measure) {
    (void)measure;
    if (activity.hard == nullptr) throw internal_error("desensitize: the session gave no activity");
    learn(*activity.hard, activity.signal, ctx);
}

void desensitize_rule::tick(const tick_activity& activity, learning_context& ctx) {
    learn(activity.hard, activity.signal, ctx);
}

void desensitize_rule::learn(const hard_activity& hard, const teaching_signal& signal, const learning_context& ctx) {
    const core::network& net = hard.net();
    if (layout_->entries() != y_.size() || layout_->nodes() != net.num_nodes())
        throw internal_error("desensitize: activity of another network than the rule's");
    const std::size_t columns = hard.columns(), words = hard.words();
    if (signal.dy != nullptr && signal.dy->samples() != columns)
        throw internal_error("desensitize: dy of " + std::to_string(signal.dy->samples()) + " samples for " +
                             std::to_string(columns) + " columns");
    const bool labelled = signal.labels.size() >= columns && net.head().num_classes > 0;
    if (labelled && classes_.size() != net.num_nodes()) classes_ = head_classes(net);
    const auto inv_tau = static_cast<float>(1.0 / params_.tau);
    const auto alpha = static_cast<float>(params_.alpha), beta = static_cast<float>(params_.beta);
    const auto gamma = static_cast<float>(params_.gamma), y0 = static_cast<float>(params_.y0);
    const auto delta = static_cast<float>(params_.dishabituation), novelty = static_cast<float>(params_.novelty);
    const float per_column = columns ? 1.0F / static_cast<float>(columns) : 0.0F;
    consequence_.resize(words);
    for (const std::uint32_t n : ctx.nodes()) {
        const std::size_t entries = layout_->count(n), first = layout_->offset(n);
        // Which columns had consequence for this node.
        std::fill(consequence_.begin(), consequence_.end(), 0);
        if (signal.dy != nullptr) {
            const auto threshold = static_cast<float>(params_.threshold);
            for (std::size_t c = 0; c < columns; ++c)
                if (std::abs(detail::sample_dy(signal, n, c, columns)) >= threshold)
                    consequence_[c / 64] |= std::uint64_t{1} << (c % 64);
        } else if (labelled && classes_[n] >= 0) {
            const std::span<const std::uint64_t> out = hard.output(n);
            for (std::size_t c = 0; c < columns; ++c) {
                const bool bit = (out[c / 64] >> (c % 64)) & 1U;
                const bool target = signal.labels[c] == static_cast<std::uint16_t>(classes_[n]);
                if (bit != target) consequence_[c / 64] |= std::uint64_t{1} << (c % 64);
            }
        }
        masks_.resize(entries * words);
        hard.entry_masks(n, masks_);
        novel_.assign(entries, 0);
        bool any_novel = false;
        for (std::size_t a = 0; a < entries; ++a) {
            std::size_t quiet = 0, loud = 0;
            for (std::size_t w = 0; w < words; ++w) {
                const std::uint64_t m = masks_[a * words + w];
                quiet += static_cast<std::size_t>(std::popcount(m & ~consequence_[w]));
                loud += static_cast<std::size_t>(std::popcount(m & consequence_[w]));
            }
            float& y = y_[first + a];
            float& z = z_[first + a];
            // Novelty is judged on the efficacy before this step.
            if (loud > 0 || (quiet > 0 && y >= novelty)) novel_[a] = 1, any_novel = true;
            const float s = static_cast<float>(quiet) * per_column;
            const float y_next = y + inv_tau * (alpha * z * (y0 - y) - beta * y * s);
            z = std::clamp(z + gamma * z * (z - 1) * s, 0.0F, 1.0F);
            y = std::clamp(y_next, 0.0F, y0);
        }
        if (any_novel && delta > 0)
            for (std::size_t a = 0; a < entries; ++a)
                if (!novel_[a]) y_[first + a] += delta * (y0 - y_[first + a]);
    }
}

void desensitize_rule::summarize(rule_summary& out, const learning_context& ctx) const {
    const std::uint32_t nodes = layout_->nodes();
    std::vector<float> efficacy(nodes, std::numeric_limits<float>::quiet_NaN()), recovery = efficacy,
        habituated = efficacy;
    const auto novelty = static_cast<float>(params_.novelty);
    for (const std::uint32_t n : ctx.nodes()) {
        if (n >= nodes) continue;
        double y = 0, z = 0;
        std::size_t low = 0;
        for (std::size_t i = layout_->offset(n); i < layout_->offset(n) + layout_->count(n); ++i) {
            y += y_[i];
            z += z_[i];
            low += y_[i] < novelty;
        }
        const auto count = static_cast<double>(layout_->count(n));
        efficacy[n] = static_cast<float>(y / count);
        recovery[n] = static_cast<float>(z / count);
        habituated[n] = static_cast<float>(static_cast<double>(low) / count);
    }
    out.add("efficacy_mean", std::move(efficacy));
    out.add("recovery_mean", std::move(recovery));
    out.add("habituated", std::move(habituated));
}

named_state desensitize_rule::state() const {
    named_state s;
    s.floats["y"] = y_;
    s.floats["z"] = z_;
    return s;
}

void desensitize_rule::restore(const named_state& state, learning_context& ctx) {
    (void)ctx;
    const std::string rule(rule_name);
    std::vector<float> y = detail::state_array(state, rule, "y", layout_->entries());
    std::vector<float> z = detail::state_array(state, rule, "z", layout_->entries());
    y_ = std::move(y);
    z_ = std::move(z);
}

}  // namespace lutra::plasticity
