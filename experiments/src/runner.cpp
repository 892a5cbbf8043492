#include "lutra/experiments/runner.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <thread>

#include "lutra/core/augment.hpp"
#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"
#include "lutra/core/engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/trainer.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/run_file.hpp"
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

run_summary run_experiment(const run_request& request) {
    const auto start = clock::now();
    experiment_settings s = load_config<experiment_settings>(request.config_file, request.overrides);
    s.genome = resolve_genome(s, request.config_file.parent_path());
    s.genome_file.clear();  // the resolved config carries the genome itself
    topology::validate(s.genome);
    const unsigned threads = s.threads ? s.threads : std::max(1U, std::thread::hardware_concurrency());
    s.train.engine.threads = threads;

    run_summary summary;
    summary.dir = request.out_dir.empty() ? fs::path("runs") / s.name : request.out_dir;
    if (fs::exists(summary.dir / "run.h5"))
        throw error(summary.dir.string() + " already holds a run (run.h5); choose another --out or move it away");
    fs::create_directories(summary.dir);
    write_text_file(summary.dir / "config.yaml", to_yaml(s));
    write_text_file(summary.dir / "genome.yaml", to_yaml(s.genome));
    write_text_file(summary.dir / "genome.dna", topology::wrap_text(topology::to_text(s.genome)) + "\n");

    spdlog::info("loading {}", s.data.name);
    const core::dataset data = core::load_dataset(
        s.data.name, {.seed = s.data.seed, .train_samples = s.data.train_samples, .test_samples = s.data.test_samples});
    const core::encoder enc = core::encoder::fit(s.data.encoder, data);
    check_inputs_match(s.genome, data, enc, s.data);
    const core::bit_matrix train_bits = enc.encode(data.train);
    const core::bit_matrix test_bits = enc.encode(data.test);

    const topology::developed_graph graph = topology::develop(s.genome, s.seed, {.threads = threads});
    for (const auto& w : graph.warnings) spdlog::warn("genome: {}", w);
    const topology::compiled_network compiled = topology::compile(s.genome, graph);
    summary.genome_hash = topology::hash_hex(graph.hash);
    summary.nodes = compiled.net.num_nodes();
    spdlog::info("genome {}: {} nodes, depth {}, {} input bits; {} train / {} test samples", summary.genome_hash,
                 summary.nodes, compiled.net.depth(), compiled.net.num_inputs(), data.train.size(), data.test.size());

    run_file file = run_file::create(summary.dir / "run.h5", {LUTRA_VERSION, s.seed, summary.genome_hash});
    file.write_text("config", to_yaml(s));
    file.write_text("genome", topology::to_text(s.genome));
    file.write_encoder(enc, s.data.encoder.kind, data.width, data.height * data.channels);

    core::trainer tr(compiled.net, s.train);
    const auto train_start = clock::now();
    double test_accuracy = 0, test_relaxed = 0;
    for (std::uint32_t epoch = 0; epoch < s.train.epochs; ++epoch) {
        const auto epoch_start = clock::now();
        const std::vector<std::uint32_t> order = shuffled_order(data.train.size(), s.seed, epoch);
        // Augmented epochs encode freshly moved images; the encoder stays as fitted.
        const core::bit_matrix shuffled = core::permute_samples(
            s.data.augment_shift == 0
                ? train_bits
                : enc.encode(core::translate(data, data.train, s.data.augment_shift,
                                             counter_rng(s.seed, "train.augment").fork(epoch))),
            order);
        std::vector<std::uint16_t> labels(order.size());
        for (std::size_t i = 0; i < order.size(); ++i) labels[i] = data.train.labels[order[i]];

        core::epoch_result r;
        {
            progress bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(s.train.epochs),
                         labels.size(), "samples");
            r = tr.train_epoch(shuffled, labels, [&bar](std::size_t n) { bar.advance(n); });
        }
        const core::head_output hard =
            core::bitslice_engine(tr.hardened(), {.threads = threads}).classify(test_bits);
        test_accuracy = static_cast<double>(correct_predictions(hard, data.test.labels)) /
                        static_cast<double>(std::max<std::size_t>(1, data.test.size()));
        const core::epoch_result relaxed = tr.evaluate(test_bits, data.test.labels);
        test_relaxed = relaxed.accuracy;
        const double epoch_seconds = seconds_since(epoch_start);
        const double elapsed = seconds_since(start);
        const double left = seconds_since(train_start) / (epoch + 1) * (s.train.epochs - epoch - 1);
        spdlog::info("epoch {}/{}: loss {:.4f}, train {:.2f}% (relaxed), test {:.2f}% hardened ({:.2f}% relaxed), "
                     "lr {:.3g}, {} samples/s, {} left",
                     epoch + 1, s.train.epochs, r.loss, r.accuracy * 100, test_accuracy * 100, test_relaxed * 100,
                     tr.learning_rate(epoch), format_si(static_cast<double>(r.samples) / epoch_seconds),
                     format_duration(left));
        file.append_metrics({epoch + 1, "train", r.loss, r.accuracy, elapsed});
        file.append_metrics({epoch + 1, "test", relaxed.loss, test_accuracy, elapsed});
        file.append_metrics({epoch + 1, "test_relaxed", relaxed.loss, test_relaxed, elapsed});
    }
    summary.train_seconds = seconds_since(train_start);
    const core::network trained = tr.hardened();
    if (s.train.epochs == 0) {
        const core::head_output hard = core::bitslice_engine(trained, {.threads = threads}).classify(test_bits);
        test_accuracy = static_cast<double>(correct_predictions(hard, data.test.labels)) /
                        static_cast<double>(std::max<std::size_t>(1, data.test.size()));
        test_relaxed = tr.evaluate(test_bits, data.test.labels).accuracy;
    }
    file.write_network(trained, compiled.populations);
    file.flush();
    summary.test_accuracy = test_accuracy;
    summary.test_accuracy_relaxed = test_relaxed;
    summary.total_seconds = seconds_since(start);

    char text[1024];
    std::snprintf(text, sizeof text,
                  "name: %s\ndataset: %s (%zu train, %zu test)\ngenome_hash: %s\nnodes: %u\n"
                  "test_accuracy: %.4f\ntest_accuracy_relaxed: %.4f\nepochs: %u\ntrain_seconds: %.3f\n"
                  "total_seconds: %.3f\n",
                  s.name.c_str(), data.name.c_str(), data.train.size(), data.test.size(), summary.genome_hash.c_str(),
                  summary.nodes, summary.test_accuracy, summary.test_accuracy_relaxed, s.train.epochs,
                  summary.train_seconds, summary.total_seconds);
    write_text_file(summary.dir / "summary.txt", text);
    return summary;
}

