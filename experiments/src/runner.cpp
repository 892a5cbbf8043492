#include "lutra/experiments/runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <optional>
#include <thread>

#include "lutra/core/augment.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/node_stats.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/trainer.hpp"
#include "lutra/experiments/checkpoint.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/runfile/run_file.hpp"
#include "lutra/topology/develop.hpp"
#include "lutra/topology/error.hpp"
#include "lutra/topology/genome_text.hpp"

namespace fs = std::filesystem;

namespace lutra::experiments {

namespace {

using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }

void write_text_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    if (!out) throw io_error(path.string(), "write", "cannot create the file");
    out << text;
    if (!out.flush()) throw io_error(path.string(), "write", "write failed (disk full?)");
}

std::size_t correct_predictions(const core::head_output& out, std::span<const std::uint16_t> labels) {
    std::size_t correct = 0;
    for (std::size_t s = 0; s < labels.size(); ++s) correct += out.predictions[s] == labels[s];
    return correct;
}

// A fresh order of the training samples for every epoch, from the seed alone.
std::vector<std::uint32_t> shuffled_order(std::size_t n, std::uint64_t seed, std::uint32_t epoch) {
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0U);
    const counter_rng rng = counter_rng(seed, "train.shuffle").fork(epoch);
    for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i, i)]);
    return order;
}

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

topology::genome resolve_genome(const experiment_settings& s, const fs::path& config_dir) {
    if (s.genome_file.empty()) return s.genome;
    if (!s.genome.populations.empty())
        throw error("both genome_file (" + s.genome_file + ") and a genome section with populations are given; "
                    "keep one");
    const fs::path file = fs::path(s.genome_file).is_absolute() ? fs::path(s.genome_file) : config_dir / s.genome_file;
    return load_config<topology::genome>(file);
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
    spdlog::info("loading {}", s.data.name);
    p.data = load_data(s.data);
    p.enc = core::encoder::fit(s.data.encoder, p.data);
    check_inputs_match(s.genome, p.data, p.enc, s.data);
    p.train_bits = p.enc.encode(p.data.train);
    p.test_bits = p.enc.encode(p.data.test);

    const topology::developed_graph graph = topology::develop(s.genome, s.seed, {.threads = p.threads});
    for (const auto& w : graph.warnings) spdlog::warn("genome: {}", w);
    p.compiled = topology::compile(s.genome, graph);
    p.graph_hash = graph.hash;
    p.genome_hash = topology::hash_hex(graph.hash);
    spdlog::info("genome {}: {} nodes, depth {}, {} input bits; {} train / {} test samples", p.genome_hash,
                 p.compiled.net.num_nodes(), p.compiled.net.depth(), p.compiled.net.num_inputs(),
                 p.data.train.size(), p.data.test.size());
    return p;
}

struct test_result {
    double loss = 0;      // relaxed
    double hardened = 0;  // accuracy of the hardened network, bit-sliced engine
    double relaxed = 0;   // accuracy of the relaxed network
};

test_result evaluate_test(const core::trainer& tr, const core::network& hardened, const prepared_run& p) {
    const core::head_output hard = core::bitslice_engine(hardened, {.threads = p.threads}).classify(p.test_bits);
    const core::epoch_result relaxed = tr.evaluate(p.test_bits, p.data.test.labels);
    return {relaxed.loss,
            static_cast<double>(correct_predictions(hard, p.data.test.labels)) /
                static_cast<double>(std::max<std::size_t>(1, p.data.test.size())),
            relaxed.accuracy};
}

