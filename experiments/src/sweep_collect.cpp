#include "lutra/experiments/sweep_collect.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <variant>

#include "lutra/analysis/gnuplot.hpp"
#include "lutra/analysis/report.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/names.hpp"
#include "lutra/core/publish.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/runner.hpp"
#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/classifier.hpp"
#include "lutra/runfile/run_reader.hpp"
#include "lutra/runfile/table_file.hpp"

namespace lutra::experiments {

namespace fs = std::filesystem;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The run's columns, in table order; docs/sweeps.md ("Columns") says what each is.
constexpr std::array<std::string_view, 11> run_columns = {"final_test_accuracy",
                                                          "best_test_accuracy",
                                                          "best_epoch",
                                                          "final_test_accuracy_relaxed",
                                                          "epochs",
                                                          "nodes",
                                                          "luts",
                                                          "train_seconds",
                                                          "total_seconds",
                                                          "resumed_from_epoch",
                                                          "stats_epoch"};

// Each population's columns, "<population>.<quantity>": the first four from
// the trained network (analysis::census), the rest from the last /stats row.
constexpr std::array<std::string_view, 10> population_quantities = {
    "nodes",           "dead_fraction", "constant_fraction",     "effective_k_mean",
    "activation_mean", "entropy_mean",  "never_active_fraction", "always_active_fraction",
    "flips",           "grad_abs_mean"};

// A done point's results: column name → value (absent = NaN).
using point_results = std::map<std::string, double, std::less<>>;

// summary.txt's "key: value" lines (runner.cpp writes them), the numbers among them.
std::map<std::string, double, std::less<>> read_summary(const fs::path& file) {
    std::map<std::string, double, std::less<>> values;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        const std::size_t colon = line.find(": ");
        if (colon == std::string::npos) continue;
        const std::string value = line.substr(colon + 2);
        double x = 0;
        const auto r = std::from_chars(value.data(), value.data() + value.size(), x);
        if (r.ec == std::errc() && r.ptr == value.data() + value.size()) values[line.substr(0, colon)] = x;
    }
    return values;
}

// LUT6 sites the network's nodes take, as `lutra export` maps them
// (fpga::map_cells): k ≤ 6 one LUT, k = 7 two (and a MUXF7), …; a constant none.
double network_luts(const core::network& net) {
    const fpga::cell_netlist cells = fpga::map_cells(fpga::network_design(net));
    return static_cast<double>(std::count_if(cells.cells.begin(), cells.cells.end(),
                                             [](const fpga::cell& c) { return c.type == fpga::cell::kind::lut; }));
}

