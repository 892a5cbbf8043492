#include "infer_bench.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/random.hpp"

namespace lutra::experiments {

namespace {

using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point start) { return std::chrono::duration<double>(clock::now() - start).count(); }

}  // namespace

infer_bench_result run_infer_bench(const infer_bench_params& p) {
    const core::bitslice_engine engine(core::random_network(p.net, p.seed), p.engine);
    core::bit_matrix inputs(p.net.num_inputs, p.samples);
    const counter_rng rng(p.seed, "bench.inputs");
    for (std::size_t r = 0; r < inputs.rows(); ++r) {
        auto row = inputs.row(r);
        for (std::size_t w = 0; w < row.size(); ++w) row[w] = rng.fork(r).at(w);
    }
    std::vector<double> times;
    const auto start = clock::now();
    volatile std::uint16_t sink = 0;  // keeps the result alive
    do {
        const auto t0 = clock::now();
        const core::head_output out = engine.classify(inputs);
        times.push_back(seconds_since(t0));
        sink = out.predictions[0];
    } while (seconds_since(start) < p.min_seconds || times.size() < 3);
    static_cast<void>(sink);
    std::sort(times.begin(), times.end());
    infer_bench_result r;
    r.batches = times.size();
    r.best_batch_seconds = times.front();
    r.median_batch_seconds = times[times.size() / 2];
    r.lut_evals_per_second = static_cast<double>(p.net.nodes) * static_cast<double>(p.samples) / r.best_batch_seconds;
    r.samples_per_second = static_cast<double>(p.samples) / r.best_batch_seconds;
    return r;
}

}  // namespace lutra::experiments
