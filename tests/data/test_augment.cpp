#include <doctest/doctest.h>

#include "lutra/data/augment.hpp"
#include "lutra/core/error.hpp"

using namespace lutra;
using namespace lutra::core;
using namespace lutra::data;

TEST_CASE("augment: translate moves every image by its own shift, zero-filled, deterministically") {
    dataset shape;
    shape.width = 5;
    shape.height = 4;
    shape.channels = 1;
    data_split split;
    for (std::uint16_t s = 0; s < 200; ++s) {
        std::vector<std::uint8_t> image(20, 0);
        image[1 * 5 + 2] = 200;  // one bright pixel at (2, 1)
        split.features.insert(split.features.end(), image.begin(), image.end());
        split.labels.push_back(s % 3);
    }
    const counter_rng rng(1, "test.translate");
    const data_split a = translate(shape, split, 1, rng);
    CHECK(a.labels == split.labels);
    CHECK(translate(shape, split, 1, rng).features == a.features);
    CHECK(translate(shape, split, 0, rng).features == split.features);
    int moved = 0;
    for (std::size_t s = 0; s < 200; ++s) {
        int found = 0;
        for (std::size_t f = 0; f < 20; ++f) {
            if (a.features[s * 20 + f] == 0) continue;
            ++found;
            const int x = static_cast<int>(f % 5), y = static_cast<int>(f / 5);
            CHECK(std::abs(x - 2) <= 1);
            CHECK(std::abs(y - 1) <= 1);
            moved += (x != 2 || y != 1);
        }
        CHECK(found == 1);  // the pixel stays inside a 5 × 4 image for shifts of ±1
    }
    CHECK(moved > 100);  // 8 of 9 shifts move it

    data_split bad = split;
    bad.features.pop_back();
    CHECK_THROWS_AS((void)translate(shape, bad, 1, rng), lutra::error);
}
