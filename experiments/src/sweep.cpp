// Sweep files, plans and sweep directories (sweep.hpp).
#include "lutra/experiments/sweep.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <utility>

#include "lutra/core/names.hpp"
#include "lutra/core/publish.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/read_file.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/runner.hpp"
#include "lutra/experiments/settings.hpp"

namespace lutra::experiments {

namespace fs = std::filesystem;

namespace {

constexpr int plan_format = 1;
constexpr const char* plan_name = "plan.yaml";
constexpr const char* sweep_copy_name = "sweep.yaml";

constexpr std::string_view top_keys[] = {"name", "base", "set", "grid", "zip", "random", "seeds", "max_points", "slurm"};
constexpr std::string_view random_keys[] = {"points", "seed", "parameters"};
constexpr std::string_view distributions[] = {"uniform", "log_uniform", "integer", "choice"};
constexpr std::string_view slurm_keys[] = {"partition", "account", "qos",      "time",
                                           "mem",       "cpus_per_task", "parallel", "signal_seconds", "sbatch"};

std::string hex(std::uint64_t x, int digits) {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(x));
    return std::string(text + 16 - digits, text + 16);
}

std::uint64_t hash_text(std::string_view text) { return mix64(hash_name(text) ^ mix64(text.size())); }

// The sweep file being read: errors point at a node's line and column.
struct sweep_source {
    std::string file;

    [[noreturn]] void fail(const YAML::Node& node, const std::string& path, const std::string& problem) const {
        const YAML::Mark mark = node.Mark();
        if (!node || mark.is_null()) throw config_error(file, 0, 0, path, problem);
        throw config_error(file, mark.line + 1, mark.column + 1, path, problem);
    }

    // A mapping's keys must be among `valid`.
    void check_keys(const YAML::Node& map, const std::string& path, std::span<const std::string_view> valid) const {
        if (!map.IsMap()) fail(map, path, "must be a mapping with the keys " + core::join_names(valid));
        for (const auto& pair : map) {
            const std::string key = pair.first.as<std::string>();
            if (std::find(valid.begin(), valid.end(), key) == valid.end())
                fail(pair.first, path.empty() ? key : path + "." + key,
                     "unknown key '" + key + "'" + core::did_you_mean(key, valid) + "; valid: " +
                         core::join_names(valid));
        }
    }

    [[nodiscard]] std::string text(const YAML::Node& node, const std::string& path) const {
        if (!node.IsScalar()) fail(node, path, "must be a string");
        return node.Scalar();
    }

