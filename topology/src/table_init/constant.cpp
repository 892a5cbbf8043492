// constant: every table bit is `value`.
#include "table_init.hpp"

namespace lutra::topology::init {

table_init_kind constant_init() {
    return {.name = "constant",
            .doc = "every bit = value",
            .uses_value = true,
            .same_for_every_node = true,
            .fill = [](const table_init& init, unsigned k, const counter_rng&, std::span<std::uint64_t> words) {
                fill_entries(k, words, [&](std::uint64_t) { return init.value; });
            }};
}

}  // namespace lutra::topology::init
