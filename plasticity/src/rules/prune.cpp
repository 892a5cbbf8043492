#include "lutra/plasticity/rules/prune.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/table_function.hpp"
#include "lutra/plasticity/probe.hpp"
#include "lutra/plasticity/session.hpp"

namespace lutra::plasticity {

void describe(core::schema_visitor& v, prune_params& p) {
    v.field("budget", p.budget,
            "accuracy the phase may lose on the measured samples, a fraction (0.002 = 0.2 points), against the "
            "network the phase started with",
            0.0, 1.0);
    v.field("samples", p.samples, "training samples measured on, from each epoch's start; 0 = all", std::size_t{0},
            std::size_t{1} << 32);
    v.field("ignored_only", p.ignored_only, "drop only the slots tables ignore (the function stays the same)");
}

namespace {

bool bit_of(std::span<const std::uint64_t> table, std::size_t a) { return (table[a / 64] >> (a % 64)) & 1U; }

// How often the probe's samples addressed each entry of a node.
void address_counts(const loss_probe& probe, std::uint32_t node, std::vector<std::uint32_t>& counts) {
    const unsigned k = probe.k(node);
    counts.assign(std::size_t{1} << k, 0);
    std::vector<std::uint32_t> address(probe.words() * 64, 0);
    for (unsigned i = 0; i < k; ++i) {
        const std::span<const std::uint64_t> plane = probe.plane(probe.sources(node)[i]);
        for (std::size_t w = 0; w < probe.words(); ++w)
            for (std::uint64_t bits = plane[w]; bits; bits &= bits - 1)
                address[w * 64 + static_cast<std::size_t>(std::countr_zero(bits))] |= 1U << i;
    }
    for (std::size_t s = 0; s < probe.samples(); ++s) ++counts[address[s]];
}

// A node's sources and table without one slot; a node of one slot becomes
// a constant of one slot (equal entries) reading the same source.
struct smaller_node {
    std::vector<std::uint32_t> sources;
    std::vector<std::uint64_t> table;
};
smaller_node without_slot(const loss_probe& probe, std::uint32_t node, unsigned slot,
                          std::span<const std::uint32_t> counts) {
    const unsigned k = probe.k(node);
    smaller_node r;
    std::vector<std::uint64_t> table = drop_slot(probe.table(node), k, slot, counts);
    if (k == 1) {
        r.sources.assign(probe.sources(node).begin(), probe.sources(node).end());
        r.table = {table[0] & 1U ? std::uint64_t{3} : 0};
        return r;
    }
    for (unsigned i = 0; i < k; ++i)
        if (i != slot) r.sources.push_back(probe.sources(node)[i]);
    r.table = std::move(table);
    return r;
}

bool is_constant(const loss_probe& probe, std::uint32_t node) {
    return core::effective_inputs(probe.table(node), probe.k(node)) == 0;
}

}  // namespace

std::vector<std::uint64_t> drop_slot(std::span<const std::uint64_t> table, unsigned k, unsigned slot,
                                     std::span<const std::uint32_t> counts) {
    if (k == 0 || k > core::max_k || slot >= k || table.size() != core::table_words(k) ||
        counts.size() < (std::size_t{1} << k))
        throw internal_error("drop_slot: a slot or table that does not fit");
    std::vector<std::uint64_t> out(core::table_words(k - 1), 0);
    const std::size_t low = (std::size_t{1} << slot) - 1;
    for (std::size_t b = 0; b < (std::size_t{1} << (k - 1)); ++b) {
        const std::size_t a0 = (b & low) | ((b & ~low) << 1);  // bit `slot` inserted as 0
        const std::size_t a1 = a0 | (std::size_t{1} << slot);
        const bool v0 = bit_of(table, a0), v1 = bit_of(table, a1);
        const bool v = v0 == v1 ? v0 : (counts[a1] > counts[a0] ? v1 : v0);
        if (v) out[b / 64] |= std::uint64_t{1} << (b % 64);
    }
    return out;
}

prune_rule::prune_rule(prune_params params, session_setup setup) : params_(params), setup_(std::move(setup)) {
    core::check_schema(params_);
}

void prune_rule::check(const core::network& net) const {
    const std::string name(rule_name);
    if (net.head().num_classes == 0)
        throw rule_limit_error(name, rule_limit_error::no_node, "head", "needs a group-sum head to measure against");
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        for (const std::uint32_t d : net.delays(n))
            if (d != 0)
                throw rule_limit_error(name, n, "delays",
                                       "a delayed slot; prune measures combinational networks on samples");
}

void prune_rule::begin(learning_context& ctx) {
    check(ctx.network());
    if (!reference_) reference_ = ctx.network();
    dropped_.resize(ctx.network().num_nodes(), 0);
}

core::network prune_rule::prune(const core::network& net, const core::network& reference,
                                std::span<const std::uint32_t> nodes, const core::bit_matrix& inputs,
                                std::span<const std::uint16_t> labels, unsigned threads) {
    loss_probe probe(net, inputs, std::vector<std::uint16_t>(labels.begin(), labels.end()), setup_.tau, threads);
    last_ = {};
    last_.samples = probe.samples();
    last_.correct_before = probe.current().correct;
    {
        const core::head_output decided = core::bitslice_engine(reference, {.threads = threads}).classify(inputs);
        for (std::size_t s = 0; s < labels.size(); ++s) last_.correct_reference += decided.predictions[s] == labels[s];
    }
    const double floor =
        static_cast<double>(last_.correct_reference) - params_.budget * static_cast<double>(probe.samples());
    if (dropped_.size() < net.num_nodes()) dropped_.resize(net.num_nodes(), 0);
    std::vector<std::uint32_t> counts;

    // 1. Slots the table ignores: the same function with fewer inputs.
    for (const std::uint32_t n : nodes) {
        for (unsigned i = probe.k(n); i-- > 0;) {
            if (probe.k(n) == 1) break;
            const std::uint32_t used = core::effective_inputs(probe.table(n), probe.k(n));
            if ((used >> i) & 1U) continue;
            address_counts(probe, n, counts);
            const smaller_node s = without_slot(probe, n, i, counts);
            (void)probe.trial(n, s.sources, s.table);
            probe.accept();
            ++dropped_[n];
            ++last_.ignored_dropped;
        }
    }

    // 2. The others, cheapest first, within the budget.
    if (!params_.ignored_only) {
        struct candidate {
            double loss_change;
            std::uint32_t node;
            std::uint32_t source;
        };
        std::vector<candidate> candidates;
        const double before = probe.current().loss_sum;
        for (const std::uint32_t n : nodes) {
            if (is_constant(probe, n)) continue;
            address_counts(probe, n, counts);
            for (unsigned i = 0; i < probe.k(n); ++i) {
                const smaller_node s = without_slot(probe, n, i, counts);
                const loss_probe::measure m = probe.trial(n, s.sources, s.table);
                candidates.push_back({m.loss_sum - before, n, probe.sources(n)[i]});
            }
        }
        std::stable_sort(candidates.begin(), candidates.end(), [](const candidate& a, const candidate& b) {
            return std::tie(a.loss_change, a.node, a.source) < std::tie(b.loss_change, b.node, b.source);
        });
        for (const candidate& c : candidates) {
            if (is_constant(probe, c.node)) continue;
            const auto sources = probe.sources(c.node);
            const auto at = std::find(sources.begin(), sources.end(), c.source);
            if (at == sources.end()) continue;
            address_counts(probe, c.node, counts);
            const smaller_node s = without_slot(probe, c.node, static_cast<unsigned>(at - sources.begin()), counts);
            const loss_probe::measure m = probe.trial(c.node, s.sources, s.table);
            if (static_cast<double>(m.correct) < floor) continue;
            probe.accept();
            ++dropped_[c.node];
            ++last_.dropped;
        }
    }
    for (const std::uint32_t n : nodes) last_.constant_nodes += is_constant(probe, n);
    last_.correct_after = probe.current().correct;
    return probe.network();
}

void prune_rule::batch(const batch_activity& a, learning_context& ctx, batch_measure& measure) {
    (void)measure;
    if (a.batch != 0) return;
    const std::size_t count = params_.samples ? std::min(params_.samples, a.inputs.samples()) : a.inputs.samples();
    const core::bit_matrix samples = core::sample_range(a.inputs, 0, count);
    const core::network& net = ctx.network();
    core::network pruned = prune(net, *reference_, ctx.nodes(), samples, a.epoch_labels.first(count), ctx.threads());
    std::vector<std::uint32_t> changed;
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        if (pruned.k(n) != net.k(n) || !std::ranges::equal(pruned.sources(n), net.sources(n)) ||
            !std::ranges::equal(pruned.table(n), net.table(n)))
            changed.push_back(n);
    if (changed.empty()) return;
    ctx.network() = std::move(pruned);
    ctx.network_changed({network_change::kind::structure, std::move(changed)});
}

void prune_rule::summarize(rule_summary& out, const learning_context& ctx) const {
    const core::network& net = ctx.network();
    std::vector<float> dropped(net.num_nodes(), NAN), k(net.num_nodes(), NAN);
    for (const std::uint32_t n : ctx.nodes()) {
        dropped[n] = n < dropped_.size() ? static_cast<float>(dropped_[n]) : 0.0F;
        k[n] = static_cast<float>(core::effective_inputs(net.table(n), net.k(n)) == 0 ? 0 : net.k(n));
    }
    out.add("slots_dropped", std::move(dropped));
    out.add("k", std::move(k));
}

named_state prune_rule::state() const {
    named_state s = reference_ ? network_state(*reference_) : named_state{};
    s.integers["dropped"].assign(dropped_.begin(), dropped_.end());
    return s;
}

void prune_rule::restore(const named_state& state, learning_context& ctx) {
    const auto dropped = state.integers.find("dropped");
    if (dropped == state.integers.end() || dropped->second.size() != ctx.network().num_nodes())
        throw error("prune state: no 'dropped' of one value per node");
    reference_ = network_from_state(state, ctx.network());
    dropped_.assign(dropped->second.begin(), dropped->second.end());
}

}  // namespace lutra::plasticity
