#pragma once
// A learning_context without a session, for tests that drive one rule by
// hand: a network, the phase's nodes, the seed, the candidates, and a log of
// the changes announced; and activity made by hand.

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/candidates.hpp"
#include "lutra/core/network.hpp"
#include "lutra/plasticity/activity.hpp"
#include "lutra/plasticity/hooks.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::test {

class hand_context final : public plasticity::learning_context {
public:
    explicit hand_context(core::network net, std::uint64_t seed = 1, unsigned threads = 1)
        : net_(std::move(net)), seed_(seed), threads_(threads), nodes_(net_.num_nodes()) {
        std::iota(nodes_.begin(), nodes_.end(), 0U);
    }
    // The phase applies to `nodes` (ascending) only.
    hand_context(core::network net, std::vector<std::uint32_t> nodes) : hand_context(std::move(net)) {
        nodes_ = std::move(nodes);
    }
    hand_context(core::network net, core::candidate_sources candidates) : hand_context(std::move(net)) {
        candidates_ = std::move(candidates);
    }
    core::network& network() override { return net_; }
    [[nodiscard]] const core::candidate_sources& candidates() const override { return candidates_; }
    plasticity::gradient_hooks& hooks() override { return hooks_; }
    [[nodiscard]] std::uint64_t seed() const override { return seed_; }
    [[nodiscard]] unsigned threads() const override { return threads_; }
    [[nodiscard]] plasticity::epoch_position position() const override { return position_; }
    [[nodiscard]] std::size_t active_rules() const override { return 1; }
    [[nodiscard]] std::span<const std::uint32_t> nodes() const override { return nodes_; }
    [[nodiscard]] bool applies_to(std::uint32_t node) const override {
        return std::binary_search(nodes_.begin(), nodes_.end(), node);
    }
    [[nodiscard]] std::string_view population_of(std::uint32_t) const override { return {}; }
    void network_changed(const plasticity::network_change& change) override { changes.push_back(change); }

    // The phase's nodes, ascending.
    void set_nodes(std::vector<std::uint32_t> nodes) { nodes_ = std::move(nodes); }
    void set_candidates(core::candidate_sources c) { candidates_ = std::move(c); }
    void set_position(plasticity::epoch_position at) { position_ = at; }

    std::vector<plasticity::network_change> changes;

private:
    core::network net_;
    std::uint64_t seed_;
    unsigned threads_;
    std::vector<std::uint32_t> nodes_;
    core::candidate_sources candidates_;
    plasticity::gradient_hooks hooks_;
    plasticity::epoch_position position_;
};

// Activity of a network's first node layer with `columns` columns, in which
// column c reads input bits `inputs[c]` (bit i = input i); node outputs by
// the hard engine are not needed by the rules tested, so they are zero.
struct hand_activity {
    core::bit_matrix inputs, outputs;
    plasticity::hard_activity hard;
    hand_activity(const core::network& net, std::span<const std::uint32_t> columns_inputs)
        : inputs(net.num_inputs(), std::max<std::size_t>(columns_inputs.size(), 1)),
          outputs(net.num_nodes(), std::max<std::size_t>(columns_inputs.size(), 1)),
          hard(net, fill(inputs, columns_inputs), outputs, columns_inputs.size()) {}

private:
    static const core::bit_matrix& fill(core::bit_matrix& m, std::span<const std::uint32_t> columns_inputs) {
        for (std::size_t c = 0; c < columns_inputs.size(); ++c)
            for (std::size_t i = 0; i < m.rows(); ++i) m.set(i, c, (columns_inputs[c] >> i) & 1U);
        return m;
    }
};

}  // namespace lutra::test
