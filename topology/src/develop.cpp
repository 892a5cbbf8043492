#include "lutra/topology/develop.hpp"

#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <thread>

#include "lutra/core/random.hpp"
#include "lutra/topology/error.hpp"

namespace lutra::topology {

namespace {

// One input slot's choice, before the graph is built.
struct slot_choice {
    std::uint32_t source = 0;
    std::uint32_t delay = 0;
};

struct grid_size {
    std::uint32_t width;
    std::uint32_t height;
};

grid_size grid_of(const population_gene& p) {
    return p.grid.width == 0 ? grid_size{p.size, 1} : grid_size{p.grid.width, p.grid.height};
}

// What a slot may read: `first` is the vertex of level 0 and `levels` the
// number of consecutive levels (the bits of a pixel with cover_bits, else 1).
struct candidate {
    std::uint32_t first;
    std::uint32_t levels;
};

// A block of sources on a grid: the input (pixels × bits) or a population.
struct source_block {
    std::uint32_t first_vertex;
    grid_size grid;
    std::uint32_t bits;  // levels per grid cell: the input's bits, 1 for a population
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
    std::uint32_t population_index(std::string_view name) const {
        for (std::uint32_t p = 0; p < g_.populations.size(); ++p)
            if (g_.populations[p].name == name) return p;
        throw genome_error("", "no population '" + std::string(name) + "'");  // validate() has excluded this
    }

    source_block block_of(std::string_view source) const {
        if (source == input_name) return {0, {g_.inputs.width, g_.inputs.height}, g_.inputs.bits};
        const std::uint32_t p = population_index(source);
        return {d_.population_first[p], grid_of(g_.populations[p]), 1};
    }

    // What a node of the target may read through projection pr. Random and
    // recurrent projections share one space for all nodes, indexed without
    // being listed; receptive fields and lateral ones list each node's own.
    class candidate_space {
    public:
        [[nodiscard]] std::uint64_t size() const noexcept { return listed_ ? list_.size() : total_; }
        [[nodiscard]] candidate at(std::uint64_t i) const noexcept {
            if (listed_) return list_[i];
            for (const source_block& b : blocks_) {
                const std::uint64_t n = count(b);
                if (i < n) return cover_ ? candidate{b.first_vertex + static_cast<std::uint32_t>(i) * b.bits, b.bits}
                                         : candidate{b.first_vertex + static_cast<std::uint32_t>(i), 1};
                i -= n;
            }
            return {};
        }

    private:
        friend class developer;
        [[nodiscard]] std::uint64_t count(const source_block& b) const noexcept {
            return std::uint64_t{b.grid.width} * b.grid.height * (cover_ ? 1 : b.bits);
        }
        bool listed_ = false;
        bool cover_ = false;
        std::vector<source_block> blocks_;
        std::uint64_t total_ = 0;
        std::vector<candidate> list_;
    };

    candidate_space whole_sources(const projection_gene& pr) const {
        candidate_space space;
        space.cover_ = pr.cover_bits;
        for (const auto& name : pr.sources) {
            space.blocks_.push_back(block_of(name));
            space.total_ += space.count(space.blocks_.back());
        }
        return space;
    }

    // The sources within the radius of node i's centre, in a fixed order.
    void near_sources(const projection_gene& pr, std::uint32_t target, std::uint32_t i, candidate_space& space) const {
        space.listed_ = true;
        std::vector<candidate>& out = space.list_;
        out.clear();
        const grid_size tg = grid_of(g_.populations[target]);
        const double tx = i % tg.width;
        const double ty = i / tg.width;
        const std::vector<std::string> own{pr.target};
        for (const auto& name : pr.rule == "lateral" ? own : pr.sources) {
            const source_block b = block_of(name);
            const double cx = (tx + 0.5) * b.grid.width / tg.width - 0.5;
            const double cy = (ty + 0.5) * b.grid.height / tg.height - 0.5;
            const double r = pr.radius;
            const auto x0 = static_cast<std::int64_t>(std::max(0.0, std::ceil(cx - r)));
            const auto x1 = static_cast<std::int64_t>(std::min<double>(b.grid.width - 1, std::floor(cx + r)));
            const auto y0 = static_cast<std::int64_t>(std::max(0.0, std::ceil(cy - r)));
            const auto y1 = static_cast<std::int64_t>(std::min<double>(b.grid.height - 1, std::floor(cy + r)));
            for (std::int64_t y = y0; y <= y1; ++y)
                for (std::int64_t x = x0; x <= x1; ++x) {
                    const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - cy;
                    if (dx * dx + dy * dy > r * r + 1e-9) continue;
                    const auto cell = static_cast<std::uint32_t>(y * b.grid.width + x);
                    if (pr.rule == "lateral" && cell == i) continue;
                    const std::uint32_t first = b.first_vertex + cell * b.bits;
                    if (pr.cover_bits) {
                        out.push_back({first, b.bits});
                    } else {
                        for (std::uint32_t level = 0; level < b.bits; ++level) out.push_back({first + level, 1});
                    }
                }
        }
    }

