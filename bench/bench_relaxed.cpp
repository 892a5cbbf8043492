// Relaxed-engine throughput, the work of one training step: a random
// 3,000-node LUT6 network over 2,352 input bits (28 × 28 pixels × 3
// thermometer bits) in 5 layers of 500, 500, 500, 500 and 1,000 nodes, the
// last layer a group-sum head of 10 classes × 100; a batch of samples through
// forward, dy cleared and the head's rows filled, then backward. On 1 and 2
// threads, for every instruction set this processor supports; forward alone
// too, and the "efd" relaxation on the fastest set.
//
//   build/bench/bench_relaxed                            all cases
//   build/bench/bench_relaxed --benchmark_filter=avx512
//
// Counters: samples_per_s, and lut_samples_per_s (nodes × samples per second).
// Arguments: threads / batch samples / block_samples. The 256-sample batch uses
// blocks of 128 so that two threads have a block each (blocks fix the order of
// the gradient sums, so they must not depend on the thread count).
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "lutra/core/random.hpp"
#include "lutra/core/relaxed.hpp"

namespace {

using namespace lutra::core;

constexpr std::uint32_t num_inputs = 2352;
constexpr unsigned k = 6;
const std::vector<std::uint32_t> layers = {500, 500, 500, 500, 1000};
constexpr std::uint32_t num_classes = 10;

// Like random_network(), with unequal layers: each slot draws uniformly from
// the previous layer (the first from the inputs); uniformly random tables.
const network& bench_network() {
    static const network net = [] {
        const lutra::counter_rng rng(1, "bench.relaxed.network");
        network_arrays a;
        a.num_inputs = num_inputs;
        std::uint32_t first = 0, previous = 0, n = 0;
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const std::uint64_t src_begin = l == 0 ? 0 : std::uint64_t{num_inputs} + previous;
            const std::uint64_t src_count = l == 0 ? num_inputs : first - previous;
            for (std::uint32_t j = 0; j < layers[l]; ++j, ++n) {
                a.k.push_back(k);
                for (unsigned s = 0; s < k; ++s)
                    a.sources.push_back(static_cast<std::uint32_t>(src_begin + rng.fork(n).below(s, src_count)));
                a.tables.push_back(rng.fork(n).at(100));
            }
            previous = first;
            first = n;
        }
        a.head.num_classes = num_classes;
        for (std::uint32_t j = previous; j < n; ++j) a.head.outputs.push_back(j);
        return network(std::move(a));
    }();
    return net;
}

const bit_matrix& inputs(std::size_t samples) {
    static bit_matrix m;
    if (m.samples() != samples) {
        m = bit_matrix(num_inputs, samples);
        const lutra::counter_rng rng(1, "bench.relaxed.inputs");
        for (std::size_t r = 0; r < m.rows(); ++r)
            for (std::size_t w = 0; w < m.stride(); ++w) m.row(r)[w] = rng.fork(r).at(w);
    }
    return m;
}

std::vector<float> entries(const relaxed_engine& engine) {
    std::vector<float> w(engine.num_entries());
    const lutra::counter_rng rng(1, "bench.relaxed.entries");
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(rng.uniform(i));
    return w;
}

void set_counters(benchmark::State& state, std::size_t samples) {
    state.counters["samples_per_s"] =
        benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["lut_samples_per_s"] = benchmark::Counter(static_cast<double>(samples) * bench_network().num_nodes(),
                                                             benchmark::Counter::kIsIterationInvariantRate);
}

void train_step(benchmark::State& state, isa set, std::string relaxation) {
    if (!relaxed_engine_supports(set)) {
        state.SkipWithError("instruction set not supported by this processor");
        return;
    }
    const auto threads = static_cast<unsigned>(state.range(0));
    const auto samples = static_cast<std::size_t>(state.range(1));
    const relaxed_engine engine(bench_network(), {.instruction_set = set,
                                                  .threads = threads,
                                                  .block_samples = static_cast<std::size_t>(state.range(2)),
                                                  .relaxation = std::move(relaxation)});
    const std::vector<float> w = entries(engine);
    const bit_matrix& x = inputs(samples);
    relaxed_engine::activations y, dy(bench_network().num_nodes(), samples);
    std::vector<float> grad(w.size(), 0.0F);
    for (auto _ : state) {
        engine.forward(x, 0, samples, w, y);
        dy.zero();
        for (const std::uint32_t n : bench_network().head().outputs)
            for (float& g : dy.node(n)) g = 0.01F;
        engine.backward(x, 0, samples, w, y, dy, grad);
        benchmark::DoNotOptimize(grad.data());
    }
    set_counters(state, samples);
}

void forward_only(benchmark::State& state, isa set) {
    if (!relaxed_engine_supports(set)) {
        state.SkipWithError("instruction set not supported by this processor");
        return;
    }
    const auto threads = static_cast<unsigned>(state.range(0));
    const auto samples = static_cast<std::size_t>(state.range(1));
    const relaxed_engine engine(
        bench_network(),
        {.instruction_set = set, .threads = threads, .block_samples = static_cast<std::size_t>(state.range(2))});
    const std::vector<float> w = entries(engine);
    const bit_matrix& x = inputs(samples);
    relaxed_engine::activations y;
    for (auto _ : state) {
        engine.forward(x, 0, samples, w, y);
        benchmark::DoNotOptimize(y.node(0).data());
    }
    set_counters(state, samples);
}

void cases(benchmark::internal::Benchmark* b) {
    b->ArgNames({"threads", "batch", "block"});
    for (const auto& [batch, block] : {std::pair{256L, 128L}, std::pair{4096L, 256L}})
        for (long threads : {1L, 2L}) b->Args({threads, batch, block});
    b->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

BENCHMARK_CAPTURE(train_step, portable, isa::portable, "multilinear")->Apply(cases);
BENCHMARK_CAPTURE(train_step, avx2, isa::avx2, "multilinear")->Apply(cases);
BENCHMARK_CAPTURE(train_step, avx512, isa::avx512, "multilinear")->Apply(cases);
BENCHMARK_CAPTURE(train_step, avx512_efd, isa::avx512, "efd")->Apply(cases);
BENCHMARK_CAPTURE(forward_only, portable, isa::portable)->Apply(cases);
BENCHMARK_CAPTURE(forward_only, avx2, isa::avx2)->Apply(cases);
BENCHMARK_CAPTURE(forward_only, avx512, isa::avx512)->Apply(cases);

BENCHMARK_MAIN();
