#include "lutra/topology/evolution.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "lutra/core/random.hpp"
#include "lutra/topology/error.hpp"
#include "table_init/table_init.hpp"
#include "wiring/wiring.hpp"

namespace lutra::topology {
namespace {

constexpr int point_attempts = 16;  // a drawn site may have no valid alternative; try others
const double default_radius = projection_gene{}.radius;

// 'name'. Appended piecewise: GCC 12 gives a false -Wrestrict for "'" + std::string(...).
std::string quoted(std::string_view s) {
    std::string q(1, '\'');
    q.append(s);
    q += '\'';
    return q;
}

std::string population_where(const genome& g, std::size_t i) {
    return "populations[" + std::to_string(i) + "] " + quoted(g.populations[i].name);
}

std::string projection_where(std::size_t j) { return "projections[" + std::to_string(j) + "]"; }

// The shortest decimal that reads back as d.
std::string decimal(double d) {
    char buffer[32];
    return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, d).ptr);
}

std::string layout_text(const layout& l) {
    return l.width == 0 ? "one row" : std::to_string(l.width) + "×" + std::to_string(l.height);
}

std::string delay_text(const delay_distribution& d) {
    if (d.kind == "default") return "default";
    if (d.kind == "constant") return "constant " + std::to_string(d.min);
    return d.kind + " " + std::to_string(d.min) + ".." + std::to_string(d.max);
}

std::string list_text(std::span<const std::size_t> projections) {
    std::string text;
    for (std::size_t j : projections) text += (text.empty() ? "" : ", ") + projection_where(j);
    return text;
}

bool reads(const projection_gene& pr, std::string_view population) {
    return std::find(pr.sources.begin(), pr.sources.end(), population) != pr.sources.end();
}

std::vector<std::size_t> projections_into(const genome& g, std::string_view population) {
    std::vector<std::size_t> into;
    for (std::size_t j = 0; j < g.projections.size(); ++j)
        if (g.projections[j].target == population) into.push_back(j);
    return into;
}

std::size_t population_index(const genome& g, std::string_view name) {
    for (std::size_t i = 0; i < g.populations.size(); ++i)
        if (g.populations[i].name == name) return i;
    throw internal_error("evolution: no population '" + std::string(name) + "' in a validated genome");
}

evolution_result refused(std::string reason) { return {std::nullopt, std::move(reason), {}}; }

// Operators build valid children by construction; this guard turns any
// child that still fails into a refusal instead of an exception.
evolution_result checked(genome child, std::string change) {
    try {
        validate(child);
    } catch (const genome_error& e) {
        return refused(change + " would give an invalid genome: " + e.what());
    }
    return {std::move(child), {}, std::move(change)};
}

// A uniformly chosen value of `options` other than `current`.
std::string_view other_choice(std::span<const std::string_view> options, std::string_view current, rng_cursor& rng) {
    std::vector<std::string_view> others;
    for (std::string_view o : options)
        if (o != current) others.push_back(o);
    return others[rng.below(others.size())];
}

std::uint32_t min_delay(const delay_distribution& d, const population_gene& target) {
    return d.kind == "default" ? target.delay : d.min;
}

constexpr std::uint32_t max_u32 = UINT32_MAX;

// a + b, stopping at the largest 32-bit value rather than wrapping to 0.
std::uint32_t saturated_sum(std::uint32_t a, std::uint32_t b) { return a > max_u32 - b ? max_u32 : a + b; }

// ---- point mutations: each changes one field of gene `i` and says how, or
// returns "" when that field has no other value that keeps the genome valid.

using point_mutation = std::string (*)(genome&, std::size_t, rng_cursor&);

// The divisors of n in increasing order.
std::vector<std::uint32_t> divisors(std::uint32_t n) {
    std::vector<std::uint32_t> low, high;
    for (std::uint32_t d = 1; std::uint64_t{d} * d <= n; ++d)
        if (n % d == 0) {
            low.push_back(d);
            if (d != n / d) high.push_back(n / d);
        }
    low.insert(low.end(), high.rbegin(), high.rend());
    return low;
}

