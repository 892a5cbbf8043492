#include "lutra/core/table_function.hpp"

#include <array>
#include <bit>
#include <string>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"

namespace lutra::core {

namespace {

// Bits of a 64-bit table word whose address has bit i clear (i < 6), so
// `word & mask` compared with `(word >> 2^i) & mask` tests input i in one go.
constexpr std::array<std::uint64_t, 6> low_half = {0x5555555555555555ULL, 0x3333333333333333ULL, 0x0F0F0F0F0F0F0F0FULL,
                                                   0x00FF00FF00FF00FFULL, 0x0000FFFF0000FFFFULL, 0x00000000FFFFFFFFULL};

void check_table(std::span<const std::uint64_t> table, unsigned k, const char* function) {
    if (k > max_k)
        throw error(std::string(function) + ": k = " + std::to_string(k) + " is outside 0.." + std::to_string(max_k));
    if (table.size() != table_words(k))
        throw error(std::string(function) + ": a table of k = " + std::to_string(k) + " inputs has " +
                    std::to_string(table_words(k)) + " words, this one " + std::to_string(table.size()));
}

bool table_bit(std::span<const std::uint64_t> table, std::uint32_t address) noexcept {
    return ((table[address / 64] >> (address % 64)) & 1U) != 0;
}

// The table as a function of its effective inputs only: bit a of the result
// (a over popcount(mask) bits) is the output with the effective inputs set as
// in a and the ignored ones 0.
std::vector<bool> project(std::span<const std::uint64_t> table, std::uint32_t mask) {
    const unsigned e = static_cast<unsigned>(std::popcount(mask));
    std::vector<bool> f(std::size_t{1} << e);
    for (std::uint32_t a = 0; a < f.size(); ++a) {
        std::uint32_t address = 0;
        unsigned bit = 0;
        for (std::uint32_t m = mask; m != 0; m &= m - 1, ++bit)
            if ((a >> bit) & 1U) address |= m & -m;
        f[a] = table_bit(table, address);
    }
    return f;
}

}  // namespace

std::uint32_t effective_inputs(std::span<const std::uint64_t> table, unsigned k) {
    check_table(table, k, "effective_inputs");
    std::uint32_t mask = 0;
    for (unsigned i = 0; i < k; ++i) {
        bool matters = false;
        if (i < 6) {
            // Only addresses below 2^k count: for k < 6 the word's upper bits are padding.
            const std::uint64_t valid = k >= 6 ? ~std::uint64_t{0} : (std::uint64_t{1} << (1U << k)) - 1;
            const std::uint64_t m = low_half[i] & valid;
            for (std::uint64_t w : table) matters = matters || ((w & m) != ((w >> (1U << i)) & m));
        } else {
            const std::size_t stride = std::size_t{1} << (i - 6);  // words between address a and a + 2^i
            for (std::size_t w = 0; w < table.size() && !matters; ++w)
                if ((w & stride) == 0) matters = table[w] != table[w + stride];
        }
        if (matters) mask |= 1U << i;
    }
    return mask;
}

std::string_view to_string(function_kind kind) noexcept {
    constexpr std::array<std::string_view, num_function_kinds> names = {
        "constant", "buffer", "NOT", "AND", "OR", "NAND", "NOR", "XOR", "XNOR", "majority", "threshold", "other"};
    return names[static_cast<std::size_t>(kind)];
}

function_kind classify(std::span<const std::uint64_t> table, unsigned k) {
    const std::uint32_t mask = effective_inputs(table, k);
    const unsigned e = static_cast<unsigned>(std::popcount(mask));
    const std::vector<bool> f = project(table, mask);
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

}  // namespace lutra::core
