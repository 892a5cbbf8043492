#include "lutra/plasticity/activity.hpp"

#include <algorithm>
#include <bit>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"

namespace lutra::plasticity {

hard_activity::hard_activity(const core::network& net, const core::bit_matrix& inputs, const core::bit_matrix& outputs,
                             std::size_t columns, delayed_planes delayed)
    : net_(net), inputs_(inputs), outputs_(outputs), columns_(columns), words_((columns + 63) / 64),
      delayed_(std::move(delayed)) {
    if (inputs.rows() != net.num_inputs() || outputs.rows() != net.num_nodes())
        throw error("hard activity: " + std::to_string(inputs.rows()) + " input rows and " +
                    std::to_string(outputs.rows()) + " node rows for a network of " + std::to_string(net.num_inputs()) +
                    " inputs and " + std::to_string(net.num_nodes()) + " nodes");
    if (columns > inputs.samples() || columns > outputs.samples())
        throw error("hard activity: " + std::to_string(columns) + " columns of planes holding " +
                    std::to_string(std::min(inputs.samples(), outputs.samples())));
    if (!net.combinational() && !delayed_)
        throw error("hard activity: the network has delayed slots, and no planes for them were given");
}

std::span<const std::uint64_t> hard_activity::source(std::uint32_t id) const noexcept {
    return id < net_.num_inputs() ? inputs_.row(id).first(words_) : outputs_.row(id - net_.num_inputs()).first(words_);
}

std::span<const std::uint64_t> hard_activity::slot(std::uint32_t node, unsigned i) const {
    if (net_.delays(node)[i] != 0) return delayed_(node, i).first(words_);
    return source(net_.sources(node)[i]);
}

void hard_activity::addresses(std::uint32_t node, std::span<std::uint32_t> out) const {
    if (out.size() < columns_) throw internal_error("hard_activity::addresses: output too small");
    std::fill_n(out.begin(), columns_, 0U);
    for (unsigned i = 0; i < net_.k(node); ++i) {
        const std::span<const std::uint64_t> plane = slot(node, i);
        for (std::size_t w = 0; w < words_; ++w) {
            std::uint64_t bits = plane[w];
            while (bits) {
                const auto b = static_cast<unsigned>(std::countr_zero(bits));
                const std::size_t c = w * 64 + b;
                if (c < columns_) out[c] |= 1U << i;
                bits &= bits - 1;
            }
        }
    }
}

void hard_activity::entry_counts(std::uint32_t node, std::span<std::uint32_t> counts,
                                 std::span<const std::uint64_t> where) const {
    const std::size_t entries = std::size_t{1} << net_.k(node);
    if (counts.size() < entries) throw internal_error("hard_activity::entry_counts: output too small");
    std::fill_n(counts.begin(), entries, 0U);
    // Rules call this for every node of every batch: no allocation each time.
    thread_local std::vector<std::uint32_t> address;
    address.resize(columns_);
    addresses(node, address);
    for (std::size_t c = 0; c < columns_; ++c)
        if (where.empty() || ((where[c / 64] >> (c % 64)) & 1U)) ++counts[address[c]];
}

void hard_activity::entry_masks(std::uint32_t node, std::span<std::uint64_t> masks) const {
    const unsigned k = net_.k(node);
    const std::size_t entries = std::size_t{1} << k;
    if (masks.size() < entries * words_) throw internal_error("hard_activity::entry_masks: output too small");
    // Built slot by slot: after slot i, the 2^(i+1) masks of the low i+1 address bits.
    const std::uint64_t tail = columns_ % 64 ? (std::uint64_t{1} << (columns_ % 64)) - 1 : ~std::uint64_t{0};
    for (std::size_t w = 0; w < words_; ++w) masks[w] = w + 1 == words_ ? tail : ~std::uint64_t{0};
    for (unsigned i = 0; i < k; ++i) {
        const std::span<const std::uint64_t> x = slot(node, i);
        const std::size_t half = std::size_t{1} << i;
        for (std::size_t a = half; a-- > 0;) {
            std::uint64_t* lo = masks.data() + a * words_;
            std::uint64_t* hi = masks.data() + (a + half) * words_;
            for (std::size_t w = 0; w < words_; ++w) {
                hi[w] = lo[w] & x[w];
                lo[w] &= ~x[w];
            }
        }
    }
}

std::vector<std::int32_t> head_classes(const core::network& net) {
    std::vector<std::int32_t> cls(net.num_nodes(), -1);
    const core::group_sum_head& head = net.head();
    if (head.num_classes == 0) return cls;
    const std::size_t group = head.outputs.size() / head.num_classes;
    for (std::size_t j = 0; j < head.outputs.size(); ++j) cls[head.outputs[j]] = static_cast<std::int32_t>(j / group);
    return cls;
}

evaluated_batch evaluate_batch(const core::network& net, const core::bit_matrix& inputs, std::size_t first,
                               std::size_t count, std::span<const std::uint16_t> labels, unsigned threads) {
    evaluated_batch b;
    b.inputs = core::sample_range(inputs, first, count);
    const core::bitslice_engine engine(net, {.threads = threads});
    b.outputs = engine.evaluate(b.inputs);
    core::clear_padding(b.outputs);
    if (!labels.empty() && net.head().num_classes > 0) {
        const core::head_output decided = core::group_sum(
            net.head(), [&] {
                core::bit_matrix planes(net.head().outputs.size(), count);
                for (std::size_t j = 0; j < net.head().outputs.size(); ++j)
                    std::copy_n(b.outputs.row(net.head().outputs[j]).begin(), planes.stride(), planes.row(j).begin());
                return planes;
            }());
        b.reward.resize(count);
        for (std::size_t s = 0; s < count; ++s) b.reward[s] = decided.predictions[s] == labels[s] ? 1.0F : -1.0F;
    }
    return b;
}

}  // namespace lutra::plasticity
