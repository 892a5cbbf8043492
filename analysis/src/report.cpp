#include "lutra/analysis/report.hpp"

#include <algorithm>
#include <numeric>
#include <cctype>
#include <cmath>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>

#include "lutra/analysis/gnuplot.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/publish.hpp"

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

std::vector<split_summary> summarize(const std::vector<runfile::metrics_row>& metrics) {
    std::vector<split_summary> splits;
    for (const runfile::metrics_row& row : metrics) {
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

// A column header for gnuplot's `columnheader`: double-quoted, without quotes inside.
std::string column_header(const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' || c == '\\' ? '_' : c;
    return q + "\"";
}

}  // namespace

population_stats_summary summarize_stats(const runfile::population_stats& p, std::span<const std::uint32_t> epochs) {
    population_stats_summary r;
    r.population = p.population;
    const std::size_t n = p.nodes.size();
    r.nodes = static_cast<std::uint32_t>(n);
    if (epochs.empty()) return r;
    const std::size_t last = epochs.size() - 1;
    r.epoch = epochs[last];
    const auto bin = [](float x) {
        return std::min<std::size_t>(population_stats_summary::bins - 1,
                                     static_cast<std::size_t>(std::max(0.0F, x) * population_stats_summary::bins));
    };
    for (std::size_t i = 0; i < n; ++i) {
        const float a = p.activation_rate[last * n + i];
        const float h = p.entropy[last * n + i];
        ++r.activation[bin(a)];
        ++r.entropy[bin(h)];
        r.mean_activation += a;
        r.mean_entropy += h;
        r.never_active += a == 0.0F;
        r.always_active += a == 1.0F;
        r.mean_grad_abs += p.grad_abs_mean[last * n + i];
    }
    if (n > 0) {
        r.mean_activation /= static_cast<double>(n);
        r.mean_entropy /= static_cast<double>(n);
        r.mean_grad_abs /= static_cast<double>(n);
    }
    if (!p.sensitivity.empty()) {
        std::vector<std::uint32_t> order(n);
        std::iota(order.begin(), order.end(), 0U);
        const float* sens = p.sensitivity.data() + last * n;
        const std::size_t top = std::min<std::size_t>(10, n);
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                          [&](std::uint32_t a, std::uint32_t b) {
                              return sens[a] != sens[b] ? sens[a] > sens[b] : p.nodes[a] < p.nodes[b];
                          });
        for (std::size_t j = 0; j < top; ++j) {
            const std::uint32_t i = order[j];
            if (sens[i] <= 0.0F) break;  // a node that changes no decision is not "sensitive"
            r.most_sensitive.push_back({p.nodes[i], i, sens[i], p.activation_rate[last * n + i],
                                        p.grad_abs_mean[last * n + i]});
        }
    }
    for (std::size_t row = 0; row < epochs.size(); ++row) {
        std::uint64_t total = 0;
        for (std::size_t i = 0; i < n; ++i) total += p.flips[row * n + i];
        r.flips.emplace_back(epochs[row], total);
    }
    return r;
}

