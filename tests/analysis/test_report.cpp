#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "lutra/analysis/report.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/publish.hpp"
#include "support/hdf5_run_file.hpp"

using namespace lutra;
using namespace lutra::analysis;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("report: analysis of a run file, printed and compared") {
    const test_dir dir("report");
    write_run_file(dir.path / "run.h5", {});
    const run_analysis run = analyze_run(dir.path);
    CHECK(run.num_nodes == 3);
    CHECK(run.depth == 2);
    REQUIRE(run.populations.size() == 2);
    CHECK(run.populations[0].name == "zeta");
    CHECK(run.populations[0].functions[static_cast<std::size_t>(function_kind::and_)] == 1);
    CHECK(run.populations[0].functions[static_cast<std::size_t>(function_kind::inverter)] == 1);
    CHECK(run.populations[1].functions[static_cast<std::size_t>(function_kind::or_)] == 1);
    REQUIRE(run.splits.size() == 2);
    CHECK(run.splits[1].split == "test");
    CHECK(run.splits[1].epochs == 1);
    CHECK(run.splits[1].final_accuracy == doctest::Approx(0.75));
    CHECK(run.splits[1].best_epoch == 1);

    const std::string text = format_analysis(run);
    CHECK(contains(text, "network:    3 nodes, 2 input bits, 1 classes, depth 2"));
    CHECK(contains(text, "population: zeta: 2 nodes, 0 dead, 0 constant"));
    CHECK(contains(text, "functions:        NOT×1, AND×1"));
    CHECK(contains(text, "effective fan-in: 1×1, 2×1"));
    CHECK(contains(text, "test:       final 75.00% (loss 0.5000) at epoch 1, best 75.00% at epoch 1"));

    const std::string both = format_comparison(run, run);
    CHECK(contains(both, "test final"));
    CHECK(contains(both, "zeta nodes"));
    CHECK(contains(both, "all AND"));
}

TEST_CASE("report: report.md and the gnuplot plots") {
    const test_dir dir("report-dir");
    write_run_file(dir.path / "run.h5", {});
    const run_analysis run = analyze_run(dir.path / "run.h5");
    const fs::path out = dir.path / "report";
    bool has_gnuplot = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
    if (!has_gnuplot) {
        // Without gnuplot the error says how to install it.
        try {
            write_report(run, out);
            FAIL("write_report without gnuplot did not throw");
        } catch (const io_error& e) {
            CHECK(contains(e.what(), "apt-get install gnuplot-nox"));
        }
        MESSAGE("gnuplot is not installed (bash .ci/setup installs it): the plots were not checked");
        return;
    }
    write_report(run, out);
    const std::string md = slurp(out / "report.md");
    CHECK(contains(md, "![learning curves](learning_curves.png)"));
    CHECK(contains(md, "| zeta | 2 | 0 | 0 | 1.50 |"));
    CHECK(contains(md, "| AND | 1 | 0 |"));
    CHECK(fs::file_size(out / "learning_curves.png") > 1000);
    CHECK(fs::file_size(out / "fan_in.png") > 1000);
    CHECK(contains(slurp(out / "metrics_test.dat"), "1 0.5 0.75"));
    // Published whole: COMPLETE lists every file, no temporary is left, and
    // the script redraws the plots in the directory it ended up in.
    CHECK_NOTHROW(lutra::core::check_complete(out, "a report"));
    const auto listed = lutra::core::complete_files(out);
    CHECK(std::find(listed.begin(), listed.end(), fs::path("learning_curves.png")) != listed.end());
    CHECK_FALSE(fs::exists(dir.path / ".report.partial"));
    CHECK(std::system(("cd '" + out.string() + "' && gnuplot plots.gp").c_str()) == 0);
}

TEST_CASE("report: a missing gnuplot is a clear error") {
    const test_dir dir("report-no-gnuplot");
    write_run_file(dir.path / "run.h5", {});
    const run_analysis run = analyze_run(dir.path);
    const char* old = std::getenv("PATH");
    const std::string saved = old ? old : "";
    ::setenv("PATH", dir.path.c_str(), 1);
    std::string message;
    try {
        write_report(run, dir.path / "report");
    } catch (const io_error& e) {
        message = e.what();
    }
    ::setenv("PATH", saved.c_str(), 1);
    CHECK(contains(message, "gnuplot is not installed"));
    CHECK(contains(message, "bash .ci/setup"));
}
