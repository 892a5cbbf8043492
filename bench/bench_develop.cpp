// Developing and compiling a 100,000-node, k = 6 genome on one core (and on
// two): a receptive-field layer of 50,000 over 28 × 28 × 3 input bits, a
// random layer of 40,000 and a random output layer of 10,000.
//
//   build/bench/bench_develop
#include <benchmark/benchmark.h>

#include "lutra/topology/develop.hpp"

namespace {

using namespace lutra::topology;

genome big() {
    genome g;
    g.inputs = {28, 28, 3};
    g.populations = {{.name = "v1", .size = 50000, .k = 6, .grid = {250, 200}},
                     {.name = "h1", .size = 40000, .k = 6},
                     {.name = "out", .size = 10000, .k = 6}};
    g.projections = {{.target = "v1", .sources = {"input"}, .rule = "receptive_field", .radius = 3.0, .cover_bits = true},
                     {.target = "h1", .sources = {"v1"}, .rule = "random"},
                     {.target = "out", .sources = {"h1"}, .rule = "random"}};
    g.head = {"out", 10};
    return g;
}

void develop_and_compile(benchmark::State& state) {
    const genome g = big();
    const auto threads = static_cast<unsigned>(state.range(0));
    for (auto _ : state) {
        const developed_graph d = develop(g, 1, {.threads = threads});
        benchmark::DoNotOptimize(compile(g, d));
    }
    state.counters["nodes_per_s"] = benchmark::Counter(100000, benchmark::Counter::kIsIterationInvariantRate);
}

void develop_only(benchmark::State& state) {
    const genome g = big();
    for (auto _ : state) benchmark::DoNotOptimize(develop(g, 1));
}

}  // namespace

BENCHMARK(develop_and_compile)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(develop_only)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
