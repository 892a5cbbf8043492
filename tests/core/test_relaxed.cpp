#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/reference.hpp"
#include "lutra/core/relaxed.hpp"
#include "support/random_bits.hpp"
#include "support/tolerance.hpp"

using namespace lutra;
using namespace lutra::core;

using lutra::test::close;
using lutra::test::random_inputs;

namespace {

using activations = relaxed_engine::activations;

// Layers of nodes with fan-in between k_min and k_max; each slot draws from
// the inputs and every node of earlier layers (repeats included), so sources
// mix input bits, skip connections and aliased slots.
network layered_network(unsigned k_min, unsigned k_max, std::uint32_t inputs, std::vector<std::uint32_t> layers,
                        std::uint64_t seed) {
    network_arrays a;
    a.num_inputs = inputs;
    const counter_rng rng(seed, "test.relaxed.network");
    std::uint32_t n = 0;
    for (const std::uint32_t size : layers) {
        const std::uint32_t before = n;  // nodes of earlier layers
        for (std::uint32_t j = 0; j < size; ++j, ++n) {
            const counter_rng node = rng.fork(n);
            const unsigned k = k_min + static_cast<unsigned>(node.below(0, k_max - k_min + 1));
            a.k.push_back(static_cast<std::uint8_t>(k));
            for (unsigned s = 0; s < k; ++s)
                a.sources.push_back(static_cast<std::uint32_t>(node.below(1 + s, inputs + before)));
            for (std::size_t w = 0; w < table_words(k); ++w)
                a.tables.push_back(k < 6 ? node.at(100 + w) & ((std::uint64_t{1} << (1U << k)) - 1) : node.at(100 + w));
        }
    }
    return network(std::move(a));
}

std::vector<float> random_entries(std::size_t n, std::uint64_t seed) {
    std::vector<float> w(n);
    const counter_rng rng(seed, "test.relaxed.entries");
    for (std::size_t i = 0; i < n; ++i) w[i] = static_cast<float>(0.05 + 0.9 * rng.uniform(i));
    return w;
}

std::vector<isa> supported_isas() {
    std::vector<isa> r;
    for (isa set : all_isas) {
        if (relaxed_engine_supports(set))
            r.push_back(set);
        else
            MESSAGE("skipping ", to_string(set), ": not supported by this processor");
    }
    return r;
}

// The relaxation as the brief defines it, in double: the Shannon tree with
// lerp(lo, hi, p_i) = lo + p_i · (hi − lo) in place of each mux, slot 0 at the
// bottom, node after node; `bump` is added to node bump_node's output at
// sample bump_sample (for finite differences of dL/dy).
struct reference_model {
    const network& net;
    const bit_matrix& inputs;
    std::size_t first;
    std::size_t count;

    std::vector<double> forward(const std::vector<double>& w, std::uint32_t bump_node = UINT32_MAX,
                                std::size_t bump_sample = 0, double bump = 0) const {
        const std::vector<std::size_t> offsets = entry_offsets(net);
        std::vector<double> y(std::size_t{net.num_nodes()} * count), tree;
        for (std::size_t s = 0; s < count; ++s) {
            for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
                const auto src = net.sources(n);
                tree.assign(w.begin() + static_cast<std::ptrdiff_t>(offsets[n]),
                            w.begin() + static_cast<std::ptrdiff_t>(offsets[n + 1]));
                for (unsigned i = 0; i < src.size(); ++i) {
                    const double p = src[i] < net.num_inputs() ? (inputs.get(src[i], first + s) ? 1.0 : 0.0)
                                                               : y[(src[i] - net.num_inputs()) * count + s];
                    for (std::size_t m = 0; m < tree.size() / 2; ++m)
                        tree[m] = tree[2 * m] + p * (tree[2 * m + 1] - tree[2 * m]);
                    tree.resize(tree.size() / 2);
                }
                y[n * count + s] = tree[0] + (n == bump_node && s == bump_sample ? bump : 0.0);
            }
        }
        return y;
    }