// /stats: what each node did in one epoch. Everything in a row depends only
// on that epoch (its training batches, the tables before and after it), so a
// resumed run records the same rows as an uninterrupted one.
class stats_recorder {
public:
    stats_recorder(const prepared_run& p, core::trainer& tr)
        : s_(p.s.stats), threads_(p.threads), populations_(p.compiled.populations),
          meter_(p.compiled.net.num_nodes()), before_(tr.hardened()) {
        if (s_.every == 0) return;
        const core::bit_matrix& split = s_.split == "test" ? p.test_bits : p.train_bits;
        samples_ = core::first_samples(split, std::min(s_.samples, split.samples()));
        // The hook refers to this recorder: train_run keeps it alive while the trainer trains.
        tr.hooks().after_backward([this](const core::batch_context&, const core::relaxed_engine::activations& dy,
                                         std::span<const float>) {
            if (!recording_) return;
            const auto start = clock::now();
            meter_.add(dy);
            seconds_ += seconds_since(start);
        });
    }

    // Before epoch `epoch` (0-based) trains: whether it will be recorded.
    void start_epoch(std::uint32_t epoch, std::uint32_t epochs) {
        recording_ = s_.every != 0 && ((epoch + 1) % s_.every == 0 || epoch + 1 == epochs);
        meter_.reset();
    }

    // After the epoch: its row, if recorded; `after` is the hardened network.
    void finish_epoch(std::uint32_t epoch, const core::network& after, runfile::run_file& file) {
        if (recording_) {
            const auto start = clock::now();
            const core::node_statistics st =
                core::measure_nodes(after, samples_, {.sensitivity = s_.sensitivity, .threads = threads_});
            const std::vector<std::uint32_t> flips = core::table_flips(before_, after);
            const std::vector<float> grad = meter_.mean();
            const std::size_t entries = std::size_t{1} << st.usage_k;
            std::vector<runfile::population_stats> rows;
            for (const core::population& pop : populations_) {
                runfile::population_stats& r = rows.emplace_back();
                r.population = pop.name;
                r.nodes = pop.nodes;
                r.usage_k = st.usage_k;
                for (const std::uint32_t n : pop.nodes) {
                    r.activation_rate.push_back(st.activation_rate[n]);
                    r.entropy.push_back(st.entropy[n]);
                    r.flips.push_back(flips[n]);
                    r.grad_abs_mean.push_back(grad[n]);
                    if (!st.sensitivity.empty()) r.sensitivity.push_back(st.sensitivity[n]);
                    if (!st.entry_usage.empty())
                        r.entry_usage.insert(r.entry_usage.end(), st.entry_usage.begin() + n * entries,
                                             st.entry_usage.begin() + (n + 1) * entries);
                }
            }
            file.append_stats(epoch + 1, rows, samples_.samples(), s_.split);
            seconds_ += seconds_since(start);
            spdlog::debug("epoch {}: statistics recorded, {} so far", epoch + 1, format_duration(seconds_));
        }
        before_ = after;
    }

    // Time spent on statistics in this session: the gradient meter and the records.
    [[nodiscard]] double seconds() const noexcept { return seconds_; }

private:
    stats_settings s_;
    unsigned threads_;
    std::vector<core::population> populations_;
    core::gradient_meter meter_;
    core::network before_;  // the hardened tables before the epoch
    core::bit_matrix samples_;
    bool recording_ = false;
    double seconds_ = 0;
};

