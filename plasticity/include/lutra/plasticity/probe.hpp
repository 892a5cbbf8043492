#pragma once
// The exact loss of the hard network on fixed samples, and of trial changes
// to one node (DESIGN §4.4: `greedy`, `prune`, `rewire` decide by it).
//
// The probe keeps every node's output plane and every sample's class scores
// (the group-sum head's popcounts) and loss. A trial gives one node new
// sources and a new table; the probe re-evaluates that node and, in
// topological order, only the readers whose inputs changed, then updates the
// scores and losses of only the samples whose head outputs changed. So a
// trial costs its cone of influence on the samples, not the network, and its
// result is exactly what evaluating the changed network would give: the loss
// is core::group_sum_loss of the hard scores with temperature τ (summed over
// the samples), `correct` counts argmax decisions (ties to the lowest class).
//
// One thread, deterministic; a rule wanting speed gives fewer samples.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/network.hpp"

namespace lutra::plasticity {

// Throws rule_limit_error unless the probe can measure the network: a
// group-sum head and no delayed slot (the check of rules that decide by it).
void require_measurable(std::string_view rule, const core::network& net);

class loss_probe {
public:
    struct measure {
        double loss_sum = 0;      // cross-entropy of the hard scores / τ, summed over the samples
        std::size_t correct = 0;  // samples decided right
        friend bool operator==(const measure&, const measure&) = default;
    };

    // A combinational network with a group-sum head; `inputs` has a row per
    // network input, labels one per sample. Throws lutra::error otherwise.
    loss_probe(const core::network& net, core::bit_matrix inputs, std::vector<std::uint16_t> labels, double tau,
               unsigned threads = 1);

    [[nodiscard]] measure current() const noexcept { return current_; }
    [[nodiscard]] std::size_t samples() const noexcept { return labels_.size(); }
    [[nodiscard]] std::uint32_t num_nodes() const noexcept { return static_cast<std::uint32_t>(k_.size()); }
    [[nodiscard]] std::uint32_t num_inputs() const noexcept { return num_inputs_; }
    [[nodiscard]] std::span<const std::uint16_t> labels() const noexcept { return labels_; }

    // The current network's pieces.
    [[nodiscard]] unsigned k(std::uint32_t node) const noexcept { return static_cast<unsigned>(sources_[node].size()); }
    [[nodiscard]] std::span<const std::uint32_t> sources(std::uint32_t node) const noexcept { return sources_[node]; }
    [[nodiscard]] std::span<const std::uint64_t> table(std::uint32_t node) const noexcept { return tables_[node]; }
    // A source's plane on the samples: ⌈samples / 64⌉ words, padding zero.
    [[nodiscard]] std::span<const std::uint64_t> plane(std::uint32_t source) const noexcept;
    [[nodiscard]] std::size_t words() const noexcept { return words_; }
    // Nodes reading a node with delay 0, ascending.
    [[nodiscard]] std::span<const std::uint32_t> readers(std::uint32_t node) const noexcept { return readers_[node]; }

    // The exact measure of the network in which `node` reads `sources` (1 ≤
    // k ≤ 16) through `table` (table_words(k) words, bits ≥ 2^k zero), the
    // rest as it is. Sources must be input bits or nodes before `node`
    // (lutra::error otherwise). The probe stays as it was until accept().
    measure trial(std::uint32_t node, std::span<const std::uint32_t> sources, std::span<const std::uint64_t> table);
    // The same with the node's sources unchanged.
    measure trial(std::uint32_t node, std::span<const std::uint64_t> table) { return trial(node, sources_[node], table); }
    // Makes the last trial's network the current one.
    void accept();

    // Nodes whose output on some sample changed in the last trial (the
    // trial's node first if it changed, then its cone in order).
    [[nodiscard]] std::span<const std::uint32_t> last_changed() const noexcept { return changed_; }

    // The current network (the original with every accepted trial), valid.
    [[nodiscard]] core::network network() const;

    // Evaluates a node's table over source planes into `out` (words words):
    // the bit-sliced mux tree, one plane per slot.
    static void evaluate_node(std::span<const std::uint64_t> table, std::span<const std::uint64_t* const> planes,
                              std::size_t words, std::uint64_t* out);

private:
    [[nodiscard]] const std::uint64_t* trial_plane(std::uint32_t source) const noexcept;
    void loss_of(const std::int32_t* scores, std::uint16_t label, double& loss, bool& correct) const noexcept;

    std::uint32_t num_inputs_ = 0;
    core::group_sum_head head_;
    double tau_ = 1;
    std::size_t words_ = 0;
    std::uint32_t classes_ = 0;
    std::vector<std::uint8_t> k_;
    std::vector<std::vector<std::uint32_t>> sources_;
    std::vector<std::vector<std::uint64_t>> tables_;
    std::vector<std::vector<std::uint32_t>> readers_;
    std::vector<std::vector<std::uint32_t>> classes_of_;  // per node: the class of each of its head places
    core::bit_matrix inputs_;
    core::bit_matrix outputs_;
    std::vector<std::uint16_t> labels_;
    std::vector<std::int32_t> scores_;  // samples × classes
    std::vector<double> loss_;          // per sample
    std::vector<std::uint8_t> correct_; // per sample
    measure current_;

    // The last trial.
    struct trial_state {
        std::uint32_t node = 0;
        std::vector<std::uint32_t> sources;
        std::vector<std::uint64_t> table;
        measure result;
        bool valid = false;
    } trial_;
    std::vector<std::int32_t> scratch_of_;             // per node: its trial plane's index, or −1
    std::vector<std::vector<std::uint64_t>> scratch_;  // trial planes
    std::vector<std::uint32_t> changed_;               // nodes whose trial plane differs
    std::vector<std::uint32_t> touched_;               // samples whose scores changed
    std::vector<std::int32_t> trial_scores_;           // touched samples × classes
    std::vector<double> trial_loss_;                   // per touched sample
    std::vector<std::uint8_t> trial_correct_;
    std::vector<std::uint8_t> sample_mark_;            // per sample: touched in this trial
};

}  // namespace lutra::plasticity
