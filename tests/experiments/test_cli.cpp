// The `lutra` command as a user runs it: the real binary, its output and its
// exit code.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/run_lutra.hpp"
#include "support/temp_dir.hpp"

using lutra::test::run_lutra;

TEST_CASE("cli: version, help and usage errors") {
    const auto v = run_lutra("version");
    CHECK(v.exit_code == 0);
    CHECK(v.output.find("lutra 0.") != std::string::npos);
    CHECK(v.output.find("portable") != std::string::npos);

    for (const char* help : {"--help", "data --help", "data show --help", "bench infer --help", "version --help"}) {
        CAPTURE(help);
        const auto h = run_lutra(help);
        CHECK(h.exit_code == 0);
        CHECK(h.output.find("Usage") != std::string::npos);
    }
    const auto none = run_lutra("");
    CHECK(none.exit_code == 2);
    const auto bad = run_lutra("frobnicate");
    CHECK(bad.exit_code == 2);
}

TEST_CASE("cli: data lists every dataset with its status") {
    const auto r = run_lutra("data");
    CHECK(r.exit_code == 0);
    for (const char* name : {"mnist", "fashion-mnist", "xor", "parity-N", "majority-N"}) {
        CAPTURE(name);
        CHECK(r.output.find(name) != std::string::npos);
    }
    const auto show = run_lutra("--quiet data show --name parity-4 --set encoder.kind=binarize");
    CHECK(show.exit_code == 0);
    CHECK(show.output.find("16 samples") != std::string::npos);
    CHECK(show.output.find("4 input bits") != std::string::npos);
}

TEST_CASE("cli: bench infer runs from YAML with overrides and prints its figure") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto config = dir.path / "bench.yaml";
    std::ofstream(config) << "network: {inputs: 64, nodes: 200, layers: 2, k: 6, classes: 10}\n"
                             "samples: 3000\nmin_seconds: 0.01\nthreads: [1, 2]\n";
    const auto r = run_lutra("--quiet bench infer " + config.string() + " --set isa=portable");
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("threads 1:") != std::string::npos);
    CHECK(r.output.find("threads 2:") != std::string::npos);
    CHECK(r.output.find("LUT6 evaluations/s") != std::string::npos);
    CHECK(r.output.find("naive peak") != std::string::npos);

    const auto printed = run_lutra("bench infer " + config.string() + " --set samples=4096 --print-config");
    CHECK(printed.exit_code == 0);
    CHECK(printed.output.find("samples: 4096") != std::string::npos);
    CHECK(printed.output.find("nodes: 200") != std::string::npos);
}

TEST_CASE("cli: bad configuration exits 1 with file, line and YAML path") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto config = dir.path / "typo.yaml";
    std::ofstream(config) << "samples: 100\nnetwork:\n  nodez: 10\n";
    const auto r = run_lutra("bench infer " + config.string());
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("typo.yaml:3:") != std::string::npos);
    CHECK(r.output.find("network") != std::string::npos);
    CHECK(r.output.find("'nodez'") != std::string::npos);
    CHECK(r.output.find("did you mean 'nodes'") != std::string::npos);

    const auto missing = run_lutra("bench infer " + (dir.path / "absent.yaml").string());
    CHECK(missing.exit_code == 1);
    CHECK(missing.output.find("absent.yaml") != std::string::npos);

    const auto bad_set = run_lutra("bench infer --set isa=avx9");
    CHECK(bad_set.exit_code == 1);
    CHECK(bad_set.output.find("--set isa=avx9") != std::string::npos);
    CHECK(bad_set.output.find("avx512") != std::string::npos);
}

TEST_CASE("cli: genome develop prints statistics and a hash that depends only on the seed") {
    const std::string genome = std::string(LUTRA_CONFIGS_DIR) + "/genomes/recurrent.yaml";
    const auto a = run_lutra("--quiet genome develop " + genome + " --seed 5");
    const auto b = run_lutra("--quiet genome develop " + genome + " --seed 5 --threads 2");
    const auto c = run_lutra("--quiet genome develop " + genome + " --seed 6");
    REQUIRE(a.exit_code == 0);
    auto hash_line = [](const std::string& out) { return out.substr(out.find("hash:"), out.find('\n', out.find("hash:")) - out.find("hash:")); };
    CHECK(hash_line(a.output) == hash_line(b.output));
    CHECK(hash_line(a.output) != hash_line(c.output));
    CHECK(a.output.find("sequential") != std::string::npos);
    CHECK(a.output.find("fan-in:") != std::string::npos);

    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto graphml = dir.path / "g.graphml";
    const auto dot = dir.path / "g.dot";
    const auto files = run_lutra("--quiet genome develop " + genome + " --graphml " + graphml.string() + " --dot " + dot.string());
    CHECK(files.exit_code == 0);
    CHECK(std::filesystem::file_size(graphml) > 1000);
    CHECK(std::filesystem::file_size(dot) > 1000);
}

