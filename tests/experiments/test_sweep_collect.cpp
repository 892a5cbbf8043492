// `lutra sweep collect`: the table of a sweep's points (CSV and HDF5),
// checked against the run files of the points themselves; the best point;
// points not done kept with their reasons; a bad metric refused.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "lutra/analysis/gnuplot.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/publish.hpp"
#include "lutra/experiments/sweep_collect.hpp"
#include "lutra/runfile/run_reader.hpp"
#include "support/env_override.hpp"
#include "support/sweep_sample.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace lutra;
using namespace lutra::experiments;

namespace {

// RFC 4180: fields separated by commas, quoted ones may hold commas, line
// breaks and doubled quotes. Rows of fields.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().push_back(std::move(field));
            field.clear();
        } else if (c == '\n') {
            rows.back().push_back(std::move(field));
            field.clear();
            rows.emplace_back();
        } else {
            field += c;
        }
    }
    if (rows.back().empty()) rows.pop_back();
    return rows;
}

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A table read back as text by column name: rows[r].at(column).
std::vector<std::map<std::string, std::string>> read_table(const fs::path& csv) {
    const auto rows = parse_csv(read_text(csv));
    REQUIRE(!rows.empty());
    std::vector<std::map<std::string, std::string>> table;
    for (std::size_t r = 1; r < rows.size(); ++r) {
        REQUIRE(rows[r].size() == rows[0].size());
        auto& row = table.emplace_back();
        for (std::size_t c = 0; c < rows[0].size(); ++c) row[rows[0][c]] = rows[r][c];
    }
    return table;
}

double number(const std::string& text) { return text.empty() ? std::nan("") : std::stod(text); }

// summary.txt's "key: value" lines.
std::map<std::string, std::string> read_summary(const fs::path& file) {
    std::map<std::string, std::string> values;
    std::istringstream in(read_text(file));
    for (std::string line; std::getline(in, line);)
        if (const std::size_t colon = line.find(": "); colon != std::string::npos)
            values[line.substr(0, colon)] = line.substr(colon + 2);
    return values;
}

// The final and best hardened test accuracy straight from a run's /metrics.
struct test_accuracy {
    double final = 0, best = 0, final_relaxed = -1;
    std::uint32_t best_epoch = 0, epochs = 0;
};
test_accuracy read_accuracy(const fs::path& run) {
    test_accuracy a;
    for (const runfile::metrics_row& r : runfile::run_reader(run).metrics()) {
        if (r.split == "test_relaxed") a.final_relaxed = r.accuracy;  // rows in epoch order
        if (r.split != "test") continue;
        if (r.epoch >= a.epochs) {
            a.epochs = r.epoch;
            a.final = r.accuracy;
        }
        if (r.accuracy > a.best) {
            a.best = r.accuracy;
            a.best_epoch = r.epoch;
        }
    }
    return a;
}

// One column of /points in points.h5 through the HDF5 C API: its type class,
// size and sign, and its values.
struct h5_column {
    H5T_class_t type_class = H5T_NO_CLASS;
    std::size_t size = 0;
    bool is_signed = false;
    bool variable_utf8 = false;
    std::vector<double> reals;
    std::vector<std::int64_t> integers;
    std::vector<std::string> texts;
};

h5_column read_h5_column(const fs::path& file, const std::string& name) {
    h5_column c;
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, ("/points/" + name).c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t type = H5Dget_type(d);
    const hid_t space = H5Dget_space(d);
    REQUIRE(H5Sget_simple_extent_ndims(space) == 1);
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
    c.type_class = H5Tget_class(type);
    c.size = H5Tget_size(type);
    if (c.type_class == H5T_INTEGER) {
        c.is_signed = H5Tget_sign(type) == H5T_SGN_2;
        c.integers.resize(n);
        REQUIRE(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.integers.data()) >= 0);
    } else if (c.type_class == H5T_FLOAT) {
        c.reals.resize(n);
        REQUIRE(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.reals.data()) >= 0);
    } else if (c.type_class == H5T_STRING) {
        c.variable_utf8 = H5Tis_variable_str(type) > 0 && H5Tget_cset(type) == H5T_CSET_UTF8;
        std::vector<char*> pointers(n);
        REQUIRE(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) >= 0);
        for (char* p : pointers) c.texts.emplace_back(p ? p : "");
        REQUIRE(H5Dvlen_reclaim(type, space, H5P_DEFAULT, pointers.data()) >= 0);
    }
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(d);
    H5Fclose(f);
    return c;
}

