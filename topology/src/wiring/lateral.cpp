// lateral: a node reads its own population's nodes within `radius` on their
// layout, never itself, at least one tick late (neighbours in a loop need a
// register).
#include "wiring.hpp"

namespace lutra::topology::wiring {

wiring_rule lateral_wiring() {
    return {.name = "lateral",
            .doc = "the target's own nodes within radius, not the node itself; delay ≥ 1",
            .uses_radius = true,
            .reads_own_target = true,
            .needs_delay = true,
            .per_node = true,
            .candidates = [](const wiring_context& context, std::uint32_t node, candidate_space& out) {
                add_within_radius(context, context.target_block, node, true, out);
            }};
}

}  // namespace lutra::topology::wiring
