#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <set>
#include <span>

#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/reference.hpp"
#include "lutra/fpga/classifier.hpp"
#include "lutra/fpga/passes.hpp"
#include "support/all_patterns.hpp"

using namespace lutra;
using namespace lutra::fpga;
using lutra::test::all_patterns;

namespace {

// A thermometer encoder over `features` features of one image row, with the
// same thresholds for every feature.
core::encoder thermometer(std::uint32_t features, const std::vector<std::uint8_t>& per_feature) {
    const auto t = static_cast<std::uint32_t>(per_feature.size());
    std::vector<core::input_bit> bits;
    std::vector<std::uint8_t> thresholds;
    for (std::uint32_t f = 0; f < features; ++f)
        for (std::uint32_t b = 0; b < t; ++b) {
            bits.push_back({.feature = f, .x = static_cast<std::uint16_t>(f), .y = 0, .channel = 0,
                            .bit = static_cast<std::uint16_t>(b)});
            thresholds.push_back(per_feature[b]);
        }
    return core::encoder::from_parts(features, t, std::move(bits), std::move(thresholds));
}

// Random pixels, half of them on or beside the thresholds used here.
core::data_split random_pixels(std::uint32_t features, std::size_t samples, std::uint64_t seed) {
    static constexpr std::uint8_t edges[] = {0, 1, 126, 127, 128, 253, 254, 255};
    const counter_rng rng(seed, "test.pixels");
    core::data_split split;
    split.labels.assign(samples, 0);
    for (std::size_t i = 0; i < samples * features; ++i) {
        const std::uint64_t r = rng.at(i);
        split.features.push_back(r & 1U ? edges[(r >> 1) % 8] : static_cast<std::uint8_t>(r >> 8));
    }
    return split;
}

std::uint32_t read_number(const core::bit_matrix& rows, std::size_t first, std::size_t width, std::size_t s) {
    std::uint32_t v = 0;
    for (std::size_t b = 0; b < width; ++b) v |= static_cast<std::uint32_t>(rows.get(first + b, s)) << b;
    return v;
}

std::vector<signal> inputs_as_signals(std::uint32_t first, std::uint32_t count) {
    std::vector<signal> s;
    for (std::uint32_t i = 0; i < count; ++i) s.push_back(signal::input(first + i));
    return s;
}

// Longest chain of table nodes from the primary inputs to any node.
std::size_t table_depth(const logic_design& d) {
    std::vector<std::size_t> depth(d.nodes.size(), 0);
    std::size_t deepest = 0;
    for (std::size_t n = 0; n < d.nodes.size(); ++n) {
        std::size_t below = 0;
        for (const signal& s : d.nodes[n].inputs)
            if (s.from == signal::kind::node) below = std::max(below, depth[s.index]);
        depth[n] = below + 1;
        deepest = std::max(deepest, depth[n]);
    }
    return deepest;
}

bool at_most_six_inputs(const logic_design& d) {
    return std::all_of(d.nodes.begin(), d.nodes.end(), [](const logic_node& n) { return n.inputs.size() <= 6; });
}

// Checks classifier_design against core::reference_classify on the pixels.
void check_agrees(const core::network& net, const core::encoder& enc, const core::data_split& pixels,
                  const classifier_options& options = {}) {
    const logic_design design = classifier_design(net, enc, options);
    REQUIRE_NOTHROW(validate(design));
    CHECK(std::all_of(design.nodes.begin(), design.nodes.end(),
                      [](const logic_node& n) { return n.role == part::encoder || n.role == part::network || n.inputs.size() <= 6; }));
    const core::head_output expected = core::reference_classify(net, enc.encode(pixels));
    const core::bit_matrix out = evaluate(design, pixel_inputs(pixels, enc.num_features()));

    const std::uint32_t classes = net.head().num_classes;
    const std::size_t group = net.head().outputs.size() / classes;
    const std::size_t class_bits = std::max<std::size_t>(1, std::bit_width(classes - 1U));
    const auto score_bits = static_cast<std::size_t>(std::bit_width(group));
    REQUIRE(design.outputs.size() == classes + 1);
    CHECK(design.outputs[0].name == "prediction");
    CHECK(design.outputs[0].bits.size() == class_bits);
    for (std::uint32_t c = 0; c < classes; ++c) {
        CHECK(design.outputs[1 + c].name == "score" + std::to_string(c));
        CHECK(design.outputs[1 + c].bits.size() == score_bits);
    }
    REQUIRE(out.rows() == class_bits + classes * score_bits);

    std::size_t wrong_predictions = 0;
    std::size_t wrong_scores = 0;
    for (std::size_t s = 0; s < pixels.size(); ++s) {
        if (read_number(out, 0, class_bits, s) != expected.predictions[s]) ++wrong_predictions;
        for (std::uint32_t c = 0; c < classes; ++c)
            if (read_number(out, class_bits + c * score_bits, score_bits, s) != expected.scores[s * classes + c])
                ++wrong_scores;
    }
    CHECK(wrong_predictions == 0);
    CHECK(wrong_scores == 0);
}

}  // namespace

