// Thermometer over time: the `levels` thresholds of a thermometer code walked
// one per tick. At tick j of a presentation, feature value v gives
// v > θ_(j mod levels), θ_i = ⌊255·(i+1)/(levels+1)⌋, so a feature is 1 for
// as many ticks of each cycle of `levels` as its value passes thresholds:
// the count of ones is its thermometer code. A presentation is whole cycles.

#include <vector>

#include "kinds.hpp"

namespace lutra::data::streams {

namespace {

class thermometer_coding final : public sample_coding {
public:
    explicit thermometer_coding(const stream_params& p) {
        for (std::uint32_t i = 0; i < p.levels; ++i) thresholds_.push_back(thermometer_threshold(i, p.levels));
    }

    void write(const sample_block& block, std::uint32_t j, std::span<std::uint64_t> words) override {
        const std::uint8_t threshold = thresholds_[j % thresholds_.size()];
        for (std::size_t f = 0; f < words.size(); ++f)
            words[f] = byte_mask(block.bytes.data() + f * 64, [&](std::uint8_t v) { return v > threshold; });
    }

private:
    std::vector<std::uint8_t> thresholds_;
};

}  // namespace

stream_shape shape_thermometer(const stream_params& p) {
    if (p.presentation % p.levels != 0)
        throw param_error("presentation", "thermometer coding shows whole cycles of " + std::to_string(p.levels) +
                                              " levels; presentation = " + std::to_string(p.presentation) +
                                              " is not a multiple of levels = " + std::to_string(p.levels));
    return dataset_stream_shape(p, p.dataset);
}

std::unique_ptr<core::stimulus> make_thermometer(const stream_params& p, std::size_t streams, std::uint64_t seed) {
    const stream_shape shape = shape_thermometer(p);
    return show_samples(load_split(p, p.dataset, seed), shape, shape.inputs(), streams,
                        std::make_unique<thermometer_coding>(p));
}

}  // namespace lutra::data::streams