TEST_CASE("cli: genome encode and decode round-trip; corrupted text is rejected") {
    const std::string genome = std::string(LUTRA_CONFIGS_DIR) + "/genomes/mnist-rf.yaml";
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto text_file = dir.path / "g.dna";
    const auto encoded = run_lutra("genome encode " + genome);
    REQUIRE(encoded.exit_code == 0);
    std::ofstream(text_file) << encoded.output;
    const auto from_yaml = run_lutra("genome decode " + genome);
    const auto from_text = run_lutra("genome decode " + text_file.string());
    CHECK(from_text.exit_code == 0);
    CHECK(from_text.output == from_yaml.output);

    std::string corrupted = encoded.output;
    const std::size_t at = corrupted.find_first_of("ACGT", 40);
    corrupted[at] = corrupted[at] == 'A' ? 'C' : 'A';
    std::ofstream(dir.path / "bad.dna") << corrupted;
    const auto bad = run_lutra("genome decode " + (dir.path / "bad.dna").string());
    CHECK(bad.exit_code == 1);
    CHECK(bad.output.find("genome text") != std::string::npos);
}

TEST_CASE("cli: genome errors name the gene; mutate prints a valid child") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto file = dir.path / "g.yaml";
    std::ofstream(file) << "inputs: {width: 2, height: 1, bits: 1}\n"
                           "populations: [{name: out, size: 2, k: 2}]\n"
                           "projections: [{target: out, sources: [inptu]}]\n"
                           "head: {population: out, classes: 2}\n";
    const auto r = run_lutra("genome develop " + file.string());
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("projections[0]") != std::string::npos);
    CHECK(r.output.find("inptu") != std::string::npos);

    const std::string genome = std::string(LUTRA_CONFIGS_DIR) + "/genomes/recurrent.yaml";
    const auto m = run_lutra("genome mutate " + genome + " --seed 3 --op point");
    CHECK(m.exit_code == 0);
    CHECK(m.output.find("populations:") != std::string::npos);
    std::ofstream(dir.path / "child.yaml") << m.output.substr(m.output.find("inputs:"));
    CHECK(run_lutra("--quiet genome develop " + (dir.path / "child.yaml").string()).exit_code == 0);
}

TEST_CASE("cli: run trains configs/parity.yaml into a run directory that eval reads back") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto out = dir.path / "parity";
    const std::string config = std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml";
    const auto r = run_lutra("--quiet run " + config + " --out " + out.string() + " --set train.epochs=40");
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("hardened") != std::string::npos);
    for (const char* file : {"config.yaml", "genome.yaml", "genome.dna", "run.h5", "summary.txt"}) {
        CAPTURE(file);
        CHECK(std::filesystem::exists(out / file));
    }
    // The accuracy eval measures on the stored network is the one the run reported.
    const std::string reported = r.output.substr(r.output.find("test:"));
    const std::string percent = reported.substr(reported.find_first_of("0123456789"), reported.find('%') - reported.find_first_of("0123456789"));
    const auto e = run_lutra("eval " + out.string());
    CHECK(e.exit_code == 0);
    CHECK(e.output.find("accuracy " + percent + "%") != std::string::npos);

    // The same seed twice gives the same trained network, whatever the threads.
    const auto again = run_lutra("--quiet run " + config + " --out " + (dir.path / "again").string() +
                                 " --set train.epochs=40 --set threads=1");
    REQUIRE(again.exit_code == 0);
    CHECK(again.output.substr(again.output.find("test:"), 40) == r.output.substr(r.output.find("test:"), 40));

    // A run directory is never overwritten.
    const auto twice = run_lutra("--quiet run " + config + " --out " + out.string());
    CHECK(twice.exit_code == 1);
    CHECK(twice.output.find("already holds a run") != std::string::npos);

    const auto missing = run_lutra("eval " + (dir.path / "nothing").string());
    CHECK(missing.exit_code == 1);
}

TEST_CASE("cli: run checks that the genome's inputs match the encoded data") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const std::string config = std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml";
    const auto r = run_lutra("run " + config + " --out " + (dir.path / "x").string() + " --set genome.inputs.width=5");
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("genome.inputs is 5×1×1") != std::string::npos);
}

