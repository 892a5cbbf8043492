// The run file: round trips through run.h5, the layout docs/run-file.md
// documents (checked with the raw HDF5 C API, as a reader without Lutra
// would see it), and clear errors for every kind of bad file.
#include <doctest/doctest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "lutra/core/dataset.hpp"
#include "lutra/data/datasets.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/runfile/run_file.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace lutra;
using namespace lutra::runfile;

namespace {

// Nodes of k = 1..8; about a quarter of the slots delayed by 1..3 ticks and
// reading any node (itself included), the rest reading inputs or earlier nodes.
core::network mixed_network(std::uint32_t nodes, std::uint64_t seed) {
    rng_cursor rng(counter_rng(seed, "test run file network"));
    core::network_arrays a;
    a.num_inputs = 12;
    for (std::uint32_t i = 0; i < nodes; ++i) {
        const auto k = static_cast<unsigned>(1 + rng.below(8));
        a.k.push_back(static_cast<std::uint8_t>(k));
        for (unsigned s = 0; s < k; ++s) {
            const bool delayed = rng.below(4) == 0;
            a.delays.push_back(delayed ? static_cast<std::uint32_t>(1 + rng.below(3)) : 0);
            a.sources.push_back(static_cast<std::uint32_t>(rng.below(a.num_inputs + (delayed ? nodes : i))));
        }
        for (std::size_t w = 0; w < core::table_words(k); ++w)
            a.tables.push_back(k < 6 ? rng.next() & ((std::uint64_t{1} << (1U << k)) - 1) : rng.next());
    }
    a.head.num_classes = 2;
    for (std::uint32_t i = nodes - 10; i < nodes; ++i) a.head.outputs.push_back(i);
    return core::network(std::move(a));
}

void check_same(const core::network& got, const core::network& expected) {
    const core::network_arrays& g = got.arrays();
    const core::network_arrays& e = expected.arrays();
    CHECK(g.num_inputs == e.num_inputs);
    CHECK(g.k == e.k);
    CHECK(g.sources == e.sources);
    CHECK(g.delays == e.delays);
    CHECK(g.tables == e.tables);
    CHECK(g.head.num_classes == e.head.num_classes);
    CHECK(g.head.outputs == e.head.outputs);
}

// An image-shaped dataset (4×3 pixels, 2 channels), so coordinates matter.
core::dataset image_dataset() {
    core::dataset d;
    d.name = "image";
    d.width = 4;
    d.height = 3;
    d.channels = 2;
    d.num_classes = 2;
    const counter_rng rng(3, "test run file image");
    for (core::data_split* split : {&d.train, &d.test})
        for (std::uint16_t s = 0; s < 100; ++s) {
            for (std::uint32_t f = 0; f < d.num_features(); ++f)
                split->features.push_back(static_cast<std::uint8_t>(rng.below(split->features.size(), 256)));
            split->labels.push_back(s % 2);
        }
    return d;
}

// Everything one good run file holds.
struct sample_run {
    run_attributes attributes{
        .lutra_version = "0.1.0", .seed = 0xfedcba9876543210ULL, .genome_hash = "0123456789abcdef"};
    core::network net = mixed_network(60, 5);
    // Created in an order that is not name order, one empty, one non-ASCII.
    std::vector<core::population> populations;
    core::dataset data = data::load_dataset("parity-6");
    core::encoder enc = core::encoder::fit({.kind = "thermometer", .bits = 3, .thresholds = "quantile"}, data);
    std::string config = "data:\n  name: parity-6  # Größe, π ≈ 3.14159, 日本語, 🦦\n";
    std::string genome = "ACGTTGCAACGT";
    std::vector<metrics_row> metrics{{0, "train", 0.69, 0.5, 0.25},
                                     {0, "test", 0.7, 0.48, 0.5},
                                     {1, "train", 0.31, 0.875, 1.75},
                                     {1, "test", 0.35, 0.8125, 2.0}};

    sample_run() {
        std::vector<std::uint32_t> order(net.num_nodes());
        for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = (i * 7) % net.num_nodes();  // 60 and 7 coprime
        populations = {{"z-first", {order.begin(), order.begin() + 25}},
                       {"empty", {}},
                       {"Schicht-ä", {order.begin() + 25, order.end() - 5}}};
    }

    void write(const fs::path& path) const {
        run_file f = run_file::create(path, attributes);
        f.write_text("config", config);
        f.write_text("genome", genome);
        f.write_network(net, populations);
        f.write_encoder(enc, "thermometer", data.width, data.height);
        for (const metrics_row& row : metrics) f.append_metrics(row);
    }
};

// An HDF5 id for the test's own raw access, closed at scope end.
struct h5 {
    hid_t id;
    herr_t (*close)(hid_t);
    h5(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) { REQUIRE(id >= 0); }
    h5(const h5&) = delete;
    h5& operator=(const h5&) = delete;
    ~h5() { close(id); }
};

// A dataset as a reader without Lutra sees it: its stored type and shape,
// then `more` on its creation property list (layout, filters).
template <class More>
void check_raw_dataset(hid_t file, const char* name, hid_t type, const std::vector<hsize_t>& shape, More more) {
    CAPTURE(name);
    const h5 dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
    const h5 stored(H5Dget_type(dataset.id), H5Tclose);
    CHECK(H5Tequal(stored.id, type) > 0);
    const h5 space(H5Dget_space(dataset.id), H5Sclose);
    REQUIRE(H5Sget_simple_extent_ndims(space.id) == static_cast<int>(shape.size()));
    std::vector<hsize_t> dims(shape.size());
    H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
    CHECK(dims == shape);
    const h5 dcpl(H5Dget_create_plist(dataset.id), H5Pclose);
    more(dcpl.id);
}

// Damages a run file on purpose through the raw C API.
template <class Edit>
void edit(const fs::path& path, Edit change) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const h5 file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    change(file.id);
}

// Replaces a dataset by one of another type or shape, filled with zeros:
// chunked and checksummed as format_version 2 stores data, or contiguous and
// never written (no bytes stored for it).
void replace_dataset(hid_t file, const char* path, hid_t type, const std::vector<hsize_t>& dims,
                     bool checksummed = true) {
    REQUIRE(H5Ldelete(file, path, H5P_DEFAULT) >= 0);
    const h5 space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    const h5 dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    if (checksummed) {
        REQUIRE(H5Pset_chunk(dcpl.id, static_cast<int>(dims.size()), dims.data()) >= 0);
        REQUIRE(H5Pset_fletcher32(dcpl.id) >= 0);
        REQUIRE(H5Pset_fill_time(dcpl.id, H5D_FILL_TIME_ALLOC) >= 0);
        REQUIRE(H5Pset_alloc_time(dcpl.id, H5D_ALLOC_TIME_EARLY) >= 0);
    }
    const h5 dataset(H5Dcreate2(file, path, type, space.id, H5P_DEFAULT, dcpl.id, H5P_DEFAULT), H5Dclose);
}

