#pragma once
// Gradient hooks (DESIGN §4.3): the public seam where other code meets the
// gradient — plasticity rules and users' own C++. The gradient rule fires
// them every minibatch: after the forward pass (every node's output
// probability per sample), after the backward pass (every node's dL/dy per
// sample and dL/dθ per entry), per tick of a sequence after the backward
// pass (that tick's outputs and dL/dy), and before the optimizer step (dL/dθ
// writable: to mask, clip, freeze or redirect). Hooks run in registration
// order on the calling thread; remove() takes one out again.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "lutra/core/relaxed.hpp"

namespace lutra::plasticity {

// Where training is when a hook runs.
struct batch_context {
    std::uint32_t epoch;        // 0-based, over the whole schedule
    std::size_t batch;          // 0-based within the epoch
    std::size_t first_sample;   // the batch is samples [first_sample, first_sample + samples)
    std::size_t samples;
    double learning_rate;       // this epoch's
};

// One tick of a batch: node n's row at that tick (a static batch is tick 0).
struct tick_rows {
    std::uint32_t tick;
    const core::relaxed_engine* engine;
    const core::relaxed_engine::activations* rows;
    // Empty for a copy no readout depends on (the engine skips it).
    [[nodiscard]] std::span<const float> node(std::uint32_t n) const {
        const std::uint32_t r = engine->row(tick, n);
        return r == core::no_tick ? std::span<const float>() : rows->node(r);
    }
};

class gradient_hooks {
public:
    // Every node's output probability for the batch.
    using after_forward_fn = std::function<void(const batch_context&, const core::relaxed_engine::activations& y)>;
    // Every node's dL/dy per sample, and dL/dθ (per entry, summed over the batch).
    using after_backward_fn = std::function<void(const batch_context&, const core::relaxed_engine::activations& dy,
                                                 std::span<const float> grad_theta)>;
    // dL/dθ as the optimizer will use it, writable; θ before the step.
    using before_step_fn =
        std::function<void(const batch_context&, std::span<float> grad_theta, std::span<const float> theta)>;

    // After the backward pass, once per tick in tick order: every node's
    // output probability and dL/dy at that tick (sequences; a static batch
    // fires tick 0 only).
    using after_tick_fn = std::function<void(const batch_context&, const tick_rows& y, const tick_rows& dy)>;
    using id = std::uint64_t;

    id after_forward(after_forward_fn f) { return add(after_forward_, std::move(f)); }
    id after_backward(after_backward_fn f) { return add(after_backward_, std::move(f)); }
    id before_step(before_step_fn f) { return add(before_step_, std::move(f)); }
    id after_tick(after_tick_fn f) { return add(after_tick_, std::move(f)); }
    // Removes the hook with this id, wherever it is; unknown ids are ignored.
    void remove(id hook);

    void fire_after_forward(const batch_context& ctx, const core::relaxed_engine::activations& y) const {
        for (const auto& h : after_forward_) h.fn(ctx, y);
    }
    void fire_after_backward(const batch_context& ctx, const core::relaxed_engine::activations& dy,
                             std::span<const float> grad_theta) const {
        for (const auto& h : after_backward_) h.fn(ctx, dy, grad_theta);
    }
    [[nodiscard]] bool has_tick_hooks() const noexcept { return !after_tick_.empty(); }
    void fire_after_tick(const batch_context& ctx, const tick_rows& y, const tick_rows& dy) const {
        for (const auto& h : after_tick_) h.fn(ctx, y, dy);
    }
    void fire_before_step(const batch_context& ctx, std::span<float> grad_theta, std::span<const float> theta) const {
        for (const auto& h : before_step_) h.fn(ctx, grad_theta, theta);
    }

private:
    template <class F>
    struct entry {
        id key;
        F fn;
    };
    template <class F>
    id add(std::vector<entry<F>>& list, F f) {
        list.push_back({next_, std::move(f)});
        return next_++;
    }

    std::vector<entry<after_forward_fn>> after_forward_;
    std::vector<entry<after_backward_fn>> after_backward_;
    std::vector<entry<before_step_fn>> before_step_;
    std::vector<entry<after_tick_fn>> after_tick_;
    id next_ = 1;
};

}  // namespace lutra::plasticity
