#pragma once
// Drawing PNG plots with gnuplot, the one way every Lutra report does it
// (`lutra analyze --report`, `lutra sweep collect`): whether gnuplot is
// there, running a script in the directory its plots go to, and telling a
// whole PNG from one cut short (gnuplot may exit 0 on a full disk).

#include <filesystem>
#include <string>
#include <string_view>

namespace lutra::analysis {

// What to tell a user whose machine has no gnuplot.
inline constexpr std::string_view gnuplot_missing =
    "gnuplot is not installed (or not on PATH); install it with `apt-get install gnuplot-nox` or `bash .ci/setup`";

// Whether an executable `program` is in a directory of $PATH.
[[nodiscard]] bool on_path(const std::string& program);

// A gnuplot single-quoted string: only ' needs escaping, by doubling it.
[[nodiscard]] std::string gnuplot_quote(const std::string& s);

// Runs `gnuplot` on `script` with `dir` as its working directory; a
// lutra::io_error naming the script when gnuplot cannot start, fails or is killed.
void run_gnuplot(const std::filesystem::path& script, const std::filesystem::path& dir);

// Checks that gnuplot wrote `written` whole (it ends with PNG's IEND chunk);
// else a lutra::io_error naming `shown` (the plot's final path) and saying
// whether the disk is full.
void check_png(const std::filesystem::path& written, const std::filesystem::path& shown);

}  // namespace lutra::analysis
