// Learnable wiring (DESIGN §4.1a): slots choose their source among their
// node's pool by gradient; the network stays a plain LUT network.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "lutra/core/candidates.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/session.hpp"
#include "lutra/topology/develop.hpp"
#include "lutra/topology/error.hpp"

using namespace lutra;
using namespace lutra::plasticity;

namespace {

constexpr std::uint32_t num_inputs = 24;
const std::set<std::uint32_t> relevant = {2, 9, 17};

// 24 random bits; the label is the majority of bits 2, 9 and 17, so a node
// of k = 3 wired to exactly those can be right every time and any other
// wiring cannot.
struct majority_task {
    core::bit_matrix inputs{num_inputs, 512};
    std::vector<std::uint16_t> labels;
    majority_task() {
        const counter_rng rng(5, "test.learned_wiring");
        for (std::size_t s = 0; s < inputs.samples(); ++s) {
            for (std::uint32_t r = 0; r < num_inputs; ++r) inputs.set(r, s, (rng.at(s * num_inputs + r) & 1U) != 0);
            const int votes = int{inputs.get(2, s)} + int{inputs.get(9, s)} + int{inputs.get(17, s)};
            labels.push_back(votes >= 2 ? 1 : 0);
        }
    }
};

topology::genome learnable_genome(std::uint32_t candidates, std::uint32_t size = 20) {
    topology::genome g;
    g.inputs = {.width = num_inputs, .height = 1, .bits = 1};
    g.populations.push_back({.name = "h", .size = size, .k = 3});
    topology::projection_gene p;
    p.target = "h";
    p.sources = {"input"};
    p.rule = "random";
    p.learn.candidates = candidates;
    g.projections.push_back(p);
    g.head = {.population = "h", .classes = 2};
    return g;
}

struct trained {
    core::network net;
    double accuracy;
};

trained train(std::uint32_t candidates, std::uint32_t epochs) {
    const majority_task task;
    const topology::developed_graph d = topology::develop(learnable_genome(candidates), 3);
    topology::compiled_network c = topology::compile(learnable_genome(candidates), d);
    session_params params{.epochs = epochs, .batch_size = 32, .tau = 1.0};
    params.gradient.optimizer.learning_rate = 0.05;
    session s(c.net, params, 7, catalogue(), c.candidates, c.populations);
    for (std::uint32_t e = 0; e < epochs; ++e) s.train_epoch(task.inputs, task.labels);
    return {s.network(), s.evaluate(task.inputs, task.labels).hardened};
}

// Nodes whose three sources are exactly bits 2, 9 and 17.
std::size_t wired_right(const core::network& net) {
    std::size_t right = 0;
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        const std::span<const std::uint32_t> s = net.sources(n);
        right += std::set<std::uint32_t>(s.begin(), s.end()) == relevant;
    }
    return right;
}

// Slots reading one of bits 2, 9 and 17.
std::size_t slots_right(const core::network& net) {
    return static_cast<std::size_t>(std::count_if(net.arrays().sources.begin(), net.arrays().sources.end(),
                                                  [](std::uint32_t s) { return relevant.contains(s); }));
}

}  // namespace

TEST_CASE("learned wiring: on a task whose inputs are known, the slots find them") {
    const trained fixed = train(0, 30);
    const trained learned = train(num_inputs, 30);
    INFO("fixed wiring: " << wired_right(fixed.net) << " of 20 nodes and " << slots_right(fixed.net)
                          << " of 60 slots right, accuracy " << fixed.accuracy);
    INFO("learned wiring: " << wired_right(learned.net) << " of 20 nodes and " << slots_right(learned.net)
                            << " of 60 slots right, accuracy " << learned.accuracy);
    // By chance 60 · 3/24 = 7.5 slots read a relevant bit. Once the task is
    // solved the gradient fades, so not every slot needs to move.
    CHECK(slots_right(fixed.net) <= 10);
    CHECK(slots_right(learned.net) >= 30);
    CHECK(learned.accuracy == 1.0);
    CHECK(fixed.accuracy < 0.9);
    // Still a plain LUT network: every source within its node's pool, none twice in a node.
    for (std::uint32_t n = 0; n < learned.net.num_nodes(); ++n) {
        const std::span<const std::uint32_t> s = learned.net.sources(n);
        CHECK(std::set<std::uint32_t>(s.begin(), s.end()).size() == s.size());
    }
}

