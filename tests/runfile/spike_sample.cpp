// Writes a run file with /spikes and /activity through the runfile API, for
// the tests that read one without Lutra (analysis/examples/check_spikes.py),
// `lutra analyze` on it, and the run.h5 fuzzer's seed corpus.
//
//   spike_sample OUT.h5                 a new finished run of a small network
//                                       (populations "hidden" and "out")
//   spike_sample OUT.h5 --onto RUN.h5   a copy of RUN.h5 with spikes and
//                                       activity for each of its populations
//                                       (24 ticks: the fuzzer's seed)
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "lutra/runfile/run_file.hpp"
#include "support/spike_trace.hpp"

namespace fs = std::filesystem;
using namespace lutra;

namespace {

// 8 input bits → 40 "hidden" nodes of k = 2 → 8 "out" nodes of k = 3, a head of 2 classes.
core::network small_network() {
    core::network_arrays a;
    a.num_inputs = 8;
    for (std::uint32_t n = 0; n < 48; ++n) {
        const bool hidden = n < 40;
        const std::uint32_t k = hidden ? 2 : 3;
        a.k.push_back(static_cast<std::uint8_t>(k));
        for (std::uint32_t slot = 0; slot < k; ++slot) {
            a.sources.push_back(hidden ? (n + 3 * slot) % 8 : 8 + (5 * n + 7 * slot) % 40);
            a.delays.push_back(hidden ? 0 : slot);  // some registers, as a timed network has
        }
        a.tables.push_back((0x9E3779B97F4A7C15ULL * (n + 1)) & ((std::uint64_t{1} << (1U << k)) - 1));
    }
    a.head.num_classes = 2;
    for (std::uint32_t n = 40; n < 48; ++n) a.head.outputs.push_back(n);
    return core::network(std::move(a));
}

// `ticks` of 0.5 ms over 4 streams, each node 1 at 30 % of them.
void record(runfile::run_file& f, const std::vector<core::population>& populations, std::uint64_t ticks) {
    std::uint64_t seed = 1;
    for (const core::population& p : populations) {
        const test::spike_trace t = test::make_spike_trace(p.name, p.nodes.size(), ticks, 4, 0.5, 0.3, seed++);
        f.write_spikes(p.name, t.node_ids, t.timestamps_ms);
        f.write_activity(t.activity);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (!(args.size() == 1 || (args.size() == 3 && args[1] == "--onto"))) {
        std::fprintf(stderr, "usage: spike_sample OUT.h5 [--onto RUN.h5]\n");
        return 2;
    }
    try {
        const fs::path out = args[0];
        if (args.size() == 3) {
            fs::copy_file(args[2], out);
            runfile::run_file f = runfile::run_file::open_for_append(out);
            record(f, f.read_populations(), 24);  // small: a fuzzing seed
            f.close();
            return 0;
        }
        runfile::run_file f = runfile::run_file::create(out, {.lutra_version = "0.1.0", .seed = 5, .genome_hash = ""});
        f.write_text("config", "# spike_sample: a made-up timed run\n");
        f.append_metrics({1, "test", 0.5, 0.75, 0.1});
        const std::vector<core::population> populations{
            {"hidden", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                        20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39}},
            {"out", {40, 41, 42, 43, 44, 45, 46, 47}}};
        f.write_network(small_network(), populations);
        record(f, populations, 200);
        f.mark_finished();
        f.close();
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "spike_sample: %s\n", e.what());
        return 1;
    }
}
