#include "lutra/analysis/report.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "lutra/core/error.hpp"

extern char** environ;

namespace lutra::analysis {

namespace {

[[gnu::format(printf, 1, 2)]] std::string format(const char* pattern, ...) {
    std::va_list args;
    va_start(args, pattern);
    std::va_list copy;
    va_copy(copy, args);
    const int length = std::vsnprintf(nullptr, 0, pattern, copy);
    va_end(copy);
    std::string s(static_cast<std::size_t>(std::max(length, 0)) + 1, '\0');
    std::vsnprintf(s.data(), s.size(), pattern, args);
    va_end(args);
    s.resize(s.size() - 1);
    return s;
}

std::string percent(double fraction) { return format("%.2f%%", fraction * 100); }

// "0×3, 5×10, 6×87": the non-zero entries of a histogram.
template <class Label, std::size_t N>
std::string nonzero_list(const std::array<std::uint32_t, N>& counts, Label label) {
    std::string s;
    for (std::size_t i = 0; i < N; ++i)
        if (counts[i] > 0) s += (s.empty() ? "" : ", ") + label(i) + "×" + std::to_string(counts[i]);
    return s.empty() ? "none" : s;
}

std::string fan_in_list(const node_census& c) {
    return nonzero_list(c.fan_in, [](std::size_t i) { return std::to_string(i); });
}

std::string function_list(const node_census& c) {
    return nonzero_list(c.functions,
                        [](std::size_t i) { return std::string(to_string(static_cast<function_kind>(i))); });
}

double mean_fan_in(const node_census& c) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < c.fan_in.size(); ++i) sum += i * std::uint64_t{c.fan_in[i]};
    return c.nodes ? static_cast<double>(sum) / c.nodes : 0.0;
}

std::vector<split_summary> summarize(const std::vector<metrics_row>& metrics) {
    std::vector<split_summary> splits;
    for (const metrics_row& row : metrics) {
        auto it =
            std::find_if(splits.begin(), splits.end(), [&](const split_summary& s) { return s.split == row.split; });
        if (it == splits.end()) {
            splits.push_back({.split = row.split,
                              .epochs = row.epoch,
                              .final_accuracy = row.accuracy,
                              .final_loss = row.loss,
                              .best_accuracy = row.accuracy,
                              .best_epoch = row.epoch});
            continue;
        }
        if (row.epoch >= it->epochs) {
            it->epochs = row.epoch;
            it->final_accuracy = row.accuracy;
            it->final_loss = row.loss;
        }
        if (row.accuracy > it->best_accuracy || (row.accuracy == it->best_accuracy && row.epoch < it->best_epoch)) {
            it->best_accuracy = row.accuracy;
            it->best_epoch = row.epoch;
        }
    }
    return splits;
}

const split_summary* find_split(const run_analysis& run, const std::string& name) {
    for (const split_summary& s : run.splits)
        if (s.split == name) return &s;
    return nullptr;
}

void write_file(const std::filesystem::path& path, const std::string& text, const char* what) {
    std::ofstream out(path, std::ios::binary);
    if (!out) throw io_error(path.string(), std::string("write ") + what, "cannot create the file");
    out << text;
    if (!out.flush()) throw io_error(path.string(), std::string("write ") + what, "write failed");
}

// A gnuplot single-quoted string: only ' needs escaping, by doubling it.
std::string gnuplot_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
    return q + "'";
}