TEST_CASE("learned wiring: pools hold the developed sources first, then distinct proposals, by the seed alone") {
    const topology::genome g = learnable_genome(8);
    const topology::developed_graph d = topology::develop(g, 3);
    const topology::compiled_network c = topology::compile(g, d);
    REQUIRE(c.candidates.learn_temperature.size() == c.candidates.num_lists());
    for (std::uint32_t n = 0; n < c.net.num_nodes(); ++n)
        for (unsigned i = 0; i < c.net.k(n); ++i) {
            const std::size_t slot = c.net.slot_offset(n) + i;
            const std::span<const std::uint32_t> pool = c.candidates.of(slot);
            CHECK(pool.size() == 8);
            CHECK(c.candidates.temperature(slot) == 1.0F);
            // The node's developed sources lead its pool, in slot order.
            CHECK(std::equal(c.net.sources(n).begin(), c.net.sources(n).end(), pool.begin()));
        }
    const topology::compiled_network again = topology::compile(g, topology::develop(g, 3));
    CHECK(again.candidates.sources == c.candidates.sources);
    // The pools are drawn from the development's hash, which the learn settings join.
    CHECK(d.hash != topology::develop(learnable_genome(9), 3).hash);
    CHECK(topology::develop(learnable_genome(0), 3).hash != d.hash);
}

TEST_CASE("learned wiring: a pool smaller than the slots it feeds is refused with its genome path") {
    CHECK_THROWS_WITH_AS((void)topology::develop(learnable_genome(2), 3),
                         doctest::Contains("projections[0].learn_wiring.candidates: 2 candidates per node for the 3 "
                                           "slots it fills of 'h'"),
                         topology::genome_error);
    topology::genome g = learnable_genome(4);
    g.projections[0].learn.temperature = 0;
    CHECK_THROWS_WITH_AS((void)topology::develop(g, 3), doctest::Contains("learn_wiring.temperature"),
                         topology::genome_error);
}

TEST_CASE("learned wiring: resumed from its state it ends the same") {
    const majority_task task;
    const topology::genome g = learnable_genome(num_inputs);
    const topology::compiled_network c = topology::compile(g, topology::develop(g, 3));
    session_params params{.epochs = 4, .batch_size = 32, .tau = 1.0};
    params.gradient.optimizer.learning_rate = 0.05;
    session whole(c.net, params, 7, catalogue(), c.candidates, c.populations);
    whole.train_epoch(task.inputs, task.labels);
    const session_state after_one = whole.state();
    for (int e = 0; e < 3; ++e) whole.train_epoch(task.inputs, task.labels);
    CHECK(whole.network().arrays().sources != c.net.arrays().sources);

    session resumed(c.net, params, 7, catalogue(), c.candidates, c.populations);
    resumed.restore(after_one);
    for (int e = 0; e < 3; ++e) resumed.train_epoch(task.inputs, task.labels);
    CHECK(resumed.network().arrays().sources == whole.network().arrays().sources);
    CHECK(resumed.network().arrays().tables == whole.network().arrays().tables);
}

TEST_CASE("learned wiring: 1 and 2 threads choose the same wiring and tables, bit for bit") {
    // 300 learnable slots (more than one thread's share) and batches of two engine blocks.
    const majority_task task;
    const topology::genome g = learnable_genome(12, 100);
    const topology::compiled_network c = topology::compile(g, topology::develop(g, 3));
    std::vector<core::network> trained;
    for (const unsigned threads : {1U, 2U}) {
        session_params params{.epochs = 3, .batch_size = 64, .tau = 4.0};
        params.engine.threads = threads;
        params.engine.block_samples = 32;
        params.gradient.optimizer.learning_rate = 0.05;
        session s(c.net, params, 7, catalogue(), c.candidates, c.populations);
        for (int e = 0; e < 3; ++e) s.train_epoch(task.inputs, task.labels);
        trained.push_back(s.network());
    }
    CHECK(trained[0].arrays().sources != c.net.arrays().sources);
    CHECK(trained[0].arrays().sources == trained[1].arrays().sources);
    CHECK(trained[0].arrays().tables == trained[1].arrays().tables);
}
