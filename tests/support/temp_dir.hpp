#pragma once
// A fresh directory under the system's temporary directory, removed with
// everything in it when the test scope ends. Shared by every test suite.

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace lutra::test {

struct temp_dir {
    std::filesystem::path path;
    explicit temp_dir(const std::string& tag = "lutra-test") {
        std::string name = (std::filesystem::temp_directory_path() / (tag + "-XXXXXX")).string();
        REQUIRE(mkdtemp(name.data()) != nullptr);
        path = name;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

}  // namespace lutra::test
