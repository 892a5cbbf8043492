#pragma once
// The `rewire` rule (DESIGN §4.4, structural plasticity; §4.1a is the
// gradient's form of the same idea): an input slot with no influence, or
// with the least, is re-grown from the sources the genome allows.
//
// Influence is measured on the activity the rule sees (batches or ticks,
// one column each): slot i of node n influences the node at column c when
// flipping what the slot reads would flip the output,
//
//     T(a_c) ≠ T(a_c ⊕ 2^i),     a_c = the address at column c,
//
// and its influence over an epoch is the fraction of columns where it does:
//
//     I(n, i) = #{c : T(a_c) ≠ T(a_c ⊕ 2^i)} / #columns.
//
// At the end of each epoch every slot of the phase's nodes with I = 0, and
// then the lowest `fraction` of all their slots by I (ties to the lower
// slot index), are re-grown: the slot reads a new source drawn uniformly
// from its candidates (core::candidate_sources) that the node does not read
// already and that, read with the slot's delay 0, stands before the node
// (topological order); the draw is counter_rng(seed, "rule.rewire") forked
// by epoch and slot, so it depends on the seed alone. The table is kept: the
// new input addresses the entries the old one did, so the node's function
// changes only where the table depends on that slot, and rules learning
// tables (gradient, count, greedy) then fit it. A slot with no admissible
// candidate stays.
//
// Needs the genome's candidates (a network developed from a genome). Works
// under both drivers: influence accumulates per batch or per tick.
// Summaries per node: slots_regrown (over the phase so far) and
// influence_min (the least influence of its slots in the last epoch).

#include <cstdint>
#include <string_view>
#include <vector>

#include "lutra/core/schema.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

struct rewire_params {
    double fraction = 0.01;  // of the phase's slots re-grown each epoch beyond those with no influence, [0, 1]
    bool zero_influence = true;  // re-grow every slot with no influence too
    friend bool operator==(const rewire_params&, const rewire_params&) = default;
};
void describe(core::schema_visitor& v, rewire_params& p);

class rewire_rule final : public rule {
public:
    static constexpr std::string_view rule_name = "rewire";
    explicit rewire_rule(rewire_params params);

    [[nodiscard]] std::string_view name() const override { return rule_name; }
    [[nodiscard]] bool needs_activity() const override { return true; }
    [[nodiscard]] bool needs_candidates() const override { return true; }
    void begin(learning_context& ctx) override;
    void batch(const batch_activity& activity, learning_context& ctx, batch_measure& measure) override;
    void tick(const tick_activity& activity, learning_context& ctx) override;
    void end_epoch(learning_context& ctx) override;
    void network_changed(const network_change& change, learning_context& ctx) override;
    void summarize(rule_summary& out, const learning_context& ctx) const override;
    [[nodiscard]] named_state state() const override;
    void restore(const named_state& state, learning_context& ctx) override;

    // Adds the activity's columns to the slots' influence counts.
    void observe(const hard_activity& activity, learning_context& ctx);
    // Re-grows the slots chosen from the counts so far (what end_epoch does);
    // returns the number re-grown.
    std::size_t regrow(learning_context& ctx);

    [[nodiscard]] const std::vector<std::uint64_t>& influence() const noexcept { return influence_; }

private:
    rewire_params params_;
    std::vector<std::uint64_t> influence_;   // per slot of the network: columns it influenced this epoch
    std::uint64_t columns_ = 0;              // columns observed this epoch
    std::vector<std::uint32_t> regrown_;     // per node, over the phase
    std::vector<float> influence_min_;       // per node, the last epoch's
    std::vector<std::uint32_t> counts_;      // scratch
};

}  // namespace lutra::plasticity
