#include "lutra/core/relaxed.hpp"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <bit>
#include <functional>
#include <memory>
#include <system_error>
#include <thread>

#include "lutra/core/error.hpp"
#include "lutra/core/names.hpp"
#include "relaxed_abi.hpp"

namespace lutra::core {
namespace {

constexpr std::size_t group_samples = 16;   // blocks and rows come in whole groups of 16 samples
constexpr std::uint32_t chunk_nodes = 256;  // nodes per work unit of the per-node passes

constexpr std::size_t round_up(std::size_t n, std::size_t m) noexcept { return (n + m - 1) / m * m; }

const kernels::relaxed_kernel_set& relaxed_kernels_for(isa set) {
    switch (set) {
        case isa::portable: return kernels::portable_relaxed_kernels;
        case isa::avx2: return kernels::avx2_relaxed_kernels;
        case isa::avx512: return kernels::avx512_relaxed_kernels;
    }
    throw internal_error("unknown instruction set");
}

isa best_relaxed_isa() noexcept {
    const isa best = best_isa();
    return relaxed_engine_supports(best) ? best : isa::portable;
}

// One step of a call: items [0, items) that may run in any order on any thread.
struct phase {
    std::size_t items;
    std::function<void(std::size_t)> run;
};

// Runs the phases in order on up to `threads` threads (the caller's among
// them): one set of threads per call, a barrier between phases, each phase's
// items handed out through a counter. Which thread takes which item never
// changes a result.
void run_phases(unsigned threads, std::span<const phase> phases) {
    std::size_t most = 1;
    for (const phase& p : phases) most = std::max(most, p.items);
    const auto workers = static_cast<unsigned>(std::min<std::size_t>(threads, most));
    std::vector<std::atomic<std::size_t>> next(phases.size());
    std::barrier sync(workers);
    auto worker = [&] {
        for (std::size_t p = 0; p < phases.size(); ++p) {
            for (std::size_t i; (i = next[p].fetch_add(1)) < phases[p].items;) phases[p].run(i);
            if (p + 1 < phases.size()) sync.arrive_and_wait();
        }
    };
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < workers; ++t) {
        try {
            pool.emplace_back(worker);
        } catch (const std::system_error&) {
            // No more threads: the ones running do all the work.
            for (; t < workers; ++t) sync.arrive_and_drop();
        }
    }
    worker();
}

// Scratch sized per call and overwritten before it is read: no zeroing.
std::unique_ptr<float[]> uninitialised(std::size_t n) { return std::make_unique_for_overwrite<float[]>(n); }

std::string str(std::size_t n) { return std::to_string(n); }

// e^x to about 2 ulp in plain arithmetic that the compiler vectorises
// (std::exp is a library call per element without -ffast-math). x is clamped
// to ±87, where e^x stays a normal float; the clamp vectorises because this
// file is compiled with -fno-trapping-math (core/CMakeLists.txt).
float exp_vectorisable(float x) noexcept {
    x = std::clamp(x, -87.0F, 87.0F);
    const float n = (x * 1.44269504F + 12582912.0F) - 12582912.0F;  // round(x / ln 2): 1.5 · 2^23 drops the fraction
    const float f = (x - n * 0.693145751953125F) - n * 1.428606765330187e-6F;  // x − n ln 2, |f| ≤ ln 2 / 2
    const float p = 1 + f * (1 + f * (0.5F + f * (1 / 6.0F + f * (1 / 24.0F + f * (1 / 120.0F + f * (1 / 720.0F))))));
    return p * std::bit_cast<float>((static_cast<std::int32_t>(n) + 127) << 23);
}

}  // namespace

// The AVX2 kernels use FMA, which isa::avx2 does not imply on its own.
bool relaxed_engine_supports(isa set) noexcept {
    if (!isa_supported(set)) return false;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (set == isa::avx2) return __builtin_cpu_supports("fma");
#endif
    return true;
}

std::vector<std::size_t> entry_offsets(const network& net) {
    std::vector<std::size_t> offsets(std::size_t{net.num_nodes()} + 1, 0);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) offsets[n + 1] = offsets[n] + (std::size_t{1} << net.k(n));
    return offsets;
}

std::vector<float> table_entries(const network& net) {
    const std::vector<std::size_t> offsets = entry_offsets(net);
    std::vector<float> w(offsets.back());
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        for (std::uint32_t a = 0; a < (1U << net.k(n)); ++a) w[offsets[n] + a] = net.table_bit(n, a) ? 1.0F : 0.0F;
    return w;
}

