#pragma once
// Streaming inputs for timed networks (DESIGN §5; docs/streams.md): a
// dataset's samples turned into spike trains, or a sequence fed one symbol
// per tick, as a core::stimulus over parallel streams.
//
// Static codings show each sample for `presentation` ticks, one input line
// per feature (bits = 1):
//   rate         input = 1 with probability max_rate·v/255 each tick
//   latency      one spike at tick round((1 − v/255)·(presentation − 1)); v = 0 never
//   thermometer  input = v > θ_j, θ_j = ⌊255·(j+1)/(levels+1)⌋, j = tick mod levels
// Sequences (coding "sequence"), one symbol per tick:
//   mnist-rows, fashion-mnist-rows   tick r shows image row r, `bits` thermometer bits per pixel
//   delayed-xor, parity              random bits; label from the last bits
//   spike-order                      lines A and B spike once a sample; label = A came first
//   text                             a file's bytes; label = the next byte
// Labels: a static coding and *-rows give the sample's label at every tick
// of its presentation; spike-order at the sample's last tick only.
// One catalogue in data/src/streams/catalogue.cpp lists them all.
//
// Every random number is counter_rng(seed, purpose) keyed by what it is for,
// so a stimulus is a pure function of (params, streams, seed, tick): ticks
// may be asked for in any order, and a sample's spikes do not depend on the
// stream that shows it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "lutra/core/time.hpp"

namespace lutra::core {
class schema_visitor;
}

namespace lutra::data {

// The YAML section stream_params is read from; errors name keys below it
// ("time.input.presentation").
inline constexpr std::string_view stream_params_path = "time.input";

struct stream_params {                 // the YAML section `time.input`
    std::string coding = "rate";       // rate | latency | thermometer | sequence
    std::string dataset = "mnist";     // static codings: any load_dataset() name;
                                       // sequence: mnist-rows | fashion-mnist-rows | delayed-xor | parity |
                                       //           spike-order | text
    std::string split = "test";        // train | test (static codings, *-rows)
    std::size_t samples = 0;           // first N samples of the split (0 = all; synthetic datasets: N random ones;
                                       // spike-order: N samples repeated, 0 = every sample new)
    std::uint32_t presentation = 20;   // static codings, spike-order: ticks each sample is shown, then the next sample
    double max_rate = 0.5;             // rate: spike probability per tick of a 255 pixel (p = max_rate·v/255), (0, 1]
    std::uint32_t levels = 10;         // thermometer: thresholds walked one per tick, 1..255; divides presentation
    std::uint32_t bits = 1;            // *-rows: thermometer bits per pixel (1 = pixel > 127), 1..255
    std::uint32_t delay = 10;          // delayed-xor: label(t) = x(t) xor x(t − delay), ≥ 1
    std::uint32_t window = 4;          // parity: label(t) = parity of x(t−window+1 .. t), ≥ 1
    double noise = 0.01;               // spike-order: probability of a spurious spike per line and tick, [0, 0.5]
    std::string file;                  // text: a text file, one byte per tick
};
// Ranges and choices; cross-field rules (a coding's datasets, presentation a
// multiple of levels, the text file) are checked by stream_shape_of.
void describe(core::schema_visitor& v, stream_params& p);

// What a stream looks like, known without loading data: the input bits per
// tick laid out as an image (width × height features × bits per feature,
// rows feature-major like core::encoder: input r is feature r / bits, bit
// r % bits), so a genome's `inputs: {width, height, bits}` can be checked
// against it; the classes of its labels; ticks per sample (0 = an endless
// stream).
struct stream_shape {
    std::uint32_t width = 0, height = 0, bits = 0, classes = 0, ticks_per_sample = 0;
    [[nodiscard]] std::uint32_t inputs() const noexcept { return width * height * bits; }
    friend bool operator==(const stream_shape&, const stream_shape&) = default;
};

// Checks the parameters without loading data and returns the shape. Throws
// core::schema_error naming the key below stream_params_path for a value out
// of range, a dataset the coding cannot show (a sequence with a static
// coding or the reverse), presentation not a multiple of levels, more
// samples than a real dataset has, a missing or empty text file;
// lutra::unknown_name_error (kind "dataset" or "sequence") for a name that is
// neither, listing the valid ones and the closest.
[[nodiscard]] stream_shape stream_shape_of(const stream_params& p);

// The stimulus: `streams` (≥ 1) parallel streams; stream s shows samples s,
// s + streams, s + 2·streams, … (modulo the split's size), each for
// ticks_per_sample ticks; an endless sequence runs stream s on its own.
// Deterministic in `seed` (also the seed of a synthetic dataset's samples).
// Throws what stream_shape_of throws, and what load_dataset or reading the
// text file throws.
[[nodiscard]] std::unique_ptr<core::stimulus> make_stimulus(const stream_params& p, std::size_t streams,
                                                            std::uint64_t seed);

// Thermometer threshold j of `count`, as the thermometer coding and image
// rows use it: the input is v > θ_j with θ_j = ⌊255·(j+1)/(count+1)⌋
// (count = 1: v > 127).
[[nodiscard]] constexpr std::uint8_t thermometer_threshold(std::uint32_t j, std::uint32_t count) noexcept {
    return static_cast<std::uint8_t>(255U * (j + 1) / (count + 1));
}

// The catalogue's codings and sequences, for messages and docs.
[[nodiscard]] std::span<const std::string_view> stream_codings();
[[nodiscard]] std::span<const std::string_view> stream_sequences();

}  // namespace lutra::data
