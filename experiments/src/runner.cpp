#include "lutra/experiments/runner.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <memory>
#include <optional>
#include <thread>

#include "lutra/data/augment.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/sequence.hpp"
#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/node_stats.hpp"
#include "lutra/core/publish.hpp"
#include "lutra/core/random.hpp"
#include "lutra/experiments/checkpoint.hpp"
#include "lutra/experiments/memory.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/stop.hpp"
#include "lutra/runfile/layout.hpp"
#include "lutra/runfile/run_file.hpp"
#include "lutra/runfile/run_reader.hpp"
#include "lutra/plasticity/session.hpp"
#include "lutra/topology/develop.hpp"
#include "lutra/topology/error.hpp"
#include "lutra/topology/genome_text.hpp"

namespace fs = std::filesystem;

namespace lutra::experiments {

namespace {

using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }

std::size_t correct_predictions(const core::head_output& out, std::span<const std::uint16_t> labels) {
    std::size_t correct = 0;
    for (std::size_t s = 0; s < labels.size(); ++s) correct += out.predictions[s] == labels[s];
    return correct;
}

bool is_sequence_run(const experiment_settings& s) { return s.time.sequence.ticks != 0; }

void check_inputs_match(const topology::genome& g, const core::dataset& d, const core::encoder& enc,
                        const data_settings& ds) {
    const topology::input_shape& in = g.inputs;
    const std::uint32_t bits = enc.num_features() ? enc.num_bits() / enc.num_features() : 0;
    if (in.width != d.width || in.height != d.height * d.channels || in.bits != bits)
        throw error("genome.inputs is " + std::to_string(in.width) + "×" + std::to_string(in.height) + "×" +
                    std::to_string(in.bits) + " but dataset '" + d.name + "' with encoder " + ds.encoder.kind +
                    " gives " + std::to_string(d.width) + "×" + std::to_string(d.height * d.channels) + "×" +
                    std::to_string(bits) + " input bits; make genome.inputs match data.encoder");
}

}  // namespace

bool is_plain_name(std::string_view name) {
    if (name.empty() || name == "." || name == "..") return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    });
}

topology::genome resolve_genome(const experiment_settings& s, const fs::path& config_dir) {
    if (s.genome_file.empty()) return s.genome;
    if (!s.genome.populations.empty())
        throw error("both genome_file (" + s.genome_file + ") and a genome section with populations are given; "
                    "keep one");
    const fs::path file = fs::path(s.genome_file).is_absolute() ? fs::path(s.genome_file) : config_dir / s.genome_file;
    return load_genome(file);
}

void check_before_loading(const experiment_settings& s, const config_source& where) {
    try {
        topology::validate(s.genome);
    } catch (const topology::genome_error& e) {
        // Named at the config (an empty one has no genome) or its genome file.
        std::string problem = e.what();
        if (problem.starts_with("genome: ")) problem.erase(0, 8);
        throw where.genome_error_at("", problem);
    }
    if (is_sequence_run(s)) {
        data::stream_shape shape;
        try {
            shape = check_sequence_run(s.time.input, s.time.sequence);
        } catch (const core::schema_error& e) {
            throw where.error_at(e.path, e.problem);
        }
        if (s.data.augment_shift != 0 && !s.time.input.dataset.ends_with("-rows"))
            throw where.error_at("data.augment_shift", "augmentation moves images; '" + s.time.input.dataset +
                                                       "' has none; set it to 0");
        if (s.genome.head.classes != shape.classes)
            throw where.genome_error_at("head.classes", "the head has " + std::to_string(s.genome.head.classes) +
                                                            " classes, but the stream '" + s.time.input.dataset +
                                                            "' has " + std::to_string(shape.classes));
        const topology::input_shape& in = s.genome.inputs;
        if (in.width != shape.width || in.height != shape.height || in.bits != shape.bits)
            throw where.genome_error_at("inputs", "genome.inputs is " + std::to_string(in.width) + "×" +
                                                      std::to_string(in.height) + "×" + std::to_string(in.bits) +
                                                      " but the stream '" + s.time.input.dataset + "' shows " +
                                                      std::to_string(shape.width) + "×" + std::to_string(shape.height) +
                                                      "×" + std::to_string(shape.bits) +
                                                      " input bits a tick; make them match");
        return;
    }
    try {
        core::check_encoder_params(s.data.encoder, "data.encoder");
    } catch (const core::schema_error& e) {
        throw where.error_at(e.path, e.problem);
    }
    const data::dataset_shape shape = data::dataset_shape_of(
        s.data.name, {.seed = s.data.seed, .train_samples = s.data.train_samples, .test_samples = s.data.test_samples});
    if (s.genome.head.classes != shape.classes)
        throw where.genome_error_at("head.classes", "the head has " + std::to_string(s.genome.head.classes) +
                                                        " classes, but dataset '" + s.data.name + "' has " +
                                                        std::to_string(shape.classes) +
                                                        "; give the head one group of outputs per class");
    check_memory(estimate_memory(s, shape), where, "the run");
}