// Reads a done point's run (its run/ directory): the metrics, the network
// and /stats through the analysis library, timings from summary.txt.
// `populations` gains the point's populations not yet in it, in order.
point_results read_point(const fs::path& point_dir, std::vector<std::string>& populations) {
    const fs::path run = point_dir / "run";
    const fs::path h5 = finished_run_file(run);
    const analysis::run_analysis a = analysis::analyze_run(h5);
    point_results r;
    const auto split = [&a](std::string_view name) -> const analysis::split_summary* {
        for (const analysis::split_summary& s : a.splits)
            if (s.split == name) return &s;
        return nullptr;
    };
    if (const analysis::split_summary* test = split("test")) {
        r["final_test_accuracy"] = test->final_accuracy;
        r["best_test_accuracy"] = test->best_accuracy;
        r["best_epoch"] = test->best_epoch;
        r["epochs"] = test->epochs;
        // Only a relaxed row of the last epoch is the final one (an epoch
        // without the gradient rule writes none).
        if (const analysis::split_summary* relaxed = split("test_relaxed"); relaxed && relaxed->epochs == test->epochs)
            r["final_test_accuracy_relaxed"] = relaxed->final_accuracy;
    }
    r["nodes"] = a.num_nodes;
    r["luts"] = network_luts(runfile::run_reader(h5).network());
    const auto summary = read_summary(run / run_finished_mark);
    for (const char* key : {"train_seconds", "total_seconds", "resumed_from_epoch"})
        if (const auto it = summary.find(key); it != summary.end()) r[key] = it->second;
    if (!a.stats.empty()) r["stats_epoch"] = a.stats.front().epoch;
    const auto add_population = [&populations](const std::string& name) {
        if (std::find(populations.begin(), populations.end(), name) == populations.end()) populations.push_back(name);
    };
    for (const analysis::node_census& c : a.populations) {
        add_population(c.name);
        const double n = c.nodes;
        r[c.name + ".nodes"] = n;
        r[c.name + ".dead_fraction"] = n > 0 ? c.dead / n : nan;
        r[c.name + ".constant_fraction"] = n > 0 ? c.constant / n : nan;
        r[c.name + ".effective_k_mean"] = n > 0 ? analysis::mean_fan_in(c) : nan;
    }
    for (const analysis::population_stats_summary& p : a.stats) {
        add_population(p.population);
        const double n = p.nodes;
        r[p.population + ".activation_mean"] = p.mean_activation;
        r[p.population + ".entropy_mean"] = p.mean_entropy;
        r[p.population + ".never_active_fraction"] = n > 0 ? p.never_active / n : nan;
        r[p.population + ".always_active_fraction"] = n > 0 ? p.always_active / n : nan;
        r[p.population + ".grad_abs_mean"] = p.mean_grad_abs;
        if (!p.flips.empty()) r[p.population + ".flips"] = static_cast<double>(p.flips.back().second);
    }
    return r;
}

// "0.001", "7", "" for NaN: the shortest text that reads back as the same double.
std::string number_text(double x) {
    if (std::isnan(x)) return {};
    char buffer[64];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, x);
    return std::string(buffer, r.ptr);
}

// A CSV field (RFC 4180): quoted, with quotes doubled, when it holds a
// comma, a quote or a line break.
std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string q = "\"";
    for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string csv_text(const std::vector<runfile::table_column>& columns) {
    std::string csv;
    for (std::size_t c = 0; c < columns.size(); ++c) csv += (c ? "," : "") + csv_field(columns[c].name);
    csv += "\n";
    const std::size_t rows = columns.empty() ? 0 : columns.front().size();
    for (std::size_t row = 0; row < rows; ++row) {
        for (std::size_t c = 0; c < columns.size(); ++c) {
            if (c) csv += ",";
            std::visit(
                [&](const auto& values) {
                    using T = typename std::decay_t<decltype(values)>::value_type;
                    if constexpr (std::is_same_v<T, std::string>)
                        csv += csv_field(runfile::valid_utf8(values[row]));
                    else if constexpr (std::is_same_v<T, double>)
                        csv += number_text(values[row]);
                    else
                        csv += std::to_string(values[row]);
                },
                columns[c].values);
        }
        csv += "\n";
    }
    return csv;
}

// A swept parameter's column: int64 when every value is a YAML integer,
// float64 when every value is a YAML number, else text.
runfile::table_column parameter_column(const collect_request& request, std::size_t p) {
    std::vector<yaml_scalar> values;
    for (const sweep_point_result_input& point : request.points) {
        if (point.values.size() != request.parameters.size())
            throw internal_error("collect_sweep: point " + std::to_string(point.index) + " has " +
                                 std::to_string(point.values.size()) + " values for " +
                                 std::to_string(request.parameters.size()) + " parameters");
        values.push_back(read_yaml_scalar(point.values[p]));
    }
    runfile::table_column column{.name = request.parameters[p], .values = {}};
    if (std::all_of(values.begin(), values.end(), [](const yaml_scalar& v) { return v.integer.has_value(); })) {
        std::vector<std::int64_t> integers;
        for (const yaml_scalar& v : values) integers.push_back(*v.integer);
        column.values = std::move(integers);
    } else if (std::all_of(values.begin(), values.end(), [](const yaml_scalar& v) { return v.number.has_value(); })) {
        std::vector<double> numbers;
        for (const yaml_scalar& v : values) numbers.push_back(*v.number);
        column.values = std::move(numbers);
    } else {
        std::vector<std::string> texts;
        for (const yaml_scalar& v : values) texts.push_back(v.text);
        column.values = std::move(texts);
    }
    return column;
}

