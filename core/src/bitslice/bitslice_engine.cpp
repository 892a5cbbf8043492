#include "lutra/core/bitslice_engine.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <exception>
#include <mutex>
#include <thread>

#include "kernels.hpp"
#include "lutra/core/error.hpp"

namespace lutra::core {

const kernels::kernel_set& kernels::kernels_for(isa set) {
    switch (set) {
        case isa::portable: return portable_kernels;
        case isa::avx2: return avx2_kernels;
        case isa::avx512: return avx512_kernels;
    }
    throw internal_error("unknown instruction set");
}

namespace {

// Transposes the 8 × 8 bit matrix in x (byte i = row i, bit j of a byte =
// column j): afterwards byte j holds what was column j.
constexpr std::uint64_t transpose8(std::uint64_t x) noexcept {
    std::uint64_t t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAULL;
    x ^= t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCULL;
    x ^= t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ULL;
    x ^= t ^ (t << 28);
    return x;
}

// Scores and decisions for samples [first, first + count), whose head output
// bits start at bit 0 of rows[j][0] (`words` words per row, a multiple of 8).
// Each class's popcount is summed bit-sliced by the kernel into vertical
// counters, which 8 × 8 bit transposes turn back into one count per sample.
void score_words(const kernels::kernel_set& kernels, const group_sum_head& head, const std::uint64_t* const* rows,
                 std::size_t words, std::size_t first, std::size_t count, head_output& out) {
    const std::uint32_t classes = head.num_classes;
    const std::size_t group = head.outputs.size() / classes;
    const unsigned bits = static_cast<unsigned>(std::bit_width(group));
    aligned_words counters(std::size_t{bits} * words);
    for (std::uint32_t c = 0; c < classes; ++c) {
        std::fill(counters.begin(), counters.end(), 0);
        kernels.count_planes(rows + c * group, group, words, counters.data(), bits);
        for (std::size_t s0 = 0; s0 < count; s0 += 8) {
            const std::size_t w = s0 / 64;
            const unsigned shift = static_cast<unsigned>(s0 % 64);
            std::uint32_t value[8] = {};
            for (unsigned b0 = 0; b0 < bits; b0 += 8) {
                std::uint64_t x = 0;
                for (unsigned i = 0; i < 8 && b0 + i < bits; ++i)
                    x |= ((counters[(b0 + i) * words + w] >> shift) & 0xFF) << (8 * i);
                x = transpose8(x);
                for (unsigned i = 0; i < 8; ++i) value[i] |= static_cast<std::uint32_t>((x >> (8 * i)) & 0xFF) << b0;
            }
            for (std::size_t i = 0; i < 8 && s0 + i < count; ++i) out.scores[(first + s0 + i) * classes + c] = value[i];
        }
    }
    for (std::size_t s = first; s < first + count; ++s) {
        const std::uint32_t* row = out.scores.data() + s * classes;
        out.predictions[s] = static_cast<std::uint16_t>(std::max_element(row, row + classes) - row);
    }
}

head_output empty_head_output(const group_sum_head& head, std::size_t samples) {
    if (head.num_classes == 0) throw error("classify: the network has no head (num_classes = 0)");
    head_output r;
    r.num_classes = head.num_classes;
    r.scores.assign(samples * head.num_classes, 0);
    r.predictions.assign(samples, 0);
    return r;
}

}  // namespace

head_output group_sum(const group_sum_head& head, const bit_matrix& output_planes) {
    head_output r = empty_head_output(head, output_planes.samples());
    if (output_planes.rows() != head.outputs.size())
        throw error("group_sum: " + std::to_string(output_planes.rows()) + " planes for a head of " +
                    std::to_string(head.outputs.size()) + " outputs");
    std::vector<const std::uint64_t*> rows(output_planes.rows());
    for (std::size_t j = 0; j < rows.size(); ++j) rows[j] = output_planes.row(j).data();
    score_words(kernels::kernels_for(best_isa()), head, rows.data(), output_planes.stride(), 0, output_planes.samples(), r);
    return r;
}

bitslice_engine::bitslice_engine(network net, engine_options options)
    : net_(std::move(net)),
      isa_(options.instruction_set.value_or(best_isa())),
      threads_(options.threads == 0 ? std::max(1U, std::thread::hardware_concurrency()) : options.threads),
      tile_samples_(options.tile_samples) {
    if (!net_.combinational())
        throw error("bit-sliced engine: the network has delayed slots; run it with the event engine");
    if (!isa_supported(isa_))
        throw error("bit-sliced engine: this processor does not support " + std::string(to_string(isa_)));
    if (tile_samples_ == 0 || tile_samples_ % vector_samples != 0)
        throw error("bit-sliced engine: tile_samples = " + std::to_string(tile_samples_) +
                    " is not a positive multiple of 512");
}

// Runs per_tile(word_offset, words, planes, plane_stride) for every tile, the
// tiles shared among the threads; each thread owns its planes and scratch.
template <class PerTile>
void bitslice_engine::run_tiles(const bit_matrix& inputs, PerTile&& per_tile) const {
    if (inputs.rows() != net_.num_inputs())
        throw error("bit-sliced engine: " + std::to_string(inputs.rows()) + " input rows for a network of " +
                    std::to_string(net_.num_inputs()) + " inputs");
    const std::size_t tile_words = tile_samples_ / 64;
    const std::size_t n_tiles = (inputs.stride() + tile_words - 1) / tile_words;
    const kernels::kernel_set& kernel = kernels::kernels_for(isa_);
    const network_arrays& a = net_.arrays();

    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto worker = [&] {
        try {
            aligned_words planes(std::size_t{net_.num_nodes()} * tile_words);
            aligned_words scratch(kernels::scratch_words(tile_words));
            for (std::size_t t; (t = next.fetch_add(1)) < n_tiles;) {
                const std::size_t offset = t * tile_words;
                const std::size_t words = std::min(tile_words, inputs.stride() - offset);
                const kernels::tile_job job{net_.num_inputs(), net_.num_nodes(), a.k.data(),       a.sources.data(),
                                            a.tables.data(),   inputs.data() + offset, inputs.stride(), planes.data(),
                                            tile_words,        words,                  scratch.data()};
                kernel.evaluate_tile(job);
                per_tile(offset, words, planes.data(), tile_words);
            }
        } catch (...) {
            const std::scoped_lock lock(failure_mutex);
            if (!failure) failure = std::current_exception();
            next = n_tiles;
        }
    };
    const unsigned n_threads = static_cast<unsigned>(std::min<std::size_t>(threads_, n_tiles));
    if (n_threads <= 1) {
        worker();
    } else {
        std::vector<std::jthread> pool;
        for (unsigned i = 0; i < n_threads; ++i) pool.emplace_back(worker);
    }
    if (failure) std::rethrow_exception(failure);
}

bit_matrix bitslice_engine::evaluate(const bit_matrix& inputs) const {
    bit_matrix out(net_.num_nodes(), inputs.samples());
    run_tiles(inputs, [&](std::size_t offset, std::size_t words, const std::uint64_t* planes, std::size_t stride) {
        for (std::uint32_t n = 0; n < net_.num_nodes(); ++n)
            std::copy_n(planes + n * stride, words, out.row(n).data() + offset);
    });
    return out;
}

head_output bitslice_engine::classify(const bit_matrix& inputs) const {
    const group_sum_head& head = net_.head();
    head_output r = empty_head_output(head, inputs.samples());
    run_tiles(inputs, [&](std::size_t offset, std::size_t words, const std::uint64_t* planes, std::size_t stride) {
        const std::size_t first = offset * 64;
        if (first >= inputs.samples()) return;
        std::vector<const std::uint64_t*> rows(head.outputs.size());
        for (std::size_t j = 0; j < rows.size(); ++j) rows[j] = planes + head.outputs[j] * stride;
        score_words(kernels::kernels_for(isa_), head, rows.data(), words, first, std::min(words * 64, inputs.samples() - first),
                    r);
    });
    return r;
}

}  // namespace lutra::core
