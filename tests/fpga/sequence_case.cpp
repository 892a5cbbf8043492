// fpga_sequence_case: writes one sequence-classifier case for
// tests/fpga/verify_sequence.sh to simulate — a random recurrent classifier
// (tests/support/recurrent_classifier.hpp: delays 0…8, k 1…6, a thermometer
// encoder of 4 features) exported through the request-level path of `lutra
// export` (experiments::export_network with a sequence_spec and the raw
// pixels of 50 test sequences of 12 ticks), so DIR/export holds what an
// export holds: the sequential Verilog, test bench, one vector per tick of
// every sequence back to back, report and COMPLETE. export_network has
// already run the mapped cells tick by tick in C++ against the stepped
// engine.
//
// It also writes DIR/flipped/: the same classifier with one table bit
// flipped, a bit that changes some expected output (found by the C++ model),
// whose Verilog simulated against DIR/export's vectors must FAIL.
//
//   fpga_sequence_case DIR SEED FIRST_READOUT   (readout ticks FIRST_READOUT … 11)
//
// Exit 0 when written, 2 on bad arguments or a failed export.

#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <numeric>
#include <sstream>
#include <string>

#include "lutra/experiments/export.hpp"
#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/classifier.hpp"
#include "lutra/fpga/verilog.hpp"
#include "support/recurrent_classifier.hpp"

using namespace lutra;
namespace fs = std::filesystem;

namespace {

// The C++ model's expected outputs at every tick (the design's interface
// from an unsimplified mapping: the ports are all that matter here).
core::bit_matrix expected(const core::network& net, const core::encoder& enc, const core::sequence_spec& spec,
                          const std::vector<std::uint8_t>& pixels) {
    std::ostringstream verilog;
    const fpga::module_interface dut =
        fpga::write_xilinx(fpga::map_cells(fpga::sequence_classifier_design(net, enc, spec)), {}, verilog);
    return fpga::sequence_classifier_vectors(dut, net, enc, spec, pixels).outputs;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: fpga_sequence_case DIR SEED FIRST_READOUT\n");
        return 2;
    }
    try {
        const fs::path dir = argv[1];
        const std::uint64_t seed = std::stoull(argv[2]);
        const auto first_readout = static_cast<std::uint32_t>(std::stoul(argv[3]));
        constexpr std::uint32_t features = 4, ticks = 12, sequences = 50;
        const auto c = test::random_recurrent_classifier(features, 120, 6, 8, 3, 8, seed);
        core::sequence_spec spec{.ticks = ticks, .readout = std::vector<std::uint32_t>(ticks - first_readout)};
        std::iota(spec.readout.begin(), spec.readout.end(), first_readout);
        const std::vector<std::uint8_t> pixels = test::random_sequence_pixels(sequences, ticks, features, seed);

        experiments::export_request request;
        request.out_dir = dir / "export";
        request.force = true;
        request.sequence = spec;
        request.sequence_pixels = pixels;
        const experiments::export_summary summary =
            experiments::export_network(request, c.net, c.enc, "random recurrent classifier " + std::to_string(seed));

        // One table bit flipped: the first (node, address), head nodes first,
        // whose flip changes some expected output.
        const core::bit_matrix good = expected(c.net, c.enc, spec, pixels);
        std::vector<std::uint32_t> candidates(c.net.head().outputs.begin(), c.net.head().outputs.end());
        for (std::uint32_t n = 0; n < c.net.num_nodes(); ++n) candidates.push_back(n);
        for (const std::uint32_t node : candidates)
            for (std::uint32_t address = 0; address < (1U << c.net.k(node)); ++address) {
                core::network_arrays arrays = c.net.arrays();
                arrays.tables[c.net.table_offset(node) + address / 64] ^= std::uint64_t{1} << (address % 64);
                const core::network flipped(std::move(arrays));
                if (expected(flipped, c.enc, spec, pixels) == good) continue;
                request.out_dir = dir / "flipped";
                request.sequence_pixels.clear();  // its own vectors are not wanted: it must fail the good ones
                (void)experiments::export_network(request, flipped, c.enc, "flipped");
                std::printf("%s: %u sequences of %u ticks, readout %u…%u, %zu tick vectors; flipped: node %u's "
                            "table bit %u\n",
                            dir.string().c_str(), sequences, ticks, first_readout, ticks - 1, summary.vectors, node,
                            address);
                return 0;
            }
        std::fprintf(stderr, "fpga_sequence_case: no table bit changes any output\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fpga_sequence_case: %s\n", e.what());
        return 2;
    }
}
