#pragma once
// What the tables of a hardened network compute (DESIGN §8's simplification
// report, without changing the network): which inputs each table really
// reads, which nodes are constant or simple gates, which reach no output.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/network.hpp"
#include "lutra/core/table_function.hpp"

namespace lutra::analysis {

// Bit i set: the node's output depends on input slot i (core::effective_inputs
// on the node's table).
[[nodiscard]] std::uint32_t effective_inputs(const core::network& net, std::uint32_t node);
// The number of slots the node depends on, 0..k.
[[nodiscard]] unsigned effective_fan_in(const core::network& net, std::uint32_t node);

// The kinds of simple function and their names live in core (one
// classifier for the analysis and the FPGA passes); these names keep
// analysis callers unchanged.
using core::function_kind;
using core::num_function_kinds;
using core::to_string;
// classify(net, node): core::classify on the node's table.
[[nodiscard]] function_kind classify(const core::network& net, std::uint32_t node);

// Per node: true when no path of slots leads from it to a head output (with
// delayed slots). Without a head every node is dead.
[[nodiscard]] std::vector<bool> dead_nodes(const core::network& net);

// Counts over one group of nodes.
struct node_census {
    std::string name;                                           // population name, or "(no population)"
    std::uint32_t nodes = 0;                                    // nodes in the group
    std::uint32_t dead = 0;                                     // reach no head output
    std::uint32_t constant = 0;                                 // effective fan-in 0
    std::array<std::uint32_t, core::max_k + 1> fan_in{};        // nodes per effective fan-in 0..16
    std::array<std::uint32_t, num_function_kinds> functions{};  // nodes per function_kind
};

// One census per group, in the given order, plus one for the nodes in no
// group when there are any. Groups are lists of network node ids.
struct node_group {
    std::string name;
    std::span<const std::uint32_t> nodes;
};
[[nodiscard]] std::vector<node_census> census(const core::network& net, std::span<const node_group> groups);

// The mean effective fan-in of a census's nodes (0 without nodes).
[[nodiscard]] double mean_fan_in(const node_census& c);

}  // namespace lutra::analysis