eval_result evaluate_run(const fs::path& run, const std::string& dataset, const std::string& split,
                         unsigned threads) {
    if (split != "test" && split != "train")
        throw error("eval: split '" + split + "' is not one of test, train");
    const fs::path h5 = fs::is_directory(run) ? run / "run.h5" : run;
    const run_file file = run_file::open(h5);
    const core::network net = file.read_network();
    const core::encoder enc = file.read_encoder().encoder;
    const experiment_settings s = parse_config<experiment_settings>(file.read_text("config"), h5.string() + ":/config");
    eval_result r;
    r.dataset = dataset.empty() ? s.data.name : dataset;
    r.split = split;
    const core::dataset data = core::load_dataset(
        r.dataset, {.seed = s.data.seed,
                    .train_samples = dataset.empty() ? s.data.train_samples : 0,
                    .test_samples = dataset.empty() ? s.data.test_samples : 0});
    if (data.num_features() != enc.num_features())
        throw error("eval: dataset '" + r.dataset + "' has " + std::to_string(data.num_features()) +
                    " features per sample; the run's encoder takes " + std::to_string(enc.num_features()));
    const core::data_split& part = split == "test" ? data.test : data.train;
    const core::head_output out = core::bitslice_engine(net, {.threads = threads}).classify(enc.encode(part));
    r.samples = part.size();
    r.correct = correct_predictions(out, part.labels);
    return r;
}

}  // namespace lutra::experiments
