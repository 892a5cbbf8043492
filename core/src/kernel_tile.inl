// The bit-sliced tile evaluator, written once and compiled per instruction set.
// Included only by kernel_<isa>.cpp, after that file has defined `vec` (the
// register type and its operations) inside an anonymous namespace; everything
// here is in the same anonymous namespace, so it has internal linkage.
//
// A node is a Shannon mux tree over its input planes. The bottom three address
// bits (slots 0, 1, 2) are folded: each 8-bit slice of the table is one
// 3-input function of those planes, evaluated by a kernel specialised for that
// byte (one vpternlog on AVX-512; a folded expression elsewhere). The 256
// specialisations sit in a function table, so one indirect call covers a whole
// tile of vectors. Slots 3, 4, 5 are muxes; slots 6 … 15 combine LUT6 chunks.
//
// `vec` provides: type t; words (64-bit words per register); load, store,
// and_, xor_, any (some bit set), mux(s, lo, hi) = s ? hi : lo, and
// tern<imm>(a, b, c) whose bit is imm[(a << 2) | (b << 1) | c].

using u64 = std::uint64_t;
using std::size_t;

// out = f(x0, x1, x2) where table byte bit (x2·4 + x1·2 + x0) is the output.
using leaf_fn = void (*)(const u64* x0, const u64* x1, const u64* x2, u64* out, size_t words);

template <unsigned Byte>
void leaf(const u64* x0, const u64* x1, const u64* x2, u64* out, size_t words) {
    for (size_t w = 0; w < words; w += vec::words)
        vec::store(out + w, vec::template tern<Byte>(vec::load(x2 + w), vec::load(x1 + w), vec::load(x0 + w)));
}

// A plain array in this file's anonymous namespace, not std::array, whose
// member functions would have external linkage (see kernel_abi.hpp).
struct leaf_fn_table {
    leaf_fn at[256];
};
template <size_t... Bytes>
constexpr leaf_fn_table make_leaf_table(std::index_sequence<Bytes...>) {
    return {{&leaf<static_cast<unsigned>(Bytes)>...}};
}
constexpr leaf_fn_table leaf_table = make_leaf_table(std::make_index_sequence<256>{});

// Combine 2^(K-3) leaf planes with the mux levels of slots 3 … K-1 into out.
template <unsigned K>
void combine(const u64* const* x, const u64* leaves, size_t words, u64* out) {
    static_assert(K >= 4 && K <= 6);
    for (size_t w = 0; w < words; w += vec::words) {
        auto leaf_at = [&](size_t j) { return vec::load(leaves + j * words + w); };
        const auto x3 = vec::load(x[3] + w);
        if constexpr (K == 4) {
            vec::store(out + w, vec::mux(x3, leaf_at(0), leaf_at(1)));
        } else {
            const auto x4 = vec::load(x[4] + w);
            const auto m0 = vec::mux(x4, vec::mux(x3, leaf_at(0), leaf_at(1)), vec::mux(x3, leaf_at(2), leaf_at(3)));
            if constexpr (K == 5) {
                vec::store(out + w, m0);
            } else {
                const auto m1 =
                    vec::mux(x4, vec::mux(x3, leaf_at(4), leaf_at(5)), vec::mux(x3, leaf_at(6), leaf_at(7)));
                vec::store(out + w, vec::mux(vec::load(x[5] + w), m0, m1));
            }
        }
    }
}

// A node with k ≤ 6 inputs x[0..k) and table word t (bits ≥ 2^k zero).
void eval_small(unsigned k, const u64* const* x, u64 t, size_t words, u64* leaves, u64* out) {
    if (k <= 3) {
        // Repeat the table so the unused slots (read as slot 0) do not matter.
        if (k == 1) t |= t << 2;
        if (k <= 2) t |= t << 4;
        const u64* x1 = k >= 2 ? x[1] : x[0];
        const u64* x2 = k >= 3 ? x[2] : x[0];
        leaf_table.at[t & 0xFF](x[0], x1, x2, out, words);
        return;
    }
    const unsigned n_leaves = 1U << (k - 3);
    for (unsigned j = 0; j < n_leaves; ++j) leaf_table.at[(t >> (8 * j)) & 0xFF](x[0], x[1], x[2], leaves + j * words, words);
    switch (k) {
        case 4: combine<4>(x, leaves, words, out); break;
        case 5: combine<5>(x, leaves, words, out); break;
        default: combine<6>(x, leaves, words, out); break;
    }
}