TEST_CASE("classifier: pixel_inputs puts bit b of feature f on row 8f + b") {
    core::data_split split;
    split.features = {0x01, 0x80, 0xA5, 0xFF, 0x00, 0x7E};  // 3 samples × 2 features
    split.labels = {0, 0, 0};
    const core::bit_matrix bits = pixel_inputs(split, 2);
    REQUIRE(bits.rows() == 16);
    REQUIRE(bits.samples() == 3);
    for (std::size_t s = 0; s < 3; ++s)
        for (std::size_t f = 0; f < 2; ++f) CHECK(read_number(bits, 8 * f, 8, s) == split.features[s * 2 + f]);
    CHECK_THROWS_WITH_AS((void)pixel_inputs(split, 4),
                         doctest::Contains("the split has 6 feature bytes for 3 samples; 4 features per sample need 12"),
                         error);
}

TEST_CASE("classifier: the design equals core::reference_classify on random networks and pixels") {
    const core::encoder enc = thermometer(16, {0, 127, 200, 254});
    struct shape {
        unsigned k;
        std::uint32_t classes;
        std::uint32_t per_class;
        std::uint32_t layers;
    };
    for (const shape sh : {shape{2, 3, 4, 2}, shape{3, 4, 5, 3}, shape{4, 3, 12, 2}, shape{6, 4, 7, 2},
                           shape{5, 2, 9, 1}, shape{6, 10, 3, 2}}) {
        CAPTURE(sh.k);
        CAPTURE(sh.classes);
        CAPTURE(sh.per_class);
        const std::uint32_t per_layer = sh.classes * sh.per_class;
        const core::network net = core::random_network({.num_inputs = enc.num_bits(), .nodes = sh.layers * per_layer,
                                                        .layers = sh.layers, .k = sh.k, .num_classes = sh.classes},
                                                       1000 + sh.k * 31 + sh.classes);
        const core::data_split pixels = random_pixels(enc.num_features(), 3000, sh.k + 7 * sh.per_class);
        check_agrees(net, enc, pixels);  // two-table comparators, the default
        check_agrees(net, enc, pixels, {.comparators = comparator_form::one_table});
    }
}

