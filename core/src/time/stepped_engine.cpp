// The time-stepped reference (DESIGN §5): every node at every tick, with the
// bit-sliced kernels over tiles of 512 streams. Each tile keeps a ring of the
// last (longest delay + 1) frames — a frame being every input row and node
// plane of one tick — so a slot with delay d reads the frame of tick t − d
// where it is, and nothing is ever copied along a delay line. Frames not yet
// written since reset are zero, which is the registers' initial value.
#include <algorithm>
#include <atomic>
#include <bit>
#include <thread>

#include "../bitslice/kernels.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/time.hpp"

namespace lutra::core {
namespace {

constexpr std::size_t tile_words = vector_words;  // 512 streams per tile

class stepped_engine final : public timed_engine {
public:
    stepped_engine(network net, const time_options& options)
        : timed_engine(std::move(net), options.streams),
          isa_(options.instruction_set.value_or(best_isa())),
          threads_(options.threads == 0 ? std::max(1U, std::thread::hardware_concurrency()) : options.threads),
          frames_(longest_delay(net_) + 1),
          frame_words_((std::size_t{net_.num_inputs()} + net_.num_nodes()) * tile_words),
          tiles_((streams_ + vector_samples - 1) / vector_samples) {
        if (!isa_supported(isa_))
            throw error("stepped engine: this processor does not support " + std::string(to_string(isa_)));
        kernel_ = &kernels::kernels_for(isa_);
        tile_.resize(tiles_);
        for (tile_state& t : tile_) {
            t.ring.assign(frames_ * frame_words_, 0);
            t.scratch.assign(kernels::scratch_words(tile_words), 0);
            t.toggles.assign(net_.num_nodes(), 0);
            t.changed.assign(net_.num_nodes(), 0);
            t.delayed.assign(frames_, nullptr);
        }
    }

    [[nodiscard]] time_engine_kind kind() const noexcept override { return time_engine_kind::stepped; }

    void step(const bit_matrix& inputs) override {
        check_inputs(inputs);
        const unsigned n_threads = static_cast<unsigned>(std::min<std::size_t>(threads_, tiles_));
        if (n_threads <= 1) {
            for (std::size_t t = 0; t < tiles_; ++t) run_tile(t, inputs);
        } else {
            std::atomic<std::size_t> next{0};
            auto worker = [&] {
                for (std::size_t t; (t = next.fetch_add(1)) < tiles_;) run_tile(t, inputs);
            };
            std::vector<std::jthread> pool;
            for (unsigned i = 0; i < n_threads; ++i) pool.emplace_back(worker);
        }
        // Merged in node order, so nothing depends on which thread ran a tile.
        changed_.clear();
        for (std::uint32_t n = 0; n < net_.num_nodes(); ++n) {
            bool changed = false;
            for (tile_state& t : tile_) {
                toggles_[n] += t.toggles[n];
                changed = changed || t.changed[n];
                t.toggles[n] = 0;
                t.changed[n] = 0;
            }
            if (changed) changed_.push_back(n);
        }
        node_updates_ += net_.num_nodes();
        ++tick_;
    }

    void reset() override {
        for (tile_state& t : tile_) std::fill(t.ring.begin(), t.ring.end(), 0);
        reset_counters();
    }

    [[nodiscard]] std::span<const std::uint64_t> slot_plane(std::uint32_t node, unsigned slot) const override {
        if (tick_ == 0) throw error("slot_plane: no tick has run since reset");
        if (tiles_ != 1)
            throw error("slot_plane: the stepped engine shows slot planes of at most 512 streams, not " +
                        std::to_string(streams_));
        const std::uint64_t last = tick_ - 1;
        const std::uint32_t d = net_.delays(node)[slot];
        const std::uint32_t id = net_.sources(node)[slot];
        const std::uint64_t* frame = tile_[0].ring.data() + ((last + frames_ - d) % frames_) * frame_words_;
        return {frame + std::size_t{id} * tile_words, tile_words};
    }

    void set_table(std::uint32_t node, std::span<const std::uint64_t> table) override {
        check_table(node, table);
        std::copy(table.begin(), table.end(), tables_.begin() + static_cast<std::ptrdiff_t>(net_.table_offset(node)));
    }

private:
    struct tile_state {
        aligned_words ring;                         // frames_ frames of frame_words_ words
        aligned_words scratch;
        std::vector<std::uint64_t> toggles;         // this tick's, per node
        std::vector<std::uint8_t> changed;          // this tick's, per node
        std::vector<const std::uint64_t*> delayed;  // delayed[d]: the frame of tick t − d
    };

    // Tile `t` (streams 512·t …) runs tick tick_: writes its frame, evaluates
    // every node, and writes its columns of outputs_.
    void run_tile(std::size_t t, const bit_matrix& inputs) {
        tile_state& s = tile_[t];
        const std::uint32_t num_inputs = net_.num_inputs();
        std::uint64_t* frame = s.ring.data() + (tick_ % frames_) * frame_words_;
        // Columns past streams_ are ignored: they read zero inputs.
        std::uint64_t mask[tile_words];
        for (std::size_t w = 0; w < tile_words; ++w) {
            const std::size_t first = (t * tile_words + w) * 64;
            mask[w] = first >= streams_ ? 0 : streams_ - first >= 64 ? ~std::uint64_t{0}
                                                                      : (std::uint64_t{1} << (streams_ - first)) - 1;
        }
        for (std::uint32_t i = 0; i < num_inputs; ++i) {
            const std::uint64_t* in = inputs.row(i).data() + t * tile_words;
            for (std::size_t w = 0; w < tile_words; ++w) frame[std::size_t{i} * tile_words + w] = in[w] & mask[w];
        }
        for (std::uint32_t d = 1; d < frames_; ++d)
            s.delayed[d] = s.ring.data() + ((tick_ + frames_ - d) % frames_) * frame_words_;
        const network_arrays& a = net_.arrays();
        std::uint64_t* planes = frame + std::size_t{num_inputs} * tile_words;
        kernels::tile_job job{num_inputs, net_.num_nodes(), a.k.data(),  a.sources.data(), tables_.data(),
                              frame,      tile_words,        planes,      tile_words,       tile_words,
                              s.scratch.data()};
        if (frames_ > 1) {
            job.delays = a.delays.data();
            job.delayed_frames = s.delayed.data();
        }
        kernel_->evaluate_tile(job);
        // Columns past streams_ are cleared in the frame too, so slot planes
        // show zeros there as the event engine's do.
        for (std::uint32_t n = 0; n < net_.num_nodes(); ++n) {
            std::uint64_t* now = planes + std::size_t{n} * tile_words;
            std::uint64_t* out = outputs_.row(n).data() + t * tile_words;
            std::uint64_t toggles = 0;
            for (std::size_t w = 0; w < tile_words; ++w) {
                const std::uint64_t v = now[w] & mask[w];
                now[w] = v;
                toggles += static_cast<std::uint64_t>(std::popcount(v ^ out[w]));
                out[w] = v;
            }
            s.toggles[n] = toggles;
            s.changed[n] = toggles != 0;
        }
    }

    isa isa_;
    const kernels::kernel_set* kernel_ = nullptr;
    unsigned threads_;
    std::uint32_t frames_;
    std::size_t frame_words_;
    std::size_t tiles_;
    std::vector<tile_state> tile_;
};

}  // namespace

std::unique_ptr<timed_engine> make_stepped_engine(network net, const time_options& options) {
    return std::make_unique<stepped_engine>(std::move(net), options);
}

}  // namespace lutra::core
