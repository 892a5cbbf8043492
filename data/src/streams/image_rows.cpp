// Images as sequences of rows ("mnist-rows", "fashion-mnist-rows"): an image
// takes one tick per row, and tick r shows row r's pixels, each as `bits`
// thermometer bits: input x·bits + i = pixel x > ⌊255·(i+1)/(bits+1)⌋
// (bits = 1: pixel > 127). The image's label is the label of all its ticks.

#include <vector>

#include "kinds.hpp"

namespace lutra::data::streams {

namespace {

constexpr std::string_view rows_suffix = "-rows";

// "mnist-rows" → "mnist".
std::string_view image_dataset(const stream_params& p) {
    return std::string_view(p.dataset).substr(0, p.dataset.size() - rows_suffix.size());
}

class image_rows_coding final : public sample_coding {
public:
    image_rows_coding(const stream_params& p, std::uint32_t width) : width_(width) {
        for (std::uint32_t i = 0; i < p.bits; ++i) thresholds_.push_back(thermometer_threshold(i, p.bits));
    }

    void write(const sample_block& block, std::uint32_t j, std::span<std::uint64_t> words) override {
        const std::size_t bits = thresholds_.size();
        const std::uint8_t* row = block.bytes.data() + std::size_t{j} * width_ * 64;
        for (std::size_t x = 0; x < width_; ++x)
            for (std::size_t i = 0; i < bits; ++i)
                words[x * bits + i] = byte_mask(row + x * 64, [&](std::uint8_t v) { return v > thresholds_[i]; });
    }

private:
    std::uint32_t width_;
    std::vector<std::uint8_t> thresholds_;
};

}  // namespace

stream_shape shape_image_rows(const stream_params& p) {
    const stream_shape image = dataset_stream_shape(p, image_dataset(p));
    return {.width = image.width, .height = 1, .bits = p.bits, .classes = image.classes,
            .ticks_per_sample = image.height};
}

std::unique_ptr<core::stimulus> make_image_rows(const stream_params& p, std::size_t streams, std::uint64_t seed) {
    const stream_shape shape = shape_image_rows(p);
    return show_samples(load_split(p, image_dataset(p), seed), shape, shape.width * shape.ticks_per_sample, streams,
                        std::make_unique<image_rows_coding>(p, shape.width));
}

}  // namespace lutra::data::streams
