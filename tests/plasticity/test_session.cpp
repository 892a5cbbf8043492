#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/session.hpp"
#include "test_networks.hpp"

using namespace lutra;
using namespace lutra::plasticity;
using lutra::test::hard_accuracy;
using lutra::test::one_layer;
using lutra::test::synthetic;
using lutra::test::task;

namespace {

// A rule with a parameter that counts what the session tells it, and on
// request changes the network: flips one table bit (tables) or moves node 0's
// slot 0 to another input (structure).
struct probe_params {
    std::uint32_t change_every = 0;  // batches between changes, 0 = never
    bool structural = false;         // change a source instead of a table bit
    friend bool operator==(const probe_params&, const probe_params&) = default;
};
void describe(core::schema_visitor& v, probe_params& p) {
    v.field("change_every", p.change_every, "batches between changes, 0 = never", 0U, 1000U);
    v.field("structural", p.structural, "move a source instead of flipping a table bit");
}

struct probe_log {
    int begun = 0, batches = 0, epochs = 0, ended = 0, changes_seen = 0;
};

class probe_rule final : public rule {
public:
    probe_rule(const probe_params& p, probe_log& log) : p_(p), log_(log) {}
    [[nodiscard]] std::string_view name() const override { return "probe"; }
    void begin(learning_context&) override { ++log_.begun; }
    void batch(const batch_activity&, learning_context& ctx, batch_measure&) override {
        ++log_.batches;
        if (p_.change_every == 0 || log_.batches % p_.change_every != 0) return;
        core::network_arrays a = ctx.network().arrays();
        if (p_.structural) {
            a.sources[0] = (a.sources[0] + 1) % a.num_inputs;
            ctx.network() = core::network(std::move(a));
            ctx.network_changed({network_change::kind::structure, {0}});
        } else {
            a.tables[0] ^= 1U;
            ctx.network() = core::network(std::move(a));
            ctx.network_changed({network_change::kind::tables, {0}});
        }
    }
    void end_epoch(learning_context&) override { ++log_.epochs; }
    void end(learning_context&) override { ++log_.ended; }
    void network_changed(const network_change&, learning_context&) override { ++log_.changes_seen; }
    [[nodiscard]] named_state state() const override { return {{}, {{"batches", {std::uint64_t(log_.batches)}}}}; }

private:
    probe_params p_;
    probe_log& log_;
};

}  // namespace

TEST_CASE("catalogue: built-ins build from their defaults; unknown names list the valid ones") {
    const rule_catalogue& cat = catalogue();
    REQUIRE(cat.has("gradient"));
    for (const std::string_view name : cat.names())
        CHECK(cat.create(name, cat.at(name).defaults, {}, "x") != nullptr);
    CHECK_THROWS_WITH_AS((void)cat.at("gradiant"),
                         doctest::Contains("unknown plasticity rule 'gradiant' (did you mean 'gradient'?); valid: "),
                         unknown_name_error);
    rule_catalogue mine;
    register_builtin_rules(mine);
    register_builtin_rules(mine);  // idempotent
    CHECK(mine.names().size() == cat.names().size());
    CHECK_THROWS_AS(mine.add<probe_params>("gradient", "taken", [](const probe_params&, const session_setup&) {
        return std::unique_ptr<rule>();
    }),
                    lutra::error);
}

TEST_CASE("catalogue: a rule's parameters are checked against its schema, with the path") {
    probe_log log;
    rule_catalogue cat;
    cat.add<probe_params>("probe", "counts", [&log](const probe_params& p, const session_setup&) {
        return std::make_unique<probe_rule>(p, log);
    });
    CHECK_THROWS_WITH_AS((void)cat.create("probe", rule_params(probe_params{.change_every = 5000}), {}, "here"),
                         doctest::Contains("here.change_every: expected an integer in 0..1000, got 5000"),
                         core::schema_error);
}

