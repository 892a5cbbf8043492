#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/reference.hpp"
#include "lutra/topology/develop.hpp"
#include "lutra/topology/error.hpp"

using namespace lutra;
using namespace lutra::topology;

namespace {

// 8 × 8 pixels × 2 bits → v1 (receptive field, 8 × 8 grid) → h1 (random from
// v1 plus lateral, delayed) → out (random from h1 and the input), 10 classes.
genome layered() {
    genome g;
    g.inputs = {8, 8, 2};
    g.populations = {
        {.name = "v1", .size = 64, .k = 6, .grid = {8, 8}},
        {.name = "h1", .size = 40, .k = 6, .grid = {8, 5}},
        {.name = "out", .size = 20, .k = 4},
    };
    g.projections = {
        {.target = "v1", .sources = {"input"}, .rule = "receptive_field", .radius = 2.0, .cover_bits = true},
        {.target = "h1", .sources = {"v1"}, .rule = "random", .slots = 4},
        {.target = "h1", .sources = {"h1"}, .rule = "lateral", .slots = 2, .radius = 1.5, .delay = {"constant", 1, 1}},
        {.target = "out", .sources = {"h1", "input"}, .rule = "random"},
    };
    g.head = {"out", 10};
    return g;
}

const vertex_info& at(const developed_graph& d, std::size_t v) { return d.graph[v]; }

std::vector<std::pair<std::uint32_t, edge_info>> slots_of(const developed_graph& d, std::uint32_t v) {
    std::vector<std::pair<std::uint32_t, edge_info>> out;
    for (const auto e : boost::make_iterator_range(boost::in_edges(v, d.graph)))
        out.emplace_back(static_cast<std::uint32_t>(boost::source(e, d.graph)), d.graph[e]);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second.slot < b.second.slot; });
    return out;
}

}  // namespace

TEST_CASE("develop: the same genome and seed give the same graph for 1 and 2 threads") {
    const genome g = layered();
    const developed_graph a = develop(g, 7, {.threads = 1});
    const developed_graph b = develop(g, 7, {.threads = 2});
    const developed_graph c = develop(g, 8);
    CHECK(a.hash == b.hash);
    CHECK(a.hash != c.hash);
    CHECK(hash_hex(a.hash).size() == 16);
    const compiled_network ca = compile(g, a), cb = compile(g, b);
    CHECK(ca.net.arrays().sources == cb.net.arrays().sources);
    CHECK(ca.net.arrays().delays == cb.net.arrays().delays);
    CHECK(ca.net.arrays().tables == cb.net.arrays().tables);

    // A wide population is wired by several threads; the result is the same.
    genome wide;
    wide.inputs = {28, 28, 3};
    wide.populations = {{.name = "l1", .size = 3000, .k = 6}, {.name = "out", .size = 100, .k = 6}};
    wide.projections = {{.target = "l1", .sources = {"input"}, .rule = "random"},
                        {.target = "out", .sources = {"l1"}, .rule = "random"}};
    wide.head = {"out", 10};
    CHECK(develop(wide, 3, {.threads = 1}).hash == develop(wide, 3, {.threads = 2}).hash);
}

TEST_CASE("develop: every node has k slots, numbered 0..k-1, no source twice") {
    const genome g = layered();
    const developed_graph d = develop(g, 1);
    for (std::uint32_t p = 0; p < g.populations.size(); ++p)
        for (std::uint32_t v = d.population_first[p]; v < d.population_first[p + 1]; ++v) {
            const auto slots = slots_of(d, v);
            REQUIRE(slots.size() == g.populations[p].k);
            std::set<std::uint32_t> sources;
            for (std::uint32_t s = 0; s < slots.size(); ++s) {
                CHECK(slots[s].second.slot == s);
                sources.insert(slots[s].first);
            }
            CHECK(sources.size() == slots.size());
        }
}

TEST_CASE("develop: receptive fields respect the radius and cover every bit level") {
    const genome g = layered();
    const developed_graph d = develop(g, 2);
    for (std::uint32_t v = d.population_first[0]; v < d.population_first[1]; ++v) {
        const vertex_info& node = at(d, v);
        // v1's 8 × 8 grid lies on the 8 × 8 image one to one.
        for (const auto& [source, edge] : slots_of(d, v)) {
            REQUIRE(source < d.num_inputs);
            const vertex_info& bit = at(d, source);
            CHECK(std::hypot(bit.x - node.x, bit.y - node.y) <= 2.0 + 1e-6);
            CHECK(bit.bit == edge.slot % 2);
            CHECK(edge.delay == 0);
        }
    }
}

