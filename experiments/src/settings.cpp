#include "lutra/experiments/settings.hpp"

#include <string_view>

#include "lutra/core/error.hpp"
#include "lutra/core/read_file.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/topology/error.hpp"
#include "lutra/topology/genome_text.hpp"

namespace lutra::experiments {

namespace {

constexpr std::string_view isa_names[] = {"auto", "portable", "avx2", "avx512"};
constexpr std::string_view stats_splits[] = {"train", "test"};
constexpr std::string_view time_engines[] = {"event", "stepped"};
constexpr std::string_view verilog_styles[] = {"generic", "xilinx"};

}  // namespace

void describe(config_visitor& v, data_settings& s) {
    v.field("name", s.name, "dataset: mnist, fashion-mnist, xor, parity-N, majority-N (`lutra data`)");
    v.field("train_samples", s.train_samples, "first N training samples (synthetic: N random); 0 = all or default");
    v.field("test_samples", s.test_samples, "first N test samples (synthetic: N random); 0 = all or default");
    v.field("seed", s.seed, "seed of synthetic datasets");
    v.field("augment_shift", s.augment_shift,
            "training: move each image by up to this many pixels in x and y, anew every epoch; 0 = off", 0U, 64U);
    v.section("encoder", s.encoder, "how features become input bits");
}

void describe(config_visitor& v, infer_bench_settings& s) {
    v.section("network", s.network, "the random network to evaluate");
    v.field("samples", s.samples, "samples per batch", std::size_t{1}, std::size_t{1} << 26);
    v.list("threads", s.threads, "thread counts to measure, one figure each");
    v.choice("isa", s.isa, isa_names, "kernel instruction set; auto = the fastest this processor supports");
    v.field("tile_samples", s.tile_samples, "samples per engine tile, a multiple of 512", std::size_t{512},
            std::size_t{1} << 22);
    v.field("seed", s.seed, "seed of the network and the input bits");
    v.field("min_seconds", s.min_seconds, "time each configuration at least this long, in seconds", 0.0, 3600.0);
}

void describe(config_visitor& v, simulate_bench_settings& s) {
    v.section("network", s.network, "the random recurrent network with delays");
    v.list("activity", s.activity, "input activities to measure: the share of input bits flipping per tick");
    v.list("streams", s.streams, "stream counts to measure (the engines are bit-sliced over streams)");
    v.list("engines", s.engines, "engines to measure: event, stepped");
    v.field("verilator", s.verilator, "also time Verilator on a network of verilator_nodes, one stream, beside the engines");
    v.field("verilator_nodes", s.verilator_nodes, "nodes of the network Verilator and the engines run side by side",
            1U, 1U << 26);
    v.choice("verilator_style", s.verilator_style, verilog_styles, "the Verilog Verilator compiles");
    v.field("verilator_ticks", s.verilator_ticks, "ticks Verilator runs (the engines' digests cover the same)",
            std::uint64_t{1}, std::uint64_t{1} << 40);
    v.field("verilator_dir", s.verilator_dir, "Verilator's build directory; empty = a temporary one, removed after");
    v.field("threads", s.threads, "engine threads (split tiles of 512 streams)", 1U, 1024U);
    v.field("seed", s.seed, "seed of the network and the stimulus");
    v.field("min_seconds", s.min_seconds, "time each configuration at least this long, in seconds", 0.0, 3600.0);
    v.field("check_ticks", s.check_ticks, "ticks whose traces must agree before anything is timed", std::uint64_t{1},
            std::uint64_t{1} << 20);
}

void describe(config_visitor& v, experiment_settings& s) {
    v.field("name", s.name, "names the run directory runs/NAME (unless --out)");
    v.field("seed", s.seed, "seed of development, initial tables and shuffling");
    v.field("threads", s.threads, "worker threads, 0 = one per hardware thread", 0U, 1024U);
    v.section("data", s.data, "dataset and encoder");
    v.field("genome_file", s.genome_file, "genome file relative to this config, YAML or the A/C/G/T text form; empty = the genome section");
    v.section("genome", s.genome, "the genome (when genome_file is empty)");
    v.section("train", s.train, "training: the gradient rule's settings, or a schedule of plasticity rules");
    v.section("stats", s.stats, "per-node statistics recorded in run.h5");
    v.section("time", s.time, "lutra simulate: the stream, ticks, engine and what is recorded (docs/time.md)");
}

void describe(config_visitor& v, time_settings& s) {
    v.section("input", s.input, "the stimulus: a coding of a dataset, or a sequence (docs/streams.md)");
    v.field("ticks", s.ticks, "ticks to run", std::uint64_t{1}, std::uint64_t{1} << 40);
    v.field("streams", s.streams, "parallel streams, each an independent run on its own inputs",
            std::size_t{1}, std::size_t{1} << 20);
    v.choice("engine", s.engine, time_engines,
             "event: only nodes with a changed input run; stepped: every node every tick (the reference)");
    v.list("record", s.record, "populations whose spikes (rising edges) run.h5 keeps; empty = every population");
    v.field("record_stream", s.record_stream, "the stream whose spikes are recorded", std::size_t{0},
            (std::size_t{1} << 20) - 1);
    v.field("tick_ms", s.tick_ms, "one tick in milliseconds (spike times in run.h5 are in ms)", core::above(0.0));
    v.section("learn", s.learn, "plasticity rules run every tick on the stream's labels (online learning)");
    v.section("sequence", s.sequence,
              "lutra run: train on sequences of the input stream through time (docs/time.md); ticks 0 = off");
}

topology::genome load_genome(const std::filesystem::path& file, std::span<const std::string> overrides) {
    const std::string content = core::read_file(file, "read genome");
    const std::string name = file.string();
    try {
        if (content.find(':') != std::string::npos) {
            topology::genome g = parse_config<topology::genome>(content, name, overrides);
            topology::validate(g);
            return g;
        }
        if (!overrides.empty())
            throw error(name + ": --set applies to YAML genomes; this is the A/C/G/T text form (decode it first: "
                               "lutra genome decode)");
        if (content.find_first_not_of(" \t\r\n") == std::string::npos)
            throw error(name + ": the file is empty; expected a YAML genome or its A/C/G/T text form");
        return topology::from_text(content);
    } catch (const topology::genome_text_error& e) {
        throw error(name + ": " + e.what() + " (a genome file without ':' is read as the A/C/G/T text form)");
    } catch (const topology::genome_error& e) {
        throw error(name + ": " + e.what());
    }
}

core::dataset load_data(const data_settings& data) {
    return lutra::data::load_dataset(data.name,
                              {.seed = data.seed, .train_samples = data.train_samples, .test_samples = data.test_samples});
}

core::dataset load_data_for(const data_settings& data, const core::encoder& enc, const std::string& where) {
    core::dataset d;
    try {
        d = load_data(data);
    } catch (const error& e) {
        throw error(where + ": " + e.what());
    }
    if (d.num_features() != enc.num_features())
        throw error(where + ": dataset '" + d.name + "' has " + std::to_string(d.num_features()) +
                    " features per sample; the run's encoder takes " + std::to_string(enc.num_features()));
    return d;
}

void describe(config_visitor& v, stats_settings& s) {
    v.field("every", s.every, "record after every N-th epoch and the last; 0 = none", 0U, 1U << 20);
    v.field("samples", s.samples, "samples measured on, the first N of the split", std::size_t{1}, std::size_t{1} << 24);
    v.choice("split", s.split, stats_splits, "the split the statistics are measured on");
    v.field("sensitivity", s.sensitivity, "measure each node's sensitivity (flip its output, count changed decisions)");
}

}  // namespace lutra::experiments
