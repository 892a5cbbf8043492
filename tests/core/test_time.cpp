#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/time.hpp"

using namespace lutra;
using namespace lutra::core;

namespace {

// Input bits of tick t: each input of each stream flips with probability
// `activity` from the tick before (tick 0 draws them at density 1/2).
class flipping_inputs {
public:
    flipping_inputs(std::uint32_t inputs, std::size_t streams, double activity, std::uint64_t seed)
        : m_(inputs, streams), activity_(activity), rng_(seed, "test.flips") {}
    const bit_matrix& next() {
        for (std::size_t r = 0; r < m_.rows(); ++r)
            for (std::size_t s = 0; s < m_.samples(); ++s) {
                const std::uint64_t i = (tick_ * m_.rows() + r) * m_.samples() + s;
                if (tick_ == 0 ? rng_.uniform(i) < 0.5 : rng_.uniform(i) < activity_) m_.set(r, s, !m_.get(r, s));
            }
        ++tick_;
        return m_;
    }

private:
    bit_matrix m_;
    double activity_;
    counter_rng rng_;
    std::uint64_t tick_ = 0;
};

// The semantics written down as plainly as possible, one stream: every
// source's value at every tick kept, a delayed slot reading the kept value.
class oracle {
public:
    explicit oracle(const network& net) : net_(net) {}
    std::vector<std::uint8_t> step(const std::vector<std::uint8_t>& inputs) {
        std::vector<std::uint8_t> now(inputs);
        now.resize(net_.num_inputs() + net_.num_nodes(), 0);
        const std::size_t t = history_.size();
        for (std::uint32_t n = 0; n < net_.num_nodes(); ++n) {
            std::uint32_t address = 0;
            for (unsigned i = 0; i < net_.k(n); ++i) {
                const std::uint32_t id = net_.sources(n)[i], d = net_.delays(n)[i];
                const std::uint8_t x = d == 0 ? now[id] : t >= d ? history_[t - d][id] : 0;
                address |= std::uint32_t{x} << i;
            }
            now[net_.num_inputs() + n] = net_.table_bit(n, address) ? 1 : 0;
        }
        history_.push_back(now);
        return {now.begin() + net_.num_inputs(), now.end()};
    }

private:
    const network& net_;
    std::vector<std::vector<std::uint8_t>> history_;
};

network buffer_chain(std::uint32_t delay) {
    network_arrays a;
    a.num_inputs = 1;
    a.k = {1};
    a.sources = {0};
    a.delays = {delay};
    a.tables = {0b10};  // buffer
    return network(std::move(a));
}

struct trace_case {
    random_timed_params params;
    std::size_t streams;
    double activity;
};

}  // namespace

TEST_CASE("a slot with delay d reads its source d ticks earlier, 0 before") {
    for (const time_engine_kind kind : {time_engine_kind::stepped, time_engine_kind::event}) {
        auto engine = make_timed_engine(kind, buffer_chain(3));
        bit_matrix in(1, 1);
        const std::vector<int> input{1, 0, 1, 1, 0, 0, 0, 1, 0, 0};
        for (std::size_t t = 0; t < input.size(); ++t) {
            in.set(0, 0, input[t] != 0);
            engine->step(in);
            CHECK(engine->outputs().get(0, 0) == (t >= 3 && input[t - 3] != 0));
        }
    }
}

TEST_CASE("a node reading itself through a delay oscillates; tick 0 compares with 0") {
    network_arrays a;
    a.num_inputs = 1;
    a.k = {1};
    a.sources = {1};  // itself
    a.delays = {1};
    a.tables = {0b01};  // NOT
    const network net(std::move(a));
    for (const time_engine_kind kind : {time_engine_kind::stepped, time_engine_kind::event}) {
        auto engine = make_timed_engine(kind, net);
        spike_recorder spikes(1, std::vector<std::uint32_t>{0});
        bit_matrix in(1, 1);
        for (int t = 0; t < 6; ++t) {
            engine->step(in);
            spikes.observe(*engine);
            CHECK(engine->outputs().get(0, 0) == (t % 2 == 0));
        }
        CHECK(engine->toggles()[0] == 6);
        REQUIRE(spikes.spikes().size() == 3);
        CHECK(spikes.spikes()[0].tick == 0);
        CHECK(spikes.spikes()[2].tick == 4);
    }
}

