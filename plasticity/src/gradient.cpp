#include "lutra/plasticity/gradient.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "lutra/core/error.hpp"
#include "lutra/core/loss.hpp"

namespace lutra::plasticity {

void describe(core::schema_visitor& v, optimizer_params& p) {
    v.choice("kind", p.kind, optimizer_kinds, "adam or sgd");
    v.field("learning_rate", p.learning_rate, "learning rate at the phase's first epoch", core::open_closed(0.0, 1e3));
    v.field("beta1", p.beta1, "adam: first-moment decay", core::number_range{0.0, 1.0, false, true});
    v.field("beta2", p.beta2, "adam: second-moment decay", core::number_range{0.0, 1.0, false, true});
    v.field("epsilon", p.epsilon, "adam: added to the root of the second moment", core::open_closed(0.0, 1.0));
    v.field("momentum", p.momentum, "sgd: heavy-ball momentum", core::number_range{0.0, 1.0, false, true});
    v.choice("schedule", p.schedule, schedule_kinds,
             "learning rate: constant, step (x gamma every step_epochs), cosine (to 0 at the phase's end)");
    v.field("step_epochs", p.step_epochs, "step: epochs between decays", 1U, 1U << 20);
    v.field("gamma", p.gamma, "step: decay factor", core::open_closed(0.0, 1.0));
}

void describe(core::schema_visitor& v, gradient_params& p) {
    v.field("init_scale", p.init_scale, "initial parameters: +-init_scale from the table bits", 0.0, 100.0);
    v.field("sharpen", p.sharpen,
            "anneal toward hard entries: w = sigmoid(beta * theta), beta from 1 to this over the phase; 1 = off", 1.0,
            1e3);
    v.section("optimizer", p.optimizer, "the optimizer and its learning-rate schedule");
}

gradient_rule::gradient_rule(gradient_params params, session_setup setup)
    : params_(std::move(params)), setup_(std::move(setup)) {
    core::check_schema(params_);
    if (setup_.batch_size == 0) throw core::schema_error("batch_size", "expected an integer >= 1, got 0");
    if (!(setup_.tau > 0) || !std::isfinite(setup_.tau))
        throw core::schema_error("tau", "expected a positive number, got " + core::number_text(setup_.tau));
}

void gradient_rule::check(const core::network& net) const {
    const std::string name(rule_name);
    if (net.head().num_classes == 0)
        throw rule_limit_error(name, rule_limit_error::no_node, "head", "needs a group-sum head to train against");
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        if (net.k(n) > core::relaxed_max_k)
            throw rule_limit_error(name, n, "k",
                                   "k = " + std::to_string(net.k(n)) + ", but the relaxed engine takes k ≤ " +
                                       std::to_string(core::relaxed_max_k) + " (2^k trainable entries a node)");
        if (!setup_.engine.sequence)
            for (const std::uint32_t d : net.delays(n))
                if (d != 0)
                    throw rule_limit_error(name, n, "delays",
                                           "a delayed slot; train on sequences (time.sequence) to learn through time");
    }
}

double gradient_rule::slope(std::uint32_t phase_epoch, std::uint32_t phase_epochs) const {
    if (phase_epochs <= 1) return params_.sharpen;
    const double t = std::min(1.0, static_cast<double>(phase_epoch) / (phase_epochs - 1));
    return 1.0 + (params_.sharpen - 1.0) * t;
}

double gradient_rule::learning_rate(std::uint32_t phase_epoch, std::uint32_t phase_epochs) const {
    const optimizer_params& o = params_.optimizer;
    if (o.schedule == "step")
        return o.learning_rate * std::pow(o.gamma, static_cast<double>(phase_epoch / o.step_epochs));
    if (o.schedule == "cosine") {
        const double t = phase_epochs ? std::min(1.0, static_cast<double>(phase_epoch) / phase_epochs) : 0.0;
        return o.learning_rate * 0.5 * (1 + std::cos(std::numbers::pi * t));
    }
    return o.learning_rate;
}

void gradient_rule::update_w(double beta) {
    beta_ = beta;
    const auto b = static_cast<float>(beta);
    for (std::size_t i = 0; i < theta_.size(); ++i) scaled_[i] = b * theta_[i];
    core::sigmoid(scaled_, w_);
}

core::relaxed_options gradient_rule::engine_options() const {
    core::relaxed_options options = setup_.engine;
    options.watched_slots.assign(wiring_.slots().begin(), wiring_.slots().end());
    return options;
}

