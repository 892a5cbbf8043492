// Fuzz target: the genome's A/C/G/T text form (topology::from_text and
// decode_text), as `lutra genome` reads a text-form GENOME and a run reads
// /genome back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.hpp"
#include "lutra/topology/genome.hpp"
#include "lutra/topology/genome_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lutra::topology;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    lutra::fuzz::expect_lutra_errors_only([&] { (void)decode_text(text); });
    lutra::fuzz::expect_lutra_errors_only([&] {
        const genome g = from_text(text);
        // A genome from_text accepts is valid, and its text round-trips
        // exactly, wrapped or not (genome_text.hpp).
        validate(g);
        const std::string canonical = to_text(g);
        if (to_text(from_text(canonical)) != canonical) __builtin_trap();
        if (to_text(from_text(wrap_text(canonical, 7))) != canonical) __builtin_trap();
    });
    return 0;
}
