#include "lutra/analysis/tables.hpp"

#include <bit>

#include "lutra/core/error.hpp"

namespace lutra::analysis {

namespace {

// Bits of a 64-bit table word whose address has bit i clear (i < 6), so
// `word & ~mask` compared with `(word >> 2^i) & mask` tests input i in one go.
constexpr std::array<std::uint64_t, 6> low_half = {0x5555555555555555ULL, 0x3333333333333333ULL, 0x0F0F0F0F0F0F0F0FULL,
                                                   0x00FF00FF00FF00FFULL, 0x0000FFFF0000FFFFULL, 0x00000000FFFFFFFFULL};

// The node's table as a function of its effective inputs only: bit a of the
// result (a over popcount(mask) bits) is the output with the effective
// inputs set as in a and the ignored ones 0.
std::vector<bool> project(const core::network& net, std::uint32_t node, std::uint32_t mask) {
    const unsigned e = static_cast<unsigned>(std::popcount(mask));
    std::vector<bool> f(std::size_t{1} << e);
    for (std::uint32_t a = 0; a < f.size(); ++a) {
        std::uint32_t address = 0;
        unsigned bit = 0;
        for (std::uint32_t m = mask; m != 0; m &= m - 1, ++bit)
            if ((a >> bit) & 1U) address |= m & -m;
        f[a] = net.table_bit(node, address);
    }
    return f;
}

}  // namespace

std::uint32_t effective_inputs(const core::network& net, std::uint32_t node) {
    const unsigned k = net.k(node);
    const std::span<const std::uint64_t> words = net.table(node);
    std::uint32_t mask = 0;
    for (unsigned i = 0; i < k; ++i) {
        bool matters = false;
        if (i < 6) {
            const std::uint64_t m = low_half[i];
            for (std::uint64_t w : words) matters = matters || ((w & m) != ((w >> (1U << i)) & m));
        } else {
            const std::size_t stride = std::size_t{1} << (i - 6);  // words between address a and a + 2^i
            for (std::size_t w = 0; w < words.size() && !matters; ++w)
                if ((w & stride) == 0) matters = words[w] != words[w + stride];
        }
        if (matters) mask |= 1U << i;
    }
    return mask;
}

unsigned effective_fan_in(const core::network& net, std::uint32_t node) {
    return static_cast<unsigned>(std::popcount(effective_inputs(net, node)));
}

std::string_view to_string(function_kind kind) noexcept {
    constexpr std::array<std::string_view, num_function_kinds> names = {
        "constant", "buffer", "NOT", "AND", "OR", "NAND", "NOR", "XOR", "XNOR", "majority", "threshold", "other"};
    return names[static_cast<std::size_t>(kind)];
}

function_kind classify(const core::network& net, std::uint32_t node) {
    const std::uint32_t mask = effective_inputs(net, node);
    const unsigned e = static_cast<unsigned>(std::popcount(mask));
    const std::vector<bool> f = project(net, node, mask);
    if (e == 0) return function_kind::constant;
    if (e == 1) return f[1] ? function_kind::buffer : function_kind::inverter;

    // Every named function of 2+ inputs is symmetric: a function g of how
    // many inputs are 1.
    std::vector<int> g(e + 1, -1);
    for (std::uint32_t a = 0; a < f.size(); ++a) {
        int& v = g[static_cast<unsigned>(std::popcount(a))];
        if (v >= 0 && v != static_cast<int>(f[a])) return function_kind::other;
        v = f[a];
    }
    const auto matches = [&](auto rule) {
        for (unsigned c = 0; c <= e; ++c)
            if (g[c] != static_cast<int>(rule(c))) return false;
        return true;
    };
    if (matches([&](unsigned c) { return c == e; })) return function_kind::and_;
    if (matches([&](unsigned c) { return c >= 1; })) return function_kind::or_;
    if (matches([&](unsigned c) { return c != e; })) return function_kind::nand;
    if (matches([&](unsigned c) { return c == 0; })) return function_kind::nor;
    if (matches([&](unsigned c) { return c % 2 == 1; })) return function_kind::xor_;
    if (matches([&](unsigned c) { return c % 2 == 0; })) return function_kind::xnor;
    if (e % 2 == 1 && matches([&](unsigned c) { return 2 * c > e; })) return function_kind::majority;
    for (unsigned t = 2; t < e; ++t)
        if (matches([&](unsigned c) { return c >= t; })) return function_kind::threshold;
    return function_kind::other;
}

std::vector<bool> dead_nodes(const core::network& net) {
    const std::uint32_t n = net.num_nodes();
    std::vector<bool> live(n, false);
    std::vector<std::uint32_t> work;
    for (std::uint32_t out : net.head().outputs)
        if (!live[out]) {
            live[out] = true;
            work.push_back(out);
        }
    // Delayed slots may point forward, so walk a work list rather than one
    // reverse pass over the topological order.
    while (!work.empty()) {
        const std::uint32_t node = work.back();
        work.pop_back();
        for (std::uint32_t src : net.sources(node)) {
            if (src < net.num_inputs()) continue;
            const std::uint32_t m = src - net.num_inputs();
            if (!live[m]) {
                live[m] = true;
                work.push_back(m);
            }
        }
    }
    std::vector<bool> dead(n);
    for (std::uint32_t i = 0; i < n; ++i) dead[i] = !live[i];
    return dead;
}

std::vector<node_census> census(const core::network& net, std::span<const node_group> groups) {
    const std::vector<bool> dead = dead_nodes(net);
    std::vector<bool> grouped(net.num_nodes(), false);
    std::vector<node_census> result;
    const auto count = [&](node_census& c, std::uint32_t node) {
        const unsigned e = effective_fan_in(net, node);
        ++c.nodes;
        c.dead += dead[node] ? 1 : 0;
        c.constant += e == 0 ? 1 : 0;
        ++c.fan_in[e];
        ++c.functions[static_cast<std::size_t>(classify(net, node))];
    };
    for (const node_group& group : groups) {
        node_census& c = result.emplace_back();
        c.name = group.name;
        for (std::uint32_t node : group.nodes) {
            if (node >= net.num_nodes())
                throw error("census: group '" + group.name + "' names node " + std::to_string(node) +
                            ", but the network has " + std::to_string(net.num_nodes()) + " nodes");
            grouped[node] = true;
            count(c, node);
        }
    }
    node_census rest;
    rest.name = "(no population)";
    for (std::uint32_t node = 0; node < net.num_nodes(); ++node)
        if (!grouped[node]) count(rest, node);
    if (rest.nodes > 0) result.push_back(std::move(rest));
    return result;
}

}  // namespace lutra::analysis
