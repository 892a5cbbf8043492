#pragma once
// The codings and sequences behind data/streams.hpp, one file each; the
// catalogue in catalogue.cpp lists them and is their only caller. Each kind
// gives two functions: its shape (checking what only it needs; the catalogue
// has already checked the schema and matched the dataset name) and its
// stimulus.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/core/time.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/data/streams.hpp"

namespace lutra::data::streams {

// A problem with one key of stream_params, named by its YAML path.
[[nodiscard]] core::schema_error param_error(std::string_view key, const std::string& problem);

// Thermometer threshold j of `count`: the input is v > θ_j with
// θ_j = ⌊255·(j+1)/(count+1)⌋ (count = 1: v > 127).
[[nodiscard]] constexpr std::uint8_t thermometer_threshold(std::uint32_t j, std::uint32_t count) noexcept {
    return static_cast<std::uint8_t>(255U * (j + 1) / (count + 1));
}

// Checks a matrix fill() was handed (rows = num_inputs, at least streams
// columns; lutra::error otherwise) and zeroes it, so codings only set bits.
void clear_inputs(const core::stimulus& stimulus, core::bit_matrix& inputs);
// Checks a labels() buffer has one entry per stream (lutra::error otherwise).
void check_labels(const core::stimulus& stimulus, std::span<const std::uint16_t> out);

// Sets input `row` of stream `stream` to 1.
inline void set_input(core::bit_matrix& inputs, std::size_t row, std::size_t stream) noexcept {
    inputs.row(row)[stream / 64] |= std::uint64_t{1} << (stream % 64);
}

// ---- samples of a dataset, shown one after another (samples.cpp) ----------

// How a sample becomes input bits, tick by tick.
class sample_coding {
public:
    virtual ~sample_coding() = default;
    // Sets stream `stream`'s inputs at tick j (0 ≤ j < ticks per sample) of
    // showing sample `sample` (its index in the split), whose features are
    // `features`.
    virtual void write(std::span<const std::uint8_t> features, std::size_t sample, std::uint32_t j,
                       std::size_t stream, core::bit_matrix& inputs) const = 0;
};

// The split `p` names (p.dataset or `dataset`, p.split, p.samples), loaded.
[[nodiscard]] data_split load_split(const stream_params& p, std::string_view dataset, std::uint64_t seed);
// The dataset's image shape and classes; throws for an unknown dataset or
// more samples than a real one has. One input line per feature: channels
// are stacked below each other (height × channels rows).
[[nodiscard]] stream_shape dataset_stream_shape(const stream_params& p, std::string_view dataset);
// Shows the split's samples with `coding`, ticks_per_sample ticks each.
[[nodiscard]] std::unique_ptr<core::stimulus> show_samples(data_split split, const stream_shape& shape,
                                                           std::uint32_t features_per_sample, std::size_t streams,
                                                           std::unique_ptr<sample_coding> coding);

// ---- the kinds -------------------------------------------------------------

using shape_fn = stream_shape (*)(const stream_params& p);
using make_fn = std::unique_ptr<core::stimulus> (*)(const stream_params& p, std::size_t streams, std::uint64_t seed);

stream_shape shape_rate(const stream_params& p);
std::unique_ptr<core::stimulus> make_rate(const stream_params& p, std::size_t streams, std::uint64_t seed);
stream_shape shape_latency(const stream_params& p);
std::unique_ptr<core::stimulus> make_latency(const stream_params& p, std::size_t streams, std::uint64_t seed);
stream_shape shape_thermometer(const stream_params& p);
std::unique_ptr<core::stimulus> make_thermometer(const stream_params& p, std::size_t streams, std::uint64_t seed);
// "<dataset>-rows": the image dataset named before "-rows".
stream_shape shape_image_rows(const stream_params& p);
std::unique_ptr<core::stimulus> make_image_rows(const stream_params& p, std::size_t streams, std::uint64_t seed);
stream_shape shape_delayed_xor(const stream_params& p);
std::unique_ptr<core::stimulus> make_delayed_xor(const stream_params& p, std::size_t streams, std::uint64_t seed);
stream_shape shape_parity(const stream_params& p);
std::unique_ptr<core::stimulus> make_parity(const stream_params& p, std::size_t streams, std::uint64_t seed);
stream_shape shape_text(const stream_params& p);
std::unique_ptr<core::stimulus> make_text(const stream_params& p, std::size_t streams, std::uint64_t seed);

}  // namespace lutra::data::streams