// The one training loop of fresh and resumed runs: trains from the trainer's
// epoch to the last, then writes /network and summary.txt. `start` is when
// this session began, `prior_seconds` the run time of earlier sessions.
run_summary train_run(const prepared_run& p, core::trainer& tr, runfile::run_file& file, const fs::path& dir,
                      clock::time_point start, double prior_seconds) {
    const experiment_settings& s = p.s;
    const auto train_start = clock::now();
    const std::uint32_t first_epoch = tr.epoch();
    std::optional<test_result> test;
    stats_recorder stats(p, tr);
    for (std::uint32_t epoch = first_epoch; epoch < s.train.epochs; ++epoch) {
        const auto epoch_start = clock::now();
        const std::vector<std::uint32_t> order = shuffled_order(p.data.train.size(), s.seed, epoch);
        // Augmented epochs encode freshly moved images; the encoder stays as fitted.
        const core::bit_matrix shuffled = core::permute_samples(
            s.data.augment_shift == 0
                ? p.train_bits
                : p.enc.encode(core::translate(p.data, p.data.train, s.data.augment_shift,
                                               counter_rng(s.seed, "train.augment").fork(epoch))),
            order);
        std::vector<std::uint16_t> labels(order.size());
        for (std::size_t i = 0; i < order.size(); ++i) labels[i] = p.data.train.labels[order[i]];

        core::epoch_result r;
        stats.start_epoch(epoch, s.train.epochs);
        {
            progress bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(s.train.epochs),
                         labels.size(), "samples");
            r = tr.train_epoch(shuffled, labels, [&bar](std::size_t n) { bar.advance(n); });
        }
        const core::network hardened = tr.hardened();
        test = evaluate_test(tr, hardened, p);
        const double epoch_seconds = seconds_since(epoch_start);
        const double elapsed = prior_seconds + seconds_since(start);
        const double left = seconds_since(train_start) / (epoch + 1 - first_epoch) * (s.train.epochs - epoch - 1);
        spdlog::info("epoch {}/{}: loss {:.4f}, train {:.2f}% (relaxed), test {:.2f}% hardened ({:.2f}% relaxed), "
                     "lr {:.3g}, {} samples/s, {} left",
                     epoch + 1, s.train.epochs, r.loss, r.accuracy * 100, test->hardened * 100, test->relaxed * 100,
                     tr.learning_rate(epoch), format_si(static_cast<double>(r.samples) / epoch_seconds),
                     format_duration(left));
        // The metrics rows first, then the checkpoint: a kill between the two
        // leaves rows of an epoch the checkpoint lacks, which a resume drops
        // and trains again. The other order would lose that epoch's rows.
        file.append_metrics({epoch + 1, "train", r.loss, r.accuracy, elapsed});
        file.append_metrics({epoch + 1, "test", test->loss, test->hardened, elapsed});
        file.append_metrics({epoch + 1, "test_relaxed", test->loss, test->relaxed, elapsed});
        stats.finish_epoch(epoch, hardened, file);
        write_checkpoint(dir / checkpoint_name, {p.graph_hash, tr.state()});
    }
    run_summary summary;
    summary.dir = dir;
    summary.genome_hash = p.genome_hash;
    summary.nodes = p.compiled.net.num_nodes();
    summary.train_seconds = seconds_since(train_start);
    summary.stats_seconds = stats.seconds();
    const core::network trained = tr.hardened();
    if (!test) test = evaluate_test(tr, trained, p);  // no epoch ran in this session
    if (!file.has("network")) {
        file.write_network(trained, p.compiled.populations);
        file.flush();
    } else if (file.read_network().arrays().tables != trained.arrays().tables) {
        // Only a resume of a run killed between writing /network and summary.txt finds one.
        throw io_error(file.path().string(), "finish the run",
                       "/network exists but holds other tables than the trained network; the run directory was "
                       "changed, start the run again");
    }
    summary.test_accuracy = test->hardened;
    summary.test_accuracy_relaxed = test->relaxed;
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
    // summary.txt marks the run finished, so it appears whole or not at all.
    write_file_atomically(dir / "summary.txt", text);
    return summary;
}

}  // namespace

run_summary run_experiment(const run_request& request) {
    const auto start = clock::now();
    experiment_settings s = load_config<experiment_settings>(request.config_file, request.overrides);
    s.genome = resolve_genome(s, request.config_file.parent_path());
    s.genome_file.clear();  // the resolved config carries the genome itself
    const fs::path dir = request.out_dir.empty() ? fs::path("runs") / s.name : request.out_dir;
    if (fs::exists(dir / "run.h5"))
        throw error(dir.string() + " already holds a run (run.h5); choose another --out, continue it with "
                    "--resume, or move it away");
    const prepared_run p = prepare(std::move(s));
    fs::create_directories(dir);
    write_text_file(dir / "config.yaml", to_yaml(p.s));
    write_text_file(dir / "genome.yaml", to_yaml(p.s.genome));
    write_text_file(dir / "genome.dna", topology::wrap_text(topology::to_text(p.s.genome)) + "\n");

    runfile::run_file file = runfile::run_file::create(dir / "run.h5", {LUTRA_VERSION, p.s.seed, p.genome_hash});
    file.write_text("config", to_yaml(p.s));
    file.write_text("genome", topology::to_text(p.s.genome));
    file.write_encoder(p.enc, p.s.data.encoder.kind, p.data.width, p.data.height * p.data.channels);
    core::trainer tr(p.compiled.net, p.s.train);
    return train_run(p, tr, file, dir, start, 0);
}

