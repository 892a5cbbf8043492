#pragma once
// Evolution operators on genomes (DESIGN §6; details in docs/genome.md).
// Each is a pure function of its parents and a seed: its random choices come
// only from counter_rng(seed, "evolution.<operator>"). A child is returned
// only if it passes validate(); otherwise the result says why not. A parent
// that does not pass validate() is a caller's error: genome_error is thrown.

#include <cstdint>
#include <optional>
#include <string>

#include "lutra/topology/genome.hpp"

namespace lutra::topology {

struct evolution_result {
    std::optional<genome> child;  // a valid genome, or nullopt when the operator could not apply
    std::string reason;           // why there is no child; empty when there is one
    std::string change;           // what was done, e.g. "populations[1] 'h1'.size 1000 → 1200"
};

// Changes one numeric or enumerated field of one gene: a population's size
// (the layout re-shaped to match, the head's size kept a multiple of its
// classes), k (the slots of its projections re-balanced), layout, initial
// tables, delay; a projection's radius, slots (moved to or from another
// projection into the same target), rule (sources and delays adjusted as
// the rule demands), delay distribution, cover_bits or repeats. The inputs,
// the sources and the head are left alone: they are the task's or structure.
[[nodiscard]] evolution_result mutate_point(const genome& parent, std::uint64_t seed);

// Copies a population under a fresh name ("h1_dup", then "h1_dup2", ...;
// a copy of "h1_dup" is named as a copy of "h1"), with copies of the projections into it (self-references point to the
// copy), and adds the copy as a source to every non-lateral projection that
// reads the original, so it feeds what the original feeds. Only populations
// that such a projection reads are copied; otherwise the copy would be dead.
[[nodiscard]] evolution_result duplicate_gene(const genome& parent, std::uint64_t seed);

// Removes a population, the projections into it, and its name from other
// projections' sources. Picks among the populations that can go: not the
// only one, not the head's, not the only source of some projection.
[[nodiscard]] evolution_result delete_gene(const genome& parent, std::uint64_t seed);

// Aligns populations by name. One present in both parents comes from a or b
// with probability 1/2, one present in one parent is kept with probability
// 1/2 (the head's population always); each comes with its parent's
// projections into it, from which sources that were not kept are dropped.
// Inputs and head are a's. Projections are grouped by target, in population order.
[[nodiscard]] evolution_result crossover(const genome& a, const genome& b, std::uint64_t seed);

// One of mutate_point, duplicate_gene and delete_gene, each with probability
// 1/3, applied with the same seed; a refusal's reason names the operator.
[[nodiscard]] evolution_result mutate(const genome& parent, std::uint64_t seed);

}  // namespace lutra::topology
