// A slot's candidates are what its projection's wiring rule listed for its
// node (the same generator development draws from): candidate c gives slot
// s the vertex c.first + s mod c.levels. Lists are interned by content, so
// the slots of a `random` projection share one list, and so do the slots of
// a receptive field that read the same bit level.
#include "candidates.hpp"

#include <algorithm>
#include <boost/range/iterator_range.hpp>
#include <unordered_map>
#include <vector>

#include "lutra/core/random.hpp"
#include "wiring/wiring.hpp"

// Learnable projections (projection_gene::learn) give each node one list of
// its own, its pool: the sources it drew for the projection's slots, in slot
// order, then further sources its rule proposes for any of these slots,
// drawn without repeats (a partial Fisher–Yates shuffle keyed by
// development's hash, projection and node), up to learn.candidates.

namespace lutra::topology {

namespace {

class list_store {
public:
    // The id of a list equal to `list`, stored now if it is new.
    std::uint32_t intern(const std::vector<std::uint32_t>& list) {
        std::uint64_t h = mix64(list.size());
        for (std::uint32_t v : list) h = mix64(h ^ v);
        const auto [lo, hi] = index_.equal_range(h);
        for (auto it = lo; it != hi; ++it) {
            const std::uint32_t id = it->second;
            if (std::equal(list.begin(), list.end(), c_.sources.begin() + static_cast<std::ptrdiff_t>(c_.list_offset[id]),
                           c_.sources.begin() + static_cast<std::ptrdiff_t>(c_.list_offset[id + 1])))
                return id;
        }
        const std::uint32_t id = add(list, 0.0F);
        index_.emplace(h, id);
        return id;
    }
    // A list of its own: a learnable node's pool, with its temperature.
    std::uint32_t add(const std::vector<std::uint32_t>& list, float temperature) {
        const auto id = static_cast<std::uint32_t>(c_.list_offset.size() - 1);
        c_.sources.insert(c_.sources.end(), list.begin(), list.end());
        c_.list_offset.push_back(c_.sources.size());
        c_.learn_temperature.push_back(temperature);
        learnable_ = learnable_ || temperature > 0.0F;
        return id;
    }
    core::candidate_sources& lists() noexcept {
        if (!learnable_) c_.learn_temperature.clear();
        return c_;
    }
private:
    bool learnable_ = false;
    core::candidate_sources c_{.slot_list = {}, .list_offset = {0}, .sources = {}};
    std::unordered_multimap<std::uint64_t, std::uint32_t> index_;  // content hash → list id
};

void add_pools(const genome& g, const developed_graph& d, std::size_t j, wiring::slot_range range,
               const wiring::wiring_rule& rule, const wiring::wiring_context& context, list_store& store,
               std::vector<std::uint32_t>& graph_slot_list, const std::vector<std::uint64_t>& node_slot_first) {
    const projection_gene& pr = g.projections[j];
    const std::uint32_t first_vertex = d.population_first[context.target];
    const std::uint32_t first_node = first_vertex - d.num_inputs;
    const std::uint32_t size = g.populations[context.target].size;
    const counter_rng rng = counter_rng(d.hash, "develop.learn_wiring").fork(j);
    wiring::candidate_space space;
    std::vector<std::uint32_t> proposals, pool;
    for (std::uint32_t i = 0; i < size; ++i) {
        if (rule.per_node || i == 0) {
            space.clear();
            rule.candidates(context, i, space);
            proposals.clear();
            for (std::uint32_t s = 0; s < range.count; ++s)
                for (std::uint64_t c = 0; c < space.size(); ++c) {
                    const wiring::candidate cand = space.at(c);
                    proposals.push_back(cand.first + (range.first + s) % cand.levels);
                }
            std::sort(proposals.begin(), proposals.end());
            proposals.erase(std::unique(proposals.begin(), proposals.end()), proposals.end());
        }
        pool.assign(range.count, 0);
        for (const auto e : boost::make_iterator_range(boost::in_edges(first_vertex + i, d.graph))) {
            const std::uint32_t slot = d.graph[e].slot;
            if (slot >= range.first && slot < range.first + range.count)
                pool[slot - range.first] = static_cast<std::uint32_t>(boost::source(e, d.graph));
        }
        // The drawn sources first, then a shuffle of the other proposals.
        std::vector<std::uint32_t> rest;
        rest.reserve(proposals.size());
        for (const std::uint32_t p : proposals)
            if (std::find(pool.begin(), pool.end(), p) == pool.end()) rest.push_back(p);
        const counter_rng node_rng = rng.fork(i);
        const std::size_t extra = std::min<std::size_t>(rest.size(), pr.learn.candidates - range.count);
        for (std::size_t t = 0; t < extra; ++t) {
            std::swap(rest[t], rest[t + node_rng.below(t, rest.size() - t)]);
            pool.push_back(rest[t]);
        }
        const std::uint32_t id = store.add(pool, static_cast<float>(pr.learn.temperature));
        for (std::uint32_t s = 0; s < range.count; ++s)
            graph_slot_list[node_slot_first[first_node + i] + range.first + s] = id;
    }
}

}  // namespace

core::candidate_sources compile_candidates(const genome& g, const developed_graph& d,
                                           std::span<const std::uint32_t> order,
                                           std::span<const std::uint32_t> node_of) {
    // Slots in graph order: node-major, nodes by vertex.
    std::vector<std::uint64_t> node_slot_first{0};
    for (const population_gene& p : g.populations)
        for (std::uint32_t i = 0; i < p.size; ++i) node_slot_first.push_back(node_slot_first.back() + p.k);
    std::vector<std::uint32_t> graph_slot_list(node_slot_first.back());

    list_store store;
    const std::vector<wiring::slot_range> ranges = wiring::slot_ranges(g);
    wiring::candidate_space space;
    std::vector<std::uint32_t> list;
    for (std::size_t j = 0; j < g.projections.size(); ++j) {
        const wiring::wiring_context context = wiring::context_of(g, d.population_first, j);
        const wiring::wiring_rule& rule = wiring::wiring_rule_of(context.projection);
        const wiring::slot_range range = ranges[j];
        const std::uint32_t first_node = d.population_first[context.target] - d.num_inputs;
        const std::uint32_t size = g.populations[context.target].size;
        auto list_for = [&](std::uint32_t slot) {
            list.clear();
            for (std::uint64_t c = 0; c < space.size(); ++c) {
                const wiring::candidate cand = space.at(c);
                list.push_back(cand.first + slot % cand.levels);
            }
            return store.intern(list);
        };
        if (context.projection.learn.candidates > 0) {
            add_pools(g, d, j, range, rule, context, store, graph_slot_list, node_slot_first);
            continue;
        }
        if (!rule.per_node) {
            space.clear();
            rule.candidates(context, 0, space);
            std::vector<std::uint32_t> ids;
            for (std::uint32_t s = 0; s < range.count; ++s) ids.push_back(list_for(range.first + s));
            for (std::uint32_t i = 0; i < size; ++i)
                std::copy(ids.begin(), ids.end(),
                          graph_slot_list.begin() +
                              static_cast<std::ptrdiff_t>(node_slot_first[first_node + i] + range.first));
            continue;
        }
        for (std::uint32_t i = 0; i < size; ++i) {
            space.clear();
            rule.candidates(context, i, space);
            for (std::uint32_t s = 0; s < range.count; ++s)
                graph_slot_list[node_slot_first[first_node + i] + range.first + s] = list_for(range.first + s);
        }
    }

    core::candidate_sources c = std::move(store.lists());
    for (std::uint32_t& u : c.sources)
        if (u >= d.num_inputs) u = d.num_inputs + node_of[u - d.num_inputs];
    c.slot_list.reserve(graph_slot_list.size());
    for (const std::uint32_t node : order)
        c.slot_list.insert(c.slot_list.end(),
                           graph_slot_list.begin() + static_cast<std::ptrdiff_t>(node_slot_first[node]),
                           graph_slot_list.begin() + static_cast<std::ptrdiff_t>(node_slot_first[node + 1]));
    return c;
}

}  // namespace lutra::topology
