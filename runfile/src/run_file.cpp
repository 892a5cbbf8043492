#include "lutra/runfile/run_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>

#include "hdf5_support.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/read_file.hpp"
#include "lutra/runfile/layout.hpp"

namespace lutra::runfile {

namespace {

using namespace hdf5;

static_assert(std::is_same_v<hid_t, std::int64_t>, "run_file keeps the file id as std::int64_t");

// Datasets of at least this many bytes are chunked and compressed; smaller
// ones stay contiguous, where chunk indexing would cost more than it saves.
constexpr std::size_t compress_min_bytes = 16 * 1024;
constexpr std::size_t chunk_bytes = 256 * 1024;  // within HDF5's advice of 10 KiB .. 1 MiB
constexpr unsigned deflate_level = 4;            // h5py's default gzip level
constexpr hsize_t metrics_chunk_rows = 128;

// The offset of the first byte that is not part of valid UTF-8, or npos.
std::size_t invalid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_sequence(text, i);
        if (length == 0) return i;
        i += length;
    }
    return std::string_view::npos;
}

void check_text(std::string_view text, const std::string& what, const site& s) {
    if (text.find('\0') != std::string_view::npos)
        s.reject(what + " contains a NUL character, which HDF5 strings cannot hold");
    if (const std::size_t bad = invalid_utf8(text); bad != std::string_view::npos)
        s.reject(what + " is not valid UTF-8 (byte " + std::to_string(bad) + ")");
}

// A name that is one HDF5 path component.
void check_name(std::string_view name, const std::string& what, const site& s) {
    if (name.empty() || name == "." || name.find('/') != std::string_view::npos)
        s.reject(what + " '" + std::string(name) +
                 "' is not a valid name: it must be non-empty, not '.', and without '/'");
    check_text(name, what + " '" + std::string(name) + "'", s);
}

// A text as the bytes of its fixed-length string type: at least one byte.
std::string padded(std::string_view text) {
    std::string bytes(text);
    if (bytes.empty()) bytes.push_back('\0');
    return bytes;
}

// Chunked storage with `chunk` as the chunk shape and HDF5's Fletcher-32
// checksum on every chunk, after shuffle + deflate when `compress`: the
// checksum is the last filter, so a reader verifies it first and damaged
// bytes never reach the decompressor.
void checksummed_chunks(hid_t dcpl, std::span<const hsize_t> chunk, bool compress, const site& s,
                        const std::string& what) {
    checked(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), s, what);
    if (compress) {
        // Shuffling the bytes of each element first makes indices compress well.
        checked(H5Pset_shuffle(dcpl), s, what);
        checked(H5Pset_deflate(dcpl, deflate_level), s, what);
    }
    checked(H5Pset_fletcher32(dcpl), s, what);
}

// --- attributes -------------------------------------------------------------

// Where an attribute of `population` goes: its owner's path and its name.
struct attribute_place {
    std::string path;   // "/spikes/hidden/timestamps/@units"
    std::string owner;  // "/spikes/hidden/timestamps"
    std::string name;   // "units"
    attribute_place(const layout::object& a, std::string_view population) : path(a.path_for(population)) {
        const std::size_t at = path.rfind("/@");
        owner = at == 0 ? "/" : path.substr(0, at);
        name = path.substr(at + 2);
    }
};

// Writes one scalar attribute of HDF5 type `file_type` from `value` in `memory_type`.
void write_scalar_attribute(hid_t file, const attribute_place& a, hid_t file_type, hid_t memory_type,
                            const void* value, const site& s) {
    const handle space = checked(H5Screate(H5S_SCALAR), H5Sclose, s, "make a scalar dataspace");
    const handle id = checked(H5Acreate_by_name(file, a.owner.c_str(), a.name.c_str(), file_type, space.get(),
                                                H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                              H5Aclose, s, "cannot create attribute " + a.path);
    checked(H5Awrite(id.get(), memory_type, value), s, "cannot write attribute " + a.path);
}

template <class T>
void write_attribute(hid_t file, const layout::attribute<T>& a, std::type_identity_t<T> value, const site& s,
                     std::string_view population = {}) {
    write_scalar_attribute(file, attribute_place(a, population), file_type<T>(), memory_type<T>(), &value, s);
}

void write_attribute(hid_t file, const layout::attribute<std::string>& a, const std::string& value, const site& s,
                     std::string_view population = {}) {
    const attribute_place place(a, population);
    check_text(value, "attribute " + place.name, s);
    const handle type = string_type(a.type, s, value.size());
    write_scalar_attribute(file, place, type.get(), type.get(), padded(value).data(), s);
}

void write_attribute(hid_t file, const layout::attribute<layout::spike_sorting>& a, layout::spike_sorting value,
                     const site& s, std::string_view population = {}) {
    const handle stored = sorting_type(true, s);
    const handle memory = sorting_type(false, s);
    const auto raw = static_cast<std::uint8_t>(value);
    write_scalar_attribute(file, attribute_place(a, population), stored.get(), memory.get(), &raw, s);
}

// --- groups and 1-D arrays -----------------------------------------------------

// HDF5 lists a group's links by name unless the group tracks creation order.
handle ordered_group_properties(const site& s) {
    handle gcpl = checked(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, s, "make group properties");
    checked(H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), s,
            "make group properties");
    return gcpl;
}

