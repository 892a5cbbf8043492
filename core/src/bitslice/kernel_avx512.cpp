// AVX-512F kernels: one zmm register is one 512-sample vector, and every
// function of up to three planes (the pair functions and the muxes alike) is
// a single vpternlogq.
#include <immintrin.h>

#include <utility>

#include "kernel_abi.hpp"

namespace {

struct vec {
    using t = __m512i;
    static constexpr std::size_t words = 8;
    static t load(const std::uint64_t* p) { return _mm512_load_si512(p); }
    static void store(std::uint64_t* p, t v) { _mm512_store_si512(p, v); }
    template <unsigned Imm>
    static t tern(t a, t b, t c) {
        return _mm512_ternarylogic_epi64(a, b, c, static_cast<int>(Imm));
    }
    static t mux(t s, t lo, t hi) { return _mm512_ternarylogic_epi64(s, hi, lo, 0xCA); }
    static bool any(t v) { return _mm512_test_epi64_mask(v, v) != 0; }
    static t and_(t a, t b) { return _mm512_and_si512(a, b); }
    static t xor_(t a, t b) { return _mm512_xor_si512(a, b); }
};

#include "kernel_tile.inl"

}  // namespace

const lutra::core::kernels::kernel_set lutra::core::kernels::avx512_kernels{&evaluate_tile, &count_planes, &mux_chains, &evaluate_node,
                                                                     vec::words};