    // L = Σ r · y over every node and sample.
    double loss(const std::vector<double>& r, const std::vector<double>& w, std::uint32_t bump_node = UINT32_MAX,
                std::size_t bump_sample = 0, double bump = 0) const {
        const std::vector<double> y = forward(w, bump_node, bump_sample, bump);
        double l = 0;
        for (std::size_t i = 0; i < y.size(); ++i) l += r[i] * y[i];
        return l;
    }
};

}  // namespace

TEST_CASE("relaxed: gradients match central finite differences for k = 1..8") {
    for (unsigned k = 1; k <= 8; ++k) {
        CAPTURE(k);
        // Layer 1 reads input bits, layer 2 reads layer 1's fractional outputs.
        const network net = layered_network(k, k, 7, {6, 4}, 40 + k);
        const bit_matrix inputs = random_inputs(7, 60, k);
        const std::size_t first = 5;
        const std::size_t count = 53;  // two blocks of 32, the second partly padding
        const std::vector<float> w = random_entries(entry_offsets(net).back(), k);
        const std::vector<double> wd(w.begin(), w.end());
        const reference_model model{net, inputs, first, count};

        // The loss reads the last layer and one hidden node directly.
        std::vector<double> r(std::size_t{net.num_nodes()} * count, 0.0);
        const counter_rng rng(k, "test.relaxed.loss");
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
            if (n >= 6 || n == 2)
                for (std::size_t s = 0; s < count; ++s) r[n * count + s] = rng.uniform(n * count + s) - 0.5;

        for (isa set : supported_isas()) {
            CAPTURE(to_string(set));
            const relaxed_engine engine(net, {.instruction_set = set, .block_samples = 32});
            activations y;
            engine.forward(inputs, first, count, w, y);
            const std::vector<double> yd = model.forward(wd);
            for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
                for (std::size_t s = 0; s < count; ++s) CHECK(close(y.node(n)[s], yd[n * count + s], 1e-5));

            activations dy(net.num_nodes(), count);
            for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
                for (std::size_t s = 0; s < count; ++s) dy.node(n)[s] = static_cast<float>(r[n * count + s]);
            std::vector<float> grad(w.size(), 0.0F);
            engine.backward(inputs, first, count, w, y, dy, grad);

            const double h = 1e-3;
            const std::size_t step = k <= 6 ? 1 : 7;  // the reference is slow at 2^k · k per node and sample
            for (std::size_t e = 0; e < w.size(); e += step) {
                std::vector<double> plus = wd, minus = wd;
                plus[e] += h;
                minus[e] -= h;
                const double fd = (model.loss(r, plus) - model.loss(r, minus)) / (2 * h);
                CAPTURE(e);
                CHECK(close(grad[e], fd, 1e-4));
            }
            // dL/dy of every node (dL/dp of the slots reading it, plus its direct share).
            for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
                for (std::size_t s = 0; s < count; s += 3) {
                    const double fd = (model.loss(r, wd, n, s, h) - model.loss(r, wd, n, s, -h)) / (2 * h);
                    CAPTURE(n);
                    CAPTURE(s);
                    CHECK(close(dy.node(n)[s], fd, 1e-4));
                }
            }
        }
    }
}

TEST_CASE("relaxed: binary inputs and hardened entries give the hard output exactly, k = 1..8") {
    for (unsigned k = 1; k <= 8; ++k) {
        CAPTURE(k);
        const network net = layered_network(k == 1 ? 1 : k - 1, k, 11, {12, 10, 8}, 70 + k);
        const std::vector<float> soft = random_entries(entry_offsets(net).back(), 100 + k);
        const network hard = harden(net, soft);
        const std::vector<float> w = table_entries(hard);
        for (std::size_t samples : {1UL, 37UL, 100UL, 517UL}) {
            const bit_matrix inputs = random_inputs(11, samples + 3, samples + k);
            const bit_matrix expected = reference_evaluate(hard, inputs);
            for (std::size_t first : {0UL, 3UL}) {
                for (isa set : supported_isas()) {
                    CAPTURE(samples);
                    CAPTURE(first);
                    CAPTURE(to_string(set));
                    const relaxed_engine engine(net, {.instruction_set = set, .block_samples = 48});
                    activations y;
                    engine.forward(inputs, first, samples, w, y);
                    REQUIRE(y.samples() == samples);
                    std::size_t wrong = 0;
                    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
                        for (std::size_t s = 0; s < samples; ++s)
                            wrong += y.node(n)[s] != (expected.get(n, first + s) ? 1.0F : 0.0F);
                    CHECK(wrong == 0);
                }
            }
        }
    }
}