TEST_CASE("classifier: both comparator forms compute value > threshold for every value and threshold") {
    // One feature, one encoder row per threshold 0..254 (rows feature-major,
    // so 255 features of one threshold each), every row buffered by a node.
    std::vector<core::input_bit> bits;
    std::vector<std::uint8_t> thresholds;
    for (std::uint32_t f = 0; f < 255; ++f) {
        bits.push_back({.feature = f, .x = static_cast<std::uint16_t>(f), .y = 0, .channel = 0, .bit = 0});
        thresholds.push_back(static_cast<std::uint8_t>(f));
    }
    const core::encoder enc = core::encoder::from_parts(255, 1, std::move(bits), std::move(thresholds));
    core::network_arrays a;
    a.num_inputs = 255;
    for (std::uint32_t n = 0; n < 255; ++n) {
        a.k.push_back(1);
        a.sources.push_back(n);
        a.tables.push_back(0b10);
    }
    a.head = {.num_classes = 255, .outputs = {}};
    for (std::uint32_t n = 0; n < 255; ++n) a.head.outputs.push_back(n);
    const core::network net(a);
    // Every feature of sample v holds v, so row θ of sample v is v > θ.
    core::data_split pixels;
    for (std::uint32_t v = 0; v < 256; ++v) {
        for (std::uint32_t f = 0; f < 255; ++f) pixels.features.push_back(static_cast<std::uint8_t>(v));
        pixels.labels.push_back(0);
    }
    for (const comparator_form form : {comparator_form::one_table, comparator_form::two_tables}) {
        CAPTURE(static_cast<int>(form));
        const logic_design design = classifier_design(net, enc, {.comparators = form});
        std::size_t encoder_nodes = 0;
        for (const logic_node& node : design.nodes)
            if (node.role == part::encoder) {
                ++encoder_nodes;
                CHECK(node.inputs.size() <= (form == comparator_form::one_table ? 8U : 6U));
            }
        // Two tables but for the 63 thresholds θ ≡ 3 (mod 4): value > θ reads
        // the top 6 bits or fewer, one table.
        CHECK(encoder_nodes == (form == comparator_form::one_table ? 255U : 510U - 63U));
        // A comparator reads only the pixel bits that can change it: all but
        // θ's trailing ones (feature θ holds the comparator of threshold θ).
        std::vector<std::set<std::uint32_t>> pixel_bits_read(255);
        for (const logic_node& node : design.nodes)
            if (node.role == part::encoder)
                for (const signal& in : node.inputs)
                    if (in.from == signal::kind::input) pixel_bits_read[in.index / 8].insert(in.index % 8);
        for (std::uint32_t theta = 0; theta < 255; ++theta) {
            CAPTURE(theta);
            std::set<std::uint32_t> expected;
            for (auto b = static_cast<std::uint32_t>(std::countr_one(theta)); b < 8; ++b) expected.insert(b);
            CHECK(pixel_bits_read[theta] == expected);
        }
        const core::bit_matrix out = evaluate(design, pixel_inputs(pixels, 255));
        // Scores are single bits after the 8 prediction bits: score θ = v > θ.
        std::size_t wrong = 0;
        for (std::uint32_t v = 0; v < 256; ++v)
            for (std::uint32_t t = 0; t < 255; ++t)
                if (out.get(8 + t, v) != (v > t)) ++wrong;
        CHECK(wrong == 0);
        check_agrees(net, enc, pixels, {.comparators = form});
    }
}

TEST_CASE("classifier: nodes are grouped by role, network nodes keep their origin and tables") {
    const core::encoder enc = thermometer(16, {0, 127, 254});
    const core::network net =
        core::random_network({.num_inputs = enc.num_bits(), .nodes = 24, .layers = 2, .k = 3, .num_classes = 3}, 9);
    const logic_design design = classifier_design(net, enc, {.comparators = comparator_form::one_table});
    CHECK(design.name == "lutra_classifier");
    REQUIRE(design.input_ports.size() == 1);
    CHECK(design.input_ports[0].name == "pixels");
    CHECK(design.input_ports[0].first == 0);
    CHECK(design.input_ports[0].width == 8 * 16);
    CHECK(design.num_inputs == 8 * 16);

    std::vector<bool> read(net.num_inputs(), false);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        for (const std::uint32_t id : net.sources(n))
            if (id < net.num_inputs()) read[id] = true;
    const auto encoder_nodes = static_cast<std::size_t>(std::count(read.begin(), read.end(), true));
    REQUIRE(encoder_nodes < net.num_inputs());  // the test covers rows nobody reads
    REQUIRE(design.nodes.size() > encoder_nodes + net.num_nodes());
    std::vector<std::uint32_t> read_rows;
    for (std::uint32_t r = 0; r < net.num_inputs(); ++r)
        if (read[r]) read_rows.push_back(r);
    for (std::size_t i = 0; i < design.nodes.size(); ++i) {
        const logic_node& node = design.nodes[i];
        CAPTURE(i);
        if (i < encoder_nodes) {
            CHECK(node.role == part::encoder);
            // value > 127 reads bit 7 alone; 0 and 254 read all 8 bits.
            CHECK(node.inputs.size() == (enc.thresholds()[read_rows[i]] == 127 ? 1U : 8U));
        } else if (i < encoder_nodes + net.num_nodes()) {
            const auto n = static_cast<std::uint32_t>(i - encoder_nodes);
            CHECK(node.role == part::network);
            CHECK(node.origin == n);
            CHECK(node.inputs.size() == net.k(n));
            CHECK(node.table[0] == net.table(n)[0]);
        } else {
            CHECK((node.role == part::popcount || node.role == part::argmax));
            CHECK(node.inputs.size() <= 6);
        }
    }
}

