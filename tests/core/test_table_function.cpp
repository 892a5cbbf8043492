#include <doctest/doctest.h>

#include <bit>
#include <functional>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/table_function.hpp"

using namespace lutra;
using namespace lutra::core;

namespace {

std::vector<std::uint64_t> table_of(unsigned k, const std::function<bool(std::uint32_t)>& f) {
    std::vector<std::uint64_t> words(table_words(k), 0);
    for (std::uint32_t a = 0; a < (1U << k); ++a)
        if (f(a)) words[a / 64] |= std::uint64_t{1} << (a % 64);
    return words;
}

unsigned ones(std::uint32_t a) { return static_cast<unsigned>(std::popcount(a)); }

// The definition, address pair by address pair: the slow reference.
std::uint32_t effective_by_pairs(const std::vector<std::uint64_t>& table, unsigned k) {
    const auto bit = [&](std::uint32_t a) { return (table[a / 64] >> (a % 64)) & 1U; };
    std::uint32_t mask = 0;
    for (unsigned i = 0; i < k; ++i)
        for (std::uint32_t a = 0; a < (1U << k); ++a)
            if (bit(a) != bit(a ^ (1U << i))) mask |= 1U << i;
    return mask;
}

}  // namespace

TEST_CASE("table function: effective inputs equal the pairwise definition for k = 0..10") {
    for (unsigned k = 0; k <= 10; ++k)
        for (std::uint64_t trial = 0; trial < 30; ++trial) {
            CAPTURE(k);
            CAPTURE(trial);
            const counter_rng rng(trial, "test.table_function");
            // A random function of a random subset of the inputs, so every mask occurs.
            const std::uint32_t reads = static_cast<std::uint32_t>(rng.at(0)) & ((1U << k) - 1);
            const std::vector<std::uint64_t> table =
                table_of(k, [&](std::uint32_t a) { return (rng.at(1 + (a & reads)) & 1U) != 0; });
            const std::uint32_t mask = effective_inputs(table, k);
            CHECK(mask == effective_by_pairs(table, k));
            CHECK((mask & ~reads) == 0);
        }
}

TEST_CASE("table function: the padding bits of a k < 6 word are not an input") {
    // k = 2, AND, with garbage above bit 3: still exactly inputs 0 and 1, still AND.
    const std::vector<std::uint64_t> table = {0b1000 | 0xF0F0'0000'0000'0000ULL};
    CHECK(effective_inputs(table, 2) == 0b11);
    CHECK(classify(table, 2) == function_kind::and_);
}

TEST_CASE("table function: classify names each simple function") {
    struct named {
        unsigned k;
        std::function<bool(std::uint32_t)> f;
        function_kind kind;
    };
    const std::vector<named> cases = {
        {0, [](std::uint32_t) { return true; }, function_kind::constant},
        {3, [](std::uint32_t) { return false; }, function_kind::constant},
        {3, [](std::uint32_t a) { return ((a >> 2) & 1U) != 0; }, function_kind::buffer},
        {1, [](std::uint32_t a) { return a == 0; }, function_kind::inverter},
        {7, [](std::uint32_t a) { return ((a >> 6) & 1U) == 0; }, function_kind::inverter},
        {2, [](std::uint32_t a) { return a == 3; }, function_kind::and_},
        {3, [](std::uint32_t a) { return a != 0; }, function_kind::or_},
        {2, [](std::uint32_t a) { return a != 3; }, function_kind::nand},
        {4, [](std::uint32_t a) { return a == 0; }, function_kind::nor},
        {2, [](std::uint32_t a) { return ones(a) == 1; }, function_kind::xor_},
        {3, [](std::uint32_t a) { return ones(a) % 2 == 0; }, function_kind::xnor},
        {5, [](std::uint32_t a) { return ones(a) >= 3; }, function_kind::majority},
        {4, [](std::uint32_t a) { return ones(a) >= 2; }, function_kind::threshold},
        {2, [](std::uint32_t a) { return a == 1; }, function_kind::other},
        {9, [](std::uint32_t a) { return ones(a & 0b100000001U) == 1; }, function_kind::xor_},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        CAPTURE(i);
        CHECK(to_string(classify(table_of(cases[i].k, cases[i].f), cases[i].k)) == to_string(cases[i].kind));
    }
    CHECK(to_string(function_kind::inverter) == "NOT");
    CHECK(to_string(function_kind::xnor) == "XNOR");
}

TEST_CASE("table function: a table of the wrong size or k is rejected with the sizes") {
    const std::vector<std::uint64_t> one_word = {0b0110};
    CHECK_THROWS_WITH_AS(static_cast<void>(effective_inputs(one_word, 7)),
                         doctest::Contains("a table of k = 7 inputs has 2 words, this one 1"), lutra::error);
    CHECK_THROWS_WITH_AS(static_cast<void>(classify(one_word, 17)), doctest::Contains("k = 17 is outside 0..16"),
                         lutra::error);
}
