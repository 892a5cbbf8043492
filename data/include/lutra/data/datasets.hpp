#pragma once
// Datasets by name: real ones read from IDX files on disk (mnist,
// fashion-mnist) and synthetic boolean tasks generated from the seed (xor,
// parity-N, majority-N). One catalogue in data/src/datasets.cpp lists them
// all; docs/datasets.md says where files are searched and how to add a
// dataset. The dataset type itself is core's (core/dataset.hpp).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/dataset.hpp"

namespace lutra::data {

using core::data_split;
using core::dataset;

struct dataset_options {
    std::uint64_t seed = 1;         // synthetic datasets only; real ones ignore it
    std::size_t train_samples = 0;  // real: the first N (0 = all); synthetic: N random samples (0 = default)
    std::size_t test_samples = 0;   // as train_samples, for the test split
};

// Where real datasets live: $LUTRA_DATA_DIR, else $XDG_DATA_HOME/lutra, else
// $HOME/.local/share/lutra (empty variables count as unset). Throws
// lutra::error when none of the three is set.
[[nodiscard]] std::filesystem::path data_dir();

struct dataset_info {
    std::string name;          // a name for load_dataset, or a family pattern such as "parity-N"
    std::string description;   // one line
    bool installed = false;    // real: all files found; synthetic: always true
    std::string location;      // real: the directory used, or the directories searched; synthetic: "generated"
    std::string install_hint;  // the command that installs a real dataset; empty for synthetic ones
};

// Every real dataset, installed or not, and every synthetic family.
[[nodiscard]] std::vector<dataset_info> list_datasets();

// The catalogue's names, families as patterns ("parity-N"), without looking
// for files: the "valid: …" of messages.
[[nodiscard]] std::vector<std::string_view> dataset_names();

// What load_dataset would return, known without loading or generating it,
// so that sizes can be checked before anything is allocated.
struct dataset_shape {
    std::uint32_t features = 0;     // per sample (width × height × channels)
    std::uint32_t classes = 0;
    std::size_t train_samples = 0;  // real datasets: at most their size (load_dataset refuses more)
    std::size_t test_samples = 0;
    std::uint32_t width = 0, height = 0, channels = 0;  // the image shape, as core::dataset has it
};

// The shape of load_dataset(name, options); throws as load_dataset does for
// an unknown or malformed name, but needs no files.
[[nodiscard]] dataset_shape dataset_shape_of(std::string_view name, const dataset_options& options = {});

// Loads or generates a dataset.
//   mnist, fashion-mnist  28×28 grey images, 10 classes; train_samples /
//                         test_samples > 0 keep the first N samples.
//   xor, parity-N (N in 1..24), majority-N (N odd in 1..63)
//                         feature i is bit i of the sample's address, 0 or 255;
//                         label = xor / parity / majority of the bits. When
//                         2^N ≤ 4096 and neither sample count is given, train
//                         and test are both the whole truth table in address
//                         order (the seed is then unused); otherwise random
//                         addresses from the seed, 8192 train and 2048 test
//                         by default, from separate streams.
// Throws lutra::unknown_name_error for an unknown or malformed name (listing
// the valid ones and the closest match), lutra::error when a real dataset is
// not installed (saying what was looked for where and how to install it) or
// more samples are asked for than it has, lutra::io_error for bad files.
[[nodiscard]] dataset load_dataset(std::string_view name, const dataset_options& options = {});

}  // namespace lutra::data
