#include "lutra/runfile/run_reader.hpp"

#include <hdf5.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "hdf5_support.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/read_file.hpp"
#include "lutra/core/time.hpp"
#include "lutra/runfile/layout.hpp"

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

// "1.5 ms": a time as the errors print it.
std::string format_ms(double t) {
    char text[64];
    std::snprintf(text, sizeof text, "%.10g ms", t);
    return text;
}

// A root object name or a population's: one path component.
void check_name(std::string_view name, const site& s, std::string_view what = "text name") {
    if (name.empty() || name == "." || name.find('/') != std::string_view::npos ||
        name.find('\0') != std::string_view::npos)
        throw error(s.file + ": " + s.operation + ": " + std::string(what) + " '" + std::string(name) +
                    "' is not a valid name: it must be non-empty, not '.', and without '/'");
}

// The open file as the readers below see it.
struct source {
    hid_t id;
    std::uint64_t bytes;  // the file's size, which bounds every size it claims
    bool checksummed;     // format_version >= 2: every dataset holding data carries Fletcher-32 checksums

    source(hid_t file, std::uint32_t format_version, const site& s) : id(file), checksummed(format_version >= 2) {
        hsize_t size = 0;
        if (H5Fget_filesize(file, &size) < 0) s.fail_hdf5("cannot read the file's size");
        bytes = size;
    }
};

// deflate's largest compression ratio (zlib's technical details: 1032:1).
constexpr std::uint64_t max_deflate_ratio = 1032;

// Checks, before anything is allocated for it, that a dataset's extent —
// `count` elements of `element_bytes` — fits the bytes stored for it: a
// damaged size is refused here, never allocated. The stored bytes count at
// most the file's size, times deflate's largest ratio when a filter other
// than shuffle and the checksum compresses them, plus one chunk, which a
// writer killed between extending a dataset and writing its row leaves
// unstored. A format_version 2 file must also carry the checksum it
// promises on every dataset holding data.
void check_storage(hid_t dataset, const std::string& path, std::uint64_t count, std::size_t element_bytes,
                   const source& f, const site& s) {
    if (count == 0) return;
    const handle dcpl = checked(H5Dget_create_plist(dataset), H5Pclose, s, "cannot read the storage of " + path);
    const int filters = H5Pget_nfilters(dcpl.get());
    if (filters < 0) s.fail_hdf5("cannot read the filters of " + path);
    bool checksum = false;
    bool compressed = false;
    for (int i = 0; i < filters; ++i) {
        unsigned flags = 0;
        std::size_t values = 0;
        unsigned config = 0;
        const H5Z_filter_t id =
            H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &values, nullptr, 0, nullptr, &config);
        if (id < 0) s.fail_hdf5("cannot read the filters of " + path);
        checksum = checksum || id == H5Z_FILTER_FLETCHER32;
        compressed = compressed || (id != H5Z_FILTER_FLETCHER32 && id != H5Z_FILTER_SHUFFLE);
    }
    // The unwritten chunk a killed writer may leave: at most what HDF5 advises a chunk to be.
    constexpr std::uint64_t max_unwritten_chunk = 1 << 20;
    std::uint64_t chunk = 0;
    if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
        std::array<hsize_t, H5S_MAX_RANK> dims{};
        const int rank = H5Pget_chunk(dcpl.get(), static_cast<int>(dims.size()), dims.data());
        if (rank < 0) s.fail_hdf5("cannot read the chunks of " + path);
        // Saturating at the file's largest possible content: a damaged chunk shape cannot overflow it.
        const std::uint64_t most = f.bytes * max_deflate_ratio;
        chunk = element_bytes;
        for (int i = 0; i < rank; ++i) {
            const hsize_t d = dims[static_cast<std::size_t>(i)];
            chunk = d != 0 && chunk > most / d ? most : chunk * d;
        }
        chunk = std::min(chunk, max_unwritten_chunk);
    }
    const std::uint64_t stored = std::min<std::uint64_t>(H5Dget_storage_size(dataset), f.bytes);
    const std::uint64_t limit = stored * (compressed ? max_deflate_ratio : 1) + chunk;
    if (count > limit / element_bytes)
        s.fail(path + " claims " + std::to_string(count) + " entries of " + std::to_string(element_bytes) +
               " bytes, more than the " + std::to_string(stored) + " bytes stored for it can hold: the file is damaged");
    if (f.checksummed && !checksum)
        s.fail(path + " is stored without its Fletcher-32 checksum, which every dataset of format_version 2 has");
}

// The attribute `a` of `owner`, the object at a.owner() (of `population`).
handle open_attribute(hid_t owner, const layout::object& a, const site& s, std::string_view population = {}) {
    const std::string path = a.path_for(population);
    const std::string name(a.name());
    const htri_t e = H5Aexists(owner, name.c_str());
    if (e < 0) s.fail_hdf5("cannot look up " + path);
    if (e == 0) s.fail("missing " + path);
    handle id = checked(H5Aopen(owner, name.c_str(), H5P_DEFAULT), H5Aclose, s, "cannot open " + path);
    const handle space = checked(H5Aget_space(id.get()), H5Sclose, s, "cannot read the shape of " + path);
    if (H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) s.fail(path + " is not a scalar");
    return id;
}