TEST_CASE("cli: analyze and eval reject what is not a run file, naming it") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto text = dir.path / "notes.h5";
    std::ofstream(text) << "not HDF5\n";
    for (const char* cmd : {"analyze ", "eval "}) {
        CAPTURE(cmd);
        const auto missing = run_lutra(std::string(cmd) + (dir.path / "absent.h5").string());
        CHECK(missing.exit_code == 1);
        CHECK(missing.output.find("absent.h5: open run file: no such file") != std::string::npos);
        const auto foreign = run_lutra(std::string(cmd) + text.string());
        CHECK(foreign.exit_code == 1);
        CHECK(foreign.output.find("notes.h5: open run file: not an HDF5 file") != std::string::npos);
    }
}

TEST_CASE("cli: lutra export names what is wrong with its input and leaves existing files alone") {
    const lutra::test::temp_dir dir("lutra-test-export");
    const std::string run = (dir.path / "parity").string();
    REQUIRE(run_lutra("-q run " + std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml --out " + run +
                      " --set train.epochs=3")
                .exit_code == 0);
    const auto fails = [](const std::string& args, const std::string& message) {
        CAPTURE(args);
        const auto r = run_lutra(args);
        CAPTURE(r.output);
        CHECK(r.exit_code != 0);
        CHECK(r.output.find(message) != std::string::npos);
    };
    const std::string out = (dir.path / "out").string();
    fails("export " + (dir.path / "absent").string() + " --out " + out, "absent");
    fails("export " + run + " --out " + out + " --part xc9zz", "unknown FPGA part 'xc9zz'; known parts: xc7k480t");
    fails("export " + run + " --out " + out + " --target vhdl", "vhdl");
    fails("export " + run + " --out " + out + " --target generic --pipeline 2",
          "--pipeline applies to --target xilinx");
    CHECK_FALSE(std::filesystem::exists(out));  // nothing was written by the refused exports

    std::filesystem::create_directories(out);
    std::ofstream(std::filesystem::path(out) / "keep.txt") << "mine\n";
    fails("export " + run + " --out " + out, "is not empty; choose another --out, or give --force");
    CHECK(std::filesystem::directory_iterator(out)->path().filename() == "keep.txt");
    CHECK(run_lutra("-q export " + run + " --out " + out + " --force --vectors 8").exit_code == 0);
    CHECK(std::filesystem::exists(std::filesystem::path(out) / "report.txt"));
    CHECK(std::filesystem::exists(std::filesystem::path(out) / "keep.txt"));
}

TEST_CASE("cli: bad stats settings name the key and what is valid") {
    const std::string config = std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml";
    const auto split = run_lutra("run " + config + " --print-config --set stats.split=valid");
    CHECK(split.exit_code == 1);
    CHECK(split.output.find("stats.split: expected one of train, test, got 'valid'") != std::string::npos);
    const auto samples = run_lutra("run " + config + " --print-config --set stats.samples=0");
    CHECK(samples.exit_code == 1);
    CHECK(samples.output.find("stats.samples") != std::string::npos);
}

