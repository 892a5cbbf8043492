// AVX2 + FMA relaxed kernels: a ymm register is 8 samples in float32 (the
// engine checks FMA at run time: isa::avx2 alone does not promise it).
#include <immintrin.h>

#include <type_traits>

#include "relaxed_abi.hpp"

namespace {

struct vec {
    using t = __m256;
    static constexpr std::size_t lanes = 8;
    static t load(const float* p) { return _mm256_load_ps(p); }
    static void store(float* p, t v) { _mm256_store_ps(p, v); }
    static t loadu(const float* p) { return _mm256_loadu_ps(p); }
    static void storeu(float* p, t v) { _mm256_storeu_ps(p, v); }
    static t set1(float x) { return _mm256_set1_ps(x); }
    static t zero() { return _mm256_setzero_ps(); }
    static t add(t a, t b) { return _mm256_add_ps(a, b); }
    static t sub(t a, t b) { return _mm256_sub_ps(a, b); }
    static t mul(t a, t b) { return _mm256_mul_ps(a, b); }
    static t fmadd(t a, t b, t c) { return _mm256_fmadd_ps(a, b, c); }
    static t from_bits(unsigned m) {
        const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
        const __m256i set = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(m)), bit), bit);
        return _mm256_and_ps(_mm256_castsi256_ps(set), set1(1.0F));
    }
    static t step(t v) { return _mm256_and_ps(_mm256_cmp_ps(v, set1(0.5F), _CMP_GT_OQ), set1(1.0F)); }
    // Adjacent pairs within each 128-bit half, then the 64-bit quarters
    // reordered so x's sums come first.
    static t gather(const float* base, t index) { return _mm256_i32gather_ps(base, _mm256_cvttps_epi32(index), 4); }
    static t pair_sums(t x, t y) {
        const t s = _mm256_add_ps(_mm256_shuffle_ps(x, y, _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm256_shuffle_ps(x, y, _MM_SHUFFLE(3, 1, 3, 1)));
        return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), _MM_SHUFFLE(3, 1, 2, 0)));
    }
    // x minus each lane's partner i ^ H, on the lanes where bit H of i is
    // (Set) or is not set; elsewhere x minus +0.
    template <unsigned H, bool Set>
    static t sub_partner(t x) {
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i bit = _mm256_and_si256(lane, _mm256_set1_epi32(H));
        const __m256i is_set = _mm256_cmpeq_epi32(bit, _mm256_set1_epi32(H));
        const __m256 mask = _mm256_castsi256_ps(Set ? is_set : _mm256_xor_si256(is_set, _mm256_set1_epi32(-1)));
        const t other = _mm256_permutevar8x32_ps(x, _mm256_xor_si256(lane, _mm256_set1_epi32(H)));
        return _mm256_sub_ps(x, _mm256_and_ps(other, mask));
    }
    template <unsigned H>
    static t mobius_step(t x) {
        return sub_partner<H, true>(x);
    }
    template <unsigned H>
    static t mobius_transpose_step(t x) {
        return sub_partner<H, false>(x);
    }
};

#include "relaxed_kernels.inl"

}  // namespace

const lutra::core::kernels::relaxed_kernel_set lutra::core::kernels::avx2_relaxed_kernels = relaxed_set;