// An integer attribute, stored as any integer type, range-checked into T.
template <class T>
T read_attribute(hid_t owner, const layout::attribute<T>& attribute, const site& s, std::string_view population = {}) {
    static_assert(std::is_integral_v<T>, "string attributes have their own read_attribute");
    const std::string path = attribute.path_for(population);
    const handle a = open_attribute(owner, attribute, s, population);
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

// One string, fixed-length (as Lutra writes; at most `max_bytes`) or
// variable-length (as format_version 1 and h5py write), from an attribute or
// a dataset; `read(memory_type, buffer)` reads it.
template <class Read>
std::string read_string(hid_t stored, const std::string& path, std::uint64_t max_bytes, const site& s, Read read) {
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
    if (size == 0 || size > max_bytes) s.fail(path + " claims a string of " + std::to_string(size) + " bytes: the file is damaged");
    // Read with the stored padding: another would drop or replace the last byte.
    if (H5Tset_size(type.get(), size) < 0 || H5Tset_strpad(type.get(), H5Tget_strpad(stored)) < 0)
        s.fail_hdf5("make a string type");
    std::string value(size, '\0');
    if (read(type.get(), static_cast<void*>(value.data())) < 0) s.fail_hdf5("cannot read " + path);
    value.resize(std::min(value.find('\0'), size));
    return value;
}

// No string attribute of the layout comes near this (HDF5 keeps an
// attribute in its object header up to 64 KiB); a longer one is damage.
constexpr std::uint64_t max_attribute_bytes = 64 * 1024;

// A scalar string attribute.
std::string read_attribute(hid_t owner, const layout::attribute<std::string>& attribute, const site& s,
                           std::string_view population = {}) {
    const std::string path = attribute.path_for(population);
    const handle a = open_attribute(owner, attribute, s, population);
    const handle stored = checked(H5Aget_type(a.get()), H5Tclose, s, "cannot read the type of " + path);
    return read_string(stored.get(), path, max_attribute_bytes, s,
                       [&](hid_t memory, void* buffer) { return H5Aread(a.get(), memory, buffer); });
}

// A scalar floating-point attribute, stored as float32 or float64.
double read_attribute(hid_t owner, const layout::attribute<double>& attribute, const site& s,
                      std::string_view population = {}) {
    const std::string path = attribute.path_for(population);
    const handle a = open_attribute(owner, attribute, s, population);
    const handle type = checked(H5Aget_type(a.get()), H5Tclose, s, "cannot read the type of " + path);
    if (H5Tget_class(type.get()) != H5T_FLOAT)
        s.fail(path + " is stored as " + type_name(type.get()) + ", expected a float");
    double value = 0;
    if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &value) < 0) s.fail_hdf5("cannot read " + path);
    return value;
}

// SONATA's sorting: an enum whose members HDF5 converts by name into ours; a
// member of another name (or none of ours) is refused.
layout::spike_sorting read_attribute(hid_t owner, const layout::attribute<layout::spike_sorting>& attribute,
                                     const site& s, std::string_view population = {}) {
    const std::string path = attribute.path_for(population);
    const handle a = open_attribute(owner, attribute, s, population);
    const handle type = checked(H5Aget_type(a.get()), H5Tclose, s, "cannot read the type of " + path);
    std::string valid;
    for (const std::string_view name : layout::sorting_names) valid += (valid.empty() ? "" : ", ") + std::string(name);
    if (H5Tget_class(type.get()) != H5T_ENUM)
        s.fail(path + " is stored as " + type_name(type.get()) + ", expected an enum of " + valid);
    const handle memory = sorting_type(false, s);
    std::uint8_t value = 0xFF;
    // HDF5 fails, or writes all ones, for a stored value none of our names has.
    if (H5Aread(a.get(), memory.get(), &value) < 0 || value >= layout::sorting_names.size()) {
        H5Eclear2(H5E_DEFAULT);
        s.fail(path + " is not one of " + valid);
    }
    return static_cast<layout::spike_sorting>(value);
}

// A dataset of T whose shape is known before anything is allocated.
struct array_dataset {
    handle id;
    std::string path;
    std::uint64_t size = 0;      // elements
    std::vector<hsize_t> dims;  // the shape
};

// The dataset `d` at `path`, checked to hold T in d.rank dimensions.
template <class T>
array_dataset open_array_at(const source& f, const layout::dataset<T>& d, const std::string& path, const site& s) {
    const int expected_rank = d.rank;
    array_dataset a{open_object(f.id, path, H5I_DATASET, s), path, 0, {}};
    const handle type = checked(H5Dget_type(a.id.get()), H5Tclose, s, "cannot read the type of " + path);
    if (const std::string found = type_name(type.get()), expected = layout::to_string(layout::dtype_of<T>);
        found != expected)
        s.fail(path + " is stored as " + found + ", expected " + expected);
    const handle space = checked(H5Dget_space(a.id.get()), H5Sclose, s, "cannot read the shape of " + path);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (H5Sget_simple_extent_type(space.get()) != H5S_SIMPLE || rank != expected_rank)
        s.fail(path + " has " + std::to_string(std::max(rank, 0)) + " dimensions, expected " +
               std::to_string(expected_rank));
    a.dims.resize(static_cast<std::size_t>(rank));
    if (H5Sget_simple_extent_dims(space.get(), a.dims.data(), nullptr) < 0)
        s.fail_hdf5("cannot read the shape of " + path);
    a.size = 1;
    for (const hsize_t d : a.dims) {
        if (d != 0 && a.size > std::numeric_limits<std::uint64_t>::max() / d)
            s.fail(path + " claims more than 2^64 entries: the file is damaged");
        a.size *= d;
    }
    check_storage(a.id.get(), path, a.size, sizeof(T), f, s);
    return a;
}

