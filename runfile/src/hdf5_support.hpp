#pragma once
// The HDF5 plumbing shared by the run file's one reader (run_reader) and its
// writer (run_file): errors that name the file, the operation and HDF5's own
// reason; owned ids; layout::dtype as HDF5 types, the /metrics row among
// them; path lookups that name the first missing component.
//
// Private to lutra::runfile: it includes <hdf5.h>, which no public header
// does (no HDF5 type leaks into Lutra's interfaces).

#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "lutra/core/error.hpp"
#include "lutra/runfile/layout.hpp"

namespace lutra::runfile::hdf5 {

// The length of the valid UTF-8 sequence starting at text[i] (1..4), or 0.
inline std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) return 1;
    // Ranges of the second byte exclude overlong forms, surrogates and code points above U+10FFFF.
    std::size_t length = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) lo = 0xA0;
        if (lead == 0xED) hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) lo = 0x90;
        if (lead == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (text.size() - i < length) return 0;
    for (std::size_t j = 1; j < length; ++j) {
        const auto c = static_cast<unsigned char>(text[i + j]);
        if (c < (j == 1 ? lo : 0x80) || c > (j == 1 ? hi : 0xBF)) return 0;
    }
    return length;
}

// HDF5 prints its error stack to stderr by default; Lutra turns every failure
// into an exception instead, adding HDF5's innermost message. Called before
// any other HDF5 call of Lutra's.
//
// It also keeps HDF5 from tearing itself down at exit. When a disk fills,
// H5Fclose fails to flush and HDF5 (1.10 to 1.14.0) leaves the half-closed
// file in its table; its exit handler then closes it again and dies with
// SIGSEGV (HDFGroup/hdf5#2291). Every id Lutra opens is closed by its owner,
// so the teardown has nothing to do but free memory at exit.
inline void silence() {
    static const bool silenced = H5dont_atexit() >= 0 && H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
    (void)silenced;
}

// HDF5's most specific message about the last failure, as " (HDF5: ...)":
// the system's own error when some record carries one (a failed write's
// "No space left on device" may sit in any of the chains HDF5 reports, not
// just the innermost), otherwise the innermost description.
inline std::string reason() {
    struct found {
        std::string innermost;
        std::string system;  // a record with the operating system's error message
    } f;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
            auto& into = *static_cast<found*>(out);
            if (e->desc == nullptr) return 0;
            const std::string desc = e->desc;
            if (n == 0) into.innermost = desc;
            if (into.system.empty() && desc.find("error message = '") != std::string::npos) into.system = desc;
            return 0;
        },
        &f);
    H5Eclear2(H5E_DEFAULT);
    std::string message = f.innermost;
    // A failed write's description is a long record; its system message
    // ("No space left on device") is what the user needs.
    if (!f.system.empty()) {
        const std::string marker = "error message = '";
        const std::size_t from = f.system.find(marker) + marker.size();
        const std::size_t to = f.system.find('\'', from);
        message = f.system.substr(0, f.system.find(':')) + ": " + f.system.substr(from, to - from);
    }
    return message.empty() ? std::string() : " (HDF5: " + message + ")";
}

// What is being done to which file: every error names both.
struct site {
    std::string file;
    std::string operation;  // e.g. "read /network"

    // The file or its content is at fault.
    [[noreturn]] void fail(const std::string& detail) const { throw io_error(file, operation, detail); }
    // HDF5 reported a failure of `what`.
    [[noreturn]] void fail_hdf5(const std::string& what) const { fail(what + reason()); }
    // The caller passed something that cannot be stored.
    [[noreturn]] void reject(const std::string& detail) const { throw error(file + ": " + operation + ": " + detail); }
};

// Owns one HDF5 id and closes it with the function for its kind.
class handle {
public:
    handle() = default;
    handle(hid_t id, herr_t (*close)(hid_t)) noexcept : id_(id), close_(close) {}
    handle(handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
    handle& operator=(handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
            close_ = other.close_;
        }
        return *this;
    }
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;
    ~handle() { reset(); }