std::int64_t read_h5_int_attribute(const fs::path& file, const std::string& name) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t a = H5Aopen_by_name(f, "/points", name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(a >= 0);
    std::int64_t value = 0;
    REQUIRE(H5Aread(a, H5T_NATIVE_INT64, &value) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    return value;
}

}  // namespace

TEST_CASE("sweep collect: every point in one table, equal to its run file; the best; failures with reasons") {
    const lutra::test::temp_dir dir("lutra-test-sweep-collect");
    const fs::path sweep = dir.path / "sweep";
    const collect_request request = lutra::test::make_sample_sweep(sweep);
    const collect_result result = collect_sweep(request);

    CHECK(result.dir == sweep / "results");
    CHECK(result.csv == sweep / "results" / "points.csv");
    CHECK(result.h5 == sweep / "results" / "points.h5");
    CHECK(result.done == 3);
    CHECK(result.not_done == 2);
    core::check_complete(result.dir, "sweep results");  // published whole, COMPLETE last

    const auto table = read_table(result.csv);
    REQUIRE(table.size() == 5);  // every point, the failed and the pending too
    CHECK(table[0].size() == result.columns.size());
    CHECK(result.columns[0] == "index");
    CHECK(result.columns[4] == "seed");
    CHECK(result.columns[5] == "train.optimizer.learning_rate");
    CHECK(result.columns[6] == "train.optimizer.kind");

    // Values: integers, numbers (1e-1 read as the YAML number 0.1) and text (quotes gone).
    const std::vector<std::string> seeds = {"1", "2", "1", "2", "3"};
    const std::vector<std::string> rates = {"0.05", "0.2", "0.2", "0.05", "0.1"};
    const std::vector<std::string> kinds = {"adam", "adam", "sgd", "sgd", "adam"};
    const std::vector<std::string> states = {"done", "done", "done", "failed", "pending"};
    for (std::size_t i = 0; i < table.size(); ++i) {
        CAPTURE(i);
        CHECK(table[i].at("index") == std::to_string(i));
        CHECK(table[i].at("id") == request.points[i].id);
        CHECK(table[i].at("state") == states[i]);
        CHECK(table[i].at("seed") == seeds[i]);
        CHECK(table[i].at("train.optimizer.learning_rate") == rates[i]);
        CHECK(table[i].at("train.optimizer.kind") == kinds[i]);
    }
    // The failed point keeps its reason, comma, quotes and line break intact.
    CHECK(table[3].at("reason") == request.points[3].reason);
    CHECK(read_text(result.csv).find("\"exit status 1: \"\"out of memory\"\", see log\nlast line\"") !=
          std::string::npos);

    // Results equal what the run files hold; the best point is the one with the highest best accuracy.
    std::size_t best = 0;
    double best_accuracy = -1;
    for (std::size_t i = 0; i < 3; ++i) {
        CAPTURE(i);
        const fs::path run = request.points[i].dir / "run";
        const test_accuracy a = read_accuracy(run);
        CHECK(number(table[i].at("final_test_accuracy")) == a.final);
        CHECK(number(table[i].at("best_test_accuracy")) == a.best);
        CHECK(number(table[i].at("best_epoch")) == a.best_epoch);
        CHECK(number(table[i].at("epochs")) == 3);
        CHECK(number(table[i].at("final_test_accuracy_relaxed")) == a.final_relaxed);
        const runfile::run_reader reader(run);
        const core::network net = reader.network();
        CHECK(number(table[i].at("nodes")) == net.num_nodes());
        // k ≤ 6: one LUT6 per node, none for a node without inputs.
        std::size_t luts = 0;
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) luts += net.k(n) > 0;
        CHECK(number(table[i].at("luts")) == luts);
        const auto summary = read_summary(run / "summary.txt");
        CHECK(number(table[i].at("train_seconds")) == std::stod(summary.at("train_seconds")));
        CHECK(number(table[i].at("total_seconds")) == std::stod(summary.at("total_seconds")));
        CHECK(number(table[i].at("resumed_from_epoch")) == 0);
        // Each population's summary of the last /stats row, recomputed from the run file.
        const runfile::run_stats stats = reader.stats();
        CHECK(number(table[i].at("stats_epoch")) == stats.epochs.back());
        for (const runfile::population_stats& p : stats.populations) {
            CAPTURE(p.population);
            const std::size_t n = p.nodes.size();
            const std::size_t last = stats.rows() - 1;
            double activation = 0;
            std::uint64_t flips = 0;
            std::size_t never = 0;
            for (std::size_t j = 0; j < n; ++j) {
                activation += p.activation_rate[last * n + j];
                flips += p.flips[last * n + j];
                never += p.activation_rate[last * n + j] == 0.0F;
            }
            CHECK(number(table[i].at(p.population + ".nodes")) == n);
            CHECK(number(table[i].at(p.population + ".activation_mean")) ==
                  doctest::Approx(activation / static_cast<double>(n)).epsilon(1e-12));
            CHECK(number(table[i].at(p.population + ".flips")) == flips);
            CHECK(number(table[i].at(p.population + ".never_active_fraction")) ==
                  static_cast<double>(never) / static_cast<double>(n));
        }
        const double dead = number(table[i].at("hidden.dead_fraction"));
        CHECK((dead >= 0 && dead <= 1));
        if (a.best > best_accuracy) {
            best_accuracy = a.best;
            best = i;
        }
    }
    for (std::size_t i = 3; i < 5; ++i)
        for (const char* column : {"final_test_accuracy", "best_test_accuracy", "luts", "hidden.activation_mean"})
            CHECK(table[i].at(column).empty());
    REQUIRE(result.best.has_value());
    CHECK(*result.best == best);
    CHECK(result.best_value == best_accuracy);

    // points.h5: one column per dataset, with the types h5py and pandas read.
    const h5_column index = read_h5_column(result.h5, "index");
    CHECK(index.type_class == H5T_INTEGER);
    CHECK(index.size == 8);
    CHECK(index.is_signed);
    CHECK(index.integers == std::vector<std::int64_t>{0, 1, 2, 3, 4});
    const h5_column seed = read_h5_column(result.h5, "seed");
    CHECK(seed.type_class == H5T_INTEGER);
    CHECK(seed.integers == std::vector<std::int64_t>{1, 2, 1, 2, 3});
    const h5_column rate = read_h5_column(result.h5, "train.optimizer.learning_rate");
    CHECK(rate.type_class == H5T_FLOAT);
    CHECK(rate.size == 8);
    CHECK(rate.reals == std::vector<double>{0.05, 0.2, 0.2, 0.05, 0.1});
    const h5_column kind = read_h5_column(result.h5, "train.optimizer.kind");
    CHECK(kind.type_class == H5T_STRING);
    CHECK(kind.variable_utf8);
    CHECK(kind.texts == kinds);
    const h5_column reason = read_h5_column(result.h5, "reason");
    CHECK(reason.texts[3] == request.points[3].reason);
    const h5_column state = read_h5_column(result.h5, "state");
    CHECK(state.texts == states);
    const h5_column final_accuracy = read_h5_column(result.h5, "final_test_accuracy");
    CHECK(final_accuracy.type_class == H5T_FLOAT);
    for (std::size_t i = 0; i < 3; ++i) CHECK(final_accuracy.reals[i] == number(table[i].at("final_test_accuracy")));
    CHECK(std::isnan(final_accuracy.reals[3]));
    CHECK(std::isnan(final_accuracy.reals[4]));
    CHECK(read_h5_int_attribute(result.h5, "best_index") == static_cast<std::int64_t>(best));

    // A plot per parameter, when gnuplot is there.
    if (analysis::on_path("gnuplot")) {
        CHECK(result.plots_missing.empty());
        REQUIRE(result.plots.size() == 3);
        CHECK(result.plots[0] == result.dir / "seed.png");
        CHECK(result.plots[1] == result.dir / "train.optimizer.learning_rate.png");
        for (const fs::path& plot : result.plots) CHECK(fs::file_size(plot) > 1000);
    } else {
        CHECK(result.plots.empty());
        CHECK(result.plots_missing.find("gnuplot") != std::string::npos);
    }

    // What the CLI prints: the counts, the best, every point not done with its reason.
    const std::string text = describe_collection(request, result);
    CAPTURE(text);
    CHECK(text.find("5 points, 3 done, 2 not done") != std::string::npos);
    CHECK(text.find("best:     point 000" + std::to_string(best) + "-" + request.points[best].id) != std::string::npos);
    CHECK(text.find("not done: point 0003-" + request.points[3].id + " failed: exit status 1") != std::string::npos);
    CHECK(text.find("not done: point 0004-" + request.points[4].id + " pending") != std::string::npos);

    SUBCASE("another metric picks its own best; an unknown one is refused, naming the valid ones") {
        collect_request fewest = request;
        fewest.metric = "hidden.dead_fraction";
        const collect_result by_dead = collect_sweep(fewest);  // replaces the previous results
        REQUIRE(by_dead.best.has_value());
        double highest = -1;
        for (std::size_t i = 0; i < 3; ++i) highest = std::max(highest, number(table[i].at("hidden.dead_fraction")));
        CHECK(by_dead.best_value == highest);
        core::check_complete(by_dead.dir, "sweep results");

        collect_request wrong = request;
        wrong.metric = "best_test_acuracy";
        const std::string before = read_text(result.csv);
        fs::remove(result.h5);  // so that a written table would show
        try {
            (void)collect_sweep(wrong);
            FAIL("an unknown metric was accepted");
        } catch (const unknown_name_error& e) {
            const std::string message = e.what();
            CAPTURE(message);
            CHECK(message.find("unknown metric 'best_test_acuracy'") != std::string::npos);
            CHECK(message.find("did you mean 'best_test_accuracy'") != std::string::npos);
            CHECK(message.find("valid: final_test_accuracy, best_test_accuracy") != std::string::npos);
            CHECK(message.find("hidden.activation_mean") != std::string::npos);
        }
        CHECK_FALSE(fs::exists(result.h5));  // nothing was written
        wrong.metric = "seed";               // a parameter is not a result
        CHECK_THROWS_AS((void)collect_sweep(wrong), unknown_name_error);
    }

    SUBCASE("without gnuplot the table is written and the result says why there are no plots") {
        const lutra::test::env_override no_gnuplot("PATH", dir.path.string());
        const collect_result plain = collect_sweep(request);
        CHECK(plain.plots.empty());
        CHECK(plain.plots_missing.find("gnuplot is not installed") != std::string::npos);
        CHECK(read_table(plain.csv).size() == 5);
        CHECK_FALSE(fs::exists(plain.dir / "seed.png"));  // the previous collection's plots are gone
        CHECK(describe_collection(request, plain).find("plots:    none: gnuplot is not installed") !=
              std::string::npos);
    }

    SUBCASE("a point reported done whose run is gone is listed failed, with the reader's reason") {
        fs::remove_all(request.points[1].dir / "run");
        const collect_result again = collect_sweep(request);
        CHECK(again.done == 2);
        CHECK(again.not_done == 3);
        const auto rows = read_table(again.csv);
        CHECK(rows[1].at("state") == "failed");
        CHECK(rows[1].at("reason").find("finished, but its results cannot be read") != std::string::npos);
        CHECK(rows[1].at("best_test_accuracy").empty());
        REQUIRE(again.not_done_points.size() == 3);
        CHECK(again.not_done_points[0].point == 1);
    }
}

TEST_CASE("sweep collect: a sweep with no point done still has a row per point and no best") {
    const lutra::test::temp_dir dir("lutra-test-sweep-collect-none");
    collect_request request;
    request.sweep_dir = dir.path;
    request.sweep_name = "nothing-yet";
    request.parameters = {"data.name"};
    request.points = {{0, "00000001", dir.path / "points" / "0000-00000001", {"mnist"}, "running", ""},
                      {1, "00000002", dir.path / "points" / "0001-00000002", {"fashion-mnist"}, "failed", "killed"}};
    const collect_result result = collect_sweep(request);
    CHECK_FALSE(result.best.has_value());
    CHECK(result.done == 0);
    CHECK(result.not_done == 2);
    const auto table = read_table(result.csv);
    REQUIRE(table.size() == 2);
    CHECK(table[1].at("reason") == "killed");
    CHECK(table[0].at("data.name") == "mnist");
    CHECK(describe_collection(request, result).find("best:     none") != std::string::npos);
    CHECK(read_h5_int_attribute(result.h5, "best_index") == -1);
}
