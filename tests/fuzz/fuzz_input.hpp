#pragma once
// What every fuzz harness shares. A harness feeds one input to the functions
// the `lutra` command reads that kind of file with; Lutra's own errors
// (lutra::error and its subclasses) are the expected answer to bad input, so
// harnesses catch exactly those. Anything else — another exception, a crash, a
// sanitizer report, a leak, a timeout, an allocation over libFuzzer's
// -rss_limit_mb — is a finding.

#include <stdlib.h>
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

// Readers that take a path read the input from a scratch file in /dev/shm
// (memory, when it exists), rewritten for every input and removed at exit.
// Not a memfd: HDF5 resolves a file's real path, which a memfd lacks.
class input_file {
public:
    input_file() {
        const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        path_ = std::string(dir) + "/lutra-fuzz-XXXXXX";
        fd_ = mkstemp(path_.data());
        if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "mkstemp " + path_);
    }
    input_file(const input_file&) = delete;
    input_file& operator=(const input_file&) = delete;
    ~input_file() {
        close(fd_);
        unlink(path_.c_str());
    }

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
    std::string path_;
    int fd_ = -1;
};

}  // namespace lutra::fuzz