std::vector<rule_curves> summarize_rules(const runfile::run_stats& stats) {
    std::vector<rule_curves> rules;
    for (const runfile::population_stats& p : stats.populations)
        for (const runfile::rule_stats& r : p.rules) {
            auto found = std::find_if(rules.begin(), rules.end(), [&r](const rule_curves& c) { return c.rule == r.rule; });
            if (found == rules.end()) found = rules.insert(rules.end(), rule_curves{.rule = r.rule, .quantities = {}, .populations = {}});
            for (const runfile::rule_quantity& q : r.quantities)
                if (std::find(found->quantities.begin(), found->quantities.end(), q.name) == found->quantities.end())
                    found->quantities.push_back(q.name);
        }
    for (rule_curves& c : rules)
        for (const runfile::population_stats& p : stats.populations) {
            const auto r = std::find_if(p.rules.begin(), p.rules.end(),
                                        [&c](const runfile::rule_stats& x) { return x.rule == c.rule; });
            if (r == p.rules.end() || r->epochs.empty()) continue;
            rule_curves::population_curve& curve = c.populations.emplace_back();
            curve.population = p.population;
            curve.epochs = r->epochs;
            const std::size_t n = p.nodes.size();
            for (const std::string& name : c.quantities) {
                std::vector<double>& means = curve.means.emplace_back(r->epochs.size(), std::nan(""));
                const auto q = std::find_if(r->quantities.begin(), r->quantities.end(),
                                            [&name](const runfile::rule_quantity& x) { return x.name == name; });
                if (q == r->quantities.end()) continue;
                for (std::size_t row = 0; row < means.size(); ++row) {
                    double sum = 0;
                    std::size_t count = 0;
                    for (std::size_t i = 0; i < n; ++i)
                        if (const float v = q->values[row * n + i]; !std::isnan(v)) {
                            sum += v;
                            ++count;
                        }
                    if (count > 0) means[row] = sum / static_cast<double>(count);
                }
            }
        }
    return rules;
}

population_activity_summary summarize_activity(const std::string& population, std::uint64_t nodes,
                                               const runfile::spike_data* spikes,
                                               const runfile::population_activity* activity) {
    population_activity_summary r;
    r.population = population;
    r.nodes = nodes;
    r.has_spikes = spikes != nullptr;
    r.has_activity = activity != nullptr;
    const double nan = std::nan("");
    r.mean_rate_hz = nan;
    r.toggles_per_node_tick = nan;
    if (activity != nullptr) {
        r.recording = activity->recording;
        const double changes = static_cast<double>(r.recording.ticks) * static_cast<double>(r.recording.streams);
        std::uint64_t total = 0;
        for (const std::uint64_t t : activity->toggles) {
            total += t;
            const double rate = changes > 0 ? static_cast<double>(t) / changes : 0.0;
            ++r.toggle_rate[std::min<std::size_t>(population_activity_summary::bins - 1,
                                                  static_cast<std::size_t>(rate * population_activity_summary::bins))];
        }
        if (nodes > 0 && changes > 0) r.toggles_per_node_tick = static_cast<double>(total) / (static_cast<double>(nodes) * changes);
    }
    if (spikes != nullptr) {
        r.spikes = spikes->node_ids.size();
        std::vector<bool> spiked(nodes, false);
        for (const std::uint64_t id : spikes->node_ids)
            if (id < nodes) spiked[id] = true;
        r.silent = static_cast<std::uint64_t>(std::count(spiked.begin(), spiked.end(), false));
        const double seconds =
            activity != nullptr ? static_cast<double>(r.recording.ticks) * r.recording.tick_ms / 1000.0 : 0.0;
        if (nodes > 0 && seconds > 0) r.mean_rate_hz = static_cast<double>(r.spikes) / (static_cast<double>(nodes) * seconds);
        // The first spikes in time, whatever order the file keeps them in.
        std::vector<std::size_t> order(r.spikes);
        std::iota(order.begin(), order.end(), std::size_t{0});
        if (spikes->sorting != runfile::layout::spike_sorting::by_time)
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return spikes->timestamps_ms[a] < spikes->timestamps_ms[b];
            });
        const std::size_t shown = std::min(order.size(), population_activity_summary::max_raster_spikes);
        r.raster_cut = shown < order.size();
        const double scale = activity != nullptr ? 1.0 / r.recording.tick_ms : 1.0;
        for (std::size_t i = 0; i < shown; ++i) {
            r.raster_x.push_back(spikes->timestamps_ms[order[i]] * scale);
            r.raster_node.push_back(spikes->node_ids[order[i]]);
        }
    }
    return r;
}

