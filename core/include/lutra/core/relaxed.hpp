#pragma once
// The relaxed engine (DESIGN §4.1, §4.3): the differentiable stand-in for a
// core::network that gradient training runs every minibatch — forward and
// backward, float32, vectorised over samples. Threads take whole blocks of
// samples (block_samples each), never nodes, and gradient sums are reduced
// block by block in a fixed order, so every result is bit-identical for every
// thread count. The block size does fix that order (results change in the
// last bits with it), which is why it is an option and not derived from the
// thread count: a batch of fewer than threads × block_samples samples leaves
// threads idle.
//
// Entries. Node n has 2^k real entries w_a, node-major: node n's are
// w[entry_offset(n) … entry_offset(n) + 2^k), entry a belonging to address
// a = Σ x_i · 2^i as in the table. The caller passes w already squashed into
// [0, 1] (sigmoid() maps parameters θ to w). Hardening: bit a = w_a > ½.
//
// Relaxations, chosen by name (relaxed_options::relaxation):
//
//   multilinear  y = Σ_a w_a · Π_i (p_i if bit i of a else 1 − p_i), the
//                multilinear extension of the table, where p_i is slot i's
//                input: a network input bit as 0 or 1, or the source node's
//                y. It equals the Shannon mux tree with lerp(lo, hi, p_i) =
//                lo + p_i · (hi − lo) for each mux, slot 0 at the bottom (the
//                kernels evaluate the same polynomial in monomial form,
//                2^k − 1 fused multiply-adds a node). With binary inputs and
//                entries in {0, 1}, y is the hard table output exactly. The
//                gradients are exact: dL/dw_a = Σ_s dL/dy · Π_i (…), dL/dp_i =
//                dL/dy · (the difference of the two half-trees on slot i).
//
//   efd          DWN's extended finite difference (Bacellar et al., ICML
//                2024). Forward is the hard lookup y = w_a at a = Σ [p_i > ½] · 2^i.
//                dL/dw_a = Σ of dL/dy over the samples that address a (no
//                other entry moves). dL/dp_i = dL/dy · α · Σ_{a'} σ_i(a') · w_a' · β^H,
//                σ_i(a') = +1 if bit i of a' is set else −1, H the Hamming
//                distance between a and a' ignoring bit i, α = ½ · (¾)^(k−1),
//                β = ⅓ (DWN's defaults). Equivalently: ½ · the multilinear
//                dy/dp_i at p̃_j = ¼ + ½ · [p_j > ½], which is how it is
//                computed (2^k-ish operations instead of k · 2^k).
//
// Sequences (relaxed_options::sequence, core/sequence.hpp): a timed network
// is trained on sequence samples by backpropagation through time. The engine
// runs core::unroll_live's network — the copies of the nodes at each tick
// that some readout depends on, row(t, n) the row of node n at tick t, row 0
// the constant 0 that delayed slots read before their first tick — with
// every copy of node n reading and training n's entries: dL/dw_a is summed
// over the ticks. The inputs are the flat sequences (ticks · I rows) and
// head() is the readout ticks' copies of the head. With bptt_window = W the
// gradient flows back from the last readout tick through its W last ticks
// only (copies at earlier ticks get none): the backward pass costs about W /
// ticks of the full one, the forward pass and the activations (ticks · N
// rows a sample, forward and gradient) do not shrink.
//
// Activations are rows of float32 per node with the sample axis innermost,
// padded to an odd multiple of 16 samples (whole 64-byte lines, rows spread
// over the cache sets) and 64-byte aligned.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/cpu.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/sequence.hpp"

namespace lutra::core {

inline constexpr std::array<std::string_view, 2> relaxation_names = {"multilinear", "efd"};

// Largest fan-in the relaxed engine takes: 2^8 trainable entries per node.
inline constexpr unsigned relaxed_max_k = 8;

struct relaxed_options {
    std::optional<isa> instruction_set;      // kernels to use; empty = the fastest this processor supports
    unsigned threads = 1;                    // worker threads, 0 = one per hardware thread
    std::size_t block_samples = 256;         // samples per work unit, a positive multiple of 16 (see above)
    std::string relaxation = "multilinear";  // "multilinear" or "efd"
    std::optional<sequence_spec> sequence;   // train on sequences through time; empty = static samples
    // Slots (network slot order, slot_offset(n) + i) whose own dL/dp backward()
    // reports, row r for watched_slots[r]: what learnable wiring learns from
    // (DESIGN §4.1a). Static samples only.
    std::vector<std::uint32_t> watched_slots;
    friend bool operator==(const relaxed_options&, const relaxed_options&) = default;
};

// This processor can run the relaxed kernels of `set` (avx2 needs FMA too).
[[nodiscard]] bool relaxed_engine_supports(isa set) noexcept;

// Node n's entries are [offsets[n], offsets[n + 1]); num_nodes + 1 values.
[[nodiscard]] std::vector<std::size_t> entry_offsets(const network& net);
// The entries of the network's own tables: 1 where the table bit is set, else 0.
[[nodiscard]] std::vector<float> table_entries(const network& net);
// The network with every table hardened from w: table bit a = w_a > ½.
[[nodiscard]] network harden(const network& net, std::span<const float> w);

// w = 1 / (1 + e^−θ), element by element.
void sigmoid(std::span<const float> theta, std::span<float> w);
// dL/dθ = dL/dw · w · (1 − w), given w = sigmoid(θ); grad_theta is overwritten.
void sigmoid_backward(std::span<const float> w, std::span<const float> grad_w, std::span<float> grad_theta);

class relaxed_engine {
public:
    // Per-node rows of one batch: row n holds node n's value for each sample.
    class activations {
    public:
        activations() = default;
        // All zero, padding included.
        activations(std::uint32_t nodes, std::size_t samples);

