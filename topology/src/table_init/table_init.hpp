#pragma once
// Table inits (DESIGN §6), private to topology: how a population's initial
// tables are made. Each kind is one descriptor — its name, a line of
// documentation, the table_init fields it reads, and the function that fills
// a table — defined in its own file beside this one and listed once in
// table_init_table() (table.cpp). Development (develop.cpp) and evolution
// (evolution.cpp) consult the descriptor; neither compares a kind's name.
//
// Adding a kind: table_init/<kind>.cpp with `table_init_kind <kind>_init()`,
// its declaration and one line in table.cpp, its line in
// topology/CMakeLists.txt, and its test (tests/topology/test_develop.cpp
// checks the tables each kind makes; test_table_init.cpp builds every kind).

#include <cstdint>
#include <span>
#include <string_view>

#include "lutra/core/random.hpp"
#include "lutra/topology/genome.hpp"


namespace lutra::topology::init {

struct table_init_kind {
    std::string_view name;  // what table_init::kind says
    std::string_view doc;   // one line: what the table computes

    // The table_init fields it reads; evolution mutates only these.
    bool uses_p_one = false;
    bool uses_value = false;
    bool uses_function = false;

    // Fills the table of a node with k inputs: `words` holds table_words(k)
    // words, zero on entry; bits at addresses ≥ 2^k are cleared afterwards.
    // `rng` is the node's own stream (the population's when
    // same_for_every_node: then development fills one table and copies it).
    bool same_for_every_node = false;
    void (*fill)(const table_init& init, unsigned k, const counter_rng& rng, std::span<std::uint64_t> words) = nullptr;
};

// Sets table bit a wherever entry(a) is true, for every address a < 2^k.
template <class Entry>
void fill_entries(unsigned k, std::span<std::uint64_t> words, Entry entry) {
    const std::uint64_t entries = std::uint64_t{1} << k;
    for (std::uint64_t a = 0; a < entries; ++a)
        if (entry(a)) words[a / 64] |= std::uint64_t{1} << (a % 64);
}

// Every kind, in the order messages and choice lists give them.
[[nodiscard]] std::span<const table_init_kind> table_init_table();
// The kind of a validated init; lutra::internal_error if there is none.
[[nodiscard]] const table_init_kind& table_init_kind_of(const table_init& init);

}  // namespace lutra::topology::init
