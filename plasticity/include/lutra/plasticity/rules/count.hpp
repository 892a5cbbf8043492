#pragma once
// The `count` rule (DESIGN §4.4): statistical, WiSARD-style learning. Every
// entry of the phase's nodes counts the votes of the columns (samples or
// streams) that address it, and its table bit follows the majority.
//
// Target bit t and weight w of node n at column c:
//   - a head output, with labels: t = (class of n's group == label(c)), w = 1;
//   - otherwise, with ∂L/∂y (signal.dy): t = [dy(n, c) < 0], w = |dy(n, c)|
//     (raising the output would lower the loss); a column with dy = 0 gives no vote;
//   - with neither, the node learns nothing.
// Each vote at the entry a = address(n, c) adds
//
//     p_a += w·[t = 1],  q_a += w·[t = 0],  v_a += 1       (votes and visits of the entry)
//     S1  += w·[t = 1],  S0  += w·[t = 0]                   (the node's running totals)
//
// and the table bit of an entry becomes
//
//     T(a) = [p_a · S0 > q_a · S1]    when v_a ≥ bleach
//     T(a) = T(a) as it was            when v_a < bleach  (below_bleach: keep)
//            0                                              (below_bleach: zero)
//
// p_a·S0 > q_a·S1 is p_a / π1 > q_a / π0 with π1 = S1/(S0+S1): positives
// weigh 1/P(t = 1) and negatives 1/P(t = 0), so a head output is not
// outvoted by the 9× more frequent samples of the other classes (`balance`;
// when it is off, or S0 or S1 is still 0, the bit is [p_a > q_a]). Ties give 0.
// `bleach` is WiSARD's bleaching: an entry follows its votes only once
// addressed often enough. At the end of each epoch every p, q, v, S0, S1 of
// the rule is multiplied by `decay` (1 = keep all history).
//
// The bits follow these equations for the entries a batch (or tick) voted
// on, right after it, and for every entry of the phase's nodes that ever
// received a vote at the end of each epoch (after the decay): the totals S
// move every entry's threshold, so after every epoch the tables are exactly
// these equations of the counts. The
// tables are written to the network whenever a bit changed. Works from
// batches and from ticks (the same votes, one column per stream). Cost per
// batch: O(columns · k) per node of the phase; per epoch, O(2^k) per node;
// memory 12 bytes per table entry of the network.
// Summaries per node: votes_total (Σ of the vote weights so far) and
// bits_set (the fraction of its entries that are 1).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/schema.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

inline constexpr std::string_view below_bleach_kinds[] = {"keep", "zero"};

struct count_params {
    double bleach = 1;                   // visits an entry needs before its bit follows its votes, ≥ 0
    std::string below_bleach = "keep";   // the bit of an entry below it: keep | zero
    bool balance = true;                 // weigh votes by the inverse frequency of their target
    double decay = 1;                    // counts × decay after each epoch, (0, 1]
    friend bool operator==(const count_params&, const count_params&) = default;
};
void describe(core::schema_visitor& v, count_params& p);

class count_rule final : public rule {
public:
    static constexpr std::string_view rule_name = "count";
    explicit count_rule(count_params params);

    [[nodiscard]] std::string_view name() const override { return rule_name; }
    [[nodiscard]] bool needs_activity() const override { return true; }
    void begin(learning_context& ctx) override;
    void batch(const batch_activity& activity, learning_context& ctx, batch_measure& measure) override;
    void tick(const tick_activity& activity, learning_context& ctx) override;
    void end_epoch(learning_context& ctx) override;
    void network_changed(const network_change& change, learning_context& ctx) override;
    void summarize(rule_summary& out, const learning_context& ctx) const override;
    // p, q, v per entry and S1, S0 per node (floats; empty for nodes of no phase).
    [[nodiscard]] named_state state() const override;
    void restore(const named_state& state, learning_context& ctx) override;

    // Adds the votes of the activity's columns and rewrites the entries
    // they addressed (what batch and tick do).
    void learn(const hard_activity& activity, const teaching_signal& signal, learning_context& ctx);
    // Rewrites every entry of the phase's nodes that ever received a vote
    // (what end_epoch does after the decay).
    void rewrite(learning_context& ctx);

    // The counts of one node's entry a, and its totals (for tests and tools).
    struct entry_votes {
        float p = 0, q = 0, v = 0;
    };
    [[nodiscard]] entry_votes votes(std::uint32_t node, std::uint32_t entry) const;
    [[nodiscard]] float total_positive(std::uint32_t node) const { return s1_.at(node); }
    [[nodiscard]] float total_negative(std::uint32_t node) const { return s0_.at(node); }

private:
    // The per-entry arrays of a network: offsets by node (2^k entries each).
    void shape(const core::network& net);
    // Bit of an entry from its counts, or -1 to keep the current one.
    [[nodiscard]] int decide(std::size_t at, std::uint32_t node) const noexcept;
    // Sets the node's entries to their decisions in `tables` (a copy of the
    // network's, made at the first change); whether a bit changed.
    bool update_bits(const core::network& net, std::uint32_t node, std::span<const std::uint32_t> entries,
                     std::vector<std::uint64_t>& tables) const;
    // The changed tables into the network, announced.
    static void write(learning_context& ctx, std::vector<std::uint64_t> tables, std::vector<std::uint32_t> nodes);

    count_params params_;
    std::vector<std::size_t> offset_;  // per node, its first entry; plus one past the last
    std::vector<float> p_, q_, v_;     // per entry
    std::vector<float> s1_, s0_;       // per node
    std::vector<std::int32_t> classes_;  // head_classes of the network
    std::vector<std::uint32_t> address_, touched_;  // scratch
};

}  // namespace lutra::plasticity