// The new shape of a grid whose population changes size: the aspect ratio
// kept as well as the divisors of the new size allow (within a factor of 2),
// else one row.
layout reshaped(const layout& old, std::uint32_t old_size, std::uint32_t new_size) {
    if (old.width == 0) return old;
    if (old.height == 1) return {new_size, 1};
    const double ideal = old.height * std::sqrt(static_cast<double>(new_size) / old_size);
    std::uint32_t best = 1;
    double best_ratio = 0;
    auto consider = [&](std::uint32_t h) {
        const double ratio = std::max(h / ideal, ideal / h);
        if (best_ratio == 0 || ratio < best_ratio) {
            best = h;
            best_ratio = ratio;
        }
    };
    for (std::uint32_t h : divisors(new_size)) consider(h);
    if (best_ratio > 2.0) return {0, 1};
    return {new_size / best, best};
}

std::string mutate_size(genome& g, std::size_t i, rng_cursor& rng) {
    population_gene& p = g.populations[i];
    // The head's population grows and shrinks by whole classes.
    const std::uint32_t unit = p.name == g.head.population ? g.head.classes : 1;
    const std::uint32_t groups = p.size / unit;
    std::uint32_t step = 1 + static_cast<std::uint32_t>(rng.below(std::max(1U, groups / 4)));  // up to a quarter
    bool grow = rng.below(2) == 1;
    if (groups <= 1) grow = true;
    if (!grow) step = std::min(step, groups - 1);
    const std::uint32_t old_size = p.size;
    const layout old_grid = p.grid;
    p.size = (grow ? groups + step : groups - step) * unit;
    p.grid = reshaped(old_grid, old_size, p.size);
    std::string change = population_where(g, i) + ".size " + std::to_string(old_size) + " → " + std::to_string(p.size);
    if (!(p.grid == old_grid)) change += ", layout " + layout_text(old_grid) + " → " + layout_text(p.grid);
    return change;
}

std::string mutate_k(genome& g, std::size_t i, rng_cursor& rng) {
    population_gene& p = g.populations[i];
    const std::vector<std::size_t> into = projections_into(g, p.name);
    std::vector<std::size_t> can_give;  // projections that can fill one slot fewer
    for (std::size_t j : into)
        if (g.projections[j].slots >= 2) can_give.push_back(j);
    const bool single = into.size() == 1;
    const bool can_grow = p.k < 16;
    const bool can_shrink = p.k > 1 && (single || !can_give.empty());
    if (!can_grow && !can_shrink) return {};
    const bool grow = can_grow && (!can_shrink || rng.below(2) == 1);
    const std::uint32_t old_k = p.k;
    p.k = grow ? old_k + 1 : old_k - 1;
    std::string change = population_where(g, i) + ".k " + std::to_string(old_k) + " → " + std::to_string(p.k);

    // Keep the slots of the projections into it summing to k.
    std::size_t j = into[0];
    if (!single) {
        const std::vector<std::size_t>& pool = grow ? into : can_give;
        j = pool[rng.below(pool.size())];
    } else if (g.projections[j].slots == 0) {
        return change;  // it fills all k, whatever k is
    }
    projection_gene& pr = g.projections[j];
    const std::uint32_t old_slots = pr.slots;
    pr.slots = grow ? old_slots + 1 : old_slots - 1;
    return change + ", " + projection_where(j) + ".slots " + std::to_string(old_slots) + " → " +
           std::to_string(pr.slots);
}

std::string mutate_layout(genome& g, std::size_t i, rng_cursor& rng) {
    population_gene& p = g.populations[i];
    const bool one_row = p.grid.width == 0 || p.grid.height == 1;
    std::vector<layout> options;
    if (!one_row) options.push_back({0, 1});
    for (std::uint32_t h : divisors(p.size))
        if (h >= 2 && h != p.grid.height) options.push_back({p.size / h, h});
    if (options.empty()) return {};
    const layout old_grid = p.grid;
    p.grid = options[rng.below(options.size())];
    return population_where(g, i) + ".layout " + layout_text(old_grid) + " → " + layout_text(p.grid);
}

std::string mutate_init_kind(genome& g, std::size_t i, rng_cursor& rng) {
    table_init& init = g.populations[i].init;
    const std::string old_kind = init.kind;
    init.kind = other_choice(table_init_kind_names(), old_kind, rng);
    return population_where(g, i) + ".init.kind " + old_kind + " → " + init.kind;
}

std::string mutate_init_value(genome& g, std::size_t i, rng_cursor&) {
    table_init& init = g.populations[i].init;
    init.value = !init.value;
    return population_where(g, i) + ".init.value " + (init.value ? "0 → 1" : "1 → 0");
}