network harden(const network& net, std::span<const float> w) {
    const std::vector<std::size_t> offsets = entry_offsets(net);
    if (w.size() != offsets.back())
        throw error("harden: " + str(w.size()) + " entries for a network of " + str(offsets.back()));
    network_arrays a = net.arrays();
    std::fill(a.tables.begin(), a.tables.end(), 0);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        std::uint64_t* table = a.tables.data() + net.table_offset(n);
        for (std::size_t e = 0; e < (std::size_t{1} << net.k(n)); ++e)
            if (w[offsets[n] + e] > 0.5F) table[e / 64] |= std::uint64_t{1} << (e % 64);
    }
    return network(std::move(a));
}

void sigmoid(std::span<const float> theta, std::span<float> w) {
    if (theta.size() != w.size())
        throw error("sigmoid: " + str(theta.size()) + " parameters but " + str(w.size()) + " outputs");
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = 1.0F / (1.0F + exp_vectorisable(-theta[i]));
}

void sigmoid_backward(std::span<const float> w, std::span<const float> grad_w, std::span<float> grad_theta) {
    if (grad_w.size() != w.size() || grad_theta.size() != w.size())
        throw error("sigmoid_backward: sizes differ (w " + str(w.size()) + ", grad_w " + str(grad_w.size()) +
                    ", grad_theta " + str(grad_theta.size()) + ")");
    for (std::size_t i = 0; i < w.size(); ++i) grad_theta[i] = grad_w[i] * w[i] * (1.0F - w[i]);
}

// An odd number of 64-byte lines per row: with a power-of-two stride (a batch
// of 4,096) every row of a block falls into the same cache sets, which made
// the backward pass 12% slower here.
relaxed_engine::activations::activations(std::uint32_t nodes, std::size_t samples)
    : nodes_(nodes),
      samples_(samples),
      stride_((round_up(samples, group_samples) / group_samples | 1) * group_samples),
      data_(nodes * stride_, 0.0F) {}

void relaxed_engine::activations::zero() noexcept { std::fill(data_.begin(), data_.end(), 0.0F); }

relaxed_engine::relaxed_engine(network net, relaxed_options options)
    : net_(std::move(net)),
      sequence_(std::move(options.sequence)),
      entry_offset_(entry_offsets(net_)),
      isa_(options.instruction_set.value_or(best_relaxed_isa())),
      threads_(options.threads == 0 ? std::max(1U, std::thread::hardware_concurrency()) : options.threads),
      block_samples_(options.block_samples),
      watched_slots_(std::move(options.watched_slots)),
      efd_(options.relaxation == "efd") {
    const auto name = std::find(relaxation_names.begin(), relaxation_names.end(), options.relaxation);
    if (name == relaxation_names.end())
        throw unknown_name_error("relaxation", options.relaxation,
                                 "relaxed engine: '" + options.relaxation + "' is not a relaxation; valid: " +
                                     join_names(relaxation_names) + did_you_mean(options.relaxation, relaxation_names));
    relaxation_ = *name;
    if (!net_.combinational() && !sequence_)
        throw error("relaxed engine: the network has delayed slots; train it on sequences (a sequence spec), "
                    "static samples have no time for a delay to pass");
    for (std::uint32_t n = 0; n < net_.num_nodes(); ++n)
        if (net_.k(n) > relaxed_max_k)
            throw error("relaxed engine: node " + str(n) + " has k = " + str(net_.k(n)) +
                        "; the relaxed engine takes k ≤ " + str(relaxed_max_k) + " (2^k trainable entries per node)");
    std::optional<live_unrolled> live;
    if (sequence_) {
        live.emplace(unroll_live(net_, *sequence_));
        kernel_net_.emplace(std::move(live->net));
        row_ = std::move(live->row);
    }
    const network& kernel = kernel_net();
    slot_offset_.resize(kernel.num_nodes());
    kernel_entry_offset_.resize(std::size_t{kernel.num_nodes()} + 1);
    for (std::uint32_t n = 0; n < kernel.num_nodes(); ++n) slot_offset_[n] = kernel.slot_offset(n);
    if (sequence_) {
        // Row 0 is the constant; a copy of node n shares n's entries.
        kernel_entry_offset_[0] = 0;
        for (std::uint32_t r = 1; r < kernel.num_nodes(); ++r) kernel_entry_offset_[r] = entry_offset_[live->origin[r]];
        kernel_entry_offset_.back() = entry_offset_.back();
        const std::uint32_t last = readout_ticks(*sequence_).back();
        const std::uint32_t window = sequence_->bptt_window;
        // Rows are tick-major: the window starts at the first row of its first tick.
        const std::uint32_t first_tick = window == 0 || window > last ? 0 : last + 1 - window;
        grad_floor_ = static_cast<std::uint32_t>(
            std::lower_bound(live->tick.begin() + 1, live->tick.end(), first_tick) - live->tick.begin());
    } else {
        std::copy(entry_offset_.begin(), entry_offset_.end(), kernel_entry_offset_.begin());
    }
    if (!relaxed_engine_supports(isa_))
        throw error("relaxed engine: this processor does not support " + std::string(to_string(isa_)) +
                    (isa_ == isa::avx2 && isa_supported(isa_) ? " with FMA" : ""));
    if (!watched_slots_.empty()) {
        if (sequence_)
            throw error("relaxed engine: watched slots (learnable wiring) are not supported on sequences yet");
        slot_watch_.assign(net_.arrays().sources.size(), kernels::no_watch);
        for (std::size_t r = 0; r < watched_slots_.size(); ++r) {
            const std::uint32_t slot = watched_slots_[r];
            if (slot >= slot_watch_.size() || slot_watch_[slot] != kernels::no_watch)
                throw error("relaxed engine: watched slot " + str(slot) + " is " +
                            (slot >= slot_watch_.size() ? "not a slot of the network (it has " +
                                                              str(slot_watch_.size()) + ")"
                                                        : std::string("listed twice")));
            slot_watch_[slot] = static_cast<std::uint32_t>(r);
        }
    }
    if (block_samples_ == 0 || block_samples_ % group_samples != 0)
        throw error("relaxed engine: block_samples = " + str(block_samples_) + " is not a positive multiple of 16");
}