TEST_CASE("relaxed: instruction sets agree; 1 and 2 threads give identical bits") {
    const network net = random_network({.num_inputs = 64, .nodes = 300, .layers = 3, .k = 6, .num_classes = 10}, 3);
    const bit_matrix inputs = random_inputs(64, 1100, 8);
    const std::size_t first = 37;
    const std::size_t count = 1000;
    const std::vector<float> w = random_entries(entry_offsets(net).back(), 9);
    const counter_rng rng(4, "test.relaxed.head");

    for (const char* relaxation : {"multilinear", "efd"}) {
        CAPTURE(relaxation);
        std::vector<activations> forward_by_isa;
        std::vector<std::vector<float>> grad_by_isa;
        for (isa set : supported_isas()) {
            CAPTURE(to_string(set));
            activations y[2], dy[2];
            std::vector<float> grad[2];
            for (unsigned t = 0; t < 2; ++t) {
                const relaxed_engine engine(
                    net, {.instruction_set = set, .threads = t + 1, .block_samples = 64, .relaxation = relaxation});
                engine.forward(inputs, first, count, w, y[t]);
                dy[t] = activations(net.num_nodes(), count);
                for (const std::uint32_t n : net.head().outputs)
                    for (std::size_t s = 0; s < count; ++s)
                        dy[t].node(n)[s] = static_cast<float>(rng.uniform(n * count + s) - 0.5);
                grad[t].assign(w.size(), 0.0F);
                engine.backward(inputs, first, count, w, y[t], dy[t], grad[t]);
            }
            bool same = grad[0] == grad[1];
            for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
                same = same && std::ranges::equal(y[0].node(n), y[1].node(n));
                same = same && std::ranges::equal(dy[0].node(n), dy[1].node(n));
            }
            CHECK(same);
            forward_by_isa.push_back(y[0]);
            grad_by_isa.push_back(grad[0]);
        }
        for (std::size_t i = 1; i < forward_by_isa.size(); ++i) {
            float worst = 0;
            for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
                for (std::size_t s = 0; s < count; ++s)
                    worst = std::max(worst, std::abs(forward_by_isa[i].node(n)[s] - forward_by_isa[0].node(n)[s]));
            CHECK(worst <= 1e-6F);
            std::size_t far = 0;
            for (std::size_t e = 0; e < w.size(); ++e) far += !close(grad_by_isa[i][e], grad_by_isa[0][e], 1e-4);
            CHECK(far == 0);
        }
    }
}