    [[nodiscard]] hid_t get() const noexcept { return id_; }
    // Gives up ownership: the caller closes the id.
    [[nodiscard]] hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }

private:
    void reset() noexcept {
        if (id_ >= 0) close_(id_);
        id_ = H5I_INVALID_HID;
    }
    hid_t id_ = H5I_INVALID_HID;
    herr_t (*close_)(hid_t) = nullptr;
};

inline handle checked(hid_t id, herr_t (*close)(hid_t), const site& s, const std::string& what) {
    if (id < 0) s.fail_hdf5(what);
    return {id, close};
}

inline void checked(herr_t status, const site& s, const std::string& what) {
    if (status < 0) s.fail_hdf5(what);
}

// How every run file is opened and created. Format versions 1.10 of HDF5
// (superblock 3, object headers 2, the 1.10 chunk indexes) checksum every
// piece of metadata, so damage is refused before HDF5 parses it; h5py and
// h5dump of HDF5 >= 1.10 read them. Such a file keeps an "open for writing"
// flag in its superblock while a writer has it open, which a killed run
// leaves set; HDF5 then refuses to open it until h5clear. A run file is
// readable whatever point its writer was killed at (docs/run-file.md), so the
// flag is cleared on opening, in memory only when reading, as h5clear does
// (HDF5's property for it is the one h5clear sets). A writer alive elsewhere
// still holds HDF5's file lock, which refuses this open.
inline handle file_access(const site& s) {
    const std::string what = "make file access properties";
    handle fapl = checked(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, s, what);
    checked(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110), s, what);
    hbool_t clear_status_flags = true;
    checked(H5Pset(fapl.get(), "clear_status_flags", &clear_status_flags), s, what);
    return fapl;
}

// A numeric dtype as HDF5's type in memory (native) or in the file
// (little-endian); strings and compounds need string_type and metrics_type.
inline hid_t numeric_type(layout::dtype t, bool in_file) {
    using layout::dtype;
    switch (t) {
        case dtype::uint8:
            return in_file ? H5T_STD_U8LE : H5T_NATIVE_UINT8;
        case dtype::uint16:
            return in_file ? H5T_STD_U16LE : H5T_NATIVE_UINT16;
        case dtype::uint32:
            return in_file ? H5T_STD_U32LE : H5T_NATIVE_UINT32;
        case dtype::uint64:
            return in_file ? H5T_STD_U64LE : H5T_NATIVE_UINT64;
        case dtype::float32:
            return in_file ? H5T_IEEE_F32LE : H5T_NATIVE_FLOAT;
        case dtype::float64:
            return in_file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
        default:
            throw internal_error("hdf5::numeric_type: " + layout::to_string(t) + " is not numeric");
    }
}

// The numeric element type T of a dataset or attribute, in memory and in the file.
template <class T>
hid_t memory_type() {
    return numeric_type(layout::dtype_of<T>, false);
}
template <class T>
hid_t file_type() {
    return numeric_type(layout::dtype_of<T>, true);
}

// A string dtype as an HDF5 type, the same in memory and in the file:
// UTF-8 text of `bytes` bytes (string) or split_bytes of ASCII
// (fixed_string), NUL-padded. Texts are stored with the length of each text
// (at least 1: HDF5 has no empty fixed-length string), so that they sit in
// checksummed object headers and chunks, not in HDF5's global heap, which has
// no checksum (format_version 1 stored them variable-length, there).
inline handle string_type(layout::dtype t, const site& s, std::size_t bytes = 0) {
    const std::string what = "make a string type";
    handle type = checked(H5Tcopy(H5T_C_S1), H5Tclose, s, what);
    if (t == layout::dtype::string) {
        checked(H5Tset_size(type.get(), std::max<std::size_t>(bytes, 1)), s, what);
        checked(H5Tset_cset(type.get(), H5T_CSET_UTF8), s, what);
    } else if (t == layout::dtype::fixed_string) {
        checked(H5Tset_size(type.get(), layout::split_bytes), s, what);
    } else {
        throw internal_error("hdf5::string_type: " + layout::to_string(t) + " is not a string");
    }
    checked(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), s, what);
    return type;
}

