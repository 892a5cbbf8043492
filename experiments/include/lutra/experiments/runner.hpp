#pragma once
// `lutra run` and `lutra eval`: one experiment from a YAML file into a run
// directory, and the evaluation of a trained network read back from it.
//
// A run directory holds config.yaml (the resolved settings), genome.yaml and
// genome.dna (the genome in both forms), run.h5 (docs/run-file.md: the
// trained, hardened network, the encoder, the metrics per epoch), checkpoint
// (the trainer's state after the last finished epoch) and, once the run has
// finished, summary.txt. A directory that already holds a run is never
// overwritten; a run killed at any moment is continued by resume_experiment
// and ends with the same network as if it had never stopped.
//
// What a kill or a full disk can leave (docs/failure-behaviour.md): the
// directory appears only once its starting files (config.yaml, the genome,
// run.h5 with config, genome and encoder) are whole — they are written into a
// temporary sibling and renamed into place (core/publish.hpp); the checkpoint
// and summary.txt are each published whole or not at all; run.h5 grows in
// place by design (DESIGN §7) and is marked finished inside (/@finished) just
// before summary.txt, the run directory's completion mark, is published; eval,
// export and analyze refuse a run.h5 without its mark (finished_run_file), so
// one copied out of its directory alone still reads.
//
// A stop requested by a signal (stop.hpp) ends training at the next safe
// point, between batches: the unfinished epoch is abandoned, the checkpoint
// of the last finished one stays, and run_stopped says how to go on. A
// request after the last epoch has no effect: the run finishes.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/experiments/settings.hpp"

namespace lutra::experiments {

struct run_request {
    std::filesystem::path config_file;    // the experiment YAML
    std::vector<std::string> overrides;   // --set path=value, in order
    std::filesystem::path out_dir;        // empty = runs/<name>
};

struct run_summary {
    std::filesystem::path dir;
    std::string genome_hash;
    std::uint32_t nodes = 0;             // LUT nodes of the trained network
    double test_accuracy = 0;            // hardened network, bit-sliced engine, whole test split
    double test_accuracy_relaxed = 0;    // the relaxed network it was hardened from
    double train_seconds = 0;            // training in this session
    double stats_seconds = 0;            // of which recording /stats (measuring, the gradient meter, writing)
    // Of which each rule of the schedule (and "activity", the hard network's
    // evaluation for the rules that read it), summed over this session's
    // epochs, in the order first used.
    std::vector<std::pair<std::string, double>> rule_seconds;
    double total_seconds = 0;            // of the run, over all its sessions
    std::uint32_t resumed_from_epoch = 0;  // the checkpoint's epoch a resumed run went on from; 0 when fresh
    bool already_finished = false;       // resume found a finished run and did nothing; only dir is set
};

// Training stopped at a safe point because stop_signal() (stop.hpp) asked:
// `lutra run` exits 75 (EX_TEMPFAIL). With a checkpoint (epochs_done > 0),
// resume_experiment(dir) goes on from it and ends as an uninterrupted run;
// without one the run must start again in a new or emptied directory.
struct run_stopped : error {
    run_stopped(std::filesystem::path dir, std::uint32_t epochs_done, std::uint32_t epochs, int signal);
    std::filesystem::path dir;   // the run directory
    std::uint32_t epochs_done;   // the checkpoint's epoch: finished epochs; 0 = no checkpoint
    std::uint32_t epochs;        // the run's train.epochs
    int signal;                  // what asked to stop, e.g. SIGUSR1
    [[nodiscard]] bool resumable() const noexcept { return epochs_done > 0; }
};

// Loads the settings (and the genome file they name), checks that the genome's
// inputs match the encoded data, and trains; see the file comment. Throws
// run_stopped when a stop is requested during training.
run_summary run_experiment(const run_request& request);

// Continues the run in `dir` from its checkpoint with its own config.yaml:
// rebuilds data, encoder and network as the run did (checking the genome hash
// against run.h5 and the checkpoint), drops metrics rows of epochs after the
// checkpoint, trains the remaining epochs and finishes as run_experiment
// does. A finished run (summary.txt exists) is left alone. Without a
// checkpoint it is an error: the run did not finish its first epoch.
// `threads` other than 0 replaces the config's thread count for this session
// (results do not depend on it). Throws run_stopped as run_experiment does.
run_summary resume_experiment(const std::filesystem::path& dir, unsigned threads = 0);

// The completion mark of a run directory, written last.
inline constexpr std::string_view run_finished_mark = "summary.txt";

// The run.h5 of a finished run (`run`: a run directory or its run.h5): a
// readable run file (else run_reader's error) marked finished
// (run_reader::finished), else a lutra::io_error saying how to finish the run.
[[nodiscard]] std::filesystem::path finished_run_file(const std::filesystem::path& run);

// A run name usable as one directory below runs/: letters, digits, '.', '_'
// and '-', not empty, "." or "..".
[[nodiscard]] bool is_plain_name(std::string_view name);

// What can be checked from the settings (genome resolved) and the dataset's
// shape alone, before anything is loaded or allocated: the genome's rules,
// a sequence run's stream, one group of head outputs per class, and that the
// run fits in memory. Throws config_error located by `where`.
void check_before_loading(const experiment_settings& s, const config_source& where);

// The genome an experiment uses: its genome_file (relative to config_dir) or
// its genome section.
topology::genome resolve_genome(const experiment_settings& s, const std::filesystem::path& config_dir);

struct eval_result {
    std::string dataset;
    std::string split;
    std::size_t samples = 0;
    std::size_t correct = 0;
    [[nodiscard]] double accuracy() const noexcept {
        return samples ? static_cast<double>(correct) / static_cast<double>(samples) : 0.0;
    }
};

// Evaluates the network of a run (a run directory or its run.h5) with the
// bit-sliced engine on a split of its dataset, or of `dataset` if given.
eval_result evaluate_run(const std::filesystem::path& run, const std::string& dataset, const std::string& split,
                         unsigned threads);

}  // namespace lutra::experiments