TEST_CASE("relaxed: efd is the hard lookup forward; dL/dw at addressed entries, dL/dp by DWN's formula") {
    const unsigned k = 4;
    const network net = layered_network(k, k, 9, {8, 5}, 12);
    const bit_matrix inputs = random_inputs(9, 90, 6);
    const std::size_t count = 83;
    const std::vector<float> w = random_entries(entry_offsets(net).back(), 13);
    const std::vector<std::size_t> offsets = entry_offsets(net);
    for (isa set : supported_isas()) {
        CAPTURE(to_string(set));
        const relaxed_engine engine(net, {.instruction_set = set, .block_samples = 32, .relaxation = "efd"});
        CHECK(engine.relaxation() == "efd");
        activations y;
        engine.forward(inputs, 0, count, w, y);
        auto slot_bit = [&](std::uint32_t id, std::size_t s) {
            return id < net.num_inputs() ? inputs.get(id, s) : y.node(id - net.num_inputs())[s] > 0.5F;
        };
        auto address = [&](std::uint32_t n, std::size_t s) {
            unsigned a = 0;
            const auto src = net.sources(n);
            for (unsigned i = 0; i < src.size(); ++i) a |= static_cast<unsigned>(slot_bit(src[i], s)) << i;
            return a;
        };
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
            for (std::size_t s = 0; s < count; ++s) CHECK(y.node(n)[s] == w[offsets[n] + address(n, s)]);

        activations dy(net.num_nodes(), count);
        for (std::uint32_t n = 8; n < net.num_nodes(); ++n)
            for (std::size_t s = 0; s < count; ++s) dy.node(n)[s] = static_cast<float>((n * 7 + s * 3) % 11) - 5.0F;
        activations direct = dy;
        std::vector<float> grad(w.size(), 0.0F);
        engine.backward(inputs, 0, count, w, y, dy, grad);

        // dL/dw: Σ of each node's final dL/dy over the samples addressing the entry; zero elsewhere.
        std::vector<double> expected_grad(w.size(), 0.0);
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
            for (std::size_t s = 0; s < count; ++s) expected_grad[offsets[n] + address(n, s)] += dy.node(n)[s];
        for (std::size_t e = 0; e < w.size(); ++e) {
            CAPTURE(e);
            if (expected_grad[e] == 0.0) CHECK(grad[e] == 0.0F);
            CHECK(close(grad[e], expected_grad[e], 1e-5));
        }

        // dL/dp by the formula as DWN states it: α Σ_a' ±w_a' β^H(a, a' without bit i).
        const double alpha = 0.5 * std::pow(0.75, k - 1);
        const double beta = 1.0 / 3.0;
        std::vector<double> expected_dy(std::size_t{net.num_nodes()} * count);
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
            for (std::size_t s = 0; s < count; ++s) expected_dy[n * count + s] = direct.node(n)[s];
        for (std::uint32_t n = net.num_nodes(); n-- > 0;) {
            const auto src = net.sources(n);
            for (std::size_t s = 0; s < count; ++s) {
                const unsigned a = address(n, s);
                for (unsigned i = 0; i < k; ++i) {
                    if (src[i] < net.num_inputs()) continue;
                    double d = 0;
                    for (unsigned b = 0; b < (1U << k); ++b) {
                        const int distance = std::popcount((a ^ b) & ~(1U << i));
                        d += ((b >> i) & 1U ? 1 : -1) * w[offsets[n] + b] * alpha * std::pow(beta, distance);
                    }
                    expected_dy[(src[i] - net.num_inputs()) * count + s] += expected_dy[n * count + s] * d;
                }
            }
        }
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
            for (std::size_t s = 0; s < count; ++s) CHECK(close(dy.node(n)[s], expected_dy[n * count + s], 1e-5));
    }
}

