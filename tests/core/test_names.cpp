#include <doctest/doctest.h>

#include <array>
#include <string_view>

#include "lutra/core/names.hpp"

using namespace lutra::core;

TEST_CASE("names: closest_name finds likely typos and nothing else") {
    constexpr std::array<std::string_view, 4> names = {"mnist", "fashion-mnist", "thermometer", "xor"};
    CHECK(edit_distance("mnsit", "mnist") == 1);
    CHECK(edit_distance("MNIST", "mnist") == 0);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(closest_name("mnsit", names) == "mnist");
    CHECK(closest_name("fashion_mnist", names) == "fashion-mnist");
    CHECK(closest_name("thermo", names) == "thermometer");
    CHECK(closest_name("xr", names) == "xor");
    CHECK(closest_name("cifar10", names) == std::nullopt);
    CHECK(closest_name("th", names) == std::nullopt);
    CHECK(join_names(names) == "mnist, fashion-mnist, thermometer, xor");
    CHECK(did_you_mean("mnist2", names) == " (did you mean 'mnist'?)");
    CHECK(did_you_mean("zzz", names).empty());
}
