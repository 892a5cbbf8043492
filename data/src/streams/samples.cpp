// Samples of a dataset shown one after another on parallel streams: what the
// static codings and the image-row sequences share (kinds.hpp).

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "kinds.hpp"
#include "lutra/core/error.hpp"

namespace lutra::data::streams {

core::schema_error param_error(std::string_view key, const std::string& problem) {
    return {std::string(stream_params_path) + "." + std::string(key), problem};
}

void clear_inputs(const core::stimulus& stimulus, core::bit_matrix& inputs) {
    if (inputs.rows() != stimulus.num_inputs() || inputs.samples() < stimulus.streams())
        throw error("stimulus: the input matrix has " + std::to_string(inputs.rows()) + " rows × " +
                    std::to_string(inputs.samples()) + " samples; the stimulus writes " +
                    std::to_string(stimulus.num_inputs()) + " inputs × " + std::to_string(stimulus.streams()) +
                    " streams");
    std::fill_n(inputs.data(), inputs.rows() * inputs.stride(), std::uint64_t{0});
}

void check_labels(const core::stimulus& stimulus, std::span<const std::uint16_t> out) {
    if (out.size() != stimulus.streams())
        throw error("stimulus: " + std::to_string(out.size()) + " labels asked for, but there are " +
                    std::to_string(stimulus.streams()) + " streams");
}

stream_shape dataset_stream_shape(const stream_params& p, std::string_view dataset) {
    dataset_shape shape;
    try {
        // Real datasets cap the counts at their size, so a smaller count means too few samples.
        shape = dataset_shape_of(dataset, {.seed = 1, .train_samples = p.samples, .test_samples = p.samples});
    } catch (const unknown_name_error& e) {
        throw unknown_name_error(e.kind, e.name, std::string(stream_params_path) + ".dataset: " + e.what());
    }
    const std::size_t available = p.split == "train" ? shape.train_samples : shape.test_samples;
    if (p.samples > available)
        throw param_error("samples", "dataset '" + std::string(dataset) + "' has " + std::to_string(available) + " " +
                                         p.split + " samples, fewer than the " + std::to_string(p.samples) +
                                         " asked for (0 = all)");
    return {.width = shape.width,
            .height = shape.height * shape.channels,
            .bits = 1,
            .classes = shape.classes,
            .ticks_per_sample = p.presentation};
}

data_split load_split(const stream_params& p, std::string_view dataset, std::uint64_t seed) {
    const bool train = p.split == "train";
    core::dataset d = load_dataset(dataset, {.seed = seed,
                                             .train_samples = train ? p.samples : 0,
                                             .test_samples = train ? 0 : p.samples});
    data_split split = std::move(train ? d.train : d.test);
    if (split.size() == 0) throw error("dataset '" + std::string(dataset) + "': the " + p.split + " split is empty");
    return split;
}

namespace {

class sample_stimulus final : public core::stimulus {
public:
    sample_stimulus(data_split split, const stream_shape& shape, std::uint32_t features_per_sample,
                    std::size_t streams, std::unique_ptr<sample_coding> coding)
        : split_(std::move(split)),
          shape_(shape),
          features_(features_per_sample),
          streams_(streams),
          coding_(std::move(coding)),
          words_(shape.inputs()),
          samples_(streams),
          features_of_(streams),
          bytes_((streams + 63) / 64 * 64 * std::size_t{features_per_sample}) {
        if (split_.features.size() != split_.size() * features_)
            throw internal_error("sample_stimulus: features do not match the sample count");
    }

    [[nodiscard]] std::uint32_t num_inputs() const override { return shape_.inputs(); }
    [[nodiscard]] std::size_t streams() const override { return streams_; }
    [[nodiscard]] bool labelled() const override { return true; }

    void fill(std::uint64_t tick, core::bit_matrix& inputs) override {
        clear_inputs(*this, inputs);
        const std::uint64_t shown = tick / shape_.ticks_per_sample;
        const auto j = static_cast<std::uint32_t>(tick % shape_.ticks_per_sample);
        if (shown != shown_) show(shown);
        for (std::size_t word = 0; word * 64 < streams_; ++word) {
            const std::size_t first = word * 64, count = std::min<std::size_t>(64, streams_ - first);
            std::fill(words_.begin(), words_.end(), 0);
            coding_->write({.features = {features_of_.data() + first, count},
                            .samples = {samples_.data() + first, count},
                            .bytes = {bytes_.data() + word * features_ * 64, features_ * 64}},
                           j, words_);
            const std::uint64_t streams_mask = count == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
            for (std::size_t r = 0; r < words_.size(); ++r) inputs.row(r)[word] = words_[r] & streams_mask;
        }
    }

    void labels(std::uint64_t tick, std::span<std::uint16_t> out) override {
        check_labels(*this, out);
        const std::uint64_t shown = tick / shape_.ticks_per_sample;
        for (std::size_t s = 0; s < streams_; ++s) out[s] = split_.labels[sample_at(shown, s)];
    }

private:
    // Every stream's `shown`-th sample and its features, feature-major per
    // block: they change once per ticks_per_sample ticks, so the transpose
    // is paid once per sample, not per tick.
    void show(std::uint64_t shown) {
        for (std::size_t s = 0; s < streams_; ++s) {
            samples_[s] = sample_at(shown, s);
            features_of_[s] = split_.features.data() + samples_[s] * features_;
        }
        std::fill(bytes_.begin(), bytes_.end(), 0);
        for (std::size_t s = 0; s < streams_; ++s) {
            std::uint8_t* block = bytes_.data() + (s / 64) * features_ * 64 + s % 64;
            for (std::size_t f = 0; f < features_; ++f) block[f * 64] = features_of_[s][f];
        }
        shown_ = shown;
    }

    // The sample stream s shows as its `shown`-th: s + shown·streams, wrapping around the split.
    [[nodiscard]] std::size_t sample_at(std::uint64_t shown, std::size_t s) const noexcept {
        __extension__ using u128 = unsigned __int128;
        return static_cast<std::size_t>((static_cast<u128>(shown) * streams_ + s) % split_.size());
    }

    data_split split_;
    stream_shape shape_;
    std::uint32_t features_;
    std::size_t streams_;
    std::unique_ptr<sample_coding> coding_;
    std::vector<std::uint64_t> words_;  // one block's input words
    std::uint64_t shown_ = ~std::uint64_t{0};  // what samples_, features_of_ and bytes_ hold
    std::vector<std::size_t> samples_;
    std::vector<const std::uint8_t*> features_of_;
    std::vector<std::uint8_t> bytes_;
};

}  // namespace

std::unique_ptr<core::stimulus> show_samples(data_split split, const stream_shape& shape,
                                             std::uint32_t features_per_sample, std::size_t streams,
                                             std::unique_ptr<sample_coding> coding) {
    return std::make_unique<sample_stimulus>(std::move(split), shape, features_per_sample, streams, std::move(coding));
}

}  // namespace lutra::data::streams