void relaxed_engine::check_batch(const bit_matrix& inputs, std::size_t first_sample, std::size_t count,
                                 std::span<const float> w) const {
    if (inputs.rows() != input_rows())
        throw error("relaxed engine: " + str(inputs.rows()) + " input rows for a network of " + str(net_.num_inputs()) +
                    " inputs" +
                    (sequence_ ? " over " + str(sequence_->ticks) + " ticks (" + str(input_rows()) + " rows a sequence)"
                               : std::string()));
    if (first_sample > inputs.samples() || count > inputs.samples() - first_sample)
        throw error("relaxed engine: samples [" + str(first_sample) + ", " + str(first_sample + count) +
                    ") are outside the " + str(inputs.samples()) + " input samples");
    if (w.size() != num_entries())
        throw error("relaxed engine: " + str(w.size()) + " entries for a network of " + str(num_entries()));
}

namespace {

kernels::relaxed_net view(const network& net, const std::vector<std::size_t>& slot_offset,
                          const std::vector<std::size_t>& entry_offset, std::uint32_t first_node,
                          std::uint32_t grad_floor, bool shared_entries, const std::vector<std::uint32_t>& slot_watch) {
    const network_arrays& a = net.arrays();
    return {net.num_inputs(), net.num_nodes(), a.k.data(),           a.sources.data(),
            slot_offset.data(), entry_offset.data(), first_node, grad_floor, shared_entries,
            slot_watch.empty() ? nullptr : slot_watch.data()};
}

// The trained nodes' fan-ins and entries, for the per-node passes.
kernels::relaxed_net entries_view(const network& net, const std::vector<std::size_t>& entry_offset) {
    return {net.num_inputs(), net.num_nodes(), net.arrays().k.data(), nullptr, nullptr, entry_offset.data(), 0, 0, false,
            nullptr};
}

// What every call shares: the network as the kernels see it, and the batch.
struct batch {
    const kernels::relaxed_kernel_set& kernels;
    kernels::relaxed_net net;      // what the blocks run (the unrolled network for sequences)
    kernels::relaxed_net entries;  // whose entries they are: k and entry offsets of the trained nodes
    const bit_matrix& inputs;
    std::size_t first_sample;
    std::size_t count;
    std::size_t block_samples;
    unsigned threads;

    std::size_t blocks() const noexcept { return (count + block_samples - 1) / block_samples; }
    std::size_t chunks() const noexcept { return (entries.num_nodes + chunk_nodes - 1) / chunk_nodes; }
    std::uint32_t chunk_end(std::size_t chunk) const noexcept {
        return static_cast<std::uint32_t>(std::min<std::size_t>(entries.num_nodes, (chunk + 1) * chunk_nodes));
    }

    kernels::relaxed_block block(std::size_t b, std::span<const float> w, const float* coefficients, const float* y,
                                 float* out, float* dy, std::size_t stride, float* grad,
                                 float* slot_dy = nullptr) const {
        const std::size_t start = b * block_samples;
        const std::size_t valid = std::min(block_samples, count - start);
        return {&net,
                w.data(),
                coefficients,
                inputs.data(),
                inputs.stride(),
                first_sample + start,
                valid,
                round_up(valid, group_samples),
                y + start,
                out != nullptr ? out + start : nullptr,
                dy != nullptr ? dy + start : nullptr,
                stride,
                grad,
                slot_dy != nullptr ? slot_dy + start : nullptr};
    }

    // The phase that writes the multilinear coefficients of w into c.
    phase coefficients(std::span<const float> w, float* c) const {
        return {chunks(), [this, w, c](std::size_t i) {
                    kernels.coefficients_from_entries(entries, static_cast<std::uint32_t>(i * chunk_nodes),
                                                      chunk_end(i), w.data(), c);
                }};
    }
};

}  // namespace