TEST_CASE("classifier: an encoder node is value > threshold over its pixel's eight bits") {
    // One feature, one node reading the bit for threshold 127: the design's
    // only encoder node must switch exactly between 127 and 128.
    const core::encoder enc = thermometer(1, {0, 127, 254});
    core::network_arrays a;
    a.num_inputs = 3;
    a.k = {1, 1};
    a.sources = {1, 2};  // the threshold-127 bit and the threshold-254 bit, buffered
    a.tables = {0b10, 0b10};
    a.head = {.num_classes = 2, .outputs = {0, 1}};
    const core::network net(a);
    const logic_design design = classifier_design(net, enc, {.comparators = comparator_form::one_table});
    REQUIRE(design.nodes.size() >= 2);
    CHECK(design.nodes[0].role == part::encoder);
    CHECK(design.nodes[1].role == part::encoder);
    CHECK(design.nodes[2].role == part::network);
    core::data_split all;
    for (unsigned v = 0; v < 256; ++v) {
        all.features.push_back(static_cast<std::uint8_t>(v));
        all.labels.push_back(0);
    }
    check_agrees(net, enc, all);
    // Class 1 (value > 254) never beats class 0 (value > 127): they tie at
    // 255, so every prediction is 0; score0 is 1 exactly above 127.
    const core::bit_matrix out = evaluate(design, pixel_inputs(all, 1));
    for (unsigned v = 0; v < 256; ++v) {
        CHECK(out.get(0, v) == false);
        CHECK(out.get(1, v) == (v > 127));
        CHECK(out.get(2, v) == (v > 254));
    }
}

TEST_CASE("classifier: equal scores go to the lowest class") {
    const core::encoder enc = thermometer(4, {0, 127, 254});
    SUBCASE("constant outputs: every score equal, always class 0") {
        for (const std::uint64_t constant : {0b00ULL, 0b11ULL}) {
            core::network_arrays a;
            a.num_inputs = enc.num_bits();
            for (std::uint32_t n = 0; n < 12; ++n) {
                a.k.push_back(1);
                a.sources.push_back(n % a.num_inputs);
                a.tables.push_back(constant);
                a.head.outputs.push_back(n);
            }
            a.head.num_classes = 4;
            const core::network net(a);
            const core::data_split pixels = random_pixels(4, 200, 3);
            check_agrees(net, enc, pixels);
            const core::bit_matrix out = evaluate(classifier_design(net, enc), pixel_inputs(pixels, 4));
            for (std::size_t s = 0; s < pixels.size(); ++s) CHECK(read_number(out, 0, 2, s) == 0);
        }
    }
    SUBCASE("classes 1 and 2 share their outputs and tie on every sample; class 3 sometimes beats them") {
        // Nodes 0..3 buffer input bits, node 4 is constant 0. Class 0 = {4, 4, 4},
        // classes 1 and 2 = {0, 1, 2}, class 3 = {3, 3, 4}.
        core::network_arrays a;
        a.num_inputs = enc.num_bits();
        for (std::uint32_t n = 0; n < 4; ++n) {
            a.k.push_back(1);
            a.sources.push_back(3 * n + 1);  // feature n's threshold-127 bit
            a.tables.push_back(0b10);
        }
        a.k.push_back(1);
        a.sources.push_back(0);
        a.tables.push_back(0b00);
        a.head = {.num_classes = 4, .outputs = {4, 4, 4, 0, 1, 2, 0, 1, 2, 3, 3, 4}};
        const core::network net(a);
        const core::data_split pixels = random_pixels(4, 2000, 11);
        check_agrees(net, enc, pixels);

        const core::head_output expected = core::reference_classify(net, enc.encode(pixels));
        std::size_t ties_to_one = 0;
        std::size_t class_three = 0;
        for (std::size_t s = 0; s < pixels.size(); ++s) {
            ties_to_one += expected.predictions[s] == 1 ? 1 : 0;
            class_three += expected.predictions[s] == 3 ? 1 : 0;
        }
        CHECK(ties_to_one > 100);  // the tie really happened and class 1 kept it
        CHECK(class_three > 100);
    }
}

