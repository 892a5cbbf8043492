#include "lutra/runfile/run_reader.hpp"

#include <hdf5.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "hdf5_support.hpp"
#include "lutra/core/error.hpp"

namespace lutra::runfile {

namespace {

using namespace hdf5;

static_assert(std::is_same_v<hid_t, std::int64_t>, "run_reader keeps the file id as std::int64_t");

// A stored type in the words of docs/run-file.md ("uint8", "float64", ...).
std::string type_name(hid_t type) {
    const std::string bits = std::to_string(8 * H5Tget_size(type));
    switch (H5Tget_class(type)) {
        case H5T_INTEGER:
            return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + bits;
        case H5T_FLOAT:
            return "float" + bits;
        case H5T_STRING:
            return H5Tis_variable_str(type) > 0 ? "string" : "string(" + std::to_string(H5Tget_size(type)) + ")";
        case H5T_COMPOUND:
            return "compound";
        case H5T_ENUM:
            return "enum";
        case H5T_ARRAY:
            return "array";
        case H5T_VLEN:
            return "vlen";
        case H5T_OPAQUE:
            return "opaque";
        case H5T_BITFIELD:
            return "bitfield";
        case H5T_REFERENCE:
            return "reference";
        default:
            return "an unknown type";
    }
}

// A root object name: one path component.
void check_name(const std::string& name, const site& s) {
    if (name.empty() || name == "." || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
        throw error(s.file + ": " + s.operation + ": text name '" + name +
                    "' is not a valid name: it must be non-empty, not '.', and without '/'");
}

handle open_attribute(hid_t object, const std::string& path, const char* name, const site& s) {
    const htri_t e = H5Aexists(object, name);
    if (e < 0) s.fail_hdf5("cannot look up " + path);
    if (e == 0) s.fail("missing " + path);
    handle a = checked(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, s, "cannot open " + path);
    const handle space = checked(H5Aget_space(a.get()), H5Sclose, s, "cannot read the shape of " + path);
    if (H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) s.fail(path + " is not a scalar");
    return a;
}

// An integer attribute of any integer type, range-checked into T.
template <class T>
T read_integer_attribute(hid_t object, const std::string& path, const char* name, const site& s) {
    const handle a = open_attribute(object, path, name, s);
    const handle type = checked(H5Aget_type(a.get()), H5Tclose, s, "cannot read the type of " + path);
    if (H5Tget_class(type.get()) != H5T_INTEGER)
        s.fail(path + " is stored as " + type_name(type.get()) + ", expected an integer");
    std::uint64_t value = 0;
    if (H5Tget_sign(type.get()) == H5T_SGN_NONE) {
        if (H5Aread(a.get(), H5T_NATIVE_UINT64, &value) < 0) s.fail_hdf5("cannot read " + path);
    } else {
        std::int64_t signed_value = 0;
        if (H5Aread(a.get(), H5T_NATIVE_INT64, &signed_value) < 0) s.fail_hdf5("cannot read " + path);
        if (signed_value < 0) s.fail(path + " is " + std::to_string(signed_value) + ", expected ≥ 0");
        value = static_cast<std::uint64_t>(signed_value);
    }
    if (value > std::numeric_limits<T>::max())
        s.fail(path + " is " + std::to_string(value) + ", more than " + std::to_string(std::numeric_limits<T>::max()));
    return static_cast<T>(value);
}

// A scalar string, variable-length (as Lutra and h5py write) or fixed-length,
// from an attribute or a dataset; `read(memory_type, buffer)` reads it.
template <class Read>
std::string read_string(hid_t stored, const std::string& path, const site& s, Read read) {
    if (H5Tget_class(stored) != H5T_STRING) s.fail(path + " is stored as " + type_name(stored) + ", expected a string");
    // HDF5 converts no string between character sets: read in the stored one.
    const handle type = checked(H5Tcopy(H5T_C_S1), H5Tclose, s, "make a string type");
    if (H5Tset_cset(type.get(), H5Tget_cset(stored)) < 0) s.fail_hdf5("make a string type");
    if (H5Tis_variable_str(stored) > 0) {
        if (H5Tset_size(type.get(), H5T_VARIABLE) < 0) s.fail_hdf5("make a string type");
        char* raw = nullptr;
        if (read(type.get(), static_cast<void*>(&raw)) < 0) s.fail_hdf5("cannot read " + path);
        const std::unique_ptr<char, herr_t (*)(void*)> owned(raw, H5free_memory);
        return raw == nullptr ? std::string() : std::string(raw);
    }
    const std::size_t size = H5Tget_size(stored);
    if (H5Tset_size(type.get(), size) < 0) s.fail_hdf5("make a string type");
    std::string value(size, '\0');
    if (read(type.get(), static_cast<void*>(value.data())) < 0) s.fail_hdf5("cannot read " + path);
    value.resize(std::min(value.find('\0'), size));
    return value;
}

// A scalar string attribute.
std::string read_string_attribute(hid_t object, const std::string& path, const char* name, const site& s) {
    const handle a = open_attribute(object, path, name, s);
    const handle stored = checked(H5Aget_type(a.get()), H5Tclose, s, "cannot read the type of " + path);
    return read_string(stored.get(), path, s,
                       [&](hid_t memory, void* buffer) { return H5Aread(a.get(), memory, buffer); });
}

// A dataset of T whose shape is known before anything is allocated.
struct array_dataset {
    handle id;
    std::string path;
    std::uint64_t size = 0;      // elements
    std::vector<hsize_t> dims;  // the shape
};

template <class T>
array_dataset open_array(hid_t file, const std::string& path, const site& s, int expected_rank = 1) {
    array_dataset a{open_object(file, path, H5I_DATASET, s), path, 0, {}};
    const handle type = checked(H5Dget_type(a.id.get()), H5Tclose, s, "cannot read the type of " + path);
    if (const std::string found = type_name(type.get()); found != element<T>::name)
        s.fail(path + " is stored as " + found + ", expected " + std::string(element<T>::name));
    const handle space = checked(H5Dget_space(a.id.get()), H5Sclose, s, "cannot read the shape of " + path);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (H5Sget_simple_extent_type(space.get()) != H5S_SIMPLE || rank != expected_rank)
        s.fail(path + " has " + std::to_string(std::max(rank, 0)) + " dimensions, expected " +
               std::to_string(expected_rank));
    a.dims.resize(static_cast<std::size_t>(rank));
    if (H5Sget_simple_extent_dims(space.get(), a.dims.data(), nullptr) < 0)
        s.fail_hdf5("cannot read the shape of " + path);
    a.size = 1;
    for (const hsize_t d : a.dims) a.size *= d;
    return a;
}

template <class T>
std::vector<T> read_all(const array_dataset& a, const site& s) {
    std::vector<T> values;
    try {
        values.resize(a.size);
    } catch (const std::bad_alloc&) {  // a damaged size field
        s.fail(a.path + " claims " + std::to_string(a.size) + " entries, more than fit in memory");
    } catch (const std::length_error&) {
        s.fail(a.path + " claims " + std::to_string(a.size) + " entries, more than fit in memory");
    }
    if (!values.empty() && H5Dread(a.id.get(), element<T>::memory(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
        s.fail_hdf5("cannot read " + a.path);
    return values;
}

template <class T>
std::vector<T> read_array(hid_t file, const std::string& path, std::uint64_t expected, const std::string& because,
                          const site& s) {
    const array_dataset a = open_array<T>(file, path, s);
    if (a.size != expected)
        s.fail(path + " has " + std::to_string(a.size) + " entries, expected " + std::to_string(expected) + " (" +
               because + ")");
    return read_all<T>(a, s);
}

// The names of a group's members in creation order (the order the writer chose).
std::vector<std::string> link_names(hid_t file, const std::string& path, const site& s) {
    const handle group = open_object(file, path, H5I_GROUP, s);
    H5G_info_t info{};
    if (H5Gget_info(group.get(), &info) < 0) s.fail_hdf5("cannot list " + path);
    const std::string what = "cannot list " + path + " in creation order";
    std::vector<std::string> names(info.nlinks);
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t length =
            H5Lget_name_by_idx(group.get(), ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (length < 0) s.fail_hdf5(what);
        std::string name(static_cast<std::size_t>(length) + 1, '\0');
        if (H5Lget_name_by_idx(group.get(), ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name.data(), name.size(),
                               H5P_DEFAULT) < 0)
            s.fail_hdf5(what);
        name.resize(static_cast<std::size_t>(length));
        names[i] = std::move(name);
    }
    return names;
}

// The first dims[0] rows of a [rows × trailing...] dataset of T whose
// trailing shape must be exactly dims'. More stored rows than /stats/epoch
// names are a row a killed writer did not finish: /stats/epoch grows last.
template <class T>
std::vector<T> read_shaped(hid_t file, const std::string& path, const std::vector<hsize_t>& dims, const site& s) {
    const array_dataset a = open_array<T>(file, path, s, static_cast<int>(dims.size()));
    if (!std::equal(dims.begin() + 1, dims.end(), a.dims.begin() + 1) || a.dims[0] < dims[0]) {
        const auto text = [](const std::vector<hsize_t>& d) {
            std::string t;
            for (const hsize_t x : d) t += (t.empty() ? "" : " × ") + std::to_string(x);
            return t;
        };
        s.fail(path + " has shape " + text(a.dims) + ", expected " + text(dims) +
               " (rows of /stats/epoch × the population's nodes)");
    }
    std::uint64_t count = 1;
    for (const hsize_t d : dims) count *= d;
    std::vector<T> values(count);
    if (count == 0) return values;
    const handle file_space = checked(H5Dget_space(a.id.get()), H5Sclose, s, "cannot read the shape of " + path);
    const std::vector<hsize_t> start(dims.size(), 0);
    const handle memory_space =
        checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, s, "cannot read " + path);
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, dims.data(), nullptr) < 0 ||
        H5Dread(a.id.get(), element<T>::memory(), memory_space.get(), file_space.get(), H5P_DEFAULT, values.data()) < 0)
        s.fail_hdf5("cannot read " + path);
    return values;
}

std::filesystem::path run_file_path(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_directory(path, ec) ? path / "run.h5" : path;
}

}  // namespace

run_reader::run_reader(const std::filesystem::path& path) : path_(run_file_path(path)) {
    silence();
    const site s{path_.string(), "open run file"};
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec)) s.fail("no such file");
    if (!std::filesystem::is_regular_file(path_, ec)) s.fail("not a regular file");
    const htri_t is_hdf5 = H5Fis_hdf5(path_.c_str());
    if (is_hdf5 < 0) s.fail_hdf5("cannot read the file");
    if (is_hdf5 == 0) s.fail("not an HDF5 file (no HDF5 signature)");
    handle file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (file.get() < 0) s.fail_hdf5("HDF5 cannot open the file: it is truncated or damaged, or in use elsewhere");

