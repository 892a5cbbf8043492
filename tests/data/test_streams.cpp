#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/core/time.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/data/idx.hpp"
#include "lutra/data/streams.hpp"
#include "support/env_override.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using lutra::core::bit_matrix;
using lutra::core::stimulus;
using lutra::test::env_override;
using lutra::test::temp_dir;
using namespace lutra::data;

namespace {

constexpr std::uint16_t no_label = stimulus::no_label;

// A small dataset in the MNIST layout in a fresh data directory: pixel f of
// sample n is (7·f + 31·n) mod 256, so every sample holds every value 0..255
// (3 or 4 times) and samples differ; labels are n mod 10 (train) and
// 3·n mod 10 (test).
struct fake_mnist_dir {
    static constexpr std::uint32_t train = 9, test = 7;
    temp_dir dir{"lutra-streams"};
    env_override data{"LUTRA_DATA_DIR", dir.path.string()};

    static std::uint8_t pixel(std::size_t n, std::size_t f) { return static_cast<std::uint8_t>((7 * f + 31 * n) % 256); }
    static std::uint16_t train_label(std::size_t n) { return static_cast<std::uint16_t>(n % 10); }
    static std::uint16_t test_label(std::size_t n) { return static_cast<std::uint16_t>(3 * n % 10); }