// The dataset `d` of `population`.
template <class T>
array_dataset open_array(const source& f, const layout::dataset<T>& d, const site& s, std::string_view population = {}) {
    return open_array_at(f, d, d.path_for(population), s);
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
    if (!values.empty() && H5Dread(a.id.get(), memory_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
        s.fail_hdf5("cannot read " + a.path);
    return values;
}

template <class T>
std::vector<T> read_array(const source& f, const layout::dataset<T>& d, std::uint64_t expected, const std::string& because,
                          const site& s) {
    const array_dataset a = open_array(f, d, s);
    if (a.size != expected)
        s.fail(a.path + " has " + std::to_string(a.size) + " entries, expected " + std::to_string(expected) + " (" +
               because + ")");
    return read_all<T>(a, s);
}

// The names of a group's members in creation order (the order the writer chose).
std::vector<std::string> link_names(const source& f, const std::string& path, const site& s) {
    const handle group = open_object(f.id, path, H5I_GROUP, s);
    H5G_info_t info{};
    if (H5Gget_info(group.get(), &info) < 0) s.fail_hdf5("cannot list " + path);
    const std::string what = "cannot list " + path + " in creation order";
    // Each link takes bytes of the file: more links than bytes is damage.
    if (info.nlinks > f.bytes) s.fail(path + " claims " + std::to_string(info.nlinks) + " members: the file is damaged");
    std::vector<std::string> names(info.nlinks);
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t length =
            H5Lget_name_by_idx(group.get(), ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (length < 0) s.fail_hdf5(what);
        if (static_cast<std::uint64_t>(length) > f.bytes) s.fail(path + ": a member's name is longer than the file");
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
std::vector<T> read_shaped_at(const source& f, const layout::dataset<T>& d, const std::string& at,
                              const std::vector<hsize_t>& dims, const site& s) {
    if (dims.size() != static_cast<std::size_t>(d.rank))
        throw internal_error("read_shaped: " + std::to_string(dims.size()) + " dimensions for " + std::string(d.path));
    const array_dataset a = open_array_at(f, d, at, s);
    const std::string& path = a.path;
    if (!std::equal(dims.begin() + 1, dims.end(), a.dims.begin() + 1) || a.dims[0] < dims[0]) {
        const auto text = [](const std::vector<hsize_t>& shape) {
            std::string t;
            for (const hsize_t x : shape) t += (t.empty() ? "" : " × ") + std::to_string(x);
            return t;
        };
        // A rule's rows are those its own epoch index names.
        const std::string index = d.path == layout::stats_rule_quantity.path
                                      ? path.substr(0, path.rfind('/') + 1) + std::string(layout::stats_rule_epoch.name())
                                      : std::string(layout::stats_epoch.path);
        s.fail(path + " has shape " + text(a.dims) + ", expected " + text(dims) + " (rows of " + index +
               " × the population's nodes)");
    }
    std::uint64_t count = 1;
    for (const hsize_t x : dims) count *= x;
    std::vector<T> values(count);
    if (count == 0) return values;
    const handle file_space = checked(H5Dget_space(a.id.get()), H5Sclose, s, "cannot read the shape of " + path);
    const std::vector<hsize_t> start(dims.size(), 0);
    const handle memory_space =
        checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, s, "cannot read " + path);
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, dims.data(), nullptr) < 0 ||
        H5Dread(a.id.get(), memory_type<T>(), memory_space.get(), file_space.get(), H5P_DEFAULT, values.data()) < 0)
        s.fail_hdf5("cannot read " + path);
    return values;
}

template <class T>
std::vector<T> read_shaped(const source& f, const layout::dataset<T>& d, std::string_view population,
                           const std::vector<hsize_t>& dims, const site& s) {
    return read_shaped_at(f, d, d.path_for(population), dims, s);
}

// /stats/<population>/rules: each rule's rows whose epochs /stats/epoch
// (`recorded`, ascending) names. Rows after its last epoch are a row a
// killed writer did not finish; a row of an epoch before it that
// /stats/epoch lacks, or epochs out of order, are damage.
std::vector<rule_stats> read_rule_stats(const source& f, std::string_view population, std::size_t nodes,
                                        std::span<const std::uint32_t> recorded, const site& s) {
    std::vector<rule_stats> rules;
    const std::string rules_path = layout::stats_rules.path_for(population);
    if (!exists(f.id, rules_path, s)) return rules;
    for (const std::string& name : link_names(f, rules_path, s)) {
        rule_stats& r = rules.emplace_back();
        r.rule = name;
        const std::string group = layout::stats_rule.path_for(population, name);
        const std::string epoch_path = layout::stats_rule_epoch.path_for(population, name);
        // A group without its row index is one a killed writer began: it has no rows yet.
        const std::vector<std::uint32_t> epochs =
            exists(f.id, epoch_path, s) ? read_all<std::uint32_t>(open_array_at(f, layout::stats_rule_epoch, epoch_path, s), s)
                                        : std::vector<std::uint32_t>{};
        for (std::size_t i = 0; i < epochs.size(); ++i) {
            if (i > 0 && epochs[i] <= epochs[i - 1])
                s.fail(epoch_path + " has epoch " + std::to_string(epochs[i]) + " after epoch " +
                       std::to_string(epochs[i - 1]) + "; epochs ascend");
            if (recorded.empty() || epochs[i] > recorded.back()) break;
            if (!std::binary_search(recorded.begin(), recorded.end(), epochs[i]))
                s.fail(epoch_path + " has epoch " + std::to_string(epochs[i]) + ", which " +
                       std::string(layout::stats_epoch.path) + " does not name");
            r.epochs.push_back(epochs[i]);
        }
        const std::vector<hsize_t> shape{r.epochs.size(), nodes};
        for (const std::string& quantity : link_names(f, group, s)) {
            if (quantity == layout::stats_rule_epoch.name()) continue;
            r.quantities.push_back(
                {quantity, read_shaped_at(f, layout::stats_rule_quantity,
                                          layout::stats_rule_quantity.path_for(population, name, quantity), shape, s)});
        }
    }
    return rules;
}

std::filesystem::path run_file_path(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_directory(path, ec) ? path / layout::file_name : path;
}

// HDF5's superblock version: 0 and 1 are the old format, whose metadata has
// no checksums; 2 and 3 carry one (format_version 2 writes 3). The signature
// sits at 0 or at a power of two from 512 (after a user block); -1 = none.
int superblock_version(const std::filesystem::path& path) {
    static constexpr char signature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) return -1;
    for (std::uintmax_t at = 0; at + sizeof signature < size; at = at == 0 ? 512 : at * 2) {
        char head[sizeof signature + 1] = {};
        in.seekg(static_cast<std::streamoff>(at));
        if (!in.read(head, sizeof head)) return -1;
        if (std::memcmp(head, signature, sizeof signature) == 0) return static_cast<unsigned char>(head[8]);
    }
    return -1;
}