TEST_CASE("both engines follow the semantics on random recurrent networks, every node every tick") {
    // Against the plain oracle, one stream; then 3 streams, each its own run.
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        random_timed_params p;
        p.num_inputs = 5;
        p.nodes = 60;
        p.k_min = 1;
        p.k_max = 8;
        p.max_delay = 1 + static_cast<std::uint32_t>(seed * 3 % 17);
        p.table_density = seed % 2 ? 0.5 : 0.15;
        const network net = random_timed_network(p, seed);
        for (const std::size_t streams : {std::size_t{1}, std::size_t{3}}) {
            std::vector<oracle> oracles(streams, oracle(net));
            auto stepped = make_stepped_engine(net, {.streams = streams});
            auto event = make_event_engine(net, {.streams = streams});
            flipping_inputs inputs(p.num_inputs, streams, 0.2, seed);
            for (int t = 0; t < 60; ++t) {
                const bit_matrix& in = inputs.next();
                stepped->step(in);
                event->step(in);
                for (std::size_t s = 0; s < streams; ++s) {
                    std::vector<std::uint8_t> bits(p.num_inputs);
                    for (std::uint32_t i = 0; i < p.num_inputs; ++i) bits[i] = in.get(i, s) ? 1 : 0;
                    const std::vector<std::uint8_t> want = oracles[s].step(bits);
                    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
                        INFO("seed ", seed, " streams ", streams, " tick ", t, " stream ", s, " node ", n);
                        REQUIRE(stepped->outputs().get(n, s) == (want[n] != 0));
                        REQUIRE(event->outputs().get(n, s) == (want[n] != 0));
                    }
                }
            }
        }
    }
}

TEST_CASE("event and stepped engines: identical traces, changes and toggles (k 1..8, delays 0..16, sparse to dense)") {
    const std::vector<trace_case> cases{
        {{.num_inputs = 16, .nodes = 400, .k_min = 1, .k_max = 8, .p_delayed = 0.3, .max_delay = 16, .table_density = 0.5},
         1, 0.5},
        {{.num_inputs = 16, .nodes = 400, .k_min = 1, .k_max = 8, .p_delayed = 0.3, .max_delay = 16, .table_density = 0.08},
         1, 0.01},
        {{.num_inputs = 32, .nodes = 300, .k_min = 6, .k_max = 6, .p_delayed = 0.5, .max_delay = 4, .table_density = 0.2},
         70, 0.1},
        {{.num_inputs = 8, .nodes = 200, .k_min = 7, .k_max = 8, .p_delayed = 0.2, .max_delay = 16, .table_density = 0.5},
         600, 0.05},
        {{.num_inputs = 8, .nodes = 300, .k_min = 1, .k_max = 3, .p_delayed = 0.0, .max_delay = 1, .table_density = 0.5},
         2, 0.3},
    };
    std::uint64_t seed = 10;
    for (const trace_case& c : cases) {
        ++seed;
        const network net = random_timed_network(c.params, seed);
        auto stepped = make_stepped_engine(net, {.streams = c.streams});
        auto event = make_event_engine(net, {.streams = c.streams});
        flipping_inputs inputs(c.params.num_inputs, c.streams, c.activity, seed);
        for (int t = 0; t < 120; ++t) {
            const bit_matrix& in = inputs.next();
            stepped->step(in);
            event->step(in);
            INFO("case seed ", seed, " tick ", t);
            REQUIRE(stepped->outputs() == event->outputs());
            REQUIRE(std::vector<std::uint32_t>(stepped->changed().begin(), stepped->changed().end()) ==
                    std::vector<std::uint32_t>(event->changed().begin(), event->changed().end()));
        }
        CHECK(std::vector<std::uint64_t>(stepped->toggles().begin(), stepped->toggles().end()) ==
              std::vector<std::uint64_t>(event->toggles().begin(), event->toggles().end()));
        CHECK(stepped->node_updates() == 120 * std::uint64_t{net.num_nodes()});
        CHECK(event->node_updates() <= stepped->node_updates());
        // A reset replays the same run.
        const bit_matrix last = event->outputs();
        event->reset();
        flipping_inputs again(c.params.num_inputs, c.streams, c.activity, seed);
        for (int t = 0; t < 120; ++t) event->step(again.next());
        CHECK(event->outputs() == last);
    }
}