    // Fills the slots of projection j for nodes [begin, end) of its target;
    // returns the first node that has too few candidates, or UINT32_MAX.
    std::uint32_t wire_nodes(std::size_t j, std::uint32_t target, std::uint32_t slot_base, std::uint32_t slots,
                             std::uint32_t begin, std::uint32_t end, std::string& problem) {
        const projection_gene& pr = g_.projections[j];
        const population_gene& pop = g_.populations[target];
        const counter_rng wiring = counter_rng(seed_, "develop.wiring").fork(j);
        const counter_rng delays = counter_rng(seed_, "develop.delays").fork(j);
        const bool per_node = pr.rule == "receptive_field" || pr.rule == "lateral";
        candidate_space cand = per_node ? candidate_space{} : whole_sources(pr);
        std::vector<std::uint64_t> picked;
        std::vector<std::uint64_t> pool;
        for (std::uint32_t i = begin; i < end; ++i) {
            if (per_node) near_sources(pr, target, i, cand);
            const std::uint64_t n = cand.size();
            if (n == 0 || (!pr.repeats && n < slots)) {
                problem = "node " + node_name(g_, target, i) + " has " + std::to_string(n) +
                          " candidate sources for " + std::to_string(slots) + " slots" +
                          (pr.rule == "receptive_field" || pr.rule == "lateral"
                               ? " within radius " + std::to_string(pr.radius)
                               : std::string()) +
                          " (widen the radius, add sources, or allow repeats)";
                return i;
            }
            const counter_rng node_rng = wiring.fork(i);
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
                const candidate c = cand.at(picked[s]);
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
        std::vector<std::uint32_t> next_slot(g_.populations.size(), 0);
        for (std::size_t j = 0; j < g_.projections.size(); ++j) {
            const projection_gene& pr = g_.projections[j];
            const std::uint32_t target = population_index(pr.target);
            const std::uint32_t k = g_.populations[target].k;
            const std::uint32_t slots = pr.slots == 0 ? k : pr.slots;
            const std::uint32_t base = next_slot[target];
            next_slot[target] += slots;
            const std::uint32_t size = g_.populations[target].size;
            // Nodes are independent (each has its own random stream), so the
            // split among threads cannot change the result; on failure the
            // lowest failing node is reported, whatever the split.
            const unsigned n_threads = std::max(1U, std::min<unsigned>(threads_, size / 256 + 1));
            std::vector<std::uint32_t> failed(n_threads, UINT32_MAX);
            std::vector<std::string> problems(n_threads);
            auto part = [&](unsigned t) {
                const auto begin = static_cast<std::uint32_t>(std::uint64_t{size} * t / n_threads);
                const auto end = static_cast<std::uint32_t>(std::uint64_t{size} * (t + 1) / n_threads);
                failed[t] = wire_nodes(j, target, base, slots, begin, end, problems[t]);
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

    void make_tables() {
        const counter_rng tables(seed_, "develop.tables");
        for (std::uint32_t p = 0; p < g_.populations.size(); ++p) {
            const population_gene& pop = g_.populations[p];
            const table_init& init = pop.init;
            const std::size_t words = core::table_words(pop.k);
            const std::uint64_t entries = std::uint64_t{1} << pop.k;
            const std::uint64_t mask = pop.k < 6 ? (std::uint64_t{1} << entries) - 1 : ~std::uint64_t{0};
            // The deterministic kinds: one table for the whole population.
            std::vector<std::uint64_t> fixed(words, 0);
            auto entry = [&](std::uint64_t a) {
                const auto ones = static_cast<std::uint32_t>(std::popcount(a));
                if (init.kind == "constant") return init.value;
                if (init.kind == "copy") return (a & 1) != 0;
                if (init.kind == "majority") return ones * 2 > pop.k;
                const std::string& f = init.function;
                const bool all = a == entries - 1, any = a != 0, odd = (ones & 1) != 0;
                if (f == "and") return all;
                if (f == "or") return any;
                if (f == "xor") return odd;
                if (f == "nand") return !all;
                if (f == "nor") return !any;
                return !odd;  // xnor
            };
            if (init.kind != "random")
                for (std::uint64_t a = 0; a < entries; ++a)
                    if (entry(a)) fixed[a / 64] |= std::uint64_t{1} << (a % 64);
            for (std::uint32_t i = 0; i < pop.size; ++i) {
                d_.table_offset.push_back(d_.tables.size());
                if (init.kind != "random") {
                    d_.tables.insert(d_.tables.end(), fixed.begin(), fixed.end());
                    continue;
                }
                const counter_rng rng = tables.fork(p).fork(i);
                for (std::size_t w = 0; w < words; ++w) {
                    std::uint64_t word = 0;
                    if (init.p_one == 0.5) {
                        word = rng.at(w);
                    } else {
                        for (unsigned b = 0; b < 64; ++b)
                            if (rng.uniform(w * 64 + b) < init.p_one) word |= std::uint64_t{1} << b;
                    }
                    d_.tables.push_back(word & mask);
                }
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
            const grid_size grid = grid_of(g_.populations[p]);
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
    return c;
}

}  // namespace lutra::topology