TEST_CASE("session: a schedule of phases runs its rules in order; a rule's changes reach the gradient") {
    probe_log log;
    rule_catalogue cat;
    register_builtin_rules(cat);
    cat.add<probe_params>("probe", "counts", [&log](const probe_params& p, const session_setup&) {
        return std::make_unique<probe_rule>(p, log);
    });
    const task p = synthetic("parity-4");  // 16 samples
    const core::network net = one_layer(4, 6, 4, 2, 5);
    session_params params{.epochs = 5, .batch_size = 4, .tau = 1.0};
    params.schedule = {
        {.epochs = 2, .rules = {{"gradient", rule_params(gradient_params{.optimizer = {.learning_rate = 0.1}})}}},
        {.epochs = 3,
         .rules = {{"gradient", rule_params(gradient_params{.optimizer = {.learning_rate = 0.1}})},
                   {"probe", rule_params(probe_params{.change_every = 2})}}},
    };
    session s(net, params, 7, cat);
    CHECK(s.phases().size() == 2);
    for (int e = 0; e < 2; ++e) s.train_epoch(p.inputs, p.labels);
    CHECK(log.begun == 0);  // the probe belongs to phase 1
    const std::vector<std::uint64_t> tables_before = s.network().arrays().tables;
    s.train_epoch(p.inputs, p.labels);
    CHECK(s.phase_index() == 1);
    CHECK(log.begun == 1);
    CHECK(log.batches == 4);
    CHECK(log.epochs == 1);
    CHECK(log.changes_seen == 2);  // the probe sees its own announcements too
    CHECK(s.gradient() != nullptr);
    // The checkpoint keys each rule's state by phase and name.
    const session_state st = s.state();
    REQUIRE(st.rules.size() == 2);
    CHECK(st.rules[0].first == "1:gradient");
    CHECK(st.rules[1].first == "1:probe");
    CHECK(st.rules[1].second.integers.at("batches")[0] == 4);
    (void)tables_before;

    // Epochs of the phases must add up to train.epochs; a phase needs a rule.
    session_params wrong = params;
    wrong.epochs = 6;
    CHECK_THROWS_WITH_AS(session(net, wrong, 7, cat),
                         doctest::Contains("train.schedule: the phases train 5 epochs in all, but train.epochs is 6"),
                         core::schema_error);
    wrong = params;
    wrong.schedule[1].rules[1].rule = "prob";
    CHECK_THROWS_WITH_AS(session(net, wrong, 7, cat), doctest::Contains("did you mean 'probe'?"), core::schema_error);
    wrong = params;
    wrong.schedule[1].rules[1].rule = "gradient";
    wrong.schedule[1].rules[1].params = rule_params(gradient_params{});
    CHECK_THROWS_WITH_AS(session(net, wrong, 7, cat),
                         doctest::Contains("train.schedule[1].rules[1].rule: rule 'gradient' is already in this phase"),
                         core::schema_error);
    wrong = params;
    wrong.gradient.sharpen = 2;
    CHECK_THROWS_WITH_AS(session(net, wrong, 7, cat), doctest::Contains("give the gradient rule's parameters"),
                         core::schema_error);
}

TEST_CASE("session: a structural change rebuilds the gradient's engine and keeps the other nodes' parameters") {
    probe_log log;
    rule_catalogue cat;
    register_builtin_rules(cat);
    cat.add<probe_params>("probe", "moves a source", [&log](const probe_params& p, const session_setup&) {
        return std::make_unique<probe_rule>(p, log);
    });
    const task p = synthetic("parity-4");
    const core::network net = one_layer(4, 6, 4, 2, 5);
    session_params params{.epochs = 2, .batch_size = 8, .tau = 1.0};
    params.schedule = {{.epochs = 2,
                        .rules = {{"gradient", rule_params(gradient_params{.optimizer = {.learning_rate = 0.1}})},
                                  {"probe", rule_params(probe_params{.change_every = 1, .structural = true})}}}};
    session s(net, params, 3, cat);
    const std::uint32_t source_before = s.network().sources(0)[0];
    s.train_epoch(p.inputs, p.labels);
    CHECK(s.network().sources(0)[0] == (source_before + 2) % 4);
    s.train_epoch(p.inputs, p.labels);
    CHECK(log.changes_seen == 4);
    // The gradient's engine reads the moved source: its relaxed accuracy is
    // that of the network it trains, and its θ hardens to the session's tables.
    const std::vector<float> theta(s.gradient()->theta().begin(), s.gradient()->theta().end());
    CHECK(theta.size() == 6 * 16);
    for (std::size_t i = 0; i < theta.size(); ++i)
        CHECK(s.network().table_bit(static_cast<std::uint32_t>(i / 16), static_cast<std::uint32_t>(i % 16)) ==
              (theta[i] > 0));
}

