#pragma once
// Verilog for a classifier (DESIGN §8), in two styles, with a test bench and
// test vectors.
//
//   write_xilinx   the cell_netlist as Xilinx 7-series primitives: LUT1..LUT6
//                  with INIT = the cell's table, a LUT6_2 per pair of
//                  netlist.lut6_2_pairs (make_lut6_2's pins and INIT, I5 = 1),
//                  MUXF7/MUXF8, and FDRE flip-flops for connection delays and
//                  pipeline registers.
//   write_generic  portable behavioural RTL written straight from the trained
//                  core::network and core::encoder — comparators, one table
//                  per node indexed by its inputs, popcounts with `+`, argmax
//                  by comparisons — without the passes or the decomposition.
//                  So a formal equivalence proof of the two styles checks the
//                  passes, the decomposition, the encoder's comparator tables
//                  and the head's structural popcount and argmax at once.
//
// Both name the wire of network node n `node<n>` (the Xilinx style where a
// cell implements a node that came from network node n), so yosys's
// equiv_make pairs them and proves the network node by node.
//
// Registers (FDRE, or `reg` in the generic style) start at 0 and have no
// reset: a connection with delay d reads its source as it was d clock cycles
// earlier, 0 before the first d cycles. The one exception is a netlist with
// a clear input (a sequence classifier's start, design.hpp): write_xilinx
// drives the R pin of every delay register but the first of each chain with
// it.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/sequence.hpp"
#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/design.hpp"
#include "lutra/fpga/passes.hpp"

