// export_network with a sequence classifier (export.hpp): the request-level
// path of `lutra export` for a recurrent network over sequences.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"
#include "lutra/experiments/export.hpp"
#include "support/recurrent_classifier.hpp"
#include "support/temp_dir.hpp"

using namespace lutra;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("export_network: a sequence classifier with its per-tick vectors, report and COMPLETE") {
    const test::temp_dir dir("lutra-seqexport");
    const auto c = test::random_recurrent_classifier(3, 40, 5, 4, 2, 4, 7);
    experiments::export_request request;
    request.out_dir = dir.path / "out";
    request.sequence = core::sequence_spec{.ticks = 6, .readout = {3, 5}};
    request.sequence_pixels = test::random_sequence_pixels(9, 6, 3, 1);
    request.sequence_labels.assign(9, 1);
    request.vectors = 7;  // sequences
    const experiments::export_summary summary = experiments::export_network(request, c.net, c.enc, "hand-built");
    CHECK(summary.sequences == 7);
    CHECK(summary.vectors == 7 * 6);
    CHECK(summary.labelled);
    CHECK(summary.correct <= 7);
    for (const char* name : {"lutra_sequence_classifier.v", "lutra_sequence_classifier_tb.v", "vectors_in.hex",
                             "vectors_out.hex", "report.txt", "COMPLETE"})
        CHECK(fs::exists(request.out_dir / name));
    CHECK_FALSE(fs::exists(request.out_dir / "yosys_equiv.ys"));  // no generic style to prove against
    const std::string report = read_text(request.out_dir / "report.txt");
    CHECK(report.find("6 ticks per sequence, readout ticks 3 5") != std::string::npos);
    CHECK(report.find("cycles_per_sample=6") != std::string::npos);
    const std::string module = read_text(request.out_dir / "lutra_sequence_classifier.v");
    CHECK(module.find("input [0:0] last") != std::string::npos);
    CHECK(module.find("output [0:0] valid") != std::string::npos);
    CHECK(experiments::to_text(summary).find("42 ticks of 7 test sequences") != std::string::npos);
}

TEST_CASE("export_network: what a sequence export refuses, before writing anything") {
    const test::temp_dir dir("lutra-seqexport");
    const auto c = test::random_recurrent_classifier(3, 40, 5, 4, 2, 4, 7);
    experiments::export_request request;
    request.out_dir = dir.path / "out";
    request.sequence = core::sequence_spec{.ticks = 6};
    request.sequence_pixels = test::random_sequence_pixels(2, 6, 3, 1);
    SUBCASE("the generic style") { request.target = "generic"; }
    SUBCASE("pipelining") { request.pipeline_every = 2; }
    SUBCASE("pixels that are not whole sequences") { request.sequence_pixels.pop_back(); }
    SUBCASE("labels of another count") { request.sequence_labels.assign(3, 0); }
    SUBCASE("a readout tick past the sequence") { request.sequence->readout = {6}; }
    CHECK_THROWS_AS((void)experiments::export_network(request, c.net, c.enc, "hand-built"), error);
    CHECK_FALSE(fs::exists(request.out_dir));
}

