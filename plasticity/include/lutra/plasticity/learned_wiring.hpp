#pragma once
// Learnable wiring (DESIGN §4.1a), the part of the gradient rule that moves
// sources. Every slot whose candidate list is a learnable pool
// (core::candidate_sources::learn_temperature > 0, from a genome projection's
// learn_wiring) holds a score ω_c per candidate c of its node's pool.
//
// Forward: the network reads, in every slot, the candidate of highest score,
// so it stays a plain LUT network at every step. A node's slots are resolved
// in slot order, each taking its best candidate that no earlier slot of the
// node took (a node reads distinct sources); ties go to the earlier
// candidate. The scores start at 0, with the developed source of each slot
// ahead by `initial_lead`, so training starts from the developed wiring.
//
// Backward, the surrogate: the slot's input is treated as the soft choice
// p̃ = Σ_c π_c · x_c with π = softmax(ω / T), T the pool's temperature, and
// its gradient is taken at the hard forward pass (straight-through):
//
//   dL/dω_c = (π_c / T) · (G_c − Σ_j π_j · G_j),   G_c = Σ_samples dL/dp · x_c,
//
// where dL/dp is the slot's own gradient from the relaxed engine (watched
// slots) and x_c candidate c's value (an input bit, or the node's relaxed
// output). G_c − G_current is the first-order change of the loss if the slot
// switched to c; a high T spreads the update over the pool (DWN's plain
// G_c, centred), a low T keeps it among the leading candidates. The gradient
// flows on to the chosen source only, as in the forward pass.
//
// ω is stepped by the gradient rule's optimizer at its learning rate. Sums
// run over samples in order and over slots independently, so the result does
// not depend on the thread count.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lutra/core/candidates.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/relaxed.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

struct optimizer_params;

class learned_wiring {
public:
    static constexpr float initial_lead = 1e-3F;

    learned_wiring() = default;
    // The learnable slots of `net` by `candidates`. Throws rule_limit_error
    // for a pool candidate that is a node not before the slot's node in the
    // network's order (the forward pass could not read it) or a learnable
    // slot with a delay.
    learned_wiring(const core::candidate_sources& candidates, const core::network& net);

    [[nodiscard]] bool empty() const noexcept { return slots_.empty(); }
    // The learnable slots, in slot order: what the relaxed engine watches.
    [[nodiscard]] std::span<const std::uint32_t> slots() const noexcept { return slots_; }

    // One step from a batch the engine ran forward (y) and backward
    // (slot_dy, row r for slots()[r]); writes the new choices into `sources`
    // (the network's sources array) and says whether any changed.
    bool learn(const core::bit_matrix& inputs, std::size_t first_sample, std::size_t count,
               const core::relaxed_engine::activations& y, const core::relaxed_engine::activations& slot_dy,
               const optimizer_params& optimizer, std::uint64_t step, float learning_rate, unsigned threads,
               std::vector<std::uint32_t>& sources);

    // The argmax choices into `sources` (e.g. after restore); true if any changed.
    bool choose(std::vector<std::uint32_t>& sources) const;

    // score, its optimizer moments; empty when nothing learns.
    void save(named_state& state) const;
    // Throws lutra::error if the arrays do not fit these pools.
    void restore(const named_state& state);

private:
    // grad_ of learnable slots [begin, end).
    void slot_gradients(std::size_t begin, std::size_t end, std::size_t count,
                        const core::relaxed_engine::activations& y, const core::relaxed_engine::activations& slot_dy);

    std::uint32_t num_inputs_ = 0;
    bool pools_read_inputs_ = false;  // some pool holds a network input
    std::vector<std::uint32_t> slots_;         // learnable slots, ascending
    std::vector<std::uint32_t> node_;          // per learnable slot: its node
    std::vector<std::uint64_t> pool_offset_;   // per learnable slot: its pool in candidates_; plus the end
    std::vector<std::uint32_t> candidates_;    // the pools' sources, one copy per slot
    std::vector<float> temperature_;           // per learnable slot
    std::vector<float> score_, m_, v_;         // ω and its moments, lined up with candidates_
    std::vector<float> inputs_;                // the batch's input bits as floats, row-major
    std::vector<float> grad_;
};

}  // namespace lutra::plasticity
