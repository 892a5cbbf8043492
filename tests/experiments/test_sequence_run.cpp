// `lutra run` on sequences (time.sequence): learning through time end to end,
// and the bad input the issue names refused before anything is written.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "lutra/experiments/sequence.hpp"
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

TEST_CASE("sequences: image rows read through the whole image's encoder equal the stream tick by tick") {
    lutra::data::stream_params input{.coding = "sequence", .dataset = "mnist-rows", .samples = 300, .bits = 2};
    const lutra::experiments::sequence_settings settings{.ticks = 28};
    const auto d = lutra::experiments::load_sequences(input, settings, 1);
    for (const char* split : {"train", "test"}) {
        CAPTURE(split);
        input.split = split;
        const auto streamed = lutra::experiments::read_stream_sequences(input, 300, 28, 27, 1);
        const auto& ours = std::string(split) == "train" ? d.train : d.test;
        CHECK(streamed.labels == ours.labels);
        REQUIRE(streamed.inputs.rows() == ours.inputs.rows());
        CHECK(streamed.inputs.rows() == 28 * 28 * 2);
        bool equal = true;
        for (std::uint32_t r = 0; r < ours.inputs.rows(); ++r)
            for (std::size_t s = 0; s < 300; ++s) equal = equal && streamed.inputs.get(r, s) == ours.inputs.get(r, s);
        CHECK(equal);
    }
    CHECK(d.encoder.num_features() == 28);  // one tick's: what the exported circuit compares each tick
}

TEST_CASE("cli: simulate runs a run trained on image rows image by image from rest; both engines agree") {
    const lutra::test::temp_dir dir("lutra-test-sequence");
    const fs::path config = dir.path / "rows.yaml";
    {
        std::ofstream out(config);
        out << "name: rows\nseed: 2\ngenome:\n  inputs: {width: 28, height: 1, bits: 1}\n  populations:\n"
               "    - {name: rows, size: 40, k: 4}\n    - {name: memory, size: 60, k: 4}\n"
               "    - {name: out, size: 20, k: 4}\n  projections:\n"
               "    - {target: rows, sources: [input], rule: random, delay: {kind: uniform, min: 0, max: 2}}\n"
               "    - {target: memory, sources: [rows], rule: random, delay: {kind: uniform, min: 0, max: 27}}\n"
               "    - {target: out, sources: [memory], rule: random}\n"
               "  head: {population: out, classes: 10}\n"
               "train: {epochs: 1, batch_size: 32}\n"
               "time:\n  input: {coding: sequence, dataset: mnist-rows, bits: 1, samples: 256}\n"
               "  sequence: {ticks: 28}\n";
    }
    const auto run = run_lutra("--quiet run " + config.string() + " --out " + (dir.path / "run").string());
    REQUIRE_MESSAGE(run.exit_code == 0, run.output);
    std::vector<std::string> engines{"event", "stepped"};
    for (const std::string& engine : engines) {
        const auto sim = run_lutra("simulate " + (dir.path / "run").string() + " --out " + (dir.path / engine).string() +
                                   " --ticks 84 --streams 3 --engine " + engine);
        REQUIRE_MESSAGE(sim.exit_code == 0, sim.output);
        CHECK(sim.output.find("each sample starts from rest (time.sequence: 28 ticks a sequence)") != std::string::npos);
    }
    const auto a = lutra::runfile::run_file::open(dir.path / "event" / "run.h5");
    const auto b = lutra::runfile::run_file::open(dir.path / "stepped" / "run.h5");
    for (const std::string& pop : a.spike_populations()) {
        CAPTURE(pop);
        CHECK(a.read_spikes(pop).node_ids == b.read_spikes(pop).node_ids);
        CHECK(a.read_spikes(pop).timestamps_ms == b.read_spikes(pop).timestamps_ms);
        CHECK(a.read_activity(pop).toggles == b.read_activity(pop).toggles);
    }
    // Spikes in every sample, not only the first: the rests keep the ticks counting.
    const auto spikes = a.read_spikes("rows");
    CHECK(std::any_of(spikes.timestamps_ms.begin(), spikes.timestamps_ms.end(), [](double ms) { return ms >= 56; }));
}