// Link names in UTF-8, so population names read back as text in h5py.
handle utf8_link_properties(const site& s) {
    handle lcpl = checked(H5Pcreate(H5P_LINK_CREATE), H5Pclose, s, "make link properties");
    checked(H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8), s, "make link properties");
    return lcpl;
}

struct group_options {
    bool ordered = false;    // tracks creation order
    bool utf8_name = false;  // its link name is UTF-8
};

void create_group(hid_t file, const layout::group& g, const site& s, group_options options = {},
                  std::string_view population = {}, std::string_view rule = {}) {
    const std::string path = g.path_for(population, rule);
    const handle lcpl = options.utf8_name ? utf8_link_properties(s) : handle();
    const handle gcpl = options.ordered ? ordered_group_properties(s) : handle();
    (void)checked(H5Gcreate2(file, path.c_str(), options.utf8_name ? lcpl.get() : H5P_DEFAULT,
                             options.ordered ? gcpl.get() : H5P_DEFAULT, H5P_DEFAULT),
                  H5Gclose, s, "cannot create group " + path);
}

template <class T>
void write_array(hid_t file, const layout::dataset<T>& d, std::type_identity_t<std::span<const T>> values,
                 const site& s, std::string_view population = {}) {
    const std::string path = d.path_for(population);
    const std::string what = "cannot write dataset " + path;
    const hsize_t size = values.size();
    const handle space = checked(H5Screate_simple(1, &size, nullptr), H5Sclose, s, what);
    const handle dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, s, what);
    // An empty array stores no bytes to checksum (and HDF5 chunks none).
    if (!values.empty()) {
        const hsize_t chunk = std::min<hsize_t>(size, chunk_bytes / sizeof(T));
        checksummed_chunks(dcpl.get(), {&chunk, 1}, values.size_bytes() >= compress_min_bytes, s, what);
    }
    const handle lcpl = utf8_link_properties(s);
    const handle dataset =
        checked(H5Dcreate2(file, path.c_str(), file_type<T>(), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
                H5Dclose, s, what);
    if (!values.empty())
        checked(H5Dwrite(dataset.get(), memory_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), s, what);
}

// --- /metrics ---------------------------------------------------------------

void create_metrics(hid_t file, const site& s) {
    const std::string path(layout::metrics.path);
    const std::string what = "cannot create " + path;
    const hsize_t size = 0;
    const hsize_t unlimited = H5S_UNLIMITED;
    const handle space = checked(H5Screate_simple(1, &size, &unlimited), H5Sclose, s, what);
    const handle dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, s, what);
    checksummed_chunks(dcpl.get(), {&metrics_chunk_rows, 1}, false, s, what);
    const handle type = metrics_type(true, s);
    (void)checked(H5Dcreate2(file, path.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                  H5Dclose, s, what);
}

// The length of a 1-D dataset.
hsize_t length_1d(hid_t dataset, const std::string& path, const std::string& what, const site& s) {
    const handle space = checked(H5Dget_space(dataset), H5Sclose, s, what);
    if (H5Sget_simple_extent_ndims(space.get()) != 1) s.fail(path + " is not 1-D");
    hsize_t size = 0;
    checked(H5Sget_simple_extent_dims(space.get(), &size, nullptr), s, what);
    return size;
}

// --- /stats -----------------------------------------------------------------

// Appends one row of shape `row_shape` to the dataset `d` at `path`,
// created on first use as [unlimited rows × row_shape], chunked a row (or
// less) at a time, byte-shuffled and deflated.
template <class T>
void append_row_at(hid_t file, const layout::dataset<T>& d, const std::string& path,
                   std::type_identity_t<std::span<const T>> row, std::vector<hsize_t> row_shape, const site& s) {
    const std::string what = "cannot append a row to " + path;
    std::vector<hsize_t> dims{0};
    dims.insert(dims.end(), row_shape.begin(), row_shape.end());
    const int rank = static_cast<int>(dims.size());
    if (rank != d.rank) throw internal_error(what + ": a row of rank " + std::to_string(rank - 1));
    if (!exists(file, path, s)) {
        std::vector<hsize_t> max_dims = dims;
        max_dims[0] = H5S_UNLIMITED;
        std::vector<hsize_t> chunk = dims;
        if (chunk.size() == 1) {
            chunk[0] = metrics_chunk_rows;  // a row is one value: chunk many, as /metrics
        } else {
            chunk[0] = 1;
            // Within HDF5's advised chunk size: split the second dimension if a row is larger.
            std::size_t inner = sizeof(T);
            for (std::size_t i = 2; i < chunk.size(); ++i) inner *= chunk[i];
            chunk[1] = std::max<hsize_t>(1, std::min<hsize_t>(chunk[1], chunk_bytes / inner));
        }
        const handle space = checked(H5Screate_simple(rank, dims.data(), max_dims.data()), H5Sclose, s, what);
        const handle dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, s, what);
        checksummed_chunks(dcpl.get(), chunk, true, s, what);
        (void)checked(H5Dcreate2(file, path.c_str(), file_type<T>(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                      H5Dclose, s, what);
    }
    const handle dataset = checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose, s, what);
    {
        const handle space = checked(H5Dget_space(dataset.get()), H5Sclose, s, what);
        if (H5Sget_simple_extent_ndims(space.get()) != rank) s.fail(path + " has another rank than a new row");
        std::vector<hsize_t> stored(dims.size());
        checked(H5Sget_simple_extent_dims(space.get(), stored.data(), nullptr), s, what);
        if (!std::equal(stored.begin() + 1, stored.end(), dims.begin() + 1))
            s.fail(path + " has rows of another shape than the new row (a population changed size?)");
        dims[0] = stored[0];
    }
    const hsize_t at = dims[0];
    dims[0] = at + 1;
    checked(H5Dset_extent(dataset.get(), dims.data()), s, what);
    const handle space = checked(H5Dget_space(dataset.get()), H5Sclose, s, what);
    std::vector<hsize_t> start(dims.size(), 0);
    start[0] = at;
    std::vector<hsize_t> count = dims;
    count[0] = 1;
    checked(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), s, what);
    const handle memory_space = checked(H5Screate_simple(rank, count.data(), nullptr), H5Sclose, s, what);
    checked(H5Dwrite(dataset.get(), memory_type<T>(), memory_space.get(), space.get(), H5P_DEFAULT, row.data()), s,
            what);
}

