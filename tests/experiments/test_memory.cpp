// The memory estimate behind every "would need about N GiB" refusal: it
// passes every shipped config with room to spare, and charges an absurd size
// to the field that set it.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "lutra/experiments/memory.hpp"
#include "lutra/experiments/runner.hpp"

namespace fs = std::filesystem;
using namespace lutra::experiments;

namespace {

constexpr double gib = double(1ULL << 30);

experiment_settings load_experiment(const fs::path& file, std::vector<std::string> overrides = {}) {
    experiment_settings s = load_config<experiment_settings>(file, overrides);
    s.genome = resolve_genome(s, file.parent_path());
    return s;
}

memory_estimate estimate(const experiment_settings& s) {
    return estimate_memory(s, lutra::data::dataset_shape_of(s.data.name, {.seed = s.data.seed,
                                                                         .train_samples = s.data.train_samples,
                                                                         .test_samples = s.data.test_samples}));
}

}  // namespace

TEST_CASE("memory: every shipped experiment fits in 2 GiB, with threads as a 2-core machine has") {
    for (const auto& entry : fs::directory_iterator(LUTRA_CONFIGS_DIR)) {
        // bench-*.yaml are benchmark settings, not experiments.
        if (entry.path().extension() != ".yaml" || entry.path().filename().string().starts_with("bench-")) continue;
        CAPTURE(entry.path());
        const memory_estimate e = estimate(load_experiment(entry.path(), {"threads=2"}));
        CHECK(e.total() < 2 * gib);
        CHECK(e.total() > 0);
    }
    const auto bench = load_config<infer_bench_settings>(fs::path(LUTRA_CONFIGS_DIR) / "bench-infer.yaml");
    CHECK(estimate_memory(bench).total() < 2 * gib);
}

TEST_CASE("memory: the largest term names the field that drives it") {
    const fs::path parity = fs::path(LUTRA_CONFIGS_DIR) / "parity.yaml";
    CHECK(estimate(load_experiment(parity, {"data.train_samples=1000000000000"})).largest().field ==
          "data.train_samples");
    CHECK(estimate(load_experiment(parity, {"data.test_samples=1000000000000"})).largest().field ==
          "data.test_samples");
    const memory_estimate wide =
        estimate(load_experiment(parity, {"genome.populations[0].size=1048576", "genome.populations[0].k=16"}));
    CHECK(wide.largest().field == "genome.populations[0].size");
    // Learnable wiring keeps five values per pool candidate of every slot.
    const memory_estimate pools = estimate(load_experiment(
        parity, {"genome.populations[0].size=100000", "genome.projections[0].learn_wiring={candidates: 65536}"}));
    CHECK(pools.largest().field == "genome.projections[0].learn_wiring.candidates");
    CHECK(pools.largest().bytes > 100000.0 * 20 * 65536);
    CHECK(wide.total() > 8 * gib);  // 2^20 tables of 2^16 bits are 8 GiB each
    CHECK(estimate(load_experiment(parity, {"genome.populations[0].size=100000", "train.batch_size=1048576"}))
              .largest()
              .field == "train.batch_size");
    // Real datasets count at most the samples they have: asking for more is load_dataset's refusal.
    const memory_estimate mnist = estimate(load_experiment(fs::path(LUTRA_CONFIGS_DIR) / "mnist-fixed.yaml",
                                                           {"data.train_samples=1000000000000"}));
    CHECK(mnist.total() < 2 * gib);
}

TEST_CASE("memory: LUTRA_MEMORY_LIMIT sets the limit; a malformed one is refused") {
    ::setenv("LUTRA_MEMORY_LIMIT", "3G", 1);
    CHECK(available_memory().bytes == 3 * gib);
    CHECK(available_memory().source == "LUTRA_MEMORY_LIMIT");
    ::setenv("LUTRA_MEMORY_LIMIT", "512M", 1);
    CHECK(available_memory().bytes == 512.0 * (1 << 20));
    ::setenv("LUTRA_MEMORY_LIMIT", "1000", 1);
    CHECK(available_memory().bytes == 1000);
    for (const char* bad : {"-1G", "lots", "5X", "0"}) {
        CAPTURE(bad);
        ::setenv("LUTRA_MEMORY_LIMIT", bad, 1);
        CHECK_THROWS_AS((void)available_memory(), lutra::error);
    }
    ::unsetenv("LUTRA_MEMORY_LIMIT");
    CHECK(available_memory().source == "physical memory");
    CHECK(available_memory().bytes > 0);
}