namespace {

// "1.5", "NaN": a mean as gnuplot reads it and the reports print it.
std::string mean_text(double x) { return std::isnan(x) ? std::string("NaN") : format("%.6g", x); }

// "4.28e+02": a rate, "-" when it is unknown.
std::string rate_text(double x) { return std::isnan(x) ? std::string("-") : format("%.4g", x); }

// "hidden: 40 nodes, 1713 spikes, mean rate 428.2 Hz, 0.42 toggles per node per tick (200 ticks × 0.5 ms, 4
// streams, event engine)": a timed run's record of a population, as format_analysis prints it.
std::string activity_line(const population_activity_summary& a) {
    std::string s = format("%s: %llu nodes, ", a.population.c_str(), static_cast<unsigned long long>(a.nodes));
    s += a.has_spikes ? format("%llu spikes (%llu nodes silent), mean rate %s Hz", static_cast<unsigned long long>(a.spikes),
                               static_cast<unsigned long long>(a.silent), rate_text(a.mean_rate_hz).c_str())
                      : std::string("no spikes recorded");
    if (!a.has_activity) return s + " (no /activity: no recording length)";
    const runfile::recording& r = a.recording;
    return s + format(", %s toggles per node per tick (%llu ticks × %g ms, %llu streams, %s engine)",
                      rate_text(a.toggles_per_node_tick).c_str(), static_cast<unsigned long long>(r.ticks), r.tick_ms,
                      static_cast<unsigned long long>(r.streams), r.engine.c_str());
}

// "rule_greedy", "raster_Schicht__": a plot's file stem from `prefix` and a
// name, its characters other than letters and digits made '_', and a number
// added when that stem is among `taken` (two names may differ only in such characters).
std::string plot_stem(const std::string& prefix, const std::string& name, const std::vector<std::string>& taken) {
    std::string stem = prefix;
    for (char c : name) stem += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    std::string base = stem;
    for (std::size_t k = 2; std::find(taken.begin(), taken.end(), base + ".png") != taken.end(); ++k)
        base = stem + "_" + std::to_string(k);
    return base;
}

std::string histogram_text(const std::array<std::uint32_t, population_stats_summary::bins>& counts) {
    std::string s;
    for (const std::uint32_t c : counts) s += (s.empty() ? "" : " ") + std::to_string(c);
    return s;
}

}  // namespace

