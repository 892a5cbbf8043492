#pragma once
// A timed network simulated by Verilator, for comparing its speed with the
// C++ timed engines (core/time.hpp; docs/fpga.md, "Timed networks"). Here, not in
// a library below: it runs external programs.
//
// run_verilator writes the network alone (fpga::write_network_xilinx — the
// style `lutra export` writes — or fpga::write_network_generic; ports
// "inputs", "nodes" and clk) and a C++ harness, Verilates and compiles them
// (verilator -O3 --x-assign fast --x-initial fast --noassert, the Verilator
// manual's settings "for best performance", with its makefile's default
// OPT_FAST=-Os unless options say otherwise), then runs the model tick by
// tick. Per tick the harness sets the inputs, evaluates with clk low, reads
// every node's output (the values of that tick), folds them into the trace
// digest, and raises clk (the registers advance): the same semantics as the
// engines (a slot with delay d reads its source at t − d, 0 before tick d).
// The stimulus is read from a file before the clock starts, so neither
// compiling nor reading it is timed; only the tick loop is.
//
// The trace digest is time_bench.hpp's trace_digest: per tick, node n's
// output is bit n % 64 of word n / 64, and each word w updates the digest
// d ← (d ⊕ w) · 0x100000001b3 (mod 2^64) from d = 0, words and ticks in
// order. Equal digests mean "same network, same stimulus, same trace" is
// checked, not assumed.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/time.hpp"
#include "lutra/experiments/time_bench.hpp"

namespace lutra::experiments {

// The stimulus of tick t is column t % stimulus.samples(): rows = the
// network's inputs, one column per tick, repeated when ticks is larger.
// Runs `ticks` ticks of a timed engine of that kind (1 stream) and returns
// the digest of every node at every tick, for comparison with run_verilator's.
[[nodiscard]] std::uint64_t engine_trace_digest(core::time_engine_kind kind, const core::network& net,
                                                const core::bit_matrix& stimulus, std::uint64_t ticks);

// A tape's stream 0 as such a stimulus: tape.period() columns, column t =
// tape.at(t)'s stream 0, so run_verilator replays the tape exactly as
// trace_digest(engine, tape, ticks) and time_engine do.
[[nodiscard]] core::bit_matrix stimulus_columns(const stimulus_tape& tape);

enum class verilog_style { xilinx, generic };

struct verilator_options {
    verilog_style style = verilog_style::xilinx;  // xilinx: the exported style (LUT/FDRE primitives, yosys's models)
    std::string opt_fast = "-Os";  // the C++ optimisation of the model's per-cycle code (Verilator's OPT_FAST; its default)
    unsigned jobs = 2;             // parallel C++ compilations (verilator -j)
    std::uint32_t output_split = 0;  // > 0: verilator --output-split (statements per .cpp file); 0 = Verilator's default
};

struct verilator_run {
    double compile_seconds = 0;    // wall time of writing nothing but verilating and compiling (verilator --build)
    double ticks_per_second = 0;   // ticks / the tick loop's wall time
    double cpu_ticks_per_second = 0;  // ticks / the tick loop's CPU time (its thread's): steadier on a shared machine
    std::uint64_t ticks = 0;       // ticks run
    std::uint64_t trace_digest = 0;  // of every node at every tick (see above)
    std::filesystem::path log;     // verilator's and the compiler's output
};

// Writes into work_dir (created; files in it are overwritten): lutra_network.v,
// harness.cpp, stimulus.bin, obj/ (the build), verilator.log (Verilator and
// the compiler), run.log (the harness). Throws lutra::error when the
// stimulus does not have the network's inputs as rows or has no column,
// when verilator (or, for the Xilinx style, yosys's models of the
// primitives) is not installed, or when verilating, compiling or running
// fails — naming the log to read.
verilator_run run_verilator(const core::network& net, const core::bit_matrix& stimulus, std::uint64_t ticks,
                            const std::filesystem::path& work_dir, const verilator_options& options = {});

}  // namespace lutra::experiments