TEST_CASE("classifier: a network without a head, or with other inputs than the encoder's, is refused") {
    const core::encoder enc = thermometer(4, {0, 127, 254});
    const core::network headless =
        core::random_network({.num_inputs = enc.num_bits(), .nodes = 8, .layers = 2, .k = 2, .num_classes = 0}, 1);
    CHECK_THROWS_WITH_AS((void)classifier_design(headless, enc),
                         doctest::Contains("the network has no head (num_classes = 0)"), error);
    const core::network wider =
        core::random_network({.num_inputs = 13, .nodes = 8, .layers = 2, .k = 2, .num_classes = 2}, 1);
    CHECK_THROWS_WITH_AS((void)classifier_design(wider, enc),
                         doctest::Contains("the network reads 13 input bits, but the encoder makes 12"), error);
}

TEST_CASE("classifier: delays are kept on the network nodes, and evaluate() refuses the sequential design") {
    const core::encoder enc = thermometer(2, {0, 127, 254});
    core::network_arrays a;
    a.num_inputs = enc.num_bits();
    a.k = {2, 2};
    a.sources = {0, 7, 3, 6};  // node 0 reads node 1 a tick late
    a.delays = {0, 1, 0, 0};
    a.tables = {0b0110, 0b1000};
    a.head = {.num_classes = 2, .outputs = {0, 1}};
    const core::network net(a);
    const logic_design design = classifier_design(net, enc);
    CHECK_NOTHROW(validate(design));
    const auto first_network = static_cast<std::size_t>(std::count_if(
        design.nodes.begin(), design.nodes.end(), [](const logic_node& n) { return n.role == part::encoder; }));
    const logic_node& node0 = design.nodes[first_network];
    REQUIRE(node0.delays.size() == 2);
    CHECK(node0.delays[1] == 1);
    CHECK(node0.inputs[1] == signal::node(static_cast<std::uint32_t>(first_network + 1)));
    CHECK(design.nodes[first_network + 1].delays.empty());
    CHECK_THROWS_AS((void)evaluate(design, pixel_inputs(random_pixels(2, 10, 1), 2)), error);
}

TEST_CASE("classifier: popcount is exact on every pattern of 1..12 bits") {
    for (unsigned g = 1; g <= 12; ++g) {
        CAPTURE(g);
        logic_design d;
        d.num_inputs = g;
        d.input_ports.push_back({"bits", 0, g});
        const std::vector<signal> bits = inputs_as_signals(0, g);
        const std::vector<signal> count = add_popcount(d, bits);
        REQUIRE(count.size() == static_cast<std::size_t>(std::bit_width(g)));
        d.outputs.push_back({"count", count});
        REQUIRE_NOTHROW(validate(d));
        CHECK(at_most_six_inputs(d));
        if (g <= 6) {  // one table per sum bit, at most, straight from the inputs
            CHECK(d.nodes.size() <= count.size());
            CHECK(table_depth(d) <= 1);
        }
        CHECK(d.nodes.size() <= g);  // counters shrink bits at about one table per bit
        const core::bit_matrix out = evaluate(d, all_patterns(g));
        std::size_t wrong = 0;
        for (std::size_t s = 0; s < out.samples(); ++s)
            if (read_number(out, 0, count.size(), s) != static_cast<std::uint32_t>(std::popcount(s))) ++wrong;
        CHECK(wrong == 0);
    }
}