std::string mutate_p_one(genome& g, std::size_t i, rng_cursor& rng) {
    table_init& init = g.populations[i].init;
    const double old_p = init.p_one;
    init.p_one = std::clamp(old_p + (rng.uniform() - 0.5) * 0.2, 0.0, 1.0);
    if (init.p_one == old_p) return {};
    return population_where(g, i) + ".init.p_one " + decimal(old_p) + " → " + decimal(init.p_one);
}

std::string mutate_function(genome& g, std::size_t i, rng_cursor& rng) {
    table_init& init = g.populations[i].init;
    const std::string old_function = init.function;
    init.function = other_choice(table_functions, old_function, rng);
    return population_where(g, i) + ".init.function " + old_function + " → " + init.function;
}

std::string mutate_population_delay(genome& g, std::size_t i, rng_cursor& rng) {
    population_gene& p = g.populations[i];
    const std::uint32_t old_delay = p.delay;
    const bool up = old_delay == 0 || (old_delay < max_u32 && rng.below(2) == 1);
    p.delay = up ? old_delay + 1 : old_delay - 1;
    return population_where(g, i) + ".delay " + std::to_string(old_delay) + " → " + std::to_string(p.delay);
}

std::string mutate_radius(genome& g, std::size_t j, rng_cursor& rng) {
    projection_gene& pr = g.projections[j];
    const double old_radius = pr.radius;
    pr.radius = old_radius * (0.75 + 0.5 * rng.uniform());  // ×0.75..1.25
    return projection_where(j) + ".radius " + decimal(old_radius) + " → " + decimal(pr.radius);
}

// Moves one slot between this projection and another into the same target.
std::string mutate_slots(genome& g, std::size_t j, rng_cursor& rng) {
    std::vector<std::size_t> others = projections_into(g, g.projections[j].target);
    others.erase(std::find(others.begin(), others.end(), j));
    const std::size_t q = others[rng.below(others.size())];
    const bool j_can_give = g.projections[j].slots >= 2;
    const bool q_can_give = g.projections[q].slots >= 2;
    if (!j_can_give && !q_can_give) return {};
    const bool j_gives = j_can_give && (!q_can_give || rng.below(2) == 1);
    projection_gene& giver = g.projections[j_gives ? j : q];
    projection_gene& taker = g.projections[j_gives ? q : j];
    const std::size_t giver_index = j_gives ? j : q;
    const std::size_t taker_index = j_gives ? q : j;
    --giver.slots;
    ++taker.slots;
    return projection_where(giver_index) + ".slots " + std::to_string(giver.slots + 1) + " → " +
           std::to_string(giver.slots) + ", " + projection_where(taker_index) + ".slots " +
           std::to_string(taker.slots - 1) + " → " + std::to_string(taker.slots);
}

// At least one tick on every slot, for rules that close loops.
std::string ensure_delayed(projection_gene& pr, const population_gene& target) {
    if (min_delay(pr.delay, target) >= 1) return {};
    const delay_distribution old = pr.delay;
    if (pr.delay.kind == "uniform") {
        pr.delay.min = 1;
        pr.delay.max = std::max(pr.delay.max, 1U);
    } else {
        pr.delay = {"constant", 1, 1};
    }
    return ", delay " + delay_text(old) + " → " + delay_text(pr.delay);
}

// Switches the rule and makes the new rule's constraints hold (its
// descriptor's, the ones validate() checks): its own target as the only
// source, a radius > 0, every delay ≥ 1.
std::string mutate_rule(genome& g, std::size_t j, rng_cursor& rng) {
    projection_gene& pr = g.projections[j];
    const population_gene& target = g.populations[population_index(g, pr.target)];
    const std::string old_rule = pr.rule;
    pr.rule = other_choice(wiring_rule_names(), old_rule, rng);
    const wiring::wiring_rule& rule = wiring::wiring_rule_of(pr);
    std::string change = projection_where(j) + ".rule " + old_rule + " → " + pr.rule;
    if (rule.reads_own_target && (pr.sources.size() != 1 || pr.sources[0] != pr.target)) {
        pr.sources = {pr.target};
        change += ", sources → [" + quoted(pr.target) + "]";
    }
    if (rule.uses_radius && !(pr.radius > 0)) {
        change += ", radius " + decimal(pr.radius) + " → " + decimal(default_radius);
        pr.radius = default_radius;
    }
    if (rule.needs_delay) change += ensure_delayed(pr, target);
    return change;
}

