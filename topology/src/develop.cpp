#include "lutra/topology/develop.hpp"

#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <deque>
#include <map>
#include <thread>

#include "candidates.hpp"
#include "lutra/core/random.hpp"
#include "lutra/topology/error.hpp"
#include "table_init/table_init.hpp"
#include "wiring/wiring.hpp"

namespace lutra::topology {

namespace {

// One input slot's choice, before the graph is built.
struct slot_choice {
    std::uint32_t source = 0;
    std::uint32_t delay = 0;
};

// Boost's filtered_graph wants a default-constructible, assignable predicate.
struct zero_delay_edges {
    const wiring_graph* graph = nullptr;
    bool operator()(const wiring_graph::edge_descriptor& e) const { return (*graph)[e].delay == 0; }
};

std::string node_name(const genome& g, std::uint32_t population, std::uint32_t index) {
    return g.populations[population].name + "[" + std::to_string(index) + "]";
}

std::string projection_where(const genome& g, std::size_t j) {
    return "projections[" + std::to_string(j) + "] (" + g.projections[j].rule + " into '" + g.projections[j].target +
           "')";
}

class developer {
public:
    developer(const genome& g, std::uint64_t seed, unsigned threads) : g_(g), seed_(seed), threads_(threads) {
        d_.num_inputs = g.num_input_bits();
        d_.population_first.push_back(d_.num_inputs);
        for (const auto& p : g.populations) d_.population_first.push_back(d_.population_first.back() + p.size);
        node_slot_first_.push_back(0);
        for (std::uint32_t p = 0; p < g.populations.size(); ++p)
            for (std::uint32_t i = 0; i < g.populations[p].size; ++i)
                node_slot_first_.push_back(node_slot_first_.back() + g.populations[p].k);
        choices_.resize(node_slot_first_.back());
    }

    developed_graph run() {
        wire();
        make_tables();
        build_graph();
        order_levels();
        hash();
        warn();
        return std::move(d_);
    }

private:
    // Fills the slots of projection j for nodes [begin, end) of its target;
    // returns the first node that has too few candidates, or UINT32_MAX.
    std::uint32_t wire_nodes(std::size_t j, const wiring::wiring_context& context, const wiring::wiring_rule& rule,
                             wiring::slot_range range, std::uint32_t begin, std::uint32_t end, std::string& problem) {
        const projection_gene& pr = context.projection;
        const std::uint32_t target = context.target;
        const population_gene& pop = g_.populations[target];
        const std::uint32_t slot_base = range.first;
        const std::uint32_t slots = range.count;
        const counter_rng wiring_rng = counter_rng(seed_, "develop.wiring").fork(j);
        const counter_rng delays = counter_rng(seed_, "develop.delays").fork(j);
        wiring::candidate_space cand;
        if (!rule.per_node) rule.candidates(context, 0, cand);
        std::vector<std::uint64_t> picked;
        std::vector<std::uint64_t> pool;
        for (std::uint32_t i = begin; i < end; ++i) {
            if (rule.per_node) {
                cand.clear();
                rule.candidates(context, i, cand);
            }
            const std::uint64_t n = cand.size();
            if (n == 0 || (!pr.repeats && n < slots)) {
                problem = "node " + node_name(g_, target, i) + " has " + std::to_string(n) +
                          " candidate sources for " + std::to_string(slots) + " slots" +
                          (rule.uses_radius ? " within radius " + std::to_string(pr.radius) : std::string()) +
                          " (widen the radius, add sources, or allow repeats)";
                return i;
            }
            const counter_rng node_rng = wiring_rng.fork(i);
            picked.clear();
            std::uint64_t draw = 0;
            if (pr.repeats) {
                for (std::uint32_t s = 0; s < slots; ++s) picked.push_back(node_rng.below(draw++, n));
            } else if (n >= 2 * std::uint64_t{slots}) {
                // Few slots among many candidates: redraw the rare repeats.
                while (picked.size() < slots) {
                    const std::uint64_t c = node_rng.below(draw++, n);
                    if (std::find(picked.begin(), picked.end(), c) == picked.end()) picked.push_back(c);
                }
            } else {
                // Nearly all candidates: a partial Fisher–Yates shuffle.
                pool.resize(n);
                for (std::uint64_t c = 0; c < n; ++c) pool[c] = c;
                for (std::uint32_t s = 0; s < slots; ++s) {
                    const std::uint64_t r = s + node_rng.below(draw++, n - s);
                    std::swap(pool[s], pool[r]);
                    picked.push_back(pool[s]);
                }
            }
            const counter_rng delay_rng = delays.fork(i);
            const std::size_t node = d_.population_first[target] - d_.num_inputs + i;
            for (std::uint32_t s = 0; s < slots; ++s) {
                const wiring::candidate c = cand.at(picked[s]);
                slot_choice& choice = choices_[node_slot_first_[node] + slot_base + s];
                choice.source = c.first + (slot_base + s) % c.levels;
                choice.delay = pick_delay(pr, pop, delay_rng, s);
            }
        }
        return UINT32_MAX;
    }

