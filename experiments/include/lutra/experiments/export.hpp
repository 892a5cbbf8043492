#pragma once
// `lutra export`: a trained run as Verilog for an FPGA (DESIGN §8, docs/fpga.md).
//
// Reads the run's network and encoder, builds the whole classifier as logic
// (fpga::classifier_design), simplifies it, maps it to LUT6/MUXF7/MUXF8
// cells and writes into the output directory:
//
//   <name>.v            the classifier in the chosen style (xilinx: primitives,
//                       pipelined if asked; generic: behavioural RTL)
//   <name>_tb.v         a test bench for it, reading the two vector files
//   vectors_in.hex      test-set pixels, one vector per line
//   vectors_out.hex     the C++ model's prediction and scores for them
//   report.txt          resources against the part, latency and throughput at
//                       the stated clock (no Fmax claim), the passes' work
//   equiv/xilinx.v, equiv/generic.v
//                       both styles combinational, for the equivalence proof
//   yosys_equiv.ys      proves the two equiv/ files equal (run in the directory)
//   yosys_synth.ys      synth_xilinx -noiopad of <name>.v with cell counts
//   COMPLETE            written last: every file above with its size
//
// The directory is published whole (core/publish.hpp): written into a
// temporary sibling and renamed into place, so a kill or a full disk leaves
// nothing that looks like an export. The run must have finished
// (finished_run_file). Before writing, the mapped cells are evaluated in C++ on the vectors and
// must give the C++ model's outputs bit for bit.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lutra::experiments {

struct export_request {
    std::filesystem::path run;           // a run directory or its run.h5
    std::string target = "xilinx";       // xilinx | generic
    std::filesystem::path out_dir;       // must be empty or absent unless force
    std::uint32_t pipeline_every = 0;    // LUT levels per pipeline stage (xilinx only); 0 = combinational
    double clock_mhz = 200;              // the stated clock for throughput and latency; no Fmax is claimed
    std::string part = "xc7k480t";       // the FPGA part the report counts against
    std::string comparators = "two-tables";  // encoder comparators: two-tables (2 LUT6 a bit) | one-table (one 8-input table)
    std::optional<std::size_t> vectors;  // test samples to write as vectors; empty = all, 0 = none
    bool force = false;                  // write into a non-empty out_dir
};

struct export_summary {
    std::vector<std::filesystem::path> files;  // everything written, in order
    std::string passes;                        // what the passes did and the census (fpga::to_text)
    std::string report;                        // the resource report (fpga::to_text)
    std::size_t vectors = 0;                   // vectors written
    std::size_t correct = 0;                   // of them, predicted right by the C++ model
    std::uint32_t latency_cycles = 0;
};

// Does the export; throws lutra::error naming the run file (or the output
// directory) and what is wrong. Nothing is written before every check passed.
export_summary export_run(const export_request& request);

// What `lutra export` prints: the passes, the report, where everything went.
[[nodiscard]] std::string to_text(const export_summary& summary);

}  // namespace lutra::experiments