namespace {

// The trainer's state after the last finished epoch, beside run.h5.
constexpr const char* checkpoint_name = "checkpoint";

// Everything a run trains on. A resumed run rebuilds it from config.yaml and
// gets the same: datasets, the encoder fit and develop are deterministic.
struct prepared_run {
    experiment_settings s;
    unsigned threads = 1;
    core::dataset data;
    core::encoder enc;
    core::bit_matrix train_bits;
    core::bit_matrix test_bits;
    core::dataset images;          // sequence runs of image rows: the images, augmented as data.augment_shift says
    core::encoder image_encoder;   // and their whole-image encoder, whose bits are the flat sequences
    std::uint64_t graph_hash = 0;
    std::string genome_hash;  // graph_hash as hex
    topology::compiled_network compiled;
};

prepared_run prepare(experiment_settings settings) {
    prepared_run p;
    topology::validate(settings.genome);
    p.threads = settings.threads ? settings.threads : std::max(1U, std::thread::hardware_concurrency());
    settings.train.engine.threads = p.threads;
    p.s = std::move(settings);
    const experiment_settings& s = p.s;
    if (is_sequence_run(s)) {
        spdlog::info("reading sequences of {}", s.time.input.dataset);
        sequence_data d = load_sequences(s.time.input, s.time.sequence, s.seed);
        p.images = std::move(d.images);
        p.image_encoder = std::move(d.image_encoder);
        p.s.train.engine.sequence = sequence_spec_of(s.time.sequence);
        p.data.name = s.time.input.dataset;
        p.data.width = d.shape.width;
        p.data.height = d.shape.height;
        p.data.channels = 1;
        p.data.num_classes = d.shape.classes;
        p.data.train.labels = std::move(d.train.labels);
        p.data.test.labels = std::move(d.test.labels);
        p.enc = std::move(d.encoder);
        p.train_bits = std::move(d.train.inputs);
        p.test_bits = std::move(d.test.inputs);
    } else {
        spdlog::info("loading {}", s.data.name);
        p.data = load_data(s.data);
        p.enc = core::encoder::fit(s.data.encoder, p.data);
        check_inputs_match(s.genome, p.data, p.enc, s.data);
        p.train_bits = p.enc.encode(p.data.train);
        p.test_bits = p.enc.encode(p.data.test);
    }

    const topology::developed_graph graph = topology::develop(s.genome, s.seed, {.threads = p.threads});
    for (const auto& w : graph.warnings) spdlog::warn("genome: {}", w);
    p.compiled = topology::compile(s.genome, graph);
    p.graph_hash = graph.hash;
    p.genome_hash = topology::hash_hex(graph.hash);
    if (p.s.train.engine.sequence)
        for (const std::string& w : unreached_head_warnings(p.compiled.net, *p.s.train.engine.sequence))
            spdlog::warn("time.sequence: {}", w);
    spdlog::info("genome {}: {} nodes, depth {}, {} input bits; {} train / {} test samples", p.genome_hash,
                 p.compiled.net.num_nodes(), p.compiled.net.depth(), p.compiled.net.num_inputs(),
                 p.data.train.size(), p.data.test.size());
    return p;
}

// Builds the training session, which checks every setting of training and
// every rule against the network; a rejection becomes a config_error at its
// YAML path (in the config file or the genome file), before anything is written.
std::unique_ptr<plasticity::session> make_session(const prepared_run& p, const config_source& where) {
    try {
        return std::make_unique<plasticity::session>(p.compiled.net, p.s.train, p.s.seed, plasticity::catalogue(),
                                                     p.compiled.candidates, p.compiled.populations);
    } catch (const core::schema_error& e) {
        throw where.error_at(e.path, e.problem);
    } catch (const plasticity::rule_limit_error& e) {
        for (std::size_t i = 0; i < p.compiled.populations.size(); ++i) {
            const auto& nodes = p.compiled.populations[i].nodes;
            if (std::find(nodes.begin(), nodes.end(), e.node) == nodes.end()) continue;
            const std::string field = e.field == "k" ? ".k" : "";
            throw where.genome_error_at("populations[" + std::to_string(i) + "]" + field,
                                        "population '" + p.compiled.populations[i].name + "': rule '" + e.rule +
                                            "' cannot train it: " + e.detail);
        }
        throw where.error_at("train", e.what());
    }
}

// Writes what each epoch produced: metrics, statistics, the checkpoint; logs progress.
class run_observer final : public plasticity::epoch_observer {
public:
    run_observer(const prepared_run& p, plasticity::session& s, runfile::run_file& file, fs::path dir, clock::time_point start,
                 double prior_seconds)
        : p_(p), session_(s), file_(file), dir_(std::move(dir)), start_(start), prior_seconds_(prior_seconds),
          first_epoch_(s.epoch()) {}

