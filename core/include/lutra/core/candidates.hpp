#pragma once
// core::candidate_sources — for every input slot of a network, the sources
// it may read (DESIGN §4.1a, §4.4 `rewire`): the genome's candidates, the
// set its wiring rule chose the slot's source from. Learning code that swaps
// or re-grows a slot's source picks from here, without the genome.
//
// Sources are numbered as core::network numbers them (ids below num_inputs()
// are input bits, num_inputs() + n is node n); slots in the network's slot
// order (slot = network::slot_offset(node) + i). Many slots share one list
// (every slot of a `random` projection has the same candidates, often
// thousands), so the lists are stored once each, CSR, and each slot names
// its list:
//
//   of(slot) = sources[list_offset[l] .. list_offset[l + 1]),  l = slot_list[slot]
//
// What a swap keeps and must check:
// - A candidate has no delay of its own. A slot's delay was drawn from its
//   projection's delay distribution independently of the source, so a swap
//   keeps network::delays; slots of `lateral` and `recurrent` projections
//   have delay ≥ 1 whichever candidate they read.
// - A candidate read with delay 0 may stand later in the network's order
//   than the slot's node, or even close a zero-delay loop (a projection may
//   read its own target or a later population with delay 0, and development
//   only checks the choices it made). The new network's constructor rejects
//   both; a rule re-sorts the nodes or skips such a candidate.
// - Within one projection a node reads each source once unless the genome
//   says `repeats`; which slots share a projection is not recorded, so a rule
//   avoids sources its node already reads.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace lutra::core {

class network;

struct candidate_sources {
    std::vector<std::uint32_t> slot_list;    // per slot, in the network's slot order: its list, < num_lists()
    std::vector<std::uint64_t> list_offset;  // per list, its first entry in `sources`; plus one past the last
    std::vector<std::uint32_t> sources;      // the lists' network source ids, each list without repeats
    // Per list, or empty when no list learns: > 0 makes the list a learnable
    // pool (topology's learn_wiring, DESIGN §4.1a) — every slot naming it
    // chooses its source among the list during gradient training, with this
    // surrogate temperature; 0 = the slots keep their source.
    std::vector<float> learn_temperature;

    // No lists: a network that was not developed from a genome (or was loaded).
    [[nodiscard]] bool empty() const noexcept { return slot_list.empty(); }
    [[nodiscard]] std::size_t num_slots() const noexcept { return slot_list.size(); }
    [[nodiscard]] std::size_t num_lists() const noexcept { return list_offset.empty() ? 0 : list_offset.size() - 1; }
    // The slot's pool temperature, 0 if its source is fixed.
    [[nodiscard]] float temperature(std::size_t slot) const noexcept {
        return learn_temperature.empty() ? 0.0F : learn_temperature[slot_list[slot]];
    }
    // The candidates of one slot; `slot` < num_slots().
    [[nodiscard]] std::span<const std::uint32_t> of(std::size_t slot) const noexcept {
        const std::uint32_t l = slot_list[slot];
        return {sources.data() + list_offset[l], static_cast<std::size_t>(list_offset[l + 1] - list_offset[l])};
    }
    // Bytes the three arrays hold.
    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return slot_list.size() * sizeof(std::uint32_t) + list_offset.size() * sizeof(std::uint64_t) +
               sources.size() * sizeof(std::uint32_t) + learn_temperature.size() * sizeof(float);
    }
};

// Checks the candidates against the network they belong to and throws
// lutra::network_error naming the first offending node: one list per slot
// of `net`, list ids in range, offsets that start at 0, never decrease and
// end at sources.size(), no empty list, source ids below num_inputs() +
// num_nodes(), no source twice in a list, and every slot's current source
// among its candidates; learn_temperature empty or one finite value ≥ 0 per list.
void validate(const candidate_sources& candidates, const network& net);

}  // namespace lutra::core
