// Latency coding: one spike per feature and presentation, the brighter the
// earlier: a feature of value v ≥ 1 spikes at tick
// round((1 − v/255)·(presentation − 1)) of the presentation, in exact
// integer arithmetic (there are no ties: 2·(255 − v)·(presentation − 1) is
// even, 255·odd is not), so 255 spikes at tick 0 and 1 at the last tick or
// near it; v = 0 never spikes.

#include <algorithm>
#include <array>
#include <limits>

#include "kinds.hpp"

namespace lutra::data::streams {

namespace {

class latency_coding final : public sample_coding {
public:
    explicit latency_coding(const stream_params& p) {
        spike_tick_[0] = never;
        const std::uint64_t last = p.presentation - 1;
        for (unsigned v = 1; v < 256; ++v)
            spike_tick_[v] = static_cast<std::uint32_t>(((255 - v) * last * 2 + 255) / 510);
    }

    void write(const sample_block& block, std::uint32_t j, std::span<std::uint64_t> words) override {
        // The spike tick falls as v rises, so the values that spike at j are one interval lo..hi.
        unsigned lo = 256, hi = 0;
        for (unsigned v = 1; v < 256; ++v)
            if (spike_tick_[v] == j) {
                lo = std::min(lo, v);
                hi = v;
            }
        if (lo > hi) return;
        const auto width = static_cast<std::uint8_t>(hi - lo);
        for (std::size_t f = 0; f < words.size(); ++f)
            words[f] = byte_mask(block.bytes.data() + f * 64,
                                 [&](std::uint8_t v) { return static_cast<std::uint8_t>(v - lo) <= width; });
    }

private:
    static constexpr std::uint32_t never = std::numeric_limits<std::uint32_t>::max();
    std::array<std::uint32_t, 256> spike_tick_{};
};

}  // namespace

stream_shape shape_latency(const stream_params& p) { return dataset_stream_shape(p, p.dataset); }

std::unique_ptr<core::stimulus> make_latency(const stream_params& p, std::size_t streams, std::uint64_t seed) {
    const stream_shape shape = shape_latency(p);
    return show_samples(load_split(p, p.dataset, seed), shape, shape.inputs(), streams,
                        std::make_unique<latency_coding>(p));
}

}  // namespace lutra::data::streams