std::string mutate_delay_kind(genome& g, std::size_t j, rng_cursor& rng) {
    projection_gene& pr = g.projections[j];
    const population_gene& target = g.populations[population_index(g, pr.target)];
    const delay_distribution old = pr.delay;
    const std::uint32_t low = min_delay(old, target);
    const std::string_view kind = other_choice(delay_kinds, old.kind, rng);
    if (kind == "default")
        pr.delay = {"default", 0, 0};
    else if (kind == "constant")
        pr.delay = {"constant", low, low};
    else
        pr.delay = {"uniform", low, saturated_sum(low, 1 + static_cast<std::uint32_t>(rng.below(2)))};
    return projection_where(j) + ".delay " + delay_text(old) + " → " + delay_text(pr.delay);
}

std::string mutate_delay_range(genome& g, std::size_t j, rng_cursor& rng) {
    delay_distribution& d = g.projections[j].delay;
    const delay_distribution old = d;
    const bool up = rng.below(2) == 1;
    if (d.kind == "constant") {
        if (up ? d.min == max_u32 : d.min == 0) return {};
        d.min = up ? d.min + 1 : d.min - 1;
        d.max = d.min;
    } else if (rng.below(2) == 1) {  // uniform: move the low end within 0..max
        if (up ? d.min == d.max : d.min == 0) return {};
        d.min = up ? d.min + 1 : d.min - 1;
    } else {  // or the high end above min
        if (up ? d.max == max_u32 : d.max == d.min) return {};
        d.max = up ? d.max + 1 : d.max - 1;
    }
    return projection_where(j) + ".delay " + delay_text(old) + " → " + delay_text(d);
}

std::string mutate_cover_bits(genome& g, std::size_t j, rng_cursor&) {
    bool& flag = g.projections[j].cover_bits;
    flag = !flag;
    return projection_where(j) + ".cover_bits " + (flag ? "false → true" : "true → false");
}

std::string mutate_repeats(genome& g, std::size_t j, rng_cursor&) {
    bool& flag = g.projections[j].repeats;
    flag = !flag;
    return projection_where(j) + ".repeats " + (flag ? "false → true" : "true → false");
}

struct point_site {
    point_mutation apply;
    std::size_t gene;  // index into populations or projections
    std::string what;  // the field, for messages: "populations[1] 'h1'.size"
};

// Every field a point mutation may change, each once, in gene order.
std::vector<point_site> point_sites(const genome& g) {
    std::vector<point_site> sites;
    for (std::size_t i = 0; i < g.populations.size(); ++i) {
        const population_gene& p = g.populations[i];
        const std::string where = population_where(g, i);
        sites.push_back({mutate_size, i, where + ".size"});
        sites.push_back({mutate_k, i, where + ".k"});
        sites.push_back({mutate_init_kind, i, where + ".init.kind"});
        sites.push_back({mutate_population_delay, i, where + ".delay"});
        if (p.size >= 2) sites.push_back({mutate_layout, i, where + ".layout"});
        const init::table_init_kind& kind = init::table_init_kind_of(p.init);
        if (kind.uses_p_one) sites.push_back({mutate_p_one, i, where + ".init.p_one"});
        if (kind.uses_value) sites.push_back({mutate_init_value, i, where + ".init.value"});
        if (kind.uses_function) sites.push_back({mutate_function, i, where + ".init.function"});
    }
    for (std::size_t j = 0; j < g.projections.size(); ++j) {
        const projection_gene& pr = g.projections[j];
        const std::string where = projection_where(j);
        sites.push_back({mutate_rule, j, where + ".rule"});
        sites.push_back({mutate_delay_kind, j, where + ".delay.kind"});
        sites.push_back({mutate_repeats, j, where + ".repeats"});
        if (wiring::wiring_rule_of(pr).uses_radius) sites.push_back({mutate_radius, j, where + ".radius"});
        if (projections_into(g, pr.target).size() >= 2) sites.push_back({mutate_slots, j, where + ".slots"});
        if (pr.delay.kind != "default") sites.push_back({mutate_delay_range, j, where + ".delay"});
        if (reads(pr, input_name)) sites.push_back({mutate_cover_bits, j, where + ".cover_bits"});
    }
    return sites;
}

// "h1_dup", "h1_dup2", ...: the first free name; copies of copies are
// named after the first original, so names do not grow with every generation.
std::string fresh_name(const genome& g, std::string_view original) {
    std::string_view base = original;
    for (;;) {
        const std::size_t at = base.rfind("_dup");
        if (at == 0 || at == std::string_view::npos ||
            base.find_first_not_of("0123456789", at + 4) != std::string_view::npos)
            break;
        base = base.substr(0, at);
    }
    auto taken = [&](const std::string& name) { return name == input_name || g.find(name) != nullptr; };
    std::string name = std::string(base) + "_dup";
    for (unsigned n = 2; taken(name); ++n) name = std::string(base) + "_dup" + std::to_string(n);
    return name;
}