// The same for a dataset of `population`.
template <class T>
void append_row(hid_t file, const layout::dataset<T>& d, std::string_view population,
                std::type_identity_t<std::span<const T>> row, std::vector<hsize_t> row_shape, const site& s) {
    append_row_at(file, d, d.path_for(population), row, std::move(row_shape), s);
}

// The length of a dataset's first dimension.
hsize_t dataset_rows(hid_t file, const std::string& path, const site& s) {
    const handle dataset = open_object(file, path, H5I_DATASET, s);
    const handle space = checked(H5Dget_space(dataset.get()), H5Sclose, s, "cannot read the shape of " + path);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 1) s.fail(path + " has no rows");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    checked(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), s, "cannot read the shape of " + path);
    return dims[0];
}

// Keeps the first `rows` rows of a dataset (no-op when it has fewer).
void keep_rows(hid_t file, const std::string& path, hsize_t rows, const site& s) {
    const handle dataset = checked(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose, s, "cannot open " + path);
    const handle space = checked(H5Dget_space(dataset.get()), H5Sclose, s, "cannot read the shape of " + path);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 1) s.fail(path + " has no rows");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    checked(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), s, "cannot read the shape of " + path);
    if (dims[0] <= rows) return;
    dims[0] = rows;
    checked(H5Dset_extent(dataset.get(), dims.data()), s, "cannot change the size of " + path);
}

// Keeps the first `rows` rows of each of a population's per-epoch datasets that exists.
void keep_population_rows(hid_t file, std::string_view population, hsize_t rows, const site& s) {
    for (const layout::object& d : layout::stats_rows)
        if (const std::string path = d.path_for(population); exists(file, path, s)) keep_rows(file, path, rows, s);
}

// The names of a group's members.
std::vector<std::string> member_names(hid_t file, const std::string& path, const site& s) {
    const handle group = open_object(file, path, H5I_GROUP, s);
    H5G_info_t info{};
    checked(H5Gget_info(group.get(), &info), s, "cannot list " + path);
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t length =
            H5Lget_name_by_idx(group.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (length < 0) s.fail_hdf5("cannot list " + path);
        std::string name(static_cast<std::size_t>(length) + 1, '\0');
        if (H5Lget_name_by_idx(group.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                               H5P_DEFAULT) < 0)
            s.fail_hdf5("cannot list " + path);
        name.resize(static_cast<std::size_t>(length));
        names.push_back(std::move(name));
    }
    return names;
}

// A 1-D uint32 dataset of this file (verified when opened), its size bounded by the file's.
std::vector<std::uint32_t> read_uint32s(hid_t file, const std::string& path, const site& s) {
    const handle dataset = open_object(file, path, H5I_DATASET, s);
    const hsize_t size = length_1d(dataset.get(), path, "cannot read " + path, s);
    hsize_t bytes = 0;
    checked(H5Fget_filesize(file, &bytes), s, "cannot read the file's size");
    if (size > bytes) s.fail(path + " claims " + std::to_string(size) + " entries, more than the file holds");
    std::vector<std::uint32_t> values(size);
    if (size > 0)
        checked(H5Dread(dataset.get(), H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), s,
                "cannot read " + path);
    return values;
}

// Keeps the rows of a rule's group (its path: `group`) whose epochs are
// among `recorded` (/stats/epoch, ascending): a writer killed before
// /stats/epoch grew leaves rows after them, or a group without its row index.
void keep_rule_rows(hid_t file, const std::string& group, std::span<const std::uint32_t> recorded, const site& s) {
    const std::string epoch_path = group + "/" + std::string(layout::stats_rule_epoch.name());
    hsize_t rows = 0;
    if (exists(file, epoch_path, s))
        for (const std::uint32_t e : read_uint32s(file, epoch_path, s)) {
            if (!std::binary_search(recorded.begin(), recorded.end(), e)) break;
            ++rows;
        }
    for (const std::string& name : member_names(file, group, s)) keep_rows(file, group + "/" + name, rows, s);
}

// The same for every rule of a population.
void keep_population_rule_rows(hid_t file, std::string_view population, std::span<const std::uint32_t> recorded,
                               const site& s) {
    const std::string rules = layout::stats_rules.path_for(population);
    if (!exists(file, rules, s)) return;
    for (const std::string& rule : member_names(file, rules, s)) keep_rule_rows(file, rules + "/" + rule, recorded, s);
}

