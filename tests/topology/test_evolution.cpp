#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "lutra/topology/error.hpp"
#include "lutra/topology/evolution.hpp"
#include "lutra/topology/genome_text.hpp"
#include "topology/example_genomes.hpp"

using namespace lutra::topology;
using lutra::test::mnist_like_genome;
using lutra::test::xor_genome;

namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// A child or a reason, never both, never neither; a child is valid and keeps the task's fields.
void check_result(const evolution_result& r, const genome& parent) {
    if (r.child) {
        CHECK(r.reason.empty());
        CHECK(!r.change.empty());
        CHECK_NOTHROW(validate(*r.child));
        CHECK(r.child->inputs == parent.inputs);
        CHECK(r.child->head == parent.head);
    } else {
        CHECK(!r.reason.empty());
    }
}

// 'h' reads the input, 'out' (the head) reads only 'h': nothing can go.
genome chain_genome() {
    genome g;
    g.inputs = {4, 4, 1};
    g.populations = {{.name = "h", .size = 8, .k = 4}, {.name = "out", .size = 4, .k = 2}};
    g.projections = {{.target = "h", .sources = {"input"}}, {.target = "out", .sources = {"h"}}};
    g.head = {"out", 2};
    return g;
}

// mnist_like_genome() with another h1 (48 nodes, k 5), an extra population
// h2 that out also reads, and a head of 5 classes over 25 nodes.
genome other_genome() {
    genome g = mnist_like_genome();
    g.populations[1].size = 48;
    g.populations[1].grid = {8, 6};
    g.populations[1].k = 5;
    g.projections[1].slots = 3;
    g.populations[2].size = 25;
    g.populations.push_back({.name = "h2", .size = 16, .k = 3, .grid = {4, 4}});
    g.projections.push_back({.target = "h2", .sources = {"input"}, .rule = "receptive_field", .radius = 3});
    g.projections[4].sources.push_back("h2");
    g.head = {"out", 5};
    return g;
}

}  // namespace

TEST_CASE("evolution: 1,000 chained mutations give valid children or reasons") {
    genome g = mnist_like_genome();
    std::map<std::string, int> outcomes;
    for (std::uint64_t seed = 0; seed < 1000; ++seed) {
        CAPTURE(seed);
        const evolution_result r = mutate(g, seed);
        check_result(r, g);
        if (!r.child) {
            ++outcomes["refused"];
            continue;
        }
        const std::string verb = r.change.substr(0, r.change.find(' '));
        ++outcomes[verb == "duplicated" || verb == "deleted" ? verb : "point"];
        CHECK(from_text(to_text(*r.child)) == *r.child);
        g = *r.child;
    }
    CHECK(outcomes["duplicated"] > 100);
    CHECK(outcomes["deleted"] > 50);
    CHECK(outcomes["point"] > 200);
    CHECK(outcomes["refused"] < 400);
    CHECK(g.populations.size() >= 1);
}

TEST_CASE("evolution: each unary operator, many seeds, on several genomes") {
    for (const genome& parent : {mnist_like_genome(), xor_genome(), other_genome(), chain_genome()})
        for (std::uint64_t seed = 0; seed < 300; ++seed) {
            CAPTURE(seed);
            check_result(mutate_point(parent, seed), parent);
            check_result(duplicate_gene(parent, seed), parent);
            check_result(delete_gene(parent, seed), parent);
        }
}

TEST_CASE("evolution: point mutations reach every kind of field and leave the task's alone") {
    const genome parent = mnist_like_genome();
    std::set<std::string> fields;
    for (std::uint64_t seed = 0; seed < 2000; ++seed) {
        const evolution_result r = mutate_point(parent, seed);
        REQUIRE(r.child);
        const std::string& c = r.change;
        const std::size_t dot = c.find('.', c.find(']'));
        fields.insert(c.substr(dot, c.find(' ', dot) - dot));
        CHECK(r.child->inputs == parent.inputs);
        CHECK(r.child->head == parent.head);
    }
    for (std::string_view field : {".size", ".k", ".layout", ".init.kind", ".init.p_one", ".delay", ".radius", ".slots",
                                   ".rule", ".cover_bits", ".repeats"}) {
        CAPTURE(field);
        CHECK(fields.count(std::string(field)) == 1);
    }
}

TEST_CASE("evolution: a size mutation keeps the layout and the head consistent") {
    const genome parent = mnist_like_genome();
    int resized = 0;
    for (std::uint64_t seed = 0; seed < 3000; ++seed) {
        const evolution_result r = mutate_point(parent, seed);
        REQUIRE(r.child);
        if (!contains(r.change, ".size ")) continue;
        ++resized;
        for (const population_gene& p : r.child->populations)
            if (p.grid.width != 0) CHECK(std::uint64_t{p.grid.width} * p.grid.height == p.size);
        CHECK(r.child->find("out")->size % 10 == 0);
    }
    CHECK(resized > 50);
}

TEST_CASE("evolution: operators are deterministic in the seed") {
    const genome a = mnist_like_genome();
    const genome b = other_genome();
    std::set<std::string> changes;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        const evolution_result r1 = mutate(a, seed);
        const evolution_result r2 = mutate(a, seed);
        CHECK(r1.child == r2.child);
        CHECK(r1.change == r2.change);
        CHECK(r1.reason == r2.reason);
        const evolution_result c1 = crossover(a, b, seed);
        const evolution_result c2 = crossover(a, b, seed);
        CHECK(c1.child == c2.child);
        CHECK(c1.reason == c2.reason);
        changes.insert(mutate_point(a, seed).change);
    }
    CHECK(changes.size() > 35);  // different seeds, different mutations
}