    void epoch_started(std::uint32_t epoch, std::size_t samples) override {
        bar_.emplace("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(p_.s.train.epochs), samples,
                     "samples");
    }
    void batch_done(std::size_t samples) override { bar_->advance(samples); }
    // SIGTERM and SIGINT stop between batches: the epoch in progress is lost,
    // the checkpoint of the one before holds. Slurm's warning (SIGUSR1,
    // SIGUSR2, sent `signal_seconds` before the time limit) leaves time to
    // finish the epoch and write its checkpoint first, so a task warned early
    // still gains an epoch per attempt.
    bool stop_requested(stop_point at) override {
        const int sig = stop_signal();
        if (sig == 0) return false;
        return at == stop_point::between_epochs || (sig != SIGUSR1 && sig != SIGUSR2);
    }

    void epoch_finished(const plasticity::epoch_report& r) override {
        bar_.reset();
        const std::uint32_t epoch = r.epoch;
        const std::uint32_t epochs = p_.s.train.epochs;
        test_ = session_.evaluate(p_.test_bits, p_.data.test.labels);
        const double elapsed = prior_seconds_ + seconds_since(start_);
        const double left = seconds_since(train_start_) / (epoch + 1 - first_epoch_) * (epochs - epoch - 1);
        const plasticity::gradient_rule* gradient = session_.gradient();
        spdlog::info("epoch {}/{}: loss {:.4f}, train {:.2f}%{}, test {:.2f}% hardened{}{}, {} samples/s, {} left",
                     epoch + 1, epochs, r.train.loss, r.train.accuracy * 100,
                     r.train.measured ? " (relaxed)" : " (hardened)", test_->hardened * 100,
                     test_->relaxed ? fmt::format(" ({:.2f}% relaxed)", *test_->relaxed * 100) : std::string(),
                     gradient ? fmt::format(", lr {:.3g}", gradient->current_learning_rate()) : std::string(),
                     format_si(static_cast<double>(r.train.samples) / r.seconds), format_duration(left));
        log_rule_times(r.rule_seconds);
        // The metrics rows first, then the checkpoint: a kill between the two
        // leaves rows of an epoch the checkpoint lacks, which a resume drops
        // and trains again. The other order would lose that epoch's rows.
        file_.append_metrics({epoch + 1, "train", r.train.loss, r.train.accuracy, elapsed});
        file_.append_metrics({epoch + 1, "test", test_->loss, test_->hardened, elapsed});
        if (test_->relaxed) file_.append_metrics({epoch + 1, "test_relaxed", test_->loss, *test_->relaxed, elapsed});
        if (r.record != nullptr) record(*r.record);
        write_checkpoint(dir_ / checkpoint_name, {p_.graph_hash, session_.state()});
    }