// A rule quantity's name: also an HDF5 name, a Python identifier for h5py
// users, and never the rule's row index.
bool valid_quantity(std::string_view name) {
    return !name.empty() && name != layout::stats_rule_epoch.name() &&
           std::all_of(name.begin(), name.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// Appends one row of each rule of `p` under /stats/<population>/rules: the
// quantities' rows first, then the rule's row index. A quantity stored
// before that this row lacks gets a NaN row; one new to this row gets NaN
// rows for the rule's rows before.
void append_rule_rows(hid_t file, const population_stats& p, std::uint32_t epoch, const site& s) {
    const hsize_t n = p.nodes.size();
    const std::vector<float> missing(n, std::numeric_limits<float>::quiet_NaN());
    if (!exists(file, layout::stats_rules.path_for(p.population), s))
        create_group(file, layout::stats_rules, s, {.ordered = true}, p.population);
    for (const rule_stats& r : p.rules) {
        const std::string group = layout::stats_rule.path_for(p.population, r.rule);
        if (!exists(file, group, s))
            create_group(file, layout::stats_rule, s, {.ordered = true, .utf8_name = true}, p.population, r.rule);
        const std::string epoch_path = layout::stats_rule_epoch.path_for(p.population, r.rule);
        const hsize_t rows = exists(file, epoch_path, s) ? dataset_rows(file, epoch_path, s) : 0;
        for (const std::string& name : member_names(file, group, s)) {
            const bool given = std::any_of(r.quantities.begin(), r.quantities.end(),
                                           [&name](const rule_quantity& q) { return q.name == name; });
            if (name != layout::stats_rule_epoch.name() && !given)
                append_row_at(file, layout::stats_rule_quantity, group + "/" + name, missing, {n}, s);
        }
        for (const rule_quantity& q : r.quantities) {
            const std::string path = layout::stats_rule_quantity.path_for(p.population, r.rule, q.name);
            if (!exists(file, path, s))
                for (hsize_t i = 0; i < rows; ++i) append_row_at(file, layout::stats_rule_quantity, path, missing, {n}, s);
            append_row_at(file, layout::stats_rule_quantity, path, q.values, {n}, s);
        }
        const std::uint32_t epochs[] = {epoch};
        append_row_at(file, layout::stats_rule_epoch, epoch_path, epochs, {}, s);
    }
}

// --- /network ---------------------------------------------------------------

// Population names unique and storable, nodes in range and in at most one
// population: checked before writing (run_reader checks after reading).
void check_populations(std::span<const core::population> populations, std::uint32_t num_nodes, const site& s) {
    const auto bad = [&](const std::string& detail) { s.reject(detail); };
    std::vector<std::uint32_t> owner(num_nodes, UINT32_MAX);
    for (std::size_t p = 0; p < populations.size(); ++p) {
        const core::population& pop = populations[p];
        check_name(pop.name, "population", s);
        for (std::size_t q = 0; q < p; ++q)
            if (populations[q].name == pop.name) bad("two populations are named '" + pop.name + "'");
        for (std::size_t i = 0; i < pop.nodes.size(); ++i) {
            const std::uint32_t node = pop.nodes[i];
            const std::string where = "population '" + pop.name + "' node " + std::to_string(i);
            if (node >= num_nodes)
                bad(where + " is network node " + std::to_string(node) + ", but there are " +
                    std::to_string(num_nodes) + " nodes");
            if (owner[node] != UINT32_MAX)
                bad(where + " is network node " + std::to_string(node) + ", which population '" +
                    populations[owner[node]].name + "' already has");
            owner[node] = static_cast<std::uint32_t>(p);
        }
    }
}

// "<path> already exists; run files are written once", when it does.
void check_absent(hid_t file, std::string_view path, const site& s) {
    if (exists(file, std::string(path), s)) s.reject(std::string(path) + " already exists; run files are written once");
}

}  // namespace

// --- run_file -----------------------------------------------------------------

run_file::run_file(std::filesystem::path path, std::int64_t file, bool writable)
    : path_(std::move(path)), file_(file), writable_(writable) {}

run_file::run_file(run_file&& other) noexcept
    : path_(std::move(other.path_)),
      file_(std::exchange(other.file_, -1)),
      writable_(other.writable_),
      format_version_(other.format_version_) {}

run_file& run_file::operator=(run_file&& other) noexcept {
    if (this != &other) {
        if (file_ >= 0) H5Fclose(file_);
        path_ = std::move(other.path_);
        file_ = std::exchange(other.file_, -1);
        writable_ = other.writable_;
        format_version_ = other.format_version_;
    }
    return *this;
}

run_file::~run_file() {
    if (file_ >= 0) H5Fclose(file_);
}

run_file run_file::create(const std::filesystem::path& path, const run_attributes& attributes) {
    silence();
    const site s{path.string(), "create run file"};
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) s.fail("the file already exists; a run never overwrites another");
    // H5F_ACC_EXCL also refuses a file that appeared since the check.
    // A named property list: closing it is an HDF5 call, which would clear
    // the error stack before fail_hdf5 reads why the create failed.
    const handle access = file_access(s);
    const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, access.get());
    if (id < 0) s.fail_hdf5("cannot create the file");
    try {
        run_file f(path, id, true);
        write_attribute(id, layout::root_format, std::string(layout::format_name), s);
        write_attribute(id, layout::root_format_version, layout::format_version, s);
        write_attribute(id, layout::root_lutra_version, attributes.lutra_version, s);
        write_attribute(id, layout::root_seed, attributes.seed, s);
        write_attribute(id, layout::root_genome_hash, attributes.genome_hash, s);
        create_metrics(id, s);
        f.flush();
        return f;
    } catch (...) {
        // Closed by now (f is gone): remove the half-made file.
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        throw;
    }
}

