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

    void write(std::span<const std::uint8_t> features, std::size_t, std::uint32_t j, std::size_t stream,
               core::bit_matrix& inputs) const override {
        const std::size_t bits = thresholds_.size();
        for (std::size_t x = 0; x < width_; ++x) {
            const std::uint8_t v = features[j * width_ + x];
            // Thresholds rise, so the first one v does not pass ends the pixel.
            for (std::size_t i = 0; i < bits && v > thresholds_[i]; ++i) set_input(inputs, x * bits + i, stream);
        }
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