    static std::uint32_t pick_delay(const projection_gene& pr, const population_gene& target, const counter_rng& rng,
                                    std::uint32_t slot) {
        const delay_distribution& dd = pr.delay;
        if (dd.kind == "constant") return dd.min;
        if (dd.kind == "uniform") return dd.min + static_cast<std::uint32_t>(rng.below(slot, std::uint64_t{dd.max} - dd.min + 1));
        return target.delay;
    }

    void wire() {
        const std::vector<wiring::slot_range> ranges = wiring::slot_ranges(g_);
        for (std::size_t j = 0; j < g_.projections.size(); ++j) {
            const wiring::wiring_context context = wiring::context_of(g_, d_.population_first, j);
            const wiring::wiring_rule& rule = wiring::wiring_rule_of(context.projection);
            const std::uint32_t size = g_.populations[context.target].size;
            // Nodes are independent (each has its own random stream), so the
            // split among threads cannot change the result; on failure the
            // lowest failing node is reported, whatever the split.
            const unsigned n_threads = std::max(1U, std::min<unsigned>(threads_, size / 256 + 1));
            std::vector<std::uint32_t> failed(n_threads, UINT32_MAX);
            std::vector<std::string> problems(n_threads);
            auto part = [&](unsigned t) {
                const auto begin = static_cast<std::uint32_t>(std::uint64_t{size} * t / n_threads);
                const auto end = static_cast<std::uint32_t>(std::uint64_t{size} * (t + 1) / n_threads);
                failed[t] = wire_nodes(j, context, rule, ranges[j], begin, end, problems[t]);
            };
            if (n_threads == 1) {
                part(0);
            } else {
                std::vector<std::jthread> pool;
                for (unsigned t = 0; t < n_threads; ++t) pool.emplace_back(part, t);
            }
            for (unsigned t = 0; t < n_threads; ++t)
                if (failed[t] != UINT32_MAX) throw genome_error(projection_where(g_, j), problems[t]);
        }
    }

    // Deterministic kinds fill one table per population and copy it; the
    // others fill each node's from its own stream.
    void make_tables() {
        const counter_rng tables(seed_, "develop.tables");
        for (std::uint32_t p = 0; p < g_.populations.size(); ++p) {
            const population_gene& pop = g_.populations[p];
            const init::table_init_kind& kind = init::table_init_kind_of(pop.init);
            const std::size_t words = core::table_words(pop.k);
            const std::uint64_t entries = std::uint64_t{1} << pop.k;
            const std::uint64_t mask = pop.k < 6 ? (std::uint64_t{1} << entries) - 1 : ~std::uint64_t{0};
            std::vector<std::uint64_t> fixed;
            if (kind.same_for_every_node) {
                fixed.assign(words, 0);
                kind.fill(pop.init, pop.k, tables.fork(p), fixed);
                for (std::uint64_t& word : fixed) word &= mask;
            }
            for (std::uint32_t i = 0; i < pop.size; ++i) {
                const std::size_t first = d_.tables.size();
                d_.table_offset.push_back(first);
                if (kind.same_for_every_node) {
                    d_.tables.insert(d_.tables.end(), fixed.begin(), fixed.end());
                    continue;
                }
                d_.tables.resize(first + words, 0);
                const std::span<std::uint64_t> table(d_.tables.data() + first, words);
                kind.fill(pop.init, pop.k, tables.fork(p).fork(i), table);
                for (std::uint64_t& word : table) word &= mask;
            }
        }
    }