namespace {

// Opens an existing run file once run_reader has checked that this
// Lutra can read it. The reader is closed first: HDF5 opens no file
// read-write that this process has open read-only.
std::pair<hid_t, std::uint32_t> open_checked(const std::filesystem::path& path, bool writable) {
    silence();
    const site s{path.string(), writable ? "open run file for appending" : "open run file"};
    if (const std::string problem = core::unreadable_file_problem(path, std::numeric_limits<std::uintmax_t>::max());
        !problem.empty())
        s.fail(problem);
    std::uint32_t version = 0;
    {
        const run_reader reader(path);
        version = reader.format_version();
        // Every part is read (and its checksums verified) before the file
        // is opened for writing, so a damaged file is refused unchanged;
        // the reader checks /metrics member by member, so the rows appended
        // later fit the stored layout.
        if (writable) reader.verify();
    }
    // Appending mixes this version's rows into the file, so the layouts must agree.
    if (writable && version != layout::format_version)
        s.fail("format_version " + std::to_string(version) + " is older than this Lutra's " +
               std::to_string(layout::format_version) + "; such files can be read but not appended to");
    const handle access = file_access(s);  // named: see create()
    const hid_t id = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, access.get());
    if (id < 0) s.fail_hdf5("HDF5 cannot open the file: it is truncated or damaged, or in use elsewhere");
    return {id, version};
}

}  // namespace

run_file run_file::open(const std::filesystem::path& path) {
    const auto [id, version] = open_checked(path, false);
    run_file f(path, id, false);
    f.format_version_ = version;
    return f;
}

run_file run_file::open_for_append(const std::filesystem::path& path) {
    const auto [id, version] = open_checked(path, true);
    run_file f(path, id, true);
    f.format_version_ = version;
    return f;
}

void run_file::check_writable(std::string_view operation) const {
    if (!writable_)
        throw error(path_.string() + ": " + std::string(operation) +
                    ": the run file was opened read-only (use run_file::open_for_append to write)");
}

void run_file::flush() {
    const site s{path_.string(), "flush"};
    checked(H5Fflush(file_, H5F_SCOPE_LOCAL), s, "cannot flush the file");
}

void run_file::close() {
    if (file_ < 0) return;
    const site s{path_.string(), "close"};
    // The id is gone even when the close fails: HDF5 does not take it back.
    checked(H5Fclose(std::exchange(file_, -1)), s, "cannot write the file's last changes");
}

run_reader run_file::reader() const { return run_reader(path_); }

run_attributes run_file::attributes() const { return reader().attributes(); }

bool run_file::has(std::string_view name) const { return reader().has(name); }

bool run_file::finished() const { return reader().finished(); }

void run_file::mark_finished() {
    const site s{path_.string(), "mark the run finished"};
    check_writable(s.operation);
    if (!has("network")) s.fail("/network is missing; a run is finished only once its network is written");
    if (finished()) s.fail(std::string(layout::root_finished.path) + " is already set");
    write_attribute(file_, layout::root_finished, 1u, s);
    flush();
}

void run_file::write_text(std::string_view name, std::string_view text) {
    const std::string path = "/" + std::string(name);
    const site s{path_.string(), "write " + path};
    check_writable(s.operation);
    check_name(name, "text name", s);
    check_text(text, "the text", s);
    check_absent(file_, path, s);
    // One element, so that it can be chunked and checksummed (a scalar cannot).
    const std::string what = "cannot create " + path;
    const handle type = string_type(layout::dtype::string, s, text.size());
    const hsize_t one = 1;
    const handle space = checked(H5Screate_simple(1, &one, nullptr), H5Sclose, s, what);
    const handle dcpl = checked(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, s, what);
    checksummed_chunks(dcpl.get(), {&one, 1}, text.size() >= compress_min_bytes, s, what);
    const handle lcpl = utf8_link_properties(s);
    const handle dataset = checked(
        H5Dcreate2(file_, path.c_str(), type.get(), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT), H5Dclose, s, what);
    checked(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, padded(text).data()), s,
            "cannot write " + path);
    flush();
}

std::string run_file::read_text(std::string_view name) const { return reader().read_text(name); }

void run_file::write_network(const core::network& net, std::span<const core::population> populations) {
    const site s{path_.string(), "write " + std::string(layout::network.path)};
    check_writable(s.operation);
    check_populations(populations, net.num_nodes(), s);
    check_absent(file_, layout::network.path, s);

    const core::network_arrays& a = net.arrays();
    std::vector<std::uint32_t> level(net.num_nodes());
    for (std::uint32_t i = 0; i < net.num_nodes(); ++i) level[i] = net.level(i);

    create_group(file_, layout::network, s);
    write_attribute(file_, layout::network_num_inputs, net.num_inputs(), s);
    write_array(file_, layout::network_k, a.k, s);
    write_array(file_, layout::network_sources, a.sources, s);
    write_array(file_, layout::network_delays, a.delays, s);
    write_array(file_, layout::network_tables, a.tables, s);
    write_array(file_, layout::network_level, level, s);

    create_group(file_, layout::network_head, s);
    write_attribute(file_, layout::network_head_num_classes, a.head.num_classes, s);
    write_array(file_, layout::network_head_outputs, a.head.outputs, s);

    // Population order is gene order.
    create_group(file_, layout::network_populations, s, {.ordered = true});
    for (const core::population& p : populations) write_array(file_, layout::network_population, p.nodes, s, p.name);
    flush();
}