TEST_CASE("session: train() is the epoch loop — shuffled by the seed, observed, resumable to the same end") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 3);
    const session_params params{.epochs = 4, .batch_size = 64, .tau = 3.3,
                                .gradient = {.sharpen = 3.0, .optimizer = {.learning_rate = 0.05, .schedule = "cosine"}}};
    struct recorder final : epoch_observer {
        std::vector<double> losses;
        std::vector<std::uint32_t> recorded;
        std::size_t samples = 0;
        void batch_done(std::size_t n) override { samples += n; }
        void epoch_finished(const epoch_report& r) override {
            losses.push_back(r.train.loss);
            if (r.record) recorded.push_back(r.record->epoch);
            CHECK(r.network != nullptr);
        }
    };
    const auto inputs = [&m](std::uint32_t) -> const core::bit_matrix& { return m.inputs; };
    const core::bit_matrix samples = core::first_samples(m.inputs, 100);
    const training_data data{inputs, m.labels, &samples, {.every = 3, .sensitivity = true}};

    session whole(net, params, 11);
    recorder all;
    CHECK(whole.train(data, all) == train_outcome::finished);
    CHECK(all.losses.size() == 4);
    CHECK(all.samples == 4 * m.labels.size());
    CHECK(all.recorded == std::vector<std::uint32_t>{3, 4});  // every 3rd and the last
    CHECK(whole.epoch() == 4);

    // A checkpoint after epoch 2, a new session restored from it: the same end.
    struct checkpointer final : epoch_observer {
        explicit checkpointer(const session& s) : watched(s) {}
        const session& watched;
        std::optional<session_state> saved;
        void epoch_finished(const epoch_report& r) override {
            if (r.epoch == 1) saved = watched.state();
        }
    };
    session first(net, params, 11);
    checkpointer cp(first);
    CHECK(first.train(data, cp) == train_outcome::finished);
    REQUIRE(cp.saved);
    CHECK(cp.saved->epoch == 2);
    session resumed(net, params, 11);
    resumed.restore(*cp.saved);
    recorder rest;
    CHECK(resumed.train(data, rest) == train_outcome::finished);
    CHECK(rest.losses == std::vector<double>(all.losses.begin() + 2, all.losses.end()));
    CHECK(resumed.network().arrays().tables == whole.network().arrays().tables);
    CHECK(resumed.state() == whole.state());
}

// Asks to stop once `stop_after` batches are done (0 = before the first),
// keeping the state after every finished epoch as a checkpoint would.
struct stopping_observer final : epoch_observer {
    stopping_observer(const session& s, std::size_t stop_after) : watched(s), stop_after(stop_after) {}
    const session& watched;
    std::size_t stop_after;
    std::size_t batches = 0;
    std::vector<std::uint32_t> started, finished;
    std::optional<session_state> saved;
    void epoch_started(std::uint32_t epoch, std::size_t) override { started.push_back(epoch); }
    void batch_done(std::size_t) override { ++batches; }
    void epoch_finished(const epoch_report& r) override {
        finished.push_back(r.epoch);
        saved = watched.state();
    }
    bool stop_requested(stop_point) override { return batches >= stop_after; }
};

TEST_CASE("session: train() stops when the observer asks; the last finished epoch's state trains on to the same end") {
    const task m = synthetic("majority-9");
    const core::network net =
        core::random_network({.num_inputs = 9, .nodes = 40, .layers = 2, .k = 4, .num_classes = 2}, 3);
    const session_params params{.epochs = 4, .batch_size = 64, .tau = 3.3,
                                .gradient = {.sharpen = 3.0, .optimizer = {.learning_rate = 0.05, .schedule = "cosine"}}};
    const auto inputs = [&m](std::uint32_t) -> const core::bit_matrix& { return m.inputs; };
    const training_data data{inputs, m.labels, nullptr, {}};
    const std::size_t batches_per_epoch = (m.labels.size() + params.batch_size - 1) / params.batch_size;
    REQUIRE(batches_per_epoch >= 4);

    session whole(net, params, 11);
    stopping_observer never(whole, SIZE_MAX);
    CHECK(whole.train(data, never) == train_outcome::finished);
    CHECK(never.finished == std::vector<std::uint32_t>{0, 1, 2, 3});

    // Three batches into the third epoch: that epoch is abandoned, unreported.
    session stopped(net, params, 11);
    stopping_observer three_in(stopped, 2 * batches_per_epoch + 3);
    CHECK(stopped.train(data, three_in) == train_outcome::stopped);
    CHECK(three_in.started == std::vector<std::uint32_t>{0, 1, 2});
    CHECK(three_in.finished == std::vector<std::uint32_t>{0, 1});
    CHECK(three_in.batches == 2 * batches_per_epoch + 3);
    CHECK(stopped.epoch() == 2);
    REQUIRE(three_in.saved);
    CHECK(three_in.saved->epoch == 2);
    // The partial epoch did change the session (θ and the optimizer's moments):
    // it must not be trained on as it is.
    CHECK(stopped.state() != *three_in.saved);

    // A new session, and the stopped one itself, restored from the last
    // finished epoch end as the uninterrupted session did.
    session fresh(net, params, 11);
    fresh.restore(*three_in.saved);
    stopping_observer rest(fresh, SIZE_MAX);
    CHECK(fresh.train(data, rest) == train_outcome::finished);
    CHECK(rest.finished == std::vector<std::uint32_t>{2, 3});
    CHECK(fresh.network().arrays().tables == whole.network().arrays().tables);
    CHECK(fresh.network().arrays().sources == whole.network().arrays().sources);
    CHECK(fresh.state() == whole.state());
    stopped.restore(*three_in.saved);
    stopping_observer again(stopped, SIZE_MAX);
    CHECK(stopped.train(data, again) == train_outcome::finished);
    CHECK(stopped.state() == whole.state());

    // Asked before the first epoch: nothing trains.
    session at_once(net, params, 11);
    stopping_observer first(at_once, 0);
    CHECK(at_once.train(data, first) == train_outcome::stopped);
    CHECK(first.started.empty());
    CHECK(at_once.epoch() == 0);
    CHECK(at_once.network().arrays().tables == net.arrays().tables);

    // Asked after the last epoch finished: the training is finished.
    session last(net, params, 11);
    stopping_observer late(last, 4 * batches_per_epoch);
    CHECK(last.train(data, late) == train_outcome::finished);
    CHECK(late.finished.size() == 4);
    CHECK(last.state() == whole.state());
}

