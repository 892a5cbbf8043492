// `lutra run` on sequences (time.sequence): learning through time end to end,
// and the bad input the issue names refused before anything is written.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "lutra/runfile/run_file.hpp"
#include "support/run_lutra.hpp"
#include "support/temp_dir.hpp"

using lutra::test::run_lutra;
namespace fs = std::filesystem;

namespace {

const std::string delayed_xor = std::string(LUTRA_CONFIGS_DIR) + "/time/delayed-xor.yaml";

}  // namespace

TEST_CASE("cli: run learns delayed XOR through time to 100%, and eval reads the sequences back") {
    const lutra::test::temp_dir dir("lutra-test-sequence");
    const auto out = dir.path / "run";
    const auto r = run_lutra("--quiet run " + delayed_xor + " --out " + out.string() +
                             " --set train.epochs=6 --set time.sequence.train_samples=4096");
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("test:       100.00% hardened") != std::string::npos);
    const auto file = lutra::runfile::run_file::open(out / "run.h5");
    CHECK_FALSE(file.read_network().combinational());  // trained with its delays
    const auto eval = run_lutra("--quiet eval " + out.string());
    CHECK(eval.exit_code == 0);
    CHECK(eval.output.find("100.00%") != std::string::npos);

    // With taps that reach 4 ticks back, the 10-tick delay must be carried
    // by the delay-1 recurrence, which 3 epochs do not learn: the figure
    // above comes from the delays the network has, not from the test.
    const auto blind = run_lutra("--quiet run " + delayed_xor + " --out " + (dir.path / "blind").string() +
                                 " --set train.epochs=3 --set time.sequence.train_samples=4096"
                                 " --set genome.projections[0].delay.max=4");
    REQUIRE(blind.exit_code == 0);
    CHECK(blind.output.find("test:       100.00%") == std::string::npos);
}

TEST_CASE("cli: run refuses bad sequence settings before anything is written") {
    const lutra::test::temp_dir dir("lutra-test-sequence");
    const auto out = dir.path / "x";
    const auto refused = [&](const std::string& set, const std::string& expected) {
        CAPTURE(set);
        const auto r = run_lutra("--quiet run " + delayed_xor + " --out " + out.string() + " " + set);
        CHECK(r.exit_code == 1);
        CHECK_MESSAGE(r.output.find(expected) != std::string::npos, r.output);
        CHECK_FALSE(fs::exists(out));
    };
    refused("--set time.sequence.bptt_window=17", "time.sequence.bptt_window");
    refused("--set time.sequence.bptt_window=17", "longer than the sequence of 16");
    refused("--set time.sequence.readout=ticks --set time.sequence.at=[3,16]", "time.sequence.at[1]");
    refused("--set time.sequence.readout=ticks --set time.sequence.at=[3,16]", "outside the sequence's ticks 0 … 15");
    refused("--set time.sequence.readout=window --set time.sequence.window=20", "time.sequence.window");
    refused("--set time.sequence.ticks=8", "no label at tick 7");
    refused("--set time.input.coding=rate --set time.input.dataset=mnist", "time.input");
    refused("--set genome.inputs.bits=2", "genome.inputs is 1×1×2");
    refused("--set time.sequence.readout=lsat", "time.sequence.readout");
}

TEST_CASE("cli: run warns of a head that hears no input before the readout") {
    const lutra::test::temp_dir dir("lutra-test-sequence");
    // The taps read the input 12 ticks late at the earliest; read out at tick 5.
    const auto r = run_lutra("run " + delayed_xor + " --out " + (dir.path / "late").string() +
                             " --set train.epochs=1 --set time.sequence.train_samples=256"
                             " --set time.sequence.test_samples=256 --set time.input.delay=2"
                             " --set time.sequence.ticks=6 --set genome.projections[0].delay.min=12"
                             " --set genome.projections[0].delay.max=12");
    CHECK(r.exit_code == 0);
    CHECK_MESSAGE(r.output.find("first hears an input at tick 12, after the last readout tick 5") != std::string::npos,
                  r.output);
}
