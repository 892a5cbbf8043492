#pragma once
// Starting other programs: sbatch, squeue, sacct and scontrol for sweeps on
// Slurm, and lutra itself for a sweep's local workers. posix_spawn, never a
// shell, so no argument is ever re-parsed.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace lutra::experiments {

struct process_output {
    bool started = false;     // false: the program could not be started (start_error says why)
    std::string start_error;  // e.g. "sbatch: not found on PATH"
    int status = 0;           // the raw wait status
    std::string out;          // its standard output
    std::string err;          // its standard error
    [[nodiscard]] bool succeeded() const noexcept;  // started and exited with 0
};

// Runs argv[0] (looked up on PATH) to its end, capturing both outputs.
[[nodiscard]] process_output run_process(const std::vector<std::string>& argv);

// Starts argv[0] with standard output and error appended to `log`, standard
// input from /dev/null, in a process group of its own (a terminal's Ctrl-C
// reaches only the caller, which decides what its children get). Throws
// lutra::error when it cannot start.
[[nodiscard]] pid_t spawn_logged(const std::vector<std::string>& argv, const std::filesystem::path& log);

// "exit status 1", "killed by signal 9 (Killed)".
[[nodiscard]] std::string describe_wait_status(int status);

// This executable's path (/proc/self/exe), for starting it again.
[[nodiscard]] std::filesystem::path own_executable();

}  // namespace lutra::experiments