// Reads the whole file in a child process (see the constructor's comment in
// the header): returns when that read finished, its error is rethrown, and a
// crash or a read that does not end becomes an io_error.
void read_whole_in_child(const std::filesystem::path& path, const std::function<void()>& read_all) {
    const site s{path.string(), "open run file"};
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) s.fail(std::string("cannot make a pipe: ") + std::strerror(errno));
    std::fflush(nullptr);  // nothing buffered is written twice
    const pid_t child = ::fork();
    if (child < 0) s.fail(std::string("cannot start a process to read the file: ") + std::strerror(errno));
    if (child == 0) {
        ::close(pipe_fds[0]);
        // Die by the signal itself, without the handlers (sanitizers', a
        // fuzzer's) the parent installed, which would report the parent.
        for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM}) std::signal(sig, SIG_DFL);
        ::alarm(run_reader::unchecked_read_seconds);
        std::string message;  // "operation\ndetail" of an io_error
        int code = 0;
        try {
            read_all();
        } catch (const io_error& e) {
            const std::string what = e.what();
            const std::size_t skip = e.file.size() + 2 + e.operation.size() + 2;
            message = e.operation + "\n" + (what.size() > skip ? what.substr(skip) : what);
            code = 1;
        } catch (const std::exception& e) {
            message = std::string("read the file\n") + e.what();
            code = 1;
        }
        for (std::size_t done = 0; done < message.size();) {
            const ssize_t n = ::write(pipe_fds[1], message.data() + done, message.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        ::_exit(code);  // no exit handlers: they belong to the parent
    }
    ::close(pipe_fds[1]);
    std::string message;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        message.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0)
        if (errno != EINTR) s.fail(std::string("cannot wait for the process reading the file: ") + std::strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    const std::string old_format = "HDF5's old format, which has no checksums (format_version 1): ";
    if (WIFEXITED(status)) {
        const std::size_t newline = message.find('\n');
        if (newline == std::string::npos) s.fail(old_format + "the file is damaged");
        throw io_error(path.string(), message.substr(0, newline), message.substr(newline + 1));
    }
    const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (sig == SIGALRM)
        s.fail(old_format + "reading it whole took more than " + std::to_string(run_reader::unchecked_read_seconds) +
               " s, so the file is taken as damaged");
    s.fail(old_format + "reading it whole crashed HDF5 (signal " + std::to_string(sig) + ", " + strsignal(sig) +
           "): the file is damaged");
}

// The file's path once it is known safe to give to HDF5 (see above).
std::filesystem::path vet(const std::filesystem::path& path, const std::function<void()>& read_all) {
    const site s{path.string(), "open run file"};
    if (const std::string problem = core::unreadable_file_problem(path, std::numeric_limits<std::uintmax_t>::max());
        !problem.empty())
        s.fail(problem);
    const int version = superblock_version(path);
    if (version < 0 || version >= 2) return path;  // no HDF5 file (the open says so), or checksummed
    read_whole_in_child(path, read_all);
    return path;
}

}  // namespace

run_reader::run_reader(const std::filesystem::path& path)
    : run_reader(vet(run_file_path(path), [p = run_file_path(path)] { run_reader(p, vetted{}).verify(); }),
                 vetted{}) {}

