#pragma once
// Wiring rules (DESIGN §6), private to topology. Each rule is one
// descriptor — its name, a line of documentation, the projection fields it
// uses and the constraints they carry, and the function that lists a node's
// candidate sources — defined in its own file beside this one
// (wiring/<rule>.cpp) and listed once in wiring_rule_table() (table.cpp).
// Validation (genome.cpp), development and compilation (develop.cpp,
// candidates.cpp) and evolution (evolution.cpp) consult the descriptor;
// none of them compares a rule's name.
//
// Adding a rule: wiring/<rule>.cpp with `wiring_rule <rule>_wiring()`, its
// declaration and one line in table.cpp, its line in topology/CMakeLists.txt,
// and its test in tests/topology/test_wiring.cpp (docs/genome.md says more).

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "lutra/topology/genome.hpp"

namespace lutra::topology::wiring {

struct grid_size {
    std::uint32_t width;
    std::uint32_t height;
};

// A population's grid; one row when its layout's width is 0.
[[nodiscard]] grid_size grid_of(const population_gene& p) noexcept;

// A block of sources on a grid: the input (pixels × bits) or a population.
// Its vertices are first_vertex + cell · bits + level, cell = y · width + x.
struct source_block {
    std::uint32_t first_vertex;
    grid_size grid;
    std::uint32_t bits;  // levels per grid cell: the input's bits, 1 for a population
};

// One candidate: the vertex of level 0 and the number of consecutive levels
// (a pixel's bits with cover_bits, else 1). Slot s of a node reads vertex
// first + s mod levels when it takes this candidate, s counted over all the
// node's slots.
struct candidate {
    std::uint32_t first;
    std::uint32_t levels;
};

// What a node may read through one projection, in a fixed order: whole
// blocks, counted without being listed (a `random` projection over 100,000
// nodes costs nothing per node), then listed candidates.
class candidate_space {
public:
    void clear() noexcept;
    // Every source of the block: one candidate per cell with cover_bits
    // (its levels together), else one per vertex.
    void add_block(const source_block& block, bool cover_bits);
    void add(candidate c) { list_.push_back(c); }

    [[nodiscard]] std::uint64_t size() const noexcept { return block_total_ + list_.size(); }
    // The i-th candidate, i < size().
    [[nodiscard]] candidate at(std::uint64_t i) const noexcept;

private:
    struct block_entry {
        source_block block;
        bool cover_bits;
        std::uint64_t count;
    };
    std::vector<block_entry> blocks_;
    std::uint64_t block_total_ = 0;
    std::vector<candidate> list_;
};

// A projection as its rule sees it: the gene, its target, and its sources
// resolved to vertex blocks.
struct wiring_context {
    const projection_gene& projection;
    std::uint32_t target;               // index into genome::populations
    grid_size target_grid;
    source_block target_block;          // the target population's own nodes
    std::vector<source_block> sources;  // projection.sources, in order
};

// `population_first`: the first vertex of each population (developed_graph's).
[[nodiscard]] wiring_context context_of(const genome& g, std::span<const std::uint32_t> population_first,
                                        std::size_t projection);

// Where a projection's slots sit in each node of its target: slots
// [first, first + count). The projections into one population fill its
// slots in gene order; slots = 0 (all k) is count = k.
struct slot_range {
    std::uint32_t first;
    std::uint32_t count;
};
// Per projection, for a validated genome.
[[nodiscard]] std::vector<slot_range> slot_ranges(const genome& g);

// Shared candidate generators.
// Every node and input bit of the context's sources.
void add_all_sources(const wiring_context& context, candidate_space& out);
// The cells of `block` within the projection's radius of node `node`'s
// position (the target grid stretched over the block's grid), row by row;
// `skip_node` leaves out the cell with the node's own index (lateral).
void add_within_radius(const wiring_context& context, const source_block& block, std::uint32_t node, bool skip_node,
                       candidate_space& out);

struct wiring_rule {
    std::string_view name;  // what projection_gene::rule says
    std::string_view doc;   // one line: what a node may read

    // Fields and constraints. validate() checks them, and evolution makes
    // them hold when it switches a projection to this rule.
    bool uses_radius = false;       // `radius` must be > 0 and finite (else it is unused, but finite)
    bool reads_own_target = false;  // sources must be exactly [target]; a duplicated population is not added
    bool needs_delay = false;       // every delay ≥ 1 (the rule may close loops)

    // Candidate generation. Adds to `out` (empty on entry) what node `node`
    // of the target may read. per_node = false: the candidates are the same
    // for every node, and development calls this once, with node 0.
    bool per_node = false;
    void (*candidates)(const wiring_context& context, std::uint32_t node, candidate_space& out) = nullptr;
};

// Every rule, in the order messages and choice lists give them.
[[nodiscard]] std::span<const wiring_rule> wiring_rule_table();
// The rule named `name`, or nullptr.
[[nodiscard]] const wiring_rule* find_wiring_rule(std::string_view name) noexcept;
// The rule of a validated projection; lutra::internal_error if there is none.
[[nodiscard]] const wiring_rule& wiring_rule_of(const projection_gene& projection);

}  // namespace lutra::topology::wiring
