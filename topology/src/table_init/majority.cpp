// majority: 1 when more than half of the k inputs are 1.
#include <bit>

#include "table_init.hpp"

namespace lutra::topology::init {

table_init_kind majority_init() {
    return {.name = "majority",
            .doc = "1 when more than half of the inputs are 1",
            .same_for_every_node = true,
            .fill = [](const table_init&, unsigned k, const counter_rng&, std::span<std::uint64_t> words) {
                fill_entries(k, words, [k](std::uint64_t a) { return static_cast<unsigned>(std::popcount(a)) * 2 > k; });
            }};
}

}  // namespace lutra::topology::init
