#pragma once
// Each slot's candidate sources, compiled beside the network (compile()).

#include <cstdint>
#include <span>

#include "lutra/core/candidates.hpp"
#include "lutra/topology/develop.hpp"

namespace lutra::topology {

// The lists the wiring rules give, per slot of the compiled network, in
// network numbering: order[i] is the graph node (vertex − inputs) of
// network node i, node_of its inverse. Equal lists are stored once.
[[nodiscard]] core::candidate_sources compile_candidates(const genome& g, const developed_graph& d,
                                                         std::span<const std::uint32_t> order,
                                                         std::span<const std::uint32_t> node_of);

}  // namespace lutra::topology
