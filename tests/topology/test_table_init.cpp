// The table-init table (topology/src/table_init/); what each kind computes
// is checked in test_develop.cpp.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "lutra/core/network.hpp"
#include "lutra/topology/develop.hpp"
#include "table_init/table_init.hpp"

using namespace lutra;
using namespace lutra::topology;
using init::table_init_kind;

TEST_CASE("table init: the table names each kind once, with a doc line; the public name list is the table's") {
    const std::span<const table_init_kind> table = init::table_init_table();
    REQUIRE(table.size() == table_init_kind_names().size());
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < table.size(); ++i) {
        CAPTURE(table[i].name);
        CHECK(table[i].name == table_init_kind_names()[i]);
        CHECK(!table[i].doc.empty());
        CHECK((table[i].fill != nullptr));
        CHECK(seen.insert(table[i].name).second);
    }
    const std::span<const std::string_view> as_span = table_init_kinds;
    CHECK(std::equal(as_span.begin(), as_span.end(), table_init_kinds.begin(), table_init_kinds.end()));
}

TEST_CASE("table init: every kind builds from a minimal genome, for k = 2, 6 and 8, with no bits past 2^k") {
    for (const table_init_kind& kind : init::table_init_table()) {
        for (std::uint32_t k : {2U, 6U, 8U}) {
            CAPTURE(kind.name);
            CAPTURE(k);
            genome g;
            g.inputs = {8, 1, 1};
            g.populations = {{.name = "t", .size = 4, .k = k, .init = {.kind = std::string(kind.name)}}};
            g.projections = {{.target = "t", .sources = {"input"}, .repeats = true}};
            g.head = {"t", 2};
            const developed_graph d = develop(g, 3);
            const compiled_network c = compile(g, d);  // core::network checks the padding bits
            REQUIRE(c.net.num_nodes() == 4);
            bool differ = false;
            for (std::uint32_t n = 1; n < 4; ++n)
                differ = differ || !std::ranges::equal(c.net.table(n), c.net.table(0));
            CHECK(differ == !kind.same_for_every_node);  // random tables differ from node to node
        }
    }
}
