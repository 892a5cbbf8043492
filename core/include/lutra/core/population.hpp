#pragma once
// A population (DESIGN §1): a named group of network nodes, made by one gene
// (a layer, a map, a pool). Topology compiles a genome into a network and
// its populations; run files store and read them back; analysis reports per
// population. A node belongs to at most one population; a network built by
// hand may have none.

#include <cstdint>
#include <string>
#include <vector>

namespace lutra::core {

struct population {
    std::string name;                  // the gene's name, unique within a network
    std::vector<std::uint32_t> nodes;  // the network node index of each of its nodes, in population order
    friend bool operator==(const population&, const population&) = default;
};

}  // namespace lutra::core
