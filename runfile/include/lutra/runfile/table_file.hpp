#pragma once
// A table as an HDF5 file of columns: one group holding one 1-D dataset per
// column, all of the same length, so that
//     pandas.DataFrame({k: f[group][k][()] for k in f[group]})
// rebuilds it (the group tracks creation order: h5py lists the columns in
// table order). `lutra sweep collect` writes its points.h5 with it.
//
// Types: float64 (NaN for a missing value), int64, and variable-length
// UTF-8 strings (h5py reads them as bytes; `.asstr()[()]` gives str). The
// file is written with HDF5's 1.10 format, checksummed metadata, as run.h5
// is; it is not published by this function (write it into a
// directory_publication's staging directory).

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lutra::runfile {

struct table_column {
    std::string name;  // the dataset's name: UTF-8, not empty, no '/', not "." or ".."; unique in the table
    std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>> values;
    [[nodiscard]] std::size_t size() const;
};

// A scalar attribute of the group.
struct table_attribute {
    std::string name;
    std::variant<double, std::int64_t, std::string> value;
};

// `text` as valid UTF-8 without NUL: every byte that is not part of a valid
// UTF-8 sequence, and every NUL, becomes U+FFFD. Tables store texts this way
// (a point's failure reason may quote any bytes).
[[nodiscard]] std::string valid_utf8(std::string_view text);

// Creates `path` (replacing a file there) holding /<group> with the columns,
// in order, and the attributes. A column name that cannot be a dataset name,
// a duplicate, or columns of different lengths are a lutra::error naming
// the column; HDF5 failures a lutra::io_error naming the file.
void write_table_file(const std::filesystem::path& path, std::string_view group, std::span<const table_column> columns,
                      std::span<const table_attribute> attributes);

}  // namespace lutra::runfile
