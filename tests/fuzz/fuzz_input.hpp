#pragma once
// What every fuzz harness shares. A harness feeds one input to the functions
// the `lutra` command reads that kind of file with; Lutra's own errors
// (lutra::error and its subclasses) are the expected answer to bad input, so
// harnesses catch exactly those. Anything else — another exception, a crash, a
// sanitizer report, a leak, a timeout, an allocation over libFuzzer's
// -rss_limit_mb — is a finding.

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>

#include "lutra/core/error.hpp"

namespace lutra::fuzz {

// Runs f, swallowing the lutra::error a bad input is meant to give.
template <class F>
void expect_lutra_errors_only(F&& f) {
    try {
        f();
    } catch (const lutra::error&) {
    }
}

// Readers that take a path read the input from an in-memory file: a memfd,
// named by its /proc/self/fd path, rewritten for every input (nothing touches
// the disk, nothing is left behind by a crash).
class memory_file {
public:
    memory_file() : fd_(memfd_create("lutra-fuzz", 0)) {
        if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    memory_file(const memory_file&) = delete;
    memory_file& operator=(const memory_file&) = delete;
    ~memory_file() { close(fd_); }

    // The file now holds exactly these bytes; returns its path.
    const std::string& hold(const std::uint8_t* data, std::size_t size) {
        if (ftruncate(fd_, 0) != 0) throw std::system_error(errno, std::generic_category(), "ftruncate");
        for (std::size_t done = 0; done < size;) {
            const ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
            if (n < 0) throw std::system_error(errno, std::generic_category(), "pwrite");
            done += static_cast<std::size_t>(n);
        }
        return path_;
    }

private:
    int fd_;
    std::string path_;
};

}  // namespace lutra::fuzz
