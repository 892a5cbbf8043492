// function: a named function of all k inputs (and, or, xor, nand, nor, xnor),
// from this file's table, which static_assert keeps equal, name for name, to
// the public list table_functions.
#include <algorithm>
#include <bit>
#include <iterator>
#include <string>

#include "lutra/core/error.hpp"
#include "table_init.hpp"

namespace lutra::topology::init {
namespace {

// The output at address a of a k-input table.
struct named_function {
    std::string_view name;
    bool (*entry)(std::uint64_t a, unsigned k);
};

constexpr bool all_ones(std::uint64_t a, unsigned k) { return a == (std::uint64_t{1} << k) - 1; }
constexpr bool odd(std::uint64_t a) { return (std::popcount(a) & 1) != 0; }

constexpr named_function functions[] = {
    {"and", [](std::uint64_t a, unsigned k) { return all_ones(a, k); }},
    {"or", [](std::uint64_t a, unsigned) { return a != 0; }},
    {"xor", [](std::uint64_t a, unsigned) { return odd(a); }},
    {"nand", [](std::uint64_t a, unsigned k) { return !all_ones(a, k); }},
    {"nor", [](std::uint64_t a, unsigned) { return a == 0; }},
    {"xnor", [](std::uint64_t a, unsigned) { return !odd(a); }},
};

static_assert(std::ranges::equal(functions, table_functions, {}, &named_function::name),
              "the function table and table_functions must list the same names in the same order");

}  // namespace

table_init_kind function_init() {
    return {.name = "function",
            .doc = "a named function of all k inputs: and, or, xor, nand, nor, xnor",
            .uses_function = true,
            .same_for_every_node = true,
            .fill = [](const table_init& init, unsigned k, const counter_rng&, std::span<std::uint64_t> words) {
                const auto f = std::ranges::find(functions, init.function, &named_function::name);
                if (f == std::end(functions))
                    throw internal_error("table init: no function '" + init.function + "' in a validated genome");
                fill_entries(k, words, [&](std::uint64_t a) { return f->entry(a, k); });
            }};
}

}  // namespace lutra::topology::init
