// Fuzz target: the run.h5 reader (runfile::run_reader), every accessor that
// `lutra eval`, `analyze`, `export` and `run --resume` call. Each accessor is
// tried on its own, as a command that needs only that part would.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_input.hpp"
#include "lutra/runfile/run_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using lutra::fuzz::expect_lutra_errors_only;
    static lutra::fuzz::input_file file;
    const std::string& path = file.hold(data, size);
    std::optional<lutra::runfile::run_reader> reader;
    expect_lutra_errors_only([&] { reader.emplace(path); });
    if (!reader) return 0;
    expect_lutra_errors_only([&] { (void)reader->attributes(); });
    expect_lutra_errors_only([&] { (void)reader->network(); });
    expect_lutra_errors_only([&] { (void)reader->populations(); });
    expect_lutra_errors_only([&] { (void)reader->metrics(); });
    expect_lutra_errors_only([&] {
        if (reader->has_stats()) (void)reader->stats();
    });
    expect_lutra_errors_only([&] {
        for (const std::string& population : reader->spike_populations()) (void)reader->spikes(population);
    });
    expect_lutra_errors_only([&] {
        for (const std::string& population : reader->activity_populations()) (void)reader->activity(population);
    });
    expect_lutra_errors_only([&] { (void)reader->encoder(); });
    expect_lutra_errors_only([&] { (void)reader->read_text("config"); });
    expect_lutra_errors_only([&] { (void)reader->read_text("genome"); });
    expect_lutra_errors_only([&] { (void)reader->has("checkpoint"); });
    return 0;
}
