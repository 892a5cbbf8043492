// The catalogue of stream codings and sequences (data/streams.hpp) and what
// every kind shares: the schema, finding the kind a stream_params names, and
// the checks that come before a kind's own. Adding a coding or a sequence is
// its own file (kinds.hpp declares its two functions) and one line here.

#include <algorithm>
#include <array>
#include <vector>

#include "kinds.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/names.hpp"
#include "lutra/core/schema.hpp"

namespace lutra::data {

namespace {

using namespace streams;
using core::join_names;

constexpr std::string_view sequence_coding = "sequence";

struct stream_kind {
    std::string_view coding;    // the value of `coding`
    std::string_view sequence;  // coding "sequence": the value of `dataset`; static codings: "" (any dataset)
    shape_fn shape;
    make_fn make;
};

constexpr std::array<stream_kind, 9> catalogue = {{
    {"rate", "", shape_rate, make_rate},
    {"latency", "", shape_latency, make_latency},
    {"thermometer", "", shape_thermometer, make_thermometer},
    {sequence_coding, "mnist-rows", shape_image_rows, make_image_rows},
    {sequence_coding, "fashion-mnist-rows", shape_image_rows, make_image_rows},
    {sequence_coding, "delayed-xor", shape_delayed_xor, make_delayed_xor},
    {sequence_coding, "parity", shape_parity, make_parity},
    {sequence_coding, "spike-order", shape_spike_order, make_spike_order},
    {sequence_coding, "text", shape_text, make_text},
}};

constexpr std::uint32_t max_presentation = 1'000'000;
constexpr std::uint32_t max_delay = 1U << 20;
constexpr std::uint32_t max_window = 1U << 16;
constexpr std::array<std::string_view, 2> split_names = {"train", "test"};

// The distinct values of a catalogue column, in table order.
std::vector<std::string_view> column(std::string_view stream_kind::*field, bool sequences) {
    std::vector<std::string_view> names;
    for (const stream_kind& k : catalogue)
        if ((k.coding == sequence_coding) == sequences && std::find(names.begin(), names.end(), k.*field) == names.end())
            names.push_back(k.*field);
    return names;
}

const std::vector<std::string_view>& static_codings() {
    static const std::vector<std::string_view> names = column(&stream_kind::coding, false);
    return names;
}

bool contains(std::span<const std::string_view> names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_dataset(std::string_view name) {
    try {
        (void)dataset_shape_of(name);
        return true;
    } catch (const unknown_name_error&) {
        return false;
    }
}

// The kind `p` names, or why there is none.
const stream_kind& find_kind(const stream_params& p) {
    const std::span<const std::string_view> sequences = stream_sequences();
    const std::string as_static = "shown with coding " + join_names(static_codings());
    if (p.coding != sequence_coding) {
        if (contains(sequences, p.dataset))
            throw param_error("dataset", "'" + p.dataset + "' is a sequence, fed one symbol per tick with coding: " +
                                             std::string(sequence_coding) + "; coding '" + p.coding +
                                             "' shows the samples of a dataset: " + join_names(dataset_names()));
        return *std::find_if(catalogue.begin(), catalogue.end(),
                             [&](const stream_kind& k) { return k.coding == p.coding; });
    }
    if (!contains(sequences, p.dataset)) {
        const std::string valid = "; valid: " + join_names(sequences) + core::did_you_mean(p.dataset, sequences);
        if (is_dataset(p.dataset))
            throw param_error("dataset", "'" + p.dataset + "' is a dataset of samples, " + as_static +
                                             "; coding '" + std::string(sequence_coding) +
                                             "' feeds a sequence" + valid);
        throw unknown_name_error("sequence", p.dataset,
                                 std::string(stream_params_path) + ".dataset: unknown sequence '" + p.dataset + "'" +
                                     valid);
    }
    return *std::find_if(catalogue.begin(), catalogue.end(),
                         [&](const stream_kind& k) { return k.coding == p.coding && k.sequence == p.dataset; });
}

}  // namespace

std::span<const std::string_view> stream_codings() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> all = column(&stream_kind::coding, false);
        all.push_back(sequence_coding);
        return all;
    }();
    return names;
}

std::span<const std::string_view> stream_sequences() {
    static const std::vector<std::string_view> names = column(&stream_kind::sequence, true);
    return names;
}

void describe(core::schema_visitor& v, stream_params& p) {
    v.choice("coding", p.coding, stream_codings(),
             "how a sample becomes spikes (rate, latency, thermometer), or sequence: one symbol per tick");
    v.field("dataset", p.dataset,
            "static codings: a dataset (lutra data list); sequence: mnist-rows, fashion-mnist-rows, delayed-xor, "
            "parity, spike-order or text");
    v.choice("split", p.split, split_names, "the split whose samples are shown (static codings, *-rows)");
    v.field("samples", p.samples, "the first N samples of the split; 0 = all (spike-order: N samples repeated, 0 = "
                                  "every sample new)");
    v.field("presentation", p.presentation, "static codings, spike-order: ticks each sample is shown", 1U,
            max_presentation);
    v.field("max_rate", p.max_rate, "rate: spike probability per tick of a 255 feature", core::open_closed(0, 1));
    v.field("levels", p.levels, "thermometer: thresholds walked one per tick; presentation is a multiple of it", 1U,
            255U);
    v.field("bits", p.bits, "*-rows: thermometer bits per pixel (1: pixel > 127)", 1U, 255U);
    v.field("delay", p.delay, "delayed-xor: label(t) = x(t) xor x(t - delay)", 1U, max_delay);
    v.field("window", p.window, "parity: label(t) = parity of the last `window` bits", 1U, max_window);
    v.field("noise", p.noise, "spike-order: probability of a spurious spike per input line and tick", 0.0, 0.5);
    v.field("file", p.file, "text: the file fed one byte per tick");
}

stream_shape stream_shape_of(const stream_params& p) {
    core::check_schema(p, stream_params_path);
    return find_kind(p).shape(p);
}

std::unique_ptr<core::stimulus> make_stimulus(const stream_params& p, std::size_t streams, std::uint64_t seed) {
    if (streams == 0) throw error("a stimulus needs at least one stream; got streams = 0");
    core::check_schema(p, stream_params_path);
    return find_kind(p).make(p, streams, seed);
}

}  // namespace lutra::data