    const htri_t has_format = H5Aexists(file.get(), "format");
    if (has_format < 0) s.fail_hdf5("cannot look up /@format");
    if (has_format == 0)
        s.fail("not a Lutra run file: it has no /@format attribute (expected \"" + std::string(format_name) + "\")");
    if (const std::string format = read_string_attribute(file.get(), "/@format", "format", s); format != format_name)
        s.fail("not a Lutra run file: /@format is \"" + format + "\", expected \"" + std::string(format_name) + "\"");
    const auto version = read_integer_attribute<std::uint32_t>(file.get(), "/@format_version", "format_version", s);
    if (version > max_format_version)
        s.fail("written by a newer Lutra (format_version " + std::to_string(version) + "; this one reads up to " +
               std::to_string(max_format_version) + ")");
    if (version < 1) s.fail("format_version 0 is not valid (versions start at 1)");
    format_version_ = version;
    file_ = file.release();
}

run_reader::run_reader(run_reader&& other) noexcept
    : path_(std::move(other.path_)), file_(std::exchange(other.file_, -1)), format_version_(other.format_version_) {}

run_reader& run_reader::operator=(run_reader&& other) noexcept {
    if (this != &other) {
        if (file_ >= 0) H5Fclose(file_);
        path_ = std::move(other.path_);
        file_ = std::exchange(other.file_, -1);
        format_version_ = other.format_version_;
    }
    return *this;
}

