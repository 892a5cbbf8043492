#include "lutra/plasticity/rules/count.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>

#include "lutra/core/error.hpp"

namespace lutra::plasticity {

void describe(core::schema_visitor& v, count_params& p) {
    v.field("bleach", p.bleach, "visits an entry needs before its bit follows its votes (WiSARD's bleaching)", 0.0,
            1e12);
    v.choice("below_bleach", p.below_bleach, below_bleach_kinds,
             "the bit of an entry visited fewer than bleach times: keep it, or zero");
    v.field("balance", p.balance, "weigh votes by the inverse frequency of their target (1/P(t=1), 1/P(t=0))");
    v.field("decay", p.decay, "counts are multiplied by this after each epoch; 1 = keep all history",
            core::open_closed(0.0, 1.0));
}

count_rule::count_rule(count_params params) : params_(std::move(params)) { core::check_schema(params_); }

void count_rule::shape(const core::network& net) {
    offset_.assign(net.num_nodes() + 1, 0);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) offset_[n + 1] = offset_[n] + (std::size_t{1} << net.k(n));
    p_.assign(offset_.back(), 0.0F);
    q_.assign(offset_.back(), 0.0F);
    v_.assign(offset_.back(), 0.0F);
    s1_.assign(net.num_nodes(), 0.0F);
    s0_.assign(net.num_nodes(), 0.0F);
    classes_ = head_classes(net);
}

void count_rule::begin(learning_context& ctx) {
    if (offset_.size() != ctx.network().num_nodes() + 1) shape(ctx.network());
    classes_ = head_classes(ctx.network());
}

void count_rule::network_changed(const network_change& change, learning_context& ctx) {
    if (change.what != network_change::kind::structure) return;  // another rule's bits: the votes stay
    const core::network& net = ctx.network();
    // Nodes that read other sources (or fewer) start counting anew.
    std::vector<std::size_t> was = offset_;
    std::vector<float> p = std::move(p_), q = std::move(q_), v = std::move(v_);
    std::vector<float> s1 = std::move(s1_), s0 = std::move(s0_);
    shape(net);
    std::vector<bool> fresh(net.num_nodes(), change.nodes.empty());
    for (const std::uint32_t n : change.nodes) fresh.at(n) = true;
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        if (fresh[n] || n + 1 >= was.size() || was[n + 1] - was[n] != offset_[n + 1] - offset_[n]) continue;
        const auto from = static_cast<std::ptrdiff_t>(was[n]), to = static_cast<std::ptrdiff_t>(offset_[n]);
        const auto count = static_cast<std::ptrdiff_t>(offset_[n + 1] - offset_[n]);
        std::copy_n(p.begin() + from, count, p_.begin() + to);
        std::copy_n(q.begin() + from, count, q_.begin() + to);
        std::copy_n(v.begin() + from, count, v_.begin() + to);
        s1_[n] = s1[n];
        s0_[n] = s0[n];
    }
}

int count_rule::decide(std::size_t at, std::uint32_t node) const noexcept {
    if (!(static_cast<double>(v_[at]) >= params_.bleach)) return params_.below_bleach == "zero" ? 0 : -1;
    if (params_.balance && s1_[node] > 0 && s0_[node] > 0)
        return static_cast<double>(p_[at]) * s0_[node] > static_cast<double>(q_[at]) * s1_[node] ? 1 : 0;
    return p_[at] > q_[at] ? 1 : 0;
}

bool count_rule::update_bits(const core::network& net, std::uint32_t node, std::span<const std::uint32_t> entries,
                             std::vector<std::uint64_t>& tables) const {
    const std::span<const std::uint64_t> table = net.table(node);
    bool changed = false;
    for (const std::uint32_t a : entries) {
        const int bit = decide(offset_[node] + a, node);
        if (bit < 0) continue;
        const bool now = (table[a / 64] >> (a % 64)) & 1U;
        if (now == (bit == 1)) continue;
        if (tables.empty()) tables = net.arrays().tables;
        tables[net.table_offset(node) + a / 64] ^= std::uint64_t{1} << (a % 64);
        changed = true;
    }
    return changed;
}

void count_rule::write(learning_context& ctx, std::vector<std::uint64_t> tables, std::vector<std::uint32_t> nodes) {
    if (nodes.empty()) return;
    core::network_arrays arrays = ctx.network().arrays();
    arrays.tables = std::move(tables);
    ctx.network() = core::network(std::move(arrays));
    ctx.network_changed({network_change::kind::tables, std::move(nodes)});
}

void count_rule::rewrite(learning_context& ctx) {
    const core::network& net = ctx.network();
    if (offset_.size() != net.num_nodes() + 1) shape(net);
    std::vector<std::uint64_t> tables;
    std::vector<std::uint32_t> changed;
    std::vector<std::uint32_t> all;
    for (const std::uint32_t n : ctx.nodes()) {
        if (s1_[n] + s0_[n] == 0) continue;  // never voted on: nothing to follow
        all.resize(offset_[n + 1] - offset_[n]);
        std::iota(all.begin(), all.end(), 0U);
        if (update_bits(net, n, all, tables)) changed.push_back(n);
    }
    write(ctx, std::move(tables), std::move(changed));
}

