#include "lutra/experiments/settings.hpp"

#include <string_view>

#include "lutra/core/error.hpp"

namespace lutra::experiments {

namespace {

constexpr std::string_view encoder_kinds[] = {"binarize", "thermometer"};
constexpr std::string_view threshold_kinds[] = {"uniform", "quantile"};
constexpr std::string_view isa_names[] = {"auto", "portable", "avx2", "avx512"};
constexpr std::string_view stats_splits[] = {"train", "test"};

}  // namespace

void describe(config_visitor& v, core::encoder_params& p) {
    v.choice("kind", p.kind, encoder_kinds, "how a feature becomes bits: binarize (1 bit) or thermometer (T bits)");
    v.field("bits", p.bits, "thermometer: bits per feature", 1U, 255U);
    v.choice("thresholds", p.thresholds, threshold_kinds,
             "thermometer: uniform over 0..255, or quantiles of the training split");
    v.field("threshold", p.threshold, "binarize: bit = value >= threshold", 1U, 255U);
}

void describe(config_visitor& v, core::random_network_params& p) {
    v.field("inputs", p.num_inputs, "input bits", 1U, 1U << 24);
    v.field("nodes", p.nodes, "LUT nodes in all", 1U, 1U << 26);
    v.field("layers", p.layers, "equal layers, each reading only the previous one", 1U, 1U << 16);
    v.field("k", p.k, "inputs per node", 1U, 16U);
    v.field("classes", p.num_classes, "group-sum head classes over the last layer, 0 = no head", 0U, 65535U);
}

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

void describe(config_visitor& v, topology::input_shape& s) {
    v.field("width", s.width, "pixels per row", 1U, 1U << 16);
    v.field("height", s.height, "rows of pixels", 1U, 1U << 16);
    v.field("bits", s.bits, "input bits per pixel (thermometer levels)", 1U, 255U);
}

void describe(config_visitor& v, topology::layout& l) {
    v.field("width", l.width, "grid columns; 0 = all nodes on one row");
    v.field("height", l.height, "grid rows; width × height = size");
}

void describe(config_visitor& v, topology::table_init& t) {
    v.choice("kind", t.kind, topology::table_init_kinds, "initial tables: random, constant, copy (of slot 0), majority, function");
    v.field("p_one", t.p_one, "random: probability of a 1 bit", 0.0, 1.0);
    v.field("value", t.value, "constant: the bit");
    v.choice("function", t.function, topology::table_functions, "function: the named function of all k inputs");
}

void describe(config_visitor& v, topology::population_gene& p) {
    v.field("name", p.name, "unique population name");
    v.field("size", p.size, "nodes", 1U, 1U << 26);
    v.field("k", p.k, "input slots per node", 1U, 16U);
    v.section("layout", p.grid, "positions of the nodes on a grid stretched over the input image");
    v.section("init", p.init, "initial tables");
    v.field("delay", p.delay, "default delay of the slots of projections into it, ticks");
}

void describe(config_visitor& v, topology::delay_distribution& d) {
    v.choice("kind", d.kind, topology::delay_kinds, "default (the target's delay), constant (min), uniform (min..max)");
    v.field("min", d.min, "ticks: the constant, or the low end");
    v.field("max", d.max, "ticks: the high end of uniform");
}

void describe(config_visitor& v, topology::projection_gene& p) {
    v.field("target", p.target, "the population whose slots it fills");
    v.list("sources", p.sources, "populations and/or input");
    v.choice("rule", p.rule, topology::wiring_rules, "wiring rule: random, receptive_field, lateral, recurrent");
    v.field("slots", p.slots, "slots of each target node it fills; 0 = all k", 0U, 16U);
    v.field("radius", p.radius, "receptive_field, lateral: radius in source-grid units (pixels for the input)", 0.0,
            1e6);
    v.field("cover_bits", p.cover_bits, "input sources: slot s reads bit level s mod bits");
    v.field("repeats", p.repeats, "a node may read one source more than once");
    v.section("delay", p.delay, "delays of its slots");
}

void describe(config_visitor& v, topology::head_gene& h) {
    v.field("population", h.population, "the population whose nodes are the outputs");
    v.field("classes", h.classes, "classes; the population splits into this many equal groups", 1U, 65535U);
}

void describe(config_visitor& v, topology::genome& g) {
    v.section("inputs", g.inputs, "the input bits: width × height pixels × bits");
    v.list("populations", g.populations, "population genes");
    v.list("projections", g.projections, "projection genes: where each population's slots come from");
    v.section("head", g.head, "the classifier's outputs");
}

void describe(config_visitor& v, core::optimizer_params& p) {
    v.choice("kind", p.kind, core::optimizer_kinds, "adam or sgd");
    v.field("learning_rate", p.learning_rate, "learning rate at epoch 0", 0.0, 1e3);
    v.field("beta1", p.beta1, "adam: first-moment decay", 0.0, 1.0);
    v.field("beta2", p.beta2, "adam: second-moment decay", 0.0, 1.0);
    v.field("epsilon", p.epsilon, "adam: added to the root of the second moment", 0.0, 1.0);
    v.field("momentum", p.momentum, "sgd: heavy-ball momentum", 0.0, 1.0);
    v.choice("schedule", p.schedule, core::schedule_kinds,
             "learning rate: constant, step (x gamma every step_epochs), cosine (to 0 at the last epoch)");
    v.field("step_epochs", p.step_epochs, "step: epochs between decays", 1U, 1U << 20);
    v.field("gamma", p.gamma, "step: decay factor", 0.0, 1.0);
}

void describe(config_visitor& v, core::trainer_params& p) {
    v.field("epochs", p.epochs, "passes over the training set", 0U, 1U << 20);
    v.field("batch_size", p.batch_size, "samples per optimizer step", std::size_t{1}, std::size_t{1} << 20);
    v.field("tau", p.tau, "group-sum temperature: class score = sum of its outputs / tau", 1e-6, 1e6);
    v.field("init_scale", p.init_scale, "initial parameters: +-init_scale from the genome's initial table bits", 0.0,
            100.0);
    v.field("sharpen", p.sharpen,
            "anneal toward hard entries: w = sigmoid(beta * theta), beta from 1 to this over the epochs; 1 = off", 1.0,
            1e3);
    v.choice("relaxation", p.engine.relaxation, core::relaxation_names,
             "multilinear (exact gradients of the multilinear extension) or efd (DWN extended finite difference)");
    v.field("block_samples", p.engine.block_samples, "samples per engine work unit, a multiple of 16",
            std::size_t{16}, std::size_t{1} << 16);
    v.section("optimizer", p.optimizer, "the optimizer and its learning-rate schedule");
}

void describe(config_visitor& v, experiment_settings& s) {
    v.field("name", s.name, "names the run directory runs/NAME (unless --out)");
    v.field("seed", s.seed, "seed of development, initial tables and shuffling");
    v.field("threads", s.threads, "worker threads, 0 = one per hardware thread", 0U, 1024U);
    v.section("data", s.data, "dataset and encoder");
    v.field("genome_file", s.genome_file, "genome file relative to this config; empty = the genome section");
    v.section("genome", s.genome, "the genome (when genome_file is empty)");
    v.section("train", s.train, "gradient training");
    v.section("stats", s.stats, "per-node statistics recorded in run.h5");
}

core::dataset load_data(const data_settings& data) {
    return core::load_dataset(data.name,
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
