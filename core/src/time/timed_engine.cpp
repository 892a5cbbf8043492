// What both timed engines share: the counters, the checks, the factory, the
// spike recorder, and random timed networks for tests and benchmarks.
#include <algorithm>
#include <cmath>
#include <string>

#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/core/time.hpp"

namespace lutra::core {

std::string_view to_string(time_engine_kind kind) noexcept {
    return kind == time_engine_kind::event ? "event" : "stepped";
}

timed_engine::timed_engine(network net, std::size_t streams)
    : net_(std::move(net)), tables_(net_.arrays().tables), streams_(streams) {
    if (streams_ == 0) throw error("timed engine: streams = 0; give at least one stream");
    outputs_ = bit_matrix(net_.num_nodes(), streams_);
    toggles_.assign(net_.num_nodes(), 0);
}

void timed_engine::reset_counters() {
    tick_ = 0;
    outputs_ = bit_matrix(net_.num_nodes(), streams_);
    changed_.clear();
    std::fill(toggles_.begin(), toggles_.end(), 0);
    node_updates_ = 0;
}

void timed_engine::check_inputs(const bit_matrix& inputs) const {
    if (inputs.rows() != net_.num_inputs() || inputs.samples() < streams_)
        throw error("timed engine: tick " + std::to_string(tick_) + " has inputs of " + std::to_string(inputs.rows()) +
                    " rows × " + std::to_string(inputs.samples()) + " streams; the network needs " +
                    std::to_string(net_.num_inputs()) + " rows × at least " + std::to_string(streams_) + " streams");
}

void timed_engine::check_table(std::uint32_t node, std::span<const std::uint64_t> table) const {
    if (node >= net_.num_nodes())
        throw error("set_table: node " + std::to_string(node) + " of a network of " + std::to_string(net_.num_nodes()) +
                    " nodes");
    const unsigned k = net_.k(node);
    if (table.size() != table_words(k))
        throw error("set_table: node " + std::to_string(node) + " has k = " + std::to_string(k) + ", so " +
                    std::to_string(table_words(k)) + " table words, not " + std::to_string(table.size()));
    if (k < 6 && (table[0] >> (1U << k)) != 0)
        throw error("set_table: node " + std::to_string(node) + " (k = " + std::to_string(k) +
                    ") has table bits set at addresses ≥ 2^k");
}

std::unique_ptr<timed_engine> make_timed_engine(time_engine_kind kind, network net, const time_options& options) {
    return kind == time_engine_kind::event ? make_event_engine(std::move(net), options)
                                           : make_stepped_engine(std::move(net), options);
}

std::uint32_t longest_delay(const network& net) noexcept {
    const auto& d = net.arrays().delays;
    return d.empty() ? 0 : *std::max_element(d.begin(), d.end());
}

// ------------------------------------------------------------------ spikes

spike_recorder::spike_recorder(std::uint32_t num_nodes, std::span<const std::uint32_t> nodes, std::size_t stream)
    : recorded_(num_nodes, 0), previous_(num_nodes, 0), stream_(stream) {
    for (std::uint32_t n : nodes) {
        if (n >= num_nodes)
            throw error("spike recorder: node " + std::to_string(n) + " of a network of " + std::to_string(num_nodes) +
                        " nodes");
        recorded_[n] = 1;
    }
}

void spike_recorder::observe(const timed_engine& engine) {
    if (engine.net().num_nodes() != recorded_.size() || stream_ >= engine.streams())
        throw error("spike recorder: made for " + std::to_string(recorded_.size()) + " nodes and stream " +
                    std::to_string(stream_) + ", observing an engine of " + std::to_string(engine.net().num_nodes()) +
                    " nodes and " + std::to_string(engine.streams()) + " streams");
    const std::uint64_t tick = first_tick_ + engine.tick() - 1;
    for (std::uint32_t n : engine.changed()) {
        if (!recorded_[n]) continue;
        const std::uint8_t now = engine.outputs().get(n, stream_) ? 1 : 0;
        if (now && !previous_[n]) spikes_.push_back({tick, n});
        previous_[n] = now;
    }
}

void spike_recorder::restart(std::uint64_t tick) {
    std::fill(previous_.begin(), previous_.end(), 0);
    first_tick_ = tick;
}

// ------------------------------------------------------------ random flips

random_flips::random_flips(std::uint32_t num_inputs, std::size_t streams, double activity, std::uint64_t seed)
    : num_inputs_(num_inputs), streams_(streams), seed_(seed) {
    if (!(activity >= 0 && activity <= 1)) throw error("random flips: activity must lie in [0, 1]");
    threshold_ = activity >= 1 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(std::ldexp(activity, 64));
}

void random_flips::fill(std::uint64_t tick, bit_matrix& inputs) {
    if (inputs.rows() != num_inputs_ || inputs.samples() < streams_)
        throw error("random flips: inputs of " + std::to_string(inputs.rows()) + " rows × " +
                    std::to_string(inputs.samples()) + " streams, expected " + std::to_string(num_inputs_) + " × " +
                    std::to_string(streams_));
    // Inputs keep their bits between ticks: the caller passes the same matrix.
    const counter_rng rng = counter_rng(seed_, "random-flips").fork(tick);
    for (std::uint32_t r = 0; r < num_inputs_; ++r) {
        const counter_rng row = rng.fork(r);
        for (std::size_t s = 0; s < streams_; ++s) {
            const std::uint64_t draw = row.at(s);
            const bool flip = tick == 0 ? (draw >> 63) != 0 : draw < threshold_;
            if (tick == 0) inputs.set(r, s, flip);
            else if (flip) inputs.set(r, s, !inputs.get(r, s));
        }
    }
}

// ---------------------------------------------------------- random networks

network random_timed_network(const random_timed_params& p, std::uint64_t seed) {
    if (p.num_inputs == 0 && p.nodes > 0)
        throw error("random timed network: num_inputs = 0; zero-delay slots need an input to read");
    if (p.k_min < 1 || p.k_max > max_k || p.k_min > p.k_max)
        throw error("random timed network: k in [" + std::to_string(p.k_min) + ", " + std::to_string(p.k_max) +
                    "]; need 1 ≤ k_min ≤ k_max ≤ " + std::to_string(max_k));
    if (p.max_delay < 1) throw error("random timed network: max_delay = 0; need ≥ 1");
    if (!(p.p_delayed >= 0 && p.p_delayed <= 1) || !(p.table_density >= 0 && p.table_density <= 1))
        throw error("random timed network: p_delayed and table_density must lie in [0, 1]");
    const counter_rng rng(seed, "random-timed-network");
    network_arrays a;
    a.num_inputs = p.num_inputs;
    for (std::uint32_t n = 0; n < p.nodes; ++n) {
        const counter_rng node_rng = rng.fork(n);
        const unsigned k = p.k_min + static_cast<unsigned>(node_rng.below(0, p.k_max - p.k_min + 1));
        a.k.push_back(static_cast<std::uint8_t>(k));
        for (unsigned s = 0; s < k; ++s) {
            const counter_rng slot_rng = node_rng.fork(s + 1);
            if (slot_rng.uniform(0) < p.p_delayed) {
                a.sources.push_back(static_cast<std::uint32_t>(slot_rng.below(1, std::uint64_t{p.num_inputs} + p.nodes)));
                a.delays.push_back(1 + static_cast<std::uint32_t>(slot_rng.below(2, p.max_delay)));
            } else {
                // An input or an earlier node (within the window, if one is set).
                const std::uint32_t first = p.zero_delay_window > 0 && n > p.zero_delay_window ? n - p.zero_delay_window : 0;
                const std::uint64_t choices = std::uint64_t{p.num_inputs} + (n - first);
                const std::uint64_t c = slot_rng.below(1, choices);
                a.sources.push_back(c < p.num_inputs ? static_cast<std::uint32_t>(c)
                                                     : p.num_inputs + first + static_cast<std::uint32_t>(c - p.num_inputs));
                a.delays.push_back(0);
            }
        }
        const counter_rng table_rng = node_rng.fork(0);
        const std::size_t entries = std::size_t{1} << k;
        std::vector<std::uint64_t> words(table_words(k), 0);
        for (std::size_t e = 0; e < entries; ++e)
            if (table_rng.uniform(e) < p.table_density) words[e / 64] |= std::uint64_t{1} << (e % 64);
        a.tables.insert(a.tables.end(), words.begin(), words.end());
    }
    return network(std::move(a));
}

void describe(schema_visitor& v, random_timed_params& p) {
    v.field("inputs", p.num_inputs, "input bits", 1U, 1U << 24);
    v.field("nodes", p.nodes, "LUT nodes", 1U, 1U << 26);
    v.field("k_min", p.k_min, "smallest fan-in", 1U, max_k);
    v.field("k_max", p.k_max, "largest fan-in", 1U, max_k);
    v.field("p_delayed", p.p_delayed, "share of slots with a delay ≥ 1 (from any input or node)", closed(0.0, 1.0));
    v.field("max_delay", p.max_delay, "delays are drawn from 1 … max_delay", 1U, 1U << 16);
    v.field("table_density", p.table_density, "probability of a 1 per table bit: 0.5 uniform, small = quiet nodes",
            closed(0.0, 1.0));
    v.field("zero_delay_window", p.zero_delay_window,
            "zero-delay node sources come from the previous N nodes; 0 = any earlier node", 0U, 1U << 26);
}

}  // namespace lutra::core
