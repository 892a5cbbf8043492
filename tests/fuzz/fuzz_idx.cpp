// Fuzz target: the IDX reader (data::read_idx), plain and gzipped — what
// every real dataset (MNIST, Fashion-MNIST) is loaded with.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "lutra/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static lutra::fuzz::input_file file;
    const std::string& path = file.hold(data, size);
    lutra::fuzz::expect_lutra_errors_only([&] {
        const lutra::data::idx_array a = lutra::data::read_idx(path);
        // What read_idx promises of an array it returns.
        std::uint64_t product = 1;
        for (const std::uint32_t d : a.dims) product *= d;
        if (a.dims.empty() || a.dims.size() > 4 || product != a.data.size()) __builtin_trap();
    });
    return 0;
}