// "train.tau.png": a plot's file name from a parameter, characters other than
// letters, digits, '.', '_' and '-' made '_', a number added when taken.
std::string plot_name(const std::string& parameter, const std::vector<std::string>& taken) {
    std::string stem;
    for (char c : parameter) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                           c == '_' || c == '-';
        stem += plain ? c : '_';
    }
    if (stem.empty() || stem.front() == '.') stem = "_" + stem;
    std::string name = stem + ".png";
    for (std::size_t k = 2; std::find(taken.begin(), taken.end(), name) != taken.end(); ++k)
        name = stem + "_" + std::to_string(k) + ".png";
    return name;
}

// The gnuplot script and data for the metric against one parameter: every
// done point with a value a dot, the mean per parameter value a line; text
// parameters as categories in the order first met.
std::string plot_script(const runfile::table_column& parameter, std::span<const double> metric,
                        std::span<const char> done, const std::string& metric_name, const std::string& png,
                        core::directory_publication& out) {
    const std::size_t rows = metric.size();
    std::vector<double> x(rows, nan);
    std::vector<std::string> categories;
    bool positive = true;
    std::visit(
        [&](const auto& values) {
            using T = typename std::decay_t<decltype(values)>::value_type;
            for (std::size_t row = 0; row < rows; ++row) {
                if constexpr (std::is_same_v<T, std::string>) {
                    auto it = std::find(categories.begin(), categories.end(), values[row]);
                    if (it == categories.end()) it = categories.insert(categories.end(), values[row]);
                    x[row] = static_cast<double>(it - categories.begin());
                } else {
                    x[row] = static_cast<double>(values[row]);
                    positive = positive && x[row] > 0;
                }
            }
        },
        parameter.values);
    std::string dots = "# " + parameter.name + " " + metric_name + "\n";
    std::map<double, std::pair<double, std::size_t>> sums;  // x → (sum, count), in x order
    for (std::size_t row = 0; row < rows; ++row) {
        if (!done[row] || std::isnan(metric[row]) || !std::isfinite(x[row])) continue;
        dots += number_text(x[row]) + " " + number_text(metric[row]) + "\n";
        sums[x[row]].first += metric[row];
        ++sums[x[row]].second;
    }
    std::string means = "# " + parameter.name + " mean\n";
    for (const auto& [value, sum] : sums)
        means += number_text(value) + " " + number_text(sum.first / static_cast<double>(sum.second)) + "\n";
    const std::string data = png.substr(0, png.size() - 4) + ".dat";
    out.write(data, dots + "\n\n" + means);

    using analysis::gnuplot_quote;
    std::string gp = "set output " + gnuplot_quote(png) + "\n";
    gp += "set terminal pngcairo size 800,500 noenhanced\nset grid\nset key below\n";
    gp += "set title " + gnuplot_quote(metric_name + " against " + parameter.name) + "\n";
    gp += "set xlabel " + gnuplot_quote(parameter.name) + "\nset ylabel " + gnuplot_quote(metric_name) + "\n";
    gp +=
        "unset logscale x\nset xtics autofreq\nset xrange [*:*]\nset offsets graph 0.05, graph 0.05, graph 0.05, graph "
        "0.05\n";
    if (!categories.empty()) {
        gp += "set xtics (";
        for (std::size_t i = 0; i < categories.size(); ++i)
            gp += (i ? ", " : "") + gnuplot_quote(categories[i]) + " " + std::to_string(i);
        gp += ")\nset xrange [-0.5:" + number_text(static_cast<double>(categories.size()) - 0.5) + "]\n";
    } else if (sums.size() == 1) {
        const double x0 = sums.begin()->first;  // one value: gnuplot would warn of an empty range
        gp += "set xrange [" + number_text(x0 - 1) + ":" + number_text(x0 + 1) + "]\n";
    } else if (positive && !sums.empty() && sums.rbegin()->first >= 100 * sums.begin()->first) {
        gp += "set logscale x\n";  // values spread over orders of magnitude, as learning rates are
    }
    if (sums.empty()) {
        // gnuplot refuses a plot without points: the frame says why instead.
        gp += "set label 1 " + gnuplot_quote("no done point has " + metric_name) +
              " at graph 0.5, 0.5 center\nplot [0:1][0:1] 2 notitle\nunset label 1\n";
    } else {
        gp += "plot " + gnuplot_quote(data) + " index 0 using 1:2 with points pt 7 ps 0.8 title 'point', " +
              gnuplot_quote(data) + " index 1 using 1:2 with linespoints lw 2 pt 6 title 'mean'\n";
    }
    return gp + "unset output\n";
}

}  // namespace