core::network run_file::read_network() const { return reader().network(); }

std::vector<core::population> run_file::read_populations() const { return reader().populations(); }

void run_file::write_encoder(const core::encoder& enc, std::string_view kind, std::uint32_t width,
                             std::uint32_t height) {
    const site s{path_.string(), "write " + std::string(layout::encoder.path)};
    check_writable(s.operation);
    check_text(kind, "the encoder kind", s);
    if (enc.num_features() == 0) s.reject("the encoder has no features; fit it first");
    const std::uint64_t plane = std::uint64_t{width} * height;
    const auto channels = static_cast<std::uint32_t>(plane == 0 ? 0 : enc.num_features() / plane);
    if (const std::string problem = encoder_shape_problem(enc, width, height, channels); !problem.empty())
        s.reject(problem);
    check_absent(file_, layout::encoder.path, s);

    const std::size_t rows = enc.num_bits();
    std::vector<std::uint32_t> feature(rows);
    std::vector<std::uint16_t> x(rows);
    std::vector<std::uint16_t> y(rows);
    std::vector<std::uint16_t> channel(rows);
    std::vector<std::uint16_t> bit(rows);
    for (std::size_t r = 0; r < rows; ++r) {
        const core::input_bit& b = enc.bits()[r];
        feature[r] = b.feature;
        x[r] = b.x;
        y[r] = b.y;
        channel[r] = b.channel;
        bit[r] = b.bit;
    }
    create_group(file_, layout::encoder, s);
    write_attribute(file_, layout::encoder_kind, std::string(kind), s);
    write_attribute(file_, layout::encoder_num_features, enc.num_features(), s);
    write_attribute(file_, layout::encoder_bits_per_feature, enc.bits_per_feature(), s);
    write_attribute(file_, layout::encoder_width, width, s);
    write_attribute(file_, layout::encoder_height, height, s);
    write_attribute(file_, layout::encoder_channels, channels, s);
    write_array(file_, layout::encoder_feature, feature, s);
    write_array(file_, layout::encoder_x, x, s);
    write_array(file_, layout::encoder_y, y, s);
    write_array(file_, layout::encoder_channel, channel, s);
    write_array(file_, layout::encoder_bit, bit, s);
    write_array(file_, layout::encoder_threshold, enc.thresholds(), s);
    flush();
}

stored_encoder run_file::read_encoder() const { return reader().encoder(); }

void run_file::append_metrics(const metrics_row& row) {
    const std::string path(layout::metrics.path);
    const site s{path_.string(), "append to " + path};
    check_writable(s.operation);
    // The file declares the split ASCII.
    const bool ascii = std::all_of(row.split.begin(), row.split.end(), [](char c) { return c > 0 && c < 0x7f; });
    if (row.split.empty() || row.split.size() > layout::split_bytes || !ascii)
        s.reject("split '" + row.split + "' must be 1.." + std::to_string(layout::split_bytes) + " ASCII characters");
    metrics_record record{
        .epoch = row.epoch, .split = {}, .loss = row.loss, .accuracy = row.accuracy, .seconds = row.seconds};
    std::copy(row.split.begin(), row.split.end(), record.split.begin());

    const handle dataset = open_object(file_, layout::metrics, s);
    const std::string what = "cannot append a row";
    const hsize_t size = length_1d(dataset.get(), path, what, s);
    const hsize_t grown = size + 1;
    checked(H5Dset_extent(dataset.get(), &grown), s, what);
    const handle space = checked(H5Dget_space(dataset.get()), H5Sclose, s, what);
    const hsize_t one = 1;
    checked(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &size, nullptr, &one, nullptr), s, what);
    const handle memory_space = checked(H5Screate_simple(1, &one, nullptr), H5Sclose, s, what);
    const handle memory = metrics_type(false, s);
    checked(H5Dwrite(dataset.get(), memory.get(), memory_space.get(), space.get(), H5P_DEFAULT, &record), s, what);
    flush();
}

void run_file::truncate_metrics(std::size_t rows) {
    const std::string path(layout::metrics.path);
    const site s{path_.string(), "truncate " + path};
    check_writable(s.operation);
    const handle dataset = open_object(file_, layout::metrics, s);
    const std::string what = "cannot change the size of " + path;
    const hsize_t size = length_1d(dataset.get(), path, what, s);
    if (rows > size) s.reject("cannot keep " + std::to_string(rows) + " rows of " + std::to_string(size));
    const hsize_t kept = rows;
    checked(H5Dset_extent(dataset.get(), &kept), s, what);
    flush();
}

std::vector<metrics_row> run_file::read_metrics() const { return reader().metrics(); }

