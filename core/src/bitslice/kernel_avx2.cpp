// AVX2 kernels: a ymm register is 256 samples; without vpternlog each pair
// function is a compile-time-folded boolean expression (kernel_bool3.inl) and
// a mux is three operations.
#include <immintrin.h>

#include <utility>

#include "kernel_abi.hpp"

namespace {

struct vec {
    using t = __m256i;
    static constexpr std::size_t words = 4;
    static t load(const std::uint64_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
    static void store(std::uint64_t* p, t v) { _mm256_store_si256(reinterpret_cast<__m256i*>(p), v); }
    static t zero() { return _mm256_setzero_si256(); }
    static t ones() { return _mm256_set1_epi64x(-1); }
    static t and_(t a, t b) { return _mm256_and_si256(a, b); }
    static t or_(t a, t b) { return _mm256_or_si256(a, b); }
    static t xor_(t a, t b) { return _mm256_xor_si256(a, b); }
    static t andnot(t a, t b) { return _mm256_andnot_si256(a, b); }  // ~a & b
    static t not_(t a) { return _mm256_xor_si256(a, ones()); }
    // lo ^ ((lo ^ hi) & s): three operations, no blend (blendv selects by byte).
    static t mux(t s, t lo, t hi) { return _mm256_xor_si256(lo, _mm256_and_si256(_mm256_xor_si256(lo, hi), s)); }
    static bool any(t v) { return _mm256_testz_si256(v, v) == 0; }
#include "kernel_bool3.inl"
    template <unsigned Imm>
    static t tern(t a, t b, t c) {
        return tern3<Imm>(a, b, c);
    }
};

#include "kernel_tile.inl"

}  // namespace

const lutra::core::kernels::kernel_set lutra::core::kernels::avx2_kernels{&evaluate_tile, &count_planes, &mux_chains, &evaluate_node,
                                                                     vec::words};