// One /metrics row in memory.
struct metrics_record {
    std::uint32_t epoch;
    std::array<char, layout::split_bytes> split;
    double loss;
    double accuracy;
    double seconds;
};
// Where each of layout::metrics_members sits in metrics_record.
inline constexpr std::array<std::size_t, layout::metrics_members.size()> metrics_record_offsets{
    offsetof(metrics_record, epoch), offsetof(metrics_record, split), offsetof(metrics_record, loss),
    offsetof(metrics_record, accuracy), offsetof(metrics_record, seconds)};

// The /metrics row as an HDF5 compound: in memory (metrics_record) or in the
// file (packed, little-endian, layout::metrics_row_bytes). HDF5 converts
// between the two member by member, by name.
inline handle metrics_type(bool in_file, const site& s) {
    const std::string what = "make the metrics type";
    handle type = checked(H5Tcreate(H5T_COMPOUND, in_file ? layout::metrics_row_bytes : sizeof(metrics_record)),
                          H5Tclose, s, what);
    for (std::size_t i = 0; i < layout::metrics_members.size(); ++i) {
        const layout::member& m = layout::metrics_members[i];
        const std::size_t offset = in_file ? m.offset : metrics_record_offsets[i];
        const std::string name(m.name);
        if (m.type == layout::dtype::fixed_string)
            checked(H5Tinsert(type.get(), name.c_str(), offset, string_type(m.type, s).get()), s, what);
        else
            checked(H5Tinsert(type.get(), name.c_str(), offset, numeric_type(m.type, in_file)), s, what);
    }
    return type;
}

// SONATA's spike sorting as an HDF5 enum over uint8: in memory (native) or
// in the file (little-endian), members layout::sorting_names with their
// values. HDF5 converts enums member by member, by name.
inline handle sorting_type(bool in_file, const site& s) {
    const std::string what = "make the sorting type";
    handle type = checked(H5Tenum_create(in_file ? H5T_STD_U8LE : H5T_NATIVE_UINT8), H5Tclose, s, what);
    for (std::size_t v = 0; v < layout::sorting_names.size(); ++v) {
        const std::uint8_t value = static_cast<std::uint8_t>(v);
        checked(H5Tenum_insert(type.get(), std::string(layout::sorting_names[v]).c_str(), &value), s, what);
    }
    return type;
}

// Whether a link exists at `path` (its parent groups must).
inline bool exists(hid_t file, const std::string& path, const site& s) {
    const htri_t e = H5Lexists(file, path.c_str(), H5P_DEFAULT);
    if (e < 0) s.fail_hdf5("cannot look up " + path);
    return e > 0;
}

// Opens the object at an absolute path, checking each component so that a
// missing one is named, and its kind (group or dataset).
inline handle open_object(hid_t file, const std::string& path, H5I_type_t kind, const site& s) {
    for (std::size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
        const std::string prefix = path.substr(0, end);
        const htri_t found = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
        if (found < 0) s.fail_hdf5("cannot look up " + prefix);
        if (found == 0) s.fail("missing " + prefix);
        if (end == std::string::npos) break;
    }
    handle object = checked(H5Oopen(file, path.c_str(), H5P_DEFAULT), H5Oclose, s, "cannot open " + path);
    const H5I_type_t found = H5Iget_type(object.get());
    if (found != kind) {
        const auto noun = [](H5I_type_t t) {
            return t == H5I_GROUP ? "a group" : t == H5I_DATASET ? "a dataset" : "a named datatype";
        };
        s.fail(path + " is " + noun(found) + ", expected " + noun(kind));
    }
    return object;
}

// Opens a group or dataset of the layout, its "<population>" filled in.
inline handle open_object(hid_t file, const layout::object& o, const site& s, std::string_view population = {}) {
    return open_object(file, o.path_for(population), o.kind == layout::kind::group ? H5I_GROUP : H5I_DATASET, s);
}

}  // namespace lutra::runfile::hdf5
