// recurrent: uniform over the sources like `random`, but the sources may
// include the target itself and later populations, so every slot is at
// least one tick late (every loop has a register).
#include "wiring.hpp"

namespace lutra::topology::wiring {

wiring_rule recurrent_wiring() {
    return {.name = "recurrent",
            .doc = "uniform over the sources, which may include the target and later populations; delay ≥ 1",
            .needs_delay = true,
            .per_node = false,
            .candidates = [](const wiring_context& context, std::uint32_t, candidate_space& out) {
                add_all_sources(context, out);
            }};
}

}  // namespace lutra::topology::wiring
