// Bit-sliced inference throughput: a random 5,000-node LUT6 network (5 layers
// of 1,000, group-sum head over 10 classes) classifying 65,536 samples of
// 2,352 input bits (28 × 28 pixels × 3 thermometer bits), on 1 and 2 threads,
// for every instruction set this processor supports.
//
//   build/bench/bench_infer                      all cases
//   build/bench/bench_infer --benchmark_filter=avx512
//
// Counters: lut6_per_s (LUT6 evaluations per second), samples_per_s, and
// naive_peak_lut6_per_s — this core's measured ceiling for a naive Shannon
// tree of 63 register-wide muxes per LUT6 (times the thread count). `lutra
// bench infer` prints the same figures and their ratio.
#include <benchmark/benchmark.h>

#include <string>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/random.hpp"

namespace {

using namespace lutra::core;

constexpr std::size_t samples = 65536;
const random_network_params shape{.num_inputs = 2352, .nodes = 5000, .layers = 5, .k = 6, .num_classes = 10};

const bit_matrix& inputs() {
    static const bit_matrix m = [] {
        bit_matrix x(shape.num_inputs, samples);
        const lutra::counter_rng rng(1, "bench.inputs");
        for (std::size_t r = 0; r < x.rows(); ++r)
            for (std::size_t w = 0; w < x.stride(); ++w) x.row(r)[w] = rng.fork(r).at(w);
        return x;
    }();
    return m;
}

void infer(benchmark::State& state, isa set) {
    if (!isa_supported(set)) {
        state.SkipWithError("instruction set not supported by this processor");
        return;
    }
    const unsigned threads = static_cast<unsigned>(state.range(0));
    const bitslice_engine engine(random_network(shape, 1), {.instruction_set = set, .threads = threads});
    for (auto _ : state) benchmark::DoNotOptimize(engine.classify(inputs()));
    const double evals = static_cast<double>(shape.nodes) * samples;
    state.counters["lut6_per_s"] = benchmark::Counter(evals, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["samples_per_s"] = benchmark::Counter(samples, benchmark::Counter::kIsIterationInvariantRate);
    // The same core's ceiling for a naive 63-mux tree, to read lut6_per_s against.
    state.counters["naive_peak_lut6_per_s"] = measure_mux_peak(set).naive_lut6_per_second() * threads;
}

}  // namespace

BENCHMARK_CAPTURE(infer, portable, isa::portable)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(infer, avx2, isa::avx2)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(infer, avx512, isa::avx512)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
