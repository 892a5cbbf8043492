#include "lutra/topology/genome.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "lutra/core/names.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/topology/error.hpp"
#include "lutra/topology/schema.hpp"
#include "wiring/wiring.hpp"

namespace lutra::topology {
namespace {

// Input bit ids and node ids share one 32-bit space in core::network; these
// bounds keep every id, and every count development multiplies, far inside it.
constexpr std::uint64_t max_input_bits = std::uint64_t{1} << 24;  // exclusive
constexpr std::uint64_t max_nodes = std::uint64_t{1} << 26;       // inclusive, all populations together

// 'name'. Appended piecewise: GCC 12 gives a false -Wrestrict for "'" + std::string(...).
std::string quoted(std::string_view s) {
    std::string q(1, '\'');
    q.append(s);
    q += '\'';
    return q;
}

// The shortest decimal that reads back as d ("0.1", "inf", "nan").
std::string decimal(double d) {
    char buffer[32];
    return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, d).ptr);
}

// A character for a message: 'x' if printable ASCII, else its byte value.
std::string describe_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return quoted(std::string(1, c));
    const char* digits = "0123456789abcdef";
    return std::string("the byte 0x") + digits[u >> 4] + digits[u & 0xF];
}

std::string population_where(std::size_t i, const population_gene& p) {
    std::string where = "populations[" + std::to_string(i) + "]";
    if (!p.name.empty()) where.append(" ").append(quoted(p.name));
    return where;
}

std::string projection_where(std::size_t j) { return "projections[" + std::to_string(j) + "]"; }

