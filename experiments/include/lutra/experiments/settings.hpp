#pragma once
// The YAML schemas of Lutra's commands: one describe() per settings struct
// (config.hpp). Structs of the libraries are described beside them (core,
// topology, plasticity), and their sections here use those descriptions.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/time.hpp"
#include "lutra/data/streams.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/sequence.hpp"
#include "lutra/plasticity/online.hpp"
#include "lutra/plasticity/session.hpp"
#include "lutra/topology/genome.hpp"
#include "lutra/topology/schema.hpp"

namespace lutra::experiments {

// Which dataset, how much of it, and how it becomes input bits.
struct data_settings {
    std::string name = "mnist";       // a dataset name (`lutra data`)
    std::size_t train_samples = 0;    // first N training samples (synthetic: N random), 0 = all / default
    std::size_t test_samples = 0;     // as train_samples, for the test split
    std::uint64_t seed = 1;           // synthetic datasets are generated from it
    std::uint32_t augment_shift = 0;  // training images move by up to this many pixels, anew each epoch
    core::encoder_params encoder;     // features → input bits
};

// The dataset `data` names, with its seed and sample counts.
[[nodiscard]] core::dataset load_data(const data_settings& data);
// As load_data, for a trained run's encoder: throws lutra::error starting
// with `where` (e.g. the run file) if the dataset cannot be loaded or has
// another number of features than the encoder takes.
[[nodiscard]] core::dataset load_data_for(const data_settings& data, const core::encoder& enc, const std::string& where);

// `lutra bench infer`: bit-sliced inference on a random network.
struct infer_bench_settings {
    core::random_network_params network{.num_inputs = 2352, .nodes = 5000, .layers = 5, .k = 6, .num_classes = 10};
    std::size_t samples = 65536;          // samples per batch
    std::vector<unsigned> threads{1, 2};  // thread counts to measure, each a separate figure
    std::string isa = "auto";             // auto | portable | avx2 | avx512
    std::size_t tile_samples = 4096;      // samples per engine tile, a multiple of 512
    std::uint64_t seed = 1;               // network tables, wiring and input bits
    double min_seconds = 2.0;             // time each configuration at least this long
};

// `lutra bench simulate` (docs/time.md, "Benchmark"): the timed engines on a
// random recurrent network with delays, and Verilator on its exported
// Verilog beside them.
struct simulate_bench_settings {
    core::random_timed_params network{.num_inputs = 1000, .nodes = 100000, .k_min = 6, .k_max = 6, .p_delayed = 0.3,
                                      .max_delay = 16, .table_density = 0.05};
    std::vector<double> activity{0.01, 0.1, 0.5};  // input bits flipping per tick and stream
    std::vector<std::size_t> streams{1, 512};      // stream counts to measure
    std::vector<std::string> engines{"event", "stepped"};
    // Verilator beside the engines, on a network of verilator_nodes (same
    // parameters otherwise): it cannot compile 100,000 nodes here (docs/time.md).
    bool verilator = true;
    std::uint32_t verilator_nodes = 2000;
    std::string verilator_style = "generic";       // generic | xilinx (the exported primitives, ~4× slower in Verilator)
    std::uint64_t verilator_ticks = 50000;         // ticks Verilator runs (and the engines' digests cover)
    std::string verilator_dir;                     // where Verilator builds; empty = a temporary directory
    unsigned threads = 1;                          // engine threads (tiles of 512 streams)
    std::uint64_t seed = 1;                        // network and stimulus
    double min_seconds = 2.0;                      // time each configuration at least this long
    std::uint64_t check_ticks = 64;                // ticks whose traces must agree between engines and Verilator
};

// Per-node statistics recorded in run.h5's /stats (docs/run-file.md): measured
// on the hardened network after an epoch, on the first `samples` samples of a
// split; the mean |dL/dy| comes from that epoch's training batches.
struct stats_settings {
    std::uint32_t every = 1;       // record after every N-th epoch (and the last); 0 = no /stats
    std::size_t samples = 1000;    // samples the statistics are measured on, the first N of the split
    std::string split = "train";   // train | test
    bool sensitivity = true;       // the costliest statistic: one fan-out cone per node
};

// `lutra simulate` (docs/time.md): the network run tick by tick on a stream.
struct time_settings {
    data::stream_params input;        // the stimulus: a coding of a dataset, or a sequence
    std::uint64_t ticks = 1000;       // ticks to run
    std::size_t streams = 1;          // parallel streams (independent runs), bit-sliced
    std::string engine = "event";     // event | stepped (the reference; the same traces)
    std::vector<std::string> record;  // populations whose spikes run.h5 keeps; empty = every population
    std::size_t record_stream = 0;    // the stream whose spikes are recorded
    double tick_ms = 1.0;             // one tick in milliseconds (SONATA spike times are in ms)
    plasticity::online_params learn;  // rules run every tick (online learning); none = the network as it is
    sequence_settings sequence;       // `lutra run` trains on sequences of `input` (sequence.hpp); ticks 0 = off
};

// `lutra run`: one experiment — data, genome, training — into a run directory.
struct experiment_settings {
    std::string name = "experiment";  // names the run directory (runs/NAME) unless --out is given
    std::uint64_t seed = 1;           // development, initial tables, shuffling
    unsigned threads = 0;             // worker threads, 0 = one per hardware thread
    data_settings data;
    std::string genome_file;          // a genome file, relative to this config; empty = the genome section
    topology::genome genome;
    plasticity::session_params train;
    stats_settings stats;
    time_settings time;
};

// A genome file in either form, told apart by content: YAML when it has a
// ':' anywhere (every YAML genome is a mapping of keys), else the A/C/G/T
// text form (docs/genome.md). --set overrides apply to YAML only. The file
// must be a regular file of at most core::max_text_file_bytes. Throws
// config_error naming the file (and line and YAML path) for YAML, lutra::error
// starting with the file for the text form, and for a genome that breaks
// the rules (topology::validate).
[[nodiscard]] topology::genome load_genome(const std::filesystem::path& file,
                                           std::span<const std::string> overrides = {});

void describe(config_visitor& v, experiment_settings& s);
void describe(config_visitor& v, data_settings& s);
void describe(config_visitor& v, infer_bench_settings& s);
void describe(config_visitor& v, simulate_bench_settings& s);
void describe(config_visitor& v, stats_settings& s);
void describe(config_visitor& v, time_settings& s);

}  // namespace lutra::experiments
