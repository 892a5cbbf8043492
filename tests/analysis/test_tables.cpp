#include <doctest/doctest.h>

#include <bit>
#include <functional>

#include "lutra/analysis/tables.hpp"
#include "lutra/core/error.hpp"

using namespace lutra;
using namespace lutra::analysis;

namespace {

using truth = std::function<bool(std::uint32_t address)>;

// One node per function, each reading input bits 0..k-1; the head reads them all.
core::network nodes_reading_inputs(std::uint32_t num_inputs, const std::vector<std::pair<unsigned, truth>>& nodes) {
    core::network_arrays a;
    a.num_inputs = num_inputs;
    for (const auto& [k, f] : nodes) {
        a.k.push_back(static_cast<std::uint8_t>(k));
        for (unsigned i = 0; i < k; ++i) a.sources.push_back(i);
        std::vector<std::uint64_t> words(core::table_words(k), 0);
        for (std::uint32_t address = 0; address < (1U << k); ++address)
            if (f(address)) words[address / 64] |= std::uint64_t{1} << (address % 64);
        a.tables.insert(a.tables.end(), words.begin(), words.end());
        a.head.outputs.push_back(static_cast<std::uint32_t>(a.head.outputs.size()));
    }
    a.head.num_classes = 1;
    return core::network(std::move(a));
}

unsigned ones(std::uint32_t a) { return static_cast<unsigned>(std::popcount(a)); }

}  // namespace

TEST_CASE("tables: effective inputs and the function census on hand-made tables") {
    const core::network net = nodes_reading_inputs(
        16, {
                {2, [](std::uint32_t a) { return a == 3; }},                              // 0: AND
                {2, [](std::uint32_t a) { return a != 0; }},                              // 1: OR
                {2, [](std::uint32_t a) { return ones(a) == 1; }},                        // 2: XOR
                {3, [](std::uint32_t a) { return ones(a) >= 2; }},                        // 3: majority-3
                {4, [](std::uint32_t a) { return ones(a) >= 2; }},                        // 4: 2 of 4
                {3, [](std::uint32_t a) { return (a >> 1) & 1U; }},                       // 5: buffer of slot 1
                {4, [](std::uint32_t) { return true; }},                                  // 6: constant 1
                {1, [](std::uint32_t a) { return a == 0; }},                              // 7: NOT
                {3, [](std::uint32_t a) { return a != 7; }},                              // 8: NAND-3
                {2, [](std::uint32_t a) { return a == 0; }},                              // 9: NOR
                {3, [](std::uint32_t a) { return ones(a) % 2 == 0; }},                    // 10: XNOR-3
                {3, [](std::uint32_t a) { return a == 1 || a == 6; }},                    // 11: other
                {8, [](std::uint32_t a) { return ((a >> 7) & 1U) != ((a >> 0) & 1U); }},  // 12: XOR of slots 0, 7
                {16, [](std::uint32_t a) { return (a >> 15) & 1U; }},                     // 13: buffer of slot 15
                {6, [](std::uint32_t) { return false; }},                                 // 14: constant 0
            });
    CHECK(effective_inputs(net, 0) == 0b11);
    CHECK(effective_inputs(net, 3) == 0b111);
    CHECK(effective_inputs(net, 4) == 0b1111);
    CHECK(effective_inputs(net, 5) == 0b010);
    CHECK(effective_inputs(net, 6) == 0);
    CHECK(effective_inputs(net, 12) == 0b10000001);
    CHECK(effective_inputs(net, 13) == 1U << 15);
    CHECK(effective_fan_in(net, 4) == 4);
    CHECK(effective_fan_in(net, 5) == 1);
    CHECK(effective_fan_in(net, 14) == 0);

    const std::vector<function_kind> expected = {
        function_kind::and_,      function_kind::or_,    function_kind::xor_,     function_kind::majority,
        function_kind::threshold, function_kind::buffer, function_kind::constant, function_kind::inverter,
        function_kind::nand,      function_kind::nor,    function_kind::xnor,     function_kind::other,
        function_kind::xor_,      function_kind::buffer, function_kind::constant,
    };
    for (std::uint32_t n = 0; n < expected.size(); ++n) {
        CAPTURE(n);
        CHECK(to_string(classify(net, n)) == to_string(expected[n]));
    }
    CHECK(to_string(function_kind::inverter) == "NOT");
    CHECK(to_string(function_kind::other) == "other");
}

TEST_CASE("tables: dead nodes reach no head output, through delayed slots too") {
    // n0 reads an input; n1 reads n0 (live through n3); n2 reads n0 but
    // nothing reads n2 (dead); n3 reads n1 and, delayed, n4; n4 reads n3.
    core::network_arrays a;
    a.num_inputs = 2;
    a.k = {1, 1, 1, 2, 1};
    a.sources = {0, 2, 2, 3, 6, 5};
    a.delays = {0, 0, 0, 0, 1, 0};
    a.tables = {0b10, 0b10, 0b10, 0b1000, 0b10};
    a.head = {.num_classes = 1, .outputs = {3}};
    const core::network net(std::move(a));
    CHECK(dead_nodes(net) == std::vector<bool>{false, false, true, false, false});

    core::network_arrays headless;
    headless.num_inputs = 1;
    headless.k = {1};
    headless.sources = {0};
    headless.tables = {0b10};
    CHECK(dead_nodes(core::network(std::move(headless))) == std::vector<bool>{true});
}

TEST_CASE("tables: census counts per group, with a group for nodes in none") {
    const core::network net = nodes_reading_inputs(4, {
                                                          {2, [](std::uint32_t a) { return a == 3; }},
                                                          {2, [](std::uint32_t) { return false; }},
                                                          {4, [](std::uint32_t a) { return ones(a) >= 2; }},
                                                      });
    const std::vector<std::uint32_t> hidden = {0, 1};
    const std::vector<node_group> groups = {{"hidden", hidden}};
    const std::vector<node_census> c = census(net, groups);
    REQUIRE(c.size() == 2);
    CHECK(c[0].name == "hidden");
    CHECK(c[0].nodes == 2);
    CHECK(c[0].constant == 1);
    CHECK(c[0].dead == 0);
    CHECK(c[0].fan_in[0] == 1);
    CHECK(c[0].fan_in[2] == 1);
    CHECK(c[0].functions[static_cast<std::size_t>(function_kind::and_)] == 1);
    CHECK(c[0].functions[static_cast<std::size_t>(function_kind::constant)] == 1);
    CHECK(c[1].name == "(no population)");
    CHECK(c[1].nodes == 1);
    CHECK(c[1].fan_in[4] == 1);
    CHECK(c[1].functions[static_cast<std::size_t>(function_kind::threshold)] == 1);

    const std::vector<std::uint32_t> bad = {7};
    const std::vector<node_group> bad_groups = {{"x", bad}};
    CHECK_THROWS_AS((void)census(net, bad_groups), lutra::error);
}
