// The wiring-rule table (topology/src/wiring/) and the candidate sources
// compile() records beside the network.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "lutra/core/candidates.hpp"
#include "lutra/core/error.hpp"
#include "lutra/topology/develop.hpp"
#include "lutra/topology/error.hpp"
#include "lutra/topology/evolution.hpp"
#include "topology/example_genomes.hpp"
#include "wiring/wiring.hpp"

using namespace lutra;
using namespace lutra::topology;
using lutra::test::mnist_like_genome;
using wiring::wiring_rule;
using wiring::wiring_rule_table;

namespace {

// The smallest genome that uses `rule`: 'a' (4 nodes on a 2 × 2 grid) reads
// a 4 × 4 × 1 input at random; 't' (the same shape, the head) fills its
// k = 2 slots by `rule`, from 'a' or, if the rule says so, from itself,
// with the delay the rule needs.
genome minimal_genome(const wiring_rule& rule) {
    genome g;
    g.inputs = {4, 4, 1};
    g.populations = {{.name = "a", .size = 4, .k = 2, .grid = {2, 2}}, {.name = "t", .size = 4, .k = 2, .grid = {2, 2}}};
    projection_gene pr{.target = "t", .sources = {"a"}, .rule = std::string(rule.name)};
    if (rule.reads_own_target) pr.sources = {"t"};
    if (rule.needs_delay) pr.delay = {"constant", 1, 1};
    g.projections = {{.target = "a", .sources = {"input"}}, pr};
    g.head = {"t", 2};
    return g;
}

// Network source id of each graph vertex.
std::vector<std::uint32_t> source_of_vertex(const developed_graph& d, const compiled_network& c) {
    std::vector<std::uint32_t> id(boost::num_vertices(d.graph));
    for (std::uint32_t u = 0; u < d.num_inputs; ++u) id[u] = u;
    for (std::uint32_t n = 0; n < c.node_vertex.size(); ++n) id[c.node_vertex[n]] = d.num_inputs + n;
    return id;
}

std::set<std::uint32_t> as_set(std::span<const std::uint32_t> s) { return {s.begin(), s.end()}; }

// Every slot's source is among its candidates, checked directly and by core's validate.
void check_chosen_among_candidates(const compiled_network& c) {
    REQUIRE(c.candidates.num_slots() == c.net.num_slots());
    CHECK_NOTHROW(core::validate(c.candidates, c.net));
    for (std::uint32_t n = 0; n < c.net.num_nodes(); ++n)
        for (std::uint32_t s = 0; s < c.net.k(n); ++s) {
            const auto list = c.candidates.of(c.net.slot_offset(n) + s);
            CHECK(std::find(list.begin(), list.end(), c.net.sources(n)[s]) != list.end());
        }
}

}  // namespace

TEST_CASE("wiring: the table names each rule once, with a doc line; the public name list is the table's") {
    const std::span<const wiring_rule> table = wiring_rule_table();
    REQUIRE(table.size() == wiring_rule_names().size());
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < table.size(); ++i) {
        CAPTURE(table[i].name);
        CHECK(table[i].name == wiring_rule_names()[i]);
        CHECK(!table[i].doc.empty());
        CHECK((table[i].candidates != nullptr));
        CHECK(seen.insert(table[i].name).second);
        CHECK(wiring::find_wiring_rule(table[i].name) == &table[i]);
    }
    CHECK(wiring::find_wiring_rule("nope") == nullptr);
    // The list experiments' schema reads converts and iterates like an array.
    const std::span<const std::string_view> as_span = wiring_rules;
    CHECK(std::equal(as_span.begin(), as_span.end(), wiring_rules.begin(), wiring_rules.end()));
    CHECK(wiring_rules.size() == table.size());
}

TEST_CASE("wiring: every rule in the table builds from a minimal genome") {
    for (const wiring_rule& rule : wiring_rule_table()) {
        CAPTURE(rule.name);
        const genome g = minimal_genome(rule);
        CHECK_NOTHROW(validate(g));
        const developed_graph d = develop(g, 1);
        const compiled_network c = compile(g, d);
        CHECK(c.net.num_nodes() == 8);
        check_chosen_among_candidates(c);
        CHECK(c.net.combinational() == !rule.needs_delay);
    }
}

TEST_CASE("wiring: unknown rule names give the genome path, the valid choices and a did-you-mean") {
    genome g = mnist_like_genome();
    g.projections[5].rule = "recurent";
    CHECK_THROWS_WITH_AS(validate(g),
                         "genome: projections[5].rule: expected one of random, receptive_field, lateral, recurrent, "
                         "got 'recurent' (did you mean 'recurrent'?)",
                         genome_error);
    g.projections[5].rule = "zzz";
    CHECK_THROWS_WITH_AS((void)develop(g, 1),
                         "genome: projections[5].rule: expected one of random, receptive_field, lateral, recurrent, "
                         "got 'zzz'",
                         genome_error);
}