void mux_planes(const u64* s, const u64* lo, const u64* hi, u64* out, size_t words) {
    for (size_t w = 0; w < words; w += vec::words)
        vec::store(out + w, vec::mux(vec::load(s + w), vec::load(lo + w), vec::load(hi + w)));
}

// Address bits bit … 6 of a k > 6 node: Shannon-split on slot `bit`, the two
// halves being the sub-tables of chunks [chunk, chunk + 2^(bit-6)) and the next
// as many. temps[b - 6] holds the low half of level b while the high half is built.
void eval_large(unsigned bit, size_t chunk, const u64* const* x, const u64* table, size_t words, u64* leaves,
                u64* temps, u64* out) {
    if (bit < 6) {
        eval_small(6, x, table[chunk], words, leaves, out);
        return;
    }
    u64* low = temps + (bit - 6) * words;
    eval_large(bit - 1, chunk, x, table, words, leaves, temps, low);
    eval_large(bit - 1, chunk + (size_t{1} << (bit - 6)), x, table, words, leaves, temps, out);
    mux_planes(x[bit], low, out, out, words);
}

void evaluate_tile(const lutra::core::kernels::tile_job& job) {
    const u64* x[16];
    const std::uint32_t* src = job.sources;
    const u64* table = job.tables;
    u64* leaves = job.scratch;
    u64* temps = job.scratch + 8 * job.words;
    for (std::uint32_t n = 0; n < job.num_nodes; ++n) {
        const unsigned k = job.k[n];
        for (unsigned s = 0; s < k; ++s) {
            const std::uint32_t id = src[s];
            x[s] = id < job.num_inputs ? job.inputs + id * job.input_stride
                                       : job.planes + (id - job.num_inputs) * job.plane_stride;
        }
        u64* out = job.planes + size_t{n} * job.plane_stride;
        if (k <= 6)
            eval_small(k, x, table[0], job.words, leaves, out);
        else
            eval_large(k - 1, 0, x, table, job.words, leaves, temps, out);
        src += k;
        table += k <= 6 ? 1 : size_t{1} << (k - 6);
    }
}

// The group-sum head's popcounts, bit-sliced: adds the planes rows[0..n) into
// vertical binary counters — bit s of counters[b · words + w·64 …] is bit b of
// sample s's count. Carries ripple only while some sample still carries.
void count_planes(const u64* const* rows, size_t n, size_t words, u64* counters, unsigned bits) {
    for (size_t w = 0; w < words; w += vec::words) {
        for (size_t j = 0; j < n; ++j) {
            auto carry = vec::load(rows[j] + w);
            for (unsigned b = 0; b < bits && vec::any(carry); ++b) {
                u64* counter = counters + b * words + w;
                const auto c = vec::load(counter);
                vec::store(counter, vec::xor_(c, carry));
                carry = vec::and_(c, carry);
            }
        }
    }
}

// Peak probe: `chains` independent mux chains in registers, no memory traffic;
// the caller times it to learn how many muxes per second this core can issue.
std::uint64_t mux_chains(std::uint64_t iterations, std::uint64_t seed) {
    constexpr int chains = 16;
    alignas(64) u64 init[3][vec::words];
    for (size_t i = 0; i < vec::words; ++i) {
        init[0][i] = seed * 0x9e3779b97f4a7c15ULL + i;
        init[1][i] = ~init[0][i] * 3;
        init[2][i] = init[0][i] ^ 0x5555555555555555ULL;
    }
    const auto s = vec::load(init[0]);
    const auto hi = vec::load(init[1]);
    typename vec::t acc[chains];
    for (int c = 0; c < chains; ++c) acc[c] = vec::load(init[2]);
    // Fully unrolled so the accumulators live in registers.
    for (std::uint64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 16
        for (int c = 0; c < chains; ++c) acc[c] = vec::mux(s, acc[c], hi);
    }
    u64 digest = 0;
    alignas(64) u64 out[vec::words];
    for (int c = 0; c < chains; ++c) {
        vec::store(out, acc[c]);
        for (size_t i = 0; i < vec::words; ++i) digest += out[i];
    }
    return digest;
}