run_reader::~run_reader() {
    if (file_ >= 0) H5Fclose(file_);
}

stored_attributes run_reader::attributes() const {
    const site s{path_.string(), "read root attributes"};
    stored_attributes a;
    a.lutra_version = read_string_attribute(file_, "/@lutra_version", "lutra_version", s);
    a.seed = read_integer_attribute<std::uint64_t>(file_, "/@seed", "seed", s);
    a.genome_hash = read_string_attribute(file_, "/@genome_hash", "genome_hash", s);
    a.format_version = format_version_;
    return a;
}

core::network run_reader::network() const {
    const site s{path_.string(), "read /network"};
    const handle group = open_object(file_, "/network", H5I_GROUP, s);
    core::network_arrays a;
    a.num_inputs = read_integer_attribute<std::uint32_t>(group.get(), "/network/@num_inputs", "num_inputs", s);
    const array_dataset k = open_array<std::uint8_t>(file_, "/network/k", s);
    if (k.size >= std::numeric_limits<std::uint32_t>::max())
        s.fail("/network/k has " + std::to_string(k.size) + " nodes; node ids are 32-bit");
    a.k = read_all<std::uint8_t>(k, s);
    std::uint64_t slots = 0;
    std::uint64_t words = 0;
    for (std::size_t i = 0; i < a.k.size(); ++i) {
        if (a.k[i] < 1 || a.k[i] > core::max_k)
            s.fail("/network/k: node " + std::to_string(i) + " has k = " + std::to_string(a.k[i]) + "; valid: 1.." +
                   std::to_string(core::max_k));
        slots += a.k[i];
        words += core::table_words(a.k[i]);
    }
    const std::string per_slot = "one per input slot: the sum of /network/k";
    a.sources = read_array<std::uint32_t>(file_, "/network/sources", slots, per_slot, s);
    a.delays = read_array<std::uint32_t>(file_, "/network/delays", slots, per_slot, s);
    a.tables = read_array<std::uint64_t>(file_, "/network/tables", words, "the table words of the nodes' k", s);
    const std::vector<std::uint32_t> level =
        read_array<std::uint32_t>(file_, "/network/level", a.k.size(), "one per node of /network/k", s);
    const handle head = open_object(file_, "/network/head", H5I_GROUP, s);
    a.head.num_classes =
        read_integer_attribute<std::uint32_t>(head.get(), "/network/head/@num_classes", "num_classes", s);
    a.head.outputs = read_all<std::uint32_t>(open_array<std::uint32_t>(file_, "/network/head/outputs", s), s);
    try {
        core::network net(std::move(a));
        // level is derived, stored for readers without Lutra; a mismatch
        // means the file was edited inconsistently.
        for (std::uint32_t i = 0; i < net.num_nodes(); ++i)
            if (level[i] != net.level(i))
                s.fail("/network/level: node " + std::to_string(i) + " is stored at level " + std::to_string(level[i]) +
                       ", but its sources put it at level " + std::to_string(net.level(i)));
        return net;
    } catch (const network_error& e) {
        s.fail(e.what());
    }
}