void gradient_rule::rebuild(const core::network& net, std::span<const std::uint32_t> changed) {
    const std::vector<float> bits = core::table_entries(net);
    const auto scale = static_cast<float>(params_.init_scale);
    std::vector<float> theta(bits.size()), m(bits.size(), 0.0F), v(bits.size(), 0.0F);
    for (std::size_t i = 0; i < bits.size(); ++i) theta[i] = bits[i] > 0.5F ? scale : -scale;
    if (engine_ && !theta_.empty()) {
        // Nodes that kept their shape keep their parameters and moments.
        std::vector<bool> fresh(net.num_nodes(), changed.empty());
        for (const std::uint32_t n : changed) fresh.at(n) = true;
        const std::vector<std::size_t> now = core::entry_offsets(net);
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
            const std::size_t count = now[n + 1] - now[n];
            if (fresh[n] || n >= engine_->net().num_nodes() || engine_->net().k(n) != net.k(n)) continue;
            const std::size_t was = engine_->entry_offset(n);
            std::copy_n(theta_.begin() + was, count, theta.begin() + now[n]);
            std::copy_n(m_.begin() + was, count, m.begin() + now[n]);
            std::copy_n(v_.begin() + was, count, v.begin() + now[n]);
        }
    }
    engine_.emplace(net, engine_options());
    theta_ = std::move(theta);
    m_ = std::move(m);
    v_ = std::move(v);
    w_.resize(theta_.size());
    scaled_.resize(theta_.size());
    grad_w_.resize(theta_.size());
    grad_theta_.resize(theta_.size());
    update_w(beta_);
}

void gradient_rule::follow_tables(const core::network& net) {
    const std::vector<float> bits = core::table_entries(net);
    const auto scale = static_cast<float>(params_.init_scale);
    for (std::size_t i = 0; i < bits.size(); ++i) {
        const bool bit = bits[i] > 0.5F;
        if (bit == (w_[i] > 0.5F)) continue;
        theta_[i] = bit ? scale : -scale;
        m_[i] = v_[i] = 0.0F;
    }
    update_w(beta_);
}

void gradient_rule::write_tables(learning_context& ctx) const {
    // With learnable wiring the engine's network holds the chosen sources.
    ctx.network() = core::harden(wiring_.empty() ? ctx.network() : engine_->net(), w_);
}

void gradient_rule::begin(learning_context& ctx) {
    check(ctx.network());
    others_read_tables_ = ctx.active_rules() > 1;
    frozen_.clear();
    if (ctx.nodes().size() != ctx.network().num_nodes())
        for (std::uint32_t n = 0; n < ctx.network().num_nodes(); ++n)
            if (!ctx.applies_to(n)) frozen_.push_back(n);
    if (!engine_) {
        wiring_ = learned_wiring(ctx.candidates(), ctx.network());
        rebuild(ctx.network(), {});
        // The tables are θ hardened from here on (init_scale 0 hardens every bit to 0).
        write_tables(ctx);
    } else {
        // The phase resumes after other phases changed the network.
        if (engine_->net().arrays().k != ctx.network().arrays().k ||
            engine_->net().arrays().sources != ctx.network().arrays().sources)
            rebuild(ctx.network(), {});
        follow_tables(ctx.network());
    }
}

void gradient_rule::network_changed(const network_change& change, learning_context& ctx) {
    if (change.what == network_change::kind::structure) {
        // Slots may have moved: the pools start again from the new wiring.
        wiring_ = learned_wiring(ctx.candidates(), ctx.network());
        rebuild(ctx.network(), change.nodes);
    }
    follow_tables(ctx.network());
}