run_reader::run_reader(const std::filesystem::path& path, vetted) : path_(run_file_path(path)) {
    silence();
    const site s{path_.string(), "open run file"};
    if (const std::string problem = core::unreadable_file_problem(path_, std::numeric_limits<std::uintmax_t>::max());
        !problem.empty())
        s.fail(problem);
    const htri_t is_hdf5 = H5Fis_hdf5(path_.c_str());
    if (is_hdf5 < 0) s.fail_hdf5("cannot read the file");
    if (is_hdf5 == 0) s.fail("not an HDF5 file (no HDF5 signature)");
    // A named property list: closing it is an HDF5 call, which would clear
    // the error stack before fail_hdf5 reads why the open failed.
    const handle access = file_access(s);
    handle file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, access.get()), H5Fclose);
    if (file.get() < 0) s.fail_hdf5("HDF5 cannot open the file: it is truncated or damaged, or in use elsewhere");

    const std::string format_path(layout::root_format.path);
    const std::string expected = "\"" + std::string(layout::format_name) + "\"";
    const htri_t has_format = H5Aexists(file.get(), std::string(layout::root_format.name()).c_str());
    if (has_format < 0) s.fail_hdf5("cannot look up " + format_path);
    if (has_format == 0)
        s.fail("not a Lutra run file: it has no " + format_path + " attribute (expected " + expected + ")");
    if (const std::string format = read_attribute(file.get(), layout::root_format, s); format != layout::format_name)
        s.fail("not a Lutra run file: " + format_path + " is \"" + format + "\", expected " + expected);
    const std::uint32_t version = read_attribute(file.get(), layout::root_format_version, s);
    if (version > max_format_version)
        s.fail("written by a newer Lutra (format_version " + std::to_string(version) + "; this one reads up to " +
               std::to_string(max_format_version) + ")");
    if (version < 1) s.fail("format_version 0 is not valid (versions start at 1)");
    // From version 2 the metadata is checksummed: HDF5's format of 1.10
    // (run_file::create), which only superblock version 3 announces.
    if (version >= 2) {
        H5F_info2_t info{};
        if (H5Fget_info2(file.get(), &info) < 0) s.fail_hdf5("cannot read the file's superblock");
        if (info.super.version < 3)
            s.fail("format_version " + std::to_string(version) +
                   " files are in HDF5's checksummed format (superblock version 3), but this one has superblock "
                   "version " + std::to_string(info.super.version) + ": it was not written by Lutra");
    }
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
    a.lutra_version = read_attribute(file_, layout::root_lutra_version, s);
    a.seed = read_attribute(file_, layout::root_seed, s);
    a.genome_hash = read_attribute(file_, layout::root_genome_hash, s);
    a.format_version = format_version_;
    return a;
}

core::network run_reader::network() const {
    const site s{path_.string(), "read " + std::string(layout::network.path)};
    const source f(file_, format_version_, s);
    const std::string k_path(layout::network_k.path);
    const handle group = open_object(file_, layout::network, s);
    core::network_arrays a;
    a.num_inputs = read_attribute(group.get(), layout::network_num_inputs, s);
    const array_dataset k = open_array(f, layout::network_k, s);
    if (k.size >= std::numeric_limits<std::uint32_t>::max())
        s.fail(k_path + " has " + std::to_string(k.size) + " nodes; node ids are 32-bit");
    a.k = read_all<std::uint8_t>(k, s);
    std::uint64_t slots = 0;
    std::uint64_t words = 0;
    for (std::size_t i = 0; i < a.k.size(); ++i) {
        if (a.k[i] < 1 || a.k[i] > core::max_k)
            s.fail(k_path + ": node " + std::to_string(i) + " has k = " + std::to_string(a.k[i]) + "; valid: 1.." +
                   std::to_string(core::max_k));
        slots += a.k[i];
        words += core::table_words(a.k[i]);
    }
    const std::string per_slot = "one per input slot: the sum of " + k_path;
    a.sources = read_array(f, layout::network_sources, slots, per_slot, s);
    a.delays = read_array(f, layout::network_delays, slots, per_slot, s);
    a.tables = read_array(f, layout::network_tables, words, "the table words of the nodes' k", s);
    const std::vector<std::uint32_t> level =
        read_array(f, layout::network_level, a.k.size(), "one per node of " + k_path, s);
    const handle head = open_object(file_, layout::network_head, s);
    a.head.num_classes = read_attribute(head.get(), layout::network_head_num_classes, s);
    a.head.outputs = read_all<std::uint32_t>(open_array(f, layout::network_head_outputs, s), s);
    try {
        core::network net(std::move(a));
        // level is derived, stored for readers without Lutra; a mismatch
        // means the file was edited inconsistently.
        for (std::uint32_t i = 0; i < net.num_nodes(); ++i)
            if (level[i] != net.level(i))
                s.fail(std::string(layout::network_level.path) + ": node " + std::to_string(i) +
                       " is stored at level " + std::to_string(level[i]) + ", but its sources put it at level " +
                       std::to_string(net.level(i)));
        return net;
    } catch (const network_error& e) {
        s.fail(e.what());
    }
}

