#pragma once
// The genome (DESIGN §6): a list of genes from which the wiring, the delays
// and the initial tables develop. Plain values with defaults; the YAML schema
// (experiments/settings) and the A/C/G/T text form (genome_text.hpp) are
// written from the same fields, and validate() is the one place that says
// what a well-formed genome is.
//
//   inputs:       the input bits' shape: width × height pixels × bits per pixel
//   populations:  named groups of LUT nodes (size, k, layout, initial tables)
//   projections:  where a population's input slots come from, by which rule
//   head:         the population whose nodes are the classifier's outputs

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lutra::topology {

// The name a projection uses for the network's input bits.
inline constexpr std::string_view input_name = "input";

// The network's input bits, laid on a width × height grid with `bits` bits
// per pixel (a thermometer's levels): bit b of pixel (x, y) is input row
// ((y · width + x) · bits + b), the order of core::encoder.
struct input_shape {
    std::uint32_t width = 28;   // pixels per row
    std::uint32_t height = 28;  // rows
    std::uint32_t bits = 3;     // bits per pixel, 1..255
    friend bool operator==(const input_shape&, const input_shape&) = default;
};

// Where a population's nodes sit: a grid of width × height positions,
// filled row by row; the grid is stretched over the input image so that a
// receptive field's centre is the node's position scaled to pixels.
// width = 0 lays the nodes on one row (height 1).
struct layout {
    std::uint32_t width = 0;   // 0 = size (one row)
    std::uint32_t height = 1;  // rows; width · height must equal the size
    friend bool operator==(const layout&, const layout&) = default;
};

// A population's initial tables. The kinds are a table inside topology, one
// file each (topology/src/table_init/, docs/genome.md); today:
//   random    each table bit drawn with probability `p_one` of 1
//   constant  every bit = `value`
//   copy      the output follows slot 0 (table bit a = a & 1)
//   majority  1 when more than half of the inputs are 1
//   function  a named function of all k inputs: and, or, xor, nand, nor, xnor
struct table_init {
    std::string kind = "random";  // one of table_init_kind_names()
    double p_one = 0.5;           // random: probability of a 1, 0..1
    bool value = false;           // constant: the bit
    std::string function = "xor"; // function: and | or | xor | nand | nor | xnor
    friend bool operator==(const table_init&, const table_init&) = default;
};

struct population_gene {
    std::string name;            // unique; not "input"
    std::uint32_t size = 0;      // nodes, ≥ 1
    std::uint32_t k = 6;         // input slots per node, 1..16
    layout grid;                 // positions of the nodes
    table_init init;             // initial tables
    std::uint32_t delay = 0;     // default delay of its projections' slots, in ticks
    friend bool operator==(const population_gene&, const population_gene&) = default;
};

// Delays of a projection's slots, in ticks.
//   default   the target population's delay
//   constant  `min` for every slot
//   uniform   uniform in min..max
struct delay_distribution {
    std::string kind = "default";  // default | constant | uniform
    std::uint32_t min = 0;         // constant value, or the low end
    std::uint32_t max = 0;         // the high end of uniform
    friend bool operator==(const delay_distribution&, const delay_distribution&) = default;
};

// Fills `slots` input slots of every node of `target` from `sources`, by a
// wiring rule. The rules are a table inside topology, one file each
// (topology/src/wiring/, docs/genome.md); today:
//   random          uniform over all nodes / input bits of the sources
//   receptive_field sources within `radius` (in source-grid units, pixels for
//                   the input) of the node's position on the shared layout
//   lateral         nodes of the target itself within `radius` on its own
//                   layout, not the node itself; delay ≥ 1
//   recurrent       uniform over the sources, which may include the target
//                   and later populations; delay ≥ 1
// A node never reads the same source twice within one projection unless
// `repeats` is true. For input sources with several bits per pixel,
// `cover_bits` makes slot s of a node read level s mod bits, so every level
// is sampled in every field.
//
// Learnable wiring (DESIGN §4.1a, docs/genome.md): with learn.candidates = C
// > 0, development gives each target node a pool of C candidate sources (the
// sources it drew, then further ones its rule proposes for these slots, drawn
// without repeats; fewer where the rule proposes fewer), and gradient
// training lets every slot of the projection choose among its node's pool —
// forward the argmax of the slot's scores, backward a softmax surrogate with
// this temperature. C must be at least the slots it fills: a node's slots
// read distinct sources of its pool.
struct learn_wiring_gene {
    std::uint32_t candidates = 0;  // pool per node; 0 = the wiring stays as developed
    double temperature = 1.0;      // the backward surrogate's softmax temperature, > 0
    friend bool operator==(const learn_wiring_gene&, const learn_wiring_gene&) = default;
};

struct projection_gene {
    std::string target;                // a population
    std::vector<std::string> sources;  // populations and/or "input"
    std::string rule = "random";       // one of wiring_rule_names()
    std::uint32_t slots = 0;           // slots of each target node it fills; 0 = all the target's k
    double radius = 3.0;               // rules that use it (receptive_field, lateral): source-grid units, > 0
    bool cover_bits = false;           // input sources: spread slots over the bit levels
    bool repeats = false;              // a node may read one source more than once
    delay_distribution delay;          // delays of the slots it fills
    learn_wiring_gene learn;           // YAML `learn_wiring`: training may choose each slot's source
    friend bool operator==(const projection_gene&, const projection_gene&) = default;
};

// The classifier's output: the nodes of `population`, split into `classes`
// equal groups (group-sum head, DESIGN §4.2).
struct head_gene {
    std::string population;     // a population whose size is a multiple of classes
    std::uint32_t classes = 10; // ≥ 1
    friend bool operator==(const head_gene&, const head_gene&) = default;
};

struct genome {
    input_shape inputs;
    std::vector<population_gene> populations;
    std::vector<projection_gene> projections;
    head_gene head;
    friend bool operator==(const genome&, const genome&) = default;

    [[nodiscard]] const population_gene* find(std::string_view population) const noexcept;
    [[nodiscard]] std::uint32_t num_input_bits() const noexcept { return inputs.width * inputs.height * inputs.bits; }
};

// Valid values of the string-valued fields, in the order messages list them.
// Wiring rules and table inits are tables inside topology (one descriptor
// each, docs/genome.md); their names are read from those tables.
[[nodiscard]] std::span<const std::string_view> wiring_rule_names();
[[nodiscard]] std::span<const std::string_view> table_init_kind_names();
inline constexpr std::string_view table_functions[] = {"and", "or", "xor", "nand", "nor", "xnor"};
inline constexpr std::string_view delay_kinds[] = {"default", "constant", "uniform"};

// A list of names read from a table when used; it converts to the span a
// choice list takes (as experiments' YAML schema does), and iterates.
class name_list {
public:
    using names_function = std::span<const std::string_view> (*)();
    constexpr explicit name_list(names_function names) noexcept : names_(names) {}
    operator std::span<const std::string_view>() const { return names_(); }  // NOLINT(google-explicit-constructor)
    [[nodiscard]] auto begin() const { return names_().begin(); }
    [[nodiscard]] auto end() const { return names_().end(); }
    [[nodiscard]] std::size_t size() const { return names_().size(); }

private:
    names_function names_;
};
inline constexpr name_list wiring_rules{wiring_rule_names};
inline constexpr name_list table_init_kinds{table_init_kind_names};

// Checks the genome on its own (names, ranges, slot counts, rule
// constraints) and throws lutra::topology::genome_error naming the gene and
// field and what would be valid. Development checks what needs the graph
// (zero-delay cycles, candidates fewer than slots).
void validate(const genome& g);

}  // namespace lutra::topology
