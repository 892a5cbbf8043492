#pragma once
// Counter-based random numbers: every value is a pure function of
// (seed, purpose, index), so results depend only on the seed — never on the
// thread count or on the order in which work is done. No std:: distributions
// are used anywhere: their output differs between standard libraries.

#include <cstdint>
#include <string_view>

namespace lutra {

// A strong 64-bit mixer (the SplitMix64 / Stafford "mix13" finaliser).
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

// FNV-1a, to turn a purpose name into a stream key at compile time.
constexpr std::uint64_t hash_name(std::string_view name) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : name) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

// A random stream keyed by (seed, purpose, sub-keys). at(i) is the i-th value;
// streams with different keys are independent for all practical purposes.
class counter_rng {
public:
    constexpr counter_rng(std::uint64_t seed, std::string_view purpose) noexcept
        : key_(mix64(seed ^ mix64(hash_name(purpose)))) {}

    // A sub-stream, e.g. one per node: rng.fork(node).fork(slot).
    [[nodiscard]] constexpr counter_rng fork(std::uint64_t sub_key) const noexcept {
        counter_rng r = *this;
        r.key_ = mix64(key_ + 0x9e3779b97f4a7c15ULL * (sub_key + 1));
        return r;
    }

    [[nodiscard]] constexpr std::uint64_t at(std::uint64_t index) const noexcept {
        return mix64(key_ ^ mix64(index * 0xd1b54a32d192ed03ULL + 0x8cb92ba72f3d8dd7ULL));
    }

    // Uniform in [0, bound), bound ≥ 1 (Lemire's multiply-shift; the bias is
    // below 2^-32 for bounds under 2^32, irrelevant here and exactly reproducible).
    [[nodiscard]] constexpr std::uint64_t below(std::uint64_t index, std::uint64_t bound) const noexcept {
        __extension__ using u128 = unsigned __int128;
        return static_cast<std::uint64_t>((static_cast<u128>(at(index)) * bound) >> 64);
    }

    // Uniform in [0, 1) with 53 random bits.
    [[nodiscard]] constexpr double uniform(std::uint64_t index) const noexcept {
        return static_cast<double>(at(index) >> 11) * 0x1.0p-53;
    }

private:
    std::uint64_t key_;
};

// A sequential view of one stream, for code that draws "the next" value.
class rng_cursor {
public:
    constexpr explicit rng_cursor(counter_rng stream) noexcept : stream_(stream) {}
    constexpr std::uint64_t next() noexcept { return stream_.at(index_++); }
    constexpr std::uint64_t below(std::uint64_t bound) noexcept { return stream_.below(index_++, bound); }
    constexpr double uniform() noexcept { return stream_.uniform(index_++); }

private:
    counter_rng stream_;
    std::uint64_t index_ = 0;
};

}  // namespace lutra