std::vector<core::population> run_reader::populations() const {
    const site s{path_.string(), "read " + std::string(layout::network_populations.path)};
    const source f(file_, format_version_, s);
    const std::uint64_t num_nodes = open_array(f, layout::network_k, s).size;
    const std::vector<std::string> names = link_names(f, std::string(layout::network_populations.path), s);
    std::vector<core::population> result(names.size());
    std::vector<std::uint32_t> owner(num_nodes, UINT32_MAX);
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string& name = names[i];
        const array_dataset nodes = open_array(f, layout::network_population, s, name);
        if (nodes.size > num_nodes)
            s.fail(nodes.path + " has " + std::to_string(nodes.size) + " nodes, more than the " +
                   std::to_string(num_nodes) + " in " + std::string(layout::network_k.path));
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
    const std::string path(layout::metrics.path);
    const site s{path_.string(), "read " + path};
    const handle dataset = open_object(file_, layout::metrics, s);
    const handle stored = checked(H5Dget_type(dataset.get()), H5Tclose, s, "cannot read the type of " + path);
    if (H5Tget_class(stored.get()) != H5T_COMPOUND) {
        std::string names;
        for (const layout::member& m : layout::metrics_members)
            names += (names.empty() ? "" : ", ") + std::string(m.name);
        s.fail(path + " is stored as " + type_name(stored.get()) + ", expected a compound of " + names);
    }
    // HDF5 converts members by name and leaves those the file lacks untouched.
    for (const layout::member& m : layout::metrics_members) {
        const std::string name(m.name);
        const int index = H5Tget_member_index(stored.get(), name.c_str());
        if (index < 0) s.fail(path + " has no member '" + name + "'");
        const handle member = checked(H5Tget_member_type(stored.get(), static_cast<unsigned>(index)), H5Tclose, s,
                                      "cannot read the type of " + path);
        if (const std::string found = type_name(member.get()), expected = layout::to_string(m.type); found != expected)
            s.fail(path + " member '" + name + "' is stored as " + found + ", expected " + expected);
    }
    const handle space = checked(H5Dget_space(dataset.get()), H5Sclose, s, "cannot read the shape of " + path);
    if (H5Sget_simple_extent_ndims(space.get()) != layout::metrics.rank) s.fail(path + " is not 1-D");
    hsize_t rows = 0;
    if (H5Sget_simple_extent_dims(space.get(), &rows, nullptr) < 0) s.fail_hdf5("cannot read the shape of " + path);
    check_storage(dataset.get(), path, rows, H5Tget_size(stored.get()), source(file_, format_version_, s), s);

    const handle type = metrics_type(false, s);
    std::vector<metrics_record> records;
    try {
        records.resize(rows);
    } catch (const std::exception&) {
        s.fail(path + " claims " + std::to_string(rows) + " rows, more than fit in memory");
    }
    if (rows > 0 && H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, records.data()) < 0)
        s.fail_hdf5("cannot read " + path);
    std::vector<metrics_row> result;
    result.reserve(records.size());
    for (const metrics_record& r : records) {
        const std::size_t length = std::find(r.split.begin(), r.split.end(), '\0') - r.split.begin();
        result.push_back({r.epoch, std::string(r.split.data(), length), r.loss, r.accuracy, r.seconds});
    }
    return result;
}

stored_encoder run_reader::encoder() const {
    const site s{path_.string(), "read " + std::string(layout::encoder.path)};
    const source f(file_, format_version_, s);
    const handle group = open_object(file_, layout::encoder, s);
    stored_encoder out;
    out.kind = read_attribute(group.get(), layout::encoder_kind, s);
    const std::uint32_t num_features = read_attribute(group.get(), layout::encoder_num_features, s);
    const std::uint32_t per_feature = read_attribute(group.get(), layout::encoder_bits_per_feature, s);
    out.width = read_attribute(group.get(), layout::encoder_width, s);
    out.height = read_attribute(group.get(), layout::encoder_height, s);
    out.channels = read_attribute(group.get(), layout::encoder_channels, s);

    const std::uint64_t rows = std::uint64_t{num_features} * per_feature;
    const std::string because = "one per input bit: num_features × bits_per_feature";
    const auto feature = read_array(f, layout::encoder_feature, rows, because, s);
    const auto x = read_array(f, layout::encoder_x, rows, because, s);
    const auto y = read_array(f, layout::encoder_y, rows, because, s);
    const auto channel = read_array(f, layout::encoder_channel, rows, because, s);
    const auto bit = read_array(f, layout::encoder_bit, rows, because, s);
    std::vector<std::uint8_t> thresholds = read_array(f, layout::encoder_threshold, rows, because, s);
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

std::string run_reader::read_text(std::string_view name) const {
    const std::string path = "/" + std::string(name);
    const site s{path_.string(), "read " + path};
    check_name(name, s);
    const handle dataset = open_object(file_, path, H5I_DATASET, s);
    const handle space = checked(H5Dget_space(dataset.get()), H5Sclose, s, "cannot read the shape of " + path);
    // One string: [1] (chunked, so checksummed), or a scalar in format_version 1.
    hsize_t count = 1;
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank == 1 && H5Sget_simple_extent_dims(space.get(), &count, nullptr) < 0)
        s.fail_hdf5("cannot read the shape of " + path);
    if (!(H5Sget_simple_extent_type(space.get()) == H5S_SCALAR || (rank == 1 && count == 1)))
        s.fail(path + " is not one string");
    const handle type = checked(H5Dget_type(dataset.get()), H5Tclose, s, "cannot read the type of " + path);
    if (H5Tget_class(type.get()) != H5T_STRING)
        s.fail(path + " is stored as " + type_name(type.get()) + ", expected a string");
    const source f(file_, format_version_, s);
    check_storage(dataset.get(), path, 1, std::max<std::size_t>(H5Tget_size(type.get()), 1), f, s);
    return read_string(type.get(), path, f.bytes, s, [&](hid_t memory, void* buffer) {
        return H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
    });
}

void run_reader::verify() const {
    (void)attributes();
    for (const layout::dataset<std::string>& text : {layout::config, layout::genome})
        if (has(text.name())) (void)read_text(text.name());
    if (has(layout::network.name())) {
        (void)network();
        (void)populations();
    }
    if (has(layout::encoder.name())) (void)encoder();
    (void)metrics();
    if (has_stats()) (void)stats();
    for (const std::string& population : spike_populations()) (void)spikes(population);
    for (const std::string& population : activity_populations()) (void)activity(population);
}

bool run_reader::has(std::string_view name) const {
    const std::string path = "/" + std::string(name);
    const site s{path_.string(), "look up " + path};
    check_name(name, s);
    return exists(file_, path, s);
}

bool run_reader::finished() const {
    const site s{path_.string(), "read " + std::string(layout::root_finished.path)};
    if (format_version_ == 1) return exists(file_, std::string(layout::network.path), s);
    const htri_t e = H5Aexists(file_, std::string(layout::root_finished.name()).c_str());
    if (e < 0) s.fail_hdf5("cannot look up " + std::string(layout::root_finished.path));
    if (e == 0) return false;
    const std::uint32_t value = read_attribute(file_, layout::root_finished, s);
    if (value != 1) s.fail(std::string(layout::root_finished.path) + " is " + std::to_string(value) + ", expected 1");
    return true;
}

