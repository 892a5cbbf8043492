// random: each table bit is 1 with probability p_one, drawn per node.
#include "table_init.hpp"

namespace lutra::topology::init {

table_init_kind random_init() {
    return {.name = "random",
            .doc = "each bit 1 with probability p_one",
            .uses_p_one = true,
            .fill = [](const table_init& init, unsigned, const counter_rng& rng, std::span<std::uint64_t> words) {
                for (std::size_t w = 0; w < words.size(); ++w) {
                    if (init.p_one == 0.5) {
                        words[w] = rng.at(w);  // 64 fair bits at once
                        continue;
                    }
                    for (unsigned b = 0; b < 64; ++b)
                        if (rng.uniform(w * 64 + b) < init.p_one) words[w] |= std::uint64_t{1} << b;
                }
            }};
}

}  // namespace lutra::topology::init