TEST_CASE("evolution: delete_gene refuses what cannot go, with the reason") {
    const evolution_result chain = delete_gene(chain_genome(), 7);
    CHECK(!chain.child);
    CHECK(contains(chain.reason, "no population can be deleted"));
    CHECK(contains(chain.reason, "'out' is the head population"));
    CHECK(contains(chain.reason, "'h' is the only source of projections[1] into 'out'"));

    const evolution_result single = delete_gene(xor_genome(), 7);
    CHECK(!single.child);
    CHECK(contains(single.reason, "'out' is the only population"));

    // In the example only h1 can go: v1 alone feeds projections[1], out is the head.
    const genome parent = mnist_like_genome();
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        const evolution_result r = delete_gene(parent, seed);
        REQUIRE(r.child);
        CHECK(r.change ==
              "deleted populations[1] 'h1' with projections[1], projections[2], projections[3]; removed from the "
              "sources of projections[4]");
        CHECK(r.child->find("h1") == nullptr);
        REQUIRE(r.child->projections.size() == 3);
        CHECK(r.child->projections[1].sources == std::vector<std::string>{"v1"});
    }

    genome invalid = mnist_like_genome();
    invalid.head.classes = 3;
    CHECK_THROWS_AS((void)delete_gene(invalid, 0), genome_error);
}

TEST_CASE("evolution: duplicate_gene copies a population and wires the copy in") {
    const genome parent = mnist_like_genome();
    bool saw_h1 = false;
    for (std::uint64_t seed = 0; seed < 40 && !saw_h1; ++seed) {
        const evolution_result r = duplicate_gene(parent, seed);
        REQUIRE(r.child);
        const genome& c = *r.child;
        if (c.find("h1_dup") == nullptr) continue;
        saw_h1 = true;
        CHECK(r.change ==
              "duplicated populations[1] 'h1' as 'h1_dup' with copies of projections[1], projections[2], "
              "projections[3]; added as a source to projections[4]");
        REQUIRE(c.populations.size() == 4);
        CHECK(c.populations[2].name == "h1_dup");
        CHECK(c.populations[2].size == 40);
        REQUIRE(c.projections.size() == 9);
        CHECK(c.projections[4].target == "h1_dup");
        CHECK(c.projections[4].sources == std::vector<std::string>{"v1"});
        CHECK(c.projections[6].rule == "lateral");
        CHECK(c.projections[6].sources == std::vector<std::string>{"h1_dup"});  // laterals read their own target
        CHECK(c.projections[7].sources == std::vector<std::string>{"h1", "v1", "h1_dup"});

        // A copy of h1 or of h1_dup gets the next free name after h1's.
        int named = 0;
        for (std::uint64_t s = 0; s < 40; ++s) {
            const evolution_result again = duplicate_gene(c, s);
            REQUIRE(again.child);
            if (contains(again.change, "'h1' as") || contains(again.change, "'h1_dup' as")) {
                CHECK(contains(again.change, "as 'h1_dup2'"));
                ++named;
            }
        }
        CHECK(named > 5);
    }
    CHECK(saw_h1);

    const evolution_result nothing = duplicate_gene(xor_genome(), 0);
    CHECK(!nothing.child);
    CHECK(contains(nothing.reason, "a copy of any would feed nothing"));
}

TEST_CASE("evolution: crossover aligns genes by name") {
    const genome a = mnist_like_genome();
    const genome b = other_genome();
    int children = 0;
    int mixed = 0;
    int with_h2 = 0;
    int refused = 0;
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        CAPTURE(seed);
        const evolution_result r = crossover(a, b, seed);
        check_result(r, a);
        if (!r.child) {
            ++refused;
            CHECK(contains(r.reason, "not a multiple of the 10 classes"));  // b's out has 25 nodes
            continue;
        }
        ++children;
        const genome& c = *r.child;
        const bool h1_from_b = c.find("h1")->size == 48;
        mixed += h1_from_b;
        with_h2 += c.find("h2") != nullptr;
        for (const population_gene& p : c.populations) CHECK((a.find(p.name) || b.find(p.name)));
        if (h1_from_b) CHECK(c.find("h1")->k == 5);
    }
    CHECK(children > 50);
    CHECK(refused > 50);
    CHECK(mixed > 10);
    CHECK(with_h2 > 10);

    // out of chain_genome() reads only h, which xor_genome() lacks: when h is not kept, neither can out's projection
    // be.
    int orphaned = 0;
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        const evolution_result r = crossover(chain_genome(), xor_genome(), seed);
        check_result(r, chain_genome());
        if (!r.child) {
            CHECK(contains(r.reason, "a projection into 'out' (from a) reads only populations that were not kept (h)"));
            ++orphaned;
        }
    }
    CHECK(orphaned > 25);  // expected: 1 in 4

    // Identical parents give the parent back (its projections are already grouped by target).
    for (std::uint64_t seed = 0; seed < 10; ++seed) CHECK(crossover(a, a, seed).child == a);
}