    void build_graph() {
        wiring_graph& graph = d_.graph;
        const std::uint32_t total = d_.population_first.back();
        graph = wiring_graph(total);
        for (std::uint32_t v = 0; v < d_.num_inputs; ++v) {
            const std::uint32_t pixel = v / g_.inputs.bits;
            graph[v] = {no_population, v, static_cast<float>(pixel % g_.inputs.width),
                        static_cast<float>(pixel / g_.inputs.width), static_cast<std::uint16_t>(v % g_.inputs.bits)};
        }
        for (std::uint32_t p = 0; p < g_.populations.size(); ++p) {
            const wiring::grid_size grid = wiring::grid_of(g_.populations[p]);
            for (std::uint32_t i = 0; i < g_.populations[p].size; ++i)
                graph[d_.population_first[p] + i] = {p, i, static_cast<float>(i % grid.width),
                                                     static_cast<float>(i / grid.width), 0};
        }
        for (std::uint32_t node = 0; node + d_.num_inputs < total; ++node)
            for (std::size_t s = node_slot_first_[node]; s < node_slot_first_[node + 1]; ++s)
                boost::add_edge(choices_[s].source, node + d_.num_inputs,
                                edge_info{static_cast<std::uint32_t>(s - node_slot_first_[node]), choices_[s].delay},
                                graph);
    }

    // Levels from Boost's topological sort of the zero-delay subgraph; a
    // cycle there is reported with the nodes on it.
    void order_levels() {
        const wiring_graph& graph = d_.graph;
        const boost::filtered_graph<wiring_graph, zero_delay_edges> combinational(graph, zero_delay_edges{&graph});
        std::vector<wiring_graph::vertex_descriptor> reverse_order;
        try {
            boost::topological_sort(combinational, std::back_inserter(reverse_order));
        } catch (const boost::not_a_dag&) {
            throw genome_error("", "zero-delay cycle " + find_cycle() +
                                       "; every cycle needs a slot with delay ≥ 1 (a register)");
        }
        std::vector<std::uint32_t> level(boost::num_vertices(graph), 0);
        for (auto it = reverse_order.rbegin(); it != reverse_order.rend(); ++it) {
            const auto v = *it;
            if (v < d_.num_inputs) continue;
            std::uint32_t l = 1;
            for (const auto e : boost::make_iterator_range(boost::in_edges(v, graph)))
                if (graph[e].delay == 0) l = std::max(l, level[boost::source(e, graph)] + 1);
            level[v] = l;
        }
        d_.level.assign(level.begin() + d_.num_inputs, level.end());
    }

