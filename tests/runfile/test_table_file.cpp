// Tables of columns in HDF5 (table_file.hpp): what cannot be stored is
// refused naming the column, texts are stored as valid UTF-8, and the
// columns come back in table order with their types.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <cmath>
#include <string>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/runfile/table_file.hpp"
#include "support/temp_dir.hpp"

using namespace lutra;
using runfile::table_column;

namespace {

// The names of /t's links in the order HDF5 lists them by creation.
std::vector<std::string> column_order(const std::filesystem::path& file) {
    std::vector<std::string> names;
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    H5Literate_by_name(
        f, "/t", H5_INDEX_CRT_ORDER, H5_ITER_INC, nullptr,
        [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
            static_cast<std::vector<std::string>*>(out)->emplace_back(name);
            return 0;
        },
        &names, H5P_DEFAULT);
    H5Fclose(f);
    return names;
}

}  // namespace

TEST_CASE("table file: valid_utf8 replaces what is not UTF-8, and NUL") {
    CHECK(runfile::valid_utf8("plain, \"quoted\"\nä") == "plain, \"quoted\"\nä");
    CHECK(runfile::valid_utf8(std::string("a\xff"
                                          "b",
                                          3)) ==
          "a\xEF\xBF\xBD"
          "b");
    CHECK(runfile::valid_utf8(std::string("a\0b", 3)) ==
          "a\xEF\xBF\xBD"
          "b");
    CHECK(runfile::valid_utf8("\xC3") == "\xEF\xBF\xBD");  // a sequence cut short
}

TEST_CASE("table file: columns in table order, with their types; bad tables refused") {
    const lutra::test::temp_dir dir("lutra-test-table-file");
    const auto file = dir.path / "t.h5";
    std::vector<table_column> columns = {
        {"zeta", std::vector<std::int64_t>{3, -1}},
        {"a.b", std::vector<double>{0.5, std::nan("")}},
        {"text", std::vector<std::string>{"x", std::string("bad\xff", 4)}},
    };
    runfile::write_table_file(file, "t", columns, {{{"metric", std::string("a.b")}, {"best", std::int64_t{-1}}}});
    CHECK(column_order(file) == std::vector<std::string>{"zeta", "a.b", "text"});  // not sorted by name

    SUBCASE("unequal lengths") {
        columns[1].values = std::vector<double>{1.0};
        CHECK_THROWS_WITH_AS(runfile::write_table_file(file, "t", columns, {}),
                             doctest::Contains("column a.b has 1 rows, column zeta 2"), lutra::error);
    }
    SUBCASE("a duplicate name") {
        columns[2].name = "zeta";
        CHECK_THROWS_WITH_AS(runfile::write_table_file(file, "t", columns, {}),
                             doctest::Contains("two columns are named zeta"), lutra::error);
    }
    SUBCASE("a name with '/'") {
        columns[0].name = "a/b";
        CHECK_THROWS_WITH_AS(runfile::write_table_file(file, "t", columns, {}),
                             doctest::Contains("column 'a/b' cannot be a dataset name"), lutra::error);
    }
}