    template <class T>
    [[nodiscard]] T number(const YAML::Node& node, const std::string& path, T min, T max) const {
        T value{};
        const std::string s = node.IsScalar() ? node.Scalar() : std::string();
        const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
        if (!node.IsScalar() || r.ec != std::errc() || r.ptr != s.data() + s.size() || value < min || value > max) {
            if constexpr (std::is_floating_point_v<T>)
                fail(node, path, "must be a number, got '" + s + "'");
            else
                fail(node, path, "must be an integer in " + std::to_string(min) + ".." + std::to_string(max) +
                                     ", got '" + s + "'");
        }
        return value;
    }
};

// YAML text of a value on one line: what --set takes, and what ids hash.
std::string flow_text(const YAML::Node& node) {
    YAML::Emitter out;
    out.SetMapFormat(YAML::Flow);
    out.SetSeqFormat(YAML::Flow);
    out << node;
    return out.c_str();
}

// The shortest text that reads back as exactly x.
std::string number_text(double x) {
    char text[64];
    const auto r = std::to_chars(text, text + sizeof text, x);
    std::string s(text, r.ptr);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // stays a float in YAML
    return s;
}

// One axis of the product: parameters that change together, and their values per step.
struct axis {
    std::vector<std::string> paths;
    std::vector<YAML::Node> key_nodes;              // where each path is written, for errors
    std::vector<std::vector<std::string>> values;   // [step][parameter]
};

// The values of one parameter as the sweep file lists them.
std::vector<std::string> value_list(const sweep_source& src, const YAML::Node& list, const std::string& path) {
    if (!list.IsSequence()) src.fail(list, path, "must be a list of values, e.g. [1, 2, 3]");
    if (list.size() == 0) src.fail(list, path, "has no values, so the sweep would have no points; give at least one");
    std::vector<std::string> values;
    for (const auto& v : list) values.push_back(flow_text(v));
    return values;
}

// random.parameters.<path>: {uniform: [a, b]} and the like, drawn `points` times.
std::vector<std::string> draw(const sweep_source& src, const YAML::Node& spec, const std::string& path,
                              const counter_rng& rng, std::size_t points) {
    if (!spec.IsMap() || spec.size() != 1)
        src.fail(spec, path, "must be one distribution: {uniform: [a, b]}, {log_uniform: [a, b]}, "
                             "{integer: [a, b]} or {choice: [values]}");
    const std::string kind = spec.begin()->first.as<std::string>();
    const YAML::Node args = spec.begin()->second;
    const std::string at = path + "." + kind;
    if (std::find(std::begin(distributions), std::end(distributions), kind) == std::end(distributions))
        src.fail(spec.begin()->first, at,
                 "unknown distribution '" + kind + "'" + core::did_you_mean(kind, distributions) +
                     "; valid: " + core::join_names(distributions));
    std::vector<std::string> values(points);
    if (kind == "choice") {
        const std::vector<std::string> choices = value_list(src, args, at);
        for (std::size_t i = 0; i < points; ++i) values[i] = choices[rng.below(i, choices.size())];
        return values;
    }
    if (!args.IsSequence() || args.size() != 2) src.fail(args, at, "must be a range [low, high]");
    if (kind == "integer") {
        constexpr std::int64_t big = std::int64_t{1} << 52;
        const auto lo = src.number<std::int64_t>(args[0], at + "[0]", -big, big);
        const auto hi = src.number<std::int64_t>(args[1], at + "[1]", -big, big);
        if (hi < lo) src.fail(args, at, "the range is empty: high < low");
        for (std::size_t i = 0; i < points; ++i)
            values[i] = std::to_string(lo + static_cast<std::int64_t>(rng.below(i, static_cast<std::uint64_t>(hi - lo) + 1)));
        return values;
    }
    const double lo = src.number<double>(args[0], at + "[0]", -1e300, 1e300);
    const double hi = src.number<double>(args[1], at + "[1]", -1e300, 1e300);
    if (!(lo < hi)) src.fail(args, at, "the range is empty: it needs low < high");
    if (kind == "log_uniform" && lo <= 0) src.fail(args[0], at + "[0]", "a log-uniform range must be above 0");
    for (std::size_t i = 0; i < points; ++i) {
        const double u = rng.uniform(i);
        const double x = kind == "uniform" ? lo + u * (hi - lo)
                                           : std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)));
        values[i] = number_text(std::clamp(x, lo, hi));
    }
    return values;
}

void read_slurm(const sweep_source& src, const YAML::Node& node, slurm_settings& s) {
    src.check_keys(node, "slurm", slurm_keys);
    for (const auto& pair : node) {
        const std::string key = pair.first.as<std::string>();
        const std::string path = "slurm." + key;
        const YAML::Node& v = pair.second;
        if (key == "partition") s.partition = src.text(v, path);
        if (key == "account") s.account = src.text(v, path);
        if (key == "qos") s.qos = src.text(v, path);
        if (key == "mem") s.mem = src.text(v, path);
        if (key == "time") {
            s.time = src.text(v, path);
            if (!is_slurm_time(s.time))
                src.fail(v, path, "'" + s.time + "' is not a Slurm time limit; use minutes, MM:SS, HH:MM:SS, "
                                  "D-HH, D-HH:MM or D-HH:MM:SS, e.g. 01:30:00");
        }
        if (key == "cpus_per_task") s.cpus_per_task = src.number<unsigned>(v, path, 0, 4096);
        if (key == "parallel") s.parallel = src.number<unsigned>(v, path, 0, 1000000);
        if (key == "signal_seconds") s.signal_seconds = src.number<unsigned>(v, path, 0, 65535);
        if (key == "sbatch") {
            if (!v.IsSequence()) src.fail(v, path, "must be a list of sbatch options, e.g. [--constraint=avx512]");
            s.sbatch.clear();
            for (std::size_t i = 0; i < v.size(); ++i) {
                std::string option = src.text(v[i], path + "[" + std::to_string(i) + "]");
                if (!option.starts_with("--") || option.find('\n') != std::string::npos)
                    src.fail(v[i], path + "[" + std::to_string(i) + "]",
                             "'" + option + "' is not one sbatch option; write it as --name=value");
                s.sbatch.push_back(std::move(option));
            }
        }
    }
}

