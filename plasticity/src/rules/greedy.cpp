#include "lutra/plasticity/rules/greedy.hpp"

#include <algorithm>
#include <cmath>

#include "lutra/core/error.hpp"
#include "lutra/plasticity/probe.hpp"

namespace lutra::plasticity {

void describe(core::schema_visitor& v, greedy_params& p) {
    v.field("trials", p.trials, "trials per step (the budget)", 1U, 1U << 24);
    v.field("every", p.every, "a step every this many batches", 1U, 1U << 20);
    v.field("samples", p.samples, "samples a step measures the loss on, from the batch's first", std::size_t{1},
            std::size_t{1} << 24);
    v.choice("kind", p.kind, greedy_kinds, "flip table entries, swap input sources among the candidates, or both");
    v.field("swap_fraction", p.swap_fraction, "kind both: the probability a trial is a swap", 0.0, 1.0);
}

greedy_rule::greedy_rule(greedy_params params, session_setup setup)
    : params_(std::move(params)), setup_(std::move(setup)) {
    core::check_schema(params_);
}

void greedy_rule::check(const core::network& net) const { require_measurable(rule_name, net); }

void greedy_rule::count_in(const learning_context& ctx) {
    const std::uint32_t nodes = ctx.network().num_nodes();
    flips_.resize(nodes, 0);
    swaps_.resize(nodes, 0);
    trials_.resize(nodes, 0);
}

void greedy_rule::begin(learning_context& ctx) {
    check(ctx.network());
    count_in(ctx);
}

namespace {

// The entry node n addresses at sample s, from the probe's planes.
std::uint32_t address_at(const loss_probe& probe, std::uint32_t node, std::size_t s) {
    std::uint32_t a = 0;
    const std::span<const std::uint32_t> sources = probe.sources(node);
    for (unsigned i = 0; i < sources.size(); ++i)
        a |= static_cast<std::uint32_t>((probe.plane(sources[i])[s / 64] >> (s % 64)) & 1U) << i;
    return a;
}

}  // namespace

greedy_rule::step_result greedy_rule::step(loss_probe& probe, learning_context& ctx, const counter_rng& rng) {
    const core::network& net = ctx.network();
    const std::span<const std::uint32_t> nodes = ctx.nodes();
    const core::candidate_sources& candidates = ctx.candidates();
    // Candidates fit the network's slots only until some rule changed k.
    const bool can_swap = params_.kind != "flip" && !candidates.empty() && candidates.num_slots() == net.num_slots();
    count_in(ctx);
    step_result r;
    r.before = probe.current();
    if (nodes.empty() || probe.samples() == 0) {
        r.after = r.before;
        return r;
    }
    std::vector<std::uint8_t> changed(probe.num_nodes(), 0);
    std::vector<std::uint64_t> table;
    std::vector<std::uint32_t> sources;
    for (std::uint32_t j = 0; j < params_.trials; ++j) {
        const counter_rng draw = rng.fork(j);
        const std::uint32_t n = nodes[draw.below(0, nodes.size())];
        const bool swap = params_.kind == "swap" || (params_.kind == "both" && draw.uniform(1) < params_.swap_fraction);
        const std::span<const std::uint64_t> now = probe.table(n);
        table.assign(now.begin(), now.end());
        sources.assign(probe.sources(n).begin(), probe.sources(n).end());
        bool swapped = false;
        if (swap && can_swap) {
            const auto slot = static_cast<unsigned>(draw.below(2, sources.size()));
            const std::span<const std::uint32_t> list = candidates.of(net.slot_offset(n) + slot);
            const std::size_t start = draw.below(3, list.size());
            for (std::size_t t = 0; t < list.size(); ++t) {
                const std::uint32_t c = list[(start + t) % list.size()];
                if (c >= probe.num_inputs() + n) continue;  // the order stays topological
                if (std::find(sources.begin(), sources.end(), c) != sources.end()) continue;
                sources[slot] = c;
                swapped = true;
                break;
            }
        }
        if (!swapped) {
            const std::uint32_t a = address_at(probe, n, draw.below(4, probe.samples()));
            table[a / 64] ^= std::uint64_t{1} << (a % 64);
        }
        ++trials_[n];
        ++r.trials;
        const double current = probe.current().loss_sum;
        const loss_probe::measure m = probe.trial(n, sources, table);
        if (!(m.loss_sum < current - 1e-9 * (1 + std::abs(current)))) continue;
        probe.accept();
        changed[n] = 1;
        if (swapped) {
            ++swaps_[n];
            ++r.swaps;
            r.structure = true;
        } else {
            ++flips_[n];
            ++r.flips;
        }
    }
    for (std::uint32_t n = 0; n < probe.num_nodes(); ++n)
        if (changed[n]) r.changed.push_back(n);
    r.after = probe.current();
    return r;
}

void greedy_rule::batch(const batch_activity& a, learning_context& ctx, batch_measure& measure) {
    (void)measure;
    if (a.batch == 0) {
        // The summaries count one epoch.
        count_in(ctx);
        std::fill(flips_.begin(), flips_.end(), 0);
        std::fill(swaps_.begin(), swaps_.end(), 0);
        std::fill(trials_.begin(), trials_.end(), 0);
    }
    if (a.batch % params_.every != 0) return;
    const std::size_t count = std::min(params_.samples, a.inputs.samples() - a.first_sample);
    const std::span<const std::uint16_t> labels = a.epoch_labels.subspan(a.first_sample, count);
    loss_probe probe(ctx.network(), core::sample_range(a.inputs, a.first_sample, count),
                     std::vector<std::uint16_t>(labels.begin(), labels.end()), setup_.tau, ctx.threads());
    const counter_rng rng = counter_rng(ctx.seed(), "rule.greedy").fork(a.at.epoch).fork(a.batch);
    step_result r = step(probe, ctx, rng);
    if (r.changed.empty()) return;
    // The accepted changes, into the session's network (k is unchanged).
    core::network_arrays arrays = ctx.network().arrays();
    const core::network& net = ctx.network();
    for (const std::uint32_t n : r.changed) {
        std::copy(probe.table(n).begin(), probe.table(n).end(),
                  arrays.tables.begin() + static_cast<std::ptrdiff_t>(net.table_offset(n)));
        std::copy(probe.sources(n).begin(), probe.sources(n).end(),
                  arrays.sources.begin() + static_cast<std::ptrdiff_t>(net.slot_offset(n)));
    }
    ctx.network() = core::network(std::move(arrays));
    ctx.network_changed(
        {r.structure ? network_change::kind::structure : network_change::kind::tables, std::move(r.changed)});
}

void greedy_rule::summarize(rule_summary& out, const learning_context& ctx) const {
    const std::uint32_t nodes = ctx.network().num_nodes();
    std::vector<float> flips(nodes, NAN), swaps(nodes, NAN), trials(nodes, NAN);
    const auto at = [](const std::vector<std::uint32_t>& v, std::uint32_t n) {
        return n < v.size() ? static_cast<float>(v[n]) : 0.0F;
    };
    for (const std::uint32_t n : ctx.nodes()) {
        flips[n] = at(flips_, n);
        swaps[n] = at(swaps_, n);
        trials[n] = at(trials_, n);
    }
    out.add("flips_accepted", std::move(flips));
    out.add("swaps_accepted", std::move(swaps));
    out.add("trials", std::move(trials));
}

named_state greedy_rule::state() const {
    named_state s;
    s.integers["flips"].assign(flips_.begin(), flips_.end());
    s.integers["swaps"].assign(swaps_.begin(), swaps_.end());
    s.integers["trials"].assign(trials_.begin(), trials_.end());
    return s;
}

void greedy_rule::restore(const named_state& state, learning_context& ctx) {
    const std::uint32_t nodes = ctx.network().num_nodes();
    const auto take = [&state, nodes](const char* name, std::vector<std::uint32_t>& into) {
        const auto found = state.integers.find(name);
        if (found == state.integers.end() || found->second.size() != nodes)
            throw error(std::string("greedy state: no '") + name + "' of one value per node");
        into.assign(found->second.begin(), found->second.end());
    };
    take("flips", flips_);
    take("swaps", swaps_);
    take("trials", trials_);
}

}  // namespace lutra::plasticity