std::span<const std::string_view> run_result_columns() { return run_columns; }

collect_result collect_sweep(const collect_request& request) {
    const std::size_t rows = request.points.size();
    collect_result result;
    result.dir = request.sweep_dir / "results";
    result.csv = result.dir / "points.csv";
    result.h5 = result.dir / "points.h5";

    // Every point's state and results; a done point whose run cannot be read is failed, with why.
    std::vector<std::string> states;
    std::vector<std::string> reasons;
    std::vector<point_results> results(rows);
    std::vector<std::string> populations;
    for (std::size_t i = 0; i < rows; ++i) {
        const sweep_point_result_input& p = request.points[i];
        std::string state = p.state;
        std::string reason = p.reason;
        if (state == "done") {
            try {
                results[i] = read_point(p.dir, populations);
            } catch (const lutra::error& e) {
                state = "failed";
                reason = std::string("finished, but its results cannot be read: ") + e.what();
            }
        }
        if (state == "done") {
            ++result.done;
        } else {
            ++result.not_done;
            result.not_done_points.push_back({i, state, reason});
        }
        states.push_back(std::move(state));
        reasons.push_back(std::move(reason));
    }

    // The metric must be one of the table's result columns.
    std::vector<std::string> result_names(run_columns.begin(), run_columns.end());
    for (const std::string& population : populations)
        for (std::string_view q : population_quantities) result_names.push_back(population + "." + std::string(q));
    if (std::find(result_names.begin(), result_names.end(), request.metric) == result_names.end()) {
        const std::vector<std::string_view> valid(result_names.begin(), result_names.end());
        throw unknown_name_error("metric", request.metric,
                                 "sweep collect: unknown metric '" + request.metric + "'" +
                                     core::did_you_mean(request.metric, valid) + "; valid: " + core::join_names(valid));
    }

    std::vector<runfile::table_column> columns;
    std::vector<std::int64_t> indices;
    std::vector<std::string> ids;
    for (const sweep_point_result_input& p : request.points) {
        indices.push_back(static_cast<std::int64_t>(p.index));
        ids.push_back(p.id);
    }
    columns.push_back({"index", std::move(indices)});
    columns.push_back({"id", std::move(ids)});
    columns.push_back({"state", states});
    columns.push_back({"reason", reasons});
    const std::size_t first_parameter = columns.size();
    for (std::size_t p = 0; p < request.parameters.size(); ++p) columns.push_back(parameter_column(request, p));
    const std::size_t first_result = columns.size();
    for (const std::string& name : result_names) {
        std::vector<double> values(rows, nan);
        for (std::size_t i = 0; i < rows; ++i)
            if (const auto it = results[i].find(name); it != results[i].end()) values[i] = it->second;
        columns.push_back({name, std::move(values)});
    }
    for (const runfile::table_column& c : columns) {
        if (std::count_if(columns.begin(), columns.end(), [&c](const auto& o) { return o.name == c.name; }) > 1)
            throw error("sweep collect: two columns would be named '" + c.name +
                        "' (a swept parameter and a result column of the table); the table needs distinct names");
        result.columns.push_back(c.name);
    }

    // The best done point: the highest metric, the first of equals.
    const auto metric_column = std::find_if(columns.begin() + static_cast<std::ptrdiff_t>(first_result), columns.end(),
                                            [&request](const auto& c) { return c.name == request.metric; });
    const std::vector<double>& metric = std::get<std::vector<double>>(metric_column->values);
    std::vector<char> done_rows(rows);  // char, not bool: plot_script takes a span
    for (std::size_t i = 0; i < rows; ++i) {
        done_rows[i] = states[i] == "done";
        if (!done_rows[i] || std::isnan(metric[i])) continue;
        if (!result.best || metric[i] > metric[*result.best]) result.best = i;
    }
    if (result.best) result.best_value = metric[*result.best];

    core::directory_publication out(result.dir, {.replace = true, .mark = true});
    out.write("points.csv", csv_text(columns));
    const std::int64_t none = -1;
    const std::vector<runfile::table_attribute> attributes = {
        {"sweep", request.sweep_name},
        {"metric", request.metric},
        {"best_index", result.best ? static_cast<std::int64_t>(request.points[*result.best].index) : none},
        {"best_id", result.best ? request.points[*result.best].id : std::string()},
    };
    runfile::write_table_file(out.staging() / "points.h5", "points", columns, attributes);

    if (!request.parameters.empty() && !analysis::on_path("gnuplot")) {
        result.plots_missing = std::string(analysis::gnuplot_missing);
    } else if (!request.parameters.empty()) {
        std::string gp = "# Draws the sweep's plots; run `gnuplot plots.gp` in this directory to redraw them.\n";
        std::vector<std::string> names;
        for (std::size_t p = 0; p < request.parameters.size(); ++p) {
            names.push_back(plot_name(request.parameters[p], names));
            gp += plot_script(columns[first_parameter + p], metric, done_rows, request.metric, names.back(), out);
        }
        out.write("plots.gp", gp);
        analysis::run_gnuplot(out.staging() / "plots.gp", out.staging());
        for (const std::string& png : names) {
            analysis::check_png(out.staging() / png, result.dir / png);
            result.plots.push_back(result.dir / png);
        }
    }
    out.commit();
    return result;
}

