#pragma once
// Running a sweep's points (docs/sweeps.md). One point is always run the same
// way, by run_point — what `lutra sweep run-one` does in each local worker and
// each Slurm array task:
//
//   - it takes the point's lock (points/X/lock, flock), so two workers never
//     run one point;
//   - a finished run (run/summary.txt) is left alone; a run with a
//     checkpoint is resumed (`lutra run --resume`); a run stopped before its
//     first checkpoint starts again; otherwise the point's config is run;
//   - attempt.yaml records the attempt as it starts and how it ended: done,
//     stopped (a signal: the checkpoint is written, the point resumes), or
//     failed (the run's error);
//   - stopped inside a Slurm task, the task requeues itself (scontrol
//     requeue), unless Slurm says it was cancelled; the requeued task resumes.
//
// Every point's state is read from those files, and from Slurm (squeue, and
// sacct or scontrol) for the tasks a sweep submitted (slurm/jobs.tsv).

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/experiments/sweep.hpp"

namespace lutra::experiments {

enum class point_state { pending, running, done, stopped, failed };
[[nodiscard]] std::string_view state_name(point_state s) noexcept;

struct point_status {
    point_state state = point_state::pending;
    std::string detail;  // what is known: the result, the worker, Slurm's view
    std::string reason;  // failed: why
    std::uint32_t attempts = 0;
    bool queued = false;  // in Slurm's queue (pending or requeued): it will run without being submitted again
};

// Exit code of run-one for a point that stopped on a signal (resumable), as
// `lutra run` exits (EX_TEMPFAIL).
inline constexpr int stopped_exit_code = 75;

// Runs point `index` of the sweep in `sweep_dir` in this process (see the
// file comment); `threads` 0 = the point config's. Output goes to the point's
// log. Returns 0 (done), stopped_exit_code, or throws as `lutra run` does.
int run_point(const std::filesystem::path& sweep_dir, std::size_t index, unsigned threads);

// The points a `--only` filter keeps (states by name: pending, stopped,
// failed, done); every point not done and not running when `only` is empty.
// Never a point in Slurm's queue.
[[nodiscard]] std::vector<std::size_t> select_points(const std::vector<point_status>& status,
                                                     const std::vector<std::string>& only);

struct local_options {
    unsigned jobs = 1;                 // worker processes at once
    std::filesystem::path lutra;       // the executable the workers run
};
struct local_summary {
    std::size_t done = 0, stopped = 0, failed = 0;
};
// Runs `indices` with a pool of worker processes (`lutra sweep run-one`), each
// with an equal share of this machine's threads; prints a line per finished
// point. A stop signal stops launching and passes SIGTERM to every worker,
// which stops at its next safe point.
local_summary run_local(const std::filesystem::path& sweep_dir, const sweep_plan& plan,
                        const std::vector<std::size_t>& indices, const local_options& options);

struct slurm_request {
    slurm_settings settings;
    std::vector<std::size_t> indices;
    std::filesystem::path lutra;  // the executable the tasks run
};
// The job-array script (`#SBATCH --array=...`), as written to the sweep.
[[nodiscard]] std::string slurm_script(const std::filesystem::path& sweep_dir, const sweep_plan& plan,
                                       const slurm_request& request);
// "0-5", "1,4,7-9": the --array list of `indices` (ascending).
[[nodiscard]] std::string array_ranges(const std::vector<std::size_t>& indices);
// Writes the script into SWEEP_DIR/slurm/, submits it with sbatch and records
// the job in slurm/jobs.tsv; returns the job id. Throws lutra::error with
// sbatch's message when it is missing or fails.
std::string submit_slurm(const std::filesystem::path& sweep_dir, const sweep_plan& plan,
                         const slurm_request& request);

// Every point's state, in index order; `ask_slurm` queries Slurm about the
// tasks this sweep submitted.
[[nodiscard]] std::vector<point_status> sweep_status(const std::filesystem::path& sweep_dir, const sweep_plan& plan,
                                                     bool ask_slurm = true);
// The table `lutra sweep status` prints.
[[nodiscard]] std::string describe_status(const sweep_plan& plan, const std::vector<point_status>& status);

}  // namespace lutra::experiments
