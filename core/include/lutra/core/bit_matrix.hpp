#pragma once
// Bit-planes: a matrix of bits stored row by row, the sample axis innermost.
// Row r is one plane — bit s of the plane is the value of row r for sample s.
// Rows are padded to whole 512-sample vectors (64 bytes) and 64-byte aligned,
// so every engine can load a row with aligned vector loads and no tail code.

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <vector>

namespace lutra::core {

template <class T, std::size_t Alignment>
struct aligned_allocator {
    using value_type = T;
    template <class U>
    struct rebind {
        using other = aligned_allocator<U, Alignment>;
    };
    aligned_allocator() noexcept = default;
    template <class U>
    aligned_allocator(const aligned_allocator<U, Alignment>&) noexcept {}
    T* allocate(std::size_t n) {
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{Alignment}));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{Alignment}); }
    template <class U>
    bool operator==(const aligned_allocator<U, Alignment>&) const noexcept {
        return true;
    }
};

inline constexpr std::size_t vector_bytes = 64;                    // one cache line, one zmm register
inline constexpr std::size_t vector_words = vector_bytes / 8;      // 8 × 64-bit words
inline constexpr std::size_t vector_samples = vector_bytes * 8;    // 512 samples per vector

using aligned_words = std::vector<std::uint64_t, aligned_allocator<std::uint64_t, vector_bytes>>;

class bit_matrix {
public:
    bit_matrix() = default;
    // All bits zero, including the padding.
    bit_matrix(std::size_t rows, std::size_t samples)
        : rows_(rows),
          samples_(samples),
          stride_(((samples + vector_samples - 1) / vector_samples) * vector_words),
          words_(rows * stride_, 0) {}

    [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
    [[nodiscard]] std::size_t samples() const noexcept { return samples_; }
    // Words per row, a multiple of 8 (whole 512-sample vectors).
    [[nodiscard]] std::size_t stride() const noexcept { return stride_; }

    [[nodiscard]] std::span<std::uint64_t> row(std::size_t r) noexcept { return {words_.data() + r * stride_, stride_}; }
    [[nodiscard]] std::span<const std::uint64_t> row(std::size_t r) const noexcept {
        return {words_.data() + r * stride_, stride_};
    }
    [[nodiscard]] std::uint64_t* data() noexcept { return words_.data(); }
    [[nodiscard]] const std::uint64_t* data() const noexcept { return words_.data(); }

    [[nodiscard]] bool get(std::size_t r, std::size_t s) const noexcept {
        return (words_[r * stride_ + s / 64] >> (s % 64)) & 1U;
    }
    void set(std::size_t r, std::size_t s, bool value) noexcept {
        std::uint64_t& w = words_[r * stride_ + s / 64];
        const std::uint64_t bit = std::uint64_t{1} << (s % 64);
        w = value ? (w | bit) : (w & ~bit);
    }

    // Number of set bits of row r among the first samples() samples.
    [[nodiscard]] std::size_t count(std::size_t r) const noexcept;

    friend bool operator==(const bit_matrix& a, const bit_matrix& b) noexcept;

private:
    std::size_t rows_ = 0;
    std::size_t samples_ = 0;
    std::size_t stride_ = 0;
    aligned_words words_;
};

// The first `count` samples (columns) of m, every row; count ≤ m.samples().
[[nodiscard]] bit_matrix first_samples(const bit_matrix& m, std::size_t count);
// Samples [first, first + count) of m, every row, from column 0; the range
// must lie within m.samples(). Padding bits of the result are zero.
[[nodiscard]] bit_matrix sample_range(const bit_matrix& m, std::size_t first, std::size_t count);
// Sets a matrix's padding bits (columns ≥ samples()) to zero, e.g. after an
// engine wrote whole vectors.
void clear_padding(bit_matrix& m) noexcept;

// The columns of a bit matrix in a new order: column s of the result is
// column order[s] of m. For shuffling the training set between epochs.
[[nodiscard]] bit_matrix permute_samples(const bit_matrix& m, std::span<const std::uint32_t> order);

}  // namespace lutra::core