bool run_reader::has_stats() const {
    const std::string path(layout::stats.path);
    const site s{path_.string(), "read " + path};
    return exists(file_, path, s);
}

run_stats run_reader::stats() const {
    const std::string path(layout::stats.path);
    const site s{path_.string(), "read " + path};
    const source f(file_, format_version_, s);
    run_stats r;
    const handle group = open_object(file_, layout::stats, s);
    r.samples = read_attribute(group.get(), layout::stats_samples, s);
    r.split = read_attribute(group.get(), layout::stats_split, s);
    r.epochs = read_all<std::uint32_t>(open_array(f, layout::stats_epoch, s), s);
    const hsize_t rows = r.epochs.size();
    for (const std::string& name : link_names(f, path, s)) {
        if (name == layout::stats_epoch.name()) continue;
        population_stats p;
        p.population = name;
        p.nodes = read_all<std::uint32_t>(open_array(f, layout::stats_nodes, s, name), s);
        const std::vector<hsize_t> shape{rows, p.nodes.size()};
        p.activation_rate = read_shaped(f, layout::stats_activation_rate, name, shape, s);
        p.entropy = read_shaped(f, layout::stats_entropy, name, shape, s);
        p.flips = read_shaped(f, layout::stats_flips, name, shape, s);
        p.grad_abs_mean = read_shaped(f, layout::stats_grad_abs_mean, name, shape, s);
        if (exists(file_, layout::stats_sensitivity.path_for(name), s))
            p.sensitivity = read_shaped(f, layout::stats_sensitivity, name, shape, s);
        if (exists(file_, layout::stats_entry_usage.path_for(name), s)) {
            const array_dataset usage = open_array(f, layout::stats_entry_usage, s, name);
            const hsize_t entries = usage.dims[2];
            if (entries == 0 || (entries & (entries - 1)) != 0 || entries > 256)
                s.fail(usage.path + " has " + std::to_string(entries) +
                       " addresses per node, expected a power of two up to 256");
            p.usage_k = static_cast<std::uint32_t>(std::countr_zero(entries));
            p.entry_usage = read_shaped(f, layout::stats_entry_usage, name, {rows, p.nodes.size(), entries}, s);
        }
        p.rules = read_rule_stats(f, name, p.nodes.size(), r.epochs, s);
        r.populations.push_back(std::move(p));
    }
    return r;
}

namespace {

// The nodes of a population of /network: the length of its list.
std::uint64_t population_size(const source& f, std::string_view population, const site& s) {
    return open_array(f, layout::network_population, s, population).size;
}

// /activity/<population>'s attributes; `group` is that group.
recording read_recording(hid_t group, std::string_view population, const site& s) {
    recording r;
    r.ticks = read_attribute(group, layout::activity_ticks, s, population);
    r.streams = read_attribute(group, layout::activity_streams, s, population);
    r.tick_ms = read_attribute(group, layout::activity_tick_ms, s, population);
    r.engine = read_attribute(group, layout::activity_engine, s, population);
    return r;
}

// The members of the group at `path`, in creation order; none without it.
std::vector<std::string> members_if_any(const source& f, std::string_view path, const site& s) {
    if (!exists(f.id, std::string(path), s)) return {};
    return link_names(f, std::string(path), s);
}

}  // namespace

std::vector<std::string> run_reader::spike_populations() const {
    const site s{path_.string(), "read " + std::string(layout::spikes.path)};
    return members_if_any(source(file_, format_version_, s), layout::spikes.path, s);
}

spike_data run_reader::spikes(std::string_view population) const {
    const site s{path_.string(), "read " + layout::spikes_population.path_for(population)};
    check_name(population, s, "population");
    const source f(file_, format_version_, s);
    const std::uint64_t nodes = population_size(f, population, s);
    spike_data d;
    d.population = std::string(population);
    const handle group = open_object(file_, layout::spikes_population, s, population);
    // SONATA: without the attribute no order can be assumed.
    const htri_t sorted = H5Aexists(group.get(), std::string(layout::spikes_sorting.name()).c_str());
    if (sorted < 0) s.fail_hdf5("cannot look up " + layout::spikes_sorting.path_for(population));
    d.sorting = sorted > 0 ? read_attribute(group.get(), layout::spikes_sorting, s, population)
                           : layout::spike_sorting::none;
    const array_dataset timestamps = open_array(f, layout::spikes_timestamps, s, population);
    if (const std::string units = read_attribute(timestamps.id.get(), layout::spikes_timestamps_units, s, population);
        units != layout::spike_units)
        s.fail(layout::spikes_timestamps_units.path_for(population) + " is \"" + units + "\", expected \"" +
               std::string(layout::spike_units) + "\"");
    const array_dataset node_ids = open_array(f, layout::spikes_node_ids, s, population);
    if (node_ids.size != timestamps.size)
        s.fail(node_ids.path + " has " + std::to_string(node_ids.size) + " entries, expected " +
               std::to_string(timestamps.size) + " (one per timestamp)");
    d.timestamps_ms = read_all<double>(timestamps, s);
    d.node_ids = read_all<std::uint64_t>(node_ids, s);
    std::optional<recording> recorded;
    if (const std::string at = layout::activity_population.path_for(population);
        exists(file_, std::string(layout::activity.path), s) && exists(file_, at, s))
        recorded = read_recording(open_object(file_, layout::activity_population, s, population).get(), population, s);
    if (const std::string problem = spikes_problem(d, nodes, recorded ? &*recorded : nullptr); !problem.empty())
        s.fail(problem);
    return d;
}