void optimizer_step(const optimizer_params& o, std::uint64_t step, float lr, std::span<float> x,
                    std::span<float> m, std::span<float> v, std::span<const float> grad) {
    if (o.kind == "adam") {
        const auto b1 = static_cast<float>(o.beta1), b2 = static_cast<float>(o.beta2);
        const auto eps = static_cast<float>(o.epsilon);
        const auto c1 = static_cast<float>(1 - std::pow(o.beta1, static_cast<double>(step)));
        const auto c2 = static_cast<float>(1 - std::pow(o.beta2, static_cast<double>(step)));
        for (std::size_t i = 0; i < x.size(); ++i) {
            const float g = grad[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            x[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
        }
    } else {
        const auto mu = static_cast<float>(o.momentum);
        for (std::size_t i = 0; i < x.size(); ++i) {
            m[i] = mu * m[i] + grad[i];
            x[i] -= lr * m[i];
        }
    }
}

void gradient_rule::step(std::span<const float> grad_theta, double learning_rate) {
    ++steps_;
    optimizer_step(params_.optimizer, steps_, static_cast<float>(learning_rate), theta_, m_, v_, grad_theta);
    update_w(beta_);
}

void gradient_rule::batch(const batch_activity& a, learning_context& ctx, batch_measure& measure) {
    const double lr = learning_rate(a.at.phase_epoch, a.at.phase_epochs);
    current_lr_ = lr;
    if (a.batch == 0) update_w(slope(a.at.phase_epoch, a.at.phase_epochs));  // this epoch's slope
    const auto beta = static_cast<float>(beta_);
    const batch_context hook_ctx{a.at.epoch, a.batch, a.first_sample, a.samples, lr};
    engine_->forward(a.inputs, a.first_sample, a.samples, w_, y_);
    ctx.hooks().fire_after_forward(hook_ctx, y_);
    if (dy_.nodes() != y_.nodes() || dy_.samples() != a.samples)
        dy_ = core::relaxed_engine::activations(y_.nodes(), a.samples);
    dy_.zero();
    const core::group_sum_loss_result loss =
        core::group_sum_loss(engine_->head(), y_, a.labels, setup_.tau, &dy_);
    if (!measure.measured) {
        measure.measured = true;
        measure.loss_sum = loss.loss_sum;
        measure.correct = loss.correct;
    }
    std::fill(grad_w_.begin(), grad_w_.end(), 0.0F);
    engine_->backward(a.inputs, a.first_sample, a.samples, w_, y_, dy_, grad_w_, wiring_.empty() ? nullptr : &slot_dy_);
    core::sigmoid_backward(w_, grad_w_, grad_theta_);
    if (beta != 1.0F)
        for (float& g : grad_theta_) g *= beta;
    ctx.hooks().fire_after_backward(hook_ctx, dy_, grad_theta_);
    if (ctx.hooks().has_tick_hooks()) {
        const std::uint32_t ticks = engine_->sequence() ? engine_->sequence()->ticks : 1;
        for (std::uint32_t t = 0; t < ticks; ++t)
            ctx.hooks().fire_after_tick(hook_ctx, {t, &*engine_, &y_}, {t, &*engine_, &dy_});
    }
    ctx.hooks().fire_before_step(hook_ctx, grad_theta_, theta_);
    // Nodes outside the phase's populations keep their entries.
    for (const std::uint32_t n : frozen_) {
        const std::size_t at = engine_->entry_offset(n);
        std::fill_n(grad_theta_.begin() + static_cast<std::ptrdiff_t>(at), std::size_t{1} << engine_->net().k(n), 0.0F);
    }
    step(grad_theta_, lr);
    if (!wiring_.empty()) {
        core::network_arrays arrays = engine_->net().arrays();
        if (wiring_.learn(a.inputs, a.first_sample, a.samples, y_, slot_dy_, params_.optimizer, steps_,
                          static_cast<float>(lr), engine_->threads(), arrays.sources))
            engine_.emplace(core::network(std::move(arrays)), engine_options());
    }
    if (others_read_tables_) write_tables(ctx);
}

void gradient_rule::end_epoch(learning_context& ctx) {
    // w follows the next epoch's slope from here, which is what the tables,
    // evaluations and checkpoints of this epoch see.
    const epoch_position at = ctx.position();
    update_w(slope(at.phase_epoch + 1, at.phase_epochs));
    write_tables(ctx);
}

void gradient_rule::end(learning_context& ctx) { write_tables(ctx); }

named_state gradient_rule::state() const {
    named_state s;
    s.floats["theta"] = theta_;
    s.floats["m"] = m_;
    s.floats["v"] = v_;
    s.integers["steps"] = {steps_};
    wiring_.save(s);
    return s;
}

void gradient_rule::restore(const named_state& state, learning_context& ctx) {
    const auto array = [&state](const char* name) -> const std::vector<float>& {
        const auto found = state.floats.find(name);
        if (found == state.floats.end()) throw error(std::string("gradient state: no '") + name + "'");
        return found->second;
    };
    for (const char* name : {"theta", "m", "v"})
        if (array(name).size() != theta_.size())
            throw error(std::string("gradient state: ") + name + " has " + std::to_string(array(name).size()) +
                        " values for a network of " + std::to_string(theta_.size()) + " table entries");
    const auto steps = state.integers.find("steps");
    if (steps == state.integers.end() || steps->second.size() != 1) throw error("gradient state: no 'steps'");
    theta_ = array("theta");
    m_ = array("m");
    v_ = array("v");
    steps_ = steps->second[0];
    wiring_.restore(state);
    const epoch_position at = ctx.position();
    update_w(slope(at.phase_epoch, at.phase_epochs));  // w follows θ and the epoch's slope
}

gradient_rule::evaluation gradient_rule::evaluate(const core::bit_matrix& inputs,
                                                   std::span<const std::uint16_t> labels) const {
    if (labels.size() != inputs.samples())
        throw error("evaluate: " + std::to_string(labels.size()) + " labels for " + std::to_string(inputs.samples()) +
                    " samples");
    core::relaxed_engine::activations y;
    double loss = 0;
    std::size_t correct = 0;
    // Larger batches than training (no gradients are kept), as long as a
    // batch of sequences holds no more activations than 1,024 static samples.
    const std::size_t ticks = engine_->sequence() ? engine_->sequence()->ticks : 1;
    const std::size_t batch = std::max<std::size_t>(setup_.batch_size, 1024 / ticks);
    for (std::size_t first = 0; first < inputs.samples(); first += batch) {
        const std::size_t count = std::min(batch, inputs.samples() - first);
        engine_->forward(inputs, first, count, w_, y);
        const core::group_sum_loss_result r =
            core::group_sum_loss(engine_->head(), y, labels.subspan(first, count), setup_.tau);
        loss += r.loss_sum;
        correct += r.correct;
    }
    const auto n = static_cast<double>(std::max<std::size_t>(1, inputs.samples()));
    return {loss / n, static_cast<double>(correct) / n};
}

}  // namespace lutra::plasticity