TEST_CASE("cli: config keys lists every key with its type, range or choices, default and doc") {
    const auto keys = run_lutra("config keys");
    CHECK(keys.exit_code == 0);
    const auto line_of = [](const std::string& output, const std::string& key) {
        const std::size_t at = output.find("\n" + key + " ");
        return at == std::string::npos ? std::string() : output.substr(at + 1, output.find('\n', at + 1) - at - 1);
    };
    const std::string gamma = line_of(keys.output, "train.optimizer.gamma");
    CHECK(gamma.find("number in (0.0, 1.0]") != std::string::npos);
    CHECK(gamma.find("step: decay factor") != std::string::npos);
    const std::string bits = line_of(keys.output, "data.encoder.bits");
    CHECK(bits.find("integer in 1..255") != std::string::npos);
    CHECK(bits.find(" 3 ") != std::string::npos);  // the default
    CHECK(line_of(keys.output, "data.encoder.kind").find("one of binarize, thermometer") != std::string::npos);
    CHECK(line_of(keys.output, "genome.populations[].k").find("integer in 1..16") != std::string::npos);
    CHECK(run_lutra("config keys experiment").output == keys.output);  // the default

    const auto genome = run_lutra("config keys genome");
    CHECK(genome.exit_code == 0);
    CHECK(line_of(genome.output, "populations[].k").find("integer in 1..16") != std::string::npos);
    const auto bench = run_lutra("config keys bench-infer");
    CHECK(bench.exit_code == 0);
    CHECK(line_of(bench.output, "isa").find("one of auto, portable, avx2, avx512") != std::string::npos);
    const auto bench_simulate = run_lutra("config keys bench-simulate");
    CHECK(bench_simulate.exit_code == 0);
    CHECK(line_of(bench_simulate.output, "network.table_density").find("0.05") != std::string::npos);
    const auto data = run_lutra("config keys data");
    CHECK(data.exit_code == 0);
    CHECK(line_of(data.output, "encoder.bits").find("integer in 1..255") != std::string::npos);
    // Every rule of the catalogue, its keys below its name.
    const auto rules = run_lutra("config keys rules");
    CHECK(rules.exit_code == 0);
    CHECK(line_of(rules.output, "prune.budget").find("number in 0.0..1.0") != std::string::npos);
    CHECK(line_of(rules.output, "gradient.optimizer.kind").find("one of adam, sgd") != std::string::npos);
    CHECK(line_of(rules.output, "rewire.fraction").find("0.01") != std::string::npos);

    const auto unknown = run_lutra("config keys genom");
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.output.find("unknown settings 'genom' (did you mean 'genome'?)") != std::string::npos);
    CHECK(unknown.output.find("valid: experiment, genome, bench-infer, bench-simulate, data, rules") != std::string::npos);
}

TEST_CASE("cli: every rejection of a training setting happens before the run directory exists") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const std::string parity = std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml";
    // A config whose trained output population has k = 9, one more than the relaxed engine takes.
    const auto wide = dir.path / "wide.yaml";
    {
        std::ifstream in(parity);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        text.replace(text.find("{name: out, size: 8, k: 4}"), 26, "{name: out, size: 8, k: 9}");
        std::ofstream(wide) << text;
    }
    struct rejection {
        std::string args;
        std::string where;    // the file or override and the YAML path
        std::string problem;  // what is wrong and what is valid
    };
    // parity.yaml sets the gradient's optimizer in train: a schedule takes it back to the defaults.
    const std::string defaults = " --set 'train.optimizer={learning_rate: 0.01}'";
    const std::string schedule = defaults + " --set 'train.schedule=[{epochs: 2, rules: [{rule: gradient}]}]'";
    const std::vector<rejection> cases = {
        {parity + " --set train.optimizer.gamma=0", "--set train.optimizer.gamma=0: train.optimizer.gamma:",
         "expected a number in (0.0, 1.0], got 0"},
        {parity + " --set 'genome.populations[1].k=9'",
         "--set genome.populations[1].k=9: genome.populations[1].k:",
         "population 'out': rule 'gradient' cannot train it: k = 9, but the relaxed engine takes k ≤ 8"},
        {wide.string(), wide.string() + ":12:", "genome.populations[1].k: population 'out'"},
        {parity + schedule, "train.schedule:", "the phases train 2 epochs in all, but train.epochs is 60"},
        {parity + " --set train.epochs=2 --set train.sharpen=2" + schedule, "train.schedule:",
         "give the gradient rule's parameters (init_scale, sharpen, optimizer) in its schedule entry"},
        {parity + " --set 'train.schedule=[{epochs: 60, rules: [{rule: gradiant}]}]'",
         "train.schedule[0].rules[0].rule:", "got 'gradiant' (did you mean 'gradient'?)"},
        {parity + defaults + " --set 'train.schedule=[{epochs: 60, populations: [hiden], rules: [{rule: gradient}]}]'",
         "train.schedule[0].populations[0]:", "no population 'hiden' in the network (did you mean 'hidden'?)"},
        {parity + defaults + " --set 'train.schedule=[{epochs: 60, rules: [{rule: prune, budgt: 0.1}]}]'",
         "train.schedule[0].rules[0]:", "unknown key 'budgt' (did you mean 'budget'?); valid keys: rule, budget"},
        {parity + defaults + " --set 'train.schedule=[{epochs: 60, rules: [{rule: prune, budget: 1.5}]}]'",
         "train.schedule[0].rules[0].budget:", "expected a number in 0.0..1.0, got 1.5"},
        {parity + " --set 'train.schedule=[{epochs: 60, rules: [{rule: gradient, sharpen: 0.5}]}]'",
         "train.schedule[0].rules[0].sharpen:", "expected a number in 1.0..1000.0, got 0.5"},
        {parity + defaults + " --set 'train.schedule=[{epochs: 60, rules: []}]'", "train.schedule[0].rules:",
         "a phase needs at least one rule"},
        {parity + " --set 'genome.projections[1].learn_wiring={candidates: 2}'",
         "genome: projections[1].learn_wiring.candidates:",
         "2 candidates per node for the 4 slots it fills of 'out'; a node's slots read distinct candidates, so give "
         "at least 4"},
        {parity + " --set 'genome.projections[1].learn_wiring={candidates: 8, temperature: 0}'",
         "genome.projections[1].learn_wiring.temperature:", "expected a number in (0.0"},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const rejection& c = cases[i];
        CAPTURE(c.args);
        const auto out = dir.path / ("run" + std::to_string(i));
        const auto r = run_lutra("--quiet run " + c.args + " --out " + out.string());
        CHECK(r.exit_code == 1);
        CHECK(r.output.find(c.where) != std::string::npos);
        CHECK(r.output.find(c.problem) != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(out));
    }
    // The same settings, corrected, run: nothing of the refused attempts is in the way.
    const auto fixed = run_lutra("--quiet run " + parity + " --set train.epochs=2 --out " + (dir.path / "run0").string());
    CHECK(fixed.exit_code == 0);
    // And a schedule that is right runs too.
    const auto scheduled = run_lutra("--quiet run " + parity + " --set train.epochs=2" + schedule + " --out " +
                                     (dir.path / "run1").string());
    CHECK(scheduled.exit_code == 0);
    CHECK(std::filesystem::exists(dir.path / "run1" / "summary.txt"));
}

