#include "lutra/plasticity/rules/prune.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/plasticity/probe.hpp"
#include "lutra/core/loss.hpp"
#include "lutra/core/table_function.hpp"
#include "lutra/plasticity/session.hpp"

namespace lutra::plasticity {

void describe(core::schema_visitor& v, prune_params& p) {
    v.field("budget", p.budget,
            "accuracy the phase may lose on the measured samples, a fraction (0.002 = 0.2 points), against the "
            "network the phase started with",
            0.0, 1.0);
    v.field("loss_budget", p.loss_budget,
            "mean cross-entropy the phase may add on the measured samples, against the network it started with", 0.0,
            1e9);
    v.field("validation", p.validation,
            "fraction of the measured samples that judge the budget; the rest rank the slots (0 = all do both)", 0.0,
            0.9);
    v.field("samples", p.samples, "training samples measured on, from each epoch's start; 0 = all", std::size_t{0},
            std::size_t{1} << 32);
    v.field("ignored_only", p.ignored_only, "drop only the slots tables ignore (the function stays the same)");
}

namespace {

bool bit_of(std::span<const std::uint64_t> table, std::size_t a) { return (table[a / 64] >> (a % 64)) & 1U; }

// A node as pruning changes it: its sources, its table, and how often the
// ranking samples addressed each of its entries.
struct pruned_node {
    std::vector<std::uint32_t> sources;
    std::vector<std::uint64_t> table;
    std::vector<std::uint32_t> counts;
    [[nodiscard]] unsigned k() const noexcept { return static_cast<unsigned>(sources.size()); }
    [[nodiscard]] bool constant() const { return core::effective_inputs(table, k()) == 0; }
};

// Samples whose output the node changes when the slot is dropped (merged
// as drop_slot does): the rarer entry of every pair that disagrees.
std::uint64_t changed_outputs(const pruned_node& node, unsigned slot) {
    std::uint64_t changed = 0;
    const std::size_t step = std::size_t{1} << slot;
    for (std::size_t a = 0; a < node.counts.size(); ++a)
        if (!(a & step) && bit_of(node.table, a) != bit_of(node.table, a | step))
            changed += std::min(node.counts[a], node.counts[a | step]);
    return changed;
}

// Drops a slot; a node of one slot becomes a constant of one slot (equal
// entries) reading the same source. The counts merge like the entries.
void drop(pruned_node& node, unsigned slot) {
    const unsigned k = node.k();
    std::vector<std::uint64_t> table = drop_slot(node.table, k, slot, node.counts);
    if (k == 1) {
        node.table = {table[0] & 1U ? std::uint64_t{3} : 0};
        return;
    }
    std::vector<std::uint32_t> counts(std::size_t{1} << (k - 1));
    const std::size_t low = (std::size_t{1} << slot) - 1;
    for (std::size_t b = 0; b < counts.size(); ++b) {
        const std::size_t a0 = (b & low) | ((b & ~low) << 1);
        counts[b] = node.counts[a0] + node.counts[a0 | (std::size_t{1} << slot)];
    }
    node.sources.erase(node.sources.begin() + slot);
    node.table = std::move(table);
    node.counts = std::move(counts);
}

core::network assemble(const core::network& like, const std::vector<pruned_node>& nodes) {
    core::network_arrays a;
    a.num_inputs = like.num_inputs();
    a.head = like.head();
    for (const pruned_node& n : nodes) {
        a.k.push_back(static_cast<std::uint8_t>(n.k()));
        a.sources.insert(a.sources.end(), n.sources.begin(), n.sources.end());
        a.tables.insert(a.tables.end(), n.table.begin(), n.table.end());
    }
    a.delays.assign(a.sources.size(), 0);
    return core::network(std::move(a));
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

void prune_rule::check(const core::network& net) const { require_measurable(rule_name, net); }

void prune_rule::begin(learning_context& ctx) {
    check(ctx.network());
    if (!reference_) reference_ = ctx.network();
    dropped_.resize(ctx.network().num_nodes(), 0);
}

core::network prune_rule::prune(const core::network& net, const core::network& reference,
                                std::span<const std::uint32_t> nodes, const core::bit_matrix& inputs,
                                std::span<const std::uint16_t> labels, unsigned threads) {
    // The ranking samples, and the held-out ones that judge the budget.
    const std::size_t held = std::min(inputs.samples() - 1, static_cast<std::size_t>(params_.validation *
                                                                                     static_cast<double>(inputs.samples())));
    const std::size_t ranked = inputs.samples() - held;
    const core::bit_matrix judged = held ? core::sample_range(inputs, ranked, held) : inputs;
    const std::span<const std::uint16_t> judged_labels = held ? labels.subspan(ranked) : labels;
    const auto judge = [&](const core::network& n) {
        const core::head_output out = core::bitslice_engine(n, {.threads = threads}).classify(judged);
        std::size_t correct = 0;
        for (std::size_t s = 0; s < judged_labels.size(); ++s) correct += out.predictions[s] == judged_labels[s];
        return std::pair(correct, core::group_sum_loss(out.scores, out.num_classes, judged_labels, setup_.tau).loss_sum);
    };
    last_ = {};
    last_.samples = judged_labels.size();
    std::tie(last_.correct_before, last_.loss_before) = judge(net);
    std::tie(last_.correct_reference, last_.loss_reference) = judge(reference);
    const double floor = static_cast<double>(last_.correct_reference) - params_.budget * static_cast<double>(last_.samples);
    const double ceiling = last_.loss_reference + params_.loss_budget * static_cast<double>(last_.samples);
    const auto within = [&](const std::pair<std::size_t, double>& m) {
        return static_cast<double>(m.first) >= floor && m.second <= ceiling;
    };
    if (dropped_.size() < net.num_nodes()) dropped_.resize(net.num_nodes(), 0);

    // Every node's entry counts on the ranking samples.
    const core::bit_matrix rank_inputs = core::sample_range(inputs, 0, ranked);
    const core::bit_matrix outputs = core::bitslice_engine(net, {.threads = threads}).evaluate(rank_inputs);
    std::vector<pruned_node> base(net.num_nodes());
    std::vector<std::uint32_t> address(ranked);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        pruned_node& p = base[n];
        p.sources.assign(net.sources(n).begin(), net.sources(n).end());
        p.table.assign(net.table(n).begin(), net.table(n).end());
    }
    for (const std::uint32_t n : nodes) {
        pruned_node& p = base[n];
        std::fill(address.begin(), address.end(), 0U);
        for (unsigned i = 0; i < p.k(); ++i) {
            const std::uint32_t src = p.sources[i];
            const auto plane = src < net.num_inputs() ? rank_inputs.row(src) : outputs.row(src - net.num_inputs());
            for (std::size_t s = 0; s < ranked; ++s) address[s] |= static_cast<std::uint32_t>((plane[s / 64] >> (s % 64)) & 1U) << i;
        }
        p.counts.assign(std::size_t{1} << p.k(), 0);
        for (std::size_t s = 0; s < ranked; ++s) ++p.counts[address[s]];
    }

    // 1. Slots the table ignores: the same function with fewer inputs.
    for (const std::uint32_t n : nodes) {
        pruned_node& p = base[n];
        for (unsigned i = p.k(); i-- > 0 && p.k() > 1;) {
            if ((core::effective_inputs(p.table, p.k()) >> i) & 1U) continue;
            drop(p, i);
            ++dropped_[n];
            ++last_.ignored_dropped;
        }
    }

    // 2. The others, those that change the fewest outputs first: the
    // longest such prefix the budget allows, found by bisection. The
    // held-out samples decide only the ~log2(slots) bisection steps, not
    // every slot, so the prune cannot fit them slot by slot.
    struct candidate {
        std::uint64_t changed;
        std::uint32_t node;
        std::uint32_t source;
    };
    std::vector<candidate> candidates;
    if (!params_.ignored_only)
        for (const std::uint32_t n : nodes) {
            if (base[n].constant()) continue;
            for (unsigned i = 0; i < base[n].k(); ++i) candidates.push_back({changed_outputs(base[n], i), n, base[n].sources[i]});
        }
    std::stable_sort(candidates.begin(), candidates.end(), [](const candidate& a, const candidate& b) {
        return std::tie(a.changed, a.node, a.source) < std::tie(b.changed, b.node, b.source);
    });
    std::vector<pruned_node> work;
    const auto prefix = [&](std::size_t length, std::size_t* applied) {
        work = base;
        std::size_t count = 0;
        for (std::size_t c = 0; c < length; ++c) {
            pruned_node& p = work[candidates[c].node];
            if (p.constant()) continue;
            const auto at = std::find(p.sources.begin(), p.sources.end(), candidates[c].source);
            if (at == p.sources.end()) continue;
            drop(p, static_cast<unsigned>(at - p.sources.begin()));
            ++count;
        }
        if (applied) *applied = count;
        return assemble(net, work);
    };
    std::size_t lo = 0, hi = candidates.size();
    if (!within(judge(prefix(hi, nullptr)))) {
        // lo fits (or is where the budget stands already), hi does not.
        while (hi - lo > 1) {
            const std::size_t mid = lo + (hi - lo) / 2;
            (within(judge(prefix(mid, nullptr))) ? lo : hi) = mid;
        }
        hi = lo;
    }
    core::network result = prefix(hi, &last_.dropped);
    for (const std::uint32_t n : nodes) {
        dropped_[n] += base[n].k() - work[n].k() + (work[n].constant() && !base[n].constant() ? 1 : 0);
        last_.constant_nodes += work[n].constant();
    }
    std::tie(last_.correct_after, last_.loss_after) = judge(result);
    return result;
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