// train_epoch's own stop, for loops other than train().
TEST_CASE("session: train_epoch abandons the epoch when its stop says so") {
    const task p = synthetic("parity-4");
    const core::network net = core::random_network({.num_inputs = 4, .nodes = 12, .layers = 2, .k = 3, .num_classes = 2}, 9);
    session s(net, {.epochs = 2, .batch_size = 4, .tau = 1.0}, 7);
    std::size_t asked = 0;
    const epoch_result r = s.train_epoch(p.inputs, p.labels, {}, [&asked] { return ++asked == 3; });
    CHECK(r.stopped);
    CHECK(r.samples == 0);
    CHECK(asked == 3);  // before batches 0, 1 and 2
    CHECK(s.epoch() == 0);
    const epoch_result whole = s.train_epoch(p.inputs, p.labels);
    CHECK_FALSE(whole.stopped);
    CHECK(whole.samples == p.labels.size());
    CHECK(s.epoch() == 1);
}

TEST_CASE("session: a phase applies to the populations it names; an unknown name lists the valid ones") {
    const task p = synthetic("parity-4");
    // Two layers: "hidden" (nodes 0–5) and "out" (6–11, the head).
    const core::network net = core::random_network({.num_inputs = 4, .nodes = 12, .layers = 2, .k = 3, .num_classes = 2}, 9);
    const std::vector<core::population> pops = {{"hidden", {0, 1, 2, 3, 4, 5}}, {"out", {6, 7, 8, 9, 10, 11}}};
    session_params params{.epochs = 2, .batch_size = 4, .tau = 1.0};
    params.schedule = {{.epochs = 2,
                        .populations = {"out"},
                        .rules = {{"gradient", rule_params(gradient_params{.optimizer = {.learning_rate = 0.3}})}}}};
    session s(net, params, 7, catalogue(), {}, pops);
    CHECK(std::vector<std::uint32_t>(s.phase_nodes().begin(), s.phase_nodes().end()) == pops[1].nodes);
    s.train_epoch(p.inputs, p.labels);
    s.train_epoch(p.inputs, p.labels);
    // The gradient trained the outputs and left the hidden layer's tables as they were.
    for (std::uint32_t n = 0; n < 6; ++n) CHECK(s.network().table(n)[0] == net.table(n)[0]);
    bool changed = false;
    for (std::uint32_t n = 6; n < 12; ++n) changed = changed || s.network().table(n)[0] != net.table(n)[0];
    CHECK(changed);

    session_params wrong = params;
    wrong.schedule[0].populations = {"out", "hiden"};
    CHECK_THROWS_WITH_AS(session(net, wrong, 7, catalogue(), {}, pops),
                         doctest::Contains("train.schedule[0].populations[1]: no population 'hiden' in the network "
                                           "(did you mean 'hidden'?); valid: hidden, out"),
                         core::schema_error);
}