    [[nodiscard]] const std::optional<plasticity::evaluation>& last_test() const noexcept { return test_; }
    [[nodiscard]] double train_seconds() const noexcept { return seconds_since(train_start_); }
    [[nodiscard]] double stats_seconds() const noexcept { return stats_seconds_; }
    [[nodiscard]] const std::vector<plasticity::rule_time>& rule_seconds() const noexcept { return rule_seconds_; }

private:
    // Each rule's share of the epoch, and its sum over the session's epochs.
    void log_rule_times(const std::vector<plasticity::rule_time>& times) {
        std::string text;
        for (const plasticity::rule_time& t : times) {
            text += (text.empty() ? "" : ", ") + t.rule + " " + format_duration(t.seconds);
            const auto total = std::find_if(rule_seconds_.begin(), rule_seconds_.end(),
                                            [&t](const plasticity::rule_time& u) { return u.rule == t.rule; });
            if (total == rule_seconds_.end())
                rule_seconds_.push_back(t);
            else
                total->seconds += t.seconds;
        }
        if (!text.empty()) spdlog::info("rules: {}", text);
    }

    // /stats: one row per population of what each node did in the epoch.
    void record(const plasticity::node_record& rec) {
        const auto start = clock::now();
        const core::node_statistics& st = rec.statistics;
        const std::size_t entries = std::size_t{1} << st.usage_k;
        std::vector<runfile::population_stats> rows;
        std::vector<std::uint8_t> in_phase(p_.compiled.net.num_nodes(), 0);
        for (const std::uint32_t n : session_.phase_nodes()) in_phase[n] = 1;
        for (const core::population& pop : p_.compiled.populations) {
            runfile::population_stats& row = rows.emplace_back();
            row.population = pop.name;
            row.nodes = pop.nodes;
            row.usage_k = st.usage_k;
            for (const std::uint32_t n : pop.nodes) {
                row.activation_rate.push_back(st.activation_rate[n]);
                row.entropy.push_back(st.entropy[n]);
                row.flips.push_back(rec.flips[n]);
                row.grad_abs_mean.push_back(rec.grad_abs_mean[n]);
                if (!st.sensitivity.empty()) row.sensitivity.push_back(st.sensitivity[n]);
                if (!st.entry_usage.empty())
                    row.entry_usage.insert(row.entry_usage.end(), st.entry_usage.begin() + n * entries,
                                           st.entry_usage.begin() + (n + 1) * entries);
            }
            // The phase's rules' summaries, for the populations the phase trains.
            if (std::none_of(pop.nodes.begin(), pop.nodes.end(), [&](std::uint32_t n) { return in_phase[n]; })) continue;
            for (const plasticity::node_record::rule_columns& c : rec.rules) {
                if (std::any_of(row.rules.begin(), row.rules.end(), [&c](const auto& r) { return r.rule == c.rule; })) {
                    // run.h5 keys a rule's rows by its name (as the checkpoint keys its state).
                    spdlog::warn("epoch {}: rule '{}' appears twice in the phase; /stats keeps the first's summary",
                                 rec.epoch, c.rule);
                    continue;
                }
                runfile::rule_stats& rule = row.rules.emplace_back();
                rule.rule = c.rule;
                for (const plasticity::rule_summary::column& column : c.summary.columns) {
                    runfile::rule_quantity& q = rule.quantities.emplace_back();
                    q.name = column.quantity;
                    for (const std::uint32_t n : pop.nodes) q.values.push_back(column.values[n]);
                }
            }
        }
        file_.append_stats(rec.epoch, rows, st.samples, p_.s.stats.split);
        stats_seconds_ += rec.seconds + seconds_since(start);
        spdlog::debug("epoch {}: statistics recorded, {} so far", rec.epoch, format_duration(stats_seconds_));
    }

