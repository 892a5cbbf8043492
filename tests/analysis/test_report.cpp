#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "lutra/analysis/report.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/publish.hpp"
#include "lutra/runfile/run_file.hpp"
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

TEST_CASE("report: each rule's summary as its mean over a population's nodes, printed, tabled and plotted") {
    const test_dir dir("report-rules");
    write_run_file(dir.path / "v1.h5", {});
    const runfile::run_reader v1(dir.path / "v1.h5");
    // The same run with /stats: "gain" on both populations at epochs 1 and 2
    // (NaN for a node it skips), "greedy" on zeta only at epoch 2.
    const fs::path path = dir.path / "run.h5";
    {
        runfile::run_file f = runfile::run_file::create(path, {"0.1.0", 1, ""});
        const std::vector<core::population> pops = v1.populations();
        REQUIRE(pops.size() == 2);
        for (const runfile::metrics_row& m : v1.metrics()) f.append_metrics(m);
        const float nan = std::numeric_limits<float>::quiet_NaN();
        for (std::uint32_t epoch = 1; epoch <= 2; ++epoch) {
            std::vector<runfile::population_stats> rows;
            for (const core::population& p : pops) {
                runfile::population_stats& row = rows.emplace_back();
                row.population = p.name;
                row.nodes = p.nodes;
                const std::size_t n = p.nodes.size();
                row.activation_rate.assign(n, 0.5F);
                row.entropy.assign(n, 1.0F);
                row.flips.assign(n, epoch);
                row.grad_abs_mean.assign(n, 0.0F);
                std::vector<float> gain(n, static_cast<float>(epoch));
                if (n == 2) gain = {static_cast<float>(epoch), 3.0F * static_cast<float>(epoch)};
                row.rules.push_back({"gain", {}, {{"gain_mean", gain}, {"unset", std::vector<float>(n, nan)}}});
                if (epoch == 2 && p.name == "zeta") row.rules.push_back({"greedy", {}, {{"accepted", {1.0F, nan}}}});
            }
            f.append_stats(epoch, rows, 4, "train");
        }
        f.write_network(v1.network(), pops);
        f.mark_finished();
    }
    const run_analysis run = analyze_run(path);
    REQUIRE(run.rules.size() == 2);
    const rule_curves& gain = run.rules[0];
    CHECK(gain.rule == "gain");
    CHECK(gain.quantities == std::vector<std::string>{"gain_mean", "unset"});
    REQUIRE(gain.populations.size() == 2);
    CHECK(gain.populations[0].population == "zeta");
    CHECK(gain.populations[0].epochs == std::vector<std::uint32_t>{1, 2});
    CHECK(gain.populations[0].means[0] == std::vector<double>{2.0, 4.0});  // (1 + 3) / 2, (2 + 6) / 2
    CHECK(std::isnan(gain.populations[0].means[1][0]));                    // no node has a value
    CHECK(gain.populations[1].means[0] == std::vector<double>{1.0, 2.0});
    const rule_curves& greedy = run.rules[1];
    REQUIRE(greedy.populations.size() == 1);
    CHECK(greedy.populations[0].epochs == std::vector<std::uint32_t>{2});
    CHECK(greedy.populations[0].means[0] == std::vector<double>{1.0});  // the NaN left out

    const std::string text = format_analysis(run);
    CHECK(contains(text, "rule gain: zeta, epoch 2: gain_mean 4, unset NaN (means over the nodes)"));
    CHECK(contains(text, "rule greedy: zeta, epoch 2: accepted 1 (means over the nodes)"));

    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
        MESSAGE("gnuplot is not installed (bash .ci/setup installs it): the rule plots were not checked");
        return;
    }
    const fs::path out = dir.path / "report";
    write_report(run, out);
    const std::string md = slurp(out / "report.md");
    CHECK(contains(md, "### gain\n\n![rule gain](rule_gain.png)"));
    CHECK(contains(md, "| epoch | population | gain_mean | unset |"));
    CHECK(contains(md, "| 2 | zeta | 4 | NaN |"));
    CHECK(contains(md, "| 2 | zeta | 1 |"));
    CHECK(fs::file_size(out / "rule_gain.png") > 1000);
    CHECK(fs::file_size(out / "rule_greedy.png") > 1000);
    CHECK(contains(slurp(out / "rule_gain.dat"), "# zeta: epoch gain_mean unset\n1 2 NaN\n2 4 NaN\n"));
}

