#pragma once
// `lutra export`: a trained run as Verilog for an FPGA (DESIGN §8, docs/fpga.md).
//
// Reads the run's network and encoder, builds the whole classifier as logic
// (fpga::classifier_design, or fpga::sequence_classifier_design for a
// sequence classifier: request.sequence), simplifies it, maps it to LUT6/MUXF7/MUXF8
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

#include "lutra/core/encoder.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/sequence.hpp"

namespace lutra::experiments {

struct export_request {
    std::filesystem::path run;           // a run directory or its run.h5
    std::string target = "xilinx";       // xilinx | generic
    std::filesystem::path out_dir;       // must be empty or absent unless force
    std::uint32_t pipeline_every = 0;    // LUT levels per pipeline stage (xilinx only); 0 = combinational
    double clock_mhz = 200;              // the stated clock for throughput and latency; no Fmax is claimed
    std::string part = "xc7k480t";       // the FPGA part the report counts against
    std::string comparators = "two-tables";  // encoder comparators: two-tables (2 LUT6 a bit) | one-table (one 8-input table)
    // The head's argmax (fpga::argmax_form): tournament | all-pairs | auto,
    // the one of them whose whole classifier has the fewest LUT6 sites,
    // ties to the shallower (docs/fpga.md, "The head").
    std::string argmax = "auto";
    // A depth budget in LUT levels for the whole classifier: auto chooses
    // only among the forms within it; an export beyond it is refused. 0 = none.
    std::uint32_t max_depth = 0;
    // Two LUTs of ≤ 5 shared inputs in one LUT6 site (fpga::pack_lut6_2,
    // written as a LUT6_2): on | off. Applies to --target xilinx; the
    // generic style's report counts one site per LUT (yosys maps that RTL
    // itself).
    std::string pack_lut6_2 = "on";
    std::optional<std::size_t> vectors;  // test samples to write as vectors; empty = all, 0 = none
    bool force = false;                  // write into a non-empty out_dir
    // A recurrent classifier over sequences (core/sequence.hpp): when set,
    // the export is fpga::sequence_classifier_design, xilinx style and not
    // pipelined, and its vectors are the test sequences below, one vector
    // per tick, every sequence back to back (vectors counts sequences). No
    // equivalence proof (the generic style is combinational only).
    std::optional<core::sequence_spec> sequence;
    // The test sequences' raw pixels: sample-major, then tick, then feature,
    // one byte each (a whole number of sequences of sequence->ticks ticks).
    std::vector<std::uint8_t> sequence_pixels;
    // Their labels, one per sequence, for the summary's accuracy; empty = none.
    std::vector<std::uint16_t> sequence_labels;
};

struct export_summary {
    std::vector<std::filesystem::path> files;  // everything written, in order
    std::string passes;                        // what the passes did and the census (fpga::to_text)
    std::string report;                        // the resource report (fpga::to_text)
    // The head's argmax form written and, for auto, each form's LUT6 sites and depth.
    std::string argmax;
    std::size_t vectors = 0;                   // vectors written (a sequence classifier: one per tick)
    std::size_t sequences = 0;                 // test sequences among them (a sequence classifier)
    std::size_t correct = 0;                   // samples (sequences) predicted right by the C++ model
    bool labelled = true;                      // correct is known (test sequences may come without labels)
    std::uint32_t latency_cycles = 0;
};

// Does the export; throws lutra::error naming the run file (or the output
// directory) and what is wrong. Nothing is written before every check passed.
export_summary export_run(const export_request& request);

// The same export of a network and encoder held in memory (`where` names
// them in errors and the report): what export_run does once it has read the
// run. Test vectors come only from request.sequence_pixels; a static
// classifier's come from the run's dataset, so here it gets none.
export_summary export_network(const export_request& request, const core::network& net, const core::encoder& enc,
                              const std::string& where);

// What `lutra export` prints: the passes, the report, where everything went.
[[nodiscard]] std::string to_text(const export_summary& summary);

}  // namespace lutra::experiments
