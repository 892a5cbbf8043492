#pragma once
// A small experiment on the majority of 15 bits, whose epochs take some tens
// of milliseconds: what the tests of runs, resumes, stops and sweeps train.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace lutra::test {

struct majority_options {
    std::string name = "run";
    std::uint64_t seed = 1;
    std::uint32_t epochs = 12;
    std::size_t train_samples = 6000;
    std::uint32_t hidden = 96;
    std::uint32_t out = 24;  // a multiple of the head's classes (2)
};

inline std::string majority_config(const majority_options& o = {}) {
    return "name: " + o.name + "\nseed: " + std::to_string(o.seed) +
           "\ndata: {name: majority-15, train_samples: " + std::to_string(o.train_samples) +
           ", test_samples: 500, encoder: {kind: binarize}}\n"
           "genome:\n"
           "  inputs: {width: 15, height: 1, bits: 1}\n"
           "  populations:\n"
           "    - {name: hidden, size: " + std::to_string(o.hidden) + ", k: 4}\n"
           "    - {name: out, size: " + std::to_string(o.out) + ", k: 4}\n"
           "  projections:\n"
           "    - {target: hidden, sources: [input], rule: random}\n"
           "    - {target: out, sources: [hidden], rule: random}\n"
           "  head: {population: out, classes: 2}\n"
           "train:\n"
           "  epochs: " + std::to_string(o.epochs) + "\n"
           "  batch_size: 32\n"
           "  sharpen: 3\n"
           "  optimizer: {kind: adam, learning_rate: 0.05, schedule: cosine}\n";
}

inline void write_majority_config(const std::filesystem::path& file, const majority_options& o = {}) {
    std::ofstream(file) << majority_config(o);
}

}  // namespace lutra::test