TEST_CASE("classifier: popcount of many bits, checked on random patterns") {
    for (const std::uint32_t g : {13U, 31U, 64U, 100U, 255U}) {
        CAPTURE(g);
        logic_design d;
        d.num_inputs = g;
        d.input_ports.push_back({"bits", 0, g});
        const std::vector<signal> count = add_popcount(d, inputs_as_signals(0, g));
        REQUIRE(count.size() == static_cast<std::size_t>(std::bit_width(g)));
        d.outputs.push_back({"count", count});
        CHECK(at_most_six_inputs(d));
        // Rows with a per-row density from 0 to 1, so small and large counts occur.
        const std::size_t samples = 4096;
        core::bit_matrix in(g, samples);
        const counter_rng rng(g, "test.popcount");
        std::vector<std::uint32_t> expected(samples, 0);
        for (std::size_t s = 0; s < samples; ++s) {
            const std::uint64_t density = s % 65;  // out of 64
            for (std::uint32_t i = 0; i < g; ++i) {
                const bool bit = rng.fork(s).below(i, 64) < density;
                in.set(i, s, bit);
                expected[s] += bit ? 1U : 0U;
            }
        }
        const core::bit_matrix out = evaluate(d, in);
        std::size_t wrong = 0;
        for (std::size_t s = 0; s < samples; ++s)
            if (read_number(out, 0, count.size(), s) != expected[s]) ++wrong;
        CHECK(wrong == 0);
    }
}

TEST_CASE("classifier: greater-than is exact on every pair of 1..9-bit numbers, at the least table depth") {
    for (unsigned w = 1; w <= 9; ++w) {
        CAPTURE(w);
        logic_design d;
        d.num_inputs = 2 * w;
        d.input_ports.push_back({"ab", 0, 2 * w});
        const std::vector<signal> a = inputs_as_signals(0, w);
        const std::vector<signal> b = inputs_as_signals(w, w);
        d.outputs.push_back({"greater", {add_greater_than(d, a, b)}});
        REQUIRE_NOTHROW(validate(d));
        CHECK(at_most_six_inputs(d));
        CHECK(table_depth(d) == (w <= 3 ? 1U : 2U));
        const core::bit_matrix out = evaluate(d, all_patterns(2 * w));
        const std::uint32_t mask = (1U << w) - 1;
        std::size_t wrong = 0;
        for (std::size_t s = 0; s < out.samples(); ++s) {
            const auto x = static_cast<std::uint32_t>(s) & mask;
            const auto y = static_cast<std::uint32_t>(s >> w) & mask;
            if (out.get(0, s) != (y > x)) ++wrong;
        }
        CHECK(wrong == 0);
    }
    logic_design d;
    CHECK_THROWS_WITH_AS((void)add_greater_than(d, inputs_as_signals(0, 2), inputs_as_signals(2, 3)),
                         doctest::Contains("numbers of 2 and 3 bits"), error);
}

TEST_CASE("classifier: greater-than of wide numbers, checked on random and near-equal pairs") {
    for (const unsigned w : {10U, 14U, 15U, 16U, 21U}) {
        CAPTURE(w);
        logic_design d;
        d.num_inputs = 2 * w;
        d.input_ports.push_back({"ab", 0, 2 * w});
        d.outputs.push_back({"greater", {add_greater_than(d, inputs_as_signals(0, w), inputs_as_signals(w, w))}});
        CHECK(at_most_six_inputs(d));
        CHECK(table_depth(d) == 1 + (w - 3 + 5) / 6);
        const std::size_t samples = 8192;
        core::bit_matrix in(2 * w, samples);
        const counter_rng rng(w, "test.compare");
        const std::uint32_t mask = (1U << w) - 1;
        std::vector<bool> expected(samples);
        for (std::size_t s = 0; s < samples; ++s) {
            const auto x = static_cast<std::uint32_t>(rng.at(2 * s)) & mask;
            // Often b differs from a in one bit only, so every digit decides somewhere.
            const std::uint32_t flip = 1U << rng.fork(1).below(s, w);
            const std::uint32_t y = s % 3 == 0 ? (static_cast<std::uint32_t>(rng.at(2 * s + 1)) & mask)
                                    : s % 3 == 1 ? x ^ flip
                                                 : x;
            for (unsigned i = 0; i < w; ++i) {
                in.set(i, s, (x >> i) & 1U);
                in.set(w + i, s, (y >> i) & 1U);
            }
            expected[s] = y > x;
        }
        const core::bit_matrix out = evaluate(d, in);
        std::size_t wrong = 0;
        for (std::size_t s = 0; s < samples; ++s)
            if (out.get(0, s) != expected[s]) ++wrong;
        CHECK(wrong == 0);
    }
}

