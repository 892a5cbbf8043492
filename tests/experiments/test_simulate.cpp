#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "lutra/data/streams.hpp"
#include "lutra/experiments/sequence.hpp"
#include "lutra/runfile/run_file.hpp"
#include "support/run_lutra.hpp"
#include "support/temp_dir.hpp"

using lutra::test::run_lutra;
namespace fs = std::filesystem;

namespace {

const std::string timed_config = std::string(LUTRA_CONFIGS_DIR) + "/time/parity-recurrent.yaml";
const std::string order_config = std::string(LUTRA_CONFIGS_DIR) + "/time/spike-order-online.yaml";

std::string read_text(const fs::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("cli: simulate writes a run directory; both engines record the same spikes and toggles") {
    const lutra::test::temp_dir dir("lutra-test-simulate");
    const auto event = run_lutra("--quiet simulate " + timed_config + " --out " + (dir.path / "event").string() +
                                 " --ticks 300 --streams 3");
    REQUIRE(event.exit_code == 0);
    CHECK(event.output.find("300 ticks × 3 streams, event engine") != std::string::npos);
    for (const char* file : {"config.yaml", "genome.yaml", "genome.dna", "run.h5", "summary.txt"}) {
        CAPTURE(file);
        CHECK(fs::exists(dir.path / "event" / file));
    }
    const auto stepped = run_lutra("--quiet simulate " + timed_config + " --out " + (dir.path / "stepped").string() +
                                   " --ticks 300 --streams 3 --engine stepped");
    REQUIRE(stepped.exit_code == 0);
    const auto a = lutra::runfile::run_file::open(dir.path / "event" / "run.h5");
    const auto b = lutra::runfile::run_file::open(dir.path / "stepped" / "run.h5");
    CHECK(a.finished());
    CHECK(a.spike_populations() == std::vector<std::string>{"hidden", "out"});  // time.record
    CHECK(a.activity_populations().size() == 3);                              // every population
    for (const std::string& pop : a.spike_populations()) {
        CAPTURE(pop);
        CHECK_FALSE(a.read_spikes(pop).node_ids.empty());
        CHECK(a.read_spikes(pop).node_ids == b.read_spikes(pop).node_ids);
        CHECK(a.read_spikes(pop).timestamps_ms == b.read_spikes(pop).timestamps_ms);
    }
    for (const std::string& pop : a.activity_populations()) {
        CHECK(a.read_activity(pop).toggles == b.read_activity(pop).toggles);
        CHECK(a.read_activity(pop).recording.ticks == 300);
    }
    CHECK(b.read_activity("hidden").recording.engine == "stepped");
    // The same network was simulated: a config's network is developed as `lutra run` would.
    CHECK(a.read_network().arrays().tables == b.read_network().arrays().tables);

    // Never into a directory that holds something.
    const auto again = run_lutra("--quiet simulate " + timed_config + " --out " + (dir.path / "event").string());
    CHECK(again.exit_code == 1);
    CHECK(again.output.find("not an empty directory") != std::string::npos);
}

TEST_CASE("cli: simulate refuses bad input before anything is written, naming what and where") {
    const lutra::test::temp_dir dir("lutra-test-simulate");
    const auto out = dir.path / "x";
    const auto refused = [&](const std::string& args, const std::string& message) {
        CAPTURE(args);
        const auto r = run_lutra("simulate " + args + " --out " + out.string());
        CHECK(r.exit_code == 1);
        CHECK(r.output.find(message) != std::string::npos);
        if (r.output.find(message) == std::string::npos) MESSAGE(r.output);
        CHECK_FALSE(fs::exists(out));
    };
    refused(timed_config + " --set time.input.coding=ratte", "time.input.coding");
    refused(timed_config + " --set time.input.dataset=paritty", "time.input.dataset");
    refused(timed_config + " --engine warp", "time.engine");
    refused(timed_config + " --record hiden", "no population 'hiden' in the network (did you mean 'hidden'?)");
    refused(timed_config + " --set genome.inputs.width=2",
            "the genome's inputs are 2×1×1 but the stream (time.input: sequence of parity) gives 1×1×1");
    refused(timed_config + " --set time.record_stream=9 --streams 2", "time.record_stream");
    // A zero-delay cycle, named with the nodes on it.
    refused(timed_config + " --set genome.projections[2].delay.kind=constant --set genome.projections[2].delay.min=0",
            "projections[2].delay: a recurrent projection needs every delay ≥ 1");
    refused(timed_config + " --set genome.projections[2].rule=random --set genome.projections[2].delay.kind=default",
            "zero-delay cycle hidden[");
    // Recording that cannot fit: refused with the size it would need.
    refused(timed_config + " --ticks 1000000000000", "time.ticks");
    // An online rule that does not exist.
    refused(timed_config + " --set 'time.learn.rules=[{rule: cout}]'", "time.learn.rules[0]");
    // Scoring the head needs a head over the stream's classes.
    refused(order_config + " --set genome.head.classes=4",
            "time.learn.test_ticks: the network's head decides among 4 classes, the stream's labels have 2");
    // A run directory without a timed network.
    const auto parity = dir.path / "parity";
    REQUIRE(run_lutra("--quiet run " + std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml --out " + parity.string() +
                      " --set train.epochs=1")
                .exit_code == 0);
    refused(parity.string(), "holds a network without a delayed connection");
}

TEST_CASE("cli: simulate runs online rules from time.learn and keeps the network they leave") {
    const lutra::test::temp_dir dir("lutra-test-simulate");
    const auto r = run_lutra("--quiet simulate " + timed_config + " --out " + (dir.path / "learn").string() +
                             " --ticks 200 --set 'time.learn.rules=[{rule: count}]' --set 'time.learn.populations=[out]'");
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("online rules changed") != std::string::npos);
    const auto learned = lutra::runfile::run_file::open(dir.path / "learn" / "run.h5").read_network();
    const auto plain = run_lutra("--quiet simulate " + timed_config + " --out " + (dir.path / "plain").string() +
                                 " --ticks 200");
    REQUIRE(plain.exit_code == 0);
    const auto developed = lutra::runfile::run_file::open(dir.path / "plain" / "run.h5").read_network();
    CHECK(learned.arrays().tables != developed.arrays().tables);
    CHECK(learned.arrays().sources == developed.arrays().sources);
}

TEST_CASE("cli: simulate scores the head on held-out ticks; count learns spike-order online, at chance without it") {
    // A small instance of configs/time/spike-order-online.yaml: 256 LUT6
    // over delays 2..15 of lines A and B, 4,000 ticks × 64 streams of
    // learning (16,000 samples), then 1,024 ticks (4,096 samples) scored.
    const lutra::test::temp_dir dir("lutra-test-simulate");
    const std::string small = order_config + " --ticks 4000 --set time.learn.test_ticks=1024 --record out" +
                              " --set genome.populations[0].size=256 --set genome.populations[0].k=6";
    const auto learned = run_lutra("--quiet simulate " + small + " --out " + (dir.path / "learn").string());
    REQUIRE(learned.exit_code == 0);
    CHECK(learned.output.find("on 4096 held-out decisions (1024 ticks × 64 streams, learning off)") !=
          std::string::npos);
    const auto off = run_lutra("--quiet simulate " + small + " --set 'time.learn.rules=[]' --out " +
                               (dir.path / "off").string());
    REQUIRE(off.exit_code == 0);

    const auto metrics = [&](const char* run) {
        return lutra::runfile::run_file::open(dir.path / run / "run.h5").read_metrics();
    };
    const auto rows = metrics("learn");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].split == "online_learn");
    CHECK(rows[1].split == "online_test");
    CHECK(rows[1].epoch == 0);
    CHECK(rows[1].loss == doctest::Approx(1 - rows[1].accuracy));
    CHECK(rows[1].accuracy > 0.88);                // learned: the timing was read
    CHECK(rows[0].accuracy < rows[1].accuracy);    // learning started at chance
    const auto chance = metrics("off");
    REQUIRE(chance.size() == 1);                   // no rules, nothing learned: the test row alone
    CHECK(chance[0].split == "online_test");
    CHECK(chance[0].accuracy > 0.44);              // the tables as grown: chance
    CHECK(chance[0].accuracy < 0.56);
    const std::string summary = read_text(dir.path / "learn" / "summary.txt");
    CHECK(summary.find("ticks: 5024\n") != std::string::npos);
    CHECK(summary.find("online_test_decisions: 4096\n") != std::string::npos);
    CHECK(lutra::runfile::run_file::open(dir.path / "learn" / "run.h5").read_activity("out").recording.ticks == 5024);
}

