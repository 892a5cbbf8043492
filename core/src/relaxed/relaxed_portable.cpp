// Portable relaxed kernels: 4 floats at a time as a GCC/Clang generic vector,
// the width of the baseline's SIMD registers (SSE2 on x86-64, NEON on ARM).
// (Loops over a 16-float struct took GCC 95 s to compile and spilled.)
// Without a fused multiply-add in the baseline, a·b + c rounds twice.
#include <cstring>
#include <type_traits>

#include "relaxed_abi.hpp"

namespace {

struct vec {
    static constexpr std::size_t lanes = 4;
    using t = float __attribute__((vector_size(16)));
    using mask = std::int32_t __attribute__((vector_size(16)));
    static t load(const float* p) {
        t v;
        std::memcpy(&v, p, sizeof v);
        return v;
    }
    static void store(float* p, t v) { std::memcpy(p, &v, sizeof v); }
    static t loadu(const float* p) { return load(p); }
    static void storeu(float* p, t v) { store(p, v); }
    static t set1(float x) { return t{} + x; }
    static t zero() { return t{}; }
    static t add(t a, t b) { return a + b; }
    static t sub(t a, t b) { return a - b; }
    static t mul(t a, t b) { return a * b; }
    static t fmadd(t a, t b, t c) { return a * b + c; }
    // A lane whose mask is all ones becomes 1.0, others 0.0.
    static t ones_where(mask m) { return reinterpret_cast<t>(m & reinterpret_cast<mask>(set1(1.0F))); }
    static t from_bits(unsigned m) {
        const mask bit = {1, 2, 4, 8};
        return ones_where(((mask{} + static_cast<std::int32_t>(m)) & bit) != 0);
    }
    static t step(t v) { return ones_where(v > 0.5F); }
    static t gather(const float* base, t index) {
        t r;
        for (std::size_t i = 0; i < lanes; ++i) r[i] = base[static_cast<std::size_t>(index[i])];
        return r;
    }
    static t pair_sums(t x, t y) {
        return __builtin_shufflevector(x, y, 0, 2, 4, 6) + __builtin_shufflevector(x, y, 1, 3, 5, 7);
    }
    // x minus each lane's partner i ^ H where bit H of i is (Set) or is not
    // set; elsewhere x minus +0.
    template <unsigned H, bool Set>
    static t sub_partner(t x) {
        const mask lane = {0, 1, 2, 3};
        constexpr auto bit = static_cast<std::int32_t>(H);  // clang mixes no unsigned scalar into an int32 vector
        const mask chosen = Set ? (lane & bit) != 0 : (lane & bit) == 0;
        const t other = __builtin_shufflevector(x, x, 0 ^ H, 1 ^ H, 2 ^ H, 3 ^ H);
        return x - reinterpret_cast<t>(reinterpret_cast<mask>(other) & chosen);
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

const lutra::core::kernels::relaxed_kernel_set lutra::core::kernels::portable_relaxed_kernels = relaxed_set;
