#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/core/random.hpp"

namespace lutra::core {

network random_network(const random_network_params& p, std::uint64_t seed) {
    if (p.layers == 0 || p.nodes < p.layers)
        throw error("random network: need at least one node per layer (nodes = " + std::to_string(p.nodes) +
                    ", layers = " + std::to_string(p.layers) + ")");
    if (p.k < 1 || p.k > max_k) throw error("random network: k = " + std::to_string(p.k) + " is outside 1..16");
    if (p.num_inputs == 0) throw error("random network: needs at least one input bit");

    const counter_rng wiring(seed, "random_network.wiring");
    const counter_rng tables(seed, "random_network.tables");
    network_arrays a;
    a.num_inputs = p.num_inputs;
    a.k.assign(p.nodes, static_cast<std::uint8_t>(p.k));
    a.sources.reserve(std::size_t{p.nodes} * p.k);
    a.tables.reserve(std::size_t{p.nodes} * table_words(p.k));

    // Layer l holds nodes [first(l), first(l+1)); the last layer takes the remainder.
    const std::uint32_t per_layer = p.nodes / p.layers;
    auto first = [&](std::uint32_t l) { return l == p.layers ? p.nodes : l * per_layer; };
    for (std::uint32_t l = 0; l < p.layers; ++l) {
        // Sources of layer l: the inputs, or the nodes of layer l-1 (ids offset by num_inputs).
        const std::uint64_t src_begin = l == 0 ? 0 : std::uint64_t{p.num_inputs} + first(l - 1);
        const std::uint64_t src_count = l == 0 ? p.num_inputs : first(l) - first(l - 1);
        for (std::uint32_t n = first(l); n < first(l + 1); ++n) {
            const counter_rng node_rng = wiring.fork(n);
            for (unsigned s = 0; s < p.k; ++s)
                a.sources.push_back(static_cast<std::uint32_t>(src_begin + node_rng.below(s, src_count)));
            const counter_rng table_rng = tables.fork(n);
            for (std::size_t w = 0; w < table_words(p.k); ++w) {
                std::uint64_t word = table_rng.at(w);
                if (p.k < 6) word &= (std::uint64_t{1} << (1U << p.k)) - 1;
                a.tables.push_back(word);
            }
        }
    }
    if (p.num_classes > 0) {
        const std::uint32_t last = first(p.layers) - first(p.layers - 1);
        if (last % p.num_classes != 0)
            throw error("random network: the last layer has " + std::to_string(last) +
                        " nodes, not a multiple of " + std::to_string(p.num_classes) + " classes");
        a.head.num_classes = p.num_classes;
        for (std::uint32_t n = first(p.layers - 1); n < p.nodes; ++n) a.head.outputs.push_back(n);
    }
    return network(std::move(a));
}

void describe(schema_visitor& v, random_network_params& p) {
    v.field("inputs", p.num_inputs, "input bits", 1U, 1U << 24);
    v.field("nodes", p.nodes, "LUT nodes in all", 1U, 1U << 26);
    v.field("layers", p.layers, "equal layers, each reading only the previous one", 1U, 1U << 16);
    v.field("k", p.k, "inputs per node", 1U, max_k);
    v.field("classes", p.num_classes, "group-sum head classes over the last layer, 0 = no head", 0U, 65535U);
}

}  // namespace lutra::core