    // Walks zero-delay in-edges among nodes that can reach themselves until a
    // vertex repeats; Kahn's peeling leaves exactly the nodes on or behind cycles.
    std::string find_cycle() const {
        const wiring_graph& graph = d_.graph;
        const std::size_t n = boost::num_vertices(graph);
        std::vector<std::uint32_t> pending(n, 0);
        for (std::size_t v = 0; v < n; ++v)
            for (const auto e : boost::make_iterator_range(boost::in_edges(v, graph)))
                if (graph[e].delay == 0) ++pending[v];
        std::deque<std::size_t> ready;
        for (std::size_t v = 0; v < n; ++v)
            if (pending[v] == 0) ready.push_back(v);
        while (!ready.empty()) {
            const std::size_t v = ready.front();
            ready.pop_front();
            for (const auto e : boost::make_iterator_range(boost::out_edges(v, graph)))
                if (graph[e].delay == 0 && --pending[boost::target(e, graph)] == 0)
                    ready.push_back(boost::target(e, graph));
        }
        std::size_t v = 0;
        while (pending[v] == 0) ++v;
        std::map<std::size_t, std::size_t> seen;  // vertex → position on the walk
        std::vector<std::size_t> walk;
        while (!seen.contains(v)) {
            seen[v] = walk.size();
            walk.push_back(v);
            for (const auto e : boost::make_iterator_range(boost::in_edges(v, graph)))
                if (graph[e].delay == 0 && pending[boost::source(e, graph)] != 0) {
                    v = boost::source(e, graph);
                    break;
                }
        }
        // The walk follows edges backwards; print the cycle forwards.
        std::string text;
        for (std::size_t i = walk.size(); i-- > seen[v];)
            text += node_name(g_, graph[walk[i]].population, graph[walk[i]].index) + " → ";
        return text + node_name(g_, graph[walk.back()].population, graph[walk.back()].index);
    }

    void hash() {
        std::uint64_t h = mix64(d_.num_inputs);
        auto add = [&h](std::uint64_t v) { h = mix64(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2))); };
        add(g_.populations.size());
        for (std::uint32_t node = 0; node < d_.num_nodes(); ++node) {
            add(node_slot_first_[node + 1] - node_slot_first_[node]);
            for (std::size_t s = node_slot_first_[node]; s < node_slot_first_[node + 1]; ++s) {
                add(choices_[s].source);
                add(choices_[s].delay);
            }
        }
        for (std::uint64_t word : d_.tables) add(word);
        // Learnable projections: their pools are drawn from this hash, so
        // their settings join it (a genome without any keeps its old hash).
        for (std::size_t j = 0; j < g_.projections.size(); ++j)
            if (const learn_wiring_gene& l = g_.projections[j].learn; l.candidates > 0) {
                add(j);
                add(l.candidates);
                add(std::bit_cast<std::uint64_t>(l.temperature));
            }
        d_.hash = h;
    }

    void warn() {
        const graph_statistics stats = statistics(g_, d_);
        if (stats.dead_nodes > 0)
            d_.warnings.push_back(std::to_string(stats.dead_nodes) + " of " + std::to_string(d_.num_nodes()) +
                                  " nodes reach no head output (dead)");
        if (stats.inputs_read < d_.num_inputs)
            d_.warnings.push_back(std::to_string(d_.num_inputs - stats.inputs_read) + " of " +
                                  std::to_string(d_.num_inputs) + " input bits are read by no node");
    }

    const genome& g_;
    std::uint64_t seed_;
    unsigned threads_;
    developed_graph d_;
    std::vector<std::size_t> node_slot_first_;  // per node, into choices_; plus one past the end
    std::vector<slot_choice> choices_;
};

std::vector<histogram_bin> histogram(const std::vector<std::uint32_t>& values) {
    std::map<std::uint32_t, std::uint64_t> counts;
    for (auto v : values) ++counts[v];
    std::vector<histogram_bin> bins;
    for (const auto& [value, count] : counts) bins.push_back({value, count});
    return bins;
}

}  // namespace

developed_graph develop(const genome& g, std::uint64_t seed, develop_options options) {
    validate(g);
    return developer(g, seed, std::max(1U, options.threads)).run();
}

std::string hash_hex(std::uint64_t hash) {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return text;
}

