#pragma once
// Decomposition of a logic_design into FPGA cells (DESIGN §8): k ≤ 6 → one
// LUT (INIT bit a = output at address a; input i = pin I<i>); k = 7 → two
// LUT6 and a MUXF7; k = 8 → four LUT6, two MUXF7 and a MUXF8; larger k →
// Shannon decomposition on the highest inputs down to k = 8 pieces joined by
// LUT3 multiplexers (a MUXF8's output reaches only general routing).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/fpga/design.hpp"

namespace lutra::fpga {

// A cell input or output bit: constants, primary inputs, or a cell's output.
// (signal::kind::node here names a cell index.)
struct cell {
    enum class kind : std::uint8_t { lut, muxf7, muxf8 };
    kind type = kind::lut;
    // lut: 0..6 inputs (I0 first) and init (bits ≥ 2^inputs zero);
    // muxf7/muxf8: exactly {I0, I1, S}, output = S ? I1 : I0.
    std::vector<signal> inputs;
    std::vector<std::uint32_t> delays;  // per input, ticks; empty = all 0
    std::uint64_t init = 0;
    part role = part::network;
    std::uint32_t node = 0;  // the logic node it implements (part of)
};

struct cell_netlist {
    std::string name;
    std::uint32_t num_inputs = 0;
    std::vector<input_port> input_ports;
    std::vector<cell> cells;           // topological order
    std::vector<output_port> outputs;  // signal::kind::node = cell index
    std::optional<std::uint32_t> clear_input;  // as logic_design's: clears every delay register
    // Placement, not logic (pack_lut6_2): pairs of LUT cells that share one
    // LUT6 site as a Xilinx LUT6_2, {O6 cell, O5 cell}, the O6 cell the
    // earlier. Every cell stays its own function (evaluate() ignores this);
    // the report counts the site once and write_xilinx writes one LUT6_2.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> lut6_2_pairs;
};

// Validates the design, then maps node by node: a node's cells are
// consecutive, its output cell last, each with the node's role and index. A
// k = 0 node (a constant) becomes no cell: its readers and output bits read
// signal::constant. A cofactor word that is constant still gets its LUT6
// (the MUXF7 beside it takes data only from its slice's LUTs). Delays go to
// the cell inputs that read the delayed node input (LUT pins, or a MUXF7/F8
// or LUT3-multiplexer select).
[[nodiscard]] cell_netlist map_cells(const logic_design& design);

// Like evaluate(logic_design): every output bit for every sample.
[[nodiscard]] core::bit_matrix evaluate(const cell_netlist& netlist, const core::bit_matrix& inputs);

// A sequential netlist run tick by tick from power-up (every register 0):
// column t of inputs is tick t; a cell input with delay d reads its signal
// as it was at tick t − d (0 before tick d, and 0 when the clear input was 1
// at a tick in [t − d + 1, t − 1]). Returns every output bit at
// every tick, rows as evaluate()'s. One tick at a time, obviously right
// rather than fast: the reference the sequential Verilog is checked against.
[[nodiscard]] core::bit_matrix evaluate_ticks(const cell_netlist& netlist, const core::bit_matrix& inputs);

// Per cell, its logic depth in LUT levels: a LUT is 1 + the largest level
// among its zero-delay cell inputs (constants, primary inputs and delayed
// inputs count 0, since a register or a pin starts a new path); a MUXF7 or
// MUXF8 adds nothing (it sits in the slice of the LUTs that feed it), so it
// has the largest level among its inputs.
[[nodiscard]] std::vector<std::uint32_t> lut_levels(const cell_netlist& netlist);

// Where pipeline registers go, for the report and the Verilog writer alike
// (both call pipeline_stages, so the flip-flops counted are the ones emitted).
//
// The rule, with N = every (LUT levels per stage) > 0 and L a cell's LUT level:
//   - a cell's stage is (L − 1) / N (integer division), or 0 when L = 0;
//     so stage 0 holds levels 1..N, stage 1 levels N+1..2N, ...; a MUXF7/F8
//     shares its LUTs' level and therefore their stage;
//   - primary inputs are in stage 0; stages = 1 + the largest cell stage
//     (1 when there are no cells); the output ports are read in the last
//     stage, stages − 1, combinationally (no register after the last stage);
//   - a zero-delay read of a signal made in stage s by a reader in stage
//     t > s (a cell, or an output port with t = stages − 1) goes through
//     t − s registers: each signal has one chain of registers, shared by
//     all readers, as long as its latest reader needs; the reader in stage
//     t taps the chain after t − s registers;
//   - a delayed read (delay d > 0) taps the signal's delay registers in its
//     own stage and adds no pipeline registers (so with pipelining on, a
//     delayed connection that crosses stages is not re-timed: pipelining is
//     meant for feed-forward designs);
//   - constants need no registers.
// latency = stages − 1 cycles from a primary input to the output ports.
// With N = 0 (no pipelining) every cell is in stage 0, there are no
// registers and the latency is 0.
struct pipeline_plan {
    std::uint32_t every = 0;                     // LUT levels per stage; 0 = not pipelined
    std::uint32_t stages = 1;                    // 1 + the last stage
    std::vector<std::uint32_t> cell_stage;       // per cell
    std::vector<std::uint32_t> input_registers;  // per primary input: length of its register chain
    std::vector<std::uint32_t> cell_registers;   // per cell output: length of its register chain
    [[nodiscard]] std::uint32_t latency() const noexcept { return stages - 1; }
    [[nodiscard]] std::uint64_t flip_flops() const noexcept;  // Σ of every chain's length
};
[[nodiscard]] pipeline_plan pipeline_stages(const cell_netlist& netlist, std::uint32_t every);

// ------------------------------------------------------------ LUT6_2 sites
//
// A 7-series LUT6 site is a LUT6_2: with I5 tied to 1 it gives two
// functions of the same ≤ 5 inputs I0..I4, O6 = INIT[32 + a] and
// O5 = INIT[a] (a = Σ I<i>·2^i, i < 5). Two LUT cells may share a site when
//   - both are LUTs of the same part (so every part's sites are its own and
//     the parts add up to the total);
//   - neither has a delay on any input (a delayed pin reads a register
//     chain the other cell does not see);
//   - neither feeds a MUXF7/MUXF8 (the slice multiplexers take O6 only);
//   - neither is constant (no inputs, or a table that ignores them all:
//     yosys and Vivado remove such LUTs, so they cost no site anyway);
//   - the union of their distinct non-constant input signals has ≤ 5
//     members, and neither cell reads the other (the site would feed
//     itself);
//   - both are in the same pipeline stage (pipeline_stages(netlist, every)),
//     so each union input is read through the same pipeline tap.

// The site two cells would share: its input signals in pin order (the O6
// cell's distinct non-constant inputs in pin order, then the O5 cell's new
// ones; pins beyond them are tied to 0) and its INIT, both tables
// re-indexed onto those pins. Throws lutra::error naming the rule broken
// when the pair breaks a rule of the cells alone (not a LUT, delays, more
// than 5 inputs in the union); the part, MUXF, stage and reading rules need
// the netlist (check_lut6_2_pairs).
struct lut6_2_site {
    std::vector<signal> inputs;  // I0.. (≤ 5)
    std::uint64_t init = 0;
};
[[nodiscard]] lut6_2_site make_lut6_2(const cell& o6, const cell& o5);

// Pairs cells of the netlist into LUT6_2 sites (replacing any pairs it had),
// greedily and deterministically, in four rounds over the cells in index
// order: first cells with identical input sets (a full adder's sum and
// carry), then a cell with one whose inputs are a subset of its own (the
// largest such set first), then two that share an input with a union of
// ≤ 5 (the smallest union first), then any two whose input counts add up
// to ≤ 5. Ties go to the lowest cell index. Cells are indexed by input set,
// by input signal and by input count, so it runs in n log n time (up to a
// fixed number of a signal's readers are looked at per cell): about 0.2 s
// for 30,000 cells. `pipeline_every` is the one the netlist will be
// written and counted with. Returns the number of pairs.
std::size_t pack_lut6_2(cell_netlist& netlist, std::uint32_t pipeline_every = 0);

// Throws lutra::error (naming the pair and the rule) unless every pair of
// netlist.lut6_2_pairs keeps the rules above with `plan` (the pipeline the
// netlist is written with) and no cell is in two pairs.
void check_lut6_2_pairs(const cell_netlist& netlist, const pipeline_plan& plan);

}  // namespace lutra::fpga