TEST_CASE("relaxed: watched slots report the dL/dp their source receives, input slots too, every instruction set") {
    // A node's dy is its direct gradient (0 off the head) plus what every
    // slot reading it sent; with every slot watched the two sides must agree.
    const network net = layered_network(1, 8, 20, {12, 12, 10}, 31);
    const bit_matrix inputs = random_inputs(20, 90, 5);
    const std::size_t first = 3, count = 70;
    const std::vector<float> w = random_entries(entry_offsets(net).back(), 2);
    std::vector<std::uint32_t> watched(net.num_slots());
    for (std::uint32_t i = 0; i < watched.size(); ++i) watched[i] = static_cast<std::uint32_t>(watched.size() - 1 - i);
    for (const char* relaxation : {"multilinear", "efd"})
        for (isa set : supported_isas()) {
            CAPTURE(relaxation);
            CAPTURE(to_string(set));
            const relaxed_engine engine(net, {.instruction_set = set, .threads = 2, .block_samples = 32,
                                              .relaxation = relaxation, .watched_slots = watched});
            activations y, dy(net.num_nodes(), count), slot_dy;
            engine.forward(inputs, first, count, w, y);
            const counter_rng rng(6, "test.relaxed.watched");
            // A direct gradient on every node, as if each were an output.
            for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
                for (std::size_t s = 0; s < count; ++s) dy.node(n)[s] = static_cast<float>(rng.uniform(n * count + s) - 0.5);
            const activations direct = dy;
            std::vector<float> grad(w.size(), 0.0F);
            engine.backward(inputs, first, count, w, y, dy, grad, &slot_dy);
            REQUIRE(slot_dy.nodes() == net.num_slots());
            std::vector<double> received(std::size_t{net.num_nodes()} * count, 0.0);
            bool input_slots_nonzero = false;
            for (std::uint32_t r = 0; r < watched.size(); ++r) {
                const std::uint32_t source = net.arrays().sources[watched[r]];
                for (std::size_t s = 0; s < count; ++s) {
                    if (source < net.num_inputs())
                        input_slots_nonzero = input_slots_nonzero || slot_dy.node(r)[s] != 0.0F;
                    else
                        received[(source - net.num_inputs()) * count + s] += slot_dy.node(r)[s];
                }
            }
            CHECK(input_slots_nonzero);
            std::size_t far = 0, moved = 0;
            for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
                for (std::size_t s = 0; s < count; ++s)
                {
                    far += !close(dy.node(n)[s], static_cast<float>(direct.node(n)[s] + received[n * count + s]), 1e-4);
                    moved += received[n * count + s] != 0.0;
                }
            CHECK(far == 0);
            CHECK(moved > net.num_nodes() * count / 2);
        }
    CHECK_THROWS_WITH_AS((void)relaxed_engine(net, {.watched_slots = {0, 0}}), doctest::Contains("listed twice"),
                         lutra::error);
}

TEST_CASE("relaxed: backward adds to grad_w; an empty batch does nothing") {
    const network net = layered_network(3, 5, 6, {5, 3}, 2);
    const bit_matrix inputs = random_inputs(6, 40, 1);
    const std::vector<float> w = random_entries(entry_offsets(net).back(), 3);
    const relaxed_engine engine(net);
    activations y;
    engine.forward(inputs, 0, 40, w, y);
    activations dy(net.num_nodes(), 40);
    for (std::size_t s = 0; s < 40; ++s) dy.node(7)[s] = 1.0F;
    const activations head = dy;
    std::vector<float> once(w.size(), 0.0F);
    engine.backward(inputs, 0, 40, w, y, dy, once);
    std::vector<float> twice = once;
    dy = head;
    engine.backward(inputs, 0, 40, w, y, dy, twice);
    for (std::size_t e = 0; e < w.size(); ++e) CHECK(twice[e] == 2 * once[e]);

    activations empty;
    engine.forward(inputs, 40, 0, w, empty);
    CHECK(empty.samples() == 0);
    CHECK(empty.nodes() == net.num_nodes());
    engine.backward(inputs, 40, 0, w, empty, empty, twice);
}