const std::array argmax_forms = {argmax_form::tournament, argmax_form::all_pairs};

TEST_CASE("classifier: argmax is exact, ties to the lowest class, on every pattern of small scores") {
    struct shape {
        unsigned classes;
        unsigned width;
    };
    for (const argmax_form form : argmax_forms)
    for (const shape sh : {shape{1, 1}, shape{1, 3}, shape{2, 1}, shape{2, 3}, shape{2, 6}, shape{3, 2}, shape{3, 3},
                           shape{4, 2}, shape{4, 3}, shape{5, 2}, shape{6, 2}, shape{7, 2}, shape{3, 5},
                           shape{10, 1}, shape{16, 1}}) {
        CAPTURE(static_cast<int>(form));
        CAPTURE(sh.classes);
        CAPTURE(sh.width);
        const unsigned n = sh.classes * sh.width;
        logic_design d;
        d.num_inputs = n;
        d.input_ports.push_back({"scores", 0, n});
        std::vector<std::vector<signal>> scores;
        for (unsigned c = 0; c < sh.classes; ++c) scores.push_back(inputs_as_signals(c * sh.width, sh.width));
        const std::vector<signal> index = add_argmax(d, scores, form);
        REQUIRE(index.size() == std::max<std::size_t>(1, std::bit_width(sh.classes - 1U)));
        d.outputs.push_back({"index", index});
        REQUIRE_NOTHROW(validate(d));
        CHECK(at_most_six_inputs(d));
        const core::bit_matrix out = evaluate(d, all_patterns(n));
        std::size_t wrong = 0;
        for (std::size_t s = 0; s < out.samples(); ++s) {
            std::uint32_t best = 0;
            std::uint32_t best_score = 0;
            for (unsigned c = 0; c < sh.classes; ++c) {
                const auto score = static_cast<std::uint32_t>((s >> (c * sh.width)) & ((1U << sh.width) - 1));
                if (c == 0 || score > best_score) {
                    best = c;
                    best_score = score;
                }
            }
            if (read_number(out, 0, index.size(), s) != best) ++wrong;
        }
        CHECK(wrong == 0);
    }
    logic_design d;
    const std::vector<std::vector<signal>> uneven = {inputs_as_signals(0, 2), inputs_as_signals(2, 3)};
    CHECK_THROWS_WITH_AS((void)add_argmax(d, uneven), doctest::Contains("score 1 has 3 bits, score 0 has 2"), error);
}

TEST_CASE("classifier: comparators of rows read only by nodes the passes remove are removed too") {
    // Four features, one bit each. Node 0 reads rows 0 and 1 but is constant
    // 0; node 1 buffers row 2; row 3 is read by nobody.
    const core::encoder enc = thermometer(4, {100});
    core::network_arrays a;
    a.num_inputs = 4;
    a.k = {2, 1};
    a.sources = {0, 1, 2};
    a.tables = {0b0000, 0b10};
    a.head = {.num_classes = 2, .outputs = {0, 1}};
    const core::network net(a);
    logic_design design = classifier_design(net, enc);
    const auto pixels_read = [&] {
        std::set<std::uint32_t> features;
        for (const logic_node& node : design.nodes)
            if (node.role == part::encoder)
                for (const signal& in : node.inputs)
                    if (in.from == signal::kind::input) features.insert(in.index / 8);
        return features;
    };
    CHECK(pixels_read() == std::set<std::uint32_t>{0, 1, 2});  // rows the network reads
    (void)simplify(design);
    CHECK(pixels_read() == std::set<std::uint32_t>{2});  // rows its surviving nodes read
}