void set_uint32(hid_t file, const char* path, hsize_t index, std::uint32_t value) {
    const h5 dataset(H5Dopen2(file, path, H5P_DEFAULT), H5Dclose);
    const h5 space(H5Dget_space(dataset.id), H5Sclose);
    const hsize_t one = 1;
    REQUIRE(H5Sselect_hyperslab(space.id, H5S_SELECT_SET, &index, nullptr, &one, nullptr) >= 0);
    const h5 memory(H5Screate_simple(1, &one, nullptr), H5Sclose);
    REQUIRE(H5Dwrite(dataset.id, H5T_NATIVE_UINT32, memory.id, space.id, H5P_DEFAULT, &value) >= 0);
}

std::uint32_t get_uint32(hid_t file, const char* path, hsize_t index) {
    const h5 dataset(H5Dopen2(file, path, H5P_DEFAULT), H5Dclose);
    const h5 space(H5Dget_space(dataset.id), H5Sclose);
    const hsize_t one = 1;
    REQUIRE(H5Sselect_hyperslab(space.id, H5S_SELECT_SET, &index, nullptr, &one, nullptr) >= 0);
    const h5 memory(H5Screate_simple(1, &one, nullptr), H5Sclose);
    std::uint32_t value = 0;
    REQUIRE(H5Dread(dataset.id, H5T_NATIVE_UINT32, memory.id, space.id, H5P_DEFAULT, &value) >= 0);
    return value;
}

void set_format_version(hid_t file, std::uint32_t version) {
    REQUIRE(H5Adelete(file, "format_version") >= 0);
    const h5 space(H5Screate(H5S_SCALAR), H5Sclose);
    const h5 a(H5Acreate2(file, "format_version", H5T_STD_U32LE, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    REQUIRE(H5Awrite(a.id, H5T_NATIVE_UINT32, &version) >= 0);
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const lutra::error& e) {
        return e.what();
    }
    return "(no error)";
}

// Each bad file is rejected by `read` with an io_error containing `message`.
void check_rejects(const std::function<void()>& read, const std::string& message) {
    CAPTURE(message);
    std::string what;
    try {
        read();
        what = "(no error)";
    } catch (const lutra::io_error& e) {
        what = e.what();
    }
    CHECK(what.find(message) != std::string::npos);
    CAPTURE(what);
}

}  // namespace

TEST_CASE("run file: network, populations, encoder, texts and metrics round-trip") {
    const lutra::test::temp_dir dir;
    const sample_run run;
    const fs::path path = dir.path / "run.h5";
    run.write(path);

    const run_file f = run_file::open(path);
    CHECK(f.format_version() == 2);
    CHECK(f.attributes() == run.attributes);
    CHECK(f.read_text("config") == run.config);
    CHECK(f.read_text("genome") == run.genome);
    CHECK(f.has("network"));
    CHECK_FALSE(f.has("stats"));

    check_same(f.read_network(), run.net);
    const auto populations = f.read_populations();
    REQUIRE(populations.size() == run.populations.size());
    for (std::size_t p = 0; p < populations.size(); ++p) {
        CHECK(populations[p].name == run.populations[p].name);
        CHECK(populations[p].nodes == run.populations[p].nodes);
    }

    const stored_encoder e = f.read_encoder();
    CHECK(e.kind == "thermometer");
    CHECK(e.width == 6);
    CHECK(e.height == 1);
    CHECK(e.channels == 1);
    CHECK(e.encoder.bits_per_feature() == 3);
    CHECK(std::ranges::equal(e.encoder.bits(), run.enc.bits()));
    CHECK(std::ranges::equal(e.encoder.thresholds(), run.enc.thresholds()));
    CHECK(e.encoder.encode(run.data.test) == run.enc.encode(run.data.test));

    CHECK(f.read_metrics() == run.metrics);
}

TEST_CASE("run file: large networks, image encoders and empty texts round-trip") {
    const lutra::test::temp_dir dir;
    const fs::path path = dir.path / "run.h5";
    // Large enough that sources and tables are chunked and compressed.
    const core::network big = core::random_network({.num_inputs = 784, .nodes = 5000, .layers = 5, .k = 6}, 9);
    const core::dataset image = image_dataset();
    const core::encoder enc = core::encoder::fit({.bits = 2, .thresholds = "uniform"}, image);
    {
        run_file f = run_file::create(path, {});
        f.write_network(big, {});
        f.write_encoder(enc, "thermometer", image.width, image.height);
        f.write_text("empty", "");
    }
    const run_file f = run_file::open(path);
    check_same(f.read_network(), big);
    CHECK(f.read_populations().empty());
    const stored_encoder e = f.read_encoder();
    CHECK(e.channels == 2);
    CHECK(std::ranges::equal(e.encoder.bits(), enc.bits()));
    CHECK(e.encoder.encode(image.test) == enc.encode(image.test));
    CHECK(f.read_text("empty").empty());
    CHECK(f.read_metrics().empty());
    CHECK(f.attributes() == run_attributes{});
}

TEST_CASE("run file: metrics appended in separate sessions accumulate") {
    const lutra::test::temp_dir dir;
    const fs::path path = dir.path / "run.h5";
    const std::vector<metrics_row> rows{{0, "train", 1.5, 0.25, 0.5},
                                        {0, "test", 1.25, 0.5, 1.0},
                                        {1, "train", 0.5, 0.75, 2.0},
                                        {1, "validation", 0.75, 0.625, 3.0},
                                        {2, "test", 0.125, 1.0, 4.5}};
    {
        run_file f = run_file::create(path, {.lutra_version = "0.1.0", .seed = 3});
        f.append_metrics(rows[0]);
        f.append_metrics(rows[1]);
    }
    {
        run_file f = run_file::open_for_append(path);
        CHECK(f.read_metrics().size() == 2);
        for (std::size_t i = 2; i < rows.size(); ++i) f.append_metrics(rows[i]);
    }
    CHECK(run_file::open(path).read_metrics() == rows);
}

TEST_CASE("run file: a run killed after a flush keeps every finished row") {
    const lutra::test::temp_dir dir;
    const fs::path path = dir.path / "run.h5";
    const sample_run run;
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // No doctest here: the child writes, then dies without closing anything.
        try {
            run_file f = run_file::create(path, run.attributes);
            f.write_network(run.net, run.populations);
            for (const metrics_row& row : run.metrics) f.append_metrics(row);
            raise(SIGKILL);
        } catch (...) {
        }
        _exit(1);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);

    const auto bytes = [&] {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    const std::string killed = bytes();
    {  // The flag is set: HDF5 opened as h5py and h5dump open a file refuses it (until h5clear -s).
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        const hid_t plain = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        CHECK(plain < 0);
        if (plain >= 0) H5Fclose(plain);
    }
    {
        // HDF5's "open for writing" flag, which the kill left set, does not
        // stop the reader, and reading leaves the file as it was.
        const run_file f = run_file::open(path);
        CHECK(f.read_metrics() == run.metrics);
        check_same(f.read_network(), run.net);
        run_reader(path).verify();
    }
    CHECK(bytes() == killed);
    // And the run can go on where it stopped.
    run_file::open_for_append(path).append_metrics({2, "train", 0.25, 0.9, 3.0});
    CHECK(run_file::open(path).read_metrics().size() == run.metrics.size() + 1);
}

