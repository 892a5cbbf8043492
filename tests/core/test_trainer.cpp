#include <doctest/doctest.h>

#include <cmath>
#include <numeric>

#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/trainer.hpp"

using namespace lutra;
using namespace lutra::core;

namespace {

// One layer: `nodes` nodes of fan-in k, each reading inputs (s, s+1, …) mod
// inputs, random tables; the head splits them into `classes` groups.
network one_layer(std::uint32_t inputs, std::uint32_t nodes, unsigned k, std::uint32_t classes, std::uint64_t seed) {
    network_arrays a;
    a.num_inputs = inputs;
    const counter_rng rng(seed, "test.one_layer");
    for (std::uint32_t n = 0; n < nodes; ++n) {
        a.k.push_back(static_cast<std::uint8_t>(k));
        for (unsigned s = 0; s < k; ++s) a.sources.push_back((n + s) % inputs);
        a.tables.push_back(k < 6 ? rng.at(n) & ((std::uint64_t{1} << (1U << k)) - 1) : rng.at(n));
        if (k > 6)
            for (std::size_t w = 1; w < table_words(k); ++w) a.tables.push_back(rng.fork(n).at(w));
        a.head.outputs.push_back(n);
    }
    a.head.num_classes = classes;
    return network(std::move(a));
}

double hard_accuracy(const network& net, const bit_matrix& inputs, std::span<const std::uint16_t> labels) {
    const head_output out = bitslice_engine(net).classify(inputs);
    std::size_t correct = 0;
    for (std::size_t s = 0; s < labels.size(); ++s) correct += out.predictions[s] == labels[s];
    return static_cast<double>(correct) / static_cast<double>(labels.size());
}

struct task {
    bit_matrix inputs;
    std::vector<std::uint16_t> labels;
};

task synthetic(std::string_view name) {
    const dataset d = load_dataset(name);
    const encoder enc = encoder::fit({.kind = "binarize"}, d);
    return {enc.encode(d.train), d.train.labels};
}

double learn(const task& t, network net, std::uint32_t epochs, double lr, std::size_t batch = 16) {
    trainer tr(std::move(net), {.epochs = epochs, .batch_size = batch, .tau = 1.0,
                                .optimizer = {.learning_rate = lr}});
    for (std::uint32_t e = 0; e < epochs; ++e) tr.train_epoch(t.inputs, t.labels);
    return hard_accuracy(tr.hardened(), t.inputs, t.labels);
}

}  // namespace

TEST_CASE("trainer: small networks learn xor, parity-4 and majority-7 exactly") {
    const task x = synthetic("xor");
    CHECK(learn(x, one_layer(2, 6, 2, 2, 1), 200, 0.1, 4) == 1.0);
    const task p = synthetic("parity-4");
    CHECK(learn(p, one_layer(4, 6, 4, 2, 2), 200, 0.1) == 1.0);
    const task m = synthetic("majority-7");
    CHECK(learn(m, one_layer(7, 6, 7, 2, 3), 100, 0.1, 32) == 1.0);
}

TEST_CASE("trainer: MNIST on a small subset beats a set accuracy within seconds") {
    dataset d;
    try {
        d = load_dataset("mnist", {.train_samples = 3000, .test_samples = 1000});
    } catch (const lutra::error& e) {
        MESSAGE("skipping: MNIST is not installed (", e.what(), ")");
        return;
    }
    const encoder enc = encoder::fit({.kind = "thermometer", .bits = 2, .thresholds = "uniform"}, d);
    const bit_matrix train = enc.encode(d.train), test = enc.encode(d.test);
    const network net = random_network({.num_inputs = enc.num_bits(), .nodes = 1000, .layers = 2, .k = 6, .num_classes = 10}, 4);
    trainer tr(net, {.epochs = 6, .batch_size = 64, .tau = 3.0, .optimizer = {.learning_rate = 0.03},
                     .engine = {.threads = 2}});
    for (int e = 0; e < 6; ++e) tr.train_epoch(train, d.train.labels);
    const double relaxed = tr.evaluate(test, d.test.labels).accuracy;
    const double hard = hard_accuracy(tr.hardened(), test, d.test.labels);
    MESSAGE("MNIST subset: relaxed ", relaxed, ", hardened ", hard);
    CHECK(hard > 0.80);
}

TEST_CASE("trainer: hooks fire in order; a hook can freeze nodes and one can record gradient norms") {
    const task p = synthetic("parity-4");
    const network net = one_layer(4, 6, 4, 2, 5);
    trainer tr(net, {.batch_size = 8, .tau = 1.0, .optimizer = {.learning_rate = 0.1}});
    std::vector<std::string> log;
    std::vector<double> norms;
    tr.hooks().after_forward([&](const batch_context& c, const relaxed_engine::activations& y) {
        log.push_back("forward " + std::to_string(c.batch));
        CHECK(y.samples() == c.samples);
    });
    tr.hooks().after_backward([&](const batch_context& c, const relaxed_engine::activations& dy,
                                  std::span<const float> g) {
        log.push_back("backward " + std::to_string(c.batch));
        CHECK(dy.nodes() == 6);
        norms.push_back(std::sqrt(std::inner_product(g.begin(), g.end(), g.begin(), 0.0)));
    });
    // Freeze nodes 0 and 1: their 2 × 16 entries get no gradient.
    tr.hooks().before_step([&](const batch_context& c, std::span<float> g, std::span<const float>) {
        log.push_back("step " + std::to_string(c.batch));
        std::fill(g.begin(), g.begin() + 32, 0.0F);
    });
    const std::vector<float> before(tr.theta().begin(), tr.theta().end());
    tr.train_epoch(p.inputs, p.labels);
    CHECK(log == std::vector<std::string>{"forward 0", "backward 0", "step 0", "forward 1", "backward 1", "step 1"});
    REQUIRE(norms.size() == 2);
    for (double n : norms) {
        CHECK(std::isfinite(n));
        CHECK(n > 0);
    }
    for (std::size_t i = 0; i < 32; ++i) CHECK(tr.theta()[i] == before[i]);
    bool others_moved = false;
    for (std::size_t i = 32; i < before.size(); ++i) others_moved |= tr.theta()[i] != before[i];
    CHECK(others_moved);
}