TEST_CASE("develop: lateral slots read neighbours of the same population, delayed") {
    const genome g = layered();
    const developed_graph d = develop(g, 3);
    for (std::uint32_t v = d.population_first[1]; v < d.population_first[2]; ++v) {
        const auto slots = slots_of(d, v);
        for (std::uint32_t s = 0; s < 4; ++s) {
            CHECK(slots[s].first >= d.population_first[0]);
            CHECK(slots[s].first < d.population_first[1]);
            CHECK(slots[s].second.delay == 0);
        }
        for (std::uint32_t s = 4; s < 6; ++s) {
            const std::uint32_t u = slots[s].first;
            CHECK(u != v);
            CHECK(at(d, u).population == 1);
            CHECK(std::hypot(at(d, u).x - at(d, v).x, at(d, u).y - at(d, v).y) <= 1.5 + 1e-6);
            CHECK(slots[s].second.delay == 1);
        }
    }
}

TEST_CASE("develop: uniform delays stay in range; recurrence compiles to a sequential network") {
    genome g = layered();
    g.projections[2] = {.target = "h1",
                        .sources = {"out"},
                        .rule = "recurrent",
                        .slots = 2,
                        .delay = {"uniform", 1, 3}};
    const developed_graph d = develop(g, 4);
    std::set<std::uint32_t> seen;
    for (const auto e : boost::make_iterator_range(boost::edges(d.graph)))
        if (boost::source(e, d.graph) >= d.population_first[2]) {
            CHECK(d.graph[e].delay >= 1);
            CHECK(d.graph[e].delay <= 3);
            seen.insert(d.graph[e].delay);
        }
    CHECK(seen.size() == 3);
    const compiled_network c = compile(g, d);
    CHECK_FALSE(c.net.combinational());
}

TEST_CASE("develop: compiled networks keep every slot and sort nodes by level") {
    const genome g = layered();
    const developed_graph d = develop(g, 5);
    const compiled_network c = compile(g, d);
    const core::network& net = c.net;
    REQUIRE(net.num_nodes() == d.num_nodes());
    CHECK(net.num_inputs() == 128);
    for (std::uint32_t n = 1; n < net.num_nodes(); ++n) CHECK(net.level(n - 1) <= net.level(n));
    std::vector<std::uint32_t> node_of_vertex(boost::num_vertices(d.graph), UINT32_MAX);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) node_of_vertex[c.node_vertex[n]] = n;
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        const auto slots = slots_of(d, c.node_vertex[n]);
        for (std::uint32_t s = 0; s < net.k(n); ++s) {
            const std::uint32_t u = slots[s].first;
            CHECK(net.sources(n)[s] == (u < d.num_inputs ? u : net.num_inputs() + node_of_vertex[u]));
            CHECK(net.delays(n)[s] == slots[s].second.delay);
        }
        const std::size_t node = c.node_vertex[n] - d.num_inputs;
        CHECK(net.table(n)[0] == d.tables[d.table_offset[node]]);
    }
    CHECK(net.head().num_classes == 10);
    CHECK(net.head().outputs == c.populations[2].nodes);
    CHECK(c.populations[0].name == "v1");
    CHECK(c.populations[0].nodes.size() == 64);
}

TEST_CASE("develop: a feed-forward genome compiles to a network the engines run") {
    genome g = layered();
    g.projections[2] = {.target = "h1", .sources = {"input"}, .rule = "random", .slots = 2};
    const developed_graph d = develop(g, 6);
    const core::network net = compile(g, d).net;
    REQUIRE(net.combinational());
    core::bit_matrix inputs(net.num_inputs(), 1000);
    for (std::size_t r = 0; r < inputs.rows(); ++r)
        for (std::size_t s = 0; s < 1000; ++s) inputs.set(r, s, ((r * 7919 + s * 104729) >> 3) & 1);
    CHECK(core::bitslice_engine(net).evaluate(inputs) == core::reference_evaluate(net, inputs));
}

