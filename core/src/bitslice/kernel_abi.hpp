#pragma once
// The plain-data boundary between the engine and its per-instruction-set
// kernels. Kernel files include nothing but this and <immintrin.h>, and keep
// everything else in an anonymous namespace: that way no inline function
// compiled for AVX-512 can leak, through the linker's choice among identical
// copies, into code that runs on a processor without it.

#include <cstddef>
#include <cstdint>

namespace lutra::core::kernels {

// Evaluate every node of a network on one tile of samples.
struct tile_job {
    std::uint32_t num_inputs;
    std::uint32_t num_nodes;
    const std::uint8_t* k;         // per node
    const std::uint32_t* sources;  // per slot, node-major; id < num_inputs is an input row, else a node plane
    const std::uint64_t* tables;   // node-major table words
    const std::uint64_t* inputs;   // input row r of this tile starts at inputs + r · input_stride
    std::size_t input_stride;
    std::uint64_t* planes;         // node n's plane of this tile starts at planes + n · plane_stride
    std::size_t plane_stride;
    std::size_t words;             // words per plane in this tile: a multiple of 8 (512-sample vectors)
    std::uint64_t* scratch;        // scratch_words(words) words, 64-byte aligned
    // Timed networks (DESIGN §5): per slot its delay, node-major like sources,
    // or null when every delay is 0. A slot with delay d ≥ 1 reads row `id`
    // (inputs first, then nodes) of delayed_frames[d], the frame of the tick
    // d ticks ago, whose rows are plane_stride words apart.
    const std::uint32_t* delays = nullptr;
    const std::uint64_t* const* delayed_frames = nullptr;
};

// Scratch of a tile: the 16 functions of two inputs for one register (at most
// 8 words), then one temporary plane per address bit above 6.
inline constexpr std::size_t function_table_words = 16 * 8;
constexpr std::size_t scratch_words(std::size_t words) { return function_table_words + 10 * words; }

// One instruction set's kernels. Each kernel_<isa>.cpp defines its set;
// kernels_for() (kernels.hpp) picks one at run time.
struct kernel_set {
    // Evaluates every node of the job's network on its tile.
    void (*evaluate_tile)(const tile_job& job);
    // Adds the n planes rows[0..n) of `words` words into `bits` vertical
    // binary counters (counters[b · words + w]: bit b of the counts of the 64
    // samples of word w). The caller zeroes them and makes bits ≥ bit_width(n).
    void (*count_planes)(const std::uint64_t* const* rows, std::size_t n, std::size_t words,
                         std::uint64_t* counters, unsigned bits);
    // mux_chain_count independent chains of `iterations` register-wide muxes,
    // for measuring the peak mux rate; returns a digest so nothing is
    // optimised away.
    std::uint64_t (*mux_chains)(std::uint64_t iterations, std::uint64_t seed);
    // Evaluates one node of fan-in k on `words` words (a multiple of
    // register_words, every plane aligned to 64 bytes): x[i] is slot i's plane,
    // table its table_words(k) words; scratch holds scratch_words(words) words.
    void (*evaluate_node)(unsigned k, const std::uint64_t* const* x, const std::uint64_t* table, std::size_t words,
                          std::uint64_t* scratch, std::uint64_t* out);
    std::size_t register_words;  // 64-bit words in one register
};

inline constexpr std::uint64_t mux_chain_count = 16;

extern const kernel_set portable_kernels;
extern const kernel_set avx2_kernels;
extern const kernel_set avx512_kernels;

}  // namespace lutra::core::kernels
