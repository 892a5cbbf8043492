// The relaxed kernels (DESIGN §4.1), written once and compiled per
// instruction set. Included only by relaxed_<isa>.cpp after that file has
// defined `vec` inside an anonymous namespace; everything here is in the same
// anonymous namespace, so it has internal linkage.
//
// A node's output y = Σ_a w_a · Π_i (p_i if bit i of a else 1 − p_i) is a
// multilinear polynomial. Its monomial coefficients c_S (the Möbius transform
// of w, computed once per call) let the Shannon tree be evaluated as nested
// Horner steps: y = A + p_{k−1} · B, where A and B are the same form in
// p_0 … p_{k−2} and B is the lerp tree's (hi − lo). So a node costs 2^k − 1
// fused multiply-adds and no subtraction (a LUT6: 63 against 94 for
// lo + p·(hi − lo) on the entries). Backward runs the same tree in reverse
// mode: the A child inherits the adjoint g, the B child gets g · p_j, dL/dp_j
// gains g · B, and each coefficient's adjoint (g times its monomial) is summed
// over the block's samples; those sums are dL/dc, which the engine turns into
// dL/dw once per call.
//
// `vec` provides: type t; lanes (floats per register); load and store
// (aligned), loadu and storeu; set1, zero, add, sub, mul, fmadd(a, b, c) =
// a·b + c; from_bits(m) (lane j = bit j of m as 0 or 1); step(v) (lane =
// v > 0.5 ? 1 : 0); gather(base, i) (lane j = base[i_j], i_j a whole number
// held as a float); pair_sums(x, y) (the first half of the lanes are the sums
// of adjacent lane pairs of x, the second half those of y); and, for H < lanes,
// mobius_step<H>(x) (lane i with bit H set: x_i − x_{i−H}, others x_i) and
// mobius_transpose_step<H>(x) (lane i with bit H clear: x_i − x_{i+H}).

using std::size_t;
using u64 = std::uint64_t;
using V = vec::t;
using lutra::core::kernels::relaxed_block;
using lutra::core::kernels::relaxed_net;
using lutra::core::kernels::no_watch;
constexpr size_t L = vec::lanes;
constexpr unsigned max_k = lutra::core::kernels::relaxed_max_k;
constexpr size_t max_entries = size_t{1} << max_k;
static_assert(max_entries >= L && 16 % L == 0, "blocks are whole 16-sample groups; lane sums take L rows at a time");
// Bottom levels of the tree evaluated together in the backward pass (4 beat
// 3 and 5 by 7–10% on AVX-512 and AVX2 here), and the samples it works on at
// a time, whose arrays (2 · 2^(k−4) registers a vector) stay within 16 KB.
constexpr unsigned slice_bits = 4;
constexpr size_t chunk_samples = 128;

// Calls f(std::integral_constant<unsigned, k>) so that each fan-in gets its
// own fully unrolled tree.
template <class F>
void with_k(unsigned k, F&& f) {
    switch (k) {
        case 1: f(std::integral_constant<unsigned, 1>{}); break;
        case 2: f(std::integral_constant<unsigned, 2>{}); break;
        case 3: f(std::integral_constant<unsigned, 3>{}); break;
        case 4: f(std::integral_constant<unsigned, 4>{}); break;
        case 5: f(std::integral_constant<unsigned, 5>{}); break;
        case 6: f(std::integral_constant<unsigned, 6>{}); break;
        case 7: f(std::integral_constant<unsigned, 7>{}); break;
        default: f(std::integral_constant<unsigned, 8>{}); break;
    }
}

// A node's input slots within one block: a node source is a float row (and a
// dy row to send its gradient to), an input source a bit row.
struct node_sources {
    const float* row[max_k];
    float* grad[max_k];
    const u64* bits[max_k];
    float* watch[max_k];  // where the slot's own dL/dp is stored, if it is watched
};

