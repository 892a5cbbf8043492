#pragma once
// A learning_context without a session, for tests that drive one rule by
// hand: a network, the phase's nodes, the seed, and a log of the changes
// announced.

#include <cstdint>
#include <numeric>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "lutra/core/candidates.hpp"
#include "lutra/core/network.hpp"
#include "lutra/plasticity/hooks.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::test {

class hand_context final : public plasticity::learning_context {
public:
    explicit hand_context(core::network net, std::uint64_t seed = 1, unsigned threads = 1)
        : net_(std::move(net)), seed_(seed), threads_(threads), nodes_(net_.num_nodes()) {
        std::iota(nodes_.begin(), nodes_.end(), 0U);
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

}  // namespace lutra::test
