// random: each slot draws uniformly from all nodes and input bits of the
// projection's sources; every node of the target has the same candidates.
#include "wiring.hpp"

namespace lutra::topology::wiring {

wiring_rule random_wiring() {
    return {.name = "random",
            .doc = "uniform over all nodes / input bits of the sources",
            .per_node = false,
            .candidates = [](const wiring_context& context, std::uint32_t, candidate_space& out) {
                add_all_sources(context, out);
            }};
}

}  // namespace lutra::topology::wiring
