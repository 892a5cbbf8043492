// tern<Imm> for instruction sets without vpternlog: the 3-input function is
// split on its first operand into two 2-input functions, each folded at
// compile time to at most two operations; needs vec to provide and_, or_,
// xor_, andnot (~a & b), not_, zero, ones and mux.

template <unsigned T4>
static typename vec::t fn2(typename vec::t b, typename vec::t c) {
    // Bit (b·2 + c) of T4 is the output.
    if constexpr (T4 == 0x0) return vec::zero();
    else if constexpr (T4 == 0xF) return vec::ones();
    else if constexpr (T4 == 0xA) return c;
    else if constexpr (T4 == 0xC) return b;
    else if constexpr (T4 == 0x5) return vec::not_(c);
    else if constexpr (T4 == 0x3) return vec::not_(b);
    else if constexpr (T4 == 0x8) return vec::and_(b, c);
    else if constexpr (T4 == 0xE) return vec::or_(b, c);
    else if constexpr (T4 == 0x6) return vec::xor_(b, c);
    else if constexpr (T4 == 0x9) return vec::not_(vec::xor_(b, c));
    else if constexpr (T4 == 0x2) return vec::andnot(b, c);
    else if constexpr (T4 == 0x4) return vec::andnot(c, b);
    else if constexpr (T4 == 0x1) return vec::not_(vec::or_(b, c));
    else if constexpr (T4 == 0x7) return vec::not_(vec::and_(b, c));
    else if constexpr (T4 == 0xB) return vec::not_(vec::andnot(c, b));
    else return vec::not_(vec::andnot(b, c));  // 0xD: b | ~c
}

template <unsigned Imm>
static typename vec::t tern3(typename vec::t a, typename vec::t b, typename vec::t c) {
    constexpr unsigned lo = Imm & 0xF, hi = Imm >> 4;
    if constexpr (lo == hi) return fn2<lo>(b, c);
    else if constexpr (lo == 0x0 && hi == 0xF) return a;
    else if constexpr (lo == 0xF && hi == 0x0) return vec::not_(a);
    else if constexpr (lo == 0x0) return vec::and_(a, fn2<hi>(b, c));
    else if constexpr (hi == 0x0) return vec::andnot(a, fn2<lo>(b, c));
    else return vec::mux(a, fn2<lo>(b, c), fn2<hi>(b, c));
}