    const prepared_run& p_;
    plasticity::session& session_;
    runfile::run_file& file_;
    fs::path dir_;
    clock::time_point start_;
    double prior_seconds_;
    std::uint32_t first_epoch_;
    clock::time_point train_start_ = clock::now();
    std::optional<progress> bar_;
    std::optional<plasticity::evaluation> test_;
    double stats_seconds_ = 0;
    std::vector<plasticity::rule_time> rule_seconds_;  // summed over this session's epochs, in first-use order
};

// The one training loop of fresh and resumed runs: trains from the session's
// epoch to the last, then writes /network and summary.txt. `start` is when
// this session began, `prior_seconds` the run time of earlier sessions.
run_summary train_run(const prepared_run& p, plasticity::session& session, runfile::run_file& file, const fs::path& dir,
                      clock::time_point start, double prior_seconds) {
    const experiment_settings& s = p.s;
    const std::uint32_t first_epoch = session.epoch();
    run_observer observer(p, session, file, dir, start, prior_seconds);
    // Augmented epochs encode freshly moved images; the encoder stays as fitted.
    core::bit_matrix augmented;
    const auto epoch_inputs = [&](std::uint32_t epoch) -> const core::bit_matrix& {
        if (s.data.augment_shift == 0) return p.train_bits;
        const bool rows = is_sequence_run(s);
        const core::dataset& images = rows ? p.images : p.data;
        augmented = (rows ? p.image_encoder : p.enc)
                        .encode(data::translate(images, images.train, s.data.augment_shift,
                                                counter_rng(s.seed, "train.augment").fork(epoch)));
        return augmented;
    };
    core::bit_matrix stats_samples;
    unsigned developed_k = 0;  // entry usage keeps the developed network's shape when rules shrink nodes
    for (std::uint32_t n = 0; n < p.compiled.net.num_nodes(); ++n) developed_k = std::max(developed_k, p.compiled.net.k(n));
    plasticity::training_data data{
        epoch_inputs, p.data.train.labels, nullptr, {s.stats.every, s.stats.sensitivity, developed_k}};
    if (s.stats.every != 0 && is_sequence_run(s)) {
        spdlog::info("stats: per-node statistics are measured on static samples; for sequences run `lutra simulate "
                     "{}` (activity, toggles and spikes per tick)",
                     dir.string());
    } else if (s.stats.every != 0) {
        const core::bit_matrix& split = s.stats.split == "test" ? p.test_bits : p.train_bits;
        stats_samples = core::first_samples(split, std::min(s.stats.samples, split.samples()));
        data.record_samples = &stats_samples;
    }
    if (session.train(data, observer) == plasticity::train_outcome::stopped)
        throw run_stopped(dir, session.epoch(), s.train.epochs, stop_signal());

    run_summary summary;
    summary.dir = dir;
    summary.genome_hash = p.genome_hash;
    summary.nodes = p.compiled.net.num_nodes();
    summary.train_seconds = observer.train_seconds();
    summary.stats_seconds = observer.stats_seconds();
    for (const plasticity::rule_time& t : observer.rule_seconds()) summary.rule_seconds.emplace_back(t.rule, t.seconds);
    const core::network& trained = session.network();
    // No epoch ran in this session when a resume finds every epoch trained.
    const plasticity::evaluation test =
        observer.last_test() ? *observer.last_test() : session.evaluate(p.test_bits, p.data.test.labels);
    if (!file.has("network")) {
        file.write_network(trained, p.compiled.populations);
        file.flush();
    } else if (file.read_network().arrays().tables != trained.arrays().tables) {
        // Only a resume of a run killed between writing /network and summary.txt finds one.
        throw io_error(file.path().string(), "finish the run",
                       "/network exists but holds other tables than the trained network; the run directory was "
                       "changed, start the run again");
    }
    // The file's own mark, so a run.h5 copied away alone is known whole too.
    if (!file.finished()) file.mark_finished();
    summary.test_accuracy = test.hardened;
    summary.test_accuracy_relaxed = test.relaxed.value_or(test.hardened);
    summary.total_seconds = prior_seconds + seconds_since(start);
    summary.resumed_from_epoch = first_epoch;

    char text[1024];
    std::snprintf(text, sizeof text,
                  "name: %s\ndataset: %s (%zu train, %zu test)\ngenome_hash: %s\nnodes: %u\n"
                  "test_accuracy: %.4f\ntest_accuracy_relaxed: %.4f\nepochs: %u\ntrain_seconds: %.3f\n"
                  "total_seconds: %.3f\nresumed_from_epoch: %u\n",
                  s.name.c_str(), p.data.name.c_str(), p.data.train.size(), p.data.test.size(),
                  summary.genome_hash.c_str(), summary.nodes, summary.test_accuracy, summary.test_accuracy_relaxed,
                  s.train.epochs, summary.train_seconds, summary.total_seconds, summary.resumed_from_epoch);
    // Everything in run.h5 reaches the disk before the run is marked finished.
    file.close();
    // summary.txt marks the run finished, so it appears whole or not at all.
    core::publish_file(dir / run_finished_mark, text);
    return summary;
}

}  // namespace

