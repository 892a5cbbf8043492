#pragma once
// Development (DESIGN §6): genome + seed → the wiring graph, a Boost.Graph
// adjacency_list whose vertices are the input bits and the nodes and whose
// edges are input slots carrying their delay; then checks, statistics and
// compilation to core::network. Every random choice comes from a
// counter_rng keyed by (seed, gene, node, slot), so the graph is the same bit
// for bit on every run and for every thread count; its hash says so.

#include <boost/graph/adjacency_list.hpp>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "lutra/core/candidates.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/population.hpp"
#include "lutra/topology/genome.hpp"

namespace lutra::topology {

inline constexpr std::uint32_t no_population = UINT32_MAX;

// A vertex: an input bit (population = no_population) or a node.
struct vertex_info {
    std::uint32_t population = no_population;  // index into genome::populations
    std::uint32_t index = 0;   // node index within its population, or the input row
    float x = 0;               // position in its own grid: pixel column, or grid column
    float y = 0;               // pixel row, or grid row
    std::uint16_t bit = 0;     // input bits: the level within the pixel
};

// An edge source → node: the node's input slot `slot` reads `source`.
struct edge_info {
    std::uint32_t slot = 0;    // address bit of the target's table
    std::uint32_t delay = 0;   // ticks; 0 = combinational
};

using wiring_graph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, vertex_info, edge_info>;

// Vertices are numbered: input bits first (row order of core::encoder), then
// the populations' nodes in gene order.
struct developed_graph {
    wiring_graph graph;
    std::uint32_t num_inputs = 0;
    std::vector<std::uint32_t> population_first;  // first vertex of each population, plus one past the last
    std::vector<std::uint64_t> tables;            // initial tables, node-major (node = vertex − num_inputs)
    std::vector<std::size_t> table_offset;        // per node, into tables
    std::vector<std::uint32_t> level;             // per node: level in the zero-delay graph, ≥ 1
    std::uint64_t hash = 0;                       // of wiring, delays and tables
    std::vector<std::string> warnings;            // dead nodes, unread input bits

    [[nodiscard]] std::uint32_t num_nodes() const noexcept { return population_first.back() - num_inputs; }
};

struct develop_options {
    unsigned threads = 1;  // nodes are wired in parallel; the result never depends on this
};

// Validates the genome, grows the graph, and checks it: zero-delay cycles,
// projections with fewer candidate sources than slots (topology::genome_error
// naming the gene, node and counts). Dead nodes and unread input bits are
// warnings in the result.
[[nodiscard]] developed_graph develop(const genome& g, std::uint64_t seed, develop_options options = {});

// "0123456789abcdef": the hash as 16 hex digits, as printed and recorded.
[[nodiscard]] std::string hash_hex(std::uint64_t hash);

struct histogram_bin {
    std::uint32_t value;  // a fan-in or fan-out
    std::uint64_t count;  // how many vertices have it
};

struct graph_statistics {
    std::uint32_t depth = 0;                     // levels of the zero-delay graph
    std::uint64_t edges = 0;
    std::uint64_t delayed_edges = 0;             // edges with delay ≥ 1
    std::vector<histogram_bin> fan_in;           // over nodes
    std::vector<histogram_bin> fan_out;          // over nodes
    std::vector<histogram_bin> input_fan_out;    // over input bits
    std::uint32_t inputs_read = 0;               // input bits with fan-out ≥ 1
    double input_coverage = 0;                   // inputs_read / input bits
    std::uint32_t dead_nodes = 0;                // nodes from which no path reaches a head output
};

[[nodiscard]] graph_statistics statistics(const genome& g, const developed_graph& d);

struct compiled_network {
    core::network net;
    std::vector<core::population> populations;  // in gene order
    std::vector<std::uint32_t> node_vertex;     // network node → graph vertex
    core::candidate_sources candidates;         // per slot of net: the sources its wiring rule chose from
};

// Nodes in level order (a topological sort of the zero-delay subgraph, ties
// by vertex number), delays kept per slot, the head from head_gene. Each
// slot's candidates are the list its projection's wiring rule gave its node
// (for cover_bits, at the slot's bit level), in the rule's order, in
// network numbering; slots with equal lists share one.
[[nodiscard]] compiled_network compile(const genome& g, const developed_graph& d);

// The graph in Boost's GraphML and Graphviz DOT writers, with vertex
// attributes population, index, x, y, bit and edge attributes slot, delay.
void write_graphml(std::ostream& out, const genome& g, const developed_graph& d);
void write_dot(std::ostream& out, const genome& g, const developed_graph& d);

}  // namespace lutra::topology
