// /stats as `lutra run` writes it and `lutra analyze` reads it, checked
// against a recomputation from scratch: the stored network, the test split
// loaded again, the scalar reference evaluator, and each node's table
// inverted in turn.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "lutra/analysis/report.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/core/reference.hpp"
#include "lutra/runfile/run_reader.hpp"
#include "support/run_lutra.hpp"
#include "support/temp_dir.hpp"
#include "support/inverted_node.hpp"

namespace fs = std::filesystem;
using namespace lutra;
using lutra::test::with_inverted;
using lutra::test::run_lutra;

namespace {

constexpr std::size_t stats_samples = 300;

void write_config(const fs::path& file) {
    std::ofstream(file) << "name: stats\n"
                           "seed: 7\n"
                           "data: {name: majority-15, train_samples: 2000, test_samples: 400, "
                           "encoder: {kind: binarize}}\n"
                           "genome:\n"
                           "  inputs: {width: 15, height: 1, bits: 1}\n"
                           "  populations:\n"
                           "    - {name: hidden, size: 48, k: 5}\n"
                           "    - {name: out, size: 12, k: 3}\n"
                           "  projections:\n"
                           "    - {target: hidden, sources: [input], rule: random}\n"
                           "    - {target: out, sources: [hidden], rule: random}\n"
                           "  head: {population: out, classes: 2}\n"
                           "train: {epochs: 4, batch_size: 32, optimizer: {learning_rate: 0.05}}\n"
                           "stats: {every: 3, samples: 300, split: test}\n";
}

}  // namespace

TEST_CASE("stats: what lutra run records and lutra analyze reports equals a direct recomputation") {
    const lutra::test::temp_dir dir("lutra-test-stats");
    write_config(dir.path / "stats.yaml");
    const fs::path run = dir.path / "run";
    const auto trained = run_lutra("--quiet run " + (dir.path / "stats.yaml").string() + " --out " + run.string());
    CAPTURE(trained.output);
    REQUIRE(trained.exit_code == 0);

    const runfile::run_reader reader(run);
    const runfile::run_stats st = reader.stats();
    CHECK(st.epochs == std::vector<std::uint32_t>{3, 4});  // every 3rd epoch and the last
    CHECK(st.samples == stats_samples);
    CHECK(st.split == "test");
    REQUIRE(st.populations.size() == 2);

    // The last row is of the final tables, the ones in /network.
    const core::network net = reader.network();
    const core::dataset data = data::load_dataset("majority-15", {.seed = 1, .train_samples = 2000, .test_samples = 400});
    const core::bit_matrix in = core::first_samples(reader.encoder().encoder.encode(data.test), stats_samples);
    const core::bit_matrix out = core::reference_evaluate(net, in);
    const core::head_output decided = core::reference_classify(net, in);
    const analysis::run_analysis analysis = analysis::analyze_run(run);
    REQUIRE(analysis.stats.size() == 2);

    for (std::size_t p = 0; p < 2; ++p) {
        const runfile::population_stats& pop = st.populations[p];
        CAPTURE(pop.population);
        const std::size_t n = pop.nodes.size();
        const std::size_t last = st.rows() - 1;
        std::array<std::uint32_t, analysis::population_stats_summary::bins> histogram{};
        float most = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t node = pop.nodes[i];
            CAPTURE(node);
            const double rate = static_cast<double>(out.count(node)) / stats_samples;
            CHECK(pop.activation_rate[last * n + i] == doctest::Approx(rate).epsilon(1e-6));
            ++histogram[std::min<std::size_t>(9, static_cast<std::size_t>(rate * 10))];
            const double h = rate == 0 || rate == 1 ? 0 : -rate * std::log2(rate) - (1 - rate) * std::log2(1 - rate);
            CHECK(pop.entropy[last * n + i] == doctest::Approx(h).epsilon(1e-5));

            const unsigned k = net.k(node);
            std::vector<std::uint32_t> usage(std::size_t{1} << pop.usage_k, 0);
            for (std::size_t s = 0; s < stats_samples; ++s) {
                std::uint32_t address = 0;
                for (unsigned slot = 0; slot < k; ++slot) {
                    const std::uint32_t src = net.sources(node)[slot];
                    const bool bit = src < net.num_inputs() ? in.get(src, s) : out.get(src - net.num_inputs(), s);
                    address |= static_cast<std::uint32_t>(bit) << slot;
                }
                ++usage[address];
            }
            const std::size_t entries = usage.size();
            CHECK(std::equal(usage.begin(), usage.end(), pop.entry_usage.begin() + (last * n + i) * entries));

            const core::head_output flipped = core::reference_classify(with_inverted(net, node), in);
            std::size_t changed = 0;
            for (std::size_t s = 0; s < stats_samples; ++s) changed += flipped.predictions[s] != decided.predictions[s];
            const float sensitivity = static_cast<float>(changed) / stats_samples;
            CHECK(pop.sensitivity[last * n + i] == doctest::Approx(sensitivity).epsilon(1e-6));
            most = std::max(most, sensitivity);
            CHECK(pop.grad_abs_mean[last * n + i] >= 0.0F);
        }
        // What analyze reports from those rows.
        const analysis::population_stats_summary& summary = analysis.stats[p];
        CHECK(summary.population == pop.population);
        CHECK(summary.epoch == 4);
        CHECK(summary.activation == histogram);
        if (most > 0) {
            REQUIRE_FALSE(summary.most_sensitive.empty());
            CHECK(summary.most_sensitive.front().sensitivity == doctest::Approx(most));
        }
    }
    // Training moved some entries, and some node's output mattered.
    std::uint64_t flips = 0;
    for (const auto& pop : st.populations) flips += std::accumulate(pop.flips.begin(), pop.flips.end(), std::uint64_t{0});
    CHECK(flips > 0);
    CHECK_FALSE(analysis.stats[1].most_sensitive.empty());

    const auto printed = run_lutra("analyze " + run.string());
    CHECK(printed.exit_code == 0);
    CHECK(printed.output.find("statistics: epoch 4, 300 test samples") != std::string::npos);
    CHECK(printed.output.find("most sensitive: node") != std::string::npos);
}
