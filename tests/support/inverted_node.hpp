#pragma once
// A network with one node's output inverted (its table complemented): what
// the sensitivity statistic asks about, recomputed the slow way in tests.

#include <cstdint>
#include <utility>

#include "lutra/core/network.hpp"

namespace lutra::test {

inline core::network with_inverted(const core::network& net, std::uint32_t node) {
    core::network_arrays a = net.arrays();
    const unsigned k = net.k(node);
    for (std::size_t w = 0; w < core::table_words(k); ++w) {
        std::uint64_t& t = a.tables[net.table_offset(node) + w];
        t = ~t;
        if (k < 6) t &= (std::uint64_t{1} << (1U << k)) - 1;
    }
    return core::network(std::move(a));
}

}  // namespace lutra::test
