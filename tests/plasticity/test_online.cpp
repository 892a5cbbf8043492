#include <doctest/doctest.h>

#include <vector>

#include "lutra/core/random.hpp"
#include "lutra/core/time.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/online.hpp"
#include "lutra/plasticity/rules/count.hpp"

using namespace lutra;
using namespace lutra::plasticity;

namespace {

// A rule that checks what tick() shows against the engine, and flips node
// 0's table bit 0 at the ticks it is told to (or moves a source).
struct watch_params {
    std::uint32_t flip_at = 0;  // tick of the flip, 0 = never
    bool structural = false;
    friend bool operator==(const watch_params&, const watch_params&) = default;
};
void describe(core::schema_visitor& v, watch_params& p) {
    v.field("flip_at", p.flip_at, "tick of the flip", 0U, 1U << 20);
    v.field("structural", p.structural, "move a source instead");
}

struct watch_log {
    std::vector<std::uint64_t> ticks;
    const core::timed_engine* engine = nullptr;
    std::size_t mismatches = 0;
    std::size_t changed_seen = 0;
};

class watch_rule final : public rule {
public:
    watch_rule(const watch_params& p, watch_log& log) : p_(p), log_(log) {}
    [[nodiscard]] std::string_view name() const override { return "watch"; }
    void tick(const tick_activity& a, learning_context& ctx) override {
        log_.ticks.push_back(a.tick);
        const core::timed_engine& e = *log_.engine;
        const core::network& net = ctx.network();
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
            if (a.hard.output(n)[0] != e.outputs().row(n)[0]) ++log_.mismatches;
            for (unsigned i = 0; i < net.k(n); ++i)
                if (a.hard.slot(n, i)[0] != e.slot_plane(n, i)[0]) ++log_.mismatches;
        }
        if (a.changed.size() != e.changed().size()) ++log_.mismatches;
        log_.changed_seen += a.changed.size();
        if (p_.flip_at == 0 || a.tick != p_.flip_at) return;
        core::network_arrays arrays = net.arrays();
        if (p_.structural) {
            arrays.sources[0] = (arrays.sources[0] + 1) % arrays.num_inputs;
            ctx.network() = core::network(std::move(arrays));
            ctx.network_changed({network_change::kind::structure, {0}});
        } else {
            arrays.tables[0] ^= 1U;
            ctx.network() = core::network(std::move(arrays));
            ctx.network_changed({network_change::kind::tables, {0}});
        }
    }

private:
    watch_params p_;
    watch_log& log_;
};

rule_catalogue watch_catalogue(watch_log& log) {
    rule_catalogue cat;
    register_builtin_rules(cat);
    cat.add<watch_params>("watch", "checks tick activity", [&log](const watch_params& p, const session_setup&) {
        return std::make_unique<watch_rule>(p, log);
    });
    return cat;
}

}  // namespace

TEST_CASE("online rules see each tick as the engine ran it, delayed slots included; tables reach the engine") {
    const core::network net =
        core::random_timed_network({.num_inputs = 6, .nodes = 50, .k_min = 1, .k_max = 5, .max_delay = 4}, 3);
    for (const core::time_engine_kind kind : {core::time_engine_kind::event, core::time_engine_kind::stepped}) {
        watch_log log;
        const rule_catalogue cat = watch_catalogue(log);
        online_learner learner(net, {.rules = {{"watch", rule_params(watch_params{.flip_at = 7})}}}, 1, cat);
        auto engine = core::make_timed_engine(kind, net, {.streams = 40});
        log.engine = engine.get();
        core::random_flips flips(6, 40, 0.2, 4);
        core::bit_matrix in(6, 40);
        const std::uint64_t table_before = engine->table(0)[0];
        for (std::uint64_t t = 0; t < 20; ++t) {
            flips.fill(t, in);
            engine->step(in);
            learner.tick(*engine, in, {});
        }
        learner.end();
        CHECK(log.ticks.size() == 20);
        CHECK(log.ticks.back() == 19);
        CHECK(log.mismatches == 0);
        CHECK(log.changed_seen > 0);
        CHECK(learner.tables_changed() == 1);
        CHECK(engine->table(0)[0] == (table_before ^ 1U));
        CHECK(learner.network().table(0)[0] == (table_before ^ 1U));
    }
}