bool contains(std::span<const std::string_view> names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void check_inputs(const input_shape& in) {
    const std::uint64_t total = std::uint64_t{in.width} * in.height * in.bits;
    if (total >= max_input_bits)
        throw genome_error(
            "inputs", std::to_string(in.width) + " × " + std::to_string(in.height) + " × " + std::to_string(in.bits) +
                          " = " + std::to_string(total) +
                          " input bits; there must be fewer than 2^24 = " + std::to_string(max_input_bits));
}

void check_population(std::size_t i, const population_gene& p) {
    const std::string where = population_where(i, p);
    if (p.name.empty()) throw genome_error(where + ".name", "a population needs a name");
    if (p.name == input_name)
        throw genome_error(where + ".name", "'input' names the network's input bits; choose another name");
    for (char c : p.name)
        if (!is_name_char(c))
            throw genome_error(where + ".name", "the character " + describe_char(c) +
                                                    " is not allowed; names are made of A-Z, a-z, 0-9, '_' and '-'");
    if (p.grid.width == 0) {
        if (p.grid.height != 1)
            throw genome_error(where + ".layout", "width 0 lays the nodes on one row, so height must be 1, not " +
                                                      std::to_string(p.grid.height));
    } else if (std::uint64_t{p.grid.width} * p.grid.height != p.size) {
        throw genome_error(where + ".layout", std::to_string(p.grid.width) + " × " + std::to_string(p.grid.height) +
                                                  " positions for " + std::to_string(p.size) +
                                                  " nodes; width × height must equal the size (or width 0: one row)");
    }
}

// The smallest delay a projection's slots can get, its "default" resolved.
std::uint32_t min_delay(const delay_distribution& d, const population_gene& target) {
    return d.kind == "default" ? target.delay : d.min;
}

class validator {
public:
    // "populations[1].k" → "populations[1] 'h1'.k", as the other checks name populations.
    [[nodiscard]] std::string with_population_name(const std::string& path) const {
        const std::string prefix = "populations[";
        if (path.rfind(prefix, 0) != 0) return path;
        const std::size_t close = path.find(']');
        const std::size_t i = std::stoul(path.substr(prefix.size(), close - prefix.size()));
        if (i >= g_.populations.size() || g_.populations[i].name.empty()) return path;
        return path.substr(0, close + 1) + " " + quoted(g_.populations[i].name) + path.substr(close + 1);
    }

    explicit validator(const genome& g) : g_(g) {}

    void run() {
        // Every range and choice of the genome's schema (the YAML reader's too) first.
        try {
            core::check_schema(g_);
        } catch (const core::schema_error& e) {
            throw genome_error(with_population_name(e.path), e.problem);
        }
        check_inputs(g_.inputs);
        if (g_.populations.empty()) throw genome_error("populations", "a genome needs at least one population");
        std::uint64_t nodes = 0;
        for (std::size_t i = 0; i < g_.populations.size(); ++i) {
            const population_gene& p = g_.populations[i];
            check_population(i, p);
            const auto [it, fresh] = index_.emplace(p.name, i);
            if (!fresh)
                throw genome_error(population_where(i, p) + ".name",
                                   "the name is already used by populations[" + std::to_string(it->second) + "]");
            names_.push_back(p.name);
            nodes += p.size;
            if (nodes > max_nodes)
                throw genome_error(
                    population_where(i, p) + ".size",
                    "brings the genome to " + std::to_string(nodes) +
                        " nodes; all populations together may have at most 2^26 = " + std::to_string(max_nodes));
        }
        source_names_.push_back(input_name);
        source_names_.insert(source_names_.end(), names_.begin(), names_.end());

        into_.resize(g_.populations.size());
        for (std::size_t j = 0; j < g_.projections.size(); ++j) check_projection(j);
        for (std::size_t i = 0; i < g_.populations.size(); ++i) check_slots(i);
        check_head();
    }

private:
    std::size_t population_index(const std::string& where, std::string_view name) const {
        const auto it = index_.find(std::string(name));
        if (it == index_.end())
            throw genome_error(where, quoted(name) + " is not a population; valid: " + core::join_names(names_) +
                                          core::did_you_mean(name, names_));
        return it->second;
    }

    void check_projection(std::size_t j) {
        const projection_gene& pr = g_.projections[j];
        const std::string where = projection_where(j);
        const std::size_t t = population_index(where + ".target", pr.target);
        const population_gene& target = g_.populations[t];
        into_[t].push_back(j);

        if (pr.sources.empty()) throw genome_error(where + ".sources", "a projection needs at least one source");
        for (std::size_t s = 0; s < pr.sources.size(); ++s) {
            const std::string& source = pr.sources[s];
            const std::string source_where = where + ".sources[" + std::to_string(s) + "]";
            if (!contains(source_names_, source))
                throw genome_error(source_where, quoted(source) + " is neither a population nor 'input'; valid: " +
                                                     core::join_names(source_names_) +
                                                     core::did_you_mean(source, source_names_));
            // A repeated source would silently double its share of the candidates.
            for (std::size_t earlier = 0; earlier < s; ++earlier)
                if (pr.sources[earlier] == source)
                    throw genome_error(source_where, quoted(source) + " is already sources[" + std::to_string(earlier) +
                                                         "]; list each source once");
        }

        const wiring::wiring_rule& rule = wiring::wiring_rule_of(pr);
        if (pr.slots > target.k)
            throw genome_error(where + ".slots", std::to_string(pr.slots) + " is more than the k = " +
                                                     std::to_string(target.k) + " of " + quoted(target.name));
        // Finite even where unused: a NaN would make the genome unequal to itself.
        if (!std::isfinite(pr.radius) || (rule.uses_radius && pr.radius <= 0.0))
            throw genome_error(where + ".radius",
                               decimal(pr.radius) + (rule.uses_radius ? " is not a radius; a " + pr.rule +
                                                                            " projection needs one > 0 and finite"
                                                                      : " is not finite"));
        if (rule.reads_own_target && (pr.sources.size() != 1 || pr.sources[0] != target.name))
            throw genome_error(where + ".sources", "a " + pr.rule + " projection reads its own target: sources must be [" +
                                                       quoted(target.name) + "]");

        const learn_wiring_gene& learn = pr.learn;
        if (!std::isfinite(learn.temperature) || learn.temperature <= 0.0)
            throw genome_error(where + ".learn_wiring.temperature",
                               decimal(learn.temperature) + " is not a temperature; it must be > 0 and finite");
        const std::uint32_t filled = pr.slots == 0 ? target.k : pr.slots;
        if (learn.candidates != 0 && learn.candidates < filled)
            throw genome_error(where + ".learn_wiring.candidates",
                               std::to_string(learn.candidates) + " candidates per node for the " +
                                   std::to_string(filled) + " slots it fills of " + quoted(target.name) +
                                   "; a node's slots read distinct candidates, so give at least " +
                                   std::to_string(filled) + " (0 keeps the wiring fixed)");
        if (learn.candidates != 0 && pr.repeats)
            throw genome_error(where + ".learn_wiring", "learnable wiring reads distinct sources; it cannot be combined "
                                                         "with repeats: true");

        const delay_distribution& d = pr.delay;
        if (d.kind == "uniform" && d.min > d.max)
            throw genome_error(where + ".delay", "uniform delays from " + std::to_string(d.min) + " to " +
                                                     std::to_string(d.max) + "; min must not exceed max");
        if (rule.needs_delay && min_delay(d, target) < 1) {
            const std::string given = d.kind == "default" ? "'default' takes the delay 0 of " + quoted(target.name)
                                                          : d.kind + " delays from 0";
            throw genome_error(
                where + ".delay",
                "a " + pr.rule + " projection needs every delay ≥ 1 (a register in every loop); " + given);
        }
    }

    void check_slots(std::size_t i) {
        const population_gene& p = g_.populations[i];
        const std::vector<std::size_t>& into = into_[i];
        if (into.empty())
            throw genome_error(population_where(i, p),
                               "no projection fills its input slots; add a projection with target " + quoted(p.name));
        if (into.size() == 1 && g_.projections[into[0]].slots == 0) return;  // it fills all k

        std::string list;
        std::uint32_t filled = 0;
        for (std::size_t j : into) {
            if (!list.empty()) list += ", ";
            list += projection_where(j) + ": " + std::to_string(g_.projections[j].slots);
            filled += g_.projections[j].slots;
        }
        for (std::size_t j : into)
            if (g_.projections[j].slots == 0)
                throw genome_error(projection_where(j) + ".slots",
                                   "0 (all of k) is only for a population's only projection; " + quoted(p.name) +
                                       " has " + std::to_string(into.size()) + " (" + list + ")");
        if (filled != p.k)
            throw genome_error(population_where(i, p),
                               "projections into " + quoted(p.name) + " fill " + std::to_string(filled) +
                                   " of its k = " + std::to_string(p.k) + " slots (" + list + ")");
    }

    void check_head() {
        const head_gene& h = g_.head;
        const population_gene& p = g_.populations[population_index("head.population", h.population)];
        if (h.classes < 1) throw genome_error("head.classes", "0 classes; a head needs at least 1");
        const std::string classes = std::to_string(h.classes);
        // Each class gets an equal group of at least one output.
        if (p.size < h.classes)
            throw genome_error("head", quoted(p.name) + " has " + std::to_string(p.size) + " nodes, fewer than the " +
                                           classes + " classes; the head needs at least one output per class: a size "
                                           "that is a multiple of " + classes + " (" + classes + ", " +
                                           std::to_string(2 * std::uint64_t{h.classes}) + ", …) or fewer classes");
        if (p.size % h.classes != 0) {
            const std::uint64_t below = p.size / h.classes * h.classes;
            throw genome_error("head", quoted(p.name) + " has " + std::to_string(p.size) +
                                           " nodes, not a multiple of the " + classes +
                                           " classes (each class gets an equal group); the nearest valid sizes are " +
                                           std::to_string(below) + " and " + std::to_string(below + h.classes));
        }
    }

    const genome& g_;
    std::unordered_map<std::string, std::size_t> index_;  // population name → index
    std::vector<std::string_view> names_;                 // population names, in order
    std::vector<std::string_view> source_names_;          // "input", then the population names
    std::vector<std::vector<std::size_t>> into_;          // per population, the projections into it
};

}  // namespace

const population_gene* genome::find(std::string_view population) const noexcept {
    for (const population_gene& p : populations)
        if (p.name == population) return &p;
    return nullptr;
}

void validate(const genome& g) { validator(g).run(); }

}  // namespace lutra::topology
