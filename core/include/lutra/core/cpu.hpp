#pragma once
// Instruction sets the bit-sliced engine has kernels for, and which of them
// this processor (and operating system) can run. Chosen at run time, so one
// build runs everywhere.

#include <optional>
#include <span>
#include <string_view>

namespace lutra::core {

enum class isa { portable, avx2, avx512 };

inline constexpr isa all_isas[] = {isa::portable, isa::avx2, isa::avx512};

[[nodiscard]] std::string_view to_string(isa set) noexcept;
[[nodiscard]] std::optional<isa> parse_isa(std::string_view name) noexcept;  // "portable", "avx2", "avx512"
[[nodiscard]] bool isa_supported(isa set) noexcept;
// The fastest supported set.
[[nodiscard]] isa best_isa() noexcept;

}  // namespace lutra::core
