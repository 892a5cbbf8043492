// copy: the output follows input slot 0 (table bit a = a & 1).
#include "table_init.hpp"

namespace lutra::topology::init {

table_init_kind copy_init() {
    return {.name = "copy",
            .doc = "the output follows slot 0",
            .same_for_every_node = true,
            .fill = [](const table_init&, unsigned k, const counter_rng&, std::span<std::uint64_t> words) {
                fill_entries(k, words, [](std::uint64_t a) { return (a & 1) != 0; });
            }};
}

}  // namespace lutra::topology::init
