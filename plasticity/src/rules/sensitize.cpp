#include "lutra/plasticity/rules/sensitize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "entry_state.hpp"
#include "lutra/core/error.hpp"

namespace lutra::plasticity {

void describe(core::schema_visitor& v, sensitize_params& p) {
    v.field("gamma_up", p.gamma_up, "gain factor while an entry's gradient keeps its sign (> 1)",
            core::number_range{1.0, 100.0, true, false});
    v.field("gamma_down", p.gamma_down, "gain factor when the sign flips (between 0 and 1)",
            core::number_range{0.0, 1.0, true, true});
    v.field("gain_max", p.gain_max, "largest gain an entry reaches", core::closed(1.0, 1e6));
    v.field("gain_min", p.gain_min, "smallest gain an entry falls to", core::open_closed(0.0, 1.0));
    v.field("smoothing", p.smoothing,
            "the sign is taken of e = smoothing * e + (1 - smoothing) * gradient; 0 = of the gradient itself",
            core::number_range{0.0, 1.0, false, true});
}

sensitize_rule::sensitize_rule(sensitize_params params, const session_setup& setup)
    : params_(params), layout_(std::make_unique<detail::entry_layout>()) {
    (void)setup;
    core::check_schema(params_);
}

sensitize_rule::~sensitize_rule() = default;

void sensitize_rule::fit(const core::network& net) {
    *layout_ = detail::entry_layout(net);
    gain_.assign(layout_->entries(), 1.0F);
    prev_.assign(layout_->entries(), 0.0F);
    e_.assign(layout_->entries(), 0.0F);
}

void sensitize_rule::begin(learning_context& ctx) {
    if (gain_.empty() || detail::entry_layout(ctx.network()).entries() != layout_->entries()) fit(ctx.network());
    // Every gradient step of the phase passes through the gains.
    hook_ = ctx.hooks().before_step(
        [this, &ctx](const batch_context&, std::span<float> grad_theta, std::span<const float>) { learn(grad_theta, ctx); });
}

void sensitize_rule::end(learning_context& ctx) {
    if (hook_) ctx.hooks().remove(*hook_);
    hook_.reset();
}

void sensitize_rule::network_changed(const network_change& change, learning_context& ctx) {
    if (change.what != network_change::kind::structure) return;  // the gains belong to entries, not to their bits
    const detail::entry_layout::array arrays[] = {{&gain_, 1.0F}, {&prev_, 0.0F}, {&e_, 0.0F}};
    layout_->follow(ctx.network(), change.nodes, arrays);
}

void sensitize_rule::learn(std::span<float> g, const learning_context& ctx) {
    if (g.size() != gain_.size())
        throw internal_error("sensitize: a step of " + std::to_string(g.size()) + " entries for " +
                             std::to_string(gain_.size()));
    const auto up = static_cast<float>(params_.gamma_up), down = static_cast<float>(params_.gamma_down);
    const auto top = static_cast<float>(params_.gain_max), floor = static_cast<float>(params_.gain_min);
    const auto rho = static_cast<float>(params_.smoothing);
    const auto sign = [](float x) { return static_cast<float>((x > 0) - (x < 0)); };
    for (const std::uint32_t n : ctx.nodes()) {
        const std::size_t end = layout_->offset(n) + layout_->count(n);
        for (std::size_t i = layout_->offset(n); i < end; ++i) {
            const float e = rho == 0 ? g[i] : rho * e_[i] + (1 - rho) * g[i];
            const float s = sign(e);
            const float agreement = s * prev_[i];  // +1 kept, −1 flipped, 0 either is zero
            if (agreement > 0)
                gain_[i] = std::min(gain_[i] * up, top);
            else if (agreement < 0)
                gain_[i] = std::max(gain_[i] * down, floor);
            prev_[i] = s;
            e_[i] = e;
            g[i] *= gain_[i];
        }
    }
}

std::vector<float> sensitize_rule::entry_signal(const hard_activity& hard, const teaching_signal& signal,
                                                const learning_context& ctx) const {
    std::vector<float> g(gain_.size(), 0.0F);
    if (signal.dy == nullptr) return g;
    std::vector<std::uint32_t> address(hard.columns());
    for (const std::uint32_t n : ctx.nodes()) {
        hard.addresses(n, address);
        const std::span<const float> dy = signal.dy->node(n);
        float* entry = g.data() + layout_->offset(n);
        for (std::size_t c = 0; c < hard.columns(); ++c) entry[address[c]] += dy[c];
    }
    return g;
}

void sensitize_rule::tick(const tick_activity& activity, learning_context& ctx) {
    if (activity.signal.dy == nullptr) return;  // no sign to follow
    std::vector<float> g = entry_signal(activity.hard, activity.signal, ctx);
    learn(g, ctx);  // the scaled g is no step of anyone's: only the gains stay
}

void sensitize_rule::summarize(rule_summary& out, const learning_context& ctx) const {
    const std::uint32_t nodes = layout_->nodes();
    std::vector<float> mean(nodes, std::numeric_limits<float>::quiet_NaN()), capped = mean;
    const auto top = static_cast<float>(params_.gain_max);
    for (const std::uint32_t n : ctx.nodes()) {
        if (n >= nodes) continue;
        double sum = 0;
        std::size_t at_cap = 0;
        for (std::size_t i = layout_->offset(n); i < layout_->offset(n) + layout_->count(n); ++i) {
            sum += gain_[i];
            at_cap += gain_[i] >= top;
        }
        const auto count = static_cast<double>(layout_->count(n));
        mean[n] = static_cast<float>(sum / count);
        capped[n] = static_cast<float>(static_cast<double>(at_cap) / count);
    }
    out.add("gain_mean", std::move(mean));
    out.add("gain_capped", std::move(capped));
}

named_state sensitize_rule::state() const {
    named_state s;
    s.floats["gain"] = gain_;
    s.floats["prev"] = prev_;
    s.floats["e"] = e_;
    return s;
}

void sensitize_rule::restore(const named_state& state, learning_context& ctx) {
    (void)ctx;
    const std::string rule(rule_name);
    const std::size_t size = layout_->entries();
    std::vector<float> gain = detail::state_array(state, rule, "gain", size);
    std::vector<float> prev = detail::state_array(state, rule, "prev", size);
    std::vector<float> e = detail::state_array(state, rule, "e", size);
    gain_ = std::move(gain);
    prev_ = std::move(prev);
    e_ = std::move(e);
}

}  // namespace lutra::plasticity
