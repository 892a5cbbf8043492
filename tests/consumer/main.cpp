// A program outside Lutra that extends it as users do, built against an
// installed Lutra (find_package(lutra)): its own plasticity rule
// (churn_rule.hpp) in a rule catalogue, its own gradient hook, and a training session that runs both
// beside the built-in `gradient` rule on xor. It exits 0 only if
//   (a) the hardened network classifies xor exactly,
//   (b) the rule's batch() ran, once per minibatch, and
//   (c) the hook fired, once per optimizer step;
// it prints what it checked. docs/extending.md walks through this file.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <span>
#include <utility>
#include <vector>

#include "churn_rule.hpp"
#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/random.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/hooks.hpp"
#include "lutra/plasticity/session.hpp"

namespace my {

using namespace lutra;

// 6 LUT2 nodes, each reading both input bits, random tables; the head sums
// nodes 0–2 for class 0 and nodes 3–5 for class 1.
core::network two_input_layer(std::uint64_t seed) {
    core::network_arrays a;
    a.num_inputs = 2;
    const counter_rng rng(seed, "consumer.tables");
    for (std::uint32_t n = 0; n < 6; ++n) {
        a.k.push_back(2);
        a.sources.insert(a.sources.end(), {n % 2, (n + 1) % 2});
        a.tables.push_back(rng.at(n) & 0xF);  // a LUT2's 4 table bits
        a.head.outputs.push_back(n);
    }
    a.head.num_classes = 2;
    return core::network(std::move(a));
}

}  // namespace my

int main() try {
    using namespace lutra;

    // 1. A catalogue with Lutra's rules and ours (or add ours to plasticity::catalogue()).
    plasticity::rule_catalogue rules;
    plasticity::register_builtin_rules(rules);
    my::add_churn(rules);

    // 2. The task: xor's truth table, one input bit per feature.
    const core::dataset xor_data = data::load_dataset("xor");
    const core::encoder enc = core::encoder::fit({.kind = "binarize"}, xor_data);
    const core::bit_matrix inputs = enc.encode(xor_data.train);
    const std::vector<std::uint16_t>& labels = xor_data.train.labels;

    // 3. One phase of 200 epochs: gradient descent, then our rule, every batch.
    constexpr std::uint32_t epochs = 200;
    constexpr std::size_t batch_size = 4;
    plasticity::session_params params{.epochs = epochs, .batch_size = batch_size, .tau = 1.0};
    params.schedule = {{.epochs = epochs,
                        .rules = {{"gradient", plasticity::rule_params(plasticity::gradient_params{
                                                   .optimizer = {.learning_rate = 0.1}})},
                                  {"churn", plasticity::rule_params(my::churn_params{.report_every = 50})}}}};
    plasticity::session session(my::two_input_layer(1), params, /*seed=*/1, rules);

    // 4. Our gradient hook: clips dL/dθ to ±clip before every optimizer step, and counts.
    constexpr float clip = 0.02F;
    std::uint64_t steps_seen = 0, entries_clipped = 0;
    session.hooks().before_step(
        [&](const plasticity::batch_context&, std::span<float> grad_theta, std::span<const float> /*theta*/) {
            ++steps_seen;
            for (float& g : grad_theta) {
                if (std::abs(g) > clip) {
                    g = std::copysign(clip, g);
                    ++entries_clipped;
                }
            }
        });

    for (std::uint32_t e = 0; e < epochs; ++e) session.train_epoch(inputs, labels);

    // (a) The hardened network, run by the bit-sliced engine, on every row of the truth table.
    const core::head_output out = core::bitslice_engine(session.network()).classify(inputs);
    std::size_t correct = 0;
    for (std::size_t s = 0; s < labels.size(); ++s) {
        std::printf("xor(%d, %d) = %u, network says %u\n", int(inputs.get(0, s)), int(inputs.get(1, s)),
                    unsigned(labels[s]), unsigned(out.predictions[s]));
        correct += out.predictions[s] == labels[s];
    }
    const bool exact = correct == labels.size();
    std::printf("[%s] (a) the hardened network classifies xor exactly: %zu of %zu rows\n", exact ? "ok" : "FAIL",
                correct, labels.size());

    // (b) The rule's batch() ran once per minibatch: its state, as a checkpoint would keep it.
    const std::size_t batches_per_epoch = (labels.size() + batch_size - 1) / batch_size;
    const std::uint64_t expected_batches = std::uint64_t{epochs} * batches_per_epoch;
    std::uint64_t batches = 0;
    for (const auto& [key, state] : session.state().rules)
        if (key == "0:churn") batches = state.integers.at("batches").at(0);
    const bool rule_ran = batches == expected_batches;
    std::printf("[%s] (b) the rule 'churn' saw %llu batches (expected %llu)\n", rule_ran ? "ok" : "FAIL",
                static_cast<unsigned long long>(batches), static_cast<unsigned long long>(expected_batches));

    // (c) The hook fired before every optimizer step.
    const bool hook_fired = steps_seen == expected_batches;
    std::printf("[%s] (c) the before_step hook fired %llu times (expected %llu) and clipped %llu gradients\n",
                hook_fired ? "ok" : "FAIL", static_cast<unsigned long long>(steps_seen),
                static_cast<unsigned long long>(expected_batches), static_cast<unsigned long long>(entries_clipped));

    return exact && rule_ran && hook_fired ? 0 : 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "lutra_consumer: %s\n", e.what());
    return 1;
}
