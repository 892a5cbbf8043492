#include "lutra/core/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "lutra/core/error.hpp"
#include "lutra/core/names.hpp"

namespace lutra::core {

namespace {

void check(bool ok, const std::string& field, const std::string& problem) {
    if (!ok) throw error("train." + field + ": " + problem);
}

void check_choice(std::string_view field, const std::string& value, std::span<const std::string_view> valid) {
    if (std::find(valid.begin(), valid.end(), value) == valid.end())
        throw unknown_name_error(std::string(field), value,
                                 "train." + std::string(field) + ": '" + value + "' is not one of " + join_names(valid) +
                                     did_you_mean(value, valid));
}

void check_params(const trainer_params& p, const network& net) {
    check(p.batch_size >= 1, "batch_size", "must be at least 1");
    check(std::isfinite(p.tau) && p.tau > 0, "tau", "must be a positive number, got " + std::to_string(p.tau));
    check(std::isfinite(p.init_scale) && p.init_scale >= 0, "init_scale", "must be ≥ 0");
    check(std::isfinite(p.sharpen) && p.sharpen >= 1, "sharpen", "must be ≥ 1 (1 = no annealing)");
    const optimizer_params& o = p.optimizer;
    check_choice("optimizer.kind", o.kind, optimizer_kinds);
    check_choice("optimizer.schedule", o.schedule, schedule_kinds);
    check(std::isfinite(o.learning_rate) && o.learning_rate > 0, "optimizer.learning_rate", "must be positive");
    check(o.beta1 >= 0 && o.beta1 < 1, "optimizer.beta1", "must be in [0, 1)");
    check(o.beta2 >= 0 && o.beta2 < 1, "optimizer.beta2", "must be in [0, 1)");
    check(o.epsilon > 0, "optimizer.epsilon", "must be positive");
    check(o.momentum >= 0 && o.momentum < 1, "optimizer.momentum", "must be in [0, 1)");
    check(o.step_epochs >= 1, "optimizer.step_epochs", "must be at least 1");
    check(o.gamma > 0 && o.gamma <= 1, "optimizer.gamma", "must be in (0, 1]");
    if (net.head().num_classes == 0) throw error("train: the network has no group-sum head to train against");
}

}  // namespace

trainer::trainer(network initial, trainer_params params)
    : params_(std::move(params)), engine_((check_params(params_, initial), std::move(initial)), params_.engine) {
    const std::vector<float> bits = table_entries(engine_.net());
    theta_.resize(bits.size());
    const auto scale = static_cast<float>(params_.init_scale);
    for (std::size_t i = 0; i < bits.size(); ++i) theta_[i] = bits[i] > 0.5F ? scale : -scale;
    w_.resize(theta_.size());
    scaled_.resize(theta_.size());
    update_w();
    m_.assign(theta_.size(), 0.0F);
    v_.assign(theta_.size(), 0.0F);
}

trainer_state trainer::state() const { return {theta_, m_, v_, steps_, epoch_}; }

void trainer::restore(const trainer_state& state) {
    const auto check_size = [this](const char* name, const std::vector<float>& values) {
        if (values.size() != theta_.size())
            throw error(std::string("trainer restore: ") + name + " has " + std::to_string(values.size()) +
                        " values for a network of " + std::to_string(theta_.size()) + " table entries");
    };
    check_size("theta", state.theta);
    check_size("m", state.m);
    check_size("v", state.v);
    theta_ = state.theta;
    m_ = state.m;
    v_ = state.v;
    steps_ = state.steps;
    epoch_ = state.epoch;
    update_w();  // w follows θ and the epoch's slope
}

double trainer::slope(std::uint32_t epoch) const {
    if (params_.epochs <= 1) return params_.sharpen;
    const double t = std::min(1.0, static_cast<double>(epoch) / (params_.epochs - 1));
    return 1.0 + (params_.sharpen - 1.0) * t;
}

void trainer::update_w() {
    const auto beta = static_cast<float>(slope(epoch_));
    for (std::size_t i = 0; i < theta_.size(); ++i) scaled_[i] = beta * theta_[i];
    sigmoid(scaled_, w_);
}

double trainer::learning_rate(std::uint32_t epoch) const {
    const optimizer_params& o = params_.optimizer;
    if (o.schedule == "step") return o.learning_rate * std::pow(o.gamma, static_cast<double>(epoch / o.step_epochs));
    if (o.schedule == "cosine") {
        const double t = params_.epochs ? std::min(1.0, static_cast<double>(epoch) / params_.epochs) : 0.0;
        return o.learning_rate * 0.5 * (1 + std::cos(std::numbers::pi * t));
    }
    return o.learning_rate;
}

// Softmax cross-entropy over the class scores s_c = (Σ_{j ∈ group c} y_j) / τ;
// dL/dy_j = (softmax_c − [c = label]) / (τ · batch) for every j in group c.
double trainer::head_loss(const relaxed_engine::activations& y, std::span<const std::uint16_t> labels,
                          relaxed_engine::activations* dy, std::size_t& correct) const {
    const group_sum_head& head = engine_.net().head();
    const std::uint32_t classes = head.num_classes;
    const std::size_t group = head.outputs.size() / classes;
    const std::size_t n = y.samples();
    const double inv_tau = 1.0 / params_.tau;
    std::vector<double> score(n * classes, 0.0);
    for (std::uint32_t c = 0; c < classes; ++c)
        for (std::size_t j = 0; j < group; ++j) {
            const auto row = y.node(head.outputs[c * group + j]);
            for (std::size_t s = 0; s < n; ++s) score[s * classes + c] += row[s];
        }
    double loss = 0;
    std::vector<double> grad(n * classes);
    for (std::size_t s = 0; s < n; ++s) {
        double* sc = score.data() + s * classes;
        const std::uint32_t best = static_cast<std::uint32_t>(std::max_element(sc, sc + classes) - sc);
        if (best == labels[s]) ++correct;
        double top = -INFINITY;
        for (std::uint32_t c = 0; c < classes; ++c) top = std::max(top, sc[c] * inv_tau);
        double total = 0;
        for (std::uint32_t c = 0; c < classes; ++c) total += std::exp(sc[c] * inv_tau - top);
        const double log_total = std::log(total) + top;
        loss += log_total - sc[labels[s]] * inv_tau;
        for (std::uint32_t c = 0; c < classes; ++c)
            grad[s * classes + c] =
                (std::exp(sc[c] * inv_tau - log_total) - (c == labels[s] ? 1.0 : 0.0)) * inv_tau / static_cast<double>(n);
    }
    if (dy != nullptr)
        for (std::uint32_t c = 0; c < classes; ++c)
            for (std::size_t j = 0; j < group; ++j) {
                auto row = dy->node(head.outputs[c * group + j]);
                for (std::size_t s = 0; s < n; ++s) row[s] += static_cast<float>(grad[s * classes + c]);
            }
    return loss;
}

void trainer::step(std::span<const float> grad_theta, double learning_rate) {
    const optimizer_params& o = params_.optimizer;
    ++steps_;
    const auto lr = static_cast<float>(learning_rate);
    if (o.kind == "adam") {
        const auto b1 = static_cast<float>(o.beta1), b2 = static_cast<float>(o.beta2);
        const auto eps = static_cast<float>(o.epsilon);
        const auto c1 = static_cast<float>(1 - std::pow(o.beta1, static_cast<double>(steps_)));
        const auto c2 = static_cast<float>(1 - std::pow(o.beta2, static_cast<double>(steps_)));
        for (std::size_t i = 0; i < theta_.size(); ++i) {
            const float g = grad_theta[i];
            m_[i] = b1 * m_[i] + (1 - b1) * g;
            v_[i] = b2 * v_[i] + (1 - b2) * g * g;
            theta_[i] -= lr * (m_[i] / c1) / (std::sqrt(v_[i] / c2) + eps);
        }
    } else {
        const auto mu = static_cast<float>(o.momentum);
        for (std::size_t i = 0; i < theta_.size(); ++i) {
            m_[i] = mu * m_[i] + grad_theta[i];
            theta_[i] -= lr * m_[i];
        }
    }
    update_w();
}

epoch_result trainer::train_epoch(const bit_matrix& inputs, std::span<const std::uint16_t> labels,
                                  const std::function<void(std::size_t)>& progress) {
    if (labels.size() != inputs.samples())
        throw error("train: " + std::to_string(labels.size()) + " labels for " + std::to_string(inputs.samples()) +
                    " samples");
    const double lr = learning_rate(epoch_);
    update_w();  // this epoch's slope
    const auto beta = static_cast<float>(slope(epoch_));
    relaxed_engine::activations y, dy;
    std::vector<float> grad_w(theta_.size()), grad_theta(theta_.size());
    epoch_result r;
    std::size_t correct = 0;
    for (std::size_t first = 0, batch = 0; first < inputs.samples(); first += params_.batch_size, ++batch) {
        const std::size_t count = std::min(params_.batch_size, inputs.samples() - first);
        const batch_context ctx{epoch_, batch, first, count, lr};
        engine_.forward(inputs, first, count, w_, y);
        for (const auto& hook : hooks_.after_forward_) hook(ctx, y);
        if (dy.nodes() != y.nodes() || dy.samples() != count) dy = relaxed_engine::activations(y.nodes(), count);
        dy.zero();
        r.loss += head_loss(y, labels.subspan(first, count), &dy, correct);
        std::fill(grad_w.begin(), grad_w.end(), 0.0F);
        engine_.backward(inputs, first, count, w_, y, dy, grad_w);
        sigmoid_backward(w_, grad_w, grad_theta);
        if (beta != 1.0F)
            for (float& g : grad_theta) g *= beta;
        for (const auto& hook : hooks_.after_backward_) hook(ctx, dy, grad_theta);
        for (const auto& hook : hooks_.before_step_) hook(ctx, grad_theta, theta_);
        step(grad_theta, lr);
        if (progress) progress(count);
    }
    ++epoch_;
    update_w();
    r.samples = inputs.samples();
    r.loss /= static_cast<double>(std::max<std::size_t>(1, r.samples));
    r.accuracy = static_cast<double>(correct) / static_cast<double>(std::max<std::size_t>(1, r.samples));
    return r;
}

epoch_result trainer::evaluate(const bit_matrix& inputs, std::span<const std::uint16_t> labels) const {
    if (labels.size() != inputs.samples())
        throw error("evaluate: " + std::to_string(labels.size()) + " labels for " +
                    std::to_string(inputs.samples()) + " samples");
    relaxed_engine::activations y;
    epoch_result r;
    std::size_t correct = 0;
    // Larger batches than training: no gradients are kept.
    const std::size_t batch = std::max<std::size_t>(params_.batch_size, 1024);
    for (std::size_t first = 0; first < inputs.samples(); first += batch) {
        const std::size_t count = std::min(batch, inputs.samples() - first);
        engine_.forward(inputs, first, count, w_, y);
        r.loss += head_loss(y, labels.subspan(first, count), nullptr, correct);
    }
    r.samples = inputs.samples();
    r.loss /= static_cast<double>(std::max<std::size_t>(1, r.samples));
    r.accuracy = static_cast<double>(correct) / static_cast<double>(std::max<std::size_t>(1, r.samples));
    return r;
}

network trainer::hardened() const { return harden(engine_.net(), w_); }

bit_matrix permute_samples(const bit_matrix& m, std::span<const std::uint32_t> order) {
    if (order.size() != m.samples())
        throw error("permute_samples: an order of " + std::to_string(order.size()) + " for " +
                    std::to_string(m.samples()) + " samples");
    bit_matrix out(m.rows(), m.samples());
    for (std::size_t r = 0; r < m.rows(); ++r) {
        const std::uint64_t* src = m.row(r).data();
        std::uint64_t* dst = out.row(r).data();
        for (std::size_t s = 0; s < order.size(); ++s)
            dst[s / 64] |= ((src[order[s] / 64] >> (order[s] % 64)) & 1U) << (s % 64);
    }
    return out;
}

}  // namespace lutra::core
