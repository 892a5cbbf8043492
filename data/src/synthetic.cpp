// Synthetic boolean tasks: the generators behind the catalogue entries "xor",
// "parity-N" and "majority-N" in dataset.cpp, which declares them.

#include <bit>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "lutra/data/datasets.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "synthetic.hpp"

namespace lutra::data::synthetic {

namespace {

// Up to 2^12 = 4096 addresses the whole truth table is the dataset, so small
// tasks are exactly learnable and exactly measurable.
constexpr unsigned truth_table_max_bits = 12;
constexpr std::size_t default_train_samples = 8192;
constexpr std::size_t default_test_samples = 2048;

using label_fn = bool (*)(std::uint64_t address, unsigned bits);

bool parity(std::uint64_t address, unsigned) { return (std::popcount(address) & 1) != 0; }
bool majority(std::uint64_t address, unsigned bits) { return static_cast<unsigned>(std::popcount(address)) > bits / 2; }

// Feature i is bit i of the address.
void append_sample(data_split& split, std::uint64_t address, unsigned bits, label_fn label) {
    for (unsigned i = 0; i < bits; ++i) split.features.push_back(((address >> i) & 1U) != 0 ? 255 : 0);
    split.labels.push_back(label(address, bits) ? 1 : 0);
}

data_split random_split(const counter_rng& stream, std::size_t samples, unsigned bits, label_fn label) {
    const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;  // bits ≤ 63
    data_split split;
    split.features.reserve(samples * bits);
    split.labels.reserve(samples);
    for (std::size_t s = 0; s < samples; ++s) append_sample(split, stream.at(s) & mask, bits, label);
    return split;
}

bool whole_truth_table(unsigned bits, const dataset_options& options) {
    return bits <= truth_table_max_bits && options.train_samples == 0 && options.test_samples == 0;
}

dataset_shape boolean_shape(unsigned bits, const dataset_options& options) {
    if (whole_truth_table(bits, options)) {
        const std::size_t rows = std::size_t{1} << bits;
        return {bits, 2, rows, rows, bits, 1, 1};
    }
    return {bits, 2, options.train_samples != 0 ? options.train_samples : default_train_samples,
            options.test_samples != 0 ? options.test_samples : default_test_samples, bits, 1, 1};
}

dataset boolean_task(std::string name, unsigned bits, label_fn label, const dataset_options& options) {
    dataset d;
    d.name = std::move(name);
    d.width = bits;
    d.height = 1;
    d.channels = 1;
    d.num_classes = 2;
    if (whole_truth_table(bits, options)) {
        for (std::uint64_t address = 0; address < (std::uint64_t{1} << bits); ++address)
            append_sample(d.train, address, bits, label);
        d.test = d.train;
        return d;
    }
    const counter_rng rng(options.seed, "synthetic dataset");
    d.train = random_split(rng.fork(0), options.train_samples != 0 ? options.train_samples : default_train_samples,
                           bits, label);
    d.test =
        random_split(rng.fork(1), options.test_samples != 0 ? options.test_samples : default_test_samples, bits, label);
    return d;
}

// N of "family-N", which the catalogue has already matched up to the dash.
unsigned parse_bits(std::string_view name, std::string_view family, unsigned max_bits) {
    const std::string_view digits = name.substr(family.size() + 1);
    const std::string pattern = std::string(family) + "-N";
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec == std::errc::invalid_argument || end != digits.data() + digits.size())
        throw unknown_name_error("dataset", std::string(name),
                                 "dataset '" + std::string(name) + "': N in " + pattern + " must be an integer in 1.." +
                                     std::to_string(max_bits));
    if (ec == std::errc::result_out_of_range || n < 1 || n > max_bits)
        throw unknown_name_error("dataset", std::string(name),
                                 "dataset '" + std::string(name) + "': N = " + std::string(digits) +
                                     " is out of range 1.." + std::to_string(max_bits) + " for " + pattern);
    return n;
}

}  // namespace

dataset generate_xor(std::string_view, const dataset_options& options) {
    return boolean_task("xor", 2, parity, options);
}

dataset generate_parity(std::string_view name, const dataset_options& options) {
    const unsigned n = parse_bits(name, "parity", 24);
    return boolean_task("parity-" + std::to_string(n), n, parity, options);
}

unsigned majority_bits(std::string_view name) {
    const unsigned n = parse_bits(name, "majority", 63);
    if (n % 2 == 0)
        throw unknown_name_error("dataset", std::string(name),
                                 "dataset '" + std::string(name) + "': N = " + std::to_string(n) +
                                     " is even; majority-N needs N odd in 1..63 so that no vote ties");
    return n;
}

dataset generate_majority(std::string_view name, const dataset_options& options) {
    const unsigned n = majority_bits(name);
    return boolean_task("majority-" + std::to_string(n), n, majority, options);
}

dataset_shape shape_xor(std::string_view, const dataset_options& options) { return boolean_shape(2, options); }

dataset_shape shape_parity(std::string_view name, const dataset_options& options) {
    return boolean_shape(parse_bits(name, "parity", 24), options);
}

dataset_shape shape_majority(std::string_view name, const dataset_options& options) {
    return boolean_shape(majority_bits(name), options);
}

}  // namespace lutra::data::synthetic