run_analysis analyze_run(const std::filesystem::path& path) {
    const runfile::run_reader reader(path);
    run_analysis run;
    run.file = reader.path();
    run.attributes = reader.attributes();
    const core::network net = reader.network();
    run.num_inputs = net.num_inputs();
    run.num_nodes = net.num_nodes();
    run.num_classes = net.head().num_classes;
    run.depth = net.depth();
    const std::vector<core::population> pops = reader.populations();
    std::vector<node_group> groups;
    for (const core::population& p : pops) groups.push_back({p.name, p.nodes});
    run.populations = census(net, groups);
    run.metrics = reader.metrics();
    run.splits = summarize(run.metrics);
    if (reader.has_stats()) {
        const runfile::run_stats st = reader.stats();
        run.stats_samples = st.samples;
        run.stats_split = st.split;
        if (st.rows() > 0)
            for (const runfile::population_stats& p : st.populations)
                run.stats.push_back(summarize_stats(p, st.epochs));
        run.rules = summarize_rules(st);
    }
    // A timed run's record, per population in gene order.
    const std::vector<std::string> spiking = reader.spike_populations();
    const std::vector<std::string> recorded = reader.activity_populations();
    const auto has = [](const std::vector<std::string>& names, const std::string& name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    for (const core::population& p : pops) {
        if (!has(spiking, p.name) && !has(recorded, p.name)) continue;
        std::optional<runfile::spike_data> spikes;
        std::optional<runfile::population_activity> activity;
        if (has(spiking, p.name)) spikes = reader.spikes(p.name);
        if (has(recorded, p.name)) activity = reader.activity(p.name);
        run.activity.push_back(summarize_activity(p.name, p.nodes.size(), spikes ? &*spikes : nullptr,
                                                  activity ? &*activity : nullptr));
    }
    return run;
}

std::string format_analysis(const run_analysis& run) {
    const runfile::stored_attributes& a = run.attributes;
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
    if (!run.stats.empty())
        s += format("statistics: epoch %u, %llu %s samples; histograms count nodes in tenths of [0, 1]\n",
                    run.stats.front().epoch, static_cast<unsigned long long>(run.stats_samples),
                    run.stats_split.c_str());
    for (const population_stats_summary& p : run.stats) {
        s += format("  %s: activation mean %.3f (never %u, always %u): %s\n", p.population.c_str(), p.mean_activation,
                    p.never_active, p.always_active, histogram_text(p.activation).c_str());
        s += format("  %s: entropy mean %.3f bits: %s\n", p.population.c_str(), p.mean_entropy,
                    histogram_text(p.entropy).c_str());
        if (!p.flips.empty())
            s += format("  %s: %llu entries flipped in epoch %u; mean |dL/dy| %.3g\n", p.population.c_str(),
                        static_cast<unsigned long long>(p.flips.back().second), p.flips.back().first, p.mean_grad_abs);
        if (p.most_sensitive.empty())
            s += format("  %s: no node changes a decision when inverted alone\n", p.population.c_str());
        if (!p.most_sensitive.empty()) {
            s += format("  %s: most sensitive:", p.population.c_str());
            for (std::size_t j = 0; j < std::min<std::size_t>(5, p.most_sensitive.size()); ++j)
                s += format(" node %u (#%u) %s", p.most_sensitive[j].node, p.most_sensitive[j].index,
                            percent(p.most_sensitive[j].sensitivity).c_str());
            s += "\n";
        }
    }
    for (const rule_curves& r : run.rules)
        for (const rule_curves::population_curve& c : r.populations) {
            s += format("rule %s: %s, epoch %u:", r.rule.c_str(), c.population.c_str(), c.epochs.back());
            for (std::size_t q = 0; q < r.quantities.size(); ++q)
                s += format("%s %s %s", q ? "," : "", r.quantities[q].c_str(), mean_text(c.means[q].back()).c_str());
            s += " (means over the nodes)\n";
        }
    for (const population_activity_summary& timed : run.activity) s += "spikes:     " + activity_line(timed) + "\n";
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
        const auto statistic = [&](const char* label, auto value) {
            row(name + " " + label, [&](const run_analysis& r) {
                for (const population_stats_summary& p : r.stats)
                    if (p.population == name) return value(p);
                return std::string("-");
            });
        };
        statistic("mean activation", [](const population_stats_summary& p) { return format("%.3f", p.mean_activation); });
        statistic("mean entropy", [](const population_stats_summary& p) { return format("%.3f", p.mean_entropy); });
        statistic("top sensitivity", [](const population_stats_summary& p) {
            return p.most_sensitive.empty() ? std::string("0") : percent(p.most_sensitive.front().sensitivity);
        });
        if (a.activity.empty() && b.activity.empty()) continue;  // no timed run: no rows for one
        const auto timed = [&](const char* label, auto value) {
            row(name + " " + label, [&](const run_analysis& r) {
                for (const population_activity_summary& p : r.activity)
                    if (p.population == name) return value(p);
                return std::string("-");
            });
        };
        timed("spikes", [](const population_activity_summary& p) {
            return p.has_spikes ? std::to_string(p.spikes) : std::string("-");
        });
        timed("spike rate (Hz)", [](const population_activity_summary& p) { return rate_text(p.mean_rate_hz); });
        timed("toggles/node/tick", [](const population_activity_summary& p) {
            return rate_text(p.toggles_per_node_tick);
        });
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
        throw io_error(dir.string(), "write report", std::string(gnuplot_missing));
    // A report never replaces another, nor mixes with other files.
    if (const core::output_state state = core::inspect_output(dir);
        state == core::output_state::non_empty_directory || state == core::output_state::not_a_directory)
        throw io_error(dir.string(), "write report",
                       "the directory exists and is not empty; a report goes into a new or empty directory "
                       "(choose another --report DIR or move it away)");
    // The report appears whole, COMPLETE written last (core/publish.hpp):
    // a kill or a full disk leaves nothing that looks like a report.
    core::directory_publication out(dir);
    const auto write_file = [&out](const std::string& name, const std::string& text, const char*) {
        out.write(name, text);
    };

    // Data files for gnuplot: one per split (epoch loss accuracy), and the
    // fan-in histogram with one column per population.
    std::vector<std::string> split_files;
    for (const split_summary& sp : run.splits) {
        std::string data = "# epoch loss accuracy\n";
        for (const runfile::metrics_row& r : run.metrics)
            if (r.split == sp.split) data += format("%u %.9g %.9g\n", r.epoch, r.loss, r.accuracy);
        std::string file = "metrics_";
        for (char c : sp.split) file += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
        file += ".dat";
        write_file(file, data, "plot data");
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
    write_file("fan_in.dat", fan_in, "plot data");

    std::string gp = "# Draws the report's plots; run `gnuplot plots.gp` in this directory to redraw them.\n";
    gp += "set terminal pngcairo size 1000,450 noenhanced\nset key bottom right\nset grid\n";
    gp += "set output 'learning_curves.png'\nset multiplot layout 1,2\nset xlabel 'epoch'\n";
    for (const char* what : {"loss", "accuracy"}) {
        gp += format("set title '%s'\nset ylabel '%s'\n", what, what);
        // A run without metrics (a simulation) gets an empty, labelled frame:
        // gnuplot refuses to plot nothing at all.
        if (split_files.empty())
            gp += "set label 1 'no metrics (not trained)' at graph 0.5,0.5 center\nplot [0:1][0:1] 2 notitle\n"
                  "unset label 1";
        else
            gp += "plot ";
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
    if (!run.stats.empty()) {
        // Histograms of the last stats row, and entries flipped per recorded epoch.
        std::string hist = "bin";
        for (const population_stats_summary& p : run.stats)
            hist += " " + column_header(p.population + " activation") + " " + column_header(p.population + " entropy");
        hist += "\n";
        for (std::size_t b = 0; b < population_stats_summary::bins; ++b) {
            hist += format("%.2f", (static_cast<double>(b) + 0.5) / population_stats_summary::bins);
            for (const population_stats_summary& p : run.stats)
                hist += format(" %u %u", p.activation[b], p.entropy[b]);
            hist += "\n";
        }
        write_file("node_stats.dat", hist, "plot data");
        std::string flips = "epoch";
        for (const population_stats_summary& p : run.stats) flips += " " + column_header(p.population);
        flips += "\n";
        for (std::size_t row = 0; row < run.stats.front().flips.size(); ++row) {
            flips += std::to_string(run.stats.front().flips[row].first);
            for (const population_stats_summary& p : run.stats) flips += " " + std::to_string(p.flips[row].second);
            flips += "\n";
        }
        write_file("flips.dat", flips, "plot data");
        const std::size_t pops = run.stats.size();
        gp += "set output 'node_stats.png'\nset terminal pngcairo size 1000,450 noenhanced\nset multiplot layout 1,2\n";
        gp += "set key top left\nset style data histograms\nset style histogram clustered gap 1\n";
        gp += "set style fill solid 0.8 border -1\nset yrange [0:*]\nset ylabel 'nodes'\n";
        gp += "set title 'activation rate'\nset xlabel 'fraction of samples with output 1 (bin centre)'\n";
        gp += format("plot for [i=0:%zu] 'node_stats.dat' using (column(2+2*i)):xtic(1) title columnheader(2+2*i)\n",
                     pops - 1);
        gp += "set title 'output entropy'\nset xlabel 'bits (bin centre)'\n";
        gp += format("plot for [i=0:%zu] 'node_stats.dat' using (column(3+2*i)):xtic(1) title columnheader(3+2*i)\n",
                     pops - 1);
        gp += "unset multiplot\n";
        gp += "set output 'flips.png'\nset terminal pngcairo size 800,450 noenhanced\nset style data linespoints\n";
        gp += "set title 'table entries flipped per epoch'\nset xlabel 'epoch'\nset ylabel 'entries'\n";
        gp += "set yrange [0:*]\nset key top right\n";
        gp += format("plot for [i=2:%zu] 'flips.dat' using 1:i title columnheader(i)\n", pops + 1);
        gp += "unset output\n";
    }
    // One plot per rule: each quantity's mean over a population's nodes per
    // epoch, one line per population; its data one block per population.
    std::vector<std::string> rule_plots;
    for (const rule_curves& r : run.rules) {
        const std::string base = plot_stem("rule_", r.rule, rule_plots);
        rule_plots.push_back(base + ".png");
        std::string data;
        for (const rule_curves::population_curve& c : r.populations) {
            data += "# " + c.population + ": epoch";
            for (const std::string& q : r.quantities) data += " " + q;
            data += "\n";
            for (std::size_t row = 0; row < c.epochs.size(); ++row) {
                data += std::to_string(c.epochs[row]);
                for (const std::vector<double>& m : c.means) data += " " + mean_text(m[row]);
                data += "\n";
            }
            data += "\n\n";  // gnuplot's next `index`
        }
        write_file(base + ".dat", data, "plot data");
        const std::size_t columns = std::max<std::size_t>(1, r.quantities.size());
        gp += format("set output '%s'\nset terminal pngcairo size %zu,450 noenhanced\n", rule_plots.back().c_str(),
                     std::min<std::size_t>(450 * columns + 100, 1800));
        gp += format("set multiplot layout 1,%zu title %s\n", columns, gnuplot_quote("rule " + r.rule).c_str());
        gp += "set style data linespoints\nset xlabel 'epoch'\nset ylabel 'mean over the nodes'\nset key top left\n";
        gp += "set yrange [*:*]\n";
        // gnuplot refuses a plot with no defined point: such a panel says so instead.
        const auto empty_panel = [&gp](const char* why) {
            gp += format("set label 1 '%s' at graph 0.5, 0.5 center\nset yrange [0:1]\nplot 2 notitle\n", why);
            gp += "unset label 1\nset yrange [*:*]\n";
        };
        for (std::size_t q = 0; q < r.quantities.size(); ++q) {
            gp += "set title " + gnuplot_quote(r.quantities[q]) + "\n";
            const bool any = std::any_of(r.populations.begin(), r.populations.end(), [q](const auto& c) {
                return std::any_of(c.means[q].begin(), c.means[q].end(), [](double x) { return !std::isnan(x); });
            });
            if (!any) {
                empty_panel("no node has a value");
                continue;
            }
            gp += "plot ";
            for (std::size_t i = 0; i < r.populations.size(); ++i)
                gp += format("%s%s index %zu using 1:%zu title %s", i ? ", " : "", gnuplot_quote(base + ".dat").c_str(),
                             i, q + 2, gnuplot_quote(r.populations[i].population).c_str());
            gp += "\n";
        }
        if (r.quantities.empty()) empty_panel("no quantities");
        gp += "unset multiplot\nunset output\n";
    }
    // A timed run: a raster per population with spikes (tick on x, node id
    // on y), and the histogram of the nodes' toggle rates.
    std::vector<std::string> raster_plots;
    for (const population_activity_summary& a : run.activity) {
        if (!a.has_spikes) {
            raster_plots.emplace_back();
            continue;
        }
        const std::string base = plot_stem("raster_", a.population, raster_plots);
        raster_plots.push_back(base + ".png");
        std::string data = a.has_activity ? "# tick node\n" : "# ms node\n";
        for (std::size_t i = 0; i < a.raster_x.size(); ++i)
            data += format("%.9g %llu\n", a.raster_x[i], static_cast<unsigned long long>(a.raster_node[i]));
        write_file(base + ".dat", data, "plot data");
        std::string title = "spikes of " + a.population;
        if (a.raster_cut)
            title += format(" (the first %zu of %llu)", population_activity_summary::max_raster_spikes,
                            static_cast<unsigned long long>(a.spikes));
        gp += format("set output '%s'\nset terminal pngcairo size 1000,450 noenhanced\n", raster_plots.back().c_str());
        gp += "set title " + gnuplot_quote(title) + "\nset style data points\nunset key\nset ylabel 'node id'\n";
        gp += a.has_activity ? format("set xlabel 'tick'\nset xrange [0:%llu]\n",
                                      static_cast<unsigned long long>(std::max<std::uint64_t>(a.recording.ticks, 1)))
                             : std::string("set xlabel 'ms'\nset xrange [0:*]\n");
        gp += format("set yrange [-0.5:%g]\n", static_cast<double>(std::max<std::uint64_t>(a.nodes, 1)) - 0.5);
        // gnuplot refuses to plot a file without points: a silent population's raster says so.
        gp += a.raster_x.empty() ? "set label 1 'no spikes' at graph 0.5, 0.5 center\nplot -1 notitle\nunset label 1\n"
                                 : format("plot %s using 1:2 with points pt 7 ps 0.3 notitle\n",
                                          gnuplot_quote(base + ".dat").c_str());
        gp += "set xrange [*:*]\nset yrange [*:*]\nset key\nunset output\n";
    }
    const bool any_activity = std::any_of(run.activity.begin(), run.activity.end(),
                                          [](const population_activity_summary& a) { return a.has_activity; });
    if (any_activity) {
        std::string hist = "rate";
        std::size_t columns = 0;
        for (const population_activity_summary& a : run.activity)
            if (a.has_activity) {
                hist += " " + column_header(a.population);
                ++columns;
            }
        hist += "\n";
        for (std::size_t b = 0; b < population_activity_summary::bins; ++b) {
            hist += format("%.2f", (static_cast<double>(b) + 0.5) / population_activity_summary::bins);
            for (const population_activity_summary& a : run.activity)
                if (a.has_activity) hist += format(" %u", a.toggle_rate[b]);
            hist += "\n";
        }
        write_file("activity.dat", hist, "plot data");
        gp += "set output 'activity.png'\nset terminal pngcairo size 800,450 noenhanced\n";
        gp += "set title 'switching activity'\nset xlabel 'toggles per tick and stream (bin centre)'\n";
        gp += "set ylabel 'nodes'\nset key top right\nset style data histograms\n";
        gp += "set style histogram clustered gap 1\nset style fill solid 0.8 border -1\nset yrange [0:*]\n";
        gp += format("plot for [i=2:%zu] 'activity.dat' using i:xtic(1) title columnheader(i)\n", columns + 1);
        gp += "unset output\n";
    }
    write_file("plots.gp", gp, "gnuplot script");
    run_gnuplot(out.staging() / "plots.gp", out.staging());
    // gnuplot may exit 0 with a plot cut short (a full disk): a PNG is whole
    // only if it ends with its IEND chunk.
    std::vector<std::string> plots{"learning_curves.png", "fan_in.png"};
    if (!run.stats.empty()) plots.insert(plots.end(), {"node_stats.png", "flips.png"});
    plots.insert(plots.end(), rule_plots.begin(), rule_plots.end());
    for (const std::string& raster : raster_plots)
        if (!raster.empty()) plots.push_back(raster);
    if (any_activity) plots.push_back("activity.png");
    for (const std::string& png : plots) check_png(out.staging() / png, dir / png);

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
    if (!run.stats.empty()) {
        md += format("\n## Node statistics\n\nMeasured on the hardened network after epoch %u, on %llu %s samples "
                     "(`/stats` in the run file).\n\n![activation and entropy](node_stats.png)\n\n"
                     "![entries flipped](flips.png)\n\n",
                     run.stats.front().epoch, static_cast<unsigned long long>(run.stats_samples),
                     run.stats_split.c_str());
        md += "| population | mean activation | never active | always active | mean entropy (bits) | mean abs(dL/dy) "
              "|\n|---|---:|---:|---:|---:|---:|\n";
        for (const population_stats_summary& p : run.stats)
            md += format("| %s | %.3f | %u | %u | %.3f | %.3g |\n", p.population.c_str(), p.mean_activation,
                         p.never_active, p.always_active, p.mean_entropy, p.mean_grad_abs);
        md += "\n### Most sensitive nodes\n\nThe fraction of samples whose predicted class changes when the node's "
              "output alone is inverted.\n\n| population | node | index | sensitivity | activation | mean abs(dL/dy) "
              "|\n|---|---:|---:|---:|---:|---:|\n";
        for (const population_stats_summary& p : run.stats)
            for (const sensitive_node& n : p.most_sensitive)
                md += format("| %s | %u | %u | %s | %.3f | %.3g |\n", p.population.c_str(), n.node, n.index,
                             percent(n.sensitivity).c_str(), n.activation_rate, n.grad_abs_mean);
    }
    if (!run.rules.empty())
        md += "\n## Plasticity rules\n\nEach rule's per-node summary (`/stats/<population>/rules/<rule>` in the run "
              "file; docs/plasticity.md says what each quantity is), as its mean over the nodes of a population the "
              "rule trained, at the recorded epochs of the rule's phases.\n";
    for (std::size_t i = 0; i < run.rules.size(); ++i) {
        const rule_curves& r = run.rules[i];
        md += format("\n### %s\n\n![rule %s](%s)\n\n| epoch | population |", r.rule.c_str(), r.rule.c_str(),
                     rule_plots[i].c_str());
        std::string line = "|---:|---|";
        for (const std::string& q : r.quantities) {
            md += " " + q + " |";
            line += "---:|";
        }
        md += "\n" + line + "\n";
        for (const rule_curves::population_curve& c : r.populations)
            for (std::size_t row = 0; row < c.epochs.size(); ++row) {
                md += format("| %u | %s |", c.epochs[row], c.population.c_str());
                for (const std::vector<double>& m : c.means) md += " " + mean_text(m[row]) + " |";
                md += "\n";
            }
    }
    if (!run.activity.empty()) {
        md += "\n## Spikes and activity\n\nA timed run's record (`/spikes`, SONATA's layout, and `/activity` in the "
              "run file). A spike is a rising edge of a node's output in the recorded stream; the mean rate is "
              "spikes per node per second of that stream; toggles count output changes in every stream, here per "
              "node, tick and stream.\n\n";
        md += "| population | nodes | spikes | silent nodes | mean rate (Hz) | toggles per node per tick | ticks | "
              "tick (ms) | streams | engine |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
        for (const population_activity_summary& a : run.activity) {
            const runfile::recording& r = a.recording;
            md += format("| %s | %llu | %s | %s | %s | %s | %s | %s | %s | %s |\n", a.population.c_str(),
                         static_cast<unsigned long long>(a.nodes),
                         a.has_spikes ? std::to_string(a.spikes).c_str() : "-",
                         a.has_spikes ? std::to_string(a.silent).c_str() : "-", rate_text(a.mean_rate_hz).c_str(),
                         rate_text(a.toggles_per_node_tick).c_str(),
                         a.has_activity ? std::to_string(r.ticks).c_str() : "-",
                         a.has_activity ? format("%g", r.tick_ms).c_str() : "-",
                         a.has_activity ? std::to_string(r.streams).c_str() : "-",
                         a.has_activity ? r.engine.c_str() : "-");
        }
        if (any_activity) md += "\n![switching activity](activity.png)\n";
        for (std::size_t i = 0; i < run.activity.size(); ++i)
            if (!raster_plots[i].empty())
                md += format("\n![spikes of %s](%s)\n", run.activity[i].population.c_str(), raster_plots[i].c_str());
    }
    md += "\n## Metrics\n\n| epoch | split | loss | accuracy | seconds |\n|---:|---|---:|---:|---:|\n";
    for (const runfile::metrics_row& r : run.metrics)
        md += format("| %u | %s | %.4f | %s | %.1f |\n", r.epoch, r.split.c_str(), r.loss, percent(r.accuracy).c_str(),
                     r.seconds);
    write_file("report.md", md, "report");
    out.commit();
}

}  // namespace lutra::analysis