node_sources sources_of(const relaxed_block& b, std::uint32_t n) {
    const relaxed_net& net = *b.net;
    const std::uint32_t* src = net.sources + net.slot_offset[n];
    node_sources s{};
    for (unsigned i = 0; i < net.k[n]; ++i) {
        if (b.slot_dy != nullptr && net.slot_watch != nullptr) {
            const std::uint32_t r = net.slot_watch[net.slot_offset[n] + i];
            if (r != no_watch) s.watch[i] = b.slot_dy + size_t{r} * b.stride;
        }
        if (src[i] < net.num_inputs) {
            s.bits[i] = b.inputs + size_t{src[i]} * b.input_stride;
        } else {
            const size_t m = src[i] - net.num_inputs;
            s.row[i] = b.y + m * b.stride;
            if (b.dy != nullptr && m >= net.grad_floor) s.grad[i] = b.dy + m * b.stride;
        }
    }
    return s;
}

// Asks for what node n will read and write in this block ahead of use: its
// coefficients (or entries), its own row and its sources' rows. Each row is a
// short stream (a block is 1 KB of a row), rows are scattered over tens of
// megabytes at large batches, and each block walks all the coefficients
// again, so the hardware prefetchers start too late (this made the backward
// pass 10% faster at a batch of 4,096).
void prefetch_node(const relaxed_block& b, std::uint32_t n, const float* table, const float* own) {
    const relaxed_net& net = *b.net;
    constexpr size_t line = 64 / sizeof(float);
    for (size_t a = 0; a < (size_t{1} << net.k[n]); a += line) __builtin_prefetch(table + net.entry_offset[n] + a);
    for (size_t v = 0; v < b.samples; v += line) __builtin_prefetch(own + size_t{n} * b.stride + v, 1);
    const std::uint32_t* src = net.sources + net.slot_offset[n];
    for (unsigned i = 0; i < net.k[n]; ++i) {
        if (src[i] < net.num_inputs) continue;
        const size_t m = src[i] - net.num_inputs;
        for (size_t v = 0; v < b.samples; v += line) {
            __builtin_prefetch(b.y + m * b.stride + v);
            if (b.dy != nullptr) __builtin_prefetch(b.dy + m * b.stride + v, 1);
        }
    }
}

// Lanes [0, L) of slot i at block sample v. Input bits are read at any bit
// offset (a batch may start anywhere); samples at or past `valid` read 0.
V load_p(const relaxed_block& b, const node_sources& s, unsigned i, size_t v) {
    if (s.row[i] != nullptr) return vec::load(s.row[i] + v);
    if (v >= b.valid) return vec::zero();
    const size_t at = b.first_sample + v;
    const size_t word = at / 64;
    const unsigned shift = at % 64;
    u64 bits = s.bits[i][word] >> shift;
    if (shift + L > 64 && word + 1 < b.input_stride) bits |= s.bits[i][word + 1] << (64 - shift);
    const size_t left = b.valid - v < L ? b.valid - v : L;
    return vec::from_bits(static_cast<unsigned>(bits & ((u64{1} << left) - 1)));
}

// Each lane's address a = Σ [p_i > ½] · 2^i, as a float (exact: a < 2^8).
template <unsigned K>
V address(const V* p) {
    V a = vec::step(p[0]);
    for (unsigned i = 1; i < K; ++i) a = vec::fmadd(vec::step(p[i]), vec::set1(static_cast<float>(1U << i)), a);
    return a;
}

// out[i] = the sum of the L lanes of row i of a (L rows of L floats), always
// added in the same order.
void sum_lanes(const float* a, float* out) {
    V t[L];
    for (size_t i = 0; i < L; ++i) t[i] = vec::load(a + i * L);
    for (size_t n = L; n > 1; n /= 2)
        for (size_t i = 0; i < n / 2; ++i) t[i] = vec::pair_sums(t[2 * i], t[2 * i + 1]);
    vec::store(out, t[0]);
}

// ---- forward ----

// The Horner tree over coefficients c[O … O + 2^(J+1)) in p_0 … p_J.
template <int J, unsigned O>
[[gnu::always_inline]] inline V horner(const V* p, const float* c) {
    if constexpr (J == 0)
        return vec::fmadd(p[0], vec::set1(c[O + 1]), vec::set1(c[O]));
    else
        return vec::fmadd(p[J], horner<J - 1, O + (1U << J)>(p, c), horner<J - 1, O>(p, c));
}

