// receptive_field: a node reads the sources within `radius` of its position,
// its population's grid stretched over each source's grid (the input image,
// or another population's layout); radius in source-grid units (pixels).
#include "wiring.hpp"

namespace lutra::topology::wiring {

wiring_rule receptive_field_wiring() {
    return {.name = "receptive_field",
            .doc = "the sources within radius of the node's position on the shared layout",
            .uses_radius = true,
            .per_node = true,
            .candidates = [](const wiring_context& context, std::uint32_t node, candidate_space& out) {
                for (const source_block& b : context.sources) add_within_radius(context, b, node, false, out);
            }};
}

}  // namespace lutra::topology::wiring
