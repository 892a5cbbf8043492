#include "lutra/experiments/sequence.hpp"

#include <algorithm>
#include <string>

#include "lutra/core/error.hpp"
#include "lutra/core/names.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/core/time.hpp"
#include "lutra/data/datasets.hpp"

namespace lutra::experiments {

namespace {

const std::string section = "time.sequence";

core::schema_error sequence_error(const std::string& key, const std::string& problem) {
    return core::schema_error(section + "." + key, problem);
}

// The seed of a drawn task's test sequences: apart from the training ones.
constexpr std::uint64_t test_seed_salt = 0x7e57'5e9a'0000'0001ULL;

}  // namespace

void describe(core::schema_visitor& v, sequence_settings& s) {
    v.field("ticks", s.ticks, "ticks per sequence; 0 = train on static samples (the data section)", 0U, 1U << 16);
    v.choice("readout", s.readout, readout_kinds,
             "last: the last tick decides; window: the last `window` ticks' scores are summed; ticks: the ticks "
             "in `at` are summed");
    v.field("window", s.window, "readout window: the last N ticks", 1U, 1U << 16);
    v.list("at", s.at, "readout ticks: these ticks' scores are summed (0-based, ascending)");
    v.field("bptt_window", s.bptt_window,
            "truncated backpropagation through time: ticks the gradient flows back from the last readout tick; "
            "0 = the whole sequence",
            0U, 1U << 16);
    v.field("train_samples", s.train_samples, "tasks that draw their sequences (delayed-xor, parity, spike-order, …): training sequences",
            std::size_t{1}, std::size_t{1} << 24);
    v.field("test_samples", s.test_samples, "tasks that draw their sequences: test sequences", std::size_t{1}, std::size_t{1} << 24);
}

core::sequence_spec sequence_spec_of(const sequence_settings& s) {
    core::sequence_spec spec{.ticks = s.ticks, .readout = {}, .bptt_window = s.bptt_window};
    const std::string last = std::to_string(s.ticks == 0 ? 0 : s.ticks - 1);
    if (s.readout == "window") {
        if (s.window > s.ticks)
            throw sequence_error("window", "a readout window of " + std::to_string(s.window) +
                                               " ticks is longer than the sequence of " + std::to_string(s.ticks) +
                                               "; at most " + std::to_string(s.ticks));
        for (std::uint32_t t = s.ticks - s.window; t < s.ticks; ++t) spec.readout.push_back(t);
    } else if (s.readout == "ticks") {
        if (s.at.empty()) throw sequence_error("at", "readout: ticks needs the ticks to read, e.g. at: [" + last + "]");
        for (std::size_t i = 0; i < s.at.size(); ++i) {
            if (s.at[i] >= s.ticks)
                throw sequence_error("at[" + std::to_string(i) + "]",
                                     "readout tick " + std::to_string(s.at[i]) + " is outside the sequence's ticks 0 … " +
                                         last);
            if (i > 0 && s.at[i] <= s.at[i - 1])
                throw sequence_error("at[" + std::to_string(i) + "]", "readout ticks must be ascending and distinct; " +
                                                                          std::to_string(s.at[i]) + " follows " +
                                                                          std::to_string(s.at[i - 1]));
        }
        spec.readout = s.at;
    } else if (!s.at.empty()) {
        throw sequence_error("at", "readout ticks are read with readout: ticks, not readout: " + s.readout);
    }
    if (s.bptt_window > s.ticks)
        throw sequence_error("bptt_window", "a window of " + std::to_string(s.bptt_window) +
                                                " ticks is longer than the sequence of " + std::to_string(s.ticks) +
                                                "; at most " + std::to_string(s.ticks) + ", or 0 for all of it");
    core::check_sequence(spec);
    return spec;
}

data::stream_shape check_sequence_run(const data::stream_params& input, const sequence_settings& s) {
    const data::stream_shape shape = data::stream_shape_of(input);
    if (input.coding != "sequence")
        throw core::schema_error(std::string(data::stream_params_path) + ".coding",
                                 "training on sequences (time.sequence.ticks = " + std::to_string(s.ticks) +
                                     ") needs coding: sequence, not '" + input.coding + "'");
    if (shape.ticks_per_sample != 0 && s.ticks != shape.ticks_per_sample)
        throw sequence_error("ticks", input.dataset + " shows a sample in " + std::to_string(shape.ticks_per_sample) +
                                          " ticks; ticks must be " + std::to_string(shape.ticks_per_sample));
    if (shape.classes == 0)
        throw core::schema_error(std::string(data::stream_params_path) + ".dataset",
                                 "'" + input.dataset + "' has no labels to train on");
    (void)sequence_spec_of(s);
    return shape;
}

namespace {

}  // namespace

sequence_split read_stream_sequences(const data::stream_params& input, std::size_t samples, std::uint32_t ticks,
                                     std::uint32_t label_tick, std::uint64_t seed) {
    const std::unique_ptr<core::stimulus> stim = data::make_stimulus(input, samples, seed);
    const std::uint32_t inputs = stim->num_inputs();
    sequence_split split{core::bit_matrix(ticks * inputs, samples), std::vector<std::uint16_t>(samples)};
    core::bit_matrix tick(inputs, samples);
    const std::size_t words = (samples + 63) / 64;
    for (std::uint32_t t = 0; t < ticks; ++t) {
        stim->fill(t, tick);
        for (std::uint32_t i = 0; i < inputs; ++i)
            std::copy_n(tick.row(i).data(), words, split.inputs.row(t * inputs + i).data());
        if (t == label_tick) stim->labels(t, split.labels);
    }
    for (std::size_t s = 0; s < samples; ++s)
        if (split.labels[s] == core::stimulus::no_label)
            throw sequence_error("ticks", "the stream has no label at tick " + std::to_string(label_tick) +
                                              " (the last readout tick) of sequence " + std::to_string(s) +
                                              "; read out later, e.g. a longer sequence than the task's delay");
    return split;
}

sequence_data load_sequences(const data::stream_params& input, const sequence_settings& s, std::uint64_t seed) {
    sequence_data d;
    d.shape = check_sequence_run(input, s);
    const core::sequence_spec spec = sequence_spec_of(s);
    const std::uint32_t label_tick = core::readout_ticks(spec).back();
    // Image rows show every image of their split once; the other sequences
    // draw theirs (drawn ones, and spike-order's samples of its own length).
    const bool drawn = !input.dataset.ends_with("-rows");
    data::stream_params train = input, test = input;
    train.split = "train";
    test.split = "test";
    std::size_t train_n = s.train_samples, test_n = s.test_samples;
    if (!drawn) train_n = test_n = input.samples;  // 0 = all
    // Image rows: the stream's thermometer; bit streams: 0 or 1.
    const auto threshold = [&](std::uint32_t b) {
        return drawn ? std::uint8_t{0} : data::thermometer_threshold(b, d.shape.bits);
    };
    // `bits` thermometer bits of each of width × height features.
    const auto encoder_of = [&](std::uint32_t width, std::uint32_t height) {
        std::vector<core::input_bit> bits;
        std::vector<std::uint8_t> thresholds;
        for (std::uint32_t f = 0; f < width * height; ++f)
            for (std::uint32_t b = 0; b < d.shape.bits; ++b) {
                bits.push_back({.feature = f,
                                .x = static_cast<std::uint16_t>(f % width),
                                .y = static_cast<std::uint16_t>(f / width),
                                .channel = 0,
                                .bit = static_cast<std::uint16_t>(b)});
                thresholds.push_back(threshold(b));
            }
        return core::encoder::from_parts(width * height, d.shape.bits, std::move(bits), std::move(thresholds));
    };
    d.encoder = encoder_of(d.shape.width, d.shape.height);
    if (drawn) {
        d.train = read_stream_sequences(train, train_n, s.ticks, label_tick, seed);
        d.test = read_stream_sequences(test, test_n, s.ticks, label_tick, seed ^ test_seed_salt);
        return d;
    }
    // The stream shows image row t at tick t, so its flat sequences are the
    // whole image's thermometer bits (tests/experiments compare the two).
    const std::string image = input.dataset.substr(0, input.dataset.size() - std::string_view("-rows").size());
    d.images = data::load_dataset(image, {.seed = seed, .train_samples = train_n, .test_samples = test_n});
    if (d.images.channels != 1 || d.images.width != d.shape.width || d.images.height != s.ticks)
        throw core::schema_error(std::string(data::stream_params_path) + ".dataset",
                                 "'" + image + "' is not a one-channel image of " + std::to_string(s.ticks) + " rows");
    d.image_encoder = encoder_of(d.images.width, d.images.height);
    d.train = {d.image_encoder.encode(d.images.train), d.images.train.labels};
    d.test = {d.image_encoder.encode(d.images.test), d.images.test.labels};
    return d;
}

std::vector<std::uint8_t> test_sequence_pixels(const sequence_data& d, std::uint32_t ticks) {
    if (!d.images.test.features.empty()) return d.images.test.features;  // row y is tick y: the same bytes
    const std::uint32_t features = d.shape.width * d.shape.height;
    const std::uint32_t inputs = features * d.shape.bits;
    if (d.shape.bits != 1) throw error("sequences: test pixels of a stream with " + std::to_string(d.shape.bits) +
                                       " bits a feature are not known; only image rows and bit streams export vectors");
    const std::size_t samples = d.test.labels.size();
    std::vector<std::uint8_t> pixels(samples * ticks * features);
    for (std::size_t s = 0; s < samples; ++s)
        for (std::uint32_t t = 0; t < ticks; ++t)
            for (std::uint32_t f = 0; f < features; ++f)
                pixels[(s * ticks + t) * features + f] = d.test.inputs.get(t * inputs + f, s) ? 1 : 0;
    return pixels;
}

std::vector<std::string> unreached_head_warnings(const core::network& net, const core::sequence_spec& spec) {
    const std::vector<std::uint32_t> first = core::first_reachable_tick(net);
    const std::uint32_t last = core::readout_ticks(spec).back();
    std::vector<std::string> lines;
    for (const std::uint32_t n : net.head().outputs)
        if (first[n] > last)
            lines.push_back("head output node " + std::to_string(n) +
                            (first[n] == core::no_tick ? std::string(" never hears an input")
                                                       : " first hears an input at tick " + std::to_string(first[n])) +
                            ", after the last readout tick " + std::to_string(last) +
                            ": it reads as a constant in every sequence");
    return lines;
}

}  // namespace lutra::experiments