TEST_CASE("relaxed: entries, hardening and the sigmoid helpers") {
    const network net = layered_network(1, 8, 5, {10}, 4);
    const std::vector<std::size_t> offsets = entry_offsets(net);
    const relaxed_engine engine(net);
    REQUIRE(offsets.size() == net.num_nodes() + 1);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        CHECK(engine.entry_offset(n) == offsets[n]);
        CHECK(offsets[n + 1] - offsets[n] == (std::size_t{1} << net.k(n)));
    }
    CHECK(engine.num_entries() == offsets.back());
    CHECK(harden(net, table_entries(net)).arrays().tables == net.arrays().tables);

    const std::vector<float> theta = {-100.0F, -2.0F, 0.0F, 0.5F, 3.0F, 100.0F};
    std::vector<float> w(theta.size()), grad_theta(theta.size());
    sigmoid(theta, w);
    for (std::size_t i = 0; i < theta.size(); ++i)
        CHECK(w[i] == doctest::Approx(1 / (1 + std::exp(-double(theta[i])))));
    const std::vector<float> grad_w = {1.0F, 2.0F, 3.0F, -1.0F, 0.5F, 1.0F};
    sigmoid_backward(w, grad_w, grad_theta);
    for (std::size_t i = 0; i < theta.size(); ++i) {
        const double h = 1e-3, t = theta[i];
        const double fd = (1 / (1 + std::exp(-(t + h))) - 1 / (1 + std::exp(-(t - h)))) / (2 * h);
        CHECK(grad_theta[i] == doctest::Approx(grad_w[i] * fd).epsilon(1e-4));
    }
    CHECK_THROWS_AS(sigmoid(theta, std::span<float>(w).first(2)), error);

    // Its e^x is a polynomial; against the double-precision sigmoid it is off by a few float ulps at most.
    std::vector<float> wide(2001), wide_w(wide.size());
    for (std::size_t i = 0; i < wide.size(); ++i) wide[i] = -40.0F + 0.04F * static_cast<float>(i);
    sigmoid(wide, wide_w);
    double worst = 0;
    for (std::size_t i = 0; i < wide.size(); ++i) {
        const double exact = 1 / (1 + std::exp(-double(wide[i])));
        worst = std::max(worst, std::abs(wide_w[i] - exact) / exact);
    }
    CHECK(worst < 5e-7);
}

TEST_CASE("relaxed: bad options and shapes are rejected with messages") {
    const network net = layered_network(2, 4, 5, {6}, 1);
    CHECK_THROWS_WITH_AS(relaxed_engine(net, {.relaxation = "multilinaer"}),
                         doctest::Contains("valid: multilinear, efd (did you mean 'multilinear'?)"),
                         unknown_name_error);
    CHECK_THROWS_WITH_AS(relaxed_engine(net, {.relaxation = "EFD"}), doctest::Contains("did you mean 'efd'"),
                         unknown_name_error);
    CHECK_THROWS_WITH_AS(relaxed_engine(net, {.block_samples = 24}), doctest::Contains("multiple of 16"), error);
    CHECK_THROWS_WITH_AS(relaxed_engine(net, {.block_samples = 0}), doctest::Contains("multiple of 16"), error);
    CHECK_THROWS_WITH_AS(relaxed_engine(layered_network(9, 9, 5, {2}, 1)), doctest::Contains("k ≤ 8"), error);

    network_arrays delayed;
    delayed.num_inputs = 1;
    delayed.k = {1};
    delayed.sources = {1};
    delayed.delays = {1};
    delayed.tables = {0b01};
    CHECK_THROWS_WITH_AS(relaxed_engine(network(std::move(delayed))), doctest::Contains("delayed slots"), error);

    for (isa set : all_isas)
        if (!relaxed_engine_supports(set))
            CHECK_THROWS_WITH_AS(relaxed_engine(net, {.instruction_set = set}), doctest::Contains("does not support"),
                                 error);

    const relaxed_engine engine(net);
    const bit_matrix inputs = random_inputs(5, 20, 1);
    const std::vector<float> w = random_entries(engine.num_entries(), 1);
    activations y;
    CHECK_THROWS_WITH_AS(engine.forward(random_inputs(4, 20, 1), 0, 20, w, y), doctest::Contains("4 input rows"),
                         error);
    CHECK_THROWS_WITH_AS(engine.forward(inputs, 10, 11, w, y), doctest::Contains("outside the 20 input samples"),
                         error);
    CHECK_THROWS_WITH_AS(engine.forward(inputs, 0, 20, std::span(w).first(3), y), doctest::Contains("3 entries"),
                         error);
    engine.forward(inputs, 0, 20, w, y);
    activations dy(net.num_nodes(), 19);
    std::vector<float> grad(w.size());
    CHECK_THROWS_WITH_AS(engine.backward(inputs, 0, 20, w, y, dy, grad), doctest::Contains("19 samples"), error);
    dy = activations(net.num_nodes(), 20);
    CHECK_THROWS_WITH_AS(engine.backward(inputs, 0, 20, w, y, dy, std::span(grad).first(1)),
                         doctest::Contains("gradient of 1 entries"), error);
}