void count_rule::learn(const hard_activity& act, const teaching_signal& signal, learning_context& ctx) {
    const core::network& net = ctx.network();
    if (offset_.size() != net.num_nodes() + 1) shape(net);
    const std::size_t columns = act.columns();
    address_.resize(columns);
    const bool labelled = !signal.labels.empty();
    if (labelled && signal.labels.size() < columns)
        throw internal_error("count: fewer labels than columns");
    std::vector<std::uint32_t> changed_nodes;
    std::vector<std::uint64_t> tables;  // a copy of the network's, made at the first change
    for (const std::uint32_t n : ctx.nodes()) {
        const std::int32_t cls = classes_[n];
        const bool by_label = cls >= 0 && labelled;
        if (!by_label && signal.dy == nullptr) continue;
        act.addresses(n, address_);
        const std::size_t base = offset_[n];
        bool voted = false;
        if (by_label) {
            for (std::size_t c = 0; c < columns; ++c) {
                const std::size_t at = base + address_[c];
                if (signal.labels[c] == static_cast<std::uint32_t>(cls)) {
                    p_[at] += 1.0F;
                    s1_[n] += 1.0F;
                } else {
                    q_[at] += 1.0F;
                    s0_[n] += 1.0F;
                }
                v_[at] += 1.0F;
            }
            voted = columns > 0;
        } else {
            const std::span<const float> dy = signal.dy->node(n);
            for (std::size_t c = 0; c < columns; ++c) {
                const float g = dy[c];
                if (g == 0.0F) continue;
                const std::size_t at = base + address_[c];
                if (g < 0) {
                    p_[at] -= g;
                    s1_[n] -= g;
                } else {
                    q_[at] += g;
                    s0_[n] += g;
                }
                v_[at] += 1.0F;
                voted = true;
            }
        }
        if (!voted) continue;
        // The entries voted on follow their counts.
        touched_.clear();
        for (std::size_t c = 0; c < columns; ++c) touched_.push_back(address_[c]);
        std::sort(touched_.begin(), touched_.end());
        touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
        if (update_bits(net, n, touched_, tables)) changed_nodes.push_back(n);
    }
    write(ctx, std::move(tables), std::move(changed_nodes));
}

void count_rule::batch(const batch_activity& a, learning_context& ctx, batch_measure& measure) {
    (void)measure;
    if (a.hard == nullptr) throw internal_error("count: the session gave no hard activity");
    learn(*a.hard, a.signal, ctx);
}

void count_rule::tick(const tick_activity& a, learning_context& ctx) { learn(a.hard, a.signal, ctx); }

void count_rule::end_epoch(learning_context& ctx) {
    if (params_.decay != 1.0) {
        const auto d = static_cast<float>(params_.decay);
        for (std::vector<float>* array : {&p_, &q_, &v_, &s1_, &s0_})
            for (float& x : *array) x *= d;
    }
    rewrite(ctx);
}

count_rule::entry_votes count_rule::votes(std::uint32_t node, std::uint32_t entry) const {
    const std::size_t at = offset_.at(node) + entry;
    if (at >= offset_.at(node + 1)) throw internal_error("count: entry beyond the node's table");
    return {p_[at], q_[at], v_[at]};
}

void count_rule::summarize(rule_summary& out, const learning_context& ctx) const {
    const core::network& net = ctx.network();
    std::vector<float> total(net.num_nodes(), NAN), set(net.num_nodes(), NAN);
    for (const std::uint32_t n : ctx.nodes()) {
        total[n] = n < s1_.size() ? s1_[n] + s0_[n] : 0.0F;
        std::size_t ones = 0;
        for (const std::uint64_t w : net.table(n)) ones += static_cast<std::size_t>(std::popcount(w));
        set[n] = static_cast<float>(static_cast<double>(ones) / static_cast<double>(std::size_t{1} << net.k(n)));
    }
    out.add("votes_total", std::move(total));
    out.add("bits_set", std::move(set));
}

named_state count_rule::state() const {
    named_state s;
    s.floats["p"] = p_;
    s.floats["q"] = q_;
    s.floats["v"] = v_;
    s.floats["s1"] = s1_;
    s.floats["s0"] = s0_;
    return s;
}

void count_rule::restore(const named_state& state, learning_context& ctx) {
    shape(ctx.network());
    const auto take = [&state](const char* name, std::vector<float>& into) {
        const auto found = state.floats.find(name);
        if (found == state.floats.end()) throw error(std::string("count state: no '") + name + "'");
        if (found->second.size() != into.size())
            throw error(std::string("count state: '") + name + "' has " + std::to_string(found->second.size()) +
                        " values for a network needing " + std::to_string(into.size()));
        into = found->second;
    };
    take("p", p_);
    take("q", q_);
    take("v", v_);
    take("s1", s1_);
    take("s0", s0_);
}

}  // namespace lutra::plasticity