TEST_CASE("wiring: a rule's constraints are checked by validate and made to hold by evolution") {
    // Switching a projection to each rule gives a valid child in which the rule's constraints hold.
    std::set<std::string_view> reached;
    for (std::uint64_t seed = 0; seed < 3000 && reached.size() < wiring_rule_table().size(); ++seed) {
        const genome parent = mnist_like_genome();
        const evolution_result r = mutate_point(parent, seed);
        if (!r.child || r.change.find(".rule ") == std::string::npos) continue;
        CAPTURE(r.change);
        for (std::size_t j = 0; j < parent.projections.size(); ++j) {
            const projection_gene& pr = r.child->projections[j];
            if (pr.rule == parent.projections[j].rule) continue;
            const wiring_rule& rule = wiring::wiring_rule_of(pr);
            reached.insert(rule.name);
            if (rule.reads_own_target) CHECK(pr.sources == std::vector<std::string>{pr.target});
            if (rule.uses_radius) CHECK(pr.radius > 0);
            if (rule.needs_delay) {
                const std::uint32_t low = pr.delay.kind == "default" ? r.child->find(pr.target)->delay : pr.delay.min;
                CHECK(low >= 1);
            }
        }
    }
    CHECK(reached.size() == wiring_rule_table().size());
}

TEST_CASE("wiring: each slot's candidates are exactly what its rule allows, and include its source") {
    // mnist_like_genome: v1 ← input (receptive_field, radius 2, cover_bits);
    // h1 slots 0-3 ← v1 (random), 4 ← input (random, cover_bits), 5 ← h1
    // (lateral, radius 1.5, delay 1); out slots 0-4 ← h1, v1 (random), 5 ← out
    // (recurrent, delay 1..2). Inputs 8 × 8 × 2 bits; every grid lies on the
    // image one to one, so distances are in grid cells.
    const genome g = mnist_like_genome();
    for (std::uint64_t seed : {1, 2, 3}) {
        const developed_graph d = develop(g, seed);
        const compiled_network c = compile(g, d);
        check_chosen_among_candidates(c);
        const std::vector<std::uint32_t> id = source_of_vertex(d, c);
        auto vertices_of = [&](std::uint32_t population) {
            std::set<std::uint32_t> all;
            for (std::uint32_t v = d.population_first[population]; v < d.population_first[population + 1]; ++v)
                all.insert(id[v]);
            return all;
        };
        const std::set<std::uint32_t> v1 = vertices_of(0), h1 = vertices_of(1), out = vertices_of(2);
        std::set<std::uint32_t> h1_and_v1 = h1;
        h1_and_v1.insert(v1.begin(), v1.end());

        for (std::uint32_t n = 0; n < c.net.num_nodes(); ++n) {
            const vertex_info& node = d.graph[c.node_vertex[n]];
            auto candidates = [&](std::uint32_t s) { return as_set(c.candidates.of(c.net.slot_offset(n) + s)); };
            // The sources of `population` within `radius` of the node, at bit `level` for the input.
            auto near = [&](std::uint32_t population, double radius, std::uint32_t level, bool self) {
                std::set<std::uint32_t> within;
                const std::uint32_t first = population == no_population ? 0 : d.population_first[population];
                const std::uint32_t last =
                    population == no_population ? d.num_inputs : d.population_first[population + 1];
                for (std::uint32_t v = first; v < last; ++v) {
                    const vertex_info& u = d.graph[v];
                    if (u.bit != level || std::hypot(u.x - node.x, u.y - node.y) > radius + 1e-6) continue;
                    if (!self && v == c.node_vertex[n]) continue;
                    within.insert(id[v]);
                }
                return within;
            };
            CAPTURE(n);
            if (node.population == 0) {
                for (std::uint32_t s = 0; s < 6; ++s) {
                    const auto field = candidates(s);
                    CHECK(field == near(no_population, 2.0, s % 2, true));
                    for (std::uint32_t u : field) {
                        const vertex_info& bit = d.graph[u];  // input ids are their vertices
                        CHECK(std::hypot(bit.x - node.x, bit.y - node.y) <= 2.0 + 1e-6);
                    }
                }
            } else if (node.population == 1) {
                for (std::uint32_t s = 0; s < 4; ++s) CHECK(candidates(s) == v1);
                CHECK(candidates(4) == near(no_population, 1e9, 0, true));  // every pixel, level 4 mod 2
                const auto lateral = candidates(5);
                CHECK(lateral == near(1, 1.5, 0, false));
                CHECK_FALSE(lateral.contains(d.num_inputs + n));  // never the node itself
                CHECK(c.net.delays(n)[5] == 1);                    // whichever candidate it reads
            } else {
                for (std::uint32_t s = 0; s < 5; ++s) CHECK(candidates(s) == h1_and_v1);
                CHECK(candidates(5) == out);  // recurrent: the node itself included
                CHECK(c.net.delays(n)[5] >= 1);
                CHECK(c.net.delays(n)[5] <= 2);
            }
        }
    }
}

