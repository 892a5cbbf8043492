// The timed engines (DESIGN §5): ticks per second and node updates per
// second of the event-driven engine and the time-stepped reference on a
// 100,000-node LUT6 network with random delays (30% of slots delayed by
// 1 … 16 ticks, recurrent), at 1%, 10% and 50% input activity, on one stream
// and on 512. The network's tables are quiet (each table bit is 1 with
// probability 0.05), as trained and biological networks are: most nodes rest
// most of the time. `lutra bench simulate configs/bench-simulate.yaml` runs
// the same harness (experiments/time_bench.hpp) and Verilator beside it.
//
//   build/bench/bench_time
//   build/bench/bench_time --benchmark_filter='event/1/'
//
// Counters: ticks_per_s; node_updates_per_s (evaluations × streams: one
// bit-sliced evaluation of 512 streams counts 512); node_activity (output
// changes per node, tick and stream — what the event engine's cost follows).
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "lutra/core/time.hpp"
#include "lutra/experiments/time_bench.hpp"

namespace {

using namespace lutra;

const core::random_timed_params shape{.num_inputs = 1000, .nodes = 100000, .k_min = 6, .k_max = 6, .p_delayed = 0.3,
                                      .max_delay = 16, .table_density = 0.05};

const core::network& bench_network() {
    static const core::network net = core::random_timed_network(shape, 1);
    return net;
}

void timed(benchmark::State& state, core::time_engine_kind kind) {
    const std::size_t streams = static_cast<std::size_t>(state.range(0));
    const double activity = static_cast<double>(state.range(1)) / 100.0;
    const experiments::stimulus_tape tape(shape.num_inputs, streams, activity, 64, 2);
    auto engine = core::make_timed_engine(kind, bench_network(), {.streams = streams});
    std::uint64_t tick = 0;
    for (; tick < 16; ++tick) engine->step(tape.at(tick));  // tick 0 evaluates everything
    const std::uint64_t updates = engine->node_updates();
    std::uint64_t toggles = 0;
    for (const std::uint64_t x : engine->toggles()) toggles -= x;
    for (auto _ : state) engine->step(tape.at(tick++));
    for (const std::uint64_t x : engine->toggles()) toggles += x;
    const double ticks = static_cast<double>(state.iterations());
    state.counters["ticks_per_s"] = benchmark::Counter(ticks, benchmark::Counter::kIsRate);
    state.counters["node_updates_per_s"] = benchmark::Counter(
        static_cast<double>((engine->node_updates() - updates) * streams), benchmark::Counter::kIsRate);
    state.counters["node_activity"] =
        static_cast<double>(toggles) / (ticks * shape.nodes * static_cast<double>(streams));
}

void cases(benchmark::internal::Benchmark* b) {
    for (const long streams : {1L, 512L})
        for (const long percent : {1L, 10L, 50L}) b->Args({streams, percent});
    b->ArgNames({"streams", "activity_percent"})->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(2.0);
}

}  // namespace

BENCHMARK_CAPTURE(timed, event, core::time_engine_kind::event)->Apply(cases);
BENCHMARK_CAPTURE(timed, stepped, core::time_engine_kind::stepped)->Apply(cases);

BENCHMARK_MAIN();