namespace {

std::string stopped_message(const fs::path& dir, std::uint32_t epochs_done, std::uint32_t epochs, int signal) {
    const std::string by = "stopped by " + signal_name(signal);
    if (epochs_done == 0)
        return by + " before its first epoch finished, so " + dir.string() +
               " has no checkpoint to resume from: start the run again (remove the directory first: a run never "
               "overwrites another)";
    return by + " after epoch " + std::to_string(epochs_done) + " of " + std::to_string(epochs) +
           "; the checkpoint holds epoch " + std::to_string(epochs_done) + ": continue with `lutra run --resume " +
           dir.string() + "`";
}

}  // namespace

run_stopped::run_stopped(fs::path dir, std::uint32_t epochs_done, std::uint32_t epochs, int signal)
    : error(stopped_message(dir, epochs_done, epochs, signal)), dir(std::move(dir)), epochs_done(epochs_done),
      epochs(epochs), signal(signal) {}

run_summary run_experiment(const run_request& request) {
    const auto start = clock::now();
    experiment_settings s = load_config<experiment_settings>(request.config_file, request.overrides);
    const config_source where{request.config_file, request.overrides,
                              s.genome_file.empty() ? fs::path()
                                                    : (fs::path(s.genome_file).is_absolute()
                                                           ? fs::path(s.genome_file)
                                                           : request.config_file.parent_path() / s.genome_file)};
    s.genome = resolve_genome(s, request.config_file.parent_path());
    s.genome_file.clear();  // the resolved config carries the genome itself
    // The name becomes runs/NAME: one plain path component, so no run lands
    // outside runs/ (an absolute path, "..", "." or "" would).
    if (request.out_dir.empty() && !is_plain_name(s.name))
        throw where.error_at("name", "'" + s.name + "' cannot name a run directory runs/NAME; use letters, digits, "
                                     "'.', '_' and '-' (not '.' or '..' alone), or give --out DIR");
    const fs::path dir = request.out_dir.empty() ? fs::path("runs") / s.name : request.out_dir;
    const core::output_state state = core::inspect_output(dir);
    if (state == core::output_state::non_empty_directory && fs::exists(dir / runfile::layout::file_name))
        throw error(dir.string() + " already holds a run (run.h5); choose another --out, continue it with "
                    "--resume, or move it away");
    // A run never mixes its files with others: the directory is new or empty.
    if (state == core::output_state::non_empty_directory || state == core::output_state::not_a_directory)
        throw error(dir.string() + (state == core::output_state::non_empty_directory
                                        ? " is not empty (it holds files of something else); "
                                        : " exists and is not a directory; ") +
                    "a run goes into a new or empty directory: choose another --out or move it away");
    // Everything that can reject the config runs before the directory exists.
    check_before_loading(s, where);
    const prepared_run p = prepare(std::move(s));
    const std::unique_ptr<plasticity::session> session = make_session(p, where);
    {
        // The directory appears only with its starting files whole (a kill
        // or a full disk before leaves a temporary the next attempt replaces);
        // its end is marked by summary.txt.
        core::directory_publication started(dir, {.replace = false, .mark = false});
        started.write("config.yaml", to_yaml(p.s));
        started.write("genome.yaml", to_yaml(p.s.genome));
        started.write("genome.dna", topology::wrap_text(topology::to_text(p.s.genome)) + "\n");
        try {
            // Closed before the directory moves.
            runfile::run_file file = runfile::run_file::create(started.staging() / runfile::layout::file_name,
                                                               {LUTRA_VERSION, p.s.seed, p.genome_hash});
            file.write_text("config", to_yaml(p.s));
            file.write_text("genome", topology::to_text(p.s.genome));
            file.write_encoder(p.enc, p.s.data.encoder.kind, p.data.width, p.data.height * p.data.channels);
            file.close();
        } catch (const io_error& e) {
            // Named as the user will look for it, not by its temporary.
            const std::size_t prefix = e.file.size() + e.operation.size() + 4;  // "<file>: <operation>: "
            throw io_error((dir / runfile::layout::file_name).string(), e.operation,
                           std::string(e.what()).substr(std::min(prefix, std::string(e.what()).size())));
        }
        started.commit();
    }
    runfile::run_file file = runfile::run_file::open_for_append(dir / runfile::layout::file_name);
    return train_run(p, *session, file, dir, start, 0);
}

