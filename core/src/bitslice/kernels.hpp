#pragma once
// Choosing a kernel set at run time; for engine.cpp and throughput.cpp only —
// the kernel files themselves include nothing but kernel_abi.hpp.

#include "kernel_abi.hpp"
#include "lutra/core/cpu.hpp"

namespace lutra::core::kernels {

// The kernels of an instruction set (which the caller has checked is supported).
const kernel_set& kernels_for(isa set);

}  // namespace lutra::core::kernels