void relaxed_engine::forward(const bit_matrix& inputs, std::size_t first_sample, std::size_t count,
                             std::span<const float> w, activations& y) const {
    check_batch(inputs, first_sample, count, w);
    if (y.nodes_ != rows() || y.samples_ != count) y = activations(rows(), count);
    if (count == 0) return;
    if (sequence_) std::fill_n(y.data_.begin(), y.stride_, 0.0F);  // the constant row
    const batch run{relaxed_kernels_for(isa_),
                    view(kernel_net(), slot_offset_, kernel_entry_offset_, sequence_ ? 1 : 0, grad_floor_, sequence_.has_value(),
                         slot_watch_),
                    entries_view(net_, entry_offset_),
                    inputs,
                    first_sample,
                    count,
                    block_samples_,
                    threads_};
    const std::unique_ptr<float[]> c = efd_ ? nullptr : uninitialised(w.size());
    float* rows = y.data_.data();
    const phase blocks{run.blocks(), [&](std::size_t b) {
                           const kernels::relaxed_block job =
                               run.block(b, w, c.get(), rows, rows, nullptr, y.stride_, nullptr);
                           (efd_ ? run.kernels.efd_forward : run.kernels.multilinear_forward)(job);
                       }};
    if (efd_)
        run_phases(threads_, std::span(&blocks, 1));
    else
        run_phases(threads_, std::array{run.coefficients(w, c.get()), blocks});
}

void relaxed_engine::backward(const bit_matrix& inputs, std::size_t first_sample, std::size_t count,
                              std::span<const float> w, const activations& y, activations& dy,
                              std::span<float> grad_w, activations* slot_dy) const {
    check_batch(inputs, first_sample, count, w);
    float* watched = nullptr;
    if (slot_dy != nullptr && !watched_slots_.empty()) {
        if (slot_dy->nodes_ != watched_slots_.size() || slot_dy->samples_ != count)
            *slot_dy = activations(static_cast<std::uint32_t>(watched_slots_.size()), count);
        watched = slot_dy->data_.data();
    }
    for (const activations* rows : {&y, static_cast<const activations*>(&dy)})
        if (rows->nodes_ != this->rows() || rows->samples_ != count)
            throw error("relaxed engine: backward of " + str(count) + " samples given activations of " +
                        str(rows->nodes_) + " nodes × " + str(rows->samples_) + " samples");
    if (grad_w.size() != num_entries())
        throw error("relaxed engine: a gradient of " + str(grad_w.size()) + " entries for a network of " +
                    str(num_entries()));
    if (count == 0) return;
    const batch run{relaxed_kernels_for(isa_),
                    view(kernel_net(), slot_offset_, kernel_entry_offset_, sequence_ ? 1 : 0, grad_floor_, sequence_.has_value(),
                         slot_watch_),
                    entries_view(net_, entry_offset_),
                    inputs,
                    first_sample,
                    count,
                    block_samples_,
                    threads_};
    const std::unique_ptr<float[]> c = uninitialised(w.size());

    // Each block's gradient sums go to a buffer of their own, so that the sum
    // over blocks runs in block order whichever thread made each block.
    const std::size_t entries = num_entries();
    const std::unique_ptr<float[]> partial = uninitialised(run.blocks() * entries);
    // Copies over time share entries and add their sums; static nodes each
    // store theirs, and the buffer needs no zeroing (3.6 MB a batch on MNIST).
    if (sequence_) std::fill_n(partial.get(), run.blocks() * entries, 0.0F);
    const phase blocks{run.blocks(), [&](std::size_t b) {
                           const kernels::relaxed_block job =
                               run.block(b, w, c.get(), y.data_.data(), nullptr, dy.data_.data(), dy.stride_,
                                         partial.get() + b * entries, watched);
                           (efd_ ? run.kernels.efd_backward : run.kernels.multilinear_backward)(job);
                       }};
    const phase sum{run.chunks(), [&](std::size_t i) {
                        const auto first = static_cast<std::uint32_t>(i * chunk_nodes);
                        const std::uint32_t last = run.chunk_end(i);
                        float* total = partial.get();
                        for (std::size_t b = 1; b < run.blocks(); ++b) {
                            const float* part = partial.get() + b * entries;
                            for (std::size_t e = entry_offset_[first]; e < entry_offset_[last]; ++e)
                                total[e] += part[e];
                        }
                        if (!efd_) run.kernels.entries_from_coefficient_gradient(run.entries, first, last, total);
                        for (std::size_t e = entry_offset_[first]; e < entry_offset_[last]; ++e) grad_w[e] += total[e];
                    }};
    run_phases(threads_, std::array{run.coefficients(w, c.get()), blocks, sum});
}

}  // namespace lutra::core
