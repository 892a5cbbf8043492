// core/publish.hpp: files and directories appear whole or not at all, a
// killed writer's temporary never blocks the next attempt, and a reader
// refuses a directory whose COMPLETE mark is missing or does not match.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "lutra/core/error.hpp"
#include "lutra/core/publish.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace lutra;
using namespace lutra::core;

namespace {

std::string read(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string error_of(auto&& action) {
    try {
        action();
    } catch (const io_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("publish_file: replaces the content whole; on failure the old content stays and no temporary is left") {
    const lutra::test::temp_dir dir("lutra-test-publish");
    const fs::path file = dir.path / "out.txt";
    publish_file(file, "first\n");
    CHECK(read(file) == "first\n");
    publish_file(file, "second, longer\n");
    CHECK(read(file) == "second, longer\n");
    CHECK(partial_path(file) == dir.path / ".out.txt.partial");

    // A killed writer's temporary is overwritten, never taken for the file.
    std::ofstream(partial_path(file)) << "half";
    publish_file(file, "third\n");
    CHECK(read(file) == "third\n");
    CHECK_FALSE(fs::exists(partial_path(file)));

    // A write that cannot happen names the file and leaves it as it was.
    fs::create_directory(partial_path(file));
    const std::string message = error_of([&] { publish_file(file, "fourth\n"); });
    CHECK(message.find(file.string()) == 0);
    CHECK(message.find("Is a directory") != std::string::npos);
    CHECK(read(file) == "third\n");
    CHECK_FALSE(fs::exists(partial_path(file)));
}

TEST_CASE("directory_publication: the directory appears at commit with COMPLETE; abandoned, nothing appears") {
    const lutra::test::temp_dir dir("lutra-test-publish");
    const fs::path out = dir.path / "export";
    {
        directory_publication p(out);
        p.write("a.txt", "aaa");
        CHECK_FALSE(fs::exists(out));
        CHECK(p.staging() == fs::absolute(dir.path / ".export.partial"));
    }  // an error before commit
    CHECK_FALSE(fs::exists(out));
    CHECK_FALSE(fs::exists(dir.path / ".export.partial"));

    // A killed writer's temporary does not block the next attempt.
    fs::create_directories(dir.path / ".export.partial" / "sub");
    std::ofstream(dir.path / ".export.partial" / "sub" / "junk") << "junk";
    {
        directory_publication p(out);
        p.write("a.txt", "aaa");
        p.write("sub/b.txt", "bb");
        std::ofstream(p.staging() / "by_another_tool.png") << "png";  // e.g. gnuplot's
        p.commit();
    }
    CHECK(read(out / "a.txt") == "aaa");
    CHECK(read(out / "sub/b.txt") == "bb");
    CHECK_FALSE(fs::exists(out / "sub" / "junk"));
    CHECK_FALSE(fs::exists(dir.path / ".export.partial"));
    CHECK(complete_files(out) == std::vector<fs::path>{"a.txt", "by_another_tool.png", "sub/b.txt"});
    CHECK_NOTHROW(check_complete(out, "an export"));

    // Refused: a listed file cut short or missing, or no mark at all.
    fs::resize_file(out / "a.txt", 1);
    CHECK(error_of([&] {
              check_complete(out, "an export");
          }).find((out / "a.txt").string() + ": read an export: 1 bytes, but COMPLETE lists 3") == 0);
    fs::remove(out / "a.txt");
    CHECK(error_of([&] { check_complete(out, "an export"); }).find("listed in COMPLETE but missing") !=
          std::string::npos);
    fs::remove(out / "COMPLETE");
    CHECK(error_of([&] { check_complete(out, "an export"); }).find("no COMPLETE mark") != std::string::npos);
}

TEST_CASE("directory_publication: into an empty or (replace) a non-empty directory; never over other files") {
    const lutra::test::temp_dir dir("lutra-test-publish");
    const fs::path out = dir.path / "out";
    fs::create_directory(out);
    std::ofstream(out / ".x.partial") << "a killed writer's temporary";  // does not count
    CHECK(inspect_output(out) == output_state::empty_directory);
    {
        directory_publication p(out);
        p.write("old.txt", "old");
        p.write("kept.txt", "1");
        p.commit();
    }
    std::ofstream(out / "mine.txt") << "the user's";
    CHECK(inspect_output(out) == output_state::non_empty_directory);
    CHECK_THROWS_AS(directory_publication{out}, io_error);
    {
        directory_publication p(out, {.replace = true});
        p.write("kept.txt", "22");
        // Until commit, the old publication is untouched.
        CHECK(read(out / "kept.txt") == "1");
        p.commit();
    }
    CHECK(read(out / "kept.txt") == "22");
    CHECK_FALSE(fs::exists(out / "old.txt"));  // the previous publication's, not in this one
    CHECK(read(out / "mine.txt") == "the user's");
    CHECK(complete_files(out) == std::vector<fs::path>{"kept.txt"});
    CHECK_NOTHROW(check_complete(out, "an export"));

    if (fs::exists("/proc/self") && inspect_output("/proc") == output_state::non_empty_directory) {
        // A mount point cannot take a sibling's rename: refused up front.
        CHECK(error_of([] { directory_publication p("/proc", {.replace = true}); }).find("mount point") !=
              std::string::npos);
    }
    std::ofstream(dir.path / "file") << "x";
    CHECK(inspect_output(dir.path / "file") == output_state::not_a_directory);
    CHECK(inspect_output(dir.path / "absent") == output_state::absent);
}
