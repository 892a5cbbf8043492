// Rate coding: at every tick of a sample's presentation, feature f of value v
// is 1 with probability max_rate·v/255. The draw is
// counter_rng(seed, "stream-rate").fork(sample).uniform(f·presentation + j)
// for tick j of the presentation, so a sample gives the same spikes in every
// stream and thread that shows it (and again when the streams wrap around).

#include <array>

#include "kinds.hpp"
#include "lutra/core/random.hpp"

namespace lutra::data::streams {

namespace {

class rate_coding final : public sample_coding {
public:
    rate_coding(const stream_params& p, std::uint64_t seed) : rng_(seed, "stream-rate"), presentation_(p.presentation) {
        for (unsigned v = 0; v < 256; ++v) probability_[v] = p.max_rate * v / 255.0;
    }

    void write(std::span<const std::uint8_t> features, std::size_t sample, std::uint32_t j, std::size_t stream,
               core::bit_matrix& inputs) const override {
        const counter_rng draws = rng_.fork(sample);
        for (std::size_t f = 0; f < features.size(); ++f) {
            const std::uint8_t v = features[f];
            if (v != 0 && draws.uniform(f * presentation_ + j) < probability_[v]) set_input(inputs, f, stream);
        }
    }

private:
    counter_rng rng_;
    std::uint64_t presentation_;
    std::array<double, 256> probability_{};
};

}  // namespace

stream_shape shape_rate(const stream_params& p) { return dataset_stream_shape(p, p.dataset); }

std::unique_ptr<core::stimulus> make_rate(const stream_params& p, std::size_t streams, std::uint64_t seed) {
    const stream_shape shape = shape_rate(p);
    return show_samples(load_split(p, p.dataset, seed), shape, shape.inputs(), streams,
                        std::make_unique<rate_coding>(p, seed));
}

}  // namespace lutra::data::streams