// Why population i cannot be deleted, or "" when it can.
std::string deletion_obstacle(const genome& g, std::size_t i) {
    const std::string& name = g.populations[i].name;
    if (g.populations.size() == 1) return quoted(name) + " is the only population";
    if (name == g.head.population) return quoted(name) + " is the head population";
    for (std::size_t j = 0; j < g.projections.size(); ++j) {
        const projection_gene& pr = g.projections[j];
        if (pr.target != name && pr.sources.size() == 1 && pr.sources[0] == name)
            return quoted(name) + " is the only source of " + projection_where(j) + " into " + quoted(pr.target);
    }
    return {};
}

}  // namespace

evolution_result mutate_point(const genome& parent, std::uint64_t seed) {
    validate(parent);
    rng_cursor rng(counter_rng(seed, "evolution.mutate_point"));
    const std::vector<point_site> sites = point_sites(parent);
    std::string last;
    for (int attempt = 0; attempt < point_attempts; ++attempt) {
        const point_site& site = sites[rng.below(sites.size())];
        genome child = parent;
        std::string change = site.apply(child, site.gene, rng);
        if (change.empty()) {
            last = site.what + " has no other valid value";
            continue;
        }
        evolution_result result = checked(std::move(child), std::move(change));
        if (result.child) return result;
        last = std::move(result.reason);
    }
    return refused("no valid point mutation in " + std::to_string(point_attempts) + " tries; the last: " + last);
}

evolution_result duplicate_gene(const genome& parent, std::uint64_t seed) {
    validate(parent);
    const counter_rng rng(seed, "evolution.duplicate_gene");
    // A projection that reads only its own target (lateral) gets no copy as a source.
    auto widens = [](const projection_gene& pr) { return !wiring::wiring_rule_of(pr).reads_own_target; };
    std::vector<std::size_t> candidates;  // populations whose copy would feed something
    for (std::size_t i = 0; i < parent.populations.size(); ++i)
        for (const projection_gene& pr : parent.projections)
            if (widens(pr) && reads(pr, parent.populations[i].name)) {
                candidates.push_back(i);
                break;
            }
    if (candidates.empty())
        return refused("no population is read by a non-lateral projection, so a copy of any would feed nothing");

    const std::size_t i = candidates[rng.below(0, candidates.size())];
    const std::string& original = parent.populations[i].name;
    const std::string copy_name = fresh_name(parent, original);
    genome child = parent;
    population_gene copy = parent.populations[i];
    copy.name = copy_name;
    child.populations.insert(child.populations.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::move(copy));

    std::vector<std::size_t> copied;   // parent's projections into the original
    std::vector<std::size_t> widened;  // parent's projections that now also read the copy
    for (std::size_t j = 0; j < parent.projections.size(); ++j) {
        const projection_gene& pr = parent.projections[j];
        if (pr.target == original) copied.push_back(j);
        if (widens(pr) && reads(pr, original)) {
            widened.push_back(j);
            child.projections[j].sources.push_back(copy_name);
        }
    }
    // The copies go right after the last projection into the original.
    std::vector<projection_gene> copies;
    for (std::size_t j : copied) {
        projection_gene pr = parent.projections[j];
        pr.target = copy_name;
        std::replace(pr.sources.begin(), pr.sources.end(), original, copy_name);
        copies.push_back(std::move(pr));
    }
    child.projections.insert(child.projections.begin() + static_cast<std::ptrdiff_t>(copied.back()) + 1, copies.begin(),
                             copies.end());
    return checked(std::move(child), "duplicated " + population_where(parent, i) + " as " + quoted(copy_name) +
                                         " with copies of " + list_text(copied) + "; added as a source to " +
                                         list_text(widened));
}

