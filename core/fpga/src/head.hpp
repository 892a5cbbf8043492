#pragma once
// Internal to lutra_fpga: the table-building helper every part of the
// classifier uses (classifier.cpp's encoder and sequence counter, head.cpp's
// popcounts and argmax). The head's building blocks themselves are public,
// in classifier.hpp.

#include <cstdint>
#include <functional>
#include <vector>

#include "lutra/fpga/design.hpp"

namespace lutra::fpga {

// Appends a node over `inputs` whose table bit at address a is function(a),
// and returns its output.
signal add_table(logic_design& design, std::vector<signal> inputs, part role,
                 const std::function<bool(std::uint32_t address)>& function);

// Bit i of a table address: the value of input i.
inline bool address_bit(std::uint32_t address, std::size_t i) { return ((address >> i) & 1U) != 0; }

}  // namespace lutra::fpga