std::vector<core::population> run_reader::populations() const {
    const site s{path_.string(), "read /network/populations"};
    const std::uint64_t num_nodes = open_array<std::uint8_t>(file_, "/network/k", s).size;
    const std::vector<std::string> names = link_names(file_, "/network/populations", s);
    std::vector<core::population> result(names.size());
    std::vector<std::uint32_t> owner(num_nodes, UINT32_MAX);
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string& name = names[i];
        const std::string path = "/network/populations/" + name;
        const array_dataset nodes = open_array<std::uint32_t>(file_, path, s);
        if (nodes.size > num_nodes)
            s.fail(path + " has " + std::to_string(nodes.size) + " nodes, more than the " + std::to_string(num_nodes) +
                   " in /network/k");
        result[i] = {.name = name, .nodes = read_all<std::uint32_t>(nodes, s)};
        for (std::size_t q = 0; q < i; ++q)
            if (result[q].name == name) s.fail("two populations are named '" + name + "'");
        for (std::size_t j = 0; j < result[i].nodes.size(); ++j) {
            const std::uint32_t node = result[i].nodes[j];
            const std::string where = "population '" + name + "' node " + std::to_string(j);
            if (node >= num_nodes)
                s.fail(where + " is network node " + std::to_string(node) + ", but there are " +
                       std::to_string(num_nodes) + " nodes");
            if (owner[node] != UINT32_MAX)
                s.fail(where + " is network node " + std::to_string(node) + ", which population '" +
                       result[owner[node]].name + "' already has");
            owner[node] = static_cast<std::uint32_t>(i);
        }
    }
    return result;
}

