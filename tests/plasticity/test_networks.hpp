#pragma once
// Small networks and tasks the plasticity tests train.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/random.hpp"

namespace lutra::test {

using namespace lutra::core;


// One layer: `nodes` nodes of fan-in k, each reading inputs (s, s+1, …) mod
// inputs, random tables; the head splits them into `classes` groups.
inline network one_layer(std::uint32_t inputs, std::uint32_t nodes, unsigned k, std::uint32_t classes, std::uint64_t seed) {
    network_arrays a;
    a.num_inputs = inputs;
    const counter_rng rng(seed, "test.one_layer");
    for (std::uint32_t n = 0; n < nodes; ++n) {
        a.k.push_back(static_cast<std::uint8_t>(k));
        for (unsigned s = 0; s < k; ++s) a.sources.push_back((n + s) % inputs);
        a.tables.push_back(k < 6 ? rng.at(n) & ((std::uint64_t{1} << (1U << k)) - 1) : rng.at(n));
        if (k > 6)
            for (std::size_t w = 1; w < table_words(k); ++w) a.tables.push_back(rng.fork(n).at(w));
        a.head.outputs.push_back(n);
    }
    a.head.num_classes = classes;
    return network(std::move(a));
}

inline double hard_accuracy(const network& net, const bit_matrix& inputs, std::span<const std::uint16_t> labels) {
    const head_output out = bitslice_engine(net).classify(inputs);
    std::size_t correct = 0;
    for (std::size_t s = 0; s < labels.size(); ++s) correct += out.predictions[s] == labels[s];
    return static_cast<double>(correct) / static_cast<double>(labels.size());
}

struct task {
    bit_matrix inputs;
    std::vector<std::uint16_t> labels;
};

inline task synthetic(std::string_view name) {
    const dataset d = data::load_dataset(name);
    const encoder enc = encoder::fit({.kind = "binarize"}, d);
    return {enc.encode(d.train), d.train.labels};
}


}  // namespace lutra::test