template <unsigned K>
void multilinear_node(const relaxed_block& b, const node_sources& s, const float* c, float* out) {
    for (size_t v = 0; v < b.samples; v += L) {
        V p[K];
        for (unsigned i = 0; i < K; ++i) p[i] = load_p(b, s, i, v);
        vec::store(out + v, horner<static_cast<int>(K) - 1, 0>(p, c));
    }
}

void multilinear_forward(const relaxed_block& b) {
    const relaxed_net& net = *b.net;
    for (std::uint32_t n = net.first_node; n < net.num_nodes; ++n) {
        if (n + 1 < net.num_nodes) prefetch_node(b, n + 1, b.coefficients, b.out);
        const node_sources s = sources_of(b, n);
        const float* c = b.coefficients + net.entry_offset[n];
        float* out = b.out + size_t{n} * b.stride;
        with_k(net.k[n], [&](auto k) { multilinear_node<decltype(k)::value>(b, s, c, out); });
    }
}

template <unsigned K>
void efd_node(const relaxed_block& b, const node_sources& s, const float* w, float* out) {
    for (size_t v = 0; v < b.samples; v += L) {
        V p[K];
        for (unsigned i = 0; i < K; ++i) p[i] = load_p(b, s, i, v);
        vec::store(out + v, vec::gather(w, address<K>(p)));
    }
}

void efd_forward(const relaxed_block& b) {
    const relaxed_net& net = *b.net;
    for (std::uint32_t n = net.first_node; n < net.num_nodes; ++n) {
        if (n + 1 < net.num_nodes) prefetch_node(b, n + 1, b.w, b.out);
        const node_sources s = sources_of(b, n);
        const float* w = b.w + net.entry_offset[n];
        float* out = b.out + size_t{n} * b.stride;
        with_k(net.k[n], [&](auto k) { efd_node<decltype(k)::value>(b, s, w, out); });
    }
}

// ---- backward ----

// Reverse mode through horner<J, O> (one slice: J < slice_bits) with adjoint
// g: dp[j] += g · ∂y/∂p_j and, when Leaves, acc[S] += g · Π_{i∈S} p_i (the
// coefficient adjoints). Returns the slice's value.
template <int J, unsigned O, bool Leaves>
[[gnu::always_inline]] inline V slice_adjoint(const V* p, V g, const float* c, V* acc, V* dp) {
    if constexpr (J == 0) {
        const V c1 = vec::set1(c[O + 1]);
        if constexpr (Leaves) {
            acc[O] = vec::add(acc[O], g);
            acc[O + 1] = vec::fmadd(g, p[0], acc[O + 1]);
        }
        dp[0] = vec::fmadd(g, c1, dp[0]);
        return vec::fmadd(p[0], c1, vec::set1(c[O]));
    } else {
        const V lo = slice_adjoint<J - 1, O, Leaves>(p, g, c, acc, dp);
        const V hi = slice_adjoint<J - 1, O + (1U << J), Leaves>(p, vec::mul(g, p[J]), c, acc, dp);
        dp[J] = vec::fmadd(g, hi, dp[J]);
        return vec::fmadd(p[J], hi, lo);
    }
}