std::vector<metrics_row> run_reader::metrics() const {
    const site s{path_.string(), "read /metrics"};
    const handle dataset = open_object(file_, "/metrics", H5I_DATASET, s);
    const handle stored = checked(H5Dget_type(dataset.get()), H5Tclose, s, "cannot read the type of /metrics");
    if (H5Tget_class(stored.get()) != H5T_COMPOUND)
        s.fail("/metrics is stored as " + type_name(stored.get()) +
               ", expected a compound of epoch, split, loss, accuracy, seconds");
    // HDF5 converts members by name and leaves those the file lacks untouched.
    const std::array<std::pair<const char*, std::string>, 5> members = {
        {{"epoch", "uint32"},
         {"split", "string(" + std::to_string(split_bytes) + ")"},
         {"loss", "float64"},
         {"accuracy", "float64"},
         {"seconds", "float64"}}};
    for (const auto& [name, expected] : members) {
        const int index = H5Tget_member_index(stored.get(), name);
        if (index < 0) s.fail(std::string("/metrics has no member '") + name + "'");
        const handle member = checked(H5Tget_member_type(stored.get(), static_cast<unsigned>(index)), H5Tclose, s,
                                      "cannot read the type of /metrics");
        if (const std::string found = type_name(member.get()); found != expected)
            s.fail(std::string("/metrics member '") + name + "' is stored as " + found + ", expected " + expected);
    }
    const handle space = checked(H5Dget_space(dataset.get()), H5Sclose, s, "cannot read the shape of /metrics");
    if (H5Sget_simple_extent_ndims(space.get()) != 1) s.fail("/metrics is not 1-D");
    hsize_t rows = 0;
    if (H5Sget_simple_extent_dims(space.get(), &rows, nullptr) < 0) s.fail_hdf5("cannot read the shape of /metrics");

    // HDF5 converts the stored compound to this one member by member, by name.
    struct record {
        std::uint32_t epoch;
        std::array<char, split_bytes> split;
        double loss;
        double accuracy;
        double seconds;
    };
    const std::string what = "make the metrics type";
    const handle split = checked(H5Tcopy(H5T_C_S1), H5Tclose, s, what);
    if (H5Tset_size(split.get(), split_bytes) < 0 || H5Tset_strpad(split.get(), H5T_STR_NULLPAD) < 0) s.fail_hdf5(what);
    const handle type = checked(H5Tcreate(H5T_COMPOUND, sizeof(record)), H5Tclose, s, what);
    if (H5Tinsert(type.get(), "epoch", offsetof(record, epoch), H5T_NATIVE_UINT32) < 0 ||
        H5Tinsert(type.get(), "split", offsetof(record, split), split.get()) < 0 ||
        H5Tinsert(type.get(), "loss", offsetof(record, loss), H5T_NATIVE_DOUBLE) < 0 ||
        H5Tinsert(type.get(), "accuracy", offsetof(record, accuracy), H5T_NATIVE_DOUBLE) < 0 ||
        H5Tinsert(type.get(), "seconds", offsetof(record, seconds), H5T_NATIVE_DOUBLE) < 0)
        s.fail_hdf5(what);
    std::vector<record> records;
    try {
        records.resize(rows);
    } catch (const std::exception&) {
        s.fail("/metrics claims " + std::to_string(rows) + " rows, more than fit in memory");
    }
    if (rows > 0 && H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, records.data()) < 0)
        s.fail_hdf5("cannot read /metrics");
    std::vector<metrics_row> result;
    result.reserve(records.size());
    for (const record& r : records) {
        const std::size_t length = std::find(r.split.begin(), r.split.end(), '\0') - r.split.begin();
        result.push_back({r.epoch, std::string(r.split.data(), length), r.loss, r.accuracy, r.seconds});
    }
    return result;
}

