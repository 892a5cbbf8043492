#include <doctest/doctest.h>
#include <hdf5.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/runfile/run_reader.hpp"
#include "support/hdf5_run_file.hpp"

using namespace lutra;
using namespace lutra::runfile;
namespace fs = std::filesystem;

namespace {

// The message of the io_error `f` throws; fails the test if it throws none.
template <class F>
std::string io_error_of(F f) {
    try {
        f();
    } catch (const io_error& e) {
        return e.what();
    }
    FAIL("no io_error thrown");
    return {};
}

}  // namespace

// The file is of format_version 1, as Lutra wrote before checksums: HDF5's
// default (1.8-compatible) format, variable-length strings, scalar texts,
// contiguous arrays. Such files are still read.
TEST_CASE("run_reader: reads a run file written with the HDF5 C API") {
    const test_dir dir("reader-valid");
    const fs::path file = dir.path / "run.h5";
    write_run_file(file, {});
    const run_reader reader(dir.path);  // a run directory names its run.h5
    CHECK(reader.path() == file);
    const stored_attributes a = reader.attributes();
    CHECK(a.format_version == 1);
    CHECK(a.lutra_version == "0.1.0");
    CHECK(a.seed == 7);
    CHECK(a.genome_hash == "00112233aabbccdd");
    CHECK(reader.read_text("config") == "name: old\n");

    const core::network net = reader.network();
    CHECK(net.num_inputs() == 2);
    CHECK(net.num_nodes() == 3);
    CHECK(net.table_bit(0, 3));
    CHECK(net.head().num_classes == 1);
    CHECK(net.head().outputs == std::vector<std::uint32_t>{2});

    const std::vector<core::population> pops = reader.populations();
    REQUIRE(pops.size() == 2);
    CHECK(pops[0].name == "zeta");  // creation order, not name order
    CHECK(pops[0].nodes == std::vector<std::uint32_t>{0, 1});
    CHECK(pops[1].name == "alpha");
    CHECK(pops[1].nodes == std::vector<std::uint32_t>{2});

    const std::vector<metrics_row> m = reader.metrics();
    REQUIRE(m.size() == 4);
    CHECK(m[1].epoch == 0);
    CHECK(m[1].split == "test");
    CHECK(m[3].epoch == 1);
    CHECK(m[3].accuracy == doctest::Approx(0.75));
    CHECK(m[3].loss == doctest::Approx(0.5));
}

TEST_CASE("run_reader: every bad file is an io_error naming the file and the problem") {
    const test_dir dir("reader-bad");

    SUBCASE("no such file") {
        const fs::path file = dir.path / "absent.h5";
        const std::string e = io_error_of([&] { run_reader r(file); });
        CHECK(e.find(file.string()) == 0);
        CHECK(e.find("no such file") != std::string::npos);
        // A directory without run.h5 names the run.h5 it looked for.
        CHECK(io_error_of([&] { run_reader r(dir.path); }).find("run.h5: open run file: no such file") !=
              std::string::npos);
    }
    SUBCASE("not HDF5") {
        const fs::path file = dir.path / "text.h5";
        std::ofstream(file) << "epoch,loss\n1,0.5\n";
        CHECK(io_error_of([&] { run_reader r(file); }).find("not an HDF5 file") != std::string::npos);
        const fs::path empty = dir.path / "empty.h5";
        std::ofstream{empty};
        CHECK(io_error_of([&] { run_reader r(empty); }).find("not an HDF5 file") != std::string::npos);
    }
    SUBCASE("truncated") {
        const fs::path file = dir.path / "run.h5";
        write_run_file(file, {});
        fs::resize_file(file, fs::file_size(file) / 2);
        const std::string e = io_error_of([&] {
            run_reader r(file);
            (void)r.network();
            (void)r.metrics();
        });
        CHECK(e.find(file.string()) == 0);
        CHECK((e.find("truncated") != std::string::npos || e.find("HDF5") != std::string::npos));
    }
    SUBCASE("foreign HDF5") {
        const fs::path file = dir.path / "foreign.h5";
        write_run_file(file, {.format = ""});
        CHECK(io_error_of([&] { run_reader r(file); }).find("not a Lutra run file: it has no /@format attribute") !=
              std::string::npos);
        const fs::path other = dir.path / "other.h5";
        write_run_file(other, {.format = "something-else"});
        CHECK(io_error_of([&] { run_reader r(other); }).find("/@format is \"something-else\"") != std::string::npos);
    }
    SUBCASE("newer format_version") {
        const fs::path file = dir.path / "newer.h5";
        write_run_file(file, {.format_version = 3});
        CHECK(io_error_of([&] {
                  run_reader r(file);
              }).find("written by a newer Lutra (format_version 3; this one reads up to 2)") != std::string::npos);
        // Version 2 promises HDF5's checksummed format, which this file lacks.
        const fs::path unchecked = dir.path / "unchecked.h5";
        write_run_file(unchecked, {.format_version = 2});
        CHECK(io_error_of([&] { run_reader r(unchecked); })
                  .find("format_version 2 files are in HDF5's checksummed format (superblock version 3), but this "
                        "one has superblock version 0") != std::string::npos);
    }
    SUBCASE("missing dataset") {
        const fs::path file = dir.path / "no-tables.h5";
        write_run_file(file, {.tables = false});
        // A file in HDF5's old format is read whole before it is opened, so
        // what is missing anywhere is refused at the open already.
        CHECK(io_error_of([&] { (void)run_reader(file).network(); }) ==
              file.string() + ": read /network: missing /network/tables");
        const fs::path no_metrics = dir.path / "no-metrics.h5";
        write_run_file(no_metrics, {.metrics = false});
        CHECK(io_error_of([&] { (void)run_reader(no_metrics).metrics(); }).find("missing /metrics") !=
              std::string::npos);
    }
    SUBCASE("sizes that disagree and an invalid network") {
        const fs::path file = dir.path / "short.h5";
        write_run_file(file, {.short_sources = true});
        CHECK(io_error_of([&] {
                  (void)run_reader(file).network();
              }).find("/network/sources has 5 entries, expected 6") != std::string::npos);
        const fs::path bad = dir.path / "bad-source.h5";
        write_run_file(bad, {.bad_source = true});
        CHECK(io_error_of([&] { (void)run_reader(bad).network(); }).find("invalid network") != std::string::npos);
    }
}