TEST_CASE("run file: the layout is the one docs/run-file.md documents") {
    const lutra::test::temp_dir dir;
    const sample_run run;
    const fs::path path = dir.path / "run.h5";
    run.write(path);

    const h5 file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    const auto members = [](hid_t group) {
        H5G_info_t info{};
        REQUIRE(H5Gget_info(group, &info) >= 0);
        std::vector<std::string> names;
        for (hsize_t i = 0; i < info.nlinks; ++i) {
            std::string name(256, '\0');
            const ssize_t n =
                H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
            REQUIRE(n > 0);
            name.resize(static_cast<std::size_t>(n));
            names.push_back(name);
        }
        return names;
    };
    const auto attribute_names = [](hid_t object) {
        std::vector<std::string> names;
        REQUIRE(H5Aiterate2(
                    object, H5_INDEX_NAME, H5_ITER_INC, nullptr,
                    [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
                        static_cast<std::vector<std::string>*>(out)->push_back(name);
                        return 0;
                    },
                    &names) >= 0);
        return names;
    };
    using names = std::vector<std::string>;
    // Fixed-length, NUL-padded: in object headers and chunks, which HDF5 checksums.
    const auto is_utf8_text = [](hid_t type) {
        return H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0 && H5Tget_cset(type) == H5T_CSET_UTF8 &&
               H5Tget_strpad(type) == H5T_STR_NULLPAD;
    };
    const auto check_attribute = [&](hid_t object, const char* name, hid_t expected) {
        CAPTURE(name);
        const h5 a(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
        const h5 type(H5Aget_type(a.id), H5Tclose);
        const h5 space(H5Aget_space(a.id), H5Sclose);
        CHECK(H5Sget_simple_extent_type(space.id) == H5S_SCALAR);
        if (expected < 0)
            CHECK(is_utf8_text(type.id));
        else
            CHECK(H5Tequal(type.id, expected) > 0);
    };
    const auto string_attribute = [](hid_t object, const char* name) {
        const h5 a(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
        const h5 type(H5Aget_type(a.id), H5Tclose);
        std::string value(H5Tget_size(type.id), '\0');
        REQUIRE(H5Aread(a.id, type.id, value.data()) >= 0);
        return value;
    };
    const auto uint_attribute = [](hid_t object, const char* name) {
        const h5 a(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
        std::uint64_t value = 0;
        REQUIRE(H5Aread(a.id, H5T_NATIVE_UINT64, &value) >= 0);
        return value;
    };
    // A 1-D dataset of the given type and size; returns whether it is chunked.
    const auto check_array = [](hid_t group, const char* name, hid_t type, hsize_t size) {
        CAPTURE(name);
        const h5 dataset(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose);
        const h5 stored(H5Dget_type(dataset.id), H5Tclose);
        CHECK(H5Tequal(stored.id, type) > 0);
        const h5 space(H5Dget_space(dataset.id), H5Sclose);
        REQUIRE(H5Sget_simple_extent_ndims(space.id) == 1);
        hsize_t dims = 0;
        H5Sget_simple_extent_dims(space.id, &dims, nullptr);
        CHECK(dims == size);
        const h5 dcpl(H5Dget_create_plist(dataset.id), H5Pclose);
        return H5Pget_layout(dcpl.id) == H5D_CHUNKED;
    };
    constexpr hid_t text = -1;  // check_attribute: a UTF-8 string
    // Every dataset holding data is chunked with the Fletcher-32 checksum as its last filter.
    const auto filters = [](hid_t dataset) {
        const h5 dcpl(H5Dget_create_plist(dataset), H5Pclose);
        std::vector<H5Z_filter_t> ids;
        for (int i = 0; i < H5Pget_nfilters(dcpl.id); ++i) {
            unsigned flags = 0;
            std::size_t values = 0;  // asks for no client values
            ids.push_back(H5Pget_filter2(dcpl.id, static_cast<unsigned>(i), &flags, &values, nullptr, 0, nullptr, nullptr));
        }
        return ids;
    };
    using filter_list = std::vector<H5Z_filter_t>;
    // HDF5's format of 1.10, whose metadata is checksummed.
    H5F_info2_t info{};
    REQUIRE(H5Fget_info2(file.id, &info) >= 0);
    CHECK(info.super.version == 3);

    CHECK(members(file.id) == names{"config", "encoder", "genome", "metrics", "network"});
    CHECK(attribute_names(file.id) == names{"format", "format_version", "genome_hash", "lutra_version", "seed"});
    check_attribute(file.id, "format", text);
    check_attribute(file.id, "format_version", H5T_STD_U32LE);
    check_attribute(file.id, "lutra_version", text);
    check_attribute(file.id, "seed", H5T_STD_U64LE);
    check_attribute(file.id, "genome_hash", text);
    CHECK(string_attribute(file.id, "format") == "lutra-run");
    CHECK(uint_attribute(file.id, "format_version") == 2);
    CHECK(string_attribute(file.id, "lutra_version") == "0.1.0");
    CHECK(uint_attribute(file.id, "seed") == run.attributes.seed);
    CHECK(string_attribute(file.id, "genome_hash") == run.attributes.genome_hash);

    for (const char* name : {"config", "genome"}) {
        const h5 dataset(H5Dopen2(file.id, name, H5P_DEFAULT), H5Dclose);
        const h5 type(H5Dget_type(dataset.id), H5Tclose);
        const h5 space(H5Dget_space(dataset.id), H5Sclose);
        CHECK(is_utf8_text(type.id));
        REQUIRE(H5Sget_simple_extent_ndims(space.id) == 1);
        hsize_t count = 0;
        H5Sget_simple_extent_dims(space.id, &count, nullptr);
        CHECK(count == 1);
        CHECK(filters(dataset.id) == filter_list{H5Z_FILTER_FLETCHER32});
    }

    const core::network& net = run.net;
    const h5 network(H5Gopen2(file.id, "network", H5P_DEFAULT), H5Gclose);
    CHECK(members(network.id) == names{"delays", "head", "k", "level", "populations", "sources", "tables"});
    CHECK(attribute_names(network.id) == names{"num_inputs"});
    check_attribute(network.id, "num_inputs", H5T_STD_U32LE);
    CHECK(uint_attribute(network.id, "num_inputs") == 12);
    check_array(network.id, "k", H5T_STD_U8LE, net.num_nodes());
    check_array(network.id, "sources", H5T_STD_U32LE, net.num_slots());
    check_array(network.id, "delays", H5T_STD_U32LE, net.num_slots());
    check_array(network.id, "tables", H5T_STD_U64LE, net.arrays().tables.size());
    check_array(network.id, "level", H5T_STD_U32LE, net.num_nodes());
    CHECK(get_uint32(network.id, "level", 59) == net.level(59));
    const h5 head(H5Gopen2(network.id, "head", H5P_DEFAULT), H5Gclose);
    CHECK(members(head.id) == names{"outputs"});
    check_attribute(head.id, "num_classes", H5T_STD_U32LE);
    CHECK(uint_attribute(head.id, "num_classes") == 2);
    check_array(head.id, "outputs", H5T_STD_U32LE, 10);
    const h5 populations(H5Gopen2(network.id, "populations", H5P_DEFAULT), H5Gclose);
    CHECK(members(populations.id) == names{"Schicht-ä", "empty", "z-first"});
    check_array(populations.id, "z-first", H5T_STD_U32LE, 25);
    check_array(populations.id, "empty", H5T_STD_U32LE, 0);
    check_array(populations.id, "Schicht-ä", H5T_STD_U32LE, 30);

    const std::size_t bits = run.enc.num_bits();
    const h5 encoder(H5Gopen2(file.id, "encoder", H5P_DEFAULT), H5Gclose);
    CHECK(members(encoder.id) == names{"bit", "channel", "feature", "threshold", "x", "y"});
    CHECK(attribute_names(encoder.id) ==
          names{"bits_per_feature", "channels", "height", "kind", "num_features", "width"});
    check_attribute(encoder.id, "kind", text);
    CHECK(string_attribute(encoder.id, "kind") == "thermometer");
    for (const char* name : {"num_features", "bits_per_feature", "width", "height", "channels"})
        check_attribute(encoder.id, name, H5T_STD_U32LE);
    CHECK(uint_attribute(encoder.id, "num_features") == 6);
    CHECK(uint_attribute(encoder.id, "bits_per_feature") == 3);
    check_array(encoder.id, "feature", H5T_STD_U32LE, bits);
    for (const char* name : {"x", "y", "channel", "bit"}) check_array(encoder.id, name, H5T_STD_U16LE, bits);
    check_array(encoder.id, "threshold", H5T_STD_U8LE, bits);

    // /metrics: a packed little-endian compound, chunked and extendible.
    const h5 metrics(H5Dopen2(file.id, "metrics", H5P_DEFAULT), H5Dclose);
    const h5 row(H5Dget_type(metrics.id), H5Tclose);
    REQUIRE(H5Tget_class(row.id) == H5T_COMPOUND);
    CHECK(H5Tget_size(row.id) == 44);
    REQUIRE(H5Tget_nmembers(row.id) == 5);
    const std::vector<std::pair<std::string, std::size_t>> layout{
        {"epoch", 0}, {"split", 4}, {"loss", 20}, {"accuracy", 28}, {"seconds", 36}};
    for (unsigned m = 0; m < 5; ++m) {
        char* name = H5Tget_member_name(row.id, m);
        CHECK(name == layout[m].first);
        H5free_memory(name);
        CHECK(H5Tget_member_offset(row.id, m) == layout[m].second);
    }
    const h5 epoch(H5Tget_member_type(row.id, 0), H5Tclose);
    CHECK(H5Tequal(epoch.id, H5T_STD_U32LE) > 0);
    const h5 split(H5Tget_member_type(row.id, 1), H5Tclose);
    CHECK(H5Tget_class(split.id) == H5T_STRING);
    CHECK(H5Tis_variable_str(split.id) == 0);
    CHECK(H5Tget_size(split.id) == 16);
    CHECK(H5Tget_strpad(split.id) == H5T_STR_NULLPAD);
    for (unsigned m = 2; m < 5; ++m) {
        const h5 value(H5Tget_member_type(row.id, m), H5Tclose);
        CHECK(H5Tequal(value.id, H5T_IEEE_F64LE) > 0);
    }
    const h5 space(H5Dget_space(metrics.id), H5Sclose);
    REQUIRE(H5Sget_simple_extent_ndims(space.id) == 1);
    hsize_t dims = 0;
    hsize_t max_dims = 0;
    H5Sget_simple_extent_dims(space.id, &dims, &max_dims);
    CHECK(dims == 4);
    CHECK(max_dims == H5S_UNLIMITED);

    CHECK(filters(metrics.id) == filter_list{H5Z_FILTER_FLETCHER32});

    // Large arrays are compressed with shuffle and deflate; small ones only checksummed.
    const lutra::test::temp_dir big_dir;
    const fs::path big_path = big_dir.path / "run.h5";
    run_file::create(big_path, {})
        .write_network(core::random_network({.num_inputs = 784, .nodes = 5000, .layers = 5, .k = 6}, 1), {});
    const h5 big(H5Fopen(big_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    const h5 sources(H5Dopen2(big.id, "/network/sources", H5P_DEFAULT), H5Dclose);
    const h5 dcpl(H5Dget_create_plist(sources.id), H5Pclose);
    CHECK(H5Pget_layout(dcpl.id) == H5D_CHUNKED);
    CHECK(filters(sources.id) == filter_list{H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE, H5Z_FILTER_FLETCHER32});
    CHECK(check_array(network.id, "k", H5T_STD_U8LE, net.num_nodes()));
    const h5 k(H5Dopen2(network.id, "k", H5P_DEFAULT), H5Dclose);
    CHECK(filters(k.id) == filter_list{H5Z_FILTER_FLETCHER32});
    const h5 empty(H5Dopen2(populations.id, "empty", H5P_DEFAULT), H5Dclose);
    CHECK(filters(empty.id).empty());  // no data, nothing to checksum
}

TEST_CASE("run file: files that are not run files are rejected") {
    const lutra::test::temp_dir dir;
    const sample_run run;
    const fs::path good = dir.path / "good.h5";
    run.write(good);
    const auto copy = [&](const std::string& name) {
        const fs::path p = dir.path / name;
        fs::copy_file(good, p);
        return p;
    };
    const auto open = [](const fs::path& p) { return [p] { (void)run_file::open(p); }; };

    check_rejects(open(dir.path / "absent.h5"), "absent.h5: open run file: no such file");
    {
        std::ofstream(dir.path / "text.h5") << "data:\n  name: mnist\n";
        std::ofstream(dir.path / "empty.h5");
    }
    check_rejects(open(dir.path / "text.h5"), "text.h5: open run file: not an HDF5 file");
    check_rejects(open(dir.path / "empty.h5"), "empty.h5: open run file: not an HDF5 file");

    // Truncated anywhere: in the data, in the metadata, or all but the signature.
    const auto size = fs::file_size(good);
    for (const std::uintmax_t keep : {size - 1, size / 2, std::uintmax_t{1000}, std::uintmax_t{8}}) {
        CAPTURE(keep);
        const fs::path p = copy("truncated-" + std::to_string(keep) + ".h5");
        fs::resize_file(p, keep);
        const std::string message = error_of(open(p));
        CHECK((message.find("truncated or damaged") != std::string::npos ||
               message.find("not an HDF5 file") != std::string::npos));
        CHECK(message.find(p.string() + ": open run file: ") == 0);
    }

    const fs::path foreign = dir.path / "foreign.h5";
    {
        const h5 file(H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
        const hsize_t n = 3;
        const h5 space(H5Screate_simple(1, &n, nullptr), H5Sclose);
        const h5 data(H5Dcreate2(file.id, "data", H5T_STD_I32LE, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                      H5Dclose);
    }
    check_rejects(open(foreign), "not a Lutra run file: it has no /@format attribute (expected \"lutra-run\")");

    const fs::path other = copy("other.h5");
    edit(other, [](hid_t file) {
        REQUIRE(H5Adelete(file, "format") >= 0);
        const h5 type(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(type.id, 5);
        const h5 space(H5Screate(H5S_SCALAR), H5Sclose);
        const h5 a(H5Acreate2(file, "format", type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        REQUIRE(H5Awrite(a.id, type.id, "other") >= 0);
    });
    check_rejects(open(other), "not a Lutra run file: /@format is \"other\", expected \"lutra-run\"");

    const fs::path newer = copy("newer.h5");
    edit(newer, [](hid_t file) { set_format_version(file, 3); });
    check_rejects(open(newer),
                  "newer.h5: open run file: written by a newer Lutra (format_version 3; this one reads "
                  "up to 2)");
    check_rejects([&] { (void)run_file::open_for_append(newer); }, "written by a newer Lutra (format_version 3");
    const fs::path zero = copy("zero.h5");
    edit(zero, [](hid_t file) { set_format_version(file, 0); });
    check_rejects(open(zero), "format_version 0 is not valid");
    const fs::path unversioned = copy("unversioned.h5");
    edit(unversioned, [](hid_t file) { REQUIRE(H5Adelete(file, "format_version") >= 0); });
    check_rejects(open(unversioned), "missing /@format_version");

    // The good file is still good, and create never overwrites it.
    check_same(run_file::open(good).read_network(), run.net);
    check_rejects([&] { (void)run_file::create(good, {}); }, "good.h5: create run file: the file already exists");
    check_same(run_file::open(good).read_network(), run.net);
    CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
}

TEST_CASE("run file: malformed contents are rejected naming the path inside the file") {
    const lutra::test::temp_dir dir;
    const sample_run run;
    const fs::path good = dir.path / "good.h5";
    run.write(good);
    int copies = 0;
    // A damaged copy of the good file.
    const auto damaged = [&](const auto& change) {
        const fs::path p = dir.path / ("damaged-" + std::to_string(copies++) + ".h5");
        fs::copy_file(good, p);
        edit(p, change);
        return p;
    };
    const auto network = [](const fs::path& p) { return [p] { (void)run_file::open(p).read_network(); }; };
    const std::size_t slots = run.net.num_slots();

    check_rejects(network(damaged([](hid_t f) { REQUIRE(H5Ldelete(f, "/network", H5P_DEFAULT) >= 0); })),
                  "read /network: missing /network");
    check_rejects(network(damaged([](hid_t f) { REQUIRE(H5Ldelete(f, "/network/tables", H5P_DEFAULT) >= 0); })),
                  "read /network: missing /network/tables");
    check_rejects(
        network(damaged([](hid_t f) { REQUIRE(H5Adelete_by_name(f, "/network", "num_inputs", H5P_DEFAULT) >= 0); })),
        "missing /network/@num_inputs");
    check_rejects(network(damaged([&](hid_t f) { replace_dataset(f, "/network/k", H5T_STD_I64LE, {60}); })),
                  "/network/k is stored as int64, expected uint8");
    check_rejects(network(damaged([&](hid_t f) { replace_dataset(f, "/network/tables", H5T_IEEE_F64LE, {60}); })),
                  "/network/tables is stored as float64, expected uint64");
    check_rejects(network(damaged([&](hid_t f) {
                      replace_dataset(f, "/network/sources", H5T_STD_U32LE, {slots / 2, 2});
                  })),
                  "/network/sources has 2 dimensions, expected 1");
    check_rejects(network(damaged([&](hid_t f) { replace_dataset(f, "/network/delays", H5T_STD_U32LE, {slots - 1}); })),
                  "/network/delays has " + std::to_string(slots - 1) + " entries, expected " + std::to_string(slots) +
                      " (one per input slot: the sum of /network/k)");
    check_rejects(network(damaged([&](hid_t f) { replace_dataset(f, "/network/level", H5T_STD_U32LE, {61}); })),
                  "/network/level has 61 entries, expected 60");
    check_rejects(network(damaged([&](hid_t f) { replace_dataset(f, "/network/k", H5T_STD_U8LE, {60}); })),
                  "/network/k: node 0 has k = 0; valid: 1..16");
    check_rejects(network(damaged([](hid_t f) { set_uint32(f, "/network/sources", 7, 1000000); })),
                  "read /network: invalid network: node ");
    check_rejects(network(damaged([](hid_t f) { set_uint32(f, "/network/sources", 7, 1000000); })),
                  "reads source 1000000, but there are only 72 sources");
    check_rejects(network(damaged([](hid_t f) { set_uint32(f, "/network/head/outputs", 3, 60); })),
                  "invalid network: head output 3 is node 60, but there are 60 nodes");
    const std::uint32_t level = run.net.level(30);
    check_rejects(network(damaged([&](hid_t f) { set_uint32(f, "/network/level", 30, level + 1); })),
                  "/network/level: node 30 is stored at level " + std::to_string(level + 1) +
                      ", but its sources put it at level " + std::to_string(level));

    const auto populations = [](const fs::path& p) { return [p] { (void)run_file::open(p).read_populations(); }; };
    check_rejects(populations(damaged([](hid_t f) { set_uint32(f, "/network/populations/z-first", 2, 60); })),
                  "population 'z-first' node 2 is network node 60, but there are 60 nodes");
    const std::uint32_t taken = run.populations[0].nodes[0];
    check_rejects(populations(damaged([&](hid_t f) { set_uint32(f, "/network/populations/Schicht-ä", 4, taken); })),
                  "population 'Schicht-ä' node 4 is network node " + std::to_string(taken) +
                      ", which population 'z-first' already has");

    const auto encoder = [](const fs::path& p) { return [p] { (void)run_file::open(p).read_encoder(); }; };
    check_rejects(encoder(damaged([](hid_t f) { REQUIRE(H5Ldelete(f, "/encoder/y", H5P_DEFAULT) >= 0); })),
                  "read /encoder: missing /encoder/y");
    check_rejects(encoder(damaged([](hid_t f) { replace_dataset(f, "/encoder/x", H5T_STD_U16LE, {17}); })),
                  "/encoder/x has 17 entries, expected 18 (one per input bit: num_features × bits_per_feature)");
    check_rejects(encoder(damaged([](hid_t f) { replace_dataset(f, "/encoder/threshold", H5T_STD_U8LE, {18}); })),
                  "read /encoder: encoder parts: row 1: threshold 0 is not above the previous bit's 0");
    check_rejects(encoder(damaged([](hid_t f) { replace_dataset(f, "/encoder/x", H5T_STD_U16LE, {18}); })),
                  "input bit 3 of feature 1 sits at (x 0, y 0, channel 0), which is not that feature's place in a "
                  "6×1×1 image");

    const auto metrics = [](const fs::path& p) { return [p] { (void)run_file::open(p).read_metrics(); }; };
    check_rejects(metrics(damaged([](hid_t f) { REQUIRE(H5Ldelete(f, "/metrics", H5P_DEFAULT) >= 0); })),
                  "read /metrics: missing /metrics");
    check_rejects(metrics(damaged([](hid_t f) { replace_dataset(f, "/metrics", H5T_STD_U32LE, {4}); })),
                  "/metrics is stored as uint32, expected a compound");

    const auto config = [](const fs::path& p) { return [p] { (void)run_file::open(p).read_text("config"); }; };
    check_rejects(config(damaged([](hid_t f) { REQUIRE(H5Ldelete(f, "/config", H5P_DEFAULT) >= 0); })),
                  "read /config: missing /config");
    check_rejects(config(damaged([](hid_t f) { replace_dataset(f, "/config", H5T_STD_U8LE, {4}); })),
                  "/config is not one string");
    check_rejects(config(damaged([](hid_t f) {
                      REQUIRE(H5Ldelete(f, "/config", H5P_DEFAULT) >= 0);
                      const h5 space(H5Screate(H5S_SCALAR), H5Sclose);
                      const h5 d(
                          H5Dcreate2(f, "/config", H5T_STD_U8LE, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          H5Dclose);
                  })),
                  "/config is stored as uint8, expected a string");
    CHECK(run_file::open(good).attributes() == run.attributes);
    // Every id opened on the way to those errors was closed.
    CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0);
}

TEST_CASE("run file: what cannot be stored is refused before anything is written") {
    const lutra::test::temp_dir dir;
    const sample_run run;
    const fs::path path = dir.path / "run.h5";
    run_file f = run_file::create(path, run.attributes);
    const auto refuses = [](const std::function<void()>& write, const std::string& message) {
        CAPTURE(message);
        const std::string what = error_of(write);
        CHECK(what.find(message) != std::string::npos);
        CAPTURE(what);
    };

    refuses(
        [&] {
            f.write_text("config",
                         "a\xff"
                         "b");
        },
        "write /config: the text is not valid UTF-8 (byte 1)");
    refuses([&] { f.write_text("config", std::string("a\0b", 3)); }, "the text contains a NUL character");
    refuses([&] { f.write_text("a/b", "x"); }, "text name 'a/b' is not a valid name");
    refuses([&] { f.write_text("", "x"); }, "text name '' is not a valid name");
    f.write_text("config", "x");
    refuses([&] { f.write_text("config", "y"); }, "/config already exists; run files are written once");
    CHECK(f.read_text("config") == "x");

    const std::vector<core::population> twice{{"a", {1, 2}}, {"b", {3, 2}}};
    refuses([&] { f.write_network(run.net, twice); },
            "write /network: population 'b' node 1 is network node 2, which population 'a' already has");
    const std::vector<core::population> outside{{"a", {60}}};
    refuses([&] { f.write_network(run.net, outside); }, "population 'a' node 0 is network node 60, but there are 60");
    const std::vector<core::population> same_name{{"a", {1}}, {"a", {2}}};
    refuses([&] { f.write_network(run.net, same_name); }, "two populations are named 'a'");
    const std::vector<core::population> slash{{"a/b", {1}}};
    refuses([&] { f.write_network(run.net, slash); }, "population 'a/b' is not a valid name");
    CHECK_FALSE(f.has("network"));
    f.write_network(run.net, run.populations);
    refuses([&] { f.write_network(run.net, {}); }, "/network already exists");

    refuses([&] { f.write_encoder(run.enc, "thermometer", 5, 1); },
            "write /encoder: the image shape 5×1×1 (width×height×channels) does not give the encoder's 6 features");
    refuses([&] { f.write_encoder(run.enc, "thermometer", 3, 2); },
            "input bit 9 of feature 3 sits at (x 3, y 0, channel 0), which is not that feature's place in a 3×2×1 "
            "image");
    refuses([&] { f.write_encoder(core::encoder{}, "thermometer", 1, 1); }, "the encoder has no features");
    CHECK_FALSE(f.has("encoder"));

    refuses([&] { f.append_metrics({0, "", 1, 0, 0}); }, "append to /metrics: split '' must be 1..16 ASCII characters");
    refuses([&] { f.append_metrics({0, "seventeen-bytes!!", 1, 0, 0}); }, "must be 1..16 ASCII characters");
    refuses([&] { f.append_metrics({0, "tëst", 1, 0, 0}); }, "must be 1..16 ASCII characters");
    f.append_metrics({0, "sixteen-bytes!!!", 1, 0, 0});
    CHECK(f.read_metrics().at(0).split == "sixteen-bytes!!!");

    run_file reader = run_file::open(path);
    refuses([&] { reader.append_metrics(run.metrics[0]); },
            "append to /metrics: the run file was opened read-only (use run_file::open_for_append to write)");
    refuses([&] { reader.write_text("genome", "ACGT"); }, "opened read-only");
    CHECK(reader.read_metrics().size() == 1);
}

namespace {

// One /stats row of two populations, values made from the row number.
std::vector<population_stats> stats_rows(std::uint32_t row) {
    std::vector<population_stats> rows(2);
    rows[0].population = "hidden";
    rows[0].nodes = {0, 1, 2, 5};
    rows[1].population = "out";
    rows[1].nodes = {3, 4};
    for (population_stats& p : rows) {
        const std::size_t n = p.nodes.size();
        for (std::size_t i = 0; i < n; ++i) {
            p.activation_rate.push_back(0.1F * static_cast<float>(row + i));
            p.entropy.push_back(0.01F * static_cast<float>(row * i));
            p.flips.push_back(row + static_cast<std::uint32_t>(i));
            p.grad_abs_mean.push_back(0.5F + static_cast<float>(row));
            p.sensitivity.push_back(0.25F * static_cast<float>(i));
        }
        p.usage_k = 3;
        for (std::size_t i = 0; i < n * 8; ++i) p.entry_usage.push_back(static_cast<std::uint32_t>(row * 100 + i));
    }
    rows[1].sensitivity.clear();  // optional datasets may be absent
    rows[1].entry_usage.clear();
    return rows;
}

}  // namespace

TEST_CASE("run file: /stats rows are appended, read back, truncated, with the documented layout") {
    const lutra::test::temp_dir dir;
    const fs::path path = dir.path / "run.h5";
    {
        run_file f = run_file::create(path, {"0.1.0", 1, ""});
        CHECK(f.stats_epochs().empty());
        for (std::uint32_t row = 0; row < 3; ++row) f.append_stats(2 * row + 2, stats_rows(row), 500, "test");
    }
    const run_stats st = run_reader(path).stats();
    CHECK(st.epochs == std::vector<std::uint32_t>{2, 4, 6});
    CHECK(st.samples == 500);
    CHECK(st.split == "test");
    REQUIRE(st.populations.size() == 2);
    CHECK(st.populations[0].population == "hidden");  // creation order, not alphabetical
    for (std::size_t p = 0; p < 2; ++p) {
        population_stats all = stats_rows(0)[p];
        for (std::uint32_t row = 1; row < 3; ++row) {
            const population_stats next = stats_rows(row)[p];
            all.activation_rate.insert(all.activation_rate.end(), next.activation_rate.begin(), next.activation_rate.end());
            all.entropy.insert(all.entropy.end(), next.entropy.begin(), next.entropy.end());
            all.flips.insert(all.flips.end(), next.flips.begin(), next.flips.end());
            all.grad_abs_mean.insert(all.grad_abs_mean.end(), next.grad_abs_mean.begin(), next.grad_abs_mean.end());
            all.sensitivity.insert(all.sensitivity.end(), next.sensitivity.begin(), next.sensitivity.end());
            all.entry_usage.insert(all.entry_usage.end(), next.entry_usage.begin(), next.entry_usage.end());
        }
        if (all.entry_usage.empty()) all.usage_k = 0;
        CHECK(st.populations[p] == all);
    }

    {  // As a reader without Lutra sees it.
        const h5 file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
        const auto check = [&](const char* name, hid_t type, std::vector<hsize_t> shape) {
            check_raw_dataset(file.id, name, type, shape, [&shape](hid_t dcpl) {
                if (shape.size() > 1) {  // the per-epoch matrices: chunked and deflated
                    CHECK(H5Pget_layout(dcpl) == H5D_CHUNKED);
                    CHECK(H5Pget_filter_by_id2(dcpl, H5Z_FILTER_DEFLATE, nullptr, nullptr, nullptr, 0, nullptr,
                                               nullptr) >= 0);
                }
            });
        };
        check("/stats/epoch", H5T_STD_U32LE, {3});
        check("/stats/hidden/nodes", H5T_STD_U32LE, {4});
        check("/stats/hidden/activation_rate", H5T_IEEE_F32LE, {3, 4});
        check("/stats/hidden/entropy", H5T_IEEE_F32LE, {3, 4});
        check("/stats/hidden/flips", H5T_STD_U32LE, {3, 4});
        check("/stats/hidden/sensitivity", H5T_IEEE_F32LE, {3, 4});
        check("/stats/hidden/grad_abs_mean", H5T_IEEE_F32LE, {3, 4});
        check("/stats/hidden/entry_usage", H5T_STD_U32LE, {3, 4, 8});
        check("/stats/out/activation_rate", H5T_IEEE_F32LE, {3, 2});
        CHECK(H5Lexists(file.id, "/stats/out/sensitivity", H5P_DEFAULT) == 0);
        const h5 stats(H5Gopen2(file.id, "stats", H5P_DEFAULT), H5Gclose);
        CHECK(H5Aexists(stats.id, "samples") > 0);
        CHECK(H5Aexists(stats.id, "split") > 0);
    }

    {
        run_file f = run_file::open_for_append(path);
        f.truncate_stats(1);
        CHECK(f.stats_epochs() == std::vector<std::uint32_t>{2});
        f.append_stats(4, stats_rows(1), 500, "test");
        CHECK(f.stats_epochs() == std::vector<std::uint32_t>{2, 4});
        CHECK_THROWS_AS(f.truncate_stats(5), lutra::error);
        std::vector<population_stats> bad = stats_rows(2);
        bad[0].entropy.pop_back();
        CHECK_THROWS_WITH_AS(f.append_stats(6, bad, 500, "test"), doctest::Contains("entropy has 3 values, expected 4"),
                             lutra::error);
        bad = stats_rows(2);
        bad[1].nodes.push_back(6);  // a population may not change size between rows
        bad[1].activation_rate.push_back(0);
        bad[1].entropy.push_back(0);
        bad[1].flips.push_back(0);
        bad[1].grad_abs_mean.push_back(0);
        CHECK_THROWS_WITH_AS(f.append_stats(6, bad, 500, "test"),
                             doctest::Contains("has 3 nodes, but its earlier rows have 2"), lutra::error);
        f.append_stats(6, stats_rows(2), 500, "test");  // the rejected rows left nothing behind
    }
    const run_stats kept = run_reader(path).stats();
    CHECK(kept.epochs == std::vector<std::uint32_t>{2, 4, 6});
    CHECK(kept.populations[0].activation_rate.size() == 12);
    CHECK(kept.populations[0].activation_rate.back() == stats_rows(2)[0].activation_rate.back());
}

TEST_CASE("run file: a size larger than the file can hold is refused before it is allocated") {
    const lutra::test::temp_dir dir;
    const fs::path path = dir.path / "run.h5";
    {
        run_file f = run_file::create(path, {"0.1.0", 1, ""});
        f.append_stats(1, stats_rows(0), 500, "test");
    }
    // /stats/hidden/nodes claiming 2^27 entries (512 MiB) that the file does
    // not hold, as a damaged size field would: refused at once, naming it,
    // instead of allocating the 512 MiB and reading zeros.
    edit(path, [](hid_t file) { replace_dataset(file, "/stats/hidden/nodes", H5T_STD_U32LE, {hsize_t{1} << 27}, false); });
    check_rejects([&] { (void)run_reader(path).stats(); },
                  "read /stats: /stats/hidden/nodes claims 134217728 entries of 4 bytes, more than the 0 bytes stored "
                  "for it can hold: the file is damaged");
    // The same for /network/k, whose size populations() allocates by.
    const fs::path net = dir.path / "net.h5";
    sample_run().write(net);
    edit(net, [](hid_t file) { replace_dataset(file, "/network/k", H5T_STD_U8LE, {hsize_t{1} << 26}, false); });
    check_rejects([&] { (void)run_reader(net).populations(); }, "/network/k claims 67108864 entries of 1 bytes");
    check_rejects([&] { (void)run_reader(net).network(); }, "/network/k claims 67108864 entries of 1 bytes");
}

namespace {

constexpr float nan = std::numeric_limits<float>::quiet_NaN();

// stats_rows(row) with plasticity rules' summaries: "gradient" on both
// populations in every row (NaN for node 1, which it skips); "greedy" on
// hidden only from row 1 on (a later phase), with its quantity "swaps" only
// from row 2 on.
std::vector<population_stats> rule_rows(std::uint32_t row) {
    std::vector<population_stats> rows = stats_rows(row);
    for (population_stats& p : rows) {
        rule_quantity gain{"gain_mean", {}};
        for (std::size_t i = 0; i < p.nodes.size(); ++i)
            gain.values.push_back(i == 1 ? nan : 1.5F * static_cast<float>(row) + static_cast<float>(i));
        p.rules.push_back({"gradient", {}, {gain}});
    }
    if (row >= 1) {
        rule_stats greedy{"greedy", {}, {{"flips_accepted", {}}}};
        for (std::size_t i = 0; i < 4; ++i) greedy.quantities[0].values.push_back(static_cast<float>(10 * row + i));
        if (row >= 2) greedy.quantities.push_back({"swaps", {0.5F, 1.5F, 2.5F, 3.5F}});
        rows[0].rules.push_back(greedy);
    }
    return rows;
}

// What rule_rows(0..rows-1), written at epochs 2, 4, 6, read back as.
std::vector<rule_stats> expected_rules(std::size_t population, std::uint32_t rows) {
    rule_stats gradient{"gradient", {}, {{"gain_mean", {}}}};
    for (std::uint32_t row = 0; row < rows; ++row) {
        gradient.epochs.push_back(2 * row + 2);
        const std::vector<float> values = rule_rows(row)[population].rules[0].quantities[0].values;
        gradient.quantities[0].values.insert(gradient.quantities[0].values.end(), values.begin(), values.end());
    }
    if (population == 1 || rows < 2) return {gradient};
    rule_stats greedy{"greedy", {}, {{"flips_accepted", {}}, {"swaps", {}}}};
    for (std::uint32_t row = 1; row < rows; ++row) {
        greedy.epochs.push_back(2 * row + 2);
        const rule_stats given = rule_rows(row)[0].rules[1];
        for (std::size_t q = 0; q < 2; ++q) {
            std::vector<float>& into = greedy.quantities[q].values;
            if (q < given.quantities.size())
                into.insert(into.end(), given.quantities[q].values.begin(), given.quantities[q].values.end());
            else
                into.insert(into.end(), 4, nan);  // swaps before its first row
        }
    }
    return {gradient, greedy};
}

void set_rows(hid_t file, const char* path, hsize_t rows) {
    const h5 dataset(H5Dopen2(file, path, H5P_DEFAULT), H5Dclose);
    const h5 space(H5Dget_space(dataset.id), H5Sclose);
    std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.id)));
    H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
    dims[0] = rows;
    REQUIRE(H5Dset_extent(dataset.id, dims.data()) >= 0);
}

}  // namespace

TEST_CASE("run file: rules' per-node summaries under /stats round-trip, truncate and survive a killed writer") {
    const lutra::test::temp_dir dir;
    const fs::path path = dir.path / "run.h5";
    {
        run_file f = run_file::create(path, {"0.1.0", 1, ""});
        for (std::uint32_t row = 0; row < 3; ++row) f.append_stats(2 * row + 2, rule_rows(row), 500, "test");
    }
    const run_stats whole = run_reader(path).stats();
    CHECK(whole.epochs == std::vector<std::uint32_t>{2, 4, 6});
    REQUIRE(whole.populations.size() == 2);
    for (std::size_t p = 0; p < 2; ++p) {
        CAPTURE(p);
        CHECK(whole.populations[p].rules == expected_rules(p, 3));
        CHECK(whole.populations[p].activation_rate.size() == 3 * whole.populations[p].nodes.size());
    }
    CHECK(std::isnan(whole.populations[0].rules[1].quantities[1].values[0]));  // swaps in its first row: NaN

    {  // As a reader without Lutra sees it.
        const h5 file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
        const auto check = [&](const char* name, hid_t type, std::vector<hsize_t> shape) {
            check_raw_dataset(file.id, name, type, shape, [](hid_t dcpl) {
                CHECK(H5Pget_layout(dcpl) == H5D_CHUNKED);
                CHECK(H5Pget_filter_by_id2(dcpl, H5Z_FILTER_FLETCHER32, nullptr, nullptr, nullptr, 0, nullptr,
                                           nullptr) >= 0);
            });
        };
        check("/stats/hidden/rules/gradient/epoch", H5T_STD_U32LE, {3});
        check("/stats/hidden/rules/gradient/gain_mean", H5T_IEEE_F32LE, {3, 4});
        check("/stats/hidden/rules/greedy/epoch", H5T_STD_U32LE, {2});
        check("/stats/hidden/rules/greedy/flips_accepted", H5T_IEEE_F32LE, {2, 4});
        check("/stats/hidden/rules/greedy/swaps", H5T_IEEE_F32LE, {2, 4});
        check("/stats/out/rules/gradient/gain_mean", H5T_IEEE_F32LE, {3, 2});
        CHECK(H5Lexists(file.id, "/stats/out/rules/greedy", H5P_DEFAULT) == 0);
        CHECK(get_uint32(file.id, "/stats/hidden/rules/greedy/epoch", 0) == 4);
    }

    SUBCASE("truncated for a resume, then appended again") {
        run_file f = run_file::open_for_append(path);
        f.truncate_stats(2);
        const run_stats kept = run_reader(path).stats();
        CHECK(kept.epochs == std::vector<std::uint32_t>{2, 4});
        for (std::size_t p = 0; p < 2; ++p) CHECK(kept.populations[p].rules == expected_rules(p, 2));
        f.truncate_stats(1);  // greedy keeps its group, with no rows
        CHECK(run_reader(path).stats().populations[0].rules[1] == rule_stats{"greedy", {}, {{"flips_accepted", {}}, {"swaps", {}}}});
        f.append_stats(4, rule_rows(1), 500, "test");
        f.append_stats(6, rule_rows(2), 500, "test");
        CHECK(run_reader(path).stats() == whole);
    }
    SUBCASE("a writer killed before /stats/epoch grew: its half row is ignored, then replaced") {
        for (const bool rule_index_written : {true, false}) {
            CAPTURE(rule_index_written);
            edit(path, [&](hid_t file) {
                set_rows(file, "/stats/epoch", 2);
                if (!rule_index_written) {  // killed even before the rules' row indexes grew
                    set_rows(file, "/stats/hidden/rules/gradient/epoch", 2);
                    set_rows(file, "/stats/hidden/rules/greedy/epoch", 1);
                }
            });
            const run_stats killed = run_reader(path).stats();
            CHECK(killed.epochs == std::vector<std::uint32_t>{2, 4});
            for (std::size_t p = 0; p < 2; ++p) CHECK(killed.populations[p].rules == expected_rules(p, 2));
            run_reader(path).verify();
            run_file::open_for_append(path).append_stats(6, rule_rows(2), 500, "test");
            CHECK(run_reader(path).stats() == whole);
        }
    }
    SUBCASE("what cannot be stored is refused before anything is written") {
        run_file f = run_file::open_for_append(path);
        const auto refused = [&](const std::function<void(std::vector<population_stats>&)>& damage,
                                 const std::string& message) {
            CAPTURE(message);
            std::vector<population_stats> rows = rule_rows(2);
            damage(rows);
            CHECK_THROWS_WITH_AS(f.append_stats(8, rows, 500, "test"), doctest::Contains(message.c_str()), lutra::error);
        };
        refused([](auto& rows) { rows[0].rules[0].quantities[0].values.pop_back(); },
                "population 'hidden': rule 'gradient': gain_mean has 3 values, expected 4");
        refused([](auto& rows) { rows[0].rules[1].quantities[1].name = "epoch"; },
                "rule 'greedy': quantity 'epoch' is not a valid name");
        refused([](auto& rows) { rows[0].rules[1].quantities[1].name = "Swaps"; },
                "quantity 'Swaps' is not a valid name: lower-case letters, digits and '_'");
        refused([](auto& rows) { rows[0].rules[1].quantities[1].name = "flips_accepted"; },
                "quantity 'flips_accepted' is given twice");
        refused([](auto& rows) { rows[1].rules.push_back(rows[1].rules[0]); },
                "population 'out': rule 'gradient' has two summaries in one row");
        refused([](auto& rows) { rows[1].rules[0].rule = "a/b"; }, "rule name 'a/b' is not a valid name");
        CHECK(run_reader(path).stats() == whole);
    }
    SUBCASE("damage is named") {
        edit(path, [](hid_t file) { set_uint32(file, "/stats/hidden/rules/greedy/epoch", 0, 3); });
        check_rejects([&] { (void)run_reader(path).stats(); },
                      "/stats/hidden/rules/greedy/epoch has epoch 3, which /stats/epoch does not name");
        edit(path, [](hid_t file) { set_uint32(file, "/stats/hidden/rules/greedy/epoch", 0, 6); });
        check_rejects([&] { (void)run_reader(path).stats(); },
                      "/stats/hidden/rules/greedy/epoch has epoch 6 after epoch 6; epochs ascend");
        edit(path, [](hid_t file) {
            set_uint32(file, "/stats/hidden/rules/greedy/epoch", 0, 4);
            replace_dataset(file, "/stats/hidden/rules/greedy/swaps", H5T_IEEE_F32LE, {2, 3});
        });
        check_rejects([&] { (void)run_reader(path).verify(); },
                      "/stats/hidden/rules/greedy/swaps has shape 2 × 3, expected 2 × 4 (rows of "
                      "/stats/hidden/rules/greedy/epoch × the population's nodes)");
        edit(path, [](hid_t file) {
            replace_dataset(file, "/stats/hidden/rules/greedy/swaps", H5T_STD_U32LE, {2, 4});
        });
        check_rejects([&] { (void)run_reader(path).stats(); },
                      "/stats/hidden/rules/greedy/swaps is stored as uint32, expected float32");
    }
}