std::vector<std::string> run_reader::activity_populations() const {
    const site s{path_.string(), "read " + std::string(layout::activity.path)};
    return members_if_any(source(file_, format_version_, s), layout::activity.path, s);
}

population_activity run_reader::activity(std::string_view population) const {
    const site s{path_.string(), "read " + layout::activity_population.path_for(population)};
    check_name(population, s, "population");
    const source f(file_, format_version_, s);
    const std::uint64_t nodes = population_size(f, population, s);
    population_activity a;
    a.population = std::string(population);
    const handle group = open_object(file_, layout::activity_population, s, population);
    a.recording = read_recording(group.get(), population, s);
    const array_dataset toggles = open_array(f, layout::activity_toggles, s, population);
    if (toggles.size != nodes)
        s.fail(toggles.path + " has " + std::to_string(toggles.size) + " entries, expected " + std::to_string(nodes) +
               " (one per node of " + layout::network_population.path_for(population) + ")");
    a.toggles = read_all<std::uint64_t>(toggles, s);
    if (const std::string problem = activity_problem(a, nodes); !problem.empty()) s.fail(problem);
    return a;
}

std::string spikes_problem(const spike_data& d, std::uint64_t nodes, const recording* recorded) {
    const auto ms = [](double t) { return format_ms(t); };
    if (d.node_ids.size() != d.timestamps_ms.size())
        return "node_ids has " + std::to_string(d.node_ids.size()) + " entries and timestamps " +
               std::to_string(d.timestamps_ms.size()) + "; each spike has one of each";
    const double end = recorded ? static_cast<double>(recorded->ticks) * recorded->tick_ms : 0.0;
    // Spike i as the messages name it, made only for a message (runs have millions of spikes).
    const auto spike = [&](std::size_t i) {
        return "spike " + std::to_string(i) + " (node " + std::to_string(d.node_ids[i]) + " at " +
               ms(d.timestamps_ms[i]) + ")";
    };
    const auto after = [&](std::size_t i) {
        return spike(i) + " follows node " + std::to_string(d.node_ids[i - 1]) + " at " + ms(d.timestamps_ms[i - 1]);
    };
    for (std::size_t i = 0; i < d.node_ids.size(); ++i) {
        const std::uint64_t id = d.node_ids[i];
        const double t = d.timestamps_ms[i];
        if (id >= nodes)
            return spike(i) + ": node id " + std::to_string(id) + " is not in the population of " +
                   std::to_string(nodes) + " nodes (valid: 0.." + (nodes ? std::to_string(nodes - 1) : "none") + ")";
        if (!std::isfinite(t) || t < 0) return spike(i) + ": timestamps are finite and ≥ 0 ms";
        if (recorded && t >= end)
            return spike(i) + ": not before the recording's end, " + std::to_string(recorded->ticks) + " ticks × " +
                   ms(recorded->tick_ms) + " = " + ms(end);
        if (i == 0) continue;
        const std::uint64_t id0 = d.node_ids[i - 1];
        const double t0 = d.timestamps_ms[i - 1];
        if (d.sorting == layout::spike_sorting::by_time && t < t0) return after(i) + ", but sorting is by_time";
        if (d.sorting == layout::spike_sorting::by_id && (id < id0 || (id == id0 && t < t0)))
            return after(i) + ", but sorting is by_id (node id, then time)";
    }
    return {};
}

std::string activity_problem(const population_activity& a, std::uint64_t nodes) {
    const recording& r = a.recording;
    if (a.toggles.size() != nodes)
        return "toggles has " + std::to_string(a.toggles.size()) + " values, expected one per node of the population (" +
               std::to_string(nodes) + ")";
    if (r.streams == 0) return "streams is 0; a recording has at least 1";
    if (!std::isfinite(r.tick_ms) || r.tick_ms <= 0) return "tick_ms is " + format_ms(r.tick_ms) + "; it must be > 0";
    // The engines core has, by the names core gives them.
    const std::array kinds{core::time_engine_kind::event, core::time_engine_kind::stepped};
    if (std::none_of(kinds.begin(), kinds.end(), [&](core::time_engine_kind k) { return core::to_string(k) == r.engine; })) {
        std::string valid;
        for (const core::time_engine_kind k : kinds) valid += (valid.empty() ? "" : ", ") + std::string(core::to_string(k));
        return "the engine is \"" + r.engine + "\"; valid: " + valid;
    }
    // A node changes at most once per tick in each stream.
    const std::uint64_t most = r.ticks > std::numeric_limits<std::uint64_t>::max() / r.streams
                                   ? std::numeric_limits<std::uint64_t>::max()
                                   : r.ticks * r.streams;
    for (std::size_t i = 0; i < a.toggles.size(); ++i)
        if (a.toggles[i] > most)
            return "node " + std::to_string(i) + " toggled " + std::to_string(a.toggles[i]) + " times, more than once per tick and stream (" +
                   std::to_string(r.ticks) + " ticks × " + std::to_string(r.streams) + " streams)";
    return {};
}

bool operator==(const rule_quantity& a, const rule_quantity& b) {
    return a.name == b.name && a.values.size() == b.values.size() &&
           std::equal(a.values.begin(), a.values.end(), b.values.begin(), [](float x, float y) {
               return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y);
           });
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