void run_file::append_stats(std::uint32_t epoch, std::span<const population_stats> rows, std::uint64_t samples,
                            std::string_view split) {
    const std::string epoch_path(layout::stats_epoch.path);
    const site s{path_.string(), "append to " + std::string(layout::stats.path)};
    check_writable(s.operation);
    for (const population_stats& p : rows) {
        const std::size_t n = p.nodes.size();
        check_name(p.population, "population name", s);
        if (p.population == layout::stats_epoch.name())
            s.reject("a population may not be named '" + p.population + "' (" + epoch_path + " is the row index)");
        const auto check = [&](std::size_t size, std::size_t expected, const layout::object& d) {
            if (size != expected)
                s.reject("population '" + p.population + "': " + std::string(d.name()) + " has " +
                         std::to_string(size) + " values, expected " + std::to_string(expected));
        };
        check(p.activation_rate.size(), n, layout::stats_activation_rate);
        check(p.entropy.size(), n, layout::stats_entropy);
        check(p.flips.size(), n, layout::stats_flips);
        check(p.grad_abs_mean.size(), n, layout::stats_grad_abs_mean);
        if (!p.sensitivity.empty()) check(p.sensitivity.size(), n, layout::stats_sensitivity);
        if (!p.entry_usage.empty()) check(p.entry_usage.size(), n << p.usage_k, layout::stats_entry_usage);
        for (std::size_t r = 0; r < p.rules.size(); ++r) {
            const rule_stats& rule = p.rules[r];
            const std::string where = "population '" + p.population + "': rule '" + rule.rule + "'";
            check_name(rule.rule, "population '" + p.population + "': rule name", s);
            for (std::size_t o = 0; o < r; ++o)
                if (p.rules[o].rule == rule.rule) s.reject(where + " has two summaries in one row");
            for (std::size_t q = 0; q < rule.quantities.size(); ++q) {
                const rule_quantity& quantity = rule.quantities[q];
                if (!valid_quantity(quantity.name))
                    s.reject(where + ": quantity '" + quantity.name +
                             "' is not a valid name: lower-case letters, digits and '_', and not '" +
                             std::string(layout::stats_rule_epoch.name()) + "'");
                for (std::size_t o = 0; o < q; ++o)
                    if (rule.quantities[o].name == quantity.name)
                        s.reject(where + ": quantity '" + quantity.name + "' is given twice");
                if (quantity.values.size() != n)
                    s.reject(where + ": " + quantity.name + " has " + std::to_string(quantity.values.size()) +
                             " values, expected " + std::to_string(n));
            }
        }
    }
    if (exists(file_, std::string(layout::stats.path), s)) {
        // Every check before the first write, so a rejected row leaves no partial row behind.
        const std::vector<std::uint32_t> recorded_epochs = read_uint32s(file_, epoch_path, s);
        const hsize_t recorded = recorded_epochs.size();
        for (const population_stats& p : rows) {
            const std::string nodes = layout::stats_nodes.path_for(p.population);
            if (!exists(file_, nodes, s)) continue;
            if (const hsize_t stored = dataset_rows(file_, nodes, s); stored != p.nodes.size())
                s.reject("population '" + p.population + "' has " + std::to_string(p.nodes.size()) +
                         " nodes, but its earlier rows have " + std::to_string(stored));
            // Rows a killed writer appended without their /stats/epoch entry go first.
            keep_population_rows(file_, p.population, recorded, s);
            keep_population_rule_rows(file_, p.population, recorded_epochs, s);
        }
    } else {
        // Populations listed in the order the run gave them.
        create_group(file_, layout::stats, s, {.ordered = true});
        write_attribute(file_, layout::stats_samples, samples, s);
        write_attribute(file_, layout::stats_split, std::string(split), s);
    }
    (void)open_object(file_, layout::stats, s);
    for (const population_stats& p : rows) {
        if (!exists(file_, layout::stats_population.path_for(p.population), s)) {
            create_group(file_, layout::stats_population, s, {.utf8_name = true}, p.population);
            write_array(file_, layout::stats_nodes, p.nodes, s, p.population);
        }
        (void)open_object(file_, layout::stats_population, s, p.population);
        const hsize_t n = p.nodes.size();
        append_row(file_, layout::stats_activation_rate, p.population, p.activation_rate, {n}, s);
        append_row(file_, layout::stats_entropy, p.population, p.entropy, {n}, s);
        append_row(file_, layout::stats_flips, p.population, p.flips, {n}, s);
        append_row(file_, layout::stats_grad_abs_mean, p.population, p.grad_abs_mean, {n}, s);
        if (!p.sensitivity.empty()) append_row(file_, layout::stats_sensitivity, p.population, p.sensitivity, {n}, s);
        if (!p.entry_usage.empty())
            append_row(file_, layout::stats_entry_usage, p.population, p.entry_usage, {n, hsize_t{1} << p.usage_k}, s);
        if (!p.rules.empty()) append_rule_rows(file_, p, epoch, s);
    }
    // The row index last: a reader trusts only rows /stats/epoch names.
    const std::uint32_t epochs[] = {epoch};
    append_row(file_, layout::stats_epoch, {}, epochs, {}, s);
    flush();
}

std::vector<std::uint32_t> run_file::stats_epochs() const {
    return has(layout::stats.name()) ? reader().stats().epochs : std::vector<std::uint32_t>{};
}

