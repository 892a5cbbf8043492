#include "lutra/experiments/memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "lutra/core/error.hpp"
#include "lutra/core/node_stats.hpp"
#include "lutra/core/relaxed.hpp"

namespace lutra::experiments {

namespace {

// What the process holds before any setting matters: code, libraries,
// HDF5's and the allocator's caches (measured: a peak RSS of 20 MiB for
// configs/parity.yaml).
constexpr double baseline_bytes = 32.0 * (1 << 20);

// Bytes of a bit_matrix: rows of samples padded to whole 512-bit vectors.
double bit_rows_bytes(double rows, double samples) { return rows * std::ceil(samples / 512) * 64; }

// Floats per relaxed activation row: samples rounded up to an odd multiple of 16.
double activation_stride(double samples) {
    double blocks = std::ceil(std::max(samples, 1.0) / 16);
    if (std::fmod(blocks, 2) == 0) blocks += 1;
    return blocks * 16;
}

// Table words of a node with k inputs: 2^k bits in 64-bit words.
double table_bytes(unsigned k) { return 8 * std::max(1.0, std::ldexp(1.0, static_cast<int>(k) - 6)); }

unsigned hardware_threads(unsigned threads) { return threads ? threads : std::max(1U, std::thread::hardware_concurrency()); }

// GiB, or MiB below one GiB (a small LUTRA_MEMORY_LIMIT).
std::string gib_text(double bytes) {
    char text[48];
    if (bytes >= double(1ULL << 30))
        std::snprintf(text, sizeof text, "%.2f GiB", bytes / double(1ULL << 30));
    else
        std::snprintf(text, sizeof text, "%.0f MiB", bytes / double(1ULL << 20));
    return text;
}

// One split: byte features and labels, its encoded bits, and `bit_copies`
// more encodings (shuffled, augmented).
double split_bytes(double samples, double features, double input_bits, double bit_copies) {
    return samples * (features + 2) + (1 + bit_copies) * bit_rows_bytes(input_bits, samples);
}

double encoded_bits(const data_settings& s, const data::dataset_shape& shape) {
    return double(shape.features) * (s.encoder.kind == "binarize" ? 1.0 : double(s.encoder.bits));
}

void add_data_terms(memory_estimate& e, const data_settings& s, const data::dataset_shape& shape,
                    const std::string& prefix, bool training) {
    const double bits = encoded_bits(s, shape);
    const double train = double(shape.train_samples);
    // Training shuffles the encoded split every epoch (a copy) and keeps an
    // order and labels; augmentation adds moved images and their encoding.
    const double copies = training ? 1.0 + (s.augment_shift ? 1.0 : 0.0) : 0.0;
    double train_bytes = split_bytes(train, shape.features, bits, copies);
    if (training) train_bytes += train * 6 + (s.augment_shift ? train * shape.features : 0.0);
    e.terms.push_back({prefix + "train_samples", "training samples: features, encoded bits and their copies", train_bytes});
    e.terms.push_back({prefix + "test_samples", "test samples: features and encoded bits",
                       split_bytes(double(shape.test_samples), shape.features, bits, 0)});
}

// Developing and compiling a population: its tables in the network's copies
// (compiled, session, engines, each epoch's hardened one), the wiring graph
// and each slot's candidates; `threads` bit-sliced tiles of `tile` samples.
double population_bytes(const topology::population_gene& p, unsigned copies, double threads, double tile) {
    const double k = p.k;
    return double(p.size) * (copies * (table_bytes(p.k) + 8 * k) + 96 * k + 160 + threads * tile / 8);
}

}  // namespace

double memory_estimate::total() const noexcept {
    double sum = baseline_bytes;
    for (const memory_term& t : terms) sum += t.bytes;
    return sum;
}

const memory_term& memory_estimate::largest() const {
    if (terms.empty()) throw internal_error("memory_estimate::largest: no terms");
    return *std::max_element(terms.begin(), terms.end(),
                             [](const memory_term& a, const memory_term& b) { return a.bytes < b.bytes; });
}

memory_estimate estimate_memory(const data_settings& s, const data::dataset_shape& shape) {
    memory_estimate e;
    add_data_terms(e, s, shape, "", false);
    return e;
}

memory_estimate estimate_memory(const topology::genome& g, unsigned threads) {
    memory_estimate e;
    for (std::size_t i = 0; i < g.populations.size(); ++i)
        e.terms.push_back({"populations[" + std::to_string(i) + "].size",
                           "population '" + g.populations[i].name + "': tables, wiring graph and candidates",
                           population_bytes(g.populations[i], 2, 0, 0)});
    static_cast<void>(threads);  // development's threads share one graph
    return e;
}

memory_estimate estimate_memory(const experiment_settings& s, const data::dataset_shape& shape) {
    memory_estimate e;
    add_data_terms(e, s.data, shape, "data.", true);
    const double threads = hardware_threads(s.threads);
    const double tile = 4096;  // the bit-sliced engine's default tile
    double nodes = 0;
    unsigned max_k = 0;
    for (const auto& p : s.genome.populations) {
        nodes += p.size;
        max_k = std::max(max_k, p.k);
    }
    // Per node, what recording statistics keeps: the entry usage counters
    // (three copies on the way to run.h5) and the outputs on the samples.
    const double usage = max_k <= core::max_usage_k ? 12 * std::ldexp(1.0, static_cast<int>(max_k)) : 0.0;
    const double stats_bits =
        s.stats.every ? 2 * bit_rows_bytes(1, double(std::min<std::size_t>(s.stats.samples, shape.train_samples))) : 0;
    for (std::size_t i = 0; i < s.genome.populations.size(); ++i) {
        const topology::population_gene& p = s.genome.populations[i];
        // θ, w, scaled w, dL/dw, dL/dθ, Adam's two moments, and the initial entries: 8 floats an entry.
        const double entries = p.k <= core::relaxed_max_k ? std::ldexp(1.0, static_cast<int>(p.k)) * 32 : 0.0;
        e.terms.push_back({"genome.populations[" + std::to_string(i) + "].size",
                           "population '" + p.name + "': tables, wiring, trainable entries and statistics",
                           population_bytes(p, 5, threads, tile) + double(p.size) * (entries + usage + stats_bits)});
    }
    // The relaxed engine's activations and their gradients for a training
    // batch, and activations for an evaluation batch (at least 1,024 samples).
    const double batch = double(s.train.batch_size);
    e.terms.push_back({"train.batch_size", "relaxed engine: activations and gradients of a batch, every node",
                       nodes * 4 * (2 * activation_stride(batch) + activation_stride(std::max(batch, 1024.0)))});
    // Learnable wiring: per learnable slot, its pool (source, score, two
    // moments, gradient: 5 values) and its dL/dp over a batch.
    for (std::size_t j = 0; j < s.genome.projections.size(); ++j) {
        const topology::projection_gene& pr = s.genome.projections[j];
        if (pr.learn.candidates == 0) continue;
        const topology::population_gene* target = s.genome.find(pr.target);
        if (target == nullptr) continue;  // the genome's own check names it
        const double slots = double(target->size) * (pr.slots == 0 ? target->k : pr.slots);
        e.terms.push_back({"genome.projections[" + std::to_string(j) + "].learn_wiring.candidates",
                           "learnable wiring: every slot's pool, scores and moments, and its gradient over a batch",
                           slots * 4 * (5 * double(pr.learn.candidates) + activation_stride(batch))});
    }
    return e;
}

memory_estimate estimate_memory(const infer_bench_settings& s) {
    memory_estimate e;
    const double nodes = s.network.nodes;
    unsigned max_threads = 1;
    for (unsigned t : s.threads) max_threads = std::max(max_threads, hardware_threads(t));
    e.terms.push_back({"network.nodes", "the random network's tables and sources, and the engine's tiles",
                       nodes * (2 * (table_bytes(s.network.k) + 8.0 * s.network.k) +
                                double(max_threads) * double(s.tile_samples) / 8)});
    e.terms.push_back({"samples", "input bits, scores and predictions of a batch",
                       bit_rows_bytes(s.network.num_inputs, double(s.samples)) +
                           double(s.samples) * (4.0 * s.network.num_classes + 2)});
    return e;
}

memory_limit available_memory() {
    if (const char* text = std::getenv("LUTRA_MEMORY_LIMIT"); text != nullptr && *text != '\0') {
        const std::string_view v(text);
        double number = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), number);
        const std::string_view suffix(end, static_cast<std::size_t>(v.data() + v.size() - end));
        int shift = -1;
        if (suffix.empty() || suffix == "B") shift = 0;
        else if (suffix == "K" || suffix == "KiB") shift = 10;
        else if (suffix == "M" || suffix == "MiB") shift = 20;
        else if (suffix == "G" || suffix == "GiB") shift = 30;
        else if (suffix == "T" || suffix == "TiB") shift = 40;
        if (ec != std::errc() || shift < 0 || !(number > 0))
            throw error("LUTRA_MEMORY_LIMIT = '" + std::string(v) +
                        "' is not a size; give bytes, or a number with K, M, G or T (KiB … TiB), e.g. 8G");
        return {std::ldexp(number, shift), "LUTRA_MEMORY_LIMIT"};
    }
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return {HUGE_VAL, "physical memory (unknown)"};
    return {double(pages) * double(page), "physical memory"};
}

void check_memory(const memory_estimate& e, const config_source& where, const std::string& what) {
    const memory_limit limit = available_memory();
    const double need = e.total();
    if (need <= limit.bytes) return;
    const memory_term& big = e.largest();
    throw where.error_at(big.field, what + " would need about " + gib_text(need) + " of memory, " + gib_text(big.bytes) +
                                        " of it for " + big.what + ", but this machine has " + gib_text(limit.bytes) +
                                        " (" + limit.source + "); lower " + big.field +
                                        " (docs/configuration.md, \"Memory\")");
}

}  // namespace lutra::experiments
