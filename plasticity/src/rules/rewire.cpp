#include "lutra/plasticity/rules/rewire.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>

#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"

namespace lutra::plasticity {

namespace {

// Per slot i of a LUT6 word: the addresses with bit i clear.
constexpr std::uint64_t slot_low_mask[6] = {0x5555555555555555ULL, 0x3333333333333333ULL, 0x0F0F0F0F0F0F0F0FULL,
                                            0x00FF00FF00FF00FFULL, 0x0000FFFF0000FFFFULL, 0x00000000FFFFFFFFULL};

}  // namespace

void describe(core::schema_visitor& v, rewire_params& p) {
    v.field("fraction", p.fraction,
            "of the phase's slots re-grown each epoch, the least influential, beyond those with no influence", 0.0,
            1.0);
    v.field("zero_influence", p.zero_influence, "re-grow every slot with no influence in the epoch");
}

rewire_rule::rewire_rule(rewire_params params) : params_(params) { core::check_schema(params_); }

void rewire_rule::begin(learning_context& ctx) {
    if (ctx.candidates().empty())
        throw error("rule 'rewire': the network has no candidate sources (only a network developed from a genome "
                    "has them)");
    influence_.assign(ctx.network().num_slots(), 0);
    columns_ = 0;
    regrown_.resize(ctx.network().num_nodes(), 0);
    influence_min_.resize(ctx.network().num_nodes(), NAN);
}

void rewire_rule::observe(const hard_activity& act, learning_context& ctx) {
    const core::network& net = ctx.network();
    if (influence_.size() != net.num_slots()) influence_.assign(net.num_slots(), 0);
    for (const std::uint32_t n : ctx.nodes()) {
        const unsigned k = net.k(n);
        counts_.resize(std::size_t{1} << k);
        act.entry_counts(n, counts_);
        const std::span<const std::uint64_t> table = net.table(n);
        for (unsigned i = 0; i < k; ++i) {
            std::uint64_t influenced = 0;
            if (k <= 6) {
                // The addresses where slot i matters, T(a) ≠ T(a ⊕ 2^i), as one word.
                const unsigned step = 1U << i;
                const std::uint64_t low = slot_low_mask[i];
                const std::uint64_t t = table[0];
                std::uint64_t matters = ((t ^ (t >> step)) & low);
                matters |= matters << step;
                if (k < 6) matters &= (std::uint64_t{1} << (1U << k)) - 1;
                for (; matters; matters &= matters - 1) influenced += counts_[static_cast<std::size_t>(std::countr_zero(matters))];
            } else {
                const auto bit = [&table](std::size_t a) { return (table[a / 64] >> (a % 64)) & 1U; };
                for (std::size_t a = 0; a < counts_.size(); ++a)
                    if (bit(a) != bit(a ^ (std::size_t{1} << i))) influenced += counts_[a];
            }
            influence_[net.slot_offset(n) + i] += influenced;
        }
    }
    columns_ += act.columns();
}

void rewire_rule::batch(const batch_activity& a, learning_context& ctx, batch_measure& measure) {
    (void)measure;
    if (a.hard == nullptr) throw internal_error("rewire: the session gave no hard activity");
    observe(*a.hard, ctx);
}

void rewire_rule::tick(const tick_activity& a, learning_context& ctx) { observe(a.hard, ctx); }

void rewire_rule::end_epoch(learning_context& ctx) { (void)regrow(ctx); }

std::size_t rewire_rule::regrow(learning_context& ctx) {
    const core::network& net = ctx.network();
    if (columns_ == 0) return 0;
    // The phase's slots, least influential first.
    std::vector<std::size_t> slots;
    for (const std::uint32_t n : ctx.nodes()) {
        float least = INFINITY;
        for (unsigned i = 0; i < net.k(n); ++i) {
            slots.push_back(net.slot_offset(n) + i);
            least = std::min(least, static_cast<float>(influence_[net.slot_offset(n) + i]) / static_cast<float>(columns_));
        }
        influence_min_[n] = least;
    }
    std::stable_sort(slots.begin(), slots.end(),
                     [this](std::size_t x, std::size_t y) { return influence_[x] < influence_[y]; });
    std::size_t chosen = static_cast<std::size_t>(std::floor(params_.fraction * static_cast<double>(slots.size())));
    if (params_.zero_influence)
        while (chosen < slots.size() && influence_[slots[chosen]] == 0) ++chosen;
    slots.resize(chosen);
    std::sort(slots.begin(), slots.end());

    // Which node owns a slot: slots are node-major.
    core::network_arrays arrays = net.arrays();
    const counter_rng rng = counter_rng(ctx.seed(), "rule.rewire").fork(ctx.position().epoch);
    std::vector<std::uint32_t> changed;
    std::vector<std::uint32_t> admissible;
    std::uint32_t node = 0;
    std::size_t regrown = 0;
    for (const std::size_t slot : slots) {
        while (net.slot_offset(node) + net.k(node) <= slot) ++node;
        const std::span<const std::uint32_t> candidates = ctx.candidates().of(slot);
        const std::span<const std::uint32_t> reads(arrays.sources.data() + net.slot_offset(node), net.k(node));
        const bool delayed = arrays.delays.empty() ? false : arrays.delays[slot] != 0;
        admissible.clear();
        for (const std::uint32_t c : candidates) {
            if (std::find(reads.begin(), reads.end(), c) != reads.end()) continue;
            if (!delayed && c >= net.num_inputs() + node) continue;  // would break the topological order
            admissible.push_back(c);
        }
        if (admissible.empty()) continue;
        arrays.sources[slot] = admissible[rng.below(slot, admissible.size())];
        if (changed.empty() || changed.back() != node) changed.push_back(node);
        ++regrown_[node];
        ++regrown;
    }
    std::fill(influence_.begin(), influence_.end(), 0);
    columns_ = 0;
    if (changed.empty()) return 0;
    ctx.network() = core::network(std::move(arrays));
    ctx.network_changed({network_change::kind::structure, std::move(changed)});
    return regrown;
}

void rewire_rule::network_changed(const network_change& change, learning_context& ctx) {
    // Slots moved: the counts of this epoch no longer fit them.
    if (change.what == network_change::kind::structure && influence_.size() != ctx.network().num_slots()) {
        influence_.assign(ctx.network().num_slots(), 0);
        columns_ = 0;
    }
}

void rewire_rule::summarize(rule_summary& out, const learning_context& ctx) const {
    const std::uint32_t nodes = ctx.network().num_nodes();
    std::vector<float> regrown(nodes, NAN), least(nodes, NAN);
    for (const std::uint32_t n : ctx.nodes()) {
        regrown[n] = n < regrown_.size() ? static_cast<float>(regrown_[n]) : 0.0F;
        least[n] = n < influence_min_.size() ? influence_min_[n] : NAN;
    }
    out.add("slots_regrown", std::move(regrown));
    out.add("influence_min", std::move(least));
}

named_state rewire_rule::state() const {
    named_state s;
    s.integers["regrown"].assign(regrown_.begin(), regrown_.end());
    s.integers["influence"] = influence_;
    s.integers["columns"] = {columns_};
    s.floats["influence_min"] = influence_min_;
    return s;
}

void rewire_rule::restore(const named_state& state, learning_context& ctx) {
    const auto get = [&state](const char* name) -> const std::vector<std::uint64_t>& {
        const auto found = state.integers.find(name);
        if (found == state.integers.end()) throw error(std::string("rewire state: no '") + name + "'");
        return found->second;
    };
    const auto least = state.floats.find("influence_min");
    if (get("regrown").size() != ctx.network().num_nodes() || get("influence").size() != ctx.network().num_slots() ||
        get("columns").size() != 1 || least == state.floats.end() || least->second.size() != ctx.network().num_nodes())
        throw error("rewire state: arrays that do not fit the network");
    regrown_.assign(get("regrown").begin(), get("regrown").end());
    influence_ = get("influence");
    columns_ = get("columns")[0];
    influence_min_ = least->second;
}

}  // namespace lutra::plasticity
