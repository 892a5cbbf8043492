#include <doctest/doctest.h>

#include <cstdint>
#include <utility>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"

using namespace lutra::core;

TEST_CASE("bit_matrix: rows are padded to 512-sample vectors and 64-byte aligned") {
    const bit_matrix m(3, 513);
    CHECK(m.stride() == 16);
    CHECK(reinterpret_cast<std::uintptr_t>(m.data()) % 64 == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(m.row(2).data()) % 64 == 0);
    CHECK(bit_matrix(1, 512).stride() == 8);
    CHECK(bit_matrix(1, 0).stride() == 0);
}

TEST_CASE("bit_matrix: set, get, count and equality ignore padding") {
    bit_matrix a(2, 70);
    a.set(1, 69, true);
    a.set(1, 3, true);
    a.set(1, 3, false);
    a.set(0, 0, true);
    CHECK(a.get(1, 69));
    CHECK_FALSE(a.get(1, 3));
    CHECK(a.count(1) == 1);
    bit_matrix b = a;
    CHECK(a == b);
    b.row(1)[1] |= std::uint64_t{1} << 20;  // sample 84: padding
    CHECK(a == b);
    CHECK(b.count(1) == 1);
    b.set(0, 5, true);
    CHECK_FALSE(a == b);
    CHECK_FALSE(a == bit_matrix(2, 71));
}

TEST_CASE("bit matrix: first_samples keeps the leading columns of every row and zero padding") {
    bit_matrix m(3, 200);
    for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t s = 0; s < 200; ++s) m.set(r, s, (r + s) % 3 == 0);
    const bit_matrix f = first_samples(m, 70);
    REQUIRE(f.rows() == 3);
    REQUIRE(f.samples() == 70);
    for (std::size_t r = 0; r < 3; ++r) {
        for (std::size_t s = 0; s < 70; ++s) CHECK(f.get(r, s) == m.get(r, s));
        for (std::size_t s = 70; s < f.stride() * 64; ++s) CHECK_FALSE(f.get(r, s));
    }
    CHECK(first_samples(m, 0).samples() == 0);
    CHECK_THROWS_AS((void)first_samples(m, 201), lutra::error);
}

TEST_CASE("sample_range takes any columns, shifted to column 0, padding zero") {
    lutra::core::bit_matrix m(3, 1000);
    const lutra::counter_rng rng(7, "test.sample_range");
    for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t s = 0; s < 1000; ++s) m.set(r, s, rng.fork(r).at(s) & 1U);
    for (const auto& [first, count] : {std::pair<std::size_t, std::size_t>{0, 1000}, {1, 999}, {63, 64}, {64, 200},
                                      {130, 517}, {999, 1}, {500, 0}}) {
        const lutra::core::bit_matrix part = lutra::core::sample_range(m, first, count);
        CHECK(part.samples() == count);
        for (std::size_t r = 0; r < 3; ++r) {
            for (std::size_t s = 0; s < count; ++s) REQUIRE(part.get(r, s) == m.get(r, first + s));
            for (std::size_t s = count; s < part.stride() * 64; ++s) REQUIRE_FALSE(part.get(r, s));
        }
    }
    CHECK_THROWS_AS((void)lutra::core::sample_range(m, 900, 101), lutra::error);
}