namespace {

// The size of a population of the file's /network, which spikes and
// activity refer to: a population that is not there is refused, naming those that are.
std::uint64_t stored_population_size(const run_reader& r, std::string_view population, const site& s) {
    if (!r.has(layout::network.name()))
        s.reject("the run file has no " + std::string(layout::network.path) +
                 " yet; write the network first, since node ids index its populations");
    std::string names;
    for (const core::population& p : r.populations()) {
        if (p.name == population) return p.nodes.size();
        names += (names.empty() ? "" : ", ") + p.name;
    }
    s.reject("population '" + std::string(population) + "' is not in " + std::string(layout::network_populations.path) +
             " (" + (names.empty() ? std::string("it has none") : "it has: " + names) + ")");
}

// The recording of `population`'s activity, when the file has it.
std::optional<recording> stored_recording(const run_reader& r, std::string_view population) {
    const std::vector<std::string> recorded = r.activity_populations();
    if (std::find(recorded.begin(), recorded.end(), population) == recorded.end()) return std::nullopt;
    return r.activity(population).recording;
}

// Creates the group `g` (/spikes, /activity) unless it exists, tracking creation order.
void ensure_ordered_group(hid_t file, const layout::group& g, const site& s) {
    if (!exists(file, std::string(g.path), s)) create_group(file, g, s, {.ordered = true});
}

}  // namespace

void run_file::write_spikes(std::string_view population, std::span<const std::uint64_t> node_ids,
                            std::span<const double> timestamps_ms) {
    const std::string path = layout::spikes_population.path_for(population);
    const site s{path_.string(), "write " + path};
    check_writable(s.operation);
    check_name(population, "population", s);
    const spike_data spikes{.population = std::string(population),
                            .sorting = layout::spike_sorting::by_time,
                            .node_ids = {node_ids.begin(), node_ids.end()},
                            .timestamps_ms = {timestamps_ms.begin(), timestamps_ms.end()}};
    {
        const run_reader r = reader();
        const std::uint64_t nodes = stored_population_size(r, population, s);
        const std::optional<recording> recorded = stored_recording(r, population);
        if (const std::string problem = spikes_problem(spikes, nodes, recorded ? &*recorded : nullptr);
            !problem.empty())
            s.reject(problem);
    }
    // Lutra's order within a tick, so that the same run writes the same bytes.
    for (std::size_t i = 1; i < node_ids.size(); ++i)
        if (timestamps_ms[i] == timestamps_ms[i - 1] && node_ids[i] <= node_ids[i - 1])
            s.reject("spike " + std::to_string(i) + " (node " + std::to_string(node_ids[i]) +
                     ") follows node " + std::to_string(node_ids[i - 1]) +
                     " at the same time; spikes of one time go in ascending node id, each node once");
    ensure_ordered_group(file_, layout::spikes, s);
    check_absent(file_, path, s);
    create_group(file_, layout::spikes_population, s, {.utf8_name = true}, population);
    write_attribute(file_, layout::spikes_sorting, spikes.sorting, s, population);
    write_array(file_, layout::spikes_timestamps, timestamps_ms, s, population);
    write_attribute(file_, layout::spikes_timestamps_units, std::string(layout::spike_units), s, population);
    write_array(file_, layout::spikes_node_ids, node_ids, s, population);
    flush();
}

std::vector<std::string> run_file::spike_populations() const { return reader().spike_populations(); }

spike_data run_file::read_spikes(std::string_view population) const { return reader().spikes(population); }

void run_file::write_activity(const population_activity& activity) {
    const std::string& population = activity.population;
    const std::string path = layout::activity_population.path_for(population);
    const site s{path_.string(), "write " + path};
    check_writable(s.operation);
    check_name(population, "population", s);
    check_text(activity.recording.engine, "the engine name", s);
    {
        const run_reader r = reader();
        const std::uint64_t nodes = stored_population_size(r, population, s);
        if (const std::string problem = activity_problem(activity, nodes); !problem.empty()) s.reject(problem);
        const std::vector<std::string> spiking = r.spike_populations();
        if (std::find(spiking.begin(), spiking.end(), population) != spiking.end())
            if (const std::string problem = spikes_problem(r.spikes(population), nodes, &activity.recording);
                !problem.empty())
                s.reject("the population's spikes disagree with this recording: " + problem);
    }
    ensure_ordered_group(file_, layout::activity, s);
    check_absent(file_, path, s);
    create_group(file_, layout::activity_population, s, {.utf8_name = true}, population);
    const recording& r = activity.recording;
    write_attribute(file_, layout::activity_ticks, r.ticks, s, population);
    write_attribute(file_, layout::activity_streams, r.streams, s, population);
    write_attribute(file_, layout::activity_tick_ms, r.tick_ms, s, population);
    write_attribute(file_, layout::activity_engine, r.engine, s, population);
    write_array(file_, layout::activity_toggles, activity.toggles, s, population);
    flush();
}

std::vector<std::string> run_file::activity_populations() const { return reader().activity_populations(); }

population_activity run_file::read_activity(std::string_view population) const {
    return reader().activity(population);
}

void run_file::truncate_stats(std::size_t rows) {
    const site s{path_.string(), "truncate " + std::string(layout::stats.path)};
    check_writable(s.operation);
    if (!has(layout::stats.name())) return;
    const run_stats stored = reader().stats();
    if (rows > stored.rows()) s.reject("cannot keep " + std::to_string(rows) + " rows of " + std::to_string(stored.rows()));
    keep_rows(file_, std::string(layout::stats_epoch.path), rows, s);
    const std::span<const std::uint32_t> kept(stored.epochs.data(), rows);
    for (const population_stats& p : stored.populations) {
        keep_population_rows(file_, p.population, rows, s);
        keep_population_rule_rows(file_, p.population, kept, s);
    }
    flush();
}

}  // namespace lutra::runfile
