#pragma once
// Publishing outputs so that no reader ever sees one half-written: the one
// way every file Lutra writes reaches the disk (docs/failure-behaviour.md).
//
// A file is written to a temporary name in its own directory (".NAME.partial"),
// synced, renamed over NAME and the directory synced: a kill or a full disk
// at any moment leaves the old content or the new, never a mix, and NAME
// appears only whole.
//
// A directory of outputs (an export, a report, the start of a run) is
// written into a temporary sibling (".NAME.partial"), every file synced,
// then its completion mark, `COMPLETE` (the manifest: every file's size and
// name), written last, and the whole renamed into place. A reader trusts the
// directory only if COMPLETE is there and every file it lists has its size
// (check_complete). Writing into an existing non-empty directory (export
// --force) moves the files in one by one after removing the old mark, so a
// kill in between leaves a directory without COMPLETE, which no reader trusts.
//
// A temporary left by a killed writer has a name no output has (".*.partial")
// and is replaced by the next writer of that output: it never blocks the next
// attempt and is never taken for the output. Two processes writing the same
// output at the same time are not supported.
//
// Errors are lutra::io_error naming the output being written (not the
// temporary) and the system's reason, e.g. "No space left on device"; on any
// error the temporary is removed and the output is left as it was.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lutra::core {

// The completion mark of a published directory.
inline constexpr std::string_view complete_mark = "COMPLETE";

// The temporary of `path`: ".NAME.partial" beside it.
[[nodiscard]] std::filesystem::path partial_path(const std::filesystem::path& path);
// Whether a directory entry is a publishing temporary (".*.partial").
[[nodiscard]] bool is_partial_name(std::string_view file_name);

// Replaces `path`'s content atomically and durably (see the file comment).
void publish_file(const std::filesystem::path& path, std::string_view bytes);

// What is at an output path, ignoring publishing temporaries: callers refuse
// to write over what is not theirs.
enum class output_state { absent, empty_directory, non_empty_directory, not_a_directory };
[[nodiscard]] output_state inspect_output(const std::filesystem::path& path);

// A directory being published: write its files, then commit(). Destroyed
// without commit() (an error, an exception), it removes its temporary and
// leaves the target untouched.
class directory_publication {
public:
    struct options {
        // Write into an existing non-empty target (its other files stay; the
        // files of its previous COMPLETE manifest that this one lacks go).
        bool replace = false;
        // Write COMPLETE at commit(). A run directory has none: its start is
        // published by the rename alone, its end by summary.txt.
        bool mark = true;
    };
    // Starts with a fresh temporary; the target must be absent, an empty
    // directory, or (options.replace) a directory.
    explicit directory_publication(std::filesystem::path target, options opt);
    explicit directory_publication(std::filesystem::path target)
        : directory_publication(std::move(target), options{}) {}
    directory_publication(const directory_publication&) = delete;
    directory_publication& operator=(const directory_publication&) = delete;
    ~directory_publication();

    // The final path and where its files are until commit() (for writers that
    // need a path, such as HDF5 or gnuplot).
    [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }
    [[nodiscard]] const std::filesystem::path& staging() const noexcept { return staging_; }

    // Writes `relative` (sub-directories are made) whole and synced.
    void write(const std::filesystem::path& relative, std::string_view bytes);
    // Syncs every file (also those written by others into staging()), writes
    // COMPLETE last and moves the directory into place.
    void commit();

private:
    std::filesystem::path target_;
    std::filesystem::path staging_;
    options options_;
    bool committed_ = false;
};

// Refuses (lutra::io_error naming `dir` and what is missing or short) a
// directory without COMPLETE, or with a listed file missing or of another
// size. `what` says what the directory should be, e.g. "an export".
void check_complete(const std::filesystem::path& dir, std::string_view what);

// The files COMPLETE lists (relative paths, in order); empty without one.
[[nodiscard]] std::vector<std::filesystem::path> complete_files(const std::filesystem::path& dir);

}  // namespace lutra::core
