// What each plasticity rule costs per epoch: every rule of
// plasticity::catalogue() (rules added later are covered without edits) in a
// training session on a fixed network and data slice — a developed
// 2,000-node k = 6 genome, a random layer of 1,500 over the inputs and one of
// 500 over it read by a group-sum head, on the first 4,096 MNIST training
// images (2-bit quantile thermometer, 1,568 input bits; majority-63 when
// MNIST is not installed). Each rule runs in two phases' forms, each its own
// benchmark:
//
//   gradient           the phase [gradient] alone: the baseline
//   gradient+RULE      the phase [gradient, RULE]
//   RULE               the phase [RULE] alone (skipped, with the rule's
//                      error, for a rule that needs the gradient)
//
// at the rule's default parameters, for `epochs` epochs of a fresh session
// (the first begins the rules). The benchmark's time is the mean seconds per
// epoch. Counters, per epoch: each rule's own time as the session measures
// it (`s_<rule>`, and `s_activity` for the hard network's evaluation that
// rules reading activity share), and `overhead`: everything but the gradient
// rule's time as a fraction of the gradient rule's time.
//
//   build/bench/bench_rules                                   every form
//   build/bench/bench_rules --benchmark_filter='gradient\+'   beside the gradient
//
// Needs no files but MNIST for the figures in the README (`bash .ci/setup`).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/session.hpp"
#include "lutra/topology/develop.hpp"
#include "lutra/topology/genome.hpp"

namespace {

using namespace lutra;

constexpr std::size_t samples = 4096;
constexpr std::uint32_t epochs = 3;
constexpr std::uint64_t seed = 1;

// The network, its candidates and populations, and the encoded data slice.
struct workload {
    topology::compiled_network compiled;
    core::bit_matrix inputs;
    std::vector<std::uint16_t> labels;
    std::string data;  // which dataset
};

const workload& the_workload() {
    static const workload w = [] {
        workload out;
        core::dataset d;
        core::encoder_params encoding{.kind = "thermometer", .bits = 2, .thresholds = "quantile"};
        try {
            d = data::load_dataset("mnist", {.train_samples = samples, .test_samples = 1});
            out.data = "mnist";
        } catch (const lutra::error& e) {
            std::fprintf(stderr, "bench_rules: %s; using majority-63 instead\n", e.what());
            d = data::load_dataset("majority-63", {.seed = seed, .train_samples = samples, .test_samples = 1});
            encoding = {.kind = "binarize"};
            out.data = "majority-63";
        }
        const core::encoder enc = core::encoder::fit(encoding, d);
        out.inputs = enc.encode(d.train);
        out.labels = d.train.labels;
        topology::genome g;
        g.inputs = {.width = d.width, .height = d.height * d.channels, .bits = enc.num_bits() / enc.num_features()};
        g.populations = {{.name = "hidden", .size = 1500, .k = 6}, {.name = "out", .size = 500, .k = 6}};
        g.projections = {{.target = "hidden", .sources = {"input"}}, {.target = "out", .sources = {"hidden"}}};
        g.head = {.population = "out", .classes = d.num_classes};
        out.compiled = topology::compile(g, topology::develop(g, seed));
        return out;
    }();
    return w;
}

// Each epoch's time and its rules' times.
class timer final : public plasticity::epoch_observer {
public:
    void epoch_finished(const plasticity::epoch_report& r) override {
        seconds += r.seconds;
        for (const plasticity::rule_time& t : r.rule_seconds) rule_seconds[t.rule] += t.seconds;
    }
    double seconds = 0;
    std::map<std::string, double> rule_seconds;
};

void run_phase(benchmark::State& state, const std::vector<std::string>& rules) {
    const workload& w = the_workload();
    plasticity::session_params params;
    params.epochs = epochs;
    plasticity::phase phase{.epochs = epochs, .populations = {}, .rules = {}};
    for (const std::string& name : rules)
        phase.rules.push_back({name, plasticity::catalogue().at(name).defaults});
    params.schedule = {phase};
    for (auto _ : state) {
        timer t;
        try {
            plasticity::session s(w.compiled.net, params, seed, plasticity::catalogue(), w.compiled.candidates,
                                  w.compiled.populations);
            // The timer never asks to stop: every epoch trains.
            (void)s.train({[&w](std::uint32_t) -> const core::bit_matrix& { return w.inputs; }, w.labels, nullptr, {}},
                          t);
        } catch (const lutra::error& e) {
            state.SkipWithError(e.what());
            return;
        }
        state.SetIterationTime(t.seconds / epochs);
        double others = 0;
        for (const auto& [rule, seconds] : t.rule_seconds) {
            state.counters["s_" + rule] = seconds / epochs;
            if (rule != "gradient") others += seconds;
        }
        const auto gradient = t.rule_seconds.find("gradient");
        if (gradient != t.rule_seconds.end() && gradient->second > 0) state.counters["overhead"] = others / gradient->second;
    }
    state.SetLabel(w.data + ", " + std::to_string(w.compiled.net.num_nodes()) + " nodes, " + std::to_string(samples) +
                   " samples");
}

}  // namespace

int main(int argc, char** argv) {
    // Every rule of the catalogue, so rules added later are measured without edits here.
    for (const std::string_view name : plasticity::catalogue().names()) {
        const std::string rule(name);
        const auto add = [](const std::string& label, std::vector<std::string> rules) {
            benchmark::RegisterBenchmark(label.c_str(), [rules](benchmark::State& s) { run_phase(s, rules); })
                ->UseManualTime()
                ->Iterations(1)
                ->Unit(benchmark::kMillisecond);
        };
        if (rule == "gradient") {
            add("gradient", {rule});
            continue;
        }
        add("gradient+" + rule, {"gradient", rule});
        add(rule, {rule});
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