graph_statistics statistics(const genome& g, const developed_graph& d) {
    const wiring_graph& graph = d.graph;
    graph_statistics s;
    s.depth = d.level.empty() ? 0 : *std::max_element(d.level.begin(), d.level.end());
    s.edges = boost::num_edges(graph);
    for (const auto e : boost::make_iterator_range(boost::edges(graph)))
        if (graph[e].delay != 0) ++s.delayed_edges;
    std::vector<std::uint32_t> fan_in, fan_out, input_fan_out;
    for (std::uint32_t v = 0; v < boost::num_vertices(graph); ++v) {
        const auto out = static_cast<std::uint32_t>(boost::out_degree(v, graph));
        if (v < d.num_inputs) {
            input_fan_out.push_back(out);
            if (out > 0) ++s.inputs_read;
        } else {
            fan_in.push_back(static_cast<std::uint32_t>(boost::in_degree(v, graph)));
            fan_out.push_back(out);
        }
    }
    s.fan_in = histogram(fan_in);
    s.fan_out = histogram(fan_out);
    s.input_fan_out = histogram(input_fan_out);
    s.input_coverage = d.num_inputs ? static_cast<double>(s.inputs_read) / d.num_inputs : 0.0;

    // Dead: no path, through any edge, from the node to a head output.
    std::vector<char> alive(boost::num_vertices(graph), 0);
    std::vector<std::uint32_t> stack;
    for (std::uint32_t p = 0; p < g.populations.size(); ++p)
        if (g.populations[p].name == g.head.population)
            for (std::uint32_t v = d.population_first[p]; v < d.population_first[p + 1]; ++v) {
                alive[v] = 1;
                stack.push_back(v);
            }
    while (!stack.empty()) {
        const std::uint32_t v = stack.back();
        stack.pop_back();
        for (const auto e : boost::make_iterator_range(boost::in_edges(v, graph))) {
            const auto u = static_cast<std::uint32_t>(boost::source(e, graph));
            if (!alive[u]) {
                alive[u] = 1;
                stack.push_back(u);
            }
        }
    }
    for (std::uint32_t v = d.num_inputs; v < alive.size(); ++v)
        if (!alive[v]) ++s.dead_nodes;
    return s;
}

compiled_network compile(const genome& g, const developed_graph& d) {
    const wiring_graph& graph = d.graph;
    const std::uint32_t n = d.num_nodes();
    std::vector<std::uint32_t> order(n);
    for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return d.level[a] < d.level[b]; });
    std::vector<std::uint32_t> node_of(n);  // graph node (vertex − inputs) → network node
    for (std::uint32_t i = 0; i < n; ++i) node_of[order[i]] = i;

    compiled_network c;
    core::network_arrays a;
    a.num_inputs = d.num_inputs;
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t v = order[i] + d.num_inputs;
        const auto k = static_cast<std::uint32_t>(boost::in_degree(v, graph));
        a.k.push_back(static_cast<std::uint8_t>(k));
        const std::size_t first = a.sources.size();
        a.sources.resize(first + k);
        a.delays.resize(first + k);
        for (const auto e : boost::make_iterator_range(boost::in_edges(v, graph))) {
            const auto u = static_cast<std::uint32_t>(boost::source(e, graph));
            a.sources[first + graph[e].slot] = u < d.num_inputs ? u : d.num_inputs + node_of[u - d.num_inputs];
            a.delays[first + graph[e].slot] = graph[e].delay;
        }
        const std::size_t words = core::table_words(k);
        a.tables.insert(a.tables.end(), d.tables.begin() + static_cast<std::ptrdiff_t>(d.table_offset[order[i]]),
                        d.tables.begin() + static_cast<std::ptrdiff_t>(d.table_offset[order[i]] + words));
        c.node_vertex.push_back(v);
    }
    for (std::uint32_t p = 0; p < g.populations.size(); ++p) {
        core::population pn{g.populations[p].name, {}};
        for (std::uint32_t v = d.population_first[p]; v < d.population_first[p + 1]; ++v)
            pn.nodes.push_back(node_of[v - d.num_inputs]);
        if (pn.name == g.head.population) {
            a.head.num_classes = g.head.classes;
            a.head.outputs = pn.nodes;
        }
        c.populations.push_back(std::move(pn));
    }
    c.net = core::network(std::move(a));
    c.candidates = compile_candidates(g, d, order, node_of);
    return c;
}

}  // namespace lutra::topology