stored_encoder run_reader::encoder() const {
    const site s{path_.string(), "read /encoder"};
    const handle group = open_object(file_, "/encoder", H5I_GROUP, s);
    stored_encoder out;
    out.kind = read_string_attribute(group.get(), "/encoder/@kind", "kind", s);
    const auto attribute = [&](const char* name) {
        return read_integer_attribute<std::uint32_t>(group.get(), std::string("/encoder/@") + name, name, s);
    };
    const std::uint32_t num_features = attribute("num_features");
    const std::uint32_t per_feature = attribute("bits_per_feature");
    out.width = attribute("width");
    out.height = attribute("height");
    out.channels = attribute("channels");

    const std::uint64_t rows = std::uint64_t{num_features} * per_feature;
    const std::string because = "one per input bit: num_features × bits_per_feature";
    const auto feature = read_array<std::uint32_t>(file_, "/encoder/feature", rows, because, s);
    const auto x = read_array<std::uint16_t>(file_, "/encoder/x", rows, because, s);
    const auto y = read_array<std::uint16_t>(file_, "/encoder/y", rows, because, s);
    const auto channel = read_array<std::uint16_t>(file_, "/encoder/channel", rows, because, s);
    const auto bit = read_array<std::uint16_t>(file_, "/encoder/bit", rows, because, s);
    std::vector<std::uint8_t> thresholds = read_array<std::uint8_t>(file_, "/encoder/threshold", rows, because, s);
    std::vector<core::input_bit> bits(rows);
    for (std::size_t r = 0; r < rows; ++r)
        bits[r] = {.feature = feature[r], .x = x[r], .y = y[r], .channel = channel[r], .bit = bit[r]};
    try {
        out.encoder = core::encoder::from_parts(num_features, per_feature, std::move(bits), std::move(thresholds));
    } catch (const error& e) {
        s.fail(e.what());
    }
    if (const std::string problem = encoder_shape_problem(out.encoder, out.width, out.height, out.channels);
        !problem.empty())
        s.fail(problem);
    return out;
}

std::string run_reader::read_text(const std::string& name) const {
    const std::string path = "/" + name;
    const site s{path_.string(), "read " + path};
    check_name(name, s);
    const handle dataset = open_object(file_, path, H5I_DATASET, s);
    const handle space = checked(H5Dget_space(dataset.get()), H5Sclose, s, "cannot read the shape of " + path);
    if (H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) s.fail(path + " is not a scalar string");
    const handle type = checked(H5Dget_type(dataset.get()), H5Tclose, s, "cannot read the type of " + path);
    return read_string(type.get(), path, s, [&](hid_t memory, void* buffer) {
        return H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
    });
}