// The backward pass of one node over one block, in chunks of chunk_samples
// whose working arrays stay in L1. The tree is cut into slices: the bottom
// B ≤ slice_bits levels (2^B coefficients each) and the 2^U slices above.
// Fully unrolled, the depth-first tree kept ~80 values live and spilled
// (backward ran at 7× the forward time, now 3.5–4.5×); cut like this, each
// pass keeps its values in registers:
//   1. each slice's adjoint, top-down: slice j gets g · Π_{bit i of j} p_{B+i};
//   2. slice by slice over the chunk's vectors, its 2^B coefficient adjoints
//      summed in registers, its value and its dL/dp_0 … dL/dp_{B−1} shares;
//   3. the upper levels bottom-up from the slice values: dL/dp_{B+i}; then
//      every slot's dL/dp is added to its source's dy row.
// Efd: the slots read p̃ = ¼ + ½ · step(p), dL/dp is halved, and dL/dw goes to
// the addressed entry instead of the coefficient adjoints.
// acc: max_entries · L floats of scratch.
template <unsigned K, bool Efd>
void node_backward(const relaxed_block& b, const node_sources& s, const float* c, const float* g_row, float* acc,
                   float* grad) {
    constexpr unsigned B = K < slice_bits ? K : slice_bits;
    constexpr unsigned U = K - B;
    constexpr size_t E = size_t{1} << B;
    constexpr size_t S = size_t{1} << U;
    constexpr size_t entries = E * S;
    constexpr size_t rows = entries < L ? L : entries;  // whole groups of L rows for sum_lanes
    constexpr size_t CV = chunk_samples / L;
    const V half = vec::set1(0.5F);
    const V quarter = vec::set1(0.25F);
    if constexpr (Efd) {
        for (size_t a = 0; a < entries; ++a) acc[a] = 0.0F;
    } else {
        // The first chunk stores the coefficient adjoints, later ones add;
        // rows past the entries only pad sum_lanes.
        for (size_t i = entries * L; i < rows * L; ++i) acc[i] = 0.0F;
    }

    for (size_t v0 = 0; v0 < b.samples; v0 += chunk_samples) {
        const size_t nv = (b.samples - v0) / L < CV ? (b.samples - v0) / L : CV;
        V p[K][CV];
        V g[CV][S];
        V value[CV][S];
        V dp[CV][K];
        for (size_t u = 0; u < nv; ++u) {
            const size_t v = v0 + u * L;
            for (unsigned i = 0; i < K; ++i) {
                const V x = load_p(b, s, i, v);
                p[i][u] = Efd ? vec::fmadd(vec::step(x), half, quarter) : x;
                dp[u][i] = vec::zero();
            }
            g[u][0] = vec::load(g_row + v);
            for (unsigned i = 0; i < U; ++i)
                for (size_t j = 0; j < (size_t{1} << i); ++j)
                    g[u][j + (size_t{1} << i)] = vec::mul(g[u][j], p[B + i][u]);
        }
        for (size_t j = 0; j < S; ++j) {
            V sums[E];
            for (V& x : sums) x = vec::zero();
            for (size_t u = 0; u < nv; ++u) {
                V pu[B];
                V d[B];
                for (unsigned i = 0; i < B; ++i) {
                    pu[i] = p[i][u];
                    d[i] = dp[u][i];
                }
                value[u][j] = slice_adjoint<static_cast<int>(B) - 1, 0, !Efd>(pu, g[u][j], c + j * E, sums, d);
                for (unsigned i = 0; i < B; ++i) dp[u][i] = d[i];
            }
            if constexpr (!Efd)
                for (size_t e = 0; e < E; ++e) {
                    float* row = acc + (j * E + e) * L;
                    vec::store(row, v0 == 0 ? sums[e] : vec::add(vec::load(row), sums[e]));
                }
        }
        for (size_t u = 0; u < nv; ++u) {
            for (unsigned i = 0; i < U; ++i) {
                const size_t h = size_t{1} << i;
                for (size_t j = 0; j < S; j += 2 * h) {
                    dp[u][B + i] = vec::fmadd(g[u][j], value[u][j + h], dp[u][B + i]);
                    value[u][j] = vec::fmadd(p[B + i][u], value[u][j + h], value[u][j]);
                }
            }
            const size_t v = v0 + u * L;
            for (unsigned i = 0; i < K; ++i) {
                if (s.watch[i] != nullptr) vec::store(s.watch[i] + v, Efd ? vec::mul(dp[u][i], half) : dp[u][i]);
                if (s.grad[i] == nullptr) continue;
                const V old = vec::load(s.grad[i] + v);
                vec::store(s.grad[i] + v, Efd ? vec::fmadd(dp[u][i], half, old) : vec::add(old, dp[u][i]));
            }
            if constexpr (Efd) {
                V pu[K];
                for (unsigned i = 0; i < K; ++i) pu[i] = p[i][u];
                alignas(64) float a[L];
                vec::store(a, address<K>(pu));
                for (size_t j = 0; j < L && v + j < b.valid; ++j) acc[static_cast<size_t>(a[j])] += g_row[v + j];
            }
        }
    }
    if constexpr (Efd) {
        if (b.net->shared_entries)
            for (size_t a = 0; a < entries; ++a) grad[a] += acc[a];
        else
            for (size_t a = 0; a < entries; ++a) grad[a] = acc[a];
    } else {
        alignas(64) float sums[L];
        for (size_t r = 0; r < rows; r += L) {
            sum_lanes(acc + r * L, sums);
            for (size_t j = 0; j < L && r + j < entries; ++j)
                grad[r + j] = b.net->shared_entries ? grad[r + j] + sums[j] : sums[j];
        }
    }
}