// The point's config, or the error it raises (config_error naming an override
// as "--set path=value", or the base).
experiment_settings point_settings(const std::string& base_yaml, const std::vector<std::string>& sets) {
    return parse_config<experiment_settings>(base_yaml, "the base config", sets);
}

// The override a config_error names, if it came from one ("--set path=value").
std::optional<std::string> override_path(const config_error& e) {
    if (!e.file.starts_with("--set ")) return std::nullopt;
    const std::string text = e.file.substr(6);
    return text.substr(0, text.find('='));
}

}  // namespace

bool is_slurm_time(std::string_view t) {
    // minutes | MM:SS | HH:MM:SS | D-HH | D-HH:MM | D-HH:MM:SS (sbatch --time)
    const auto digits = [](std::string_view s) {
        return !s.empty() && s.size() <= 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    std::string_view rest = t;
    if (const std::size_t dash = t.find('-'); dash != std::string_view::npos) {
        if (!digits(t.substr(0, dash))) return false;
        rest = t.substr(dash + 1);
        if (rest.empty()) return false;
    }
    std::vector<std::string_view> parts;
    for (std::size_t at = 0;;) {
        const std::size_t colon = rest.find(':', at);
        parts.push_back(rest.substr(at, colon == std::string_view::npos ? std::string_view::npos : colon - at));
        if (colon == std::string_view::npos) break;
        at = colon + 1;
    }
    if (parts.size() > 3) return false;
    return std::all_of(parts.begin(), parts.end(), digits);
}

std::string sweep_point::dir_name() const {
    char index_text[32];
    std::snprintf(index_text, sizeof index_text, "%04zu", index);
    return std::string(index_text) + "-" + id;
}

std::vector<std::string> sweep_point::set_texts() const {
    std::vector<std::string> sets;
    for (const sweep_value& o : overrides) sets.push_back(o.path + "=" + o.value);
    return sets;
}

sweep_plan plan_sweep(const fs::path& sweep_file, plan_options options) {
    const sweep_source src{sweep_file.string()};
    if (const std::string problem = core::unreadable_file_problem(sweep_file, core::max_text_file_bytes);
        !problem.empty())
        throw config_error(src.file, 0, 0, "", problem);
    sweep_plan plan;
    plan.sweep_file = sweep_file;
    plan.sweep_text = core::read_file(sweep_file, "read the sweep file");
    YAML::Node root;
    try {
        root = YAML::Load(plan.sweep_text);
    } catch (const YAML::Exception& e) {
        throw config_error(src.file, e.mark.line + 1, e.mark.column + 1, "", "invalid YAML: " + e.msg);
    }
    if (!root || root.IsNull()) throw config_error(src.file, 0, 0, "", "is empty; a sweep needs at least base and grid");
    src.check_keys(root, "", top_keys);

    const auto required = [&](const char* key) {
        if (!root[key]) src.fail(root, "", std::string("has no '") + key + "'; see docs/sweeps.md");
        return root[key];
    };
    plan.name = src.text(required("name"), "name");
    if (!is_plain_name(plan.name))
        src.fail(root["name"], "name", "'" + plan.name + "' cannot name a directory sweeps/NAME; use letters, digits, "
                                       "'.', '_' and '-'");

    // The base, resolved so that genome overrides work whether it names a
    // genome file or not; every point parses over this text.
    const YAML::Node base_node = required("base");
    const fs::path base_file = [&] {
        const fs::path given = src.text(base_node, "base");
        return given.is_absolute() ? given : sweep_file.parent_path() / given;
    }();
    {
        experiment_settings base;
        try {
            base = load_config<experiment_settings>(base_file);
            base.genome = resolve_genome(base, base_file.parent_path());
        } catch (const config_error& e) {
            if (e.line == 0 && e.yaml_path.empty() && !fs::exists(base_file))
                src.fail(base_node, "base", "the base config " + base_file.string() + " does not exist");
            throw;
        }
        base.genome_file.clear();
        plan.base_yaml = to_yaml(base);
    }

    // Fixed overrides, then the axes.
    std::vector<sweep_value> fixed;
    std::map<std::string, YAML::Node> where;  // every path the sweep file sets → its key, for errors
    const auto claim = [&](const YAML::Node& key_node, const std::string& yaml_path) {
        const std::string path = key_node.as<std::string>();
        if (const auto seen = where.find(path); seen != where.end())
            src.fail(key_node, yaml_path,
                     "'" + path + "' is set twice in the sweep file (also at line " +
                         std::to_string(seen->second.Mark().line + 1) + "); give each path once");
        where.emplace(path, key_node);
        return path;
    };
    if (const YAML::Node set = root["set"]) {
        if (!set.IsMap()) src.fail(set, "set", "must be a mapping of config paths to values, e.g. {train.epochs: 3}");
        for (const auto& pair : set) {
            const std::string path = claim(pair.first, "set." + pair.first.as<std::string>());
            fixed.push_back({path, flow_text(pair.second)});
        }
    }
    std::vector<axis> axes;
    if (const YAML::Node grid = root["grid"]) {
        if (!grid.IsMap()) src.fail(grid, "grid", "must be a mapping of config paths to lists of values");
        for (const auto& pair : grid) {
            const std::string yaml_path = "grid." + pair.first.as<std::string>();
            const std::string path = claim(pair.first, yaml_path);
            axis a{{path}, {pair.first}, {}};
            for (std::string& v : value_list(src, pair.second, yaml_path)) a.values.push_back({std::move(v)});
            axes.push_back(std::move(a));
        }
    }
    if (const YAML::Node zip = root["zip"]) {
        if (!zip.IsMap() || zip.size() == 0)
            src.fail(zip, "zip", "must be a mapping of config paths to lists of one length, walked together");
        axis a;
        for (const auto& pair : zip) {
            const std::string yaml_path = "zip." + pair.first.as<std::string>();
            const std::string path = claim(pair.first, yaml_path);
            const std::vector<std::string> values = value_list(src, pair.second, yaml_path);
            if (!a.paths.empty() && values.size() != a.values.size())
                src.fail(pair.second, yaml_path,
                         "has " + std::to_string(values.size()) + " values but " + a.paths.front() + " has " +
                             std::to_string(a.values.size()) + "; zipped lists are walked together, so their lengths "
                                                               "must match");
            a.values.resize(values.size());
            for (std::size_t i = 0; i < values.size(); ++i) a.values[i].push_back(values[i]);
            a.paths.push_back(path);
            a.key_nodes.push_back(pair.first);
        }
        axes.push_back(std::move(a));
    }
    if (const YAML::Node random = root["random"]) {
        src.check_keys(random, "random", random_keys);
        if (!random["points"]) src.fail(random, "random", "has no 'points' (how many draws)");
        if (!random["parameters"]) src.fail(random, "random", "has no 'parameters' to draw");
        const auto points = src.number<std::size_t>(random["points"], "random.points", 1, 1000000);
        const std::uint64_t seed =
            random["seed"] ? src.number<std::uint64_t>(random["seed"], "random.seed", 0,
                                                       std::numeric_limits<std::uint64_t>::max())
                           : 1;
        const YAML::Node params = random["parameters"];
        if (!params.IsMap() || params.size() == 0)
            src.fail(params, "random.parameters", "must map config paths to distributions, e.g. "
                                                  "{train.tau: {uniform: [1, 5]}}");
        axis a;
        a.values.resize(points);
        for (const auto& pair : params) {
            const std::string yaml_path = "random.parameters." + pair.first.as<std::string>();
            const std::string path = claim(pair.first, yaml_path);
            // Each parameter draws from its own stream, keyed by its path, so
            // adding one leaves the others' draws as they were.
            const std::vector<std::string> values =
                draw(src, pair.second, yaml_path, counter_rng(seed, "sweep.random").fork(hash_name(path)), points);
            for (std::size_t i = 0; i < points; ++i) a.values[i].push_back(values[i]);
            a.paths.push_back(path);
            a.key_nodes.push_back(pair.first);
        }
        axes.push_back(std::move(a));
    }
    if (const YAML::Node seeds = root["seeds"]) {
        const YAML::Node key = [&] {
            for (const auto& pair : root)
                if (pair.first.as<std::string>() == "seeds") return pair.first;
            return seeds;
        }();
        if (where.contains("seed"))
            src.fail(seeds, "seeds", "'seed' is also swept at line " + std::to_string(where["seed"].Mark().line + 1) +
                                         "; sweep it in one place");
        axis a{{"seed"}, {key}, {}};
        if (seeds.IsScalar()) {
            const auto n = src.number<std::uint64_t>(seeds, "seeds", 1, 1000000);
            for (std::uint64_t s = 1; s <= n; ++s) a.values.push_back({std::to_string(s)});
        } else {
            (void)value_list(src, seeds, "seeds");  // a non-empty list
            for (std::size_t i = 0; i < seeds.size(); ++i)
                a.values.push_back({std::to_string(src.number<std::uint64_t>(
                    seeds[i], "seeds[" + std::to_string(i) + "]", 0, std::numeric_limits<std::uint64_t>::max()))});
        }
        where.emplace("seed", key);
        axes.push_back(std::move(a));
    }
    if (axes.empty())
        src.fail(root, "", "sweeps nothing: give grid, zip, random or seeds (docs/sweeps.md)");

    std::size_t max_points = default_max_points;
    if (const YAML::Node m = root["max_points"])
        max_points = src.number<std::size_t>(m, "max_points", 1, std::numeric_limits<std::size_t>::max());
    // The count before anything is expanded: a product can overflow.
    std::size_t count = 1;
    for (const axis& a : axes) {
        if (count > std::numeric_limits<std::size_t>::max() / a.values.size()) {
            count = std::numeric_limits<std::size_t>::max();
            break;
        }
        count *= a.values.size();
    }
    if (count > max_points && !options.force) {
        std::string sizes;
        for (const axis& a : axes) sizes += (sizes.empty() ? "" : " × ") + std::to_string(a.values.size());
        throw config_error(src.file, 0, 0, "",
                           "the sweep has " + (count == std::numeric_limits<std::size_t>::max()
                                                   ? std::string("more than 2^64")
                                                   : std::to_string(count)) +
                               " points (" + sizes + "), more than max_points " + std::to_string(max_points) +
                               "; raise max_points in the sweep file or pass --force if that many is meant");
    }

    if (const YAML::Node slurm = root["slurm"]) read_slurm(src, slurm, plan.slurm);
    for (const axis& a : axes) plan.parameters.insert(plan.parameters.end(), a.paths.begin(), a.paths.end());

    // Every path exists in the config and takes its values: tried one at a
    // time first, so an error names the sweep file's line.
    const auto at_key = [&](const config_error& e, const std::string& context) -> config_error {
        if (const auto path = override_path(e); path && where.contains(*path)) {
            const YAML::Node& key = where[*path];
            return {src.file, key.Mark().line + 1, key.Mark().column + 1, *path,
                    (context.empty() ? "" : context + ": ") + e.problem};
        }
        return {src.file, 0, 0, "", (context.empty() ? "" : context + ": ") + e.what()};
    };
    for (const sweep_value& v : fixed) {
        try {
            (void)point_settings(plan.base_yaml, {v.path + "=" + v.value});
        } catch (const config_error& e) {
            throw at_key(e, "");
        }
    }

    std::set<std::string> ids;
    std::vector<std::size_t> step(axes.size(), 0);
    plan.points.reserve(count);
    for (std::size_t index = 0; index < count; ++index) {
        sweep_point p;
        p.index = index;
        p.overrides = fixed;
        for (std::size_t a = 0; a < axes.size(); ++a)
            for (std::size_t k = 0; k < axes[a].paths.size(); ++k) {
                p.overrides.push_back({axes[a].paths[k], axes[a].values[step[a]][k]});
                p.values.push_back(axes[a].values[step[a]][k]);
            }
        std::string canonical;
        for (const std::string& s : p.set_texts()) canonical += s + "\n";
        p.id = hex(hash_text(canonical), 8);
        if (!ids.insert(p.id).second)
            throw config_error(src.file, 0, 0, "",
                               "point " + std::to_string(index) + " repeats an earlier point's values exactly (" +
                                   canonical.substr(0, canonical.size() - 1) + "); list each value once");
        const std::vector<std::string> sets = p.set_texts();
        std::string label = "point " + std::to_string(index);
        for (std::size_t i = fixed.size(); i < sets.size(); ++i) label += (i == fixed.size() ? " (" : ", ") + sets[i];
        label += ")";
        try {
            experiment_settings s = point_settings(plan.base_yaml, sets);
            check_before_loading(s, config_source{base_file, sets, {}});
        } catch (const config_error& e) {
            throw at_key(e, label);
        } catch (const lutra::error& e) {
            throw config_error(src.file, 0, 0, "", label + ": " + e.what());
        }
        plan.points.push_back(std::move(p));
        // The last axis varies fastest.
        for (std::size_t a = axes.size(); a-- > 0;) {
            if (++step[a] < axes[a].values.size()) break;
            step[a] = 0;
        }
    }

    // The hash covers what the points run: the base and every point's overrides, in order.
    std::string everything = plan.base_yaml;
    for (const sweep_point& p : plan.points) {
        everything += "\n# point " + std::to_string(p.index) + "\n";
        for (const std::string& s : p.set_texts()) everything += s + "\n";
    }
    plan.hash = hex(hash_text(everything), 16);
    return plan;
}

std::string point_config_yaml(const sweep_plan& plan, const sweep_point& point) {
    experiment_settings s = point_settings(plan.base_yaml, point.set_texts());
    s.name = plan.name + "-" + point.dir_name();
    return to_yaml(s);
}

fs::path point_dir(const fs::path& sweep_dir, const sweep_point& point) {
    return sweep_dir / "points" / point.dir_name();
}

bool is_sweep_dir(const fs::path& path) { return fs::is_regular_file(path / plan_name); }

namespace {

std::string plan_yaml(const sweep_plan& plan) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Comment("What `lutra sweep` planned; every sweep command reads it. Do not edit.");
    out << YAML::Key << "format" << YAML::Value << plan_format;
    out << YAML::Key << "name" << YAML::Value << plan.name;
    out << YAML::Key << "hash" << YAML::Value << plan.hash;
    out << YAML::Key << "parameters" << YAML::Value << YAML::Flow << plan.parameters;
    out << YAML::Key << "slurm" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "partition" << YAML::Value << plan.slurm.partition;
    out << YAML::Key << "account" << YAML::Value << plan.slurm.account;
    out << YAML::Key << "qos" << YAML::Value << plan.slurm.qos;
    out << YAML::Key << "time" << YAML::Value << plan.slurm.time;
    out << YAML::Key << "mem" << YAML::Value << plan.slurm.mem;
    out << YAML::Key << "cpus_per_task" << YAML::Value << plan.slurm.cpus_per_task;
    out << YAML::Key << "parallel" << YAML::Value << plan.slurm.parallel;
    out << YAML::Key << "signal_seconds" << YAML::Value << plan.slurm.signal_seconds;
    out << YAML::Key << "sbatch" << YAML::Value << YAML::Flow << plan.slurm.sbatch;
    out << YAML::EndMap;
    out << YAML::Key << "points" << YAML::Value << YAML::BeginSeq;
    for (const sweep_point& p : plan.points) {
        out << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "index" << YAML::Value << p.index;
        out << YAML::Key << "id" << YAML::Value << p.id;
        out << YAML::Key << "set" << YAML::Value << YAML::Flow << p.set_texts();
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "base" << YAML::Value << YAML::Literal << plan.base_yaml;
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

std::string overrides_yaml(const sweep_plan& plan, const sweep_point& p) {
    std::string text = "# Point " + std::to_string(p.index) + " of sweep " + plan.name + ": its settings over the base\n";
    for (const sweep_value& v : p.overrides) text += v.path + ": " + v.value + "\n";
    return text;
}

}  // namespace

void create_sweep_dir(const sweep_plan& plan, const fs::path& dir) {
    if (is_sweep_dir(dir)) {
        const sweep_plan existing = open_sweep_dir(dir);
        if (existing.hash != plan.hash)
            throw error(dir.string() + " holds sweep " + existing.name + " of hash " + existing.hash +
                        ", but this sweep file plans hash " + plan.hash +
                        " (its base config, set, values or seeds differ); give another --out, or continue the "
                        "sweep there with `lutra sweep run " + dir.string() + "`");
        return;
    }
    const core::output_state state = core::inspect_output(dir);
    if (state == core::output_state::non_empty_directory || state == core::output_state::not_a_directory)
        throw error(dir.string() + (state == core::output_state::non_empty_directory
                                        ? " is not empty and holds no sweep (no plan.yaml); "
                                        : " exists and is not a directory; ") +
                    "a sweep goes into a new or empty directory: choose another --out or move it away");
    core::directory_publication d(dir, {.replace = false, .mark = false});
    d.write(sweep_copy_name, plan.sweep_text);
    for (const sweep_point& p : plan.points) {
        const fs::path rel = fs::path("points") / p.dir_name();
        d.write(rel / "config.yaml", point_config_yaml(plan, p));
        d.write(rel / "overrides.yaml", overrides_yaml(plan, p));
    }
    // plan.yaml last: it is what makes the directory a sweep.
    d.write(plan_name, plan_yaml(plan));
    d.commit();
}

sweep_plan open_sweep_dir(const fs::path& dir) {
    const fs::path file = dir / plan_name;
    if (!fs::is_regular_file(file))
        throw io_error(dir.string(), "open sweep", "not a sweep directory (it has no plan.yaml); a sweep directory "
                                                   "is made by `lutra sweep run SWEEP.yaml`");
    const auto bad = [&](const std::string& what) -> io_error {
        return {file.string(), "read sweep plan", what + "; the file is written by Lutra and must not be edited"};
    };
    sweep_plan plan;
    try {
        const YAML::Node root = YAML::Load(core::read_file(file, "read sweep plan"));
        if (root["format"].as<int>() != plan_format)
            throw bad("format " + root["format"].as<std::string>() + " is not this Lutra's (" +
                      std::to_string(plan_format) + ")");
        plan.name = root["name"].as<std::string>();
        plan.hash = root["hash"].as<std::string>();
        plan.parameters = root["parameters"].as<std::vector<std::string>>();
        const YAML::Node s = root["slurm"];
        plan.slurm.partition = s["partition"].as<std::string>();
        plan.slurm.account = s["account"].as<std::string>();
        plan.slurm.qos = s["qos"].as<std::string>();
        plan.slurm.time = s["time"].as<std::string>();
        plan.slurm.mem = s["mem"].as<std::string>();
        plan.slurm.cpus_per_task = s["cpus_per_task"].as<unsigned>();
        plan.slurm.parallel = s["parallel"].as<unsigned>();
        plan.slurm.signal_seconds = s["signal_seconds"].as<unsigned>();
        plan.slurm.sbatch = s["sbatch"].as<std::vector<std::string>>();
        plan.base_yaml = root["base"].as<std::string>();
        for (const auto& node : root["points"]) {
            sweep_point p;
            p.index = node["index"].as<std::size_t>();
            p.id = node["id"].as<std::string>();
            for (const std::string& text : node["set"].as<std::vector<std::string>>()) {
                const std::size_t eq = text.find('=');
                if (eq == std::string::npos) throw bad("point " + std::to_string(p.index) + " has a malformed override");
                p.overrides.push_back({text.substr(0, eq), text.substr(eq + 1)});
            }
            if (p.index != plan.points.size() || p.overrides.size() < plan.parameters.size())
                throw bad("point " + std::to_string(p.index) + " is out of order or lacks values");
            for (std::size_t i = p.overrides.size() - plan.parameters.size(); i < p.overrides.size(); ++i)
                p.values.push_back(p.overrides[i].value);
            plan.points.push_back(std::move(p));
        }
    } catch (const YAML::Exception& e) {
        throw bad(std::string("malformed (") + e.what() + ")");
    }
    if (fs::is_regular_file(dir / sweep_copy_name)) plan.sweep_text = core::read_file(dir / sweep_copy_name, "read");
    return plan;
}

std::string describe_plan(const sweep_plan& plan) {
    std::string text = "sweep " + plan.name + " (hash " + plan.hash + "): " + std::to_string(plan.points.size()) +
                       " point" + (plan.points.size() == 1 ? "" : "s") + "\n";
    for (const sweep_point& p : plan.points) {
        text += "  " + p.dir_name() + " ";
        for (std::size_t i = 0; i < plan.parameters.size(); ++i)
            text += " " + plan.parameters[i] + "=" + p.values[i];
        text += "\n";
    }
    return text;
}

}  // namespace lutra::experiments