// A column header for gnuplot's `columnheader`: double-quoted, without quotes inside.
std::string column_header(const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' || c == '\\' ? '_' : c;
    return q + "\"";
}

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return false;
    std::string dirs = path;
    for (std::size_t start = 0; start <= dirs.size();) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string dir = dirs.substr(start, end - start);
        if (::access(((dir.empty() ? "." : dir) + "/" + program).c_str(), X_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

void run_gnuplot(const std::filesystem::path& script) {
    const std::string operation = "draw plots with gnuplot";
    std::string program = "gnuplot";
    std::string argument = script.string();
    char* argv[] = {program.data(), argument.data(), nullptr};
    pid_t pid = 0;
    if (const int e = posix_spawnp(&pid, "gnuplot", nullptr, nullptr, argv, environ); e != 0)
        throw io_error(script.string(), operation, std::string("cannot start gnuplot: ") + std::strerror(e));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw io_error(script.string(), operation, "cannot wait for gnuplot");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw io_error(script.string(), operation,
                       WIFEXITED(status) ? "gnuplot failed with exit status " + std::to_string(WEXITSTATUS(status))
                                         : std::string("gnuplot was killed by a signal"));
}

}  // namespace

run_analysis analyze_run(const std::filesystem::path& path) {
    const run_reader reader(path);
    run_analysis run;
    run.file = reader.path();
    run.attributes = reader.attributes();
    const core::network net = reader.network();
    run.num_inputs = net.num_inputs();
    run.num_nodes = net.num_nodes();
    run.num_classes = net.head().num_classes;
    run.depth = net.depth();
    const std::vector<population> pops = reader.populations();
    std::vector<node_group> groups;
    for (const population& p : pops) groups.push_back({p.name, p.nodes});
    run.populations = census(net, groups);
    run.metrics = reader.metrics();
    run.splits = summarize(run.metrics);
    return run;
}

std::string format_analysis(const run_analysis& run) {
    const run_attributes& a = run.attributes;
    std::string s = format("run:        %s (written by lutra %s, format %u, seed %llu%s%s)\n", run.file.c_str(),
                           a.lutra_version.c_str(), a.format_version, static_cast<unsigned long long>(a.seed),
                           a.genome_hash.empty() ? "" : ", genome ", a.genome_hash.c_str());
    s += format("network:    %u nodes, %u input bits, %u classes, depth %u\n", run.num_nodes, run.num_inputs,
                run.num_classes, run.depth);
    for (const node_census& c : run.populations) {
        s += format("population: %s: %u nodes, %u dead, %u constant, mean effective fan-in %.2f\n", c.name.c_str(),
                    c.nodes, c.dead, c.constant, mean_fan_in(c));
        s += "  effective fan-in: " + fan_in_list(c) + "\n";
        s += "  functions:        " + function_list(c) + "\n";
    }
    if (run.splits.empty()) s += "learning:   no metrics rows\n";
    for (const split_summary& sp : run.splits)
        s += format("%-11s final %s (loss %.4f) at epoch %u, best %s at epoch %u\n", (sp.split + ":").c_str(),
                    percent(sp.final_accuracy).c_str(), sp.final_loss, sp.epochs, percent(sp.best_accuracy).c_str(),
                    sp.best_epoch);
    return s;
}

std::string format_comparison(const run_analysis& a, const run_analysis& b) {
    std::vector<std::pair<std::string, std::array<std::string, 2>>> rows;
    const std::array<const run_analysis*, 2> runs = {&a, &b};
    const auto row = [&](const std::string& label, auto value) { rows.push_back({label, {value(a), value(b)}}); };
    row("run", [](const run_analysis& r) { return r.file.string(); });
    row("nodes", [](const run_analysis& r) { return std::to_string(r.num_nodes); });
    row("depth", [](const run_analysis& r) { return std::to_string(r.depth); });
    for (const char* split : {"train", "test"}) {
        const std::string name = split;
        row(name + " epochs", [&](const run_analysis& r) {
            const split_summary* sp = find_split(r, name);
            return sp ? std::to_string(sp->epochs) : std::string("-");
        });
        row(name + " final", [&](const run_analysis& r) {
            const split_summary* sp = find_split(r, name);
            return sp ? percent(sp->final_accuracy) : std::string("-");
        });
        row(name + " best", [&](const run_analysis& r) {
            const split_summary* sp = find_split(r, name);
            return sp ? percent(sp->best_accuracy) + " @" + std::to_string(sp->best_epoch) : std::string("-");
        });
    }
    // Populations by name, in a's order, then those only b has.
    std::vector<std::string> names;
    for (const run_analysis* r : runs)
        for (const node_census& c : r->populations)
            if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
    for (const std::string& name : names) {
        const auto field = [&](const char* label, std::uint32_t node_census::*member) {
            row(name + " " + label, [&](const run_analysis& r) {
                for (const node_census& c : r.populations)
                    if (c.name == name) return std::to_string(c.*member);
                return std::string("-");
            });
        };
        field("nodes", &node_census::nodes);
        field("dead", &node_census::dead);
        field("constant", &node_census::constant);
    }
    for (std::size_t k = 0; k < num_function_kinds; ++k) {
        const std::string kind(to_string(static_cast<function_kind>(k)));
        row("all " + kind, [&](const run_analysis& r) {
            std::uint64_t total = 0;
            for (const node_census& c : r.populations) total += c.functions[k];
            return std::to_string(total);
        });
    }
    std::size_t width = 0;
    std::size_t width_a = 0;
    for (const auto& [label, values] : rows) {
        width = std::max(width, label.size());
        width_a = std::max(width_a, values[0].size());
    }
    std::string s = format("%-*s  %-*s  %s\n", static_cast<int>(width), "", static_cast<int>(width_a), "A", "B");
    for (const auto& [label, values] : rows)
        s += format("%-*s  %-*s  %s\n", static_cast<int>(width), label.c_str(), static_cast<int>(width_a),
                    values[0].c_str(), values[1].c_str());
    return s;
}

void write_report(const run_analysis& run, const std::filesystem::path& dir) {
    // Checked first, so a machine without gnuplot gets no half-written report.
    if (!on_path("gnuplot"))
        throw io_error(dir.string(), "write report",
                       "gnuplot is not installed (or not on PATH); install it with `apt-get install gnuplot-nox` "
                       "or `bash .ci/setup`");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw io_error(dir.string(), "create report directory", ec.message());

    // Data files for gnuplot: one per split (epoch loss accuracy), and the
    // fan-in histogram with one column per population.
    std::vector<std::string> split_files;
    for (const split_summary& sp : run.splits) {
        std::string data = "# epoch loss accuracy\n";
        for (const metrics_row& r : run.metrics)
            if (r.split == sp.split) data += format("%u %.9g %.9g\n", r.epoch, r.loss, r.accuracy);
        std::string file = "metrics_";
        for (char c : sp.split) file += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
        file += ".dat";
        write_file(dir / file, data, "plot data");
        split_files.push_back(file);
    }
    unsigned max_fan_in = 0;
    for (const node_census& c : run.populations)
        for (unsigned i = 0; i < c.fan_in.size(); ++i)
            if (c.fan_in[i] > 0) max_fan_in = std::max(max_fan_in, i);
    std::string fan_in = "fan_in";
    for (const node_census& c : run.populations) fan_in += " " + column_header(c.name);
    fan_in += "\n";
    for (unsigned i = 0; i <= max_fan_in; ++i) {
        fan_in += std::to_string(i);
        for (const node_census& c : run.populations) fan_in += " " + std::to_string(c.fan_in[i]);
        fan_in += "\n";
    }
    write_file(dir / "fan_in.dat", fan_in, "plot data");

    std::string gp = "# Draws the report's plots; run `gnuplot plots.gp` in this directory to redraw them.\n";
    gp += "cd " + gnuplot_quote(std::filesystem::absolute(dir).string()) + "\n";
    gp += "set terminal pngcairo size 1000,450 noenhanced\nset key bottom right\nset grid\n";
    gp += "set output 'learning_curves.png'\nset multiplot layout 1,2\nset xlabel 'epoch'\n";
    for (const char* what : {"loss", "accuracy"}) {
        gp += format("set title '%s'\nset ylabel '%s'\nplot ", what, what);
        if (split_files.empty()) gp += "NaN title 'no metrics'";
        for (std::size_t i = 0; i < split_files.size(); ++i)
            gp += format("%s%s using 1:%d with linespoints title %s", i ? ", " : "",
                         gnuplot_quote(split_files[i]).c_str(), std::strcmp(what, "loss") == 0 ? 2 : 3,
                         gnuplot_quote(run.splits[i].split).c_str());
        gp += "\n";
    }
    gp += "unset multiplot\n";
    gp += "set output 'fan_in.png'\nset terminal pngcairo size 800,450 noenhanced\nset title 'effective fan-in'\n";
    gp += "set xlabel 'inputs the table depends on'\nset ylabel 'nodes'\nset key top left\n";
    gp += "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n";
    gp += "set yrange [0:*]\n";
    gp += run.populations.empty() ? "plot NaN title 'no nodes'\n"
                                  : format("plot for [i=2:%zu] 'fan_in.dat' using i:xtic(1) title columnheader(i)\n",
                                           run.populations.size() + 1);
    gp += "unset output\n";
    const std::filesystem::path script = dir / "plots.gp";
    write_file(script, gp, "gnuplot script");
    run_gnuplot(script);

    std::string md = "# Run analysis\n\n";
    md += format("Run file `%s`, written by Lutra %s (format %u), seed %llu%s%s.\n\n", run.file.c_str(),
                 run.attributes.lutra_version.c_str(), run.attributes.format_version,
                 static_cast<unsigned long long>(run.attributes.seed),
                 run.attributes.genome_hash.empty() ? "" : ", genome ", run.attributes.genome_hash.c_str());
    md += format("The network has %u nodes over %u input bits, %u classes, depth %u.\n\n", run.num_nodes,
                 run.num_inputs, run.num_classes, run.depth);
    md += "## Learning curves\n\n![learning curves](learning_curves.png)\n\n";
    md +=
        "| split | epochs | final accuracy | final loss | best accuracy | best epoch "
        "|\n|---|---:|---:|---:|---:|---:|\n";
    for (const split_summary& sp : run.splits)
        md +=
            format("| %s | %u | %s | %.4f | %s | %u |\n", sp.split.c_str(), sp.epochs,
                   percent(sp.final_accuracy).c_str(), sp.final_loss, percent(sp.best_accuracy).c_str(), sp.best_epoch);
    md += "\n## Populations\n\nDead nodes reach no head output; constant ones depend on none of their inputs.\n\n";
    md += "| population | nodes | dead | constant | mean effective fan-in |\n|---|---:|---:|---:|---:|\n";
    for (const node_census& c : run.populations)
        md += format("| %s | %u | %u | %u | %.2f |\n", c.name.c_str(), c.nodes, c.dead, c.constant, mean_fan_in(c));
    md += "\n## Effective fan-in\n\nHow many of its inputs each node's table depends on.\n\n";
    md += "![effective fan-in](fan_in.png)\n\n| fan-in |";
    std::string rule = "|---:|";
    for (const node_census& c : run.populations) {
        md += " " + c.name + " |";
        rule += "---:|";
    }
    md += "\n" + rule + "\n";
    for (unsigned i = 0; i <= max_fan_in; ++i) {
        md += "| " + std::to_string(i) + " |";
        for (const node_census& c : run.populations) md += " " + std::to_string(c.fan_in[i]) + " |";
        md += "\n";
    }
    md +=
        "\n## Functions\n\nEach table judged on its effective inputs; threshold = \"at least t of them\", "
        "for a t that is not AND, OR or majority.\n\n| function |";
    for (const node_census& c : run.populations) md += " " + c.name + " |";
    md += "\n|---" + rule.substr(5) + "\n";
    for (std::size_t k = 0; k < num_function_kinds; ++k) {
        md += "| " + std::string(to_string(static_cast<function_kind>(k))) + " |";
        for (const node_census& c : run.populations) md += " " + std::to_string(c.functions[k]) + " |";
        md += "\n";
    }
    md += "\n## Metrics\n\n| epoch | split | loss | accuracy | seconds |\n|---:|---|---:|---:|---:|\n";
    for (const metrics_row& r : run.metrics)
        md += format("| %u | %s | %.4f | %s | %.1f |\n", r.epoch, r.split.c_str(), r.loss, percent(r.accuracy).c_str(),
                     r.seconds);
    write_file(dir / "report.md", md, "report");
}

}  // namespace lutra::analysis
