// AVX-512F relaxed kernels: one zmm register is 16 samples in float32; input
// bits become probabilities with one masked move.
#include <immintrin.h>

#include <type_traits>

#include "relaxed_abi.hpp"

namespace {

struct vec {
    using t = __m512;
    static constexpr std::size_t lanes = 16;
    static t load(const float* p) { return _mm512_load_ps(p); }
    static void store(float* p, t v) { _mm512_store_ps(p, v); }
    static t loadu(const float* p) { return _mm512_loadu_ps(p); }
    static void storeu(float* p, t v) { _mm512_storeu_ps(p, v); }
    static t set1(float x) { return _mm512_set1_ps(x); }
    static t zero() { return _mm512_setzero_ps(); }
    static t add(t a, t b) { return _mm512_add_ps(a, b); }
    static t sub(t a, t b) { return _mm512_sub_ps(a, b); }
    static t mul(t a, t b) { return _mm512_mul_ps(a, b); }
    static t fmadd(t a, t b, t c) { return _mm512_fmadd_ps(a, b, c); }
    static t from_bits(unsigned m) { return _mm512_maskz_mov_ps(static_cast<__mmask16>(m), set1(1.0F)); }
    static t step(t v) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, set1(0.5F), _CMP_GT_OQ), set1(1.0F)); }
    // The masked forms: GCC 12 warns falsely on the plain ones' undefined operand.
    static t gather(const float* base, t index) {
        const __m512i i = _mm512_maskz_cvttps_epi32(0xFFFF, index);
        return _mm512_mask_i32gather_ps(zero(), 0xFFFF, i, base, 4);
    }
    static t pair_sums(t x, t y) {
        const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        return _mm512_add_ps(_mm512_permutex2var_ps(x, even, y), _mm512_permutex2var_ps(x, odd, y));
    }
    // Lanes with bit H of their index set, and each lane's partner i ^ H.
    template <unsigned H>
    static constexpr __mmask16 high_lanes() {
        unsigned m = 0;
        for (unsigned i = 0; i < lanes; ++i) m |= ((i & H) != 0 ? 1U : 0U) << i;
        return static_cast<__mmask16>(m);
    }
    template <unsigned H>
    static t partner(t x) {
        // permutex2var of x with itself: as for gather.
        const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        return _mm512_permutex2var_ps(x, _mm512_xor_si512(lane, _mm512_set1_epi32(H)), x);
    }
    template <unsigned H>
    static t mobius_step(t x) {
        return _mm512_mask_sub_ps(x, high_lanes<H>(), x, partner<H>(x));
    }
    template <unsigned H>
    static t mobius_transpose_step(t x) {
        return _mm512_mask_sub_ps(x, static_cast<__mmask16>(~high_lanes<H>()), x, partner<H>(x));
    }
};

#include "relaxed_kernels.inl"

}  // namespace

const lutra::core::kernels::relaxed_kernel_set lutra::core::kernels::avx512_relaxed_kernels = relaxed_set;