bool run_reader::has(const std::string& name) const {
    const site s{path_.string(), "look up /" + name};
    check_name(name, s);
    return exists(file_, "/" + name, s);
}

bool run_reader::has_stats() const {
    const site s{path_.string(), "read /stats"};
    return exists(file_, "/stats", s);
}

run_stats run_reader::stats() const {
    const site s{path_.string(), "read /stats"};
    run_stats r;
    const handle group = open_object(file_, "/stats", H5I_GROUP, s);
    r.samples = read_integer_attribute<std::uint64_t>(group.get(), "/stats@samples", "samples", s);
    r.split = read_string_attribute(group.get(), "/stats@split", "split", s);
    r.epochs = read_all<std::uint32_t>(open_array<std::uint32_t>(file_, "/stats/epoch", s), s);
    const hsize_t rows = r.epochs.size();
    for (const std::string& name : link_names(file_, "/stats", s)) {
        if (name == "epoch") continue;
        const std::string base = "/stats/" + name + "/";
        population_stats p;
        p.population = name;
        p.nodes = read_all<std::uint32_t>(open_array<std::uint32_t>(file_, base + "nodes", s), s);
        const std::vector<hsize_t> shape{rows, p.nodes.size()};
        p.activation_rate = read_shaped<float>(file_, base + "activation_rate", shape, s);
        p.entropy = read_shaped<float>(file_, base + "entropy", shape, s);
        p.flips = read_shaped<std::uint32_t>(file_, base + "flips", shape, s);
        p.grad_abs_mean = read_shaped<float>(file_, base + "grad_abs_mean", shape, s);
        if (exists(file_, base + "sensitivity", s)) p.sensitivity = read_shaped<float>(file_, base + "sensitivity", shape, s);
        if (exists(file_, base + "entry_usage", s)) {
            const array_dataset usage = open_array<std::uint32_t>(file_, base + "entry_usage", s, 3);
            const hsize_t entries = usage.dims[2];
            if (entries == 0 || (entries & (entries - 1)) != 0 || entries > 256)
                s.fail(base + "entry_usage has " + std::to_string(entries) +
                       " addresses per node, expected a power of two up to 256");
            p.usage_k = static_cast<std::uint32_t>(std::countr_zero(entries));
            p.entry_usage = read_shaped<std::uint32_t>(file_, base + "entry_usage", {rows, p.nodes.size(), entries}, s);
        }
        r.populations.push_back(std::move(p));
    }
    return r;
}

std::string encoder_shape_problem(const core::encoder& enc, std::uint32_t width, std::uint32_t height,
                                  std::uint32_t channels) {
    const std::string shape = std::to_string(width) + "×" + std::to_string(height) + "×" + std::to_string(channels);
    if (width == 0 || height == 0 || std::uint64_t{width} * height * channels != enc.num_features())
        return "the image shape " + shape + " (width×height×channels) does not give the encoder's " +
               std::to_string(enc.num_features()) + " features";
    const std::uint32_t plane = width * height;
    for (std::size_t r = 0; r < enc.num_bits(); ++r) {
        const core::input_bit& b = enc.bits()[r];
        if (b.x != b.feature % width || b.y != (b.feature / width) % height || b.channel != b.feature / plane)
            return "input bit " + std::to_string(r) + " of feature " + std::to_string(b.feature) + " sits at (x " +
                   std::to_string(b.x) + ", y " + std::to_string(b.y) + ", channel " + std::to_string(b.channel) +
                   "), which is not that feature's place in a " + shape + " image";
    }
    return {};
}

}  // namespace lutra::runfile