TEST_CASE("the event engine evaluates only nodes whose inputs changed") {
    // A quiet input: after tick 0 and the delays' echo of it, nothing changes.
    random_timed_params p{.num_inputs = 16, .nodes = 500, .k_min = 2, .k_max = 6, .p_delayed = 0.0, .max_delay = 1,
                          .table_density = 0.5};
    const network net = random_timed_network(p, 3);
    auto event = make_event_engine(net);
    bit_matrix in(16, 1);
    event->step(in);
    CHECK(event->node_updates() == 500);
    for (int t = 0; t < 10; ++t) event->step(in);
    CHECK(event->node_updates() == 500);
    in.set(3, 0, true);  // one input changes: only its cone can run
    event->step(in);
    CHECK(event->node_updates() > 500);
    CHECK(event->node_updates() < 1000);
}

TEST_CASE("stepped engine: threads and tiles do not change the result") {
    const network net = random_timed_network({.num_inputs = 8, .nodes = 150, .k_min = 2, .k_max = 6, .max_delay = 5}, 7);
    auto one = make_stepped_engine(net, {.streams = 1100, .threads = 1});
    auto two = make_stepped_engine(net, {.streams = 1100, .threads = 2});
    auto event = make_event_engine(net, {.streams = 1100});
    flipping_inputs inputs(8, 1100, 0.1, 4);
    for (int t = 0; t < 30; ++t) {
        const bit_matrix& in = inputs.next();
        one->step(in);
        two->step(in);
        event->step(in);
        REQUIRE(one->outputs() == two->outputs());
        REQUIRE(one->outputs() == event->outputs());
    }
    CHECK(std::vector<std::uint64_t>(one->toggles().begin(), one->toggles().end()) ==
          std::vector<std::uint64_t>(two->toggles().begin(), two->toggles().end()));
}

TEST_CASE("slot planes show what each slot read, delayed slots included") {
    const network net = random_timed_network({.num_inputs = 6, .nodes = 80, .k_min = 1, .k_max = 6, .max_delay = 6}, 9);
    auto stepped = make_stepped_engine(net, {.streams = 5});
    auto event = make_event_engine(net, {.streams = 5});
    std::vector<bit_matrix> history;  // rows: inputs then nodes
    flipping_inputs inputs(6, 5, 0.3, 9);
    for (int t = 0; t < 25; ++t) {
        const bit_matrix& in = inputs.next();
        stepped->step(in);
        event->step(in);
        bit_matrix all(6 + 80, 5);
        for (std::size_t s = 0; s < 5; ++s) {
            for (std::uint32_t i = 0; i < 6; ++i) all.set(i, s, in.get(i, s));
            for (std::uint32_t n = 0; n < 80; ++n) all.set(6 + n, s, stepped->outputs().get(n, s));
        }
        history.push_back(all);
        for (std::uint32_t n = 0; n < 80; ++n)
            for (unsigned i = 0; i < net.k(n); ++i) {
                const std::uint32_t d = net.delays(n)[i], id = net.sources(n)[i];
                const std::uint64_t want = t >= static_cast<int>(d) ? history[t - d].row(id)[0] : 0;
                REQUIRE(stepped->slot_plane(n, i)[0] == want);
                REQUIRE(event->slot_plane(n, i)[0] == want);
            }
    }
}