std::string describe_collection(const collect_request& request, const collect_result& result) {
    const auto point_name = [&request](std::size_t i) {
        const sweep_point_result_input& p = request.points[i];
        char index[32];
        std::snprintf(index, sizeof index, "%04zu", p.index);
        return std::string(index) + "-" + p.id;
    };
    std::string s = "sweep " + request.sweep_name + ": " + std::to_string(request.points.size()) + " points, " +
                    std::to_string(result.done) + " done, " + std::to_string(result.not_done) + " not done\n";
    if (result.best) {
        const sweep_point_result_input& p = request.points[*result.best];
        char value[64];
        std::snprintf(value, sizeof value, "%.6g", result.best_value);
        s += "best:     point " + point_name(*result.best) + ", " + request.metric + " " + value;
        for (std::size_t k = 0; k < request.parameters.size() && k < p.values.size(); ++k)
            s += (k ? ", " : " (") + request.parameters[k] + "=" + read_yaml_scalar(p.values[k]).text +
                 (k + 1 == request.parameters.size() ? ")" : "");
        s += "\n";
    } else {
        s += "best:     none (no done point has " + request.metric + ")\n";
    }
    for (const not_done_point& n : result.not_done_points) {
        // A reason of several lines (a log's tail) stays under its point.
        std::string reason;
        for (char c : n.reason) reason += c == '\n' ? std::string("\n          ") : std::string(1, c);
        s += "not done: point " + point_name(n.point) + " " + n.state + (reason.empty() ? "" : ": " + reason) + "\n";
    }
    s += "table:    " + result.csv.string() + ", " + result.h5.string() + "\n";
    if (!result.plots_missing.empty()) s += "plots:    none: " + result.plots_missing + "\n";
    for (const fs::path& plot : result.plots) s += "plot:     " + plot.string() + "\n";
    return s;
}

}  // namespace lutra::experiments