TEST_CASE("classifier: every argmax form gives core's predictions on popcounts with many ties") {
    struct shape {
        std::uint32_t classes;
        std::uint32_t group;
    };
    for (const argmax_form form : argmax_forms)
        for (const shape sh : {shape{2, 3}, shape{3, 7}, shape{5, 1}, shape{7, 12}, shape{10, 6}, shape{10, 40},
                               shape{12, 200}}) {
            CAPTURE(static_cast<int>(form));
            CAPTURE(sh.classes);
            CAPTURE(sh.group);
            // The network: one buffer per input, the head reading them in order.
            const std::uint32_t bits = sh.classes * sh.group;
            core::network_arrays a;
            a.num_inputs = bits;
            for (std::uint32_t n = 0; n < bits; ++n) {
                a.k.push_back(1);
                a.sources.push_back(n);
                a.tables.push_back(0b10);
                a.head.outputs.push_back(n);
            }
            a.head.num_classes = sh.classes;
            const core::network net(a);
            // Each sample's class counts lie within 2 of a common level, so
            // equal maxima are frequent; the set bits sit at a random offset.
            const std::size_t samples = 3000;
            core::bit_matrix in(bits, samples);
            const counter_rng rng(bits, "test.argmax_ties");
            for (std::size_t s = 0; s < samples; ++s) {
                const auto level = static_cast<std::uint32_t>(rng.fork(s).below(0, sh.group + 1));
                for (std::uint32_t c = 0; c < sh.classes; ++c) {
                    const auto count = std::min(sh.group, static_cast<std::uint32_t>(std::max<std::int64_t>(
                                                              0, std::int64_t{level} + static_cast<std::int64_t>(
                                                                                       rng.fork(s).below(1 + c, 3)) -
                                                                     1)));
                    const auto offset = static_cast<std::uint32_t>(rng.fork(s).below(100 + c, sh.group));
                    for (std::uint32_t i = 0; i < count; ++i) in.set(c * sh.group + (offset + i) % sh.group, s, true);
                }
            }
            const core::head_output expected = core::reference_classify(net, in);
            std::size_t tied = 0;
            for (std::size_t s = 0; s < samples; ++s) {
                const auto row = std::span(expected.scores).subspan(s * sh.classes, sh.classes);
                tied += std::count(row.begin(), row.end(), *std::max_element(row.begin(), row.end())) > 1 ? 1U : 0U;
            }
            if (sh.classes > 2) CHECK(tied > samples / 4);  // the tie rule is exercised

            logic_design d;
            d.num_inputs = bits;
            d.input_ports.push_back({"bits", 0, bits});
            std::vector<std::vector<signal>> scores;
            for (std::uint32_t c = 0; c < sh.classes; ++c)
                scores.push_back(add_popcount(d, inputs_as_signals(c * sh.group, sh.group)));
            const std::vector<signal> index = add_argmax(d, scores, form);
            d.outputs.push_back({"index", index});
            REQUIRE_NOTHROW(validate(d));
            CHECK(at_most_six_inputs(d));
            const core::bit_matrix out = evaluate(d, in);
            std::size_t wrong = 0;
            for (std::size_t s = 0; s < samples; ++s)
                if (read_number(out, 0, index.size(), s) != expected.predictions[s]) ++wrong;
            CHECK(wrong == 0);
        }
}

TEST_CASE("classifier: the all-pairs argmax of 10 classes is 5 table levels deep, the tournament 12") {
    for (const argmax_form form : argmax_forms) {
        logic_design d;
        d.num_inputs = 80;
        d.input_ports.push_back({"scores", 0, 80});
        std::vector<std::vector<signal>> scores;
        for (std::uint32_t c = 0; c < 10; ++c) scores.push_back(inputs_as_signals(8 * c, 8));
        d.outputs.push_back({"index", add_argmax(d, scores, form)});
        CHECK(table_depth(d) == (form == argmax_form::all_pairs ? 5U : 12U));
        CHECK(std::all_of(d.nodes.begin(), d.nodes.end(), [](const logic_node& n) { return n.role == part::argmax; }));
    }
}
