#pragma once
// Run files written with the raw HDF5 C API, as docs/run-file.md lays them
// out, so the reader and analysis tests need no Lutra writer (and check the
// reader against a writer other than Lutra's); options break them on purpose.
// Tests that include it link HDF5 themselves.

#include <hdf5.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

// A fresh directory under the system temp dir, removed afterwards.
struct test_dir {
    std::filesystem::path path;
    explicit test_dir(const std::string& name)
        : path(std::filesystem::temp_directory_path() / ("lutra-h5-" + name + "-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~test_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

struct run_file_options {
    std::string format = "lutra-run";  // empty: no /@format attribute
    std::uint32_t format_version = 1;
    bool tables = true;          // write /network/tables
    bool metrics = true;         // write /metrics
    bool short_sources = false;  // one source too few
    bool bad_source = false;     // a source id past the end
};

inline void write_string_attribute(hid_t object, const char* name, const std::string& value) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char* text = value.c_str();
    H5Awrite(a, type, &text);
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
}

inline void write_scalar_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type,
                                   const void* value) {
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(object, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, memory_type, value);
    H5Aclose(a);
    H5Sclose(space);
}

template <class T>
void write_dataset(hid_t parent, const char* name, hid_t file_type, hid_t memory_type, const std::vector<T>& values) {
    const hsize_t size = values.size();
    const hid_t space = H5Screate_simple(1, &size, nullptr);
    const hid_t d = H5Dcreate2(parent, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (!values.empty()) H5Dwrite(d, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(d);
    H5Sclose(space);
}

// in0, in1 → n0 = AND(in0, in1), n1 = NOT(in0), n2 = OR(n0, n1, in1); the
// head reads n2; populations "zeta" {n0, n1} then "alpha" {n2}; two epochs.
inline void write_run_file(const std::filesystem::path& path, const run_file_options& o) {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (!o.format.empty()) write_string_attribute(file, "format", o.format);
    write_scalar_attribute(file, "format_version", H5T_STD_U32LE, H5T_NATIVE_UINT32, &o.format_version);
    write_string_attribute(file, "lutra_version", "0.1.0");
    const std::uint64_t seed = 7;
    write_scalar_attribute(file, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &seed);
    write_string_attribute(file, "genome_hash", "00112233aabbccdd");
    {  // a scalar variable-length text, as format_version 1 stored /config
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t d = H5Dcreate2(file, "config", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        const char* text = "name: old\n";
        H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text);
        H5Dclose(d);
        H5Sclose(space);
        H5Tclose(type);
    }

    const hid_t net = H5Gcreate2(file, "network", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const std::uint32_t num_inputs = 2;
    write_scalar_attribute(net, "num_inputs", H5T_STD_U32LE, H5T_NATIVE_UINT32, &num_inputs);
    write_dataset<std::uint8_t>(net, "k", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 1, 3});
    std::vector<std::uint32_t> sources = {0, 1, 0, 2, 3, 1};
    if (o.short_sources) sources.pop_back();
    if (o.bad_source) sources[3] = 99;
    std::vector<std::uint32_t> delays(sources.size(), 0);
    write_dataset(net, "sources", H5T_STD_U32LE, H5T_NATIVE_UINT32, sources);
    write_dataset(net, "delays", H5T_STD_U32LE, H5T_NATIVE_UINT32, delays);
    if (o.tables) write_dataset<std::uint64_t>(net, "tables", H5T_STD_U64LE, H5T_NATIVE_UINT64, {0b1000, 0b01, 0xFE});
    write_dataset<std::uint32_t>(net, "level", H5T_STD_U32LE, H5T_NATIVE_UINT32, {1, 1, 2});
    const hid_t head = H5Gcreate2(net, "head", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const std::uint32_t classes = 1;
    write_scalar_attribute(head, "num_classes", H5T_STD_U32LE, H5T_NATIVE_UINT32, &classes);
    write_dataset<std::uint32_t>(head, "outputs", H5T_STD_U32LE, H5T_NATIVE_UINT32, {2});
    H5Gclose(head);
    const hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    const hid_t pops = H5Gcreate2(net, "populations", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    write_dataset<std::uint32_t>(pops, "zeta", H5T_STD_U32LE, H5T_NATIVE_UINT32, {0, 1});
    write_dataset<std::uint32_t>(pops, "alpha", H5T_STD_U32LE, H5T_NATIVE_UINT32, {2});
    H5Gclose(pops);
    H5Pclose(gcpl);
    H5Gclose(net);

    if (o.metrics) {
        // The packed 44-byte row of docs/run-file.md.
        constexpr std::size_t row_bytes = 44;
        const hid_t split = H5Tcopy(H5T_C_S1);
        H5Tset_size(split, 16);
        H5Tset_strpad(split, H5T_STR_NULLPAD);
        const hid_t type = H5Tcreate(H5T_COMPOUND, row_bytes);
        H5Tinsert(type, "epoch", 0, H5T_STD_U32LE);
        H5Tinsert(type, "split", 4, split);
        H5Tinsert(type, "loss", 20, H5T_IEEE_F64LE);
        H5Tinsert(type, "accuracy", 28, H5T_IEEE_F64LE);
        H5Tinsert(type, "seconds", 36, H5T_IEEE_F64LE);
        struct row {
            std::uint32_t epoch;
            const char* split;
            double loss, accuracy, seconds;
        };
        const std::array<row, 4> rows = {{{0, "train", 0.7, 0.5, 0.1},
                                          {0, "test", 0.7, 0.45, 0.2},
                                          {1, "train", 0.4, 0.8, 1.0},
                                          {1, "test", 0.5, 0.75, 1.1}}};
        std::vector<unsigned char> bytes(rows.size() * row_bytes, 0);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            unsigned char* p = bytes.data() + i * row_bytes;
            std::memcpy(p, &rows[i].epoch, 4);
            std::memcpy(p + 4, rows[i].split, std::strlen(rows[i].split));
            std::memcpy(p + 20, &rows[i].loss, 8);
            std::memcpy(p + 28, &rows[i].accuracy, 8);
            std::memcpy(p + 36, &rows[i].seconds, 8);
        }
        const hsize_t size = rows.size();
        const hid_t space = H5Screate_simple(1, &size, nullptr);
        const hid_t d = H5Dcreate2(file, "metrics", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());  // little-endian host: bytes are the file's
        H5Dclose(d);
        H5Sclose(space);
        H5Tclose(type);
        H5Tclose(split);
    }
    H5Fclose(file);
}