TEST_CASE("online rules may not change the structure a timed engine is built on") {
    const core::network net =
        core::random_timed_network({.num_inputs = 6, .nodes = 20, .k_min = 2, .k_max = 3, .max_delay = 2}, 5);
    watch_log log;
    const rule_catalogue cat = watch_catalogue(log);
    online_learner learner(net, {.rules = {{"watch", rule_params(watch_params{.flip_at = 2, .structural = true})}}}, 1,
                           cat);
    auto engine = core::make_event_engine(net);
    log.engine = engine.get();
    core::bit_matrix in(6, 1);
    engine->step(in);
    learner.tick(*engine, in, {});
    engine->step(in);
    learner.tick(*engine, in, {});
    engine->step(in);
    CHECK_THROWS_WITH_AS(learner.tick(*engine, in, {}), doctest::Contains("changed the network's structure"),
                         lutra::error);
}

TEST_CASE("online learner: bad rule lists are refused with their path") {
    const core::network net =
        core::random_timed_network({.num_inputs = 4, .nodes = 10, .k_min = 2, .k_max = 3, .max_delay = 2}, 5);
    CHECK_THROWS_WITH_AS(online_learner(net, {}, 1, catalogue()), doctest::Contains("time.learn.rules"),
                         core::schema_error);
    CHECK_THROWS_WITH_AS(online_learner(net, {.rules = {{"count", rule_params(count_params{})}, {"count", rule_params(count_params{})}}}, 1, catalogue()),
                         doctest::Contains("time.learn.rules[1].rule"), core::schema_error);
    CHECK_THROWS_WITH_AS(online_learner(net, {.rules = {{"count", rule_params(count_params{})}}, .populations = {"v9"}}, 1, catalogue()),
                         doctest::Contains("time.learn.populations[0]"), core::schema_error);
}

TEST_CASE("count learns online, with no gradient, to report an input spike three ticks late") {
    // Two classes of 4 output nodes each. Every output reads the input
    // through delays 1, 2, 3 and 4; the label at tick t is the input at
    // t − 3. count (WiSARD votes per stream and tick) must find that only the
    // delay-3 slot matters: class 1's nodes learn "slot 2", class 0's "not slot 2".
    core::network_arrays a;
    a.num_inputs = 1;
    for (int n = 0; n < 8; ++n) {
        a.k.push_back(4);
        a.sources.insert(a.sources.end(), {0, 0, 0, 0});
        a.delays.insert(a.delays.end(), {1, 2, 3, 4});
        a.tables.push_back(0);
    }
    a.head = {.num_classes = 2, .outputs = {0, 1, 2, 3, 4, 5, 6, 7}};
    const core::network net(std::move(a));
    online_learner learner(net, {.rules = {{"count", rule_params(count_params{})}}}, 1, catalogue());
    constexpr std::size_t streams = 64;
    auto engine = core::make_event_engine(net, {.streams = streams});
    const counter_rng rng(9, "test.online.spikes");
    core::bit_matrix in(1, streams);
    std::vector<std::vector<bool>> history;  // input per tick and stream
    std::vector<std::uint16_t> labels(streams);
    std::size_t correct = 0, judged = 0;
    for (std::uint64_t t = 0; t < 400; ++t) {
        std::vector<bool> now(streams);
        for (std::size_t s = 0; s < streams; ++s) {
            now[s] = rng.fork(t).uniform(s) < 0.3;
            in.set(0, s, now[s]);
        }
        history.push_back(now);
        engine->step(in);
        for (std::size_t s = 0; s < streams; ++s)
            labels[s] = t >= 3 ? static_cast<std::uint16_t>(history[t - 3][s]) : core::stimulus::no_label;
        if (t >= 300) {  // judged before learning from the tick: the head's decision, ties to class 0
            for (std::size_t s = 0; s < streams; ++s) {
                int score[2] = {0, 0};
                for (std::uint32_t n = 0; n < 8; ++n) score[n / 4] += engine->outputs().get(n, s);
                correct += (score[1] > score[0] ? 1 : 0) == labels[s];
                ++judged;
            }
        }
        // count takes labels of every column: ticks without one teach nothing.
        if (t >= 3) learner.tick(*engine, in, {.labels = labels});
    }
    CHECK(judged == 100 * streams);
    CHECK(correct == judged);
    CHECK(learner.tables_changed() > 0);
}
