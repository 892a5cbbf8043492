#include "lutra/core/cpu.hpp"

namespace lutra::core {

std::string_view to_string(isa set) noexcept {
    switch (set) {
        case isa::portable: return "portable";
        case isa::avx2: return "avx2";
        case isa::avx512: return "avx512";
    }
    return "?";
}

std::optional<isa> parse_isa(std::string_view name) noexcept {
    for (isa set : all_isas)
        if (to_string(set) == name) return set;
    return std::nullopt;
}

// libgcc's cpu model checks XCR0 too, so "supported" means the OS saves the registers.
bool isa_supported(isa set) noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    switch (set) {
        case isa::portable: return true;
        case isa::avx2: return __builtin_cpu_supports("avx2");
        case isa::avx512: return __builtin_cpu_supports("avx512f");
    }
    return false;
#else
    return set == isa::portable;
#endif
}

isa best_isa() noexcept {
    if (isa_supported(isa::avx512)) return isa::avx512;
    if (isa_supported(isa::avx2)) return isa::avx2;
    return isa::portable;
}

}  // namespace lutra::core
