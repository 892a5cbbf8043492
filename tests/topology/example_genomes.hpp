#pragma once
// Example genomes shared by the topology tests: a small MNIST-like one that
// uses every wiring rule, and the smallest useful one (XOR).

#include "lutra/topology/genome.hpp"

namespace lutra::test {

// 8×8 pixels × 2 bits in; 'v1' (64 nodes on an 8×8 grid) sees receptive
// fields of the input; 'h1' (40 nodes, 8×5) reads v1, the input and, with a
// one-tick delay, its neighbours; 'out' (20 nodes, 10 classes) reads h1 and
// v1, and itself one tick late. Every population has k = 6.
inline topology::genome mnist_like_genome() {
    using namespace lutra::topology;
    genome g;
    g.inputs = {.width = 8, .height = 8, .bits = 2};
    g.populations = {
        {.name = "v1", .size = 64, .k = 6, .grid = {8, 8}},
        {.name = "h1", .size = 40, .k = 6, .grid = {8, 5}, .init = {.kind = "random", .p_one = 0.25}},
        {.name = "out", .size = 20, .k = 6, .init = {.kind = "majority"}},
    };
    g.projections = {
        {.target = "v1", .sources = {"input"}, .rule = "receptive_field", .radius = 2.0, .cover_bits = true},
        {.target = "h1", .sources = {"v1"}, .rule = "random", .slots = 4},
        {.target = "h1", .sources = {"input"}, .rule = "random", .slots = 1, .cover_bits = true},
        {.target = "h1", .sources = {"h1"}, .rule = "lateral", .slots = 1, .radius = 1.5, .delay = {"constant", 1, 1}},
        {.target = "out", .sources = {"h1", "v1"}, .rule = "random", .slots = 5},
        {.target = "out", .sources = {"out"}, .rule = "recurrent", .slots = 1, .delay = {"uniform", 1, 2}},
    };
    g.head = {.population = "out", .classes = 10};
    return g;
}

// 2 input bits; 'out': 2 nodes of k = 2, each reading both bits; 2 classes.
inline topology::genome xor_genome() {
    using namespace lutra::topology;
    genome g;
    g.inputs = {.width = 2, .height = 1, .bits = 1};
    g.populations = {{.name = "out", .size = 2, .k = 2}};
    g.projections = {{.target = "out", .sources = {"input"}, .rule = "random"}};
    g.head = {.population = "out", .classes = 2};
    return g;
}

}  // namespace lutra::test