TEST_CASE("cli: a run never writes outside the directory it names, nor into one holding other files") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const std::string parity = std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml";
    // The name becomes runs/NAME: anything but one plain component is refused,
    // before anything is written (the command runs inside dir/work).
    const auto work = dir.path / "work";
    std::filesystem::create_directories(work);
    for (const std::string name : {"..", ".", "\"\"", "../x", "/abs/path", "a/b"}) {
        CAPTURE(name);
        const auto r = lutra::test::run_command("cd " + work.string() + " && " + std::string(LUTRA_BINARY) +
                                                " --quiet run " + parity + " --set 'name=" + name + "'");
        CHECK(r.exit_code == 1);
        CHECK(r.output.find("name: '") != std::string::npos);
        CHECK(r.output.find("cannot name a run directory") != std::string::npos);
    }
    CHECK(std::filesystem::is_empty(work));
    CHECK_FALSE(std::filesystem::exists(dir.path / "x"));

    // --out into a directory of unrelated files is refused and leaves them alone.
    const auto busy = dir.path / "busy";
    std::filesystem::create_directories(busy);
    std::ofstream(busy / "notes.txt") << "mine\n";
    const auto r = run_lutra("--quiet run " + parity + " --set train.epochs=1 --out " + busy.string());
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("is not empty") != std::string::npos);
    CHECK(std::filesystem::exists(busy / "notes.txt"));
    CHECK_FALSE(std::filesystem::exists(busy / "config.yaml"));
    // An empty one is fine.
    const auto empty = dir.path / "empty";
    std::filesystem::create_directories(empty);
    CHECK(run_lutra("--quiet run " + parity + " --set train.epochs=1 --out " + empty.string()).exit_code == 0);

    // analyze --report never overwrites a report or mixes with other files.
    const auto report = dir.path / "report";
    std::filesystem::create_directories(report);
    std::ofstream(report / "report.md") << "an earlier report\n";
    const auto a = run_lutra("--quiet analyze " + empty.string() + " --report " + report.string());
    CHECK(a.exit_code == 1);
    CHECK(a.output.find("not empty") != std::string::npos);
    std::ifstream kept(report / "report.md");
    std::string line;
    std::getline(kept, line);
    CHECK(line == "an earlier report");
}

