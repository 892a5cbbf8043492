#pragma once
// The plain-data boundary between the relaxed engine (relaxed.cpp) and its
// per-instruction-set kernels (relaxed_<isa>.cpp). As with kernel_abi.hpp,
// the kernel files include nothing but this and <immintrin.h> and keep
// everything else in an anonymous namespace, so no function compiled for one
// instruction set can be linked into code meant for another.

#include <cstddef>
#include <cstdint>

namespace lutra::core::kernels {

// Largest fan-in the relaxed kernels handle (2^8 entries per node).
inline constexpr unsigned relaxed_max_k = 8;

// The network as the relaxed kernels read it.
struct relaxed_net {
    std::uint32_t num_inputs;
    std::uint32_t num_nodes;
    const std::uint8_t* k;            // per node, 1 … relaxed_max_k
    const std::uint32_t* sources;     // per slot, node-major; id < num_inputs is an input bit row, else a node
    const std::size_t* slot_offset;   // per node: its first slot in `sources`
    const std::size_t* entry_offset;  // per node and one past the last: its first entry (nodes may share entries)
    // Forward computes nodes [first_node, num_nodes); rows below are given
    // (a sequence's constant 0). Backward runs nodes [grad_floor, num_nodes)
    // and sends no gradient to rows below grad_floor (truncated BPTT).
    std::uint32_t first_node;
    std::uint32_t grad_floor;  // ≥ first_node
    // Nodes share entries (a sequence's copies): backward adds its sums to
    // grad, which the engine zeroed; else each node stores its own.
    bool shared_entries;
    // Per slot (as `sources`): the row of relaxed_block::slot_dy that
    // backward stores the slot's dL/dp into, or no_watch; nullptr = none.
    // Learnable wiring reads these (DESIGN §4.1a).
    const std::uint32_t* slot_watch;
};

inline constexpr std::uint32_t no_watch = UINT32_MAX;

// One block of samples: every node, forward or backward.
struct relaxed_block {
    const relaxed_net* net;
    const float* w;               // entries, node-major
    const float* coefficients;    // the multilinear coefficients of w (coefficients_from_entries)
    const std::uint64_t* inputs;  // input bit row r at inputs + r · input_stride
    std::size_t input_stride;     // words per input row
    std::size_t first_sample;     // the input column of the block's first sample
    std::size_t valid;            // samples that exist; the others read their input bits as 0
    std::size_t samples;          // block width: valid rounded up to a multiple of 16
    const float* y;               // node n's outputs for this block at y + n · stride
    float* out;                   // forward: where y is written (the same rows)
    float* dy;                    // node n's dL/dy for this block at dy + n · stride (backward)
    std::size_t stride;           // floats per activation row, a multiple of 16
    float* grad;                  // backward: the block's per-entry sums (stored, or added when entries are shared)
    float* slot_dy;               // backward: watched slot r's dL/dp for this block at slot_dy + r · stride
};

// One instruction set's relaxed kernels; relaxed.cpp picks one at run time.
struct relaxed_kernel_set {
    // Nodes [first, last): coefficients c of y = Σ_S c_S · Π_{i∈S} p_i from
    // the entries w (the Möbius transform; offsets as the entries).
    void (*coefficients_from_entries)(const relaxed_net& net, std::uint32_t first, std::uint32_t last, const float* w,
                                      float* c);
    // Nodes [first, last), in place: dL/dc (sums of the adjoint times each
    // monomial) to dL/dw, the transposed Möbius transform.
    void (*entries_from_coefficient_gradient)(const relaxed_net& net, std::uint32_t first, std::uint32_t last,
                                              float* g);
    void (*multilinear_forward)(const relaxed_block& block);
    // Adds the propagated dL/dy to the sources' dy rows and writes the
    // block's dL/dc sums into grad.
    void (*multilinear_backward)(const relaxed_block& block);
    void (*efd_forward)(const relaxed_block& block);
    // Adds the propagated dL/dy to the sources' dy rows and writes the
    // block's dL/dw sums into grad.
    void (*efd_backward)(const relaxed_block& block);
};

extern const relaxed_kernel_set portable_relaxed_kernels;
extern const relaxed_kernel_set avx2_relaxed_kernels;
extern const relaxed_kernel_set avx512_relaxed_kernels;

}  // namespace lutra::core::kernels