TEST_CASE("report: a timed run's spikes and activity, printed, compared, tabled and plotted") {
    const test_dir dir("report-spikes");
    write_run_file(dir.path / "v1.h5", {});
    const runfile::run_reader v1(dir.path / "v1.h5");
    const std::vector<core::population> pops = v1.populations();
    REQUIRE(pops.size() == 2);  // zeta (2 nodes), alpha (1 node)
    // zeta spikes at ticks 1 and 3 (node 0) and 2 (node 1) of 10 ticks of 0.5 ms over 2 streams; alpha toggles
    // but has no spikes recorded.
    const fs::path path = dir.path / "run.h5";
    {
        runfile::run_file f = runfile::run_file::create(path, {"0.1.0", 1, ""});
        for (const runfile::metrics_row& m : v1.metrics()) f.append_metrics(m);
        f.write_network(v1.network(), pops);
        f.write_spikes("zeta", std::vector<std::uint64_t>{0, 1, 0}, std::vector<double>{0.5, 1.0, 1.5});
        runfile::population_activity zeta;
        zeta.population = "zeta";
        zeta.recording = {.ticks = 10, .streams = 2, .tick_ms = 0.5, .engine = "event"};
        zeta.toggles = {4, 2};
        f.write_activity(zeta);
        runfile::population_activity alpha = zeta;
        alpha.population = "alpha";
        alpha.toggles = {0};
        f.write_activity(alpha);
        f.mark_finished();
    }
    const run_analysis run = analyze_run(path);
    REQUIRE(run.activity.size() == 2);
    const population_activity_summary& z = run.activity[0];
    CHECK(z.population == "zeta");
    CHECK(z.spikes == 3);
    CHECK(z.mean_rate_hz == doctest::Approx(300.0));          // 3 spikes / (2 nodes × 5 ms)
    CHECK(z.toggles_per_node_tick == doctest::Approx(0.15));  // 6 toggles / (2 nodes × 10 ticks × 2 streams)
    CHECK(z.toggle_rate[2] == 1);                              // node 0: 4 / 20
    CHECK(z.toggle_rate[1] == 1);                              // node 1: 2 / 20
    CHECK(z.raster_x == std::vector<double>{1.0, 2.0, 3.0});  // ticks
    CHECK(z.raster_node == std::vector<std::uint64_t>{0, 1, 0});
    CHECK_FALSE(run.activity[1].has_spikes);
    CHECK(std::isnan(run.activity[1].mean_rate_hz));

    const std::string text = format_analysis(run);
    CHECK(contains(text, "spikes:     zeta: 2 nodes, 3 spikes (0 nodes silent), mean rate 300 Hz, 0.15 toggles per "
                         "node per tick (10 ticks × 0.5 ms, 2 streams, event engine)"));
    CHECK(contains(text, "spikes:     alpha: 1 nodes, no spikes recorded, 0 toggles per node per tick"));
    CHECK(contains(format_comparison(run, run), "zeta spike rate (Hz)"));
    // A run without a timed record prints, compares and reports as before.
    const run_analysis plain = analyze_run(dir.path / "v1.h5");
    CHECK(plain.activity.empty());
    CHECK_FALSE(contains(format_analysis(plain), "spikes:"));
    CHECK_FALSE(contains(format_comparison(plain, plain), "spike rate"));

    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
        MESSAGE("gnuplot is not installed (bash .ci/setup installs it): the spike plots were not checked");
        return;
    }
    const fs::path out = dir.path / "report";
    write_report(run, out);
    const std::string md = slurp(out / "report.md");
    CHECK(contains(md, "## Spikes and activity"));
    CHECK(contains(md, "| zeta | 2 | 3 | 0 | 300 | 0.15 | 10 | 0.5 | 2 | event |"));
    CHECK(contains(md, "| alpha | 1 | - | - | - | 0 | 10 | 0.5 | 2 | event |"));
    CHECK(contains(md, "![spikes of zeta](raster_zeta.png)"));
    CHECK_FALSE(contains(md, "raster_alpha"));
    CHECK(contains(md, "![switching activity](activity.png)"));
    CHECK(fs::file_size(out / "raster_zeta.png") > 1000);
    CHECK(fs::file_size(out / "activity.png") > 1000);
    CHECK(slurp(out / "raster_zeta.dat") == "# tick node\n1 0\n2 1\n3 0\n");
    CHECK(contains(slurp(out / "activity.dat"), "rate \"zeta\" \"alpha\"\n0.05 0 1\n0.15 1 0\n0.25 1 0\n"));
    const fs::path out_plain = dir.path / "report-plain";
    write_report(plain, out_plain);
    CHECK_FALSE(contains(slurp(out_plain / "report.md"), "Spikes and activity"));
    CHECK_FALSE(fs::exists(out_plain / "activity.png"));
}