TEST_CASE("cli: a run.h5 not marked finished is refused by eval, export and analyze; one copied away alone reads") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto run = dir.path / "run";
    REQUIRE(run_lutra("--quiet run " + std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml --set train.epochs=2 --out " +
                      run.string())
                .exit_code == 0);
    // The mark travels with the file: run.h5 alone, out of its directory, is whole.
    std::filesystem::copy_file(run / "run.h5", dir.path / "copy.h5");
    CHECK(run_lutra("eval " + (dir.path / "copy.h5").string()).exit_code == 0);

    // As if killed after /network but before the mark, and before summary.txt.
    std::filesystem::remove(run / "summary.txt");
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t file = H5Fopen((run / "run.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(file >= 0);
    CHECK(H5Adelete(file, "finished") >= 0);
    H5Fclose(file);
    for (const std::string& cmd : {"eval " + run.string(), "analyze " + (run / "run.h5").string(),
                                   "export " + run.string() + " --out " + (dir.path / "out").string()}) {
        CAPTURE(cmd);
        const auto r = run_lutra(cmd);
        CHECK(r.exit_code == 1);
        CHECK(r.output.find((run / "run.h5").string() + ": read a finished run: the run has not finished") !=
              std::string::npos);
        CHECK(r.output.find("lutra run --resume " + run.string()) != std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists(dir.path / "out"));
    // The resume finishes it: the mark, then summary.txt.
    CHECK(run_lutra("--quiet run --resume " + run.string()).exit_code == 0);
    CHECK(run_lutra("eval " + run.string()).exit_code == 0);
    CHECK(std::filesystem::exists(run / "summary.txt"));
    std::filesystem::remove(run / "summary.txt");

    // resume names a missing config.yaml rather than failing to read it.
    std::filesystem::remove(run / "config.yaml");
    const auto resumed = run_lutra("--quiet run --resume " + run.string());
    CHECK(resumed.exit_code == 1);
    CHECK(resumed.output.find("has no config.yaml") != std::string::npos);
}

TEST_CASE("cli: a write that fails in run.h5 ends in exit 1 with the file named, not in a signal") {
    // A file size limit (no root needed) makes HDF5's writes fail as a full
    // disk would (EFBIG instead of ENOSPC); HDF5 then fails to close the file,
    // after which its exit handler died with SIGSEGV.
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto out = dir.path / "run";
    // (Under AddressSanitizer without the leak check: HDF5's failure path may lose memory.)
    const auto r = lutra::test::run_command("ASAN_OPTIONS=detect_leaks=0 sh -c \"trap '' XFSZ; ulimit -f 60; exec " +
                                            std::string(LUTRA_BINARY) +
                                            " --quiet run " + std::string(LUTRA_CONFIGS_DIR) +
                                            "/parity.yaml --set train.epochs=40 --out " + out.string() + "\"");
    CAPTURE(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("run.h5") != std::string::npos);
    CHECK(r.output.find("File too large") != std::string::npos);
    // Nothing that looks finished, and nothing that blocks a new attempt.
    CHECK_FALSE(std::filesystem::exists(out / "summary.txt"));
    if (!std::filesystem::exists(out)) CHECK(run_lutra("--quiet run " + std::string(LUTRA_CONFIGS_DIR) +
                                                       "/parity.yaml --set train.epochs=2 --out " + out.string())
                                                 .exit_code == 0);
}

TEST_CASE("cli: genome develop publishes --graphml and --dot whole, with no temporary left") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto graphml = dir.path / "g.graphml";
    const auto dot = dir.path / "g.dot";
    const auto r = run_lutra("--quiet genome develop " + std::string(LUTRA_CONFIGS_DIR) +
                             "/genomes/recurrent.yaml --graphml " + graphml.string() + " --dot " + dot.string());
    CHECK(r.exit_code == 0);
    CHECK(std::filesystem::file_size(graphml) > 0);
    CHECK(std::filesystem::file_size(dot) > 0);
    CHECK_FALSE(std::filesystem::exists(dir.path / ".g.graphml.partial"));
    // An unwritable target names the file and the reason.
    std::filesystem::create_directory(dir.path / ".h.dot.partial");
    const auto bad = run_lutra("--quiet genome develop " + std::string(LUTRA_CONFIGS_DIR) + "/genomes/recurrent.yaml --dot " +
                               (dir.path / "h.dot").string());
    CHECK(bad.exit_code == 1);
    CHECK(bad.output.find((dir.path / "h.dot").string() + ": create: Is a directory") != std::string::npos);
}

namespace {

// A command refused as bad input: exit 1, the message, no internal error.
void check_refused(const std::string& args, const std::vector<std::string>& messages, int exit_code = 1) {
    CAPTURE(args);
    const auto r = run_lutra(args);
    CAPTURE(r.output);
    CHECK(r.exit_code == exit_code);
    for (const std::string& m : messages) CHECK(r.output.find(m) != std::string::npos);
    CHECK(r.output.find("internal error") == std::string::npos);
}

std::string parity_config() { return std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml"; }

}  // namespace

TEST_CASE("cli: a negative value for an unsigned option is refused, not wrapped around") {
    const std::string genome = std::string(LUTRA_CONFIGS_DIR) + "/genomes/recurrent.yaml";
    for (const std::string& args : std::vector<std::string>{
             "genome develop " + genome + " --seed -1", "genome develop " + genome + " --threads -2",
             "genome mutate " + genome + " --seed -1", "eval nowhere --threads -1",
             "export nowhere --out x --vectors -1", "export nowhere --out x --pipeline -1"})
        check_refused(args, {"expected a non-negative integer"}, 2);
    // Zero and positive values still pass.
    CHECK(run_lutra("--quiet genome develop " + genome + " --seed 0").exit_code == 0);
}

TEST_CASE("cli: a directory where a file is expected is a clear error, exit 1") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto folder = dir.path / "folder";
    std::filesystem::create_directories(folder);
    check_refused("run " + folder.string(), {"folder: is a directory, not a file"});
    check_refused("bench infer " + folder.string(), {"folder: is a directory, not a file"});
    check_refused("genome show " + folder.string(), {"folder: read genome: is a directory, not a file"});
    // genome_file naming a directory, or a device that never ends.
    const auto config = dir.path / "exp.yaml";
    std::ofstream(config) << "name: x\ndata: {name: parity-6, encoder: {kind: binarize}}\ngenome_file: folder\n";
    check_refused("run " + config.string() + " --out " + (dir.path / "out").string(), {"is a directory, not a file"});
    std::ofstream(config) << "name: x\ndata: {name: parity-6, encoder: {kind: binarize}}\ngenome_file: /dev/zero\n";
    check_refused("run " + config.string() + " --out " + (dir.path / "out").string(),
                  {"/dev/zero: read genome: is not a regular file"});
    CHECK_FALSE(std::filesystem::exists(dir.path / "out"));
    // A run directory whose run.h5 is a directory.
    std::filesystem::create_directories(dir.path / "run" / "run.h5");
    for (const std::string cmd : {"eval ", "analyze ", "export "}) {
        const std::string extra = cmd == "export " ? " --out " + (dir.path / "exported").string() : "";
        check_refused(cmd + (dir.path / "run").string() + extra, {"run.h5: open run file: is a directory, not a file"});
    }
    // --resume with a config.yaml or checkpoint that is a directory.
    const auto resume = dir.path / "resume";
    std::filesystem::create_directories(resume / "config.yaml");
    std::filesystem::create_directories(resume / "checkpoint");
    check_refused("run --resume " + resume.string(), {"is a directory, not a file"});
}

TEST_CASE("cli: a genome file is YAML or the text form by content; a bad base is named with its position") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto encoded = run_lutra("genome encode " + std::string(LUTRA_CONFIGS_DIR) + "/genomes/mnist-rf.yaml");
    REQUIRE(encoded.exit_code == 0);
    for (const char bad : {'N', 'X', '7', '\0'}) {
        std::string text = encoded.output;
        text[20] = bad;
        const auto file = dir.path / "bad.dna";
        std::ofstream(file, std::ios::binary) << text;
        const std::string found = bad == '\0' ? "the byte 0x00" : "'" + std::string(1, bad) + "'";
        CAPTURE(bad);
        const auto r = run_lutra("genome decode " + file.string());
        CHECK(r.exit_code == 1);
        CHECK(r.output.find("bad.dna: genome text: at base 20: expected A, C, G or T, found " + found) !=
              std::string::npos);
        CHECK(r.output.size() < 400);  // not the whole text
    }
    // An experiment's genome_file may be the text form.
    const auto dna = dir.path / "parity.dna";
    const auto genome_yaml = dir.path / "parity-genome.yaml";
    std::ofstream(genome_yaml) << "inputs: {width: 6, height: 1, bits: 1}\n"
                                  "populations:\n  - {name: hidden, size: 12, k: 3}\n  - {name: out, size: 8, k: 4}\n"
                                  "projections:\n  - {target: hidden, sources: [input], rule: random}\n"
                                  "  - {target: out, sources: [hidden], rule: random}\n"
                                  "head: {population: out, classes: 2}\n";
    const auto text = run_lutra("genome encode " + genome_yaml.string());
    REQUIRE(text.exit_code == 0);
    std::ofstream(dna) << text.output;
    const auto config = dir.path / "exp.yaml";
    std::ofstream(config) << "name: x\ndata: {name: parity-6, encoder: {kind: binarize}}\ngenome_file: parity.dna\n"
                             "train: {epochs: 2}\n";
    const auto from_text = run_lutra("run " + config.string() + " --print-config");
    CHECK(from_text.exit_code == 0);
    CHECK(from_text.output.find("name: hidden") != std::string::npos);
    CHECK(run_lutra("--quiet run " + config.string() + " --out " + (dir.path / "run").string()).exit_code == 0);
    // An empty genome file says what it expected.
    std::ofstream(dir.path / "empty.dna") << "\n";
    check_refused("genome show " + (dir.path / "empty.dna").string(), {"empty.dna: the file is empty"});
}