    fake_mnist_dir() {
        for (const char* name : {"mnist", "fashion-mnist"}) {
            const fs::path where = dir.path / name;
            fs::create_directories(where);
            for (const bool is_train : {true, false}) {
                const std::uint32_t n = is_train ? train : test;
                idx_array images{{n, 28, 28}, {}}, labels{{n}, {}};
                for (std::size_t s = 0; s < n; ++s) {
                    for (std::size_t f = 0; f < 784; ++f) images.data.push_back(pixel(s, f));
                    labels.data.push_back(static_cast<std::uint8_t>(is_train ? train_label(s) : test_label(s)));
                }
                write_idx(where / (is_train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte"), images, false);
                write_idx(where / (is_train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte"), labels, false);
            }
        }
    }
};

// Every tick's inputs and labels of the first `ticks` ticks.
struct recording {
    std::vector<bit_matrix> inputs;
    std::vector<std::vector<std::uint16_t>> labels;
    [[nodiscard]] bool at(std::uint64_t tick, std::size_t input, std::size_t stream) const {
        return inputs[tick].get(input, stream);
    }
};

recording record(stimulus& stim, std::uint64_t ticks) {
    recording r;
    for (std::uint64_t t = 0; t < ticks; ++t) {
        bit_matrix m(stim.num_inputs(), stim.streams());
        stim.fill(t, m);
        r.inputs.push_back(std::move(m));
        std::vector<std::uint16_t> labels(stim.streams());
        stim.labels(t, labels);
        r.labels.push_back(std::move(labels));
    }
    return r;
}

stream_params params(std::string coding, std::string dataset) {
    stream_params p;
    p.coding = std::move(coding);
    p.dataset = std::move(dataset);
    return p;
}

// The schema_error stream_shape_of throws for p, checking make_stimulus
// throws the same; fails the test if either accepts p.
lutra::core::schema_error schema_error_of(const stream_params& p) {
    std::optional<lutra::core::schema_error> from_make;
    try {
        (void)make_stimulus(p, 2, 1);
    } catch (const lutra::core::schema_error& e) {
        from_make = e;
    }
    try {
        (void)stream_shape_of(p);
    } catch (const lutra::core::schema_error& e) {
        REQUIRE(from_make.has_value());
        CHECK(from_make->path == e.path);
        CHECK(from_make->problem == e.problem);
        return e;
    }
    FAIL("accepted: coding " << p.coding << ", dataset " << p.dataset);
    return {"", ""};
}

lutra::unknown_name_error unknown_name_of(const stream_params& p) {
    try {
        (void)stream_shape_of(p);
    } catch (const lutra::unknown_name_error& e) {
        CHECK_THROWS_AS((void)make_stimulus(p, 1, 1), lutra::unknown_name_error);
        return e;
    }
    FAIL("accepted: coding " << p.coding << ", dataset " << p.dataset);
    return {"", "", ""};
}

doctest::String text(const std::string& s) { return s.c_str(); }

}  // namespace

TEST_CASE("streams: the catalogue lists every coding and sequence, and the defaults pass the schema") {
    CHECK(std::vector<std::string_view>(stream_codings().begin(), stream_codings().end()) ==
          std::vector<std::string_view>{"rate", "latency", "thermometer", "sequence"});
    CHECK(std::vector<std::string_view>(stream_sequences().begin(), stream_sequences().end()) ==
          std::vector<std::string_view>{"mnist-rows", "fashion-mnist-rows", "delayed-xor", "parity", "spike-order",
                                        "text"});
    CHECK_NOTHROW(lutra::core::check_schema(stream_params{}));
}

TEST_CASE("streams: stream_shape_of tells the stimulus's shape without loading data") {
    temp_dir empty;
    const env_override nothing("LUTRA_DATA_DIR", empty.path.string());  // no dataset installed
    CHECK(stream_shape_of(params("rate", "mnist")) == stream_shape{28, 28, 1, 10, 20});
    stream_params p = params("thermometer", "parity-5");
    p.presentation = 16;
    p.levels = 4;
    CHECK(stream_shape_of(p) == stream_shape{5, 1, 1, 2, 16});
    p = params("sequence", "fashion-mnist-rows");
    p.bits = 3;
    const stream_shape rows = stream_shape_of(p);
    CHECK(rows == stream_shape{28, 1, 3, 10, 28});
    CHECK(rows.inputs() == 84);
    CHECK(stream_shape_of(params("sequence", "delayed-xor")) == stream_shape{1, 1, 1, 2, 0});
    CHECK(stream_shape_of(params("sequence", "parity")) == stream_shape{1, 1, 1, 2, 0});
    CHECK(stream_shape_of(params("sequence", "spike-order")) == stream_shape{2, 1, 1, 2, 20});
    // Loading is where a missing dataset shows.
    CHECK_THROWS_WITH_AS((void)make_stimulus(params("rate", "mnist"), 1, 1),
                         doctest::Contains("dataset 'mnist' is not installed"), lutra::error);
}

TEST_CASE("streams: every stimulus has the shape stream_shape_of gives, and labels") {
    const fake_mnist_dir fake;
    temp_dir dir;
    const fs::path file = dir.path / "a.txt";
    std::ofstream(file) << "some text";
    std::vector<stream_params> all;
    for (const char* coding : {"rate", "latency", "thermometer"}) all.push_back(params(coding, "mnist"));
    all.push_back(params("latency", "xor"));
    for (std::string_view sequence : stream_sequences()) all.push_back(params("sequence", std::string(sequence)));
    all.back().file = file.string();
    for (const stream_params& p : all) {
        CAPTURE(p.coding);
        CAPTURE(p.dataset);
        const stream_shape shape = stream_shape_of(p);
        const auto stim = make_stimulus(p, 70, 3);
        CHECK(stim->num_inputs() == shape.inputs());
        CHECK(stim->streams() == 70);
        CHECK(stim->labelled());
        // Every stream's label is a class (or none), and the padding past the streams stays zero.
        const recording r = record(*stim, 40);
        for (std::uint64_t t = 0; t < 40; ++t)
            for (std::uint16_t label : r.labels[t]) REQUIRE((label == no_label || label < shape.classes));
        bit_matrix wide(stim->num_inputs(), 600);
        for (std::size_t row = 0; row < wide.rows(); ++row)
            for (std::size_t s = 0; s < 600; ++s) wide.set(row, s, true);
        stim->fill(5, wide);
        for (std::size_t row = 0; row < wide.rows(); ++row)
            for (std::size_t s = 0; s < 600; ++s) REQUIRE(wide.get(row, s) == (s < 70 && r.at(5, row, s)));
    }
}

TEST_CASE("streams: rate coding spikes at max_rate·v/255 per tick, the same for a sample in any stream") {
    const fake_mnist_dir fake;
    stream_params p = params("rate", "mnist");
    p.presentation = 2000;
    p.max_rate = 0.8;
    const auto stim = make_stimulus(p, 1, 11);
    const recording r = record(*stim, p.presentation);
    for (std::size_t f = 0; f < 784; ++f) {
        std::size_t spikes = 0;
        for (std::uint64_t t = 0; t < p.presentation; ++t) spikes += r.at(t, f, 0);
        const double rate = p.max_rate * fake_mnist_dir::pixel(0, f) / 255.0;
        const double mean = rate * p.presentation;
        const double sigma = std::sqrt(mean * (1 - rate));
        CAPTURE(f);
        CAPTURE(int{fake_mnist_dir::pixel(0, f)});
        REQUIRE(std::abs(static_cast<double>(spikes) - mean) <= 5 * sigma + 0.5);  // exact 0 for v = 0
    }
    for (std::uint64_t t = 0; t < p.presentation; ++t) REQUIRE(r.labels[t][0] == fake_mnist_dir::test_label(0));
    // The draws are the documented ones: uniform(f·presentation + j) of the sample's fork of "stream-rate".
    const lutra::counter_rng sample0 = lutra::counter_rng(11, "stream-rate").fork(0);
    for (std::size_t f = 0; f < 784; ++f)
        for (std::uint64_t j = 0; j < 50; ++j)
            REQUIRE(r.at(j, f, 0) ==
                    (sample0.uniform(f * p.presentation + j) < p.max_rate * fake_mnist_dir::pixel(0, f) / 255.0));

    // Three streams over 7 samples: stream s shows sample (s + 3k) mod 7 as its k-th, so sample 1 is
    // stream 1's first, stream 2's third and stream 0's sixth; a one-stream stimulus shows it second.
    p.presentation = 6;
    const auto three = make_stimulus(p, 3, 11);
    const recording r3 = record(*three, 6 * 6);
    const recording r1 = record(*make_stimulus(p, 1, 11), 2 * 6);
    const auto train_of = [&](const recording& rec, std::size_t shown, std::size_t stream) {
        std::vector<bool> bits;
        for (std::uint64_t j = 0; j < 6; ++j)
            for (std::size_t f = 0; f < 784; ++f) bits.push_back(rec.at(shown * 6 + j, f, stream));
        return bits;
    };
    const std::vector<bool> sample1 = train_of(r3, 0, 1);
    CHECK(std::count(sample1.begin(), sample1.end(), true) > 500);
    CHECK(train_of(r3, 2, 2) == sample1);
    CHECK(train_of(r3, 5, 0) == sample1);
    CHECK(train_of(r1, 1, 0) == sample1);
    CHECK(train_of(r3, 0, 0) != sample1);  // sample 0
    CHECK(train_of(r3, 1, 1) != sample1);  // sample 4
    CHECK(train_of(record(*make_stimulus(p, 3, 12), 6), 0, 1) != sample1);  // another seed
}

TEST_CASE("streams: latency coding spikes once, at round((1 - v/255)·(presentation - 1))") {
    const fake_mnist_dir fake;
    for (const std::uint32_t presentation : {1U, 20U, 101U}) {
        CAPTURE(presentation);
        stream_params p = params("latency", "mnist");
        p.presentation = presentation;
        const recording r = record(*make_stimulus(p, 2, 1), presentation);
        for (std::size_t f = 0; f < 784; ++f) {
            const std::uint8_t v = fake_mnist_dir::pixel(1, f);  // stream 1 shows sample 1
            std::vector<std::uint64_t> spikes;
            for (std::uint64_t t = 0; t < presentation; ++t)
                if (r.at(t, f, 1)) spikes.push_back(t);
            CAPTURE(int{v});
            if (v == 0) {
                REQUIRE(spikes.empty());
            } else {
                REQUIRE(spikes.size() == 1);
                REQUIRE(spikes[0] == static_cast<std::uint64_t>(std::lround((1 - v / 255.0) * (presentation - 1))));
            }
        }
    }
    // The extremes, written out: 255 at once, 1 at the last tick, 128 near the middle.
    stream_params p = params("latency", "mnist");
    const recording r = record(*make_stimulus(p, 1, 1), 20);
    const auto first_spike = [&](std::uint8_t v) {
        for (std::size_t f = 0; f < 784; ++f)
            if (fake_mnist_dir::pixel(0, f) == v)
                for (std::uint64_t t = 0; t < 20; ++t)
                    if (r.at(t, f, 0)) return t;
        return std::uint64_t{999};
    };
    CHECK(first_spike(255) == 0);
    CHECK(first_spike(1) == 19);
    CHECK(first_spike(128) == 9);  // 127·19/255 = 9.46
}

TEST_CASE("streams: thermometer coding walks the thresholds 255·(j+1)/(levels+1), one per tick") {
    const fake_mnist_dir fake;
    stream_params p = params("thermometer", "mnist");
    p.levels = 4;
    p.presentation = 8;
    const std::uint8_t thresholds[] = {51, 102, 153, 204};
    const recording r = record(*make_stimulus(p, 2, 1), 16);
    for (std::uint64_t t = 0; t < 16; ++t)
        for (std::size_t s = 0; s < 2; ++s) {
            const std::size_t sample = s + 2 * (t / 8);
            REQUIRE(r.labels[t][s] == fake_mnist_dir::test_label(sample));
            for (std::size_t f = 0; f < 784; ++f)
                REQUIRE(r.at(t, f, s) == (fake_mnist_dir::pixel(sample, f) > thresholds[t % 4]));
        }
}

TEST_CASE("streams: image rows show row r of an image at tick r, as thermometer bits per pixel") {
    const fake_mnist_dir fake;
    for (const std::uint32_t bits : {1U, 3U}) {
        CAPTURE(bits);
        stream_params p = params("sequence", "mnist-rows");
        p.split = "train";
        p.bits = bits;
        const std::vector<std::uint8_t> thresholds =
            bits == 1 ? std::vector<std::uint8_t>{127} : std::vector<std::uint8_t>{63, 127, 191};
        const recording r = record(*make_stimulus(p, 2, 1), 2 * 28);
        for (std::uint64_t t = 0; t < 2 * 28; ++t)
            for (std::size_t s = 0; s < 2; ++s) {
                const std::size_t image = s + 2 * (t / 28), row = t % 28;
                REQUIRE(r.labels[t][s] == fake_mnist_dir::train_label(image));
                for (std::size_t x = 0; x < 28; ++x)
                    for (std::size_t i = 0; i < bits; ++i)
                        REQUIRE(r.at(t, x * bits + i, s) == (fake_mnist_dir::pixel(image, row * 28 + x) > thresholds[i]));
            }
    }
}

TEST_CASE("streams: image rows of the real MNIST when installed") {
    const auto installed = [](std::string_view name) {
        for (const dataset_info& info : list_datasets())
            if (info.name == name) return info.installed;
        return false;
    };
    if (!installed("mnist")) {
        MESSAGE("skipped: mnist is not installed");
        return;
    }
    stream_params p = params("sequence", "mnist-rows");
    p.samples = 3;
    const dataset d = load_dataset("mnist", {.seed = 1, .train_samples = 1, .test_samples = 3});
    const recording r = record(*make_stimulus(p, 1, 1), 3 * 28);
    for (std::uint64_t t = 0; t < 3 * 28; ++t) {
        REQUIRE(r.labels[t][0] == d.test.labels[t / 28]);
        for (std::size_t x = 0; x < 28; ++x) REQUIRE(r.at(t, x, 0) == (d.test.features[t / 28 * 784 + t % 28 * 28 + x] > 127));
    }
}

TEST_CASE("streams: samples wrap around the split, streams beyond it included") {
    const fake_mnist_dir fake;
    stream_params p = params("rate", "mnist");
    p.presentation = 3;
    for (const std::size_t streams : {3U, 9U}) {
        const auto stim = make_stimulus(p, streams, 1);
        std::vector<std::uint16_t> labels(streams);
        for (std::uint64_t k = 0; k < 8; ++k)
            for (std::uint64_t j = 0; j < 3; ++j) {
                stim->labels(k * 3 + j, labels);
                for (std::size_t s = 0; s < streams; ++s)
                    REQUIRE(labels[s] == fake_mnist_dir::test_label((s + streams * k) % fake_mnist_dir::test));
            }
    }
    // `samples` keeps the first N of the split.
    p.samples = 2;
    const auto two = make_stimulus(p, 3, 1);
    std::vector<std::uint16_t> labels(3);
    two->labels(0, labels);
    CHECK(labels == std::vector<std::uint16_t>{fake_mnist_dir::test_label(0), fake_mnist_dir::test_label(1),
                                               fake_mnist_dir::test_label(0)});
    // A far tick: sample (s + k·streams) mod N without overflow.
    two->labels(3 * 1'000'000'000'001ULL, labels);
    CHECK(labels == std::vector<std::uint16_t>{fake_mnist_dir::test_label(1), fake_mnist_dir::test_label(0),
                                               fake_mnist_dir::test_label(1)});
}

TEST_CASE("streams: delayed-xor and parity label random bits by the bits before them") {
    for (const std::uint32_t memory : {1U, 5U, 64U, 100U}) {
        CAPTURE(memory);
        stream_params xor_p = params("sequence", "delayed-xor");
        xor_p.delay = memory;
        stream_params parity_p = params("sequence", "parity");
        parity_p.window = memory;
        const recording x = record(*make_stimulus(xor_p, 70, 9), 300);
        const recording y = record(*make_stimulus(parity_p, 70, 9), 300);
        std::size_t ones = 0;
        for (std::size_t s = 0; s < 70; ++s)
            for (std::uint64_t t = 0; t < 300; ++t) {
                ones += x.at(t, 0, s);
                REQUIRE(x.labels[t][s] == (t < memory ? no_label : x.at(t, 0, s) != x.at(t - memory, 0, s)));
                if (t + 1 < memory) {
                    REQUIRE(y.labels[t][s] == no_label);
                } else {
                    bool parity = false;
                    for (std::uint64_t u = t + 1 - memory; u <= t; ++u) parity ^= y.at(u, 0, s);
                    REQUIRE(y.labels[t][s] == parity);
                }
            }
        CHECK(ones > 70 * 300 * 0.45);  // uniform bits
        CHECK(ones < 70 * 300 * 0.55);
    }
    // Stream s's bits depend on the seed and s only, not on the number of streams.
    const recording a = record(*make_stimulus(params("sequence", "delayed-xor"), 70, 9), 100);
    const recording b = record(*make_stimulus(params("sequence", "delayed-xor"), 5, 9), 100);
    const recording c = record(*make_stimulus(params("sequence", "delayed-xor"), 5, 10), 100);
    std::size_t differ = 0;
    for (std::uint64_t t = 0; t < 100; ++t)
        for (std::size_t s = 0; s < 5; ++s) {
            REQUIRE(a.at(t, 0, s) == b.at(t, 0, s));
            differ += a.at(t, 0, s) != c.at(t, 0, s);
            if (s > 0) differ += a.at(t, 0, s) != a.at(t, 0, 0);
        }
    CHECK(differ > 300);
}

TEST_CASE("streams: spike-order spikes A and B once a sample, labelled at the last tick with A-first, balanced") {
    for (const std::uint32_t ticks : {4U, 16U}) {
        CAPTURE(ticks);
        stream_params p = params("sequence", "spike-order");
        p.presentation = ticks;
        p.noise = 0;
        constexpr std::size_t streams = 70, samples = 40;
        const recording r = record(*make_stimulus(p, streams, 5), samples * ticks);
        std::size_t a_first = 0;
        std::vector<std::size_t> at_tick(ticks, 0);
        for (std::size_t k = 0; k < samples; ++k)
            for (std::size_t s = 0; s < streams; ++s) {
                std::vector<std::uint32_t> spikes[2];
                for (std::uint32_t j = 0; j < ticks; ++j) {
                    const std::uint64_t t = k * ticks + j;
                    for (std::size_t line = 0; line < 2; ++line)
                        if (r.at(t, line, s)) spikes[line].push_back(j);
                    if (j + 1 < ticks) REQUIRE(r.labels[t][s] == no_label);  // the decision tick only
                }
                // Exactly one spike a line, at distinct ticks before the last two.
                REQUIRE(spikes[0].size() == 1);
                REQUIRE(spikes[1].size() == 1);
                REQUIRE(spikes[0][0] != spikes[1][0]);
                REQUIRE(std::max(spikes[0][0], spikes[1][0]) + 2 < ticks);
                const std::uint16_t label = r.labels[k * ticks + ticks - 1][s];
                REQUIRE(label == (spikes[0][0] < spikes[1][0] ? 1 : 0));
                a_first += label;
                ++at_tick[spikes[0][0]];
            }
        // Balanced classes, and every allowed tick used.
        CHECK(a_first > streams * samples * 0.46);
        CHECK(a_first < streams * samples * 0.54);
        for (std::uint32_t j = 0; j + 2 < ticks; ++j) CHECK(at_tick[j] > 0);
    }

    // A sample is the same in whatever stream shows it (sample k·S + s), and the seed decides it.
    stream_params p = params("sequence", "spike-order");
    p.presentation = 8;
    const recording a = record(*make_stimulus(p, 6, 2), 16);   // stream 3 shows samples 3 and 9
    const recording b = record(*make_stimulus(p, 3, 2), 32);   // stream 0 shows samples 0, 3, 6, 9
    const recording c = record(*make_stimulus(p, 6, 3), 16);
    std::size_t differ = 0;
    for (std::uint64_t j = 0; j < 8; ++j)
        for (std::size_t line = 0; line < 2; ++line) {
            REQUIRE(a.at(j, line, 3) == b.at(8 + j, line, 0));
            REQUIRE(a.at(8 + j, line, 3) == b.at(24 + j, line, 0));
            for (std::size_t s = 0; s < 6; ++s) differ += a.at(j, line, s) != c.at(j, line, s);
        }
    CHECK(a.labels[15][3] == b.labels[31][0]);
    CHECK(differ > 0);

    // Noise adds spurious spikes at its rate.
    p.presentation = 16;
    p.noise = 0.1;
    const recording n = record(*make_stimulus(p, 64, 7), 160);
    std::size_t spikes = 0;
    for (std::uint64_t t = 0; t < 160; ++t)
        for (std::size_t s = 0; s < 64; ++s) spikes += n.at(t, 0, s) + n.at(t, 1, s);
    // 640 samples of 2 pair spikes and 2 · 16 line-ticks at 0.1 (a few coincide): about 5.2 a sample.
    CHECK(spikes > 640 * 4.9);
    CHECK(spikes < 640 * 5.5);
    // `samples` = N repeats the first N samples: with N = streams, every stream shows one sample over and over.
    p.samples = 5;
    const recording again = record(*make_stimulus(p, 5, 7), 160);
    for (std::uint64_t t = 0; t < 160; ++t)
        for (std::size_t s = 0; s < 5; ++s)
            for (std::size_t line = 0; line < 2; ++line) REQUIRE(again.at(t, line, s) == again.at(t % 16, line, s));
}

TEST_CASE("streams: text feeds a file's bytes, bit i on input i, labelled with the next byte") {
    temp_dir dir;
    const fs::path file = dir.path / "t.txt";
    const std::string content = "hello, world\n\xff";
    std::ofstream(file, std::ios::binary) << content;
    stream_params p = params("sequence", "text");
    p.file = file.string();
    CHECK(stream_shape_of(p) == stream_shape{8, 1, 1, 256, 0});
    const recording r = record(*make_stimulus(p, 3, 1), 40);
    const std::size_t offsets[] = {0, 4, 9};  // ⌊s·14/3⌋
    for (std::uint64_t t = 0; t < 40; ++t)
        for (std::size_t s = 0; s < 3; ++s) {
            const auto byte = static_cast<unsigned char>(content[(offsets[s] + t) % content.size()]);
            const auto next = static_cast<unsigned char>(content[(offsets[s] + t + 1) % content.size()]);
            for (unsigned i = 0; i < 8; ++i) REQUIRE(r.at(t, i, s) == ((byte >> i) & 1U));
            REQUIRE(r.labels[t][s] == next);
        }
}

TEST_CASE("streams: bad parameters are refused with the key, before any data is loaded") {
    temp_dir empty;
    const env_override nothing("LUTRA_DATA_DIR", empty.path.string());
    const auto check = [](const stream_params& p, const std::string& path, const char* part) {
        const lutra::core::schema_error e = schema_error_of(p);
        CHECK(e.path == path);
        CHECK(text(e.problem) == doctest::Contains(part));
    };
    check(params("spikes", "mnist"), "time.input.coding",
          "expected one of rate, latency, thermometer, sequence, got 'spikes'");
    check(params("rates", "mnist"), "time.input.coding", "(did you mean 'rate'?)");
    stream_params p = params("rate", "mnist");
    p.split = "validation";
    check(p, "time.input.split", "expected one of train, test, got 'validation'");
    p = params("rate", "mnist");
    p.presentation = 0;
    check(p, "time.input.presentation", "expected an integer in 1..1000000, got 0");
    p.presentation = 20;
    p.max_rate = 0;
    check(p, "time.input.max_rate", "got 0.0");
    p.max_rate = 1.5;
    check(p, "time.input.max_rate", "got 1.5");
    p = params("thermometer", "mnist");
    p.levels = 0;
    check(p, "time.input.levels", "expected an integer in 1..255, got 0");
    p.levels = 8;
    p.presentation = 20;
    check(p, "time.input.presentation",
          "thermometer coding shows whole cycles of 8 levels; presentation = 20 is not a multiple of levels = 8");
    p = params("sequence", "delayed-xor");
    p.delay = 0;
    check(p, "time.input.delay", "got 0");
    p = params("sequence", "parity");
    p.window = 0;
    check(p, "time.input.window", "got 0");
    p = params("sequence", "spike-order");
    p.presentation = 3;
    check(p, "time.input.presentation", "spike-order needs at least 4 ticks per sample");
    p.presentation = 16;
    p.noise = 0.6;
    check(p, "time.input.noise", "got 0.6");
    p = params("sequence", "mnist-rows");
    p.bits = 256;
    check(p, "time.input.bits", "expected an integer in 1..255, got 256");

    // More samples than a real dataset has, known without its files.
    p = params("latency", "mnist");
    p.samples = 10001;
    check(p, "time.input.samples", "dataset 'mnist' has 10000 test samples, fewer than the 10001 asked for");
    p.split = "train";
    CHECK_NOTHROW((void)stream_shape_of(p));

    // A coding that cannot show the dataset, either way round.
    check(params("rate", "delayed-xor"), "time.input.dataset",
          "'delayed-xor' is a sequence, fed one symbol per tick with coding: sequence; coding 'rate' shows the "
          "samples of a dataset: mnist, fashion-mnist, xor, parity-N, majority-N");
    check(params("sequence", "mnist"), "time.input.dataset",
          "'mnist' is a dataset of samples, shown with coding rate, latency, thermometer; coding 'sequence' feeds a "
          "sequence; valid: mnist-rows, fashion-mnist-rows, delayed-xor, parity, spike-order, text (did you mean "
          "'mnist-rows'?)");
    check(params("sequence", "parity-8"), "time.input.dataset", "'parity-8' is a dataset of samples");

    // Names that are neither.
    const lutra::unknown_name_error dataset = unknown_name_of(params("rate", "mnsit"));
    CHECK(dataset.kind == "dataset");
    CHECK(dataset.name == "mnsit");
    CHECK(std::string(dataset.what()) == "time.input.dataset: unknown dataset 'mnsit'; valid: mnist, fashion-mnist, "
                                         "xor, parity-N, majority-N (did you mean 'mnist'?)");
    CHECK(text(unknown_name_of(params("latency", "parity-0")).what()) ==
          doctest::Contains("time.input.dataset: dataset 'parity-0': N = 0 is out of range"));
    const lutra::unknown_name_error sequence = unknown_name_of(params("sequence", "txt"));
    CHECK(sequence.kind == "sequence");
    CHECK(std::string(sequence.what()) == "time.input.dataset: unknown sequence 'txt'; valid: mnist-rows, "
                                          "fashion-mnist-rows, delayed-xor, parity, spike-order, text (did you mean 'text'?)");

    // The text file: none, missing, a directory, empty.
    p = params("sequence", "text");
    check(p, "time.input.file", "the text sequence reads a file, and none is given");
    p.file = (empty.path / "nope.txt").string();
    check(p, "time.input.file", ("text file '" + p.file + "': no such file").c_str());
    p.file = empty.path.string();
    check(p, "time.input.file", "is a directory, not a file");
    p.file = (empty.path / "empty.txt").string();
    std::ofstream(p.file).close();
    check(p, "time.input.file", "is empty; the text sequence needs at least one byte");

    // No streams; a matrix of the wrong shape; a labels buffer of the wrong size.
    CHECK_THROWS_WITH_AS((void)make_stimulus(params("sequence", "parity"), 0, 1),
                         "a stimulus needs at least one stream; got streams = 0", lutra::error);
    const auto stim = make_stimulus(params("sequence", "parity"), 4, 1);
    bit_matrix wrong_rows(2, 4), few_streams(1, 3);
    CHECK_THROWS_WITH_AS(stim->fill(0, wrong_rows),
                         "stimulus: the input matrix has 2 rows × 4 samples; the stimulus writes 1 inputs × 4 streams",
                         lutra::error);
    CHECK_THROWS_AS(stim->fill(0, few_streams), lutra::error);
    std::vector<std::uint16_t> labels(3);
    CHECK_THROWS_WITH_AS(stim->labels(0, labels), "stimulus: 3 labels asked for, but there are 4 streams",
                         lutra::error);
}
