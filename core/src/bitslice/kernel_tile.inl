// The bit-sliced tile evaluator, written once and compiled per instruction set.
// Included only by kernel_<isa>.cpp, after that file has defined `vec` (the
// register type and its operations) inside an anonymous namespace; everything
// here is in the same anonymous namespace, so it has internal linkage.
//
// A node is a Shannon mux tree over its input planes, evaluated one register
// of samples at a time. Its bottom two levels (slots 0 and 1) are folded: for
// each register the 16 functions of (x0, x1) are computed once, each with one
// operation whose immediate is fixed at compile time, into a small table in
// L1; each 4-bit slice of the node's table then picks one of them by address,
// a leaf on slot 2 is one mux of two picks, and slots 3, 4, 5 are muxes. So a
// LUT6 costs 14 + 8 + 7 register operations and no data-dependent branch.
// (The tree with 3-input vpternlog leaves, dispatched through a table of the
// 256 immediates, measured 1.65e10 LUT6/s against this one's 2.1e10 on one
// AVX-512 core: it must store and re-read every leaf plane.) Slots 6 … 15
// combine LUT6 chunks of a larger table.
//
// `vec` provides: type t; words (64-bit words per register); load, store,
// and_, xor_, any (some bit set), mux(s, lo, hi) = s ? hi : lo, and
// tern<imm>(a, b, c) whose bit is imm[(a << 2) | (b << 1) | c].

using u64 = std::uint64_t;
using std::size_t;

// The functions of (x0, x1) a 4-bit table slice can name: slice bit
// (x1·2 + x0) is the output. 0 and 15 are constants, stored once per call.
template <size_t... N>
void store_pair_functions(typename vec::t x1, typename vec::t x0, u64* f, std::index_sequence<N...>) {
    (vec::store(f + (N + 1) * vec::words, vec::template tern<((N + 1) | ((N + 1) << 4))>(x1, x1, x0)), ...);
}

void store_constant_functions(u64* f) {
    for (size_t i = 0; i < vec::words; ++i) {
        f[i] = 0;
        f[15 * vec::words + i] = ~u64{0};
    }
}

// A node with 2 ≤ K ≤ 6 inputs x[0..K) and table word t (bits ≥ 2^K zero);
// f is the 16-register function table.
template <unsigned K>
void eval_small(const u64* const* x, u64 t, size_t words, u64* f, u64* out) {
    constexpr unsigned slices = 1U << (K - 2);
    size_t pick[slices];
    for (unsigned j = 0; j < slices; ++j) pick[j] = ((t >> (4 * j)) & 0xF) * vec::words;
    for (size_t w = 0; w < words; w += vec::words) {
        store_pair_functions(vec::load(x[1] + w), vec::load(x[0] + w), f, std::make_index_sequence<14>{});
        auto slice = [&](unsigned j) { return vec::load(f + pick[j]); };
        if constexpr (K == 2) {
            vec::store(out + w, slice(0));
        } else {
            const auto x2 = vec::load(x[2] + w);
            auto leaf = [&](unsigned j) { return vec::mux(x2, slice(2 * j), slice(2 * j + 1)); };
            if constexpr (K == 3) {
                vec::store(out + w, leaf(0));
            } else {
                const auto x3 = vec::load(x[3] + w);
                const auto a = vec::mux(x3, leaf(0), leaf(1));
                if constexpr (K == 4) {
                    vec::store(out + w, a);
                } else {
                    const auto x4 = vec::load(x[4] + w);
                    const auto b = vec::mux(x4, a, vec::mux(x3, leaf(2), leaf(3)));
                    if constexpr (K == 5) {
                        vec::store(out + w, b);
                    } else {
                        const auto c = vec::mux(x4, vec::mux(x3, leaf(4), leaf(5)), vec::mux(x3, leaf(6), leaf(7)));
                        vec::store(out + w, vec::mux(vec::load(x[5] + w), b, c));
                    }
                }
            }
        }
    }
}