namespace lutra::fpga {

struct verilog_options {
    std::uint32_t pipeline_every = 0;  // LUT levels per pipeline stage (pipeline_stages); 0 = combinational
    std::string module_name;           // empty = the netlist's name (xilinx) or "lutra_classifier" (generic)
    // Xilinx style: the design map_cells was given, so the wires of network
    // nodes can be named node<origin> as in the generic style; null = every
    // cell output is cell<i>.
    const logic_design* design = nullptr;
};

// A port of a written module, as the test bench connects it.
struct verilog_port {
    std::string name;
    std::uint32_t width = 0;
};

// What a test bench needs to know of a written module.
struct module_interface {
    std::string name;
    bool clocked = false;               // has `input clk` (some register exists)
    std::uint32_t latency = 0;          // clock cycles from an input vector to its outputs
    std::vector<verilog_port> inputs;   // clk excluded
    std::vector<verilog_port> outputs;  // in order; the test vectors concatenate them, the first in the low bits
    [[nodiscard]] std::uint32_t input_bits() const noexcept;
    [[nodiscard]] std::uint32_t output_bits() const noexcept;
};

// Writes the netlist as one module of Xilinx primitives; returns its
// interface. The latency is pipeline_stages(netlist, pipeline_every)'s.
// Throws lutra::error if a LUT6_2 pair breaks a rule with that pipeline
// (check_lut6_2_pairs), a primary input is on no input port or on two, or
// a port name is not a plain Verilog identifier or collides with clk or a
// generated wire name (in<i>, cell<i>, node<i>, enc<i>, u<i>, const<i>).
module_interface write_xilinx(const cell_netlist& netlist, const verilog_options& options, std::ostream& out);

// Writes the classifier (ports as classifier_design's: pixels, prediction,
// score0..) as behavioural RTL; returns its interface. Combinational unless
// the network has delayed slots (then clocked, latency 0). Throws
// lutra::error if options.pipeline_every ≠ 0 (the generic style is not
// pipelined: pipeline the Xilinx style, prove the combinational ones
// equivalent), the network has no head, or its inputs are not the encoder's
// bits.
module_interface write_generic(const core::network& net, const core::encoder& enc, const verilog_options& options,
                               std::ostream& out);

// A network alone (classifier.hpp's network_design: ports "inputs" and
// "nodes", every node's output a port bit), for timed networks whose every
// node is compared tick by tick in simulation.
//
// write_network_xilinx runs the path `lutra export` runs — network_design,
// simplify (every pass), map_cells, pack_lut6_2, write_xilinx with the
// design's node<n> names — and, when stats is given, stores what the passes did. A node a
// pass merged or folded away has no node<n> wire, but its port bit still
// reads an equal signal. Throws lutra::error if options.pipeline_every ≠ 0
// (pipelining would shift node outputs against the ticks).
module_interface write_network_xilinx(const core::network& net, const verilog_options& options, std::ostream& out,
                                      simplify_stats* stats = nullptr);
// The same module as behavioural RTL straight from the network (the generic
// style's tables and delay registers, shared with write_generic): wires
// node<n>, no passes. Clocked when the network has delayed slots. Throws
// lutra::error if options.pipeline_every ≠ 0.
module_interface write_network_generic(const core::network& net, const verilog_options& options, std::ostream& out);

// Input vectors and expected outputs for a module: inputs has one row per
// input bit (ports in order, LSB first), outputs one row per output bit,
// the same columns (one per vector).
struct test_vectors {
    core::bit_matrix inputs;
    core::bit_matrix outputs;
};

// The classifier's vectors for the samples of a split, the expected outputs
// computed by the C++ model (core::bitslice_engine on the encoded samples),
// never by an FPGA design: prediction and score<c> ports from the head
// output. Throws lutra::error if the module's ports are not pixels (8 bits
// per feature), prediction and score0..score<C−1>, a score does not fit its
// port, or the network is not combinational (the engine cannot run delays).
[[nodiscard]] test_vectors classifier_vectors(const module_interface& dut, const core::network& net,
                                              const core::encoder& enc, const core::data_split& samples);

// One vector per tick for a network alone (write_network_xilinx or
// write_network_generic): inputs has one row per network input and one
// column per tick (column t = the inputs of tick t); the expected outputs
// are every node's output at tick t from core::make_stepped_engine with one
// stream, starting from its reset state (every register 0), which is the
// module's state after power-up. Throws lutra::error if the module's ports
// are not "inputs" and "nodes" of the network's widths, its latency is not
// 0, or inputs has another number of rows.
[[nodiscard]] test_vectors network_vectors(const module_interface& dut, const core::network& net,
                                           const core::bit_matrix& inputs);

// One vector per tick for a sequence classifier (sequence_classifier_design,
// written by write_xilinx): `pixels` holds whole sequences, sample-major,
// then tick, then feature, one byte each; vector s · ticks + t is tick t of
// sequence s (its pixels, start = t == 0), so the sequences run back to
// back. Expected outputs from the C++ model — core::make_stepped_engine,
// one stream per sequence from rest, on each tick's encoded pixels — at
// every tick: score<c> = this tick's popcount + the readout popcounts before
// it other than the last (at the last readout tick: the sequence's score),
// prediction = their argmax (ties to the lowest), valid = t is the last
// readout tick. Throws lutra::error if the ports are not those of
// sequence_classifier_design for (net, enc, spec), the latency is not 0, or
// pixels is not whole sequences.
[[nodiscard]] test_vectors sequence_classifier_vectors(const module_interface& dut, const core::network& net,
                                                       const core::encoder& enc, const core::sequence_spec& spec,
                                                       std::span<const std::uint8_t> pixels);

// Writes one vector per line in hex, most significant digit first: the
// input bits to `inputs`, the expected output bits to `expected` (the
// ports concatenated, the first port in the low bits), each file opening
// with a // comment of its layout. Throws lutra::error if the row counts do
// not match the interface's widths.
void write_vectors(const module_interface& dut, const test_vectors& vectors, std::ostream& inputs,
                   std::ostream& expected);

struct testbench_options {
    std::string inputs_file = "vectors_in.hex";     // read with $readmemh, relative to the simulator's directory
    std::string expected_file = "vectors_out.hex";
    std::size_t report_mismatches = 10;              // print at most this many mismatching vectors
};

// A test bench module <dut.name>_tb: reads `vectors` input vectors and
// expected outputs, applies one vector per clock cycle (per time step for a
// combinational module), compares every output bit after the latency, and
// prints "PASS <n> vectors" or the first mismatches (vector index, port,
// expected, got; for a port wider than 64 bits the first differing bits,
// port[bit]) and "FAIL <m> of <n> vectors", then calls $finish. A clocked
// module is compared before the rising edge that advances its registers, so
// with latency 0 vector t is compared at tick t (network_vectors). Runs in
// Icarus Verilog (iverilog -g2012) and Verilator 5 (--binary --timing).
void write_testbench(const module_interface& dut, std::size_t vectors, const testbench_options& options,
                     std::ostream& out);

// A yosys script proving the generic and the Xilinx style of module `module`
// equivalent: the Xilinx file is flattened with yosys's own simulation models
// of the primitives (+/xilinx/cells_sim.v), so a mistake in a model of ours
// cannot hide; equiv_make pairs the ports and the node<n> wires,
// equiv_simple -short proves the node pairs one by one (writing
// equiv_nodes.txt), equiv_simple then the score<c> ports and the rest, and
// equiv_status -assert
// makes yosys exit non-zero if any is unproven. Meant for combinational
// files (pipeline_every = 0); paths are as yosys will see them.
void write_equivalence_script(const std::string& generic_file, const std::string& xilinx_file,
                              const std::string& module, std::ostream& out);

// A yosys script synthesising `verilog_file` for 7-series parts
// (synth_xilinx -noiopad) and printing the cell counts (stat).
void write_synthesis_script(const std::string& verilog_file, const std::string& module, std::ostream& out);

}  // namespace lutra::fpga
