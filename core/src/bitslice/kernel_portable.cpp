// Portable kernels: plain 64-bit words, eight at a time (one 512-sample vector)
// so the compiler may use whatever SIMD the baseline target has.
#include <utility>

#include "kernel_abi.hpp"

namespace {

struct vec {
    static constexpr std::size_t words = 8;
    struct t {
        std::uint64_t w[words];
    };
    template <class F>
    static t map(F f) {
        t r;
        for (std::size_t i = 0; i < words; ++i) r.w[i] = f(i);
        return r;
    }
    static t load(const std::uint64_t* p) { return map([&](std::size_t i) { return p[i]; }); }
    static void store(std::uint64_t* p, const t& v) {
        for (std::size_t i = 0; i < words; ++i) p[i] = v.w[i];
    }
    static t zero() { return map([](std::size_t) { return std::uint64_t{0}; }); }
    static t ones() { return map([](std::size_t) { return ~std::uint64_t{0}; }); }
    static t and_(const t& a, const t& b) { return map([&](std::size_t i) { return a.w[i] & b.w[i]; }); }
    static t or_(const t& a, const t& b) { return map([&](std::size_t i) { return a.w[i] | b.w[i]; }); }
    static t xor_(const t& a, const t& b) { return map([&](std::size_t i) { return a.w[i] ^ b.w[i]; }); }
    static t andnot(const t& a, const t& b) { return map([&](std::size_t i) { return ~a.w[i] & b.w[i]; }); }
    static t not_(const t& a) { return map([&](std::size_t i) { return ~a.w[i]; }); }
    static t mux(const t& s, const t& lo, const t& hi) {
        return map([&](std::size_t i) { return lo.w[i] ^ ((lo.w[i] ^ hi.w[i]) & s.w[i]); });
    }
    static bool any(const t& v) {
        std::uint64_t x = 0;
        for (std::size_t i = 0; i < words; ++i) x |= v.w[i];
        return x != 0;
    }
#include "kernel_bool3.inl"
    template <unsigned Imm>
    static t tern(const t& a, const t& b, const t& c) {
        return tern3<Imm>(a, b, c);
    }
};

#include "kernel_tile.inl"

}  // namespace

const lutra::core::kernels::kernel_set lutra::core::kernels::portable_kernels{&evaluate_tile, &count_planes, &mux_chains, &evaluate_node,
                                                                     vec::words};
