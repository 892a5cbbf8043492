#include "lutra/core/bit_matrix.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "lutra/core/error.hpp"

namespace lutra::core {

std::size_t bit_matrix::count(std::size_t r) const noexcept {
    const std::uint64_t* w = words_.data() + r * stride_;
    const std::size_t full = samples_ / 64;
    std::size_t total = 0;
    for (std::size_t i = 0; i < full; ++i) total += static_cast<std::size_t>(std::popcount(w[i]));
    if (samples_ % 64 != 0)
        total += static_cast<std::size_t>(std::popcount(w[full] & ((std::uint64_t{1} << (samples_ % 64)) - 1)));
    return total;
}

// Equal shape and equal bits on the real samples; padding bits are ignored,
// since engines leave whatever their tail vectors computed there.
bool operator==(const bit_matrix& a, const bit_matrix& b) noexcept {
    if (a.rows_ != b.rows_ || a.samples_ != b.samples_) return false;
    const std::size_t full = a.samples_ / 64;
    const std::uint64_t tail = a.samples_ % 64 ? (std::uint64_t{1} << (a.samples_ % 64)) - 1 : 0;
    for (std::size_t r = 0; r < a.rows_; ++r) {
        const std::uint64_t* x = a.words_.data() + r * a.stride_;
        const std::uint64_t* y = b.words_.data() + r * b.stride_;
        for (std::size_t i = 0; i < full; ++i)
            if (x[i] != y[i]) return false;
        if (tail && ((x[full] ^ y[full]) & tail)) return false;
    }
    return true;
}

bit_matrix first_samples(const bit_matrix& m, std::size_t count) {
    if (count > m.samples())
        throw error("first_samples: " + std::to_string(count) + " of " + std::to_string(m.samples()) + " samples");
    return sample_range(m, 0, count);
}

bit_matrix sample_range(const bit_matrix& m, std::size_t first, std::size_t count) {
    if (first > m.samples() || count > m.samples() - first)
        throw error("sample_range: samples " + std::to_string(first) + " … " + std::to_string(first + count) + " of " +
                    std::to_string(m.samples()));
    bit_matrix r(m.rows(), count);
    const std::size_t words = (count + 63) / 64;
    const std::size_t word = first / 64;
    const unsigned shift = first % 64;
    for (std::size_t row = 0; row < m.rows(); ++row) {
        const std::span<const std::uint64_t> in = m.row(row);
        const std::span<std::uint64_t> out = r.row(row);
        if (shift == 0) {
            std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(word), words, out.begin());
        } else {
            for (std::size_t w = 0; w < words; ++w) {
                const std::uint64_t lo = in[word + w] >> shift;
                const std::uint64_t hi = word + w + 1 < in.size() ? in[word + w + 1] << (64 - shift) : 0;
                out[w] = lo | hi;
            }
        }
    }
    clear_padding(r);
    return r;
}

void clear_padding(bit_matrix& m) noexcept {
    const std::size_t full = m.samples() / 64;
    const std::uint64_t tail = m.samples() % 64 ? (std::uint64_t{1} << (m.samples() % 64)) - 1 : 0;
    for (std::size_t row = 0; row < m.rows(); ++row) {
        const std::span<std::uint64_t> w = m.row(row);
        std::size_t i = full;
        if (tail) w[i++] &= tail;
        std::fill(w.begin() + static_cast<std::ptrdiff_t>(i), w.end(), 0);
    }
}

bit_matrix permute_samples(const bit_matrix& m, std::span<const std::uint32_t> order) {
    if (order.size() != m.samples())
        throw error("permute_samples: an order of " + std::to_string(order.size()) + " for " +
                    std::to_string(m.samples()) + " samples");
    bit_matrix out(m.rows(), m.samples());
    for (std::size_t r = 0; r < m.rows(); ++r) {
        const std::uint64_t* src = m.row(r).data();
        std::uint64_t* dst = out.row(r).data();
        for (std::size_t s = 0; s < order.size(); ++s)
            dst[s / 64] |= ((src[order[s] / 64] >> (order[s] % 64)) & 1U) << (s % 64);
    }
    return out;
}

}  // namespace lutra::core
