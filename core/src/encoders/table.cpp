#include <array>

#include "encoders.hpp"

namespace lutra::core {

namespace encoders {
namespace {

// One line a kind.
constexpr std::array<encoder_kind, 2> table = {{
    {"binarize", fit_binarize, forget_unused_by_binarize},
    {"thermometer", fit_thermometer, forget_unused_by_thermometer},
}};

constexpr std::array<std::string_view, table.size()> names = [] {
    std::array<std::string_view, table.size()> n{};
    for (std::size_t i = 0; i < table.size(); ++i) n[i] = table[i].name;
    return n;
}();

}  // namespace

std::span<const encoder_kind> kinds() noexcept { return table; }

}  // namespace encoders

std::span<const std::string_view> encoder_kinds() noexcept { return encoders::names; }

}  // namespace lutra::core
