#pragma once
// The codings and sequences behind data/streams.hpp, one file each; the
// catalogue in catalogue.cpp lists them and is their only caller. Each kind
// gives two functions: its shape (checking what only it needs; the catalogue
// has already checked the schema and matched the dataset name) and its
// stimulus.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/core/time.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/data/streams.hpp"

namespace lutra::data::streams {

// A problem with one key of stream_params, named by its YAML path.
[[nodiscard]] core::schema_error param_error(std::string_view key, const std::string& problem);

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

// The streams of one 64-stream word of the input matrix at one tick: stream
// b of the block shows the sample whose index in the split is samples[b]
// and whose features start at features[b]; a block has 1 … 64 streams.
// `bytes` holds the same features feature-major, 64 bytes per feature:
// bytes[f·64 + b] = feature f of stream b, 0 past the block's streams.
struct sample_block {
    std::span<const std::uint8_t* const> features;
    std::span<const std::size_t> samples;
    std::span<const std::uint8_t> bytes;
};

// How a sample becomes input bits, tick by tick, 64 streams at a time.
class sample_coding {
public:
    virtual ~sample_coding() = default;
    // Writes tick j (0 ≤ j < ticks per sample) of showing the block's
    // samples: bit b of words[r] (all zero on entry, one per input) is input
    // r of the block's stream b. Bits past the block's streams are ignored.
    virtual void write(const sample_block& block, std::uint32_t j, std::span<std::uint64_t> words) = 0;
};

// Bit b of the result is test(v[b]) for 64 consecutive bytes. The tests
// vectorise, and each 8 bytes of 0/1 are gathered into 8 bits by one
// multiply (byte k lands on bit 56 + k, no carries), as core's encoder does.
template <class Test>
[[nodiscard]] std::uint64_t byte_mask(const std::uint8_t* v, Test test) noexcept {
    static_assert(std::endian::native == std::endian::little, "byte_mask reads bytes 0..7 as a little-endian word");
    std::array<std::uint8_t, 64> hit{};
    for (unsigned i = 0; i < 64; ++i) hit[i] = test(v[i]) ? 1 : 0;
    std::uint64_t word = 0;
    for (unsigned k = 0; k < 8; ++k) {
        std::uint64_t lanes = 0;
        std::memcpy(&lanes, hit.data() + 8 * k, 8);
        word |= ((lanes * 0x0102040810204080ULL) >> 56) << (8 * k);
    }
    return word;
}

// Split p.split of `dataset` (its first p.samples samples, 0 = all), loaded.
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
stream_shape shape_spike_order(const stream_params& p);
std::unique_ptr<core::stimulus> make_spike_order(const stream_params& p, std::size_t streams, std::uint64_t seed);
stream_shape shape_text(const stream_params& p);
std::unique_ptr<core::stimulus> make_text(const stream_params& p, std::size_t streams, std::uint64_t seed);

}  // namespace lutra::data::streams
