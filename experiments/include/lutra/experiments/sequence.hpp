#pragma once
// Training on sequences (`time.sequence`, docs/time.md "Learning in time"):
// a run whose samples are sequences of the `time.input` stream, each
// classified at its readout ticks (core/sequence.hpp), trained by
// backpropagation through time.
//
//   time:
//     input: {coding: sequence, dataset: mnist-rows, bits: 2}
//     sequence:
//       ticks: 28            # 0 = train on static samples (the data section)
//       readout: last        # last | window (the last `window` ticks) | ticks (the ticks in `at`)
//       bptt_window: 0       # truncated BPTT: ticks the gradient flows back; 0 = all
//
// Sample s of a split is stream s of the stimulus over ticks [0, ticks), its
// label the stream's label at the last readout tick. Image rows show each
// image of the split once; other tasks (delayed-xor, parity, spike-order) draw
// train_samples / test_samples independent sequences, the test ones from
// another seed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/sequence.hpp"
#include "lutra/data/streams.hpp"

namespace lutra::core {
class schema_visitor;
}

namespace lutra::experiments {

inline constexpr std::string_view readout_kinds[] = {"last", "window", "ticks"};

struct sequence_settings {
    std::uint32_t ticks = 0;            // ticks per sequence; 0 = not a sequence run
    std::string readout = "last";       // last | window | ticks
    std::uint32_t window = 1;           // readout window: the last N ticks are summed
    std::vector<std::uint32_t> at;      // readout ticks: these ticks are summed
    std::uint32_t bptt_window = 0;      // ticks the gradient flows back from the last readout tick; 0 = all
    std::size_t train_samples = 20000;  // tasks that draw their sequences: training ones
    std::size_t test_samples = 2000;    // and test ones
    friend bool operator==(const sequence_settings&, const sequence_settings&) = default;
};
void describe(core::schema_visitor& v, sequence_settings& s);

// The spec of a sequence run. Throws core::schema_error at the key below
// "time.sequence" for a readout outside the sequence, a window longer than
// it, a bptt_window longer than it.
[[nodiscard]] core::sequence_spec sequence_spec_of(const sequence_settings& s);

// A split's sequences: flat inputs (ticks · inputs rows, one sample a
// sequence) and labels.
struct sequence_split {
    core::bit_matrix inputs;
    std::vector<std::uint16_t> labels;
};
struct sequence_data {
    data::stream_shape shape;  // of one tick
    sequence_split train, test;
    core::encoder encoder;     // one tick's features to its input bits, as the stream codes them
    // Image rows: the images, and the encoder of a whole image whose bits
    // are the flat sequence (row y's pixels are tick y's features, so
    // feature-major bits are tick-major): augmented epochs encode moved
    // images with it. Empty for other streams.
    core::dataset images;
    core::encoder image_encoder;
};

// Checks the settings against the stream without loading anything (schema
// errors at time.sequence / time.input paths): the stream is a sequence, a
// sample stream's ticks equal its ticks per sample, a labelled tick is read.
[[nodiscard]] data::stream_shape check_sequence_run(const data::stream_params& input, const sequence_settings& s);

// `samples` streams of the stimulus over ticks [0, ticks), labelled at
// label_tick: how drawn tasks are read (image rows take the equal, faster
// route through the whole image's encoder).
[[nodiscard]] sequence_split read_stream_sequences(const data::stream_params& input, std::size_t samples,
                                                   std::uint32_t ticks, std::uint32_t label_tick, std::uint64_t seed);

[[nodiscard]] sequence_data load_sequences(const data::stream_params& input, const sequence_settings& s,
                                           std::uint64_t seed);

// The test sequences as one byte per feature and tick (sample-major, then
// tick, then feature), what the exported circuit's pixels port is fed: the
// images of image rows, the bits (0 or 1) of drawn tasks.
[[nodiscard]] std::vector<std::uint8_t> test_sequence_pixels(const sequence_data& d, std::uint32_t ticks);

// Head outputs no input reaches by the last readout tick, for a warning:
// "node N of population P first hears an input at tick T" lines.
[[nodiscard]] std::vector<std::string> unreached_head_warnings(const core::network& net,
                                                               const core::sequence_spec& spec);

}  // namespace lutra::experiments
