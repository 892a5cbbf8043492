// Rate coding: at every tick of a sample's presentation, feature f of value v
// is 1 with probability max_rate·v/255. The draw is
// counter_rng(seed, "stream-rate").fork(sample).uniform(f·presentation + j)
// for tick j of the presentation, so a sample gives the same spikes in every
// stream and thread that shows it (and again when the streams wrap around).

#include <array>
#include <cmath>

#include "kinds.hpp"
#include "lutra/core/random.hpp"

namespace lutra::data::streams {

namespace {

class rate_coding final : public sample_coding {
public:
    rate_coding(const stream_params& p, std::uint64_t seed) : rng_(seed, "stream-rate"), presentation_(p.presentation) {
        // uniform() is k·2^-53 for the integer k = at() >> 11, and k·2^-53 < p exactly when k < ⌈p·2^53⌉.
        for (unsigned v = 0; v < 256; ++v)
            below_[v] = static_cast<std::uint64_t>(std::ceil(p.max_rate * v / 255.0 * 0x1.0p53));
    }

    void write(const sample_block& block, std::uint32_t j, std::span<std::uint64_t> words) override {
        for (std::size_t b = 0; b < block.features.size(); ++b) {
            const counter_rng draws = rng_.fork(block.samples[b]);
            const std::uint8_t* v = block.features[b];
            for (std::size_t f = 0; f < words.size(); ++f)
                if (v[f] != 0)  // most pixels of an image are 0: no draw
                    words[f] |= std::uint64_t{(draws.at(f * presentation_ + j) >> 11) < below_[v[f]]} << b;
        }
    }

private:
    counter_rng rng_;
    std::uint64_t presentation_;
    std::array<std::uint64_t, 256> below_{};
};

}  // namespace

stream_shape shape_rate(const stream_params& p) { return dataset_stream_shape(p, p.dataset); }

std::unique_ptr<core::stimulus> make_rate(const stream_params& p, std::size_t streams, std::uint64_t seed) {
    const stream_shape shape = shape_rate(p);
    return show_samples(load_split(p, p.dataset, seed), shape, shape.inputs(), streams,
                        std::make_unique<rate_coding>(p, seed));
}

}  // namespace lutra::data::streams