TEST_CASE("export_network: --argmax auto takes the fewest LUT6 within the depth budget, and a budget no form meets is refused") {
    const test::temp_dir dir("lutra-argmax");
    // A combinational classifier of 10 classes: the two argmax forms differ in size and depth.
    const auto r = test::random_recurrent_classifier(4, 40, 4, 1, 2, 4, 3);  // for its encoder
    const struct {
        core::network net;
        core::encoder enc;
    } c{core::random_network({.num_inputs = r.enc.num_bits(), .nodes = 200, .layers = 2, .k = 4, .num_classes = 10}, 3),
        r.enc};
    experiments::export_request request;
    request.out_dir = dir.path / "auto";
    const experiments::export_summary fewest = experiments::export_network(request, c.net, c.enc, "hand-built");
    CAPTURE(fewest.argmax);
    CHECK(fewest.argmax.starts_with("tournament (auto of tournament "));
    CHECK(fewest.argmax.find(", all-pairs ") != std::string::npos);
    CHECK(read_text(request.out_dir / "report.txt").find("head argmax: tournament") != std::string::npos);

    request.argmax = "all-pairs";
    request.out_dir = dir.path / "all-pairs";
    const experiments::export_summary shallow = experiments::export_network(request, c.net, c.enc, "hand-built");
    CHECK(shallow.argmax == "all-pairs");
    CHECK(shallow.report.find("argmax") != std::string::npos);
    const auto depth_of = [](const fs::path& report) {
        const std::string text = read_text(report);
        const std::size_t at = text.find("total.depth=");
        REQUIRE(at != std::string::npos);
        return static_cast<std::uint32_t>(std::stoul(text.substr(at + 12)));
    };
    const std::uint32_t shallow_depth = depth_of(request.out_dir / "report.txt");
    CHECK(shallow_depth < depth_of(dir.path / "auto" / "report.txt"));

    request.argmax = "auto";
    request.max_depth = shallow_depth;
    request.out_dir = dir.path / "budget";
    const experiments::export_summary within = experiments::export_network(request, c.net, c.enc, "hand-built");
    CAPTURE(within.argmax);
    CHECK(within.argmax.starts_with("all-pairs (auto of "));
    CHECK(within.argmax.ends_with("; depth budget " + std::to_string(shallow_depth) + ")"));

    request.max_depth = shallow_depth - 1;
    request.out_dir = dir.path / "refused";
    std::string message;
    try {
        (void)experiments::export_network(request, c.net, c.enc, "hand-built");
    } catch (const error& e) {
        message = e.what();
    }
    CAPTURE(message);
    CHECK(message.find("no argmax form keeps the classifier within --max-depth " + std::to_string(shallow_depth - 1) +
                       " LUT levels") != std::string::npos);
    CHECK(message.find("give at least " + std::to_string(shallow_depth)) != std::string::npos);
    CHECK_FALSE(fs::exists(request.out_dir));
}

TEST_CASE("export_network: --pack-lut6-2 on (the default for xilinx) writes LUT6_2 sites and counts them; off and generic do not") {
    const test::temp_dir dir("lutra-lut6-2");
    const auto r = test::random_recurrent_classifier(4, 40, 4, 1, 2, 4, 3);  // for its encoder
    const core::network net =
        core::random_network({.num_inputs = r.enc.num_bits(), .nodes = 200, .layers = 2, .k = 4, .num_classes = 10}, 3);
    const auto key = [](const std::string& report, const std::string& name) {
        const std::size_t at = report.find("\n" + name + "=");
        REQUIRE(at != std::string::npos);
        return std::stoul(report.substr(at + name.size() + 2));
    };
    const auto count = [](const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
        return n;
    };
    experiments::export_request request;
    request.vectors = 0;
    request.out_dir = dir.path / "on";
    CHECK(request.pack_lut6_2 == "on");
    (void)experiments::export_network(request, net, r.enc, "hand-built");
    const std::string on = read_text(request.out_dir / "report.txt");
    const std::string verilog = read_text(request.out_dir / "lutra_classifier.v");
    CHECK(key(on, "total.lut6_2_sites") > 0);
    CHECK(count(verilog, "    LUT6_2 #(") == key(on, "total.lut6_2_sites"));
    // The proof's copy is the same netlist: the equivalence proof covers the sites.
    CHECK(count(read_text(request.out_dir / "equiv" / "xilinx.v"), "    LUT6_2 #(") == key(on, "total.lut6_2_sites"));

    request.pack_lut6_2 = "off";
    request.out_dir = dir.path / "off";
    (void)experiments::export_network(request, net, r.enc, "hand-built");
    const std::string off = read_text(request.out_dir / "report.txt");
    CHECK(key(off, "total.lut6_2_sites") == 0);
    CHECK(key(off, "total.lut6_sites") == key(on, "total.lut6_sites") + key(on, "total.lut6_2_sites"));
    CHECK(count(read_text(request.out_dir / "lutra_classifier.v"), "    LUT6_2 #(") == 0);

    request.pack_lut6_2 = "on";
    request.target = "generic";  // yosys maps the behavioural RTL itself: one site per LUT counted
    request.out_dir = dir.path / "generic";
    (void)experiments::export_network(request, net, r.enc, "hand-built");
    CHECK(key(read_text(request.out_dir / "report.txt"), "total.lut6_2_sites") == 0);

    request.pack_lut6_2 = "yes";
    request.out_dir = dir.path / "refused";
    CHECK_THROWS_WITH_AS((void)experiments::export_network(request, net, r.enc, "hand-built"),
                         doctest::Contains("pack-lut6-2 'yes' is not one of on, off"), error);
    CHECK_FALSE(fs::exists(request.out_dir));
}