TEST_CASE("wiring: lateral and recurrent slots keep delay ≥ 1 for every candidate; random slots share one list") {
    genome g;
    g.inputs = {28, 28, 2};
    g.populations = {{.name = "v1", .size = 784, .k = 6, .grid = {28, 28}, .delay = 2},
                     {.name = "h1", .size = 500, .k = 6},
                     {.name = "out", .size = 200, .k = 6}};
    g.projections = {
        {.target = "v1", .sources = {"input"}, .rule = "receptive_field", .slots = 4, .radius = 2.0, .cover_bits = true},
        {.target = "v1", .sources = {"v1"}, .rule = "lateral", .slots = 2, .radius = 1.5},  // default delay: 2
        {.target = "h1", .sources = {"v1"}, .rule = "random", .slots = 5},
        {.target = "h1", .sources = {"out", "h1"}, .rule = "recurrent", .slots = 1, .delay = {"uniform", 1, 3}},
        {.target = "out", .sources = {"h1"}, .rule = "random"}};
    g.head = {"out", 10};
    const developed_graph d = develop(g, 11);
    const compiled_network c = compile(g, d);
    check_chosen_among_candidates(c);
    std::set<std::uint32_t> h1_random_lists;
    for (std::uint32_t n = 0; n < c.net.num_nodes(); ++n) {
        const vertex_info& node = d.graph[c.node_vertex[n]];
        const std::size_t first = c.net.slot_offset(n);
        if (node.population == 0) {
            for (std::uint32_t s = 4; s < 6; ++s) {
                CHECK(c.net.delays(n)[s] == 2);
                CHECK_FALSE(as_set(c.candidates.of(first + s)).contains(d.num_inputs + n));
            }
        } else if (node.population == 1) {
            for (std::uint32_t s = 0; s < 5; ++s) h1_random_lists.insert(c.candidates.slot_list[first + s]);
            CHECK(c.candidates.of(first + 5).size() == 700);  // out and h1, the node itself included
            CHECK(c.net.delays(n)[5] >= 1);
        }
    }
    CHECK(h1_random_lists.size() == 1);  // 2,500 slots, one list of 784
    CHECK(c.candidates.of(c.net.slot_offset(c.net.num_nodes() - 1)).size() == 500);
}

TEST_CASE("wiring: the candidates of a receptive-field MNIST genome (configs/genomes/mnist-rf.yaml) stay small") {
    // The genome of configs/genomes/mnist-rf.yaml: 2,000 LUT6 in receptive
    // fields of radius 3 over 28 × 28 × 3 bits, then 1,000 LUT6 at random.
    genome g;
    g.inputs = {28, 28, 3};
    g.populations = {{.name = "v1", .size = 2000, .k = 6, .grid = {50, 40}}, {.name = "out", .size = 1000, .k = 6}};
    g.projections = {
        {.target = "v1", .sources = {"input"}, .rule = "receptive_field", .radius = 3.0, .cover_bits = true},
        {.target = "out", .sources = {"v1"}, .rule = "random"}};
    g.head = {"out", 10};
    const developed_graph d = develop(g, 1);
    const compiled_network c = compile(g, d);
    check_chosen_among_candidates(c);
    std::uint64_t per_slot = 0;  // what one list per slot would hold
    for (std::size_t s = 0; s < c.candidates.num_slots(); ++s) per_slot += c.candidates.of(s).size();
    MESSAGE("mnist-rf candidates: ", c.candidates.num_slots(), " slots, ", c.candidates.num_lists(), " lists, ",
            c.candidates.sources.size(), " entries, ", c.candidates.memory_bytes(), " bytes (one list per slot: ",
            per_slot, " entries, ", per_slot * 4 + c.candidates.num_slots() * 8, " bytes)");
    CHECK(c.candidates.num_lists() < 2000 * 3 + 1);  // at most one per v1 node and bit level, and out's one
    CHECK(c.candidates.memory_bytes() < 1'000'000);
    CHECK(per_slot > 12'000'000);  // 6,000 out slots × 2,000 v1 nodes, were they not shared
}
