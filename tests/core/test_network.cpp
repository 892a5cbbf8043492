#include <doctest/doctest.h>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"

using namespace lutra;
using namespace lutra::core;

namespace {

// in0, in1 → n0 = AND, n1 = XOR(n0, in1), head over n0, n1.
network_arrays two_nodes() {
    network_arrays a;
    a.num_inputs = 2;
    a.k = {2, 2};
    a.sources = {0, 1, 2, 1};
    a.tables = {0b1000, 0b0110};
    a.head = {.num_classes = 2, .outputs = {0, 1}};
    return a;
}

}  // namespace

TEST_CASE("network: a valid network exposes its arrays, levels and offsets") {
    const network net(two_nodes());
    CHECK(net.num_inputs() == 2);
    CHECK(net.num_nodes() == 2);
    CHECK(net.k(1) == 2);
    CHECK(net.sources(1)[0] == 2);
    CHECK(net.level(0) == 1);
    CHECK(net.level(1) == 2);
    CHECK(net.depth() == 2);
    CHECK(net.combinational());
    CHECK(net.delays(1)[1] == 0);
    CHECK(net.table_bit(0, 3));
    CHECK_FALSE(net.table_bit(0, 2));
    CHECK(table_words(6) == 1);
    CHECK(table_words(8) == 4);
    CHECK(table_words(16) == 1024);
}

TEST_CASE("network: invalid arrays are rejected naming the node and the problem") {
    auto rejects = [](network_arrays a, const char* message) {
        CHECK_THROWS_WITH_AS(network(std::move(a)), doctest::Contains(message), network_error);
    };
    {
        auto a = two_nodes();
        a.k[1] = 0;
        a.sources.resize(2);
        a.tables.resize(1);
        rejects(a, "node 1: k = 0 is outside 1..16");
    }
    {
        auto a = two_nodes();
        a.k[0] = 17;
        rejects(a, "node 0: k = 17 is outside 1..16");
    }
    {
        auto a = two_nodes();
        a.sources.push_back(0);
        rejects(a, "sources has 5 entries but the nodes' k add up to 4");
    }
    {
        auto a = two_nodes();
        a.sources[3] = 4;
        rejects(a, "node 1: slot 1 reads source 4, but there are only 4 sources");
    }
    {
        auto a = two_nodes();
        a.sources[0] = 3;  // node 0 reads node 1 with zero delay
        rejects(a, "node 0: slot 0 reads node 1 with zero delay");
    }
    {
        auto a = two_nodes();
        a.tables[0] = 0x10;  // address 4 does not exist for k = 2
        rejects(a, "node 0: table word has bits set at addresses ≥ 2^k = 4");
    }
    {
        auto a = two_nodes();
        a.tables.push_back(0);
        rejects(a, "tables has 3 words but the nodes' k need 2");
    }
    {
        auto a = two_nodes();
        a.delays = {0, 0};
        rejects(a, "delays has 2 entries; expected 0 (all zero) or one per slot, 4");
    }
    {
        auto a = two_nodes();
        a.head.outputs = {0, 1, 1};
        rejects(a, "head has 3 outputs, which is not a positive multiple of 2 classes");
    }
    {
        auto a = two_nodes();
        a.head.outputs = {0, 7};
        rejects(a, "head output 1 is node 7, but there are 2 nodes");
    }
}

TEST_CASE("network: a delayed slot may close a cycle and marks the network sequential") {
    network_arrays a;
    a.num_inputs = 1;
    a.k = {2};
    a.sources = {0, 1};  // reads its own output one tick ago
    a.delays = {0, 1};
    a.tables = {0b0110};
    const network net(std::move(a));
    CHECK_FALSE(net.combinational());
    CHECK(net.level(0) == 1);
}

TEST_CASE("network: random_network is deterministic in the seed and respects its parameters") {
    const random_network_params p{.num_inputs = 50, .nodes = 120, .layers = 3, .k = 5, .num_classes = 4};
    const network a = random_network(p, 7);
    const network b = random_network(p, 7);
    const network c = random_network(p, 8);
    CHECK(a.arrays().sources == b.arrays().sources);
    CHECK(a.arrays().tables == b.arrays().tables);
    CHECK(a.arrays().tables != c.arrays().tables);
    CHECK(a.depth() == 3);
    CHECK(a.head().outputs.size() == 40);
    for (std::uint32_t n = 0; n < 40; ++n)
        for (std::uint32_t src : a.sources(n)) CHECK(src < 50);
    CHECK_THROWS_WITH_AS((void)random_network({.num_inputs = 50, .nodes = 10, .layers = 2, .k = 6, .num_classes = 3}, 1),
                         doctest::Contains("not a multiple of 3 classes"), lutra::error);
}
