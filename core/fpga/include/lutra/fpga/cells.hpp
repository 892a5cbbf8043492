#pragma once
// Decomposition of a logic_design into FPGA cells (DESIGN §8): k ≤ 6 → one
// LUT (INIT bit a = output at address a; input i = pin I<i>); k = 7 → two
// LUT6 and a MUXF7; k = 8 → four LUT6, two MUXF7 and a MUXF8; larger k →
// Shannon decomposition on the highest inputs down to k = 8 pieces joined by
// LUT3 multiplexers (a MUXF8's output reaches only general routing).

#include <cstdint>
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
    std::vector<cell> cells;          // topological order
    std::vector<output_port> outputs; // signal::kind::node = cell index
};

[[nodiscard]] cell_netlist map_cells(const logic_design& design);

// Like evaluate(logic_design): every output bit for every sample.
[[nodiscard]] core::bit_matrix evaluate(const cell_netlist& netlist, const core::bit_matrix& inputs);

}  // namespace lutra::fpga
