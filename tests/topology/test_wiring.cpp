// The wiring-rule table (topology/src/wiring/).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

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
        CHECK(c.net.combinational() == !rule.needs_delay);
    }
}

TEST_CASE("wiring: unknown rule names give the genome path, the valid choices and a did-you-mean") {
    genome g = mnist_like_genome();
    g.projections[5].rule = "recurent";
    CHECK_THROWS_WITH_AS(validate(g),
                         "genome: projections[5].rule: 'recurent' is not valid; valid: random, receptive_field, "
                         "lateral, recurrent (did you mean 'recurrent'?)",
                         genome_error);
    g.projections[5].rule = "zzz";
    CHECK_THROWS_WITH_AS(develop(g, 1),
                         "genome: projections[5].rule: 'zzz' is not valid; valid: random, receptive_field, lateral, "
                         "recurrent",
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