// Nodes in reverse order: a node's dy is complete once every later node has
// added its share. Copies of one node over time share its entries, so each
// adds its sums to grad (shared_entries).
template <bool Efd>
void backward(const relaxed_block& b) {
    const relaxed_net& net = *b.net;
    alignas(64) float acc[max_entries * L];
    for (std::uint32_t n = net.num_nodes; n-- > net.grad_floor;) {
        if (n > net.grad_floor) prefetch_node(b, n - 1, b.coefficients, b.dy);
        const node_sources s = sources_of(b, n);
        const size_t offset = net.entry_offset[n];
        const float* g_row = b.dy + size_t{n} * b.stride;
        with_k(net.k[n], [&](auto k) {
            node_backward<decltype(k)::value, Efd>(b, s, b.coefficients + offset, g_row, acc, b.grad + offset);
        });
    }
}

// ---- coefficients ----

// c_S = Σ_{a ⊆ S} (−1)^{|S∖a|} w_a, one address bit h at a time, h ascending:
// the high half of every pair of halves loses the low half. The transpose,
// dL/dw_a = Σ_{S ⊇ a} (−1)^{|S∖a|} dL/dc_S, is the same with the roles
// swapped. Every instruction set makes the same subtractions in the same
// order (masked-off lanes subtract +0), so the coefficients are bit-identical;
// passes on bits below log2(L) run inside a register.
template <bool Transpose, unsigned H = 1>
V mobius_in_register(V x) {
    if constexpr (H < L)
        return mobius_in_register<Transpose, 2 * H>(Transpose ? vec::template mobius_transpose_step<H>(x)
                                                              : vec::template mobius_step<H>(x));
    else
        return x;
}

// Transforms from[0, size) into c (which may be from).
template <bool Transpose>
void mobius(const float* from, float* c, size_t size) {
    if (size < L) {  // less than one register: element by element
        for (size_t a = 0; a < size; ++a) c[a] = from[a];
        for (size_t h = 1; h < size; h *= 2)
            for (size_t a = h; a < size; a = (a + 1) | h) {
                if constexpr (Transpose)
                    c[a - h] -= c[a];
                else
                    c[a] -= c[a - h];
            }
        return;
    }
    for (size_t r = 0; r < size; r += L) vec::storeu(c + r, mobius_in_register<Transpose>(vec::loadu(from + r)));
    for (size_t h = L; h < size; h *= 2)
        for (size_t base = 0; base < size; base += 2 * h)
            for (size_t j = 0; j < h; j += L) {
                float* lo = c + base + j;
                float* hi = lo + h;
                if constexpr (Transpose)
                    vec::storeu(lo, vec::sub(vec::loadu(lo), vec::loadu(hi)));
                else
                    vec::storeu(hi, vec::sub(vec::loadu(hi), vec::loadu(lo)));
            }
}

void coefficients_from_entries(const relaxed_net& net, std::uint32_t first, std::uint32_t last, const float* w,
                               float* c) {
    for (std::uint32_t n = first; n < last; ++n) {
        const size_t offset = net.entry_offset[n];
        mobius<false>(w + offset, c + offset, size_t{1} << net.k[n]);
    }
}

void entries_from_coefficient_gradient(const relaxed_net& net, std::uint32_t first, std::uint32_t last, float* g) {
    for (std::uint32_t n = first; n < last; ++n) {
        float* gn = g + net.entry_offset[n];
        mobius<true>(gn, gn, size_t{1} << net.k[n]);
    }
}

constexpr lutra::core::kernels::relaxed_kernel_set relaxed_set{&coefficients_from_entries,
                                                               &entries_from_coefficient_gradient,
                                                               &multilinear_forward,
                                                               &backward<false>,
                                                               &efd_forward,
                                                               &backward<true>};