TEST_CASE("cli: an empty config names its file") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto empty = dir.path / "empty.yaml";
    std::ofstream(empty) << "# nothing yet\n";
    check_refused("--quiet run " + empty.string() + " --out " + (dir.path / "out").string(), {"empty.yaml"});
    CHECK_FALSE(std::filesystem::exists(dir.path / "out"));
}

TEST_CASE("cli: a head whose classes differ from the dataset's is refused before anything is written") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    for (const char* classes : {"4", "1"}) {
        const auto out = dir.path / ("out" + std::string(classes));
        check_refused("--quiet run " + parity_config() + " --set genome.head.classes=" + classes + " --out " +
                          out.string(),
                      {"genome.head.classes", "dataset 'parity-6' has 2"});
        CHECK_FALSE(std::filesystem::exists(out));
    }
    // eval on another dataset: its classes must be the head's.
    const auto run = dir.path / "run";
    REQUIRE(run_lutra("--quiet run " + parity_config() + " --set train.epochs=1 --out " + run.string()).exit_code == 0);
    check_refused("eval " + run.string() + " --data mnist", {"the network's head has 2 classes, but dataset 'mnist' has 10"});
}

TEST_CASE("cli: a threshold grid coarser than the encoder's bits is refused before anything is written") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto out = dir.path / "out";
    const std::string thermometer = " --set data.encoder.kind=thermometer --set genome.inputs.bits=4"
                                    " --set data.encoder.bits=4 --out " + out.string();
    check_refused("--quiet run " + parity_config() + " --set data.encoder.resolution=2" + thermometer,
                  {"data.encoder.resolution=2: data.encoder.resolution: a threshold grid coarser than the encoder's bits allow: 4 "
                   "bits need resolution ≥ 3"});
    check_refused("--quiet run " + parity_config() + " --set data.encoder.resolution=9" + thermometer,
                  {"data.encoder.resolution: expected an integer in 1..8, got 9"});
    CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("cli: sizes beyond the machine's memory are refused before allocating, naming the field") {
    const lutra::test::temp_dir dir("lutra-test-cli");
    const auto out = dir.path / "out";
    check_refused("--quiet run " + parity_config() + " --set data.train_samples=1000000000000 --out " + out.string(),
                  {"data.train_samples: the run would need about", "GiB of memory", "but this machine has"});
    check_refused("--quiet run " + parity_config() +
                      " --set 'genome.populations[0].size=16777216' --set 'genome.populations[0].k=16' --out " +
                      out.string(),
                  {"genome.populations[0].size: the run would need about"});
    CHECK_FALSE(std::filesystem::exists(out));
    const auto genome = dir.path / "big.yaml";
    std::ofstream(genome) << "inputs: {width: 6, height: 1, bits: 1}\n"
                             "populations:\n  - {name: out, size: 16777216, k: 16}\n"
                             "projections:\n  - {target: out, sources: [input], rule: random}\n"
                             "head: {population: out, classes: 2}\n";
    check_refused("genome develop " + genome.string(), {"big.yaml:3:", "populations[0].size", "GiB"});
    check_refused("bench infer --set network.nodes=67108864 --set network.k=16",
                  {"--set network.nodes=67108864: network.nodes", "GiB"});
    check_refused("data show --name parity-20 --set train_samples=1000000000000", {"train_samples", "GiB"});
    // A documented cap lowers the limit; a malformed one is refused.
    const std::string lutra = std::string(LUTRA_BINARY) + " --quiet run " + parity_config() + " --out " + out.string();
    const auto capped = lutra::test::run_command("LUTRA_MEMORY_LIMIT=1M " + lutra);
    CHECK(capped.exit_code == 1);
    CHECK(capped.output.find("this machine has 1 MiB (LUTRA_MEMORY_LIMIT)") != std::string::npos);
    const auto malformed = lutra::test::run_command("LUTRA_MEMORY_LIMIT=lots " + lutra);
    CHECK(malformed.exit_code == 1);
    CHECK(malformed.output.find("LUTRA_MEMORY_LIMIT = 'lots' is not a size") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
}
