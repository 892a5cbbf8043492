// What recording /stats costs a real training run: `lutra run`'s own code
// (experiments::run_experiment) on configs/mnist-fixed.yaml — 7,000 LUT6, the full
// 60,000 training images, augmentation, test evaluation and checkpoints —
// for a few epochs, once with stats.every = 0 (nothing recorded) and once
// with the defaults (every epoch, 1,000 samples, sensitivity on). The
// benchmark's time is the run's training time (train_seconds), without
// loading data and developing the genome.
//
//   build/bench/bench_stats --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//
// Counter: seconds_per_epoch. Needs MNIST (`bash .ci/setup`). Argument: 0 =
// no stats, 1 = the default stats settings.
//
// BM_measure_nodes times core::measure_nodes alone — the per-epoch fixed cost
// — on a random 7,000-node LUT6 network (2 layers of 3,500 over 2,352 input
// bits, a 10-class head) and 1,000 random samples, on 1 and 2 threads.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "lutra/core/node_stats.hpp"
#include "lutra/core/random.hpp"
#include "lutra/experiments/runner.hpp"

namespace {

namespace fs = std::filesystem;

constexpr unsigned epochs = 3;

void BM_mnist_training(benchmark::State& state) {
    const bool stats = state.range(0) != 0;
    for (auto _ : state) {
        std::string dir = (fs::temp_directory_path() / "lutra-bench-stats-XXXXXX").string();
        if (mkdtemp(dir.data()) == nullptr) {
            state.SkipWithError("cannot create a temporary directory");
            return;
        }
        lutra::experiments::run_summary summary;
        try {
            summary = lutra::experiments::run_experiment(
                {.config_file = fs::path(LUTRA_CONFIGS_DIR) / "mnist-fixed.yaml",
                 .overrides = {"train.epochs=" + std::to_string(epochs), stats ? "stats.every=1" : "stats.every=0"},
                 .out_dir = fs::path(dir) / "run"});
        } catch (const std::exception& e) {
            fs::remove_all(dir);
            state.SkipWithError(e.what());
            return;
        }
        fs::remove_all(dir);
        state.SetIterationTime(summary.train_seconds);
        state.counters["seconds_per_epoch"] = summary.train_seconds / epochs;
    }
}
BENCHMARK(BM_mnist_training)->Arg(0)->Arg(1)->ArgName("stats")->UseManualTime()->Iterations(1)->Unit(
    benchmark::kSecond);

void BM_measure_nodes(benchmark::State& state) {
    using namespace lutra::core;
    const network net = random_network({.num_inputs = 2352, .nodes = 7000, .layers = 2, .k = 6, .num_classes = 10}, 1);
    bit_matrix inputs(net.num_inputs(), 1000);
    const lutra::counter_rng rng(2, "bench.stats.inputs");
    for (std::uint32_t r = 0; r < net.num_inputs(); ++r)
        for (std::size_t s = 0; s < inputs.samples(); ++s) inputs.set(r, s, rng.fork(r).at(s) & 1U);
    const auto threads = static_cast<unsigned>(state.range(0));
    for (auto _ : state) benchmark::DoNotOptimize(measure_nodes(net, inputs, {.threads = threads}));
}
BENCHMARK(BM_measure_nodes)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