run_summary resume_experiment(const fs::path& dir, unsigned threads) {
    const auto start = clock::now();
    if (!fs::is_directory(dir)) throw error("resume: " + dir.string() + " is not a directory");
    if (fs::exists(dir / run_finished_mark)) {
        run_summary done;
        done.dir = dir;
        done.already_finished = true;
        return done;
    }
    const fs::path checkpoint_file = dir / checkpoint_name;
    if (!fs::exists(checkpoint_file))
        throw error("nothing to resume: " + dir.string() +
                    " has no checkpoint; the run did not finish its first epoch — start it again (remove the "
                    "directory first: a run never overwrites another)");
    // Whole or absent, each (core/publish.hpp): a missing one is named.
    const auto require = [&dir](const fs::path& file) {
        if (!fs::exists(file))
            throw error("resume: " + dir.string() + " has no " + file.filename().string() +
                        ", which a run directory has from its start (it appears with config.yaml, genome.yaml, "
                        "genome.dna and run.h5); the directory was changed — start the run again");
    };
    // The files first, so a damaged one is reported before the data is loaded.
    const fs::path config_file = dir / "config.yaml";
    const fs::path h5 = dir / runfile::layout::file_name;
    require(config_file);
    experiment_settings settings = load_config<experiment_settings>(config_file);
    require(h5);
    {
        // A resumed run equals an uninterrupted one only with the settings it
        // started with, which run.h5 keeps: config.yaml edited since is refused.
        const std::string started = runfile::run_file::open(h5).read_text("config");
        const std::string stored_name = h5.string() + ":/config";
        if (const auto changed = first_difference(to_yaml(parse_config<experiment_settings>(started, stored_name)),
                                                  stored_name, to_yaml(settings), config_file.string()))
            throw config_source{config_file, {}, {}}.error_at(
                *changed, "differs from the settings the run started with (" + stored_name +
                              "); a resumed run continues with those, so that it ends as an uninterrupted run "
                              "would: undo the edit, or start a new run with the new settings");
    }
    // Results do not depend on the thread count, so a resume may use another.
    if (threads != 0) settings.threads = threads;
    check_before_loading(settings, {config_file, {}, {}});
    runfile::run_file file = runfile::run_file::open_for_append(h5);
    const checkpoint c = read_checkpoint(checkpoint_file);
    const prepared_run p = prepare(std::move(settings));
    const runfile::run_attributes stored = file.attributes();
    if (stored.genome_hash != p.genome_hash || stored.seed != p.s.seed)
        throw io_error(file.path().string(), "resume",
                       "the file is of genome " + stored.genome_hash + " with seed " + std::to_string(stored.seed) +
                           ", but config.yaml develops genome " + p.genome_hash + " with seed " +
                           std::to_string(p.s.seed) + "; the directory's files do not belong together");
    if (c.genome_hash != p.graph_hash)
        throw io_error(checkpoint_file.string(), "resume",
                       "the checkpoint is of genome " + topology::hash_hex(c.genome_hash) + ", but the run's is " +
                           p.genome_hash);
    {
        // The encoder is fitted again from the data: a Lutra whose fitting
        // changed (issue 16's conditional quantiles) would train on other
        // input bits than the run started with.
        const core::encoder stored_encoder = file.read_encoder().encoder;
        if (stored_encoder.bits_per_feature() != p.enc.bits_per_feature() ||
            !std::ranges::equal(stored_encoder.thresholds(), p.enc.thresholds())) {
            std::size_t row = 0;
            const std::span<const std::uint8_t> was = stored_encoder.thresholds(), now = p.enc.thresholds();
            while (row < was.size() && row < now.size() && was[row] == now[row]) ++row;
            throw io_error(file.path().string(), "resume",
                           "the encoder fitted now differs from the one the run started with (/encoder" +
                               (row < was.size() && row < now.size()
                                    ? ", first at input bit " + std::to_string(row) + ": threshold " +
                                          std::to_string(was[row]) + " then, " + std::to_string(now[row]) + " now"
                                    : std::string(", a different number of bits")) +
                               "); this Lutra fits thresholds differently from the one that started the run, so "
                               "resuming would train on other inputs: finish it with that Lutra, or start it again");
        }
    }
    if (c.state.epoch > p.s.train.epochs)
        throw io_error(checkpoint_file.string(), "resume",
                       "the checkpoint is of epoch " + std::to_string(c.state.epoch) + ", but config.yaml trains " +
                           std::to_string(p.s.train.epochs) + " epochs");

    // Rows of epochs after the checkpoint's are trained again: drop them.
    const std::vector<runfile::metrics_row> rows = file.read_metrics();
    const auto kept = static_cast<std::size_t>(
        std::find_if(rows.begin(), rows.end(), [&c](const runfile::metrics_row& r) { return r.epoch > c.state.epoch; }) -
        rows.begin());
    file.truncate_metrics(kept);
    const std::vector<std::uint32_t> stats_epochs = file.stats_epochs();
    file.truncate_stats(static_cast<std::size_t>(
        std::find_if(stats_epochs.begin(), stats_epochs.end(), [&c](std::uint32_t e) { return e > c.state.epoch; }) -
        stats_epochs.begin()));
    const double prior_seconds = kept ? rows[kept - 1].seconds : 0.0;

    const std::unique_ptr<plasticity::session> session = make_session(p, {config_file, {}, {}});
    try {
        session->restore(c.state);
    } catch (const error& e) {
        throw io_error(checkpoint_file.string(), "resume", e.what());
    }
    spdlog::info("resuming {} after epoch {} of {}", dir.string(), c.state.epoch, p.s.train.epochs);
    return train_run(p, *session, file, dir, start, prior_seconds);
}

