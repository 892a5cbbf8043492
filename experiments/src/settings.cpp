#include "lutra/experiments/settings.hpp"

#include <string_view>

namespace lutra::experiments {

namespace {

constexpr std::string_view encoder_kinds[] = {"binarize", "thermometer"};
constexpr std::string_view threshold_kinds[] = {"uniform", "quantile"};
constexpr std::string_view isa_names[] = {"auto", "portable", "avx2", "avx512"};

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

}  // namespace lutra::experiments