        [[nodiscard]] std::uint32_t nodes() const noexcept { return nodes_; }
        [[nodiscard]] std::size_t samples() const noexcept { return samples_; }
        // Floats from one row to the next: samples rounded up to an odd multiple of 16.
        [[nodiscard]] std::size_t stride() const noexcept { return stride_; }
        // The row's samples() values; the padding after them belongs to the engine.
        [[nodiscard]] std::span<float> node(std::uint32_t n) noexcept { return {data_.data() + n * stride_, samples_}; }
        [[nodiscard]] std::span<const float> node(std::uint32_t n) const noexcept {
            return {data_.data() + n * stride_, samples_};
        }
        // Every value to zero, e.g. before reusing dy for the next batch.
        void zero() noexcept;

    private:
        friend class relaxed_engine;
        std::uint32_t nodes_ = 0;
        std::size_t samples_ = 0;
        std::size_t stride_ = 0;
        std::vector<float, aligned_allocator<float, vector_bytes>> data_;
    };

    // Throws lutra::error if the network has delayed slots and no sequence
    // is given, the sequence is invalid (check_sequence), a node has k > relaxed_max_k, the
    // instruction set is not supported here (avx2 needs FMA too), or an option
    // is out of range; lutra::unknown_name_error for an unknown relaxation.
    explicit relaxed_engine(network net, relaxed_options options = {});

    [[nodiscard]] std::size_t num_entries() const noexcept { return entry_offset_.back(); }
    [[nodiscard]] std::size_t entry_offset(std::uint32_t node) const noexcept { return entry_offset_[node]; }

    // Every node's output for samples [first_sample, first_sample + count) of
    // inputs (input_rows() rows), given entries w. y is reshaped to
    // (rows(), count) if needed and overwritten.
    void forward(const bit_matrix& inputs, std::size_t first_sample, std::size_t count, std::span<const float> w,
                 activations& y) const;

    // Backpropagation through the batch forward() computed into y (same
    // inputs, range and w). On entry dy (rows() × count) holds each node's
    // direct dL/dy — the head's rows filled by the loss, other rows zero or
    // whatever a hook adds. Nodes are processed in reverse index order, each
    // adding its dL/dp to its sources' rows, so afterwards dy holds the total
    // dL/dy of every node. dL/dw summed over the batch is added to grad_w.
    // With slot_dy and watched slots, row r of slot_dy (reshaped to the
    // watched slots × count) is overwritten with the dL/dp that slot
    // watched_slots[r] sent to its source (also for a source that is an
    // input bit, which gets no dy row).
    void backward(const bit_matrix& inputs, std::size_t first_sample, std::size_t count, std::span<const float> w,
                  const activations& y, activations& dy, std::span<float> grad_w,
                  activations* slot_dy = nullptr) const;
    [[nodiscard]] std::span<const std::uint32_t> watched_slots() const noexcept { return watched_slots_; }

    [[nodiscard]] const network& net() const noexcept { return net_; }
    // Node n's row at tick t (sequences), or no_tick for a copy no readout
    // depends on (not computed). Static samples: row(0, n) = n.
    [[nodiscard]] std::uint32_t row(std::uint32_t tick, std::uint32_t n) const noexcept {
        if (!sequence_) return tick == 0 ? n : no_tick;
        return row_[unrolled_node(tick, n, net_.num_nodes())];
    }
    // Activation rows: the nodes, or the live copies and the constant for sequences.
    [[nodiscard]] std::uint32_t rows() const noexcept { return kernel_net_ ? kernel_net_->num_nodes() : net_.num_nodes(); }
    // Input rows a sample has: the network's inputs, or ticks · inputs.
    [[nodiscard]] std::uint32_t input_rows() const noexcept {
        return kernel_net_ ? kernel_net_->num_inputs() : net_.num_inputs();
    }
    // The head over activation rows: the network's, or its readout ticks' copies.
    [[nodiscard]] const group_sum_head& head() const noexcept { return kernel_net_ ? kernel_net_->head() : net_.head(); }
    [[nodiscard]] const std::optional<sequence_spec>& sequence() const noexcept { return sequence_; }
    [[nodiscard]] isa instruction_set() const noexcept { return isa_; }
    [[nodiscard]] unsigned threads() const noexcept { return threads_; }
    [[nodiscard]] std::size_t block_samples() const noexcept { return block_samples_; }
    [[nodiscard]] std::string_view relaxation() const noexcept { return relaxation_; }

private:
    [[nodiscard]] const network& kernel_net() const noexcept { return kernel_net_ ? *kernel_net_ : net_; }
    void check_batch(const bit_matrix& inputs, std::size_t first_sample, std::size_t count,
                     std::span<const float> w) const;

    network net_;
    std::optional<sequence_spec> sequence_;
    std::optional<network> kernel_net_;            // sequences: the unrolled network the kernels run
    std::vector<std::uint32_t> row_;               // sequences: unroll()'s node → row, or no_tick
    std::vector<std::size_t> slot_offset_;         // of the network the kernels run
    std::vector<std::size_t> kernel_entry_offset_; // per kernel node: its entries (a copy shares its node's)
    std::uint32_t grad_floor_ = 0;
    std::vector<std::size_t> entry_offset_;
    isa isa_;
    unsigned threads_;
    std::size_t block_samples_;
    std::vector<std::uint32_t> watched_slots_;
    std::vector<std::uint32_t> slot_watch_;  // per slot: its row of slot_dy, or kernels' no_watch
    std::string_view relaxation_;
    bool efd_;
};

}  // namespace lutra::core