evolution_result delete_gene(const genome& parent, std::uint64_t seed) {
    validate(parent);
    const counter_rng rng(seed, "evolution.delete_gene");
    std::vector<std::size_t> deletable;
    std::string obstacles;
    for (std::size_t i = 0; i < parent.populations.size(); ++i) {
        const std::string obstacle = deletion_obstacle(parent, i);
        if (obstacle.empty())
            deletable.push_back(i);
        else
            obstacles += (obstacles.empty() ? "" : "; ") + obstacle;
    }
    if (deletable.empty()) return refused("no population can be deleted: " + obstacles);

    const std::size_t i = deletable[rng.below(0, deletable.size())];
    const std::string& name = parent.populations[i].name;
    genome child = parent;
    child.populations.erase(child.populations.begin() + static_cast<std::ptrdiff_t>(i));
    child.projections.clear();
    std::vector<std::size_t> removed;
    std::vector<std::size_t> narrowed;
    for (std::size_t j = 0; j < parent.projections.size(); ++j) {
        projection_gene pr = parent.projections[j];
        if (pr.target == name) {
            removed.push_back(j);
            continue;
        }
        if (reads(pr, name)) {
            narrowed.push_back(j);
            pr.sources.erase(std::find(pr.sources.begin(), pr.sources.end(), name));
        }
        child.projections.push_back(std::move(pr));
    }
    std::string change = "deleted " + population_where(parent, i) + " with " + list_text(removed);
    if (!narrowed.empty()) change += "; removed from the sources of " + list_text(narrowed);
    return checked(std::move(child), std::move(change));
}

evolution_result crossover(const genome& a, const genome& b, std::uint64_t seed) {
    validate(a);
    validate(b);
    rng_cursor rng(counter_rng(seed, "evolution.crossover"));

    // Names in a's order, then those only b has in b's order.
    struct chosen {
        const genome* parent;
        std::size_t index;
    };
    std::vector<chosen> kept;
    std::string from_a, from_b, dropped;
    auto note = [](std::string& list, const std::string& name) { list += (list.empty() ? "" : ", ") + name; };
    auto consider = [&](const genome& own, std::size_t i, const genome& other) {
        const std::string& name = own.populations[i].name;
        const population_gene* there = other.find(name);
        const bool coin = rng.below(2) == 1;
        if (there) {
            const genome& parent = coin ? b : a;
            kept.push_back({&parent, population_index(parent, name)});
            note(&parent == &a ? from_a : from_b, name);
        } else if (coin || name == a.head.population) {
            kept.push_back({&own, i});
            note(&own == &a ? from_a : from_b, name);
        } else {
            note(dropped, name);
        }
    };
    for (std::size_t i = 0; i < a.populations.size(); ++i) consider(a, i, b);
    for (std::size_t i = 0; i < b.populations.size(); ++i)
        if (!a.find(b.populations[i].name)) consider(b, i, a);

    genome child;
    child.inputs = a.inputs;
    child.head = a.head;
    std::set<std::string_view> names;
    for (const chosen& c : kept) {
        child.populations.push_back(c.parent->populations[c.index]);
        names.insert(c.parent->populations[c.index].name);
    }
    std::string cut;  // sources dropped from kept projections
    for (const chosen& c : kept) {
        const std::string& name = c.parent->populations[c.index].name;
        for (const projection_gene& source_projection : c.parent->projections) {
            if (source_projection.target != name) continue;
            projection_gene pr = source_projection;
            std::erase_if(pr.sources, [&](const std::string& s) {
                const bool gone = s != input_name && !names.contains(s);
                if (gone) note(cut, quoted(s) + " from a projection into " + quoted(name));
                return gone;
            });
            if (pr.sources.empty())
                return refused("a projection into " + quoted(name) + " (from " + (c.parent == &a ? "a" : "b") +
                               ") reads only populations that were not kept (" + dropped + ")");
            child.projections.push_back(std::move(pr));
        }
    }
    std::string change =
        "populations from a: " + (from_a.empty() ? "none" : from_a) + "; from b: " + (from_b.empty() ? "none" : from_b);
    if (!dropped.empty()) change += "; not kept: " + dropped;
    if (!cut.empty()) change += "; sources dropped: " + cut;
    return checked(std::move(child), std::move(change));
}

evolution_result mutate(const genome& parent, std::uint64_t seed) {
    const counter_rng rng(seed, "evolution.mutate");
    struct unary {
        const char* name;
        evolution_result (*apply)(const genome&, std::uint64_t);
    };
    static constexpr unary operators[] = {
        {"mutate_point", mutate_point}, {"duplicate_gene", duplicate_gene}, {"delete_gene", delete_gene}};
    const unary& op = operators[rng.below(0, std::size(operators))];
    evolution_result result = op.apply(parent, seed);
    if (!result.child) result.reason = std::string(op.name) + ": " + result.reason;
    return result;
}

}  // namespace lutra::topology