void eval_lut6(unsigned k, const u64* const* x, u64 t, size_t words, u64* f, u64* out) {
    switch (k) {
        case 1: {
            // Slot 0 alone: the same function of (x0, x0).
            const u64* xx[2] = {x[0], x[0]};
            eval_small<2>(xx, (t & 3) | ((t & 3) << 2), words, f, out);
            break;
        }
        case 2: eval_small<2>(x, t, words, f, out); break;
        case 3: eval_small<3>(x, t, words, f, out); break;
        case 4: eval_small<4>(x, t, words, f, out); break;
        case 5: eval_small<5>(x, t, words, f, out); break;
        default: eval_small<6>(x, t, words, f, out); break;
    }
}

void mux_planes(const u64* s, const u64* lo, const u64* hi, u64* out, size_t words) {
    for (size_t w = 0; w < words; w += vec::words)
        vec::store(out + w, vec::mux(vec::load(s + w), vec::load(lo + w), vec::load(hi + w)));
}

// Address bits bit … 6 of a k > 6 node: Shannon-split on slot `bit`, the two
// halves being the sub-tables of chunks [chunk, chunk + 2^(bit-6)) and the next
// as many. temps[b - 6] holds the low half of level b while the high half is built.
void eval_large(unsigned bit, size_t chunk, const u64* const* x, const u64* table, size_t words, u64* f, u64* temps,
                u64* out) {
    if (bit < 6) {
        eval_small<6>(x, table[chunk], words, f, out);
        return;
    }
    u64* low = temps + (bit - 6) * words;
    eval_large(bit - 1, chunk, x, table, words, f, temps, low);
    eval_large(bit - 1, chunk + (size_t{1} << (bit - 6)), x, table, words, f, temps, out);
    mux_planes(x[bit], low, out, out, words);
}

void evaluate_tile(const lutra::core::kernels::tile_job& job) {
    namespace kernels = lutra::core::kernels;
    const u64* x[16];
    const std::uint32_t* src = job.sources;
    const std::uint32_t* delay = job.delays;
    const u64* table = job.tables;
    u64* f = job.scratch;
    u64* temps = job.scratch + kernels::function_table_words;
    store_constant_functions(f);
    const auto plane = [&job](std::uint32_t id, std::uint32_t d) -> const u64* {
        if (d != 0) return job.delayed_frames[d] + size_t{id} * job.plane_stride;
        return id < job.num_inputs ? job.inputs + id * job.input_stride
                                   : job.planes + (id - job.num_inputs) * job.plane_stride;
    };
    // A timed network reads planes scattered over many frames, most of them
    // out of cache: the planes of the node `ahead` nodes on are prefetched
    // (measured on 100,000 LUT6 with delays up to 16, 512 streams: 1.3–1.8× the ticks/s).
    constexpr std::uint32_t ahead = 16;
    const std::uint32_t* ahead_src = src;
    const std::uint32_t* ahead_delay = delay;
    std::uint32_t ahead_node = 0;
    const auto prefetch_next = [&] {
        if (ahead_node >= job.num_nodes) return;
        const unsigned k = job.k[ahead_node];
        for (unsigned s = 0; s < k; ++s) __builtin_prefetch(plane(ahead_src[s], ahead_delay[s]));
        ahead_src += k;
        ahead_delay += k;
        ++ahead_node;
    };
    if (delay != nullptr)
        for (std::uint32_t i = 0; i < ahead; ++i) prefetch_next();
    for (std::uint32_t n = 0; n < job.num_nodes; ++n) {
        const unsigned k = job.k[n];
        if (delay != nullptr) {
            prefetch_next();
            for (unsigned s = 0; s < k; ++s) x[s] = plane(src[s], delay[s]);
        } else {
            for (unsigned s = 0; s < k; ++s) x[s] = plane(src[s], 0);
        }
        u64* out = job.planes + size_t{n} * job.plane_stride;
        if (k <= 6)
            eval_lut6(k, x, table[0], job.words, f, out);
        else
            eval_large(k - 1, 0, x, table, job.words, f, temps, out);
        src += k;
        if (delay != nullptr) delay += k;
        table += k <= 6 ? 1 : size_t{1} << (k - 6);
    }
}

void evaluate_node(unsigned k, const u64* const* x, const u64* table, size_t words, u64* scratch, u64* out) {
    namespace kernels = lutra::core::kernels;
    store_constant_functions(scratch);
    if (k <= 6)
        eval_lut6(k, x, table[0], words, scratch, out);
    else
        eval_large(k - 1, 0, x, table, words, scratch, scratch + kernels::function_table_words, out);
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
