#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/data/idx.hpp"
#include "lutra/core/random.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using lutra::test::temp_dir;
using lutra::data::idx_array;
using lutra::data::read_idx;
using lutra::data::write_idx;

namespace {

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

idx_array random_array(std::vector<std::uint32_t> dims, std::uint64_t seed) {
    idx_array a{std::move(dims), {}};
    std::size_t total = 1;
    for (auto d : a.dims) total *= d;
    const lutra::counter_rng rng(seed, "test idx");
    for (std::size_t i = 0; i < total; ++i) a.data.push_back(static_cast<std::uint8_t>(rng.at(i)));
    return a;
}

// A header 0x00 0x00 0x08 ndims with big-endian dims, then `payload` bytes.
std::vector<std::uint8_t> idx_bytes(const std::vector<std::uint32_t>& dims, std::size_t payload) {
    std::vector<std::uint8_t> bytes{0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
    for (auto d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(d >> shift));
    bytes.resize(bytes.size() + payload, 7);
    return bytes;
}

// An error's message in doctest's string type, which doctest::Contains matches.
doctest::String what(const std::exception& e) { return e.what(); }

// The io_error read_idx throws for `path`; fails the test if it throws none.
lutra::io_error read_error(const fs::path& path) {
    try {
        (void)read_idx(path);
    } catch (const lutra::io_error& e) {
        return e;
    }
    FAIL("read_idx accepted " << path.string());
    return {"", "", ""};
}

}  // namespace

TEST_CASE("idx: plain and gzip files round-trip through write_idx and read_idx") {
    temp_dir dir;
    for (const auto& dims : std::vector<std::vector<std::uint32_t>>{{17}, {3, 4, 5}, {2, 3, 4, 5}}) {
        const idx_array a = random_array(dims, dims.size());
        write_idx(dir.path / "plain", a, false);
        write_idx(dir.path / "packed", a, true);

        const std::vector<std::uint8_t> plain = read_bytes(dir.path / "plain");
        REQUIRE(plain.size() == 4 + 4 * dims.size() + a.data.size());
        CHECK(plain[0] == 0x00);
        CHECK(plain[1] == 0x00);
        CHECK(plain[2] == 0x08);
        CHECK(plain[3] == dims.size());
        CHECK(plain[7] == dims[0]);  // big-endian: the low byte of dims[0] comes last
        const std::vector<std::uint8_t> packed = read_bytes(dir.path / "packed");
        REQUIRE(packed.size() >= 2);
        CHECK(packed[0] == 0x1f);
        CHECK(packed[1] == 0x8b);

        for (const char* name : {"plain", "packed"}) {
            const idx_array b = read_idx(dir.path / name);
            CHECK(b.dims == a.dims);
            CHECK(b.data == a.data);
        }
    }
}

TEST_CASE("idx: gzip is recognised by its magic, not by the file name") {
    temp_dir dir;
    const idx_array a = random_array({6, 7}, 3);
    write_idx(dir.path / "compressed.idx", a, true);
    write_idx(dir.path / "uncompressed.gz", a, false);
    CHECK(read_idx(dir.path / "compressed.idx").data == a.data);
    CHECK(read_idx(dir.path / "uncompressed.gz").data == a.data);
}

TEST_CASE("idx: a truncated payload is rejected with the byte counts and dims") {
    temp_dir dir;
    const fs::path file = dir.path / "short-idx2-ubyte";
    write_bytes(file, idx_bytes({10, 10}, 50));
    const lutra::io_error e = read_error(file);
    CHECK(e.file == file.string());
    CHECK(e.operation == "read IDX data");
    CHECK(what(e) == doctest::Contains(file.string().c_str()));
    CHECK(what(e) == doctest::Contains("file ends after 50 of 100 data bytes (dims 10×10)"));
}

TEST_CASE("idx: a truncated gzip stream is rejected") {
    temp_dir dir;
    const fs::path file = dir.path / "cut.gz";
    write_idx(file, random_array({100, 100}, 4), true);  // random bytes do not compress: ~10 kB
    fs::resize_file(file, fs::file_size(file) / 2);
    const doctest::String message = what(read_error(file));
    CHECK(message == doctest::Contains(file.string().c_str()));
    CHECK(message == doctest::Contains("file ends after "));
    CHECK(message == doctest::Contains(" of 10000 data bytes (dims 100×100)"));
    CHECK(message == doctest::Contains("(dims 100×100); gzip: unexpected end of file"));
}

TEST_CASE("idx: corrupt gzip data is rejected") {
    temp_dir dir;
    const fs::path file = dir.path / "corrupt.gz";
    write_idx(file, random_array({50, 50}, 5), true);
    std::vector<std::uint8_t> bytes = read_bytes(file);
    bytes[bytes.size() - 6] ^= 0xFF;  // inside the trailing CRC-32
    write_bytes(file, bytes);
    const doctest::String message = what(read_error(file));
    CHECK(message == doctest::Contains(file.string().c_str()));
    CHECK(message == doctest::Contains("cannot read: incorrect data check"));
}

TEST_CASE("idx: bytes after the payload are rejected") {
    temp_dir dir;
    const fs::path file = dir.path / "long";
    write_bytes(file, idx_bytes({10, 10}, 103));
    const doctest::String message = what(read_error(file));
    CHECK(message == doctest::Contains(file.string().c_str()));
    CHECK(message == doctest::Contains("file has 3 bytes after the 100 data bytes (dims 10×10)"));
}

TEST_CASE("idx: malformed headers are rejected with what is wrong") {
    temp_dir dir;
    const fs::path file = dir.path / "bad";
    const auto message_for = [&](const std::vector<std::uint8_t>& bytes) {
        write_bytes(file, bytes);
        const lutra::io_error e = read_error(file);
        CHECK(e.file == file.string());
        CHECK(e.operation == "read IDX header");
        return what(e);
    };

    CHECK(message_for({}) == doctest::Contains("file is empty"));
    CHECK(message_for({0, 0}) == doctest::Contains("file ends after 2 of 4 magic bytes"));
    CHECK(message_for({0x12, 0x34, 0x08, 0x01}) ==
          doctest::Contains("magic bytes 0x12 0x34 0x08 0x01 are not an IDX header"));
    CHECK(message_for({0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0}) ==
          doctest::Contains("data type 0x0D (32-bit float) is not supported; only 0x08 (unsigned byte) is"));
    CHECK(message_for({0, 0, 0x08, 0}) == doctest::Contains("ndims 0 is out of range 1..4"));
    CHECK(message_for({0, 0, 0x08, 5}) == doctest::Contains("ndims 5 is out of range 1..4"));
    CHECK(message_for({0, 0, 0x08, 3, 0, 0, 0, 1, 0, 0}) == doctest::Contains("file ends after 10 of 16 header bytes"));
    CHECK(message_for(idx_bytes({3, 0}, 0)) == doctest::Contains("dimension 1 is zero (dims 3×0)"));
    CHECK(message_for(idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, 0)) ==
          doctest::Contains("dims 4294967295×4294967295×4294967295 describe more than 2^64 bytes"));
}

TEST_CASE("idx: a missing file is rejected") {
    temp_dir dir;
    const fs::path file = dir.path / "train-images-idx3-ubyte";
    const lutra::io_error e = read_error(file);
    CHECK(e.operation == "open");
    CHECK(std::string(e.what()) == file.string() + ": open: no such file");
}

TEST_CASE("idx: write_idx rejects dims that do not match the data") {
    temp_dir dir;
    const fs::path file = dir.path / "out";
    CHECK_THROWS_WITH_AS(write_idx(file, idx_array{{2, 3}, std::vector<std::uint8_t>(5)}, false),
                         doctest::Contains("dims 2×3 do not match the 5 data bytes"), lutra::io_error);
    CHECK_THROWS_WITH_AS(write_idx(file, idx_array{{}, {}}, false), doctest::Contains("ndims 0 is out of range 1..4"),
                         lutra::io_error);
    CHECK_THROWS_WITH_AS(write_idx(file, idx_array{{2, 0}, {}}, true), doctest::Contains("dimension 1 is zero"),
                         lutra::io_error);
    CHECK_THROWS_WITH_AS(write_idx(dir.path / "no-such-dir" / "out", idx_array{{1}, {9}}, false),
                         doctest::Contains("open for writing"), lutra::io_error);
}