run_summary resume_experiment(const fs::path& dir) {
    const auto start = clock::now();
    if (!fs::is_directory(dir)) throw error("resume: " + dir.string() + " is not a directory");
    if (fs::exists(dir / "summary.txt")) {
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
    // The files first, so a damaged one is reported before the data is loaded.
    runfile::run_file file = runfile::run_file::open_for_append(dir / "run.h5");
    const checkpoint c = read_checkpoint(checkpoint_file);
    const prepared_run p = prepare(load_config<experiment_settings>(dir / "config.yaml"));
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
    if (c.state.epoch > p.s.train.epochs)
        throw io_error(checkpoint_file.string(), "resume",
                       "the checkpoint is of epoch " + std::to_string(c.state.epoch) + ", but config.yaml trains " +
                           std::to_string(p.s.train.epochs) + " epochs");

    // Rows of epochs after the checkpoint's are trained again: drop them.
    const std::vector<runfile::metrics_row> rows = file.read_metrics();
    const auto kept =
        static_cast<std::size_t>(std::find_if(rows.begin(), rows.end(),
                                              [&c](const runfile::metrics_row& r) { return r.epoch > c.state.epoch; }) -
                                 rows.begin());
    file.truncate_metrics(kept);
    const std::vector<std::uint32_t> stats_epochs = file.stats_epochs();
    file.truncate_stats(static_cast<std::size_t>(
        std::find_if(stats_epochs.begin(), stats_epochs.end(), [&c](std::uint32_t e) { return e > c.state.epoch; }) -
        stats_epochs.begin()));
    const double prior_seconds = kept ? rows[kept - 1].seconds : 0.0;

    core::trainer tr(p.compiled.net, p.s.train);
    try {
        tr.restore(c.state);
    } catch (const error& e) {
        throw io_error(checkpoint_file.string(), "resume", e.what());
    }
    spdlog::info("resuming {} after epoch {} of {}", dir.string(), c.state.epoch, p.s.train.epochs);
    return train_run(p, tr, file, dir, start, prior_seconds);
}

eval_result evaluate_run(const fs::path& run, const std::string& dataset, const std::string& split,
                         unsigned threads) {
    if (split != "test" && split != "train")
        throw error("eval: split '" + split + "' is not one of test, train");
    const fs::path h5 = fs::is_directory(run) ? run / "run.h5" : run;
    const runfile::run_file file = runfile::run_file::open(h5);
    const core::network net = file.read_network();
    const core::encoder enc = file.read_encoder().encoder;
    const experiment_settings s = parse_config<experiment_settings>(file.read_text("config"), h5.string() + ":/config");
    eval_result r;
    r.dataset = dataset.empty() ? s.data.name : dataset;
    r.split = split;
    data_settings wanted = s.data;
    if (!dataset.empty()) wanted = {.name = dataset, .train_samples = 0, .test_samples = 0, .seed = s.data.seed};
    const core::dataset data = load_data_for(wanted, enc, "eval: " + h5.string());
    const core::data_split& part = split == "test" ? data.test : data.train;
    const core::head_output out = core::bitslice_engine(net, {.threads = threads}).classify(enc.encode(part));
    r.samples = part.size();
    r.correct = correct_predictions(out, part.labels);
    return r;
}

}  // namespace lutra::experiments