TEST_CASE("trainer: the same seed gives identical parameters with 1 and 2 threads") {
    const task m = synthetic("majority-9");
    const network net = random_network({.num_inputs = 9, .nodes = 60, .layers = 2, .k = 4, .num_classes = 2}, 6);
    auto train = [&](unsigned threads) {
        trainer tr(net, {.batch_size = 100, .optimizer = {.learning_rate = 0.05},
                         .engine = {.threads = threads, .block_samples = 32}});
        for (int e = 0; e < 3; ++e) tr.train_epoch(m.inputs, m.labels);
        return std::vector<float>(tr.theta().begin(), tr.theta().end());
    };
    CHECK(train(1) == train(2));
}

TEST_CASE("trainer: schedules, SGD, permutation, and bad parameters") {
    const network net = one_layer(4, 4, 2, 2, 1);
    const trainer step(net, {.epochs = 30, .optimizer = {.learning_rate = 1.0, .schedule = "step", .step_epochs = 10, .gamma = 0.5}});
    CHECK(step.learning_rate(9) == 1.0);
    CHECK(step.learning_rate(10) == 0.5);
    CHECK(step.learning_rate(25) == 0.25);
    const trainer cosine(net, {.epochs = 10, .optimizer = {.learning_rate = 1.0, .schedule = "cosine"}});
    CHECK(cosine.learning_rate(0) == 1.0);
    CHECK(cosine.learning_rate(5) == doctest::Approx(0.5));

    const trainer sharp(net, {.epochs = 5, .sharpen = 9.0});
    CHECK(sharp.slope(0) == 1.0);
    CHECK(sharp.slope(2) == 5.0);
    CHECK(sharp.slope(4) == 9.0);
    CHECK_THROWS_WITH_AS(trainer(net, {.sharpen = 0.5}), doctest::Contains("train.sharpen: must be ≥ 1"), lutra::error);

    const task x = synthetic("xor");
    trainer sgd(one_layer(2, 4, 2, 2, 7), {.batch_size = 4, .tau = 1.0,
                                            .optimizer = {.kind = "sgd", .learning_rate = 2.0, .momentum = 0.5}});
    for (int e = 0; e < 300; ++e) sgd.train_epoch(x.inputs, x.labels);
    CHECK(hard_accuracy(sgd.hardened(), x.inputs, x.labels) == 1.0);

    bit_matrix m(2, 70);
    m.set(0, 3, true);
    m.set(1, 69, true);
    std::vector<std::uint32_t> order(70);
    std::iota(order.rbegin(), order.rend(), 0U);  // reversed
    const bit_matrix r = permute_samples(m, order);
    CHECK(r.get(0, 66));
    CHECK(r.get(1, 0));
    CHECK(r.count(0) == 1);

    CHECK_THROWS_WITH_AS(trainer(net, {.optimizer = {.kind = "adamw"}}),
                         doctest::Contains("train.optimizer.kind: 'adamw' is not one of adam, sgd (did you mean 'adam'?)"),
                         lutra::error);
    CHECK_THROWS_WITH_AS(trainer(net, {.tau = 0}), doctest::Contains("train.tau: must be a positive number"),
                         lutra::error);
}

TEST_CASE("trainer: a restored state continues exactly; sizes are checked") {
    const task m = synthetic("majority-9");
    const network net = random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 3);
    // A cosine schedule and sharpening, so the restored epoch counter matters too.
    const trainer_params params{.epochs = 5, .batch_size = 64, .sharpen = 4.0,
                                .optimizer = {.learning_rate = 0.05, .schedule = "cosine"}};
    trainer a(net, params);
    for (int e = 0; e < 2; ++e) a.train_epoch(m.inputs, m.labels);
    const trainer_state saved = a.state();
    CHECK(saved.epoch == 2);
    CHECK(saved.steps > 0);

    trainer b(net, params);
    b.restore(saved);
    CHECK(b.state() == saved);
    a.train_epoch(m.inputs, m.labels);
    b.train_epoch(m.inputs, m.labels);
    CHECK(std::vector<float>(a.theta().begin(), a.theta().end()) ==
          std::vector<float>(b.theta().begin(), b.theta().end()));
    CHECK(a.state() == b.state());
    CHECK(a.hardened().arrays().tables == b.hardened().arrays().tables);

    trainer_state bad = saved;
    bad.v.pop_back();
    CHECK_THROWS_WITH_AS(b.restore(bad), doctest::Contains("trainer restore: v has"), lutra::error);
    CHECK(b.state() == a.state());  // a refused state changes nothing
}