fs::path finished_run_file(const fs::path& run) {
    const runfile::run_reader reader(run);  // what is wrong with the file itself comes first
    const fs::path h5 = reader.path();
    const fs::path dir = h5.has_parent_path() ? h5.parent_path() : fs::path(".");
    if (!reader.finished())
        throw io_error(h5.string(), "read a finished run",
                       "the run has not finished: the file is not marked finished (/@finished; the run was killed, "
                       "ran out of disk space, or is still training); finish it with `lutra run --resume " +
                           dir.string() + "`");
    return h5;
}

eval_result evaluate_run(const fs::path& run, const std::string& dataset, const std::string& split,
                         unsigned threads) {
    if (split != "test" && split != "train")
        throw error("eval: split '" + split + "' is not one of test, train");
    const fs::path h5 = finished_run_file(run);
    const runfile::run_file file = runfile::run_file::open(h5);
    const core::network net = file.read_network();
    const core::encoder enc = file.read_encoder().encoder;
    const experiment_settings s = parse_config<experiment_settings>(file.read_text("config"), h5.string() + ":/config");
    eval_result r;
    if (is_sequence_run(s)) {
        if (!dataset.empty())
            throw error("eval: " + h5.string() + " was trained on sequences of " + s.time.input.dataset +
                        "; --dataset takes static datasets");
        const sequence_data d = load_sequences(s.time.input, s.time.sequence, s.seed);
        const sequence_split& part = split == "test" ? d.test : d.train;
        const core::head_output out =
            core::bitslice_engine(core::unroll_live(net, sequence_spec_of(s.time.sequence)).net, {.threads = threads})
                .classify(part.inputs);
        r.dataset = s.time.input.dataset;
        r.split = split;
        r.samples = part.labels.size();
        r.correct = correct_predictions(out, part.labels);
        return r;
    }
    r.dataset = dataset.empty() ? s.data.name : dataset;
    r.split = split;
    data_settings wanted = s.data;
    if (!dataset.empty()) wanted = {.name = dataset, .train_samples = 0, .test_samples = 0, .seed = s.data.seed};
    // Another dataset's labels must be the head's classes, or accuracy means nothing.
    if (const std::uint32_t classes = data::dataset_shape_of(wanted.name, {.seed = wanted.seed}).classes;
        classes != net.head().num_classes)
        throw error("eval: " + h5.string() + ": the network's head has " + std::to_string(net.head().num_classes) +
                    " classes, but dataset '" + wanted.name + "' has " + std::to_string(classes));
    const core::dataset data = load_data_for(wanted, enc, "eval: " + h5.string());
    const core::data_split& part = split == "test" ? data.test : data.train;
    const core::head_output out = core::bitslice_engine(net, {.threads = threads}).classify(enc.encode(part));
    r.samples = part.size();
    r.correct = correct_predictions(out, part.labels);
    return r;
}

}  // namespace lutra::experiments
