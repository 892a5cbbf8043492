// The wiring graph written by Boost.Graph's own GraphML and Graphviz writers.
#include <boost/graph/graphml.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/property_map/function_property_map.hpp>

#include <ostream>

#include "lutra/topology/develop.hpp"

namespace lutra::topology {

namespace {

// The attributes both formats carry, as read-only maps over the bundled
// properties (the writers only read).
template <class Key, class Value, class Get>
auto read_only(Get get) {
    return boost::make_function_property_map<Key, Value>(get);
}

boost::dynamic_properties graph_properties(const genome& g, const developed_graph& d) {
    using vertex = wiring_graph::vertex_descriptor;
    using edge = wiring_graph::edge_descriptor;
    const wiring_graph& graph = d.graph;
    boost::dynamic_properties dp;
    dp.property("population", read_only<vertex, std::string>([&g, &graph](vertex v) {
                    const std::uint32_t p = graph[v].population;
                    return p == no_population ? std::string(input_name) : g.populations[p].name;
                }));
    dp.property("index", read_only<vertex, std::uint32_t>([&graph](vertex v) { return graph[v].index; }));
    dp.property("x", read_only<vertex, float>([&graph](vertex v) { return graph[v].x; }));
    dp.property("y", read_only<vertex, float>([&graph](vertex v) { return graph[v].y; }));
    dp.property("bit", read_only<vertex, unsigned>([&graph](vertex v) { return unsigned{graph[v].bit}; }));
    dp.property("slot", read_only<edge, std::uint32_t>([&graph](edge e) { return graph[e].slot; }));
    dp.property("delay", read_only<edge, std::uint32_t>([&graph](edge e) { return graph[e].delay; }));
    return dp;
}

}  // namespace

void write_graphml(std::ostream& out, const genome& g, const developed_graph& d) {
    boost::write_graphml(out, d.graph, graph_properties(g, d), true);
}

void write_dot(std::ostream& out, const genome& g, const developed_graph& d) {
    boost::dynamic_properties dp = graph_properties(g, d);
    dp.property("node_id", read_only<wiring_graph::vertex_descriptor, std::size_t>(
                               [](wiring_graph::vertex_descriptor v) { return std::size_t{v}; }));
    boost::write_graphviz_dp(out, d.graph, dp, "node_id");
}

}  // namespace lutra::topology
