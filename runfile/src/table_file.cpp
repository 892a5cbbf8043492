#include "lutra/runfile/table_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <system_error>

#include "hdf5_support.hpp"
#include "lutra/core/error.hpp"

namespace lutra::runfile {

namespace {

using namespace hdf5;

handle utf8_string_type(const site& s) {
    const std::string what = "make a string type";
    handle type = checked(H5Tcopy(H5T_C_S1), H5Tclose, s, what);
    checked(H5Tset_size(type.get(), H5T_VARIABLE), s, what);
    checked(H5Tset_cset(type.get(), H5T_CSET_UTF8), s, what);
    return type;
}

handle utf8_link_properties(const site& s) {
    handle lcpl = checked(H5Pcreate(H5P_LINK_CREATE), H5Pclose, s, "make link properties");
    checked(H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8), s, "make link properties");
    return lcpl;
}

void write_column(hid_t group, const table_column& c, const site& s) {
    const std::string what = "cannot write column " + c.name;
    const hsize_t size = c.size();
    const handle space = checked(H5Screate_simple(1, &size, nullptr), H5Sclose, s, what);
    const handle lcpl = utf8_link_properties(s);
    std::visit(
        [&](const auto& values) {
            using T = typename std::decay_t<decltype(values)>::value_type;
            handle file_type;
            hid_t stored = 0;
            hid_t memory = 0;
            if constexpr (std::is_same_v<T, std::string>) {
                file_type = utf8_string_type(s);
                stored = memory = file_type.get();
            } else if constexpr (std::is_same_v<T, double>) {
                stored = H5T_IEEE_F64LE;
                memory = H5T_NATIVE_DOUBLE;
            } else {
                stored = H5T_STD_I64LE;
                memory = H5T_NATIVE_INT64;
            }
            const handle dataset =
                checked(H5Dcreate2(group, c.name.c_str(), stored, space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                        H5Dclose, s, what);
            if (values.empty()) return;
            if constexpr (std::is_same_v<T, std::string>) {
                std::vector<std::string> texts;
                std::vector<const char*> pointers;
                for (const std::string& v : values) texts.push_back(valid_utf8(v));
                for (const std::string& t : texts) pointers.push_back(t.c_str());
                checked(H5Dwrite(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), s, what);
            } else {
                checked(H5Dwrite(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), s, what);
            }
        },
        c.values);
}

void write_attribute(hid_t group, const table_attribute& a, const site& s) {
    const std::string what = "cannot write attribute " + a.name;
    const handle space = checked(H5Screate(H5S_SCALAR), H5Sclose, s, what);
    std::visit(
        [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::string>) {
                const handle type = utf8_string_type(s);
                const std::string text = valid_utf8(value);
                const char* pointer = text.c_str();
                const handle id =
                    checked(H5Acreate2(group, a.name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                            H5Aclose, s, what);
                checked(H5Awrite(id.get(), type.get(), &pointer), s, what);
            } else {
                const bool real = std::is_same_v<T, double>;
                const handle id = checked(H5Acreate2(group, a.name.c_str(), real ? H5T_IEEE_F64LE : H5T_STD_I64LE,
                                                     space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                          H5Aclose, s, what);
                checked(H5Awrite(id.get(), real ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64, &value), s, what);
            }
        },
        a.value);
}

}  // namespace

std::size_t table_column::size() const {
    return std::visit([](const auto& v) { return v.size(); }, values);
}

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = text[i] == '\0' ? 0 : utf8_sequence(text, i);
        if (length == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
            ++i;
            continue;
        }
        out.append(text.substr(i, length));
        i += length;
    }
    return out;
}

void write_table_file(const std::filesystem::path& path, std::string_view group, std::span<const table_column> columns,
                      std::span<const table_attribute> attributes) {
    silence();
    const site s{path.string(), "write table /" + std::string(group)};
    const auto bad_name = [](std::string_view name) {
        return name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
               valid_utf8(name) != name;
    };
    if (bad_name(group)) s.reject("'" + std::string(group) + "' cannot be a group name");
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const table_column& c = columns[i];
        if (bad_name(c.name))
            s.reject("column '" + c.name + "' cannot be a dataset name (empty, '.', '..' or with '/')");
        if (c.size() != columns.front().size())
            s.reject("column " + c.name + " has " + std::to_string(c.size()) + " rows, column " + columns.front().name +
                     " " + std::to_string(columns.front().size()));
        for (std::size_t j = 0; j < i; ++j)
            if (columns[j].name == c.name) s.reject("two columns are named " + c.name);
    }
    std::error_code ec;
    std::filesystem::remove(path, ec);
    const handle access = file_access(s);
    const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, access.get());
    if (id < 0) s.fail_hdf5("cannot create the file");
    try {
        handle file(id, H5Fclose);
        // Creation order tracked, so h5py lists the columns in table order.
        const handle gcpl = checked(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, s, "make group properties");
        checked(H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), s,
                "make group properties");
        const std::string name(group);
        const handle g = checked(H5Gcreate2(id, name.c_str(), utf8_link_properties(s).get(), gcpl.get(), H5P_DEFAULT),
                                 H5Gclose, s, "cannot create group /" + name);
        for (const table_column& c : columns) write_column(g.get(), c, s);
        for (const table_attribute& a : attributes) write_attribute(g.get(), a, s);
        checked(H5Fflush(id, H5F_SCOPE_GLOBAL), s, "flush the file");
        checked(H5Fclose(file.release()), s, "close the file");
    } catch (...) {
        std::filesystem::remove(path, ec);
        throw;
    }
}

}  // namespace lutra::runfile