TEST_CASE("develop: initial tables follow the population's init") {
    genome g;
    g.inputs = {4, 1, 1};
    g.populations = {{.name = "copy", .size = 2, .k = 3, .init = {.kind = "copy"}},
                     {.name = "maj", .size = 2, .k = 3, .init = {.kind = "majority"}},
                     {.name = "xor", .size = 2, .k = 4, .init = {.kind = "function", .function = "xor"}},
                     {.name = "one", .size = 2, .k = 2, .init = {.kind = "constant", .value = true}},
                     {.name = "and8", .size = 2, .k = 8, .init = {.kind = "function", .function = "and"}},
                     {.name = "rnd", .size = 2, .k = 6, .init = {.kind = "random", .p_one = 0.0}}};
    for (const auto& p : g.populations) g.projections.push_back({.target = p.name, .sources = {"input"}, .repeats = true});
    g.head = {"copy", 2};
    const developed_graph d = develop(g, 1);
    auto table = [&](std::uint32_t node) { return d.tables[d.table_offset[node]]; };
    CHECK(table(0) == 0b10101010);
    CHECK(table(2) == 0b11101000);
    CHECK(table(4) == 0b0110100110010110);
    CHECK(table(6) == 0b1111);
    CHECK(d.tables[d.table_offset[8] + 3] == std::uint64_t{1} << 63);
    CHECK(d.tables[d.table_offset[8]] == 0);
    CHECK(table(10) == 0);
}

TEST_CASE("develop: cycles without delay and too few candidates are errors; dead nodes are warnings") {
    genome g = layered();
    g.projections[2] = {.target = "h1", .sources = {"out"}, .rule = "recurrent", .slots = 2};  // delay 0
    g.projections[2].delay = {"default", 0, 0};
    // validate() insists on delay ≥ 1 for recurrent; a random projection may close a zero-delay loop.
    g.projections[2].rule = "random";
    CHECK_THROWS_WITH_AS((void)develop(g, 1), doctest::Contains("zero-delay cycle"), genome_error);

    genome narrow = layered();
    narrow.projections[0].radius = 0.5;  // one pixel: 2 bits, or 1 cell with cover_bits
    CHECK_THROWS_WITH_AS((void)develop(narrow, 1),
                         doctest::Contains("projections[0] (receptive_field into 'v1'): node v1[0] has 1 candidate "
                                           "sources for 6 slots within radius"),
                         genome_error);

    genome dead = layered();
    dead.populations.push_back({.name = "spare", .size = 5, .k = 2});
    dead.projections.push_back({.target = "spare", .sources = {"v1"}});
    const developed_graph d = develop(dead, 1);
    const graph_statistics s = statistics(dead, d);
    CHECK(s.dead_nodes >= 5);
    REQUIRE_FALSE(d.warnings.empty());
    CHECK(d.warnings[0].find("reach no head output") != std::string::npos);
}

TEST_CASE("develop: statistics count depth, fan-in, fan-out and input coverage") {
    const genome g = layered();
    const developed_graph d = develop(g, 9);
    const graph_statistics s = statistics(g, d);
    CHECK(s.depth == 3);
    CHECK(s.edges == 64 * 6 + 40 * 6 + 20 * 4);
    CHECK(s.delayed_edges == 40 * 2);
    std::uint64_t nodes = 0;
    for (const auto& bin : s.fan_in) nodes += bin.count;
    CHECK(nodes == 124);
    CHECK(s.fan_in.front().value == 4);
    CHECK(s.fan_in.back().value == 6);
    CHECK(s.input_coverage > 0.9);
    CHECK(s.input_coverage <= 1.0);
    CHECK(s.inputs_read <= 128);
}

TEST_CASE("develop: GraphML and DOT come from Boost's writers with every vertex and edge") {
    const genome g = layered();
    const developed_graph d = develop(g, 1);
    std::ostringstream graphml, dot;
    write_graphml(graphml, g, d);
    write_dot(dot, g, d);
    const std::string x = graphml.str();
    CHECK(x.find("<graphml") != std::string::npos);
    CHECK(x.find("attr.name=\"delay\"") != std::string::npos);
    std::size_t edges = 0;
    for (std::size_t at = 0; (at = x.find("<edge ", at)) != std::string::npos; ++at) ++edges;
    CHECK(edges == boost::num_edges(d.graph));
    CHECK(dot.str().find("digraph") != std::string::npos);
    CHECK(dot.str().find("population=v1") != std::string::npos);
}
