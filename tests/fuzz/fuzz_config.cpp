// Fuzz target: the YAML config reader (experiments::parse_config) for every
// settings file `lutra config keys` lists — an experiment (genome, data and
// training included), a genome, `bench infer` and `data show` settings —
// followed by what `lutra run` checks before it writes anything.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/runner.hpp"
#include "lutra/experiments/settings.hpp"
#include "lutra/topology/genome.hpp"
#include "lutra/topology/genome_text.hpp"

namespace {

using namespace lutra::experiments;

// A config the reader accepts is written back by to_yaml as YAML that reads
// back to the same settings (config.hpp: parse_config(to_yaml(x)) == x).
template <class T>
void check_round_trip(const T& settings) {
    const std::string yaml = to_yaml(settings);
    if (to_yaml(parse_config<T>(yaml, "to_yaml")) != yaml) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view yaml(reinterpret_cast<const char*>(data), size);
    lutra::fuzz::expect_lutra_errors_only([&] {
        const auto s = parse_config<experiment_settings>(yaml, "fuzz.yaml");
        check_round_trip(s);
        (void)is_plain_name(s.name);
        if (s.genome_file.empty()) lutra::topology::validate(s.genome);
    });
    lutra::fuzz::expect_lutra_errors_only([&] {
        const auto g = parse_config<lutra::topology::genome>(yaml, "genome.yaml");
        check_round_trip(g);
        lutra::topology::validate(g);
        // A valid genome has a text form that reads back to it.
        if (lutra::topology::from_text(lutra::topology::to_text(g)) != g) __builtin_trap();
    });
    lutra::fuzz::expect_lutra_errors_only([&] { check_round_trip(parse_config<infer_bench_settings>(yaml, "bench.yaml")); });
    lutra::fuzz::expect_lutra_errors_only([&] { check_round_trip(parse_config<data_settings>(yaml, "data.yaml")); });
    return 0;
}
