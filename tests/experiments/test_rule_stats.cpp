// Plasticity rules' per-node summaries and times as `lutra run` records
// them: a rule registered from outside the library (as a user would), in a
// later phase of a schedule on one population, its columns read back from
// run.h5 under /stats/<population>/rules/<rule>, each rule's time in the
// run's summary, and the same columns after a kill and a resume.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "lutra/analysis/report.hpp"
#include "lutra/experiments/runner.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/runfile/run_reader.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace lutra;

namespace {

struct tally_params {
    std::uint32_t weight = 1;  // added per batch seen
    friend bool operator==(const tally_params&, const tally_params&) = default;
};
void describe(core::schema_visitor& v, tally_params& p) { v.field("weight", p.weight, "added per batch", 1, 100); }

// Set in a child process: the record after this epoch kills it (SIGKILL).
std::uint32_t kill_at_record = 0;

// Counts the batches it saw since its phase began; summarises per node of
// its phase that count and the node's id, NaN elsewhere.
class tally_rule final : public plasticity::rule {
public:
    explicit tally_rule(const tally_params& p) : p_(p) {}
    [[nodiscard]] std::string_view name() const override { return "tally"; }
    void batch(const plasticity::batch_activity&, plasticity::learning_context&, plasticity::batch_measure&) override {
        count_ += p_.weight;
    }
    void summarize(plasticity::rule_summary& out, const plasticity::learning_context& ctx) const override {
        if (kill_at_record != 0 && ctx.position().epoch == kill_at_record) raise(SIGKILL);
        const std::uint32_t n = ctx.network().num_nodes();
        std::vector<float> count(n, std::numeric_limits<float>::quiet_NaN());
        std::vector<float> id(n, std::numeric_limits<float>::quiet_NaN());
        for (const std::uint32_t node : ctx.nodes()) {
            count[node] = static_cast<float>(count_);
            id[node] = static_cast<float>(node);
        }
        out.add("batches", std::move(count));
        out.add("node", std::move(id));
    }
    [[nodiscard]] plasticity::named_state state() const override { return {{}, {{"count", {count_}}}}; }
    void restore(const plasticity::named_state& s, plasticity::learning_context&) override {
        count_ = s.integers.at("count").at(0);
    }

private:
    tally_params p_;
    std::uint64_t count_ = 0;
};

void register_tally() {
    plasticity::rule_catalogue& cat = plasticity::catalogue();
    if (cat.has("tally")) return;
    cat.add<tally_params>("tally", "counts batches (test)", [](const tally_params& p, const plasticity::session_setup&) {
        return std::make_unique<tally_rule>(p);
    });
}

// 400 samples in batches of 50: 8 batches an epoch; tally runs in epochs 3 and 4 on hidden only.
void write_config(const fs::path& config) {
    std::ofstream(config) << "name: rules\n"
                             "seed: 3\n"
                             "data: {name: majority-15, train_samples: 400, test_samples: 100, "
                             "encoder: {kind: binarize}}\n"
                             "genome:\n"
                             "  inputs: {width: 15, height: 1, bits: 1}\n"
                             "  populations:\n"
                             "    - {name: hidden, size: 16, k: 4}\n"
                             "    - {name: out, size: 4, k: 3}\n"
                             "  projections:\n"
                             "    - {target: hidden, sources: [input], rule: random}\n"
                             "    - {target: out, sources: [hidden], rule: random}\n"
                             "  head: {population: out, classes: 2}\n"
                             "train:\n"
                             "  epochs: 4\n"
                             "  batch_size: 50\n"
                             "  schedule:\n"
                             "    - {epochs: 2, rules: [{rule: gradient}]}\n"
                             "    - {epochs: 2, populations: [hidden], rules: [{rule: gradient}, {rule: tally, weight: 2}]}\n"
                             "stats: {every: 1, samples: 100, sensitivity: false}\n";
}

}  // namespace

TEST_CASE("rule stats: lutra run records each rule's per-node summary of its phase's populations, and its time") {
    register_tally();
    const lutra::test::temp_dir dir("lutra-test-rule-stats");
    const fs::path config = dir.path / "rules.yaml";
    write_config(config);
    const experiments::run_summary summary = experiments::run_experiment({config, {}, dir.path / "run"});

    const runfile::run_stats st = runfile::run_reader(dir.path / "run").stats();
    CHECK(st.epochs == std::vector<std::uint32_t>{1, 2, 3, 4});
    REQUIRE(st.populations.size() == 2);
    const runfile::population_stats& hidden = st.populations[0];
    CHECK(hidden.population == "hidden");
    // The gradient summarises nothing; tally has rows of the epochs of its phase only.
    REQUIRE(hidden.rules.size() == 1);
    const runfile::rule_stats& tally = hidden.rules[0];
    CHECK(tally.rule == "tally");
    CHECK(tally.epochs == std::vector<std::uint32_t>{3, 4});
    REQUIRE(tally.quantities.size() == 2);
    CHECK(tally.quantities[0].name == "batches");
    CHECK(tally.quantities[1].name == "node");
    const std::size_t n = hidden.nodes.size();
    REQUIRE(tally.quantities[0].values.size() == 2 * n);
    for (std::size_t i = 0; i < n; ++i) {
        CAPTURE(i);
        CHECK(tally.quantities[0].values[i] == 16.0F);  // 8 batches × weight 2
        CHECK(tally.quantities[0].values[n + i] == 32.0F);
        CHECK(tally.quantities[1].values[i] == static_cast<float>(hidden.nodes[i]));
    }
    CHECK(st.populations[1].rules.empty());  // out is not in tally's phase

    // Every rule's time, in the order first used.
    REQUIRE(summary.rule_seconds.size() == 2);
    CHECK(summary.rule_seconds[0].first == "gradient");
    CHECK(summary.rule_seconds[1].first == "tally");
    CHECK(summary.rule_seconds[0].second > 0);
    CHECK(summary.rule_seconds[0].second <= summary.train_seconds);
}

TEST_CASE("rule stats: a run killed at a record and resumed records what an uninterrupted run does") {
    register_tally();
    const lutra::test::temp_dir dir("lutra-test-rule-stats-resume");
    const fs::path config = dir.path / "rules.yaml";
    write_config(config);
    (void)experiments::run_experiment({config, {}, dir.path / "whole"});
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // No doctest here: the child trains until the record after epoch 4 kills it.
        kill_at_record = 4;
        try {
            (void)experiments::run_experiment({config, {}, dir.path / "killed"});
        } catch (...) {
        }
        _exit(1);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    // The checkpoint is of epoch 3, in tally's phase: its count comes back with it.
    const experiments::run_summary resumed = experiments::resume_experiment(dir.path / "killed");
    CHECK(resumed.resumed_from_epoch == 3);
    const runfile::run_stats whole = runfile::run_reader(dir.path / "whole").stats();
    const runfile::run_stats again = runfile::run_reader(dir.path / "killed").stats();
    CHECK(again.epochs == whole.epochs);
    REQUIRE(again.populations.size() == 2);
    CHECK(again.populations[0].rules == whole.populations[0].rules);
    CHECK(again.populations[0].rules.at(0).epochs == std::vector<std::uint32_t>{3, 4});
}
