// export_network with a sequence classifier (export.hpp): the request-level
// path of `lutra export` for a recurrent network over sequences.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "lutra/core/error.hpp"
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
