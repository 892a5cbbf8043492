#include "lutra/core/publish.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "lutra/core/error.hpp"

namespace fs = std::filesystem;

namespace lutra::core {

namespace {

constexpr std::string_view partial_suffix = ".partial";

[[noreturn]] void fail_errno(const fs::path& output, const std::string& operation, int error) {
    throw io_error(output.string(), operation, std::generic_category().message(error));
}

[[noreturn]] void fail_ec(const fs::path& output, const std::string& operation, const std::error_code& ec) {
    throw io_error(output.string(), operation, ec.message());
}

// Closes a POSIX file descriptor on every path out.
struct fd_guard {
    int fd = -1;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
    // A close that reports the error (NFS and some others report a failed write only here).
    int release_close() { return ::close(std::exchange(fd, -1)); }
};

// Writes `bytes` to a new file at `file`, synced; errors name `output`.
void write_synced(const fs::path& file, std::string_view bytes, const fs::path& output) {
    fd_guard f{::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (f.fd < 0) fail_errno(output, "create", errno);
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::write(f.fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno(output, "write", errno);
        if (n == 0) fail_errno(output, "write", ENOSPC);
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(f.fd) != 0) fail_errno(output, "sync", errno);
    if (f.release_close() != 0) fail_errno(output, "close", errno);
}

// Makes what is in a file or directory (a rename, a new entry) durable.
void sync_path(const fs::path& path, const fs::path& output, bool directory) {
    fd_guard f{::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC)};
    if (f.fd < 0) fail_errno(output, "sync", errno);
    // Some file systems cannot sync a directory (EINVAL); the rename stands.
    if (::fsync(f.fd) != 0 && !(directory && errno == EINVAL)) fail_errno(output, "sync", errno);
}

fs::path parent_or_dot(const fs::path& p) { return p.has_parent_path() ? p.parent_path() : fs::path("."); }

// "out/" names "out".
fs::path without_trailing_separator(fs::path p) {
    while (!p.empty() && !p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
    return p;
}

// A directory on another file system than its parent's.
bool is_mount_point(const fs::path& dir) {
    struct stat own {};
    struct stat parent {};
    return ::stat(dir.c_str(), &own) == 0 && ::stat(dir.parent_path().c_str(), &parent) == 0 &&
           own.st_dev != parent.st_dev;
}

struct manifest_entry {
    fs::path file;  // relative
    std::uintmax_t size = 0;
};

std::vector<manifest_entry> read_manifest(const fs::path& dir) {
    std::vector<manifest_entry> entries;
    std::ifstream in(dir / complete_mark);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const std::size_t space = line.find(' ');
        if (space == std::string::npos) continue;
        manifest_entry e;
        try {
            e.size = std::stoull(line.substr(0, space));
        } catch (const std::exception&) {
            continue;
        }
        e.file = line.substr(space + 1);
        entries.push_back(std::move(e));
    }
    return entries;
}

}  // namespace

fs::path partial_path(const fs::path& path) {
    const fs::path p = without_trailing_separator(path);
    return parent_or_dot(p) / ("." + p.filename().string() + std::string(partial_suffix));
}

bool is_partial_name(std::string_view name) {
    return name.size() > 1 + partial_suffix.size() && name.front() == '.' && name.ends_with(partial_suffix);
}

void publish_file(const fs::path& path, std::string_view bytes) {
    const fs::path temporary = partial_path(path);
    try {
        // A temporary left by a killed writer is simply overwritten.
        write_synced(temporary, bytes, path);
        std::error_code ec;
        fs::rename(temporary, path, ec);
        if (ec) fail_ec(path, "rename " + temporary.string() + " over it", ec);
        // The rename itself is durable only once the directory is synced.
        sync_path(parent_or_dot(path), path, true);
    } catch (...) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw;
    }
}

output_state inspect_output(const fs::path& path) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) return output_state::absent;
    if (!fs::is_directory(st)) return output_state::not_a_directory;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
        if (!is_partial_name(it->path().filename().string())) return output_state::non_empty_directory;
    return output_state::empty_directory;
}

directory_publication::directory_publication(fs::path target, options opt)
    : target_(without_trailing_separator(std::move(target))), options_(opt) {
    const output_state state = inspect_output(target_);
    if (state == output_state::not_a_directory)
        throw io_error(target_.string(), "publish", "exists and is not a directory");
    if (state == output_state::non_empty_directory && !options_.replace)
        throw io_error(target_.string(), "publish", "the directory is not empty; it is never overwritten");
    // The temporary is a sibling of the target, on its file system, so the
    // final rename is atomic; from "." or "out/" the names are taken absolute.
    const fs::path absolute = without_trailing_separator(fs::absolute(target_).lexically_normal());
    if (!absolute.has_parent_path() || absolute == absolute.root_path())
        throw io_error(target_.string(), "publish", "cannot publish the root directory");
    staging_ = partial_path(absolute);
    // The temporary must share the target's file system for the rename.
    if (state != output_state::absent && is_mount_point(absolute))
        throw io_error(target_.string(), "publish",
                       "it is a mount point, and an output is published by renaming a sibling into place; "
                       "give a directory inside it");
    std::error_code ec;
    fs::create_directories(absolute.parent_path(), ec);
    if (ec) fail_ec(target_, "create the directory " + absolute.parent_path().string(), ec);
    fs::remove_all(staging_, ec);  // a killed writer's
    if (ec) fail_ec(target_, "remove the stale temporary " + staging_.string(), ec);
    fs::create_directory(staging_, ec);
    if (ec) fail_ec(target_, "create the temporary " + staging_.string(), ec);
}

