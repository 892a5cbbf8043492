#include "lutra/analysis/gnuplot.hpp"

#include <spawn.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "lutra/core/error.hpp"

extern char** environ;

namespace lutra::analysis {

namespace {

// Whether a file ends with a PNG's IEND chunk (length 0, "IEND", its CRC).
bool ends_with_png_end(const std::filesystem::path& file) {
    static constexpr unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in || in.tellg() < static_cast<std::streamoff>(sizeof iend)) return false;
    in.seekg(-static_cast<std::streamoff>(sizeof iend), std::ios::end);
    char tail[sizeof iend];
    return static_cast<bool>(in.read(tail, sizeof tail)) && std::memcmp(tail, iend, sizeof iend) == 0;
}

}  // namespace

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return false;
    std::string dirs = path;
    for (std::size_t start = 0; start <= dirs.size();) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string dir = dirs.substr(start, end - start);
        if (::access(((dir.empty() ? "." : dir) + "/" + program).c_str(), X_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

std::string gnuplot_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
    return q + "'";
}

void run_gnuplot(const std::filesystem::path& script, const std::filesystem::path& dir) {
    const std::string operation = "draw plots with gnuplot";
    std::string program = "gnuplot";
    std::string change_dir = "cd " + gnuplot_quote(dir.string());
    std::string option = "-e";
    std::string argument = script.string();
    char* argv[] = {program.data(), option.data(), change_dir.data(), argument.data(), nullptr};
    pid_t pid = 0;
    if (const int e = posix_spawnp(&pid, "gnuplot", nullptr, nullptr, argv, environ); e != 0)
        throw io_error(script.string(), operation, std::string("cannot start gnuplot: ") + std::strerror(e));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw io_error(script.string(), operation, "cannot wait for gnuplot");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw io_error(script.string(), operation,
                       WIFEXITED(status) ? "gnuplot failed with exit status " + std::to_string(WEXITSTATUS(status))
                                         : std::string("gnuplot was killed by a signal"));
}

void check_png(const std::filesystem::path& written, const std::filesystem::path& shown) {
    if (!std::filesystem::exists(written))
        throw io_error(shown.string(), "draw plots with gnuplot", "gnuplot did not write the plot");
    if (ends_with_png_end(written)) return;
    // gnuplot does not say why; a disk with less room than a plot needs is the usual reason.
    struct statvfs fs {};
    const bool full = ::statvfs(written.parent_path().c_str(), &fs) == 0 &&
                      static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize < 1024 * 1024;
    throw io_error(
        shown.string(), "draw plots with gnuplot",
        full ? "No space left on device (gnuplot wrote the plot cut short)" : "gnuplot wrote the plot cut short");
}

}  // namespace lutra::analysis
