#pragma once
// Gradient training of a LUT network through the relaxed engine (DESIGN
// §4.1–4.3): minibatches of the training set, the group-sum head with
// temperature τ and softmax cross-entropy, backpropagation level by level,
// Adam or SGD with a learning-rate schedule on the entries' parameters θ
// (w = σ(θ)), and hardening (bit a = θ_a > 0, i.e. w_a > ½).
//
// Gradient hooks are the public seam where other code meets the gradient
// (plasticity rules, user code): after the forward pass (every node's output
// per sample), after the backward pass (every node's dL/dy per sample and
// dL/dθ), and before the optimizer step (to mask, clip, freeze or redirect
// dL/dθ). Hooks run in registration order on the calling thread.
//
// Results depend only on the seed and the data: batches are contiguous
// ranges of the samples as given (the caller shuffles, see permute_samples),
// the engine's sums are thread-count independent, the loss is summed in
// sample order, and the optimizer is element-wise.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/relaxed.hpp"

namespace lutra::core {

inline constexpr std::string_view optimizer_kinds[] = {"adam", "sgd"};
inline constexpr std::string_view schedule_kinds[] = {"constant", "step", "cosine"};

struct optimizer_params {
    std::string kind = "adam";          // adam | sgd
    double learning_rate = 0.01;        // at epoch 0
    double beta1 = 0.9;                 // adam: first-moment decay, 0..1
    double beta2 = 0.999;               // adam: second-moment decay, 0..1
    double epsilon = 1e-8;              // adam: added to √v̂
    double momentum = 0.0;              // sgd: heavy-ball momentum, 0..1
    std::string schedule = "constant";  // constant | step (× gamma every step_epochs) | cosine (to 0 at the last epoch)
    std::uint32_t step_epochs = 10;     // step: epochs between decays, ≥ 1
    double gamma = 0.1;                 // step: the decay factor
};

struct trainer_params {
    std::uint32_t epochs = 10;      // for the schedule's length (cosine)
    std::size_t batch_size = 128;   // samples per step
    double tau = 3.3;               // group-sum temperature: class score = Σ group outputs / τ
    double init_scale = 1.0;        // θ = ±init_scale from the initial table bits
    double sharpen = 1.0;           // w = σ(β·θ), β growing linearly from 1 (first epoch) to this (last), ≥ 1:
                                    // anneals the entries toward 0/1 so the hardened network loses less
    optimizer_params optimizer;
    relaxed_options engine;         // relaxation, threads, instruction set
};

// Where training is when a hook runs.
struct batch_context {
    std::uint32_t epoch;        // 0-based
    std::size_t batch;          // 0-based within the epoch
    std::size_t first_sample;   // the batch is samples [first_sample, first_sample + samples)
    std::size_t samples;
    double learning_rate;       // this epoch's
};

class gradient_hooks {
public:
    // Every node's output probability for the batch.
    using after_forward_fn = std::function<void(const batch_context&, const relaxed_engine::activations& y)>;
    // Every node's dL/dy per sample, and dL/dθ (per entry, summed over the batch).
    using after_backward_fn = std::function<void(const batch_context&, const relaxed_engine::activations& dy,
                                                 std::span<const float> grad_theta)>;
    // dL/dθ as the optimizer will use it, writable; θ before the step.
    using before_step_fn =
        std::function<void(const batch_context&, std::span<float> grad_theta, std::span<const float> theta)>;

    void after_forward(after_forward_fn f) { after_forward_.push_back(std::move(f)); }
    void after_backward(after_backward_fn f) { after_backward_.push_back(std::move(f)); }
    void before_step(before_step_fn f) { before_step_.push_back(std::move(f)); }

private:
    friend class trainer;
    std::vector<after_forward_fn> after_forward_;
    std::vector<after_backward_fn> after_backward_;
    std::vector<before_step_fn> before_step_;
};

// Everything training carries from one epoch to the next, for checkpoints:
// the learning-rate schedule and the slope derive from the epoch, and the
// caller keys its shuffles by (seed, epoch), so with this a trainer continues
// exactly as if it had never stopped.
struct trainer_state {
    std::vector<float> theta;  // one per table entry
    std::vector<float> m;      // adam: first moment; sgd: velocity
    std::vector<float> v;      // adam: second moment (zeros for sgd)
    std::uint64_t steps = 0;   // optimizer steps taken (adam's bias correction)
    std::uint32_t epoch = 0;   // epochs finished
    friend bool operator==(const trainer_state&, const trainer_state&) = default;
};

struct epoch_result {
    double loss = 0;      // mean cross-entropy over the samples
    double accuracy = 0;  // of the relaxed network (argmax of the group sums)
    std::size_t samples = 0;
};

class trainer {
public:
    // θ starts at ±init_scale from the network's tables; the network needs a
    // group-sum head. Throws lutra::error for bad parameters (naming the
    // field and the valid range or choices).
    trainer(network initial, trainer_params params);

    [[nodiscard]] gradient_hooks& hooks() noexcept { return hooks_; }

    // One pass over the samples in the order given, in batches of batch_size;
    // advances the epoch counter (and with it the learning-rate schedule).
    // progress(samples_done) is called after each batch, if given.
    epoch_result train_epoch(const bit_matrix& inputs, std::span<const std::uint16_t> labels,
                             const std::function<void(std::size_t)>& progress = {});

    // Loss and accuracy of the relaxed network, without learning.
    [[nodiscard]] epoch_result evaluate(const bit_matrix& inputs, std::span<const std::uint16_t> labels) const;

    // The network with the tables hardened from θ.
    [[nodiscard]] network hardened() const;

    [[nodiscard]] std::span<const float> theta() const noexcept { return theta_; }
    [[nodiscard]] std::uint32_t epoch() const noexcept { return epoch_; }
    // A copy of the state, and its restoration into a trainer of the same
    // network and parameters (vectors of another size are a lutra::error).
    [[nodiscard]] trainer_state state() const;
    void restore(const trainer_state& state);
    [[nodiscard]] double learning_rate(std::uint32_t epoch) const;
    // β of w = σ(β·θ) during an epoch.
    [[nodiscard]] double slope(std::uint32_t epoch) const;
    [[nodiscard]] const relaxed_engine& engine() const noexcept { return engine_; }
    [[nodiscard]] const trainer_params& params() const noexcept { return params_; }

private:
    // Loss, correct count and (if dy) the head's dL/dy for one batch.
    double head_loss(const relaxed_engine::activations& y, std::span<const std::uint16_t> labels,
                     relaxed_engine::activations* dy, std::size_t& correct) const;
    void step(std::span<const float> grad_theta, double learning_rate);
    // w = σ(β·θ) for the current epoch's β.
    void update_w();

    trainer_params params_;
    relaxed_engine engine_;
    gradient_hooks hooks_;
    std::vector<float> theta_;
    std::vector<float> w_;
    std::vector<float> scaled_;  // β·θ, and scratch for dL/dθ
    std::vector<float> m_;  // first moment (adam) or velocity (sgd)
    std::vector<float> v_;  // second moment (adam)
    std::uint64_t steps_ = 0;
    std::uint32_t epoch_ = 0;
};

// The columns of a bit matrix in a new order: column s of the result is
// column order[s] of m. For shuffling the training set between epochs.
[[nodiscard]] bit_matrix permute_samples(const bit_matrix& m, std::span<const std::uint32_t> order);

}  // namespace lutra::core