directory_publication::~directory_publication() {
    if (committed_) return;
    std::error_code ignored;
    fs::remove_all(staging_, ignored);
}

void directory_publication::write(const fs::path& relative, std::string_view bytes) {
    const fs::path output = target_ / relative;
    const fs::path file = staging_ / relative;
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) fail_ec(output, "create its directory", ec);
    write_synced(file, bytes, output);
}

void directory_publication::commit() {
    if (committed_) throw internal_error("directory_publication::commit: committed twice");
    // Every file synced (gnuplot's too) and listed with its size.
    std::vector<manifest_entry> files;
    std::vector<fs::path> dirs{staging_};
    std::error_code ec;
    for (fs::recursive_directory_iterator it(staging_, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path relative = it->path().lexically_relative(staging_);
        if (relative == complete_mark) continue;
        if (it->is_directory()) {
            dirs.push_back(it->path());
        } else {
            sync_path(it->path(), target_ / relative, false);
            files.push_back({relative, it->file_size()});
        }
    }
    if (ec) fail_ec(target_, "list " + staging_.string(), ec);
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.file < b.file; });
    if (options_.mark) {
        std::string manifest =
            "# Written last by Lutra: the directory is complete. Every file and its size in bytes;\n"
            "# a directory without this file, or whose files differ from it, is not to be trusted.\n";
        for (const manifest_entry& f : files) manifest += std::to_string(f.size) + " " + f.file.string() + "\n";
        write(complete_mark, manifest);
    }
    for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) sync_path(*d, target_, true);

    const fs::path parent = parent_or_dot(fs::absolute(target_).lexically_normal());
    const output_state state = inspect_output(target_);
    if (state == output_state::absent || state == output_state::empty_directory) {
        // rename(2) replaces an empty directory; a leftover temporary inside
        // one (a killed writer's) would make it non-empty, so it goes first.
        if (state == output_state::empty_directory) {
            std::vector<fs::path> leftovers;
            for (fs::directory_iterator it(target_, ec), end; !ec && it != end; it.increment(ec))
                leftovers.push_back(it->path());
            for (const fs::path& p : leftovers) fs::remove_all(p, ec);
        }
        fs::rename(staging_, target_, ec);
        if (ec) fail_ec(target_, "rename " + staging_.string() + " to it", ec);
        committed_ = true;
        sync_path(parent, target_, true);
        return;
    }
    if (!options_.replace) throw io_error(target_.string(), "publish", "the directory is no longer empty");
    // Into an existing directory: the old mark goes first, so from here until
    // the new mark no reader trusts it.
    const std::vector<manifest_entry> previous = read_manifest(target_);
    fs::remove(target_ / complete_mark, ec);
    if (ec) fail_ec(target_ / complete_mark, "remove", ec);
    sync_path(target_, target_, true);
    std::set<fs::path> now;
    for (const manifest_entry& f : files) {
        const fs::path to = target_ / f.file;
        fs::create_directories(to.parent_path(), ec);
        if (ec) fail_ec(to, "create its directory", ec);
        fs::rename(staging_ / f.file, to, ec);
        if (ec) fail_ec(to, "move " + (staging_ / f.file).string() + " over it", ec);
        now.insert(f.file);
    }
    // The previous publication's files this one lacks would not belong to it.
    for (const manifest_entry& f : previous)
        if (!now.contains(f.file) && !f.file.is_absolute() && *f.file.begin() != "..") fs::remove(target_ / f.file, ec);
    for (const manifest_entry& f : files) sync_path((target_ / f.file).parent_path(), target_, true);
    if (options_.mark) {
        fs::rename(staging_ / complete_mark, target_ / complete_mark, ec);
        if (ec) fail_ec(target_ / complete_mark, "move into place", ec);
        sync_path(target_, target_, true);
    }
    committed_ = true;
    fs::remove_all(staging_, ec);
}

void check_complete(const fs::path& dir, std::string_view what) {
    const std::string operation = "read " + std::string(what);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw io_error(dir.string(), operation, "no such directory");
    if (!fs::is_regular_file(dir / complete_mark, ec))
        throw io_error(dir.string(), operation,
                       "no " + std::string(complete_mark) +
                           " mark: it was not written to the end (killed, out of disk space, still being written, "
                           "or by a Lutra before 0.2); nothing in it is trusted — write it again");
    for (const manifest_entry& f : read_manifest(dir)) {
        const fs::path file = dir / f.file;
        const std::uintmax_t size = fs::file_size(file, ec);
        if (ec)
            throw io_error(file.string(), operation,
                           "listed in " + std::string(complete_mark) + " but missing; write it again");
        if (size != f.size)
            throw io_error(file.string(), operation,
                           std::to_string(size) + " bytes, but " + std::string(complete_mark) + " lists " +
                               std::to_string(f.size) + "; the directory was changed, write it again");
    }
}

std::vector<fs::path> complete_files(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const manifest_entry& f : read_manifest(dir)) files.push_back(f.file);
    return files;
}

}  // namespace lutra::core