TEST_CASE("a changed table takes effect at the next tick in both engines") {
    const network net = buffer_chain(0);
    for (const time_engine_kind kind : {time_engine_kind::stepped, time_engine_kind::event}) {
        auto engine = make_timed_engine(kind, net);
        bit_matrix in(1, 1);
        engine->step(in);
        CHECK_FALSE(engine->outputs().get(0, 0));
        const std::uint64_t inverter = 0b01;
        engine->set_table(0, std::span<const std::uint64_t>(&inverter, 1));
        engine->step(in);  // same input: only the table changed
        CHECK(engine->outputs().get(0, 0));
        CHECK(engine->table(0)[0] == inverter);
        const std::uint64_t bad = 0b1101;
        CHECK_THROWS_AS(engine->set_table(0, std::span<const std::uint64_t>(&bad, 1)), lutra::error);
    }
}

TEST_CASE("the spike recorder sees rising edges of the recorded stream only") {
    const network net = random_timed_network({.num_inputs = 4, .nodes = 40, .k_min = 1, .k_max = 4, .max_delay = 3}, 5);
    auto engine = make_event_engine(net, {.streams = 3});
    std::vector<std::uint32_t> recorded{0, 5, 17, 39};
    spike_recorder recorder(net.num_nodes(), recorded, 2);
    std::vector<spike_recorder::spike> want;
    std::vector<bool> before(net.num_nodes(), false);
    flipping_inputs inputs(4, 3, 0.3, 5);
    for (std::uint64_t t = 0; t < 50; ++t) {
        engine->step(inputs.next());
        recorder.observe(*engine);
        for (std::uint32_t n : recorded) {
            const bool now = engine->outputs().get(n, 2);
            if (now && !before[n]) want.push_back({t, n});
            before[n] = now;
        }
    }
    CHECK(std::vector<spike_recorder::spike>(recorder.spikes().begin(), recorder.spikes().end()) == want);
    CHECK_FALSE(want.empty());
}

TEST_CASE("timed engines refuse what they cannot run") {
    const network net = buffer_chain(2);
    CHECK_THROWS_AS((void)make_event_engine(net, {.streams = 0}), lutra::error);
    auto engine = make_stepped_engine(net, {.streams = 4});
    CHECK_THROWS_AS(engine->step(bit_matrix(2, 4)), lutra::error);
    CHECK_THROWS_AS(engine->step(bit_matrix(1, 3)), lutra::error);
    CHECK_THROWS_AS((void)engine->slot_plane(0, 0), lutra::error);
    CHECK_THROWS_AS((void)random_timed_network({.k_min = 3, .k_max = 2}, 1), lutra::error);
}

TEST_CASE("random flips flip inputs at the asked activity, the same for the same seed") {
    random_flips a(200, 70, 0.1, 3), b(200, 70, 0.1, 3);
    bit_matrix x(200, 70), y(200, 70);
    a.fill(0, x);
    b.fill(0, y);
    CHECK(x == y);
    std::size_t flips = 0;
    for (std::uint64_t t = 1; t <= 20; ++t) {
        const bit_matrix before = x;
        a.fill(t, x);
        for (std::size_t r = 0; r < 200; ++r)
            for (std::size_t s = 0; s < 70; ++s) flips += before.get(r, s) != x.get(r, s);
    }
    // 280,000 draws at p = 0.1: mean 28,000, standard deviation 159.
    CHECK(flips > 27000);
    CHECK(flips < 29000);
    CHECK_THROWS_AS(random_flips(1, 1, 1.5, 1), lutra::error);
}