TEST_CASE("sequence runs draw spike-order's samples as they draw an endless task's") {
    // spike-order has samples of its own length (ticks_per_sample = presentation)
    // but no dataset behind them: time.sequence draws train_samples and
    // test_samples of them, labelled at the last tick.
    lutra::data::stream_params input;
    input.coding = "sequence";
    input.dataset = "spike-order";
    input.presentation = 16;
    const lutra::experiments::sequence_data d =
        lutra::experiments::load_sequences(input, {.ticks = 16, .train_samples = 300, .test_samples = 200}, 4);
    CHECK(d.train.labels.size() == 300);
    CHECK(d.test.labels.size() == 200);
    CHECK(d.train.inputs.rows() == 16 * 2);
    // Labels are the stream's: 1 when A (input 0) spiked first. Noise aside, the first spike on each line decides.
    const auto stream = lutra::data::make_stimulus(input, 300, 4);
    lutra::core::bit_matrix tick(2, 300);
    std::vector<std::uint16_t> labels(300);
    for (std::uint64_t t = 0; t < 16; ++t) {
        stream->fill(t, tick);
        for (std::size_t s = 0; s < 300; ++s)
            for (std::uint32_t line = 0; line < 2; ++line)
                REQUIRE(d.train.inputs.get(t * 2 + line, s) == tick.get(line, s));
    }
    stream->labels(15, labels);
    CHECK(d.train.labels == labels);
    std::size_t ones = 0;
    for (const std::uint16_t l : d.test.labels) ones += l;
    CHECK(ones > 70);  // both classes, drawn apart from the training samples
    CHECK(ones < 130);
}
