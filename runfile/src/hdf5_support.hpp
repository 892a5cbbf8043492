#pragma once
// The HDF5 plumbing shared by the run file's one reader (run_reader) and its
// writer (run_file): errors that name the file, the operation and HDF5's own
// reason; owned ids; the stored element types; path lookups that name the
// first missing component.
//
// Private to lutra::runfile: it includes <hdf5.h>, which no public header
// does (no HDF5 type leaks into Lutra's interfaces).

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "lutra/core/error.hpp"

namespace lutra::runfile::hdf5 {

inline constexpr std::string_view format_name = "lutra-run";  // /@format
inline constexpr std::size_t split_bytes = 16;                 // /metrics split: fixed-length, NUL-padded

// HDF5 prints its error stack to stderr by default; Lutra turns every failure
// into an exception instead, adding HDF5's innermost message.
inline void silence() {
    static const bool silenced = H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
    (void)silenced;
}

// HDF5's most specific message about the last failure, as " (HDF5: ...)".
inline std::string reason() {
    std::string innermost;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
            if (n == 0 && e->desc != nullptr) *static_cast<std::string*>(out) = e->desc;
            return 0;
        },
        &innermost);
    H5Eclear2(H5E_DEFAULT);
    return innermost.empty() ? std::string() : " (HDF5: " + innermost + ")";
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

// The stored element types: in memory, in the file, and in the words of
// docs/run-file.md.
template <class T>
struct element;
template <>
struct element<std::uint8_t> {
    static hid_t memory() { return H5T_NATIVE_UINT8; }
    static hid_t file() { return H5T_STD_U8LE; }
    static constexpr std::string_view name = "uint8";
};
template <>
struct element<std::uint16_t> {
    static hid_t memory() { return H5T_NATIVE_UINT16; }
    static hid_t file() { return H5T_STD_U16LE; }
    static constexpr std::string_view name = "uint16";
};
template <>
struct element<std::uint32_t> {
    static hid_t memory() { return H5T_NATIVE_UINT32; }
    static hid_t file() { return H5T_STD_U32LE; }
    static constexpr std::string_view name = "uint32";
};
template <>
struct element<std::uint64_t> {
    static hid_t memory() { return H5T_NATIVE_UINT64; }
    static hid_t file() { return H5T_STD_U64LE; }
    static constexpr std::string_view name = "uint64";
};
template <>
struct element<float> {
    static hid_t memory() { return H5T_NATIVE_FLOAT; }
    static hid_t file() { return H5T_IEEE_F32LE; }
    static constexpr std::string_view name = "float32";
};

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

}  // namespace lutra::runfile::hdf5
