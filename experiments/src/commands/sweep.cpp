// `lutra sweep plan|run|run-one|status|collect`: parameter sweeps on this
// machine or on Slurm (docs/sweeps.md; the work is in sweep.hpp and sweep_run.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "lutra/core/error.hpp"
#include "lutra/experiments/process.hpp"
#include "lutra/experiments/stop.hpp"
#include "lutra/experiments/sweep.hpp"
#include "lutra/experiments/sweep_collect.hpp"
#include "lutra/experiments/sweep_run.hpp"

namespace lutra::experiments::commands {

namespace {

namespace fs = std::filesystem;

struct sweep_options {
    std::string target;  // a sweep file, or a sweep directory
    bool force = false;
    std::string executor = "local";
    unsigned jobs = 1;
    std::string out;
    std::vector<std::string> only;
    bool dry_run = false;
    // Slurm settings given as flags, over the sweep file's.
    std::string partition, account, qos, time, mem;
    unsigned cpus_per_task = 0, parallel = 0, signal_seconds = 0;
    bool has_cpus = false, has_parallel = false, has_signal = false;
    std::vector<std::string> sbatch;
    std::size_t index = 0;
    unsigned threads = 0;
    bool no_slurm = false;
    std::string metric = "final_test_accuracy";
};

constexpr const char* valid_states = "pending, stopped, failed, done";

// The sweep `target` names, and its directory: an existing sweep directory,
// or a sweep file whose directory is made (or found, of the same plan).
std::pair<sweep_plan, fs::path> open_target(const sweep_options& o, bool create) {
    if (fs::is_directory(o.target)) {
        if (!o.out.empty())
            throw error("--out goes with a sweep file; " + o.target + " is a sweep directory already");
        return {open_sweep_dir(o.target), o.target};
    }
    sweep_plan plan = plan_sweep(o.target, {.force = o.force});
    const fs::path dir = o.out.empty() ? fs::path("sweeps") / plan.name : fs::path(o.out);
    if (create) create_sweep_dir(plan, dir);
    return {std::move(plan), dir};
}

slurm_settings slurm_of(const sweep_plan& plan, const sweep_options& o) {
    slurm_settings s = plan.slurm;
    if (!o.partition.empty()) s.partition = o.partition;
    if (!o.account.empty()) s.account = o.account;
    if (!o.qos.empty()) s.qos = o.qos;
    if (!o.mem.empty()) s.mem = o.mem;
    if (!o.time.empty()) {
        if (!is_slurm_time(o.time))
            throw error("--time " + o.time + " is not a Slurm time limit; use minutes, MM:SS, HH:MM:SS, D-HH, "
                        "D-HH:MM or D-HH:MM:SS");
        s.time = o.time;
    }
    if (o.has_cpus) s.cpus_per_task = o.cpus_per_task;
    if (o.has_parallel) s.parallel = o.parallel;
    if (o.has_signal) s.signal_seconds = o.signal_seconds;
    s.sbatch.insert(s.sbatch.end(), o.sbatch.begin(), o.sbatch.end());
    for (const std::string& option : s.sbatch)
        if (!option.starts_with("--") || option.find('\n') != std::string::npos)
            throw error("--sbatch '" + option + "' is not one sbatch option; write it as --name=value");
    return s;
}

// The points `sweep run` starts: those --only selects in an existing sweep
// directory (every point not done nor running, without it), or all of a new one.
std::vector<std::size_t> points_to_run(const sweep_plan& plan, const fs::path& dir,
                                       const std::vector<std::string>& only) {
    if (is_sweep_dir(dir)) return select_points(sweep_status(dir, plan), only);
    std::vector<std::size_t> all;
    for (const sweep_point& p : plan.points) all.push_back(p.index);
    return all;
}

int cmd_sweep_run(const sweep_options& o) {
    for (const std::string& state : o.only)
        if (state != "pending" && state != "stopped" && state != "failed" && state != "done")
            throw error("--only " + state + ": not a state a point can be rerun from; valid: " + valid_states);
    if (o.dry_run && o.executor == "slurm") {
        // Nothing is written: the plan is made, checked and the script printed.
        const auto [plan, dir] = open_target(o, false);
        const std::vector<std::size_t> indices = points_to_run(plan, dir, o.only);
        if (indices.empty()) {
            std::printf("nothing to submit: no point of %s is in the states asked for\n", dir.string().c_str());
            return 0;
        }
        std::printf("%s", slurm_script(dir, plan, {slurm_of(plan, o), indices, own_executable()}).c_str());
        return 0;
    }
    const auto [plan, dir] = open_target(o, !o.dry_run);
    const std::vector<std::size_t> indices = points_to_run(plan, dir, o.only);
    if (indices.empty()) {
        std::printf("sweep %s in %s: nothing to run (every point is done or running, or none is in the states "
                    "asked for)\n",
                    plan.name.c_str(), dir.string().c_str());
        return 0;
    }
    if (o.dry_run) {
        std::printf("would run %zu of %zu points of %s in %s:\n", indices.size(), plan.points.size(),
                    plan.name.c_str(), dir.string().c_str());
        for (const std::size_t i : indices) std::printf("  %s\n", plan.points[i].dir_name().c_str());
        return 0;
    }
    if (o.executor == "slurm") {
        const std::string job = submit_slurm(dir, plan, {slurm_of(plan, o), indices, own_executable()});
        std::printf("submitted %zu points of %s as Slurm job array %s; follow it with `lutra sweep status %s`\n",
                    indices.size(), plan.name.c_str(), job.c_str(), dir.string().c_str());
        return 0;
    }
    std::printf("running %zu of %zu points of %s in %s, %u at a time\n", indices.size(), plan.points.size(),
                plan.name.c_str(), dir.string().c_str(), o.jobs);
    std::fflush(stdout);
    const stop_signals stop;
    const local_summary s = run_local(dir, plan, indices, {o.jobs, own_executable()});
    std::printf("%zu done, %zu stopped, %zu failed; `lutra sweep status %s` shows every point\n", s.done, s.stopped,
                s.failed, dir.string().c_str());
    if (s.failed != 0) return 1;
    return s.stopped != 0 ? stopped_exit_code : 0;
}

int cmd_sweep_collect(const sweep_options& o) {
    const sweep_plan plan = open_sweep_dir(o.target);
    const std::vector<point_status> status = sweep_status(o.target, plan, !o.no_slurm);
    collect_request request;
    request.sweep_dir = o.target;
    request.sweep_name = plan.name;
    request.parameters = plan.parameters;
    request.metric = o.metric;
    for (const sweep_point& p : plan.points)
        request.points.push_back({p.index, p.id, point_dir(o.target, p), p.values,
                                  std::string(state_name(status[p.index].state)),
                                  status[p.index].state == point_state::failed ? status[p.index].reason
                                  : status[p.index].state == point_state::done ? std::string()
                                                                               : status[p.index].detail});
    const collect_result result = collect_sweep(request);
    std::printf("%s", describe_collection(request, result).c_str());
    return 0;
}

}  // namespace

void add_sweep_commands(CLI::App& app, command_table& table) {
    auto* sweep = app.add_subcommand("sweep", "parameter sweeps on this machine or on Slurm (docs/sweeps.md)");
    sweep->require_subcommand(1);
    auto o = std::make_shared<sweep_options>();

    auto* plan = sweep->add_subcommand("plan", "check a sweep file and print its points; runs nothing");
    plan->add_option("sweep", o->target, "sweep YAML, e.g. configs/sweeps/mnist-small-tau-lr.yaml")->required();
    plan->add_flag("--force", o->force, "allow more points than the sweep's max_points");
    table.add(*plan, [o] {
        std::printf("%s", describe_plan(plan_sweep(o->target, {.force = o->force})).c_str());
        return 0;
    });

    auto* run = sweep->add_subcommand("run", "run a sweep's points, or those of a sweep directory not done yet");
    run->add_option("sweep", o->target, "sweep YAML (a new or matching sweep directory) or a sweep directory")
        ->required();
    run->add_option("--executor", o->executor, "local: worker processes here; slurm: one job array, then return")
        ->check(CLI::IsMember({"local", "slurm"}))
        ->capture_default_str();
    run->add_option("--jobs", o->jobs, "local: points at once (each gets an equal share of the threads)")
        ->check(CLI::Range(1U, 1024U))
        ->capture_default_str();
    run->add_option("--out", o->out, "sweep directory for a sweep file (default sweeps/NAME)")->type_name("DIR");
    run->add_option("--only", o->only, std::string("run only the points in these states: ") + valid_states)
        ->type_name("STATE")
        ->delimiter(',');
    run->add_flag("--force", o->force, "allow more points than the sweep's max_points");
    run->add_flag("--dry-run", o->dry_run, "print what would run (slurm: the job script) and write nothing");
    run->add_option("--partition", o->partition, "slurm: partition (over the sweep file's slurm.partition)");
    run->add_option("--account", o->account, "slurm: account to charge");
    run->add_option("--qos", o->qos, "slurm: quality of service");
    run->add_option("--time", o->time, "slurm: time limit per task, e.g. 01:30:00");
    run->add_option("--mem", o->mem, "slurm: memory per task, e.g. 8G");
    run->add_option("--cpus-per-task", o->cpus_per_task, "slurm: CPUs per task (the run's threads)")
        ->each([o](const std::string&) { o->has_cpus = true; });
    run->add_option("--parallel", o->parallel, "slurm: at most this many tasks at once (--array=...%N), 0 = any")
        ->each([o](const std::string&) { o->has_parallel = true; });
    run->add_option("--signal-seconds", o->signal_seconds,
                    "slurm: warn a task this long before its limit (it stops, checkpointed, and requeues)")
        ->each([o](const std::string&) { o->has_signal = true; });
    run->add_option("--sbatch", o->sbatch, "slurm: a further sbatch option, e.g. --sbatch=--constraint=avx512")
        ->type_name("OPTION");
    table.add(*run, [o] { return cmd_sweep_run(*o); });

    auto* one = sweep->add_subcommand("run-one", "run (or resume) one point of a sweep directory in this process; "
                                                 "what each worker and Slurm task runs");
    one->add_option("dir", o->target, "sweep directory")->required();
    one->add_option("--index", o->index, "the point's index")->required();
    one->add_option("--threads", o->threads, "threads, 0 = the point config's (results do not depend on it)")
        ->capture_default_str();
    table.add(*one, [o] {
        const stop_signals stop;
        return run_point(o->target, o->index, o->threads);
    });

    auto* status = sweep->add_subcommand("status", "every point of a sweep directory: pending, running, done, "
                                                   "stopped or failed, and why");
    status->add_option("dir", o->target, "sweep directory")->required();
    status->add_flag("--no-slurm", o->no_slurm, "do not ask Slurm (squeue, sacct, scontrol)");
    table.add(*status, [o] {
        const sweep_plan plan = open_sweep_dir(o->target);
        std::printf("%s", describe_status(plan, sweep_status(o->target, plan, !o->no_slurm)).c_str());
        return 0;
    });

    auto* collect = sweep->add_subcommand("collect", "one table of every point's settings and results (CSV, HDF5) "
                                                     "and plots, in SWEEP_DIR/results");
    collect->add_option("dir", o->target, "sweep directory")->required();
    collect->add_option("--metric", o->metric, "the column that picks the best point and is plotted")
        ->capture_default_str();
    collect->add_flag("--no-slurm", o->no_slurm, "do not ask Slurm about points not done");
    table.add(*collect, [o] { return cmd_sweep_collect(*o); });
}

}  // namespace lutra::experiments::commands
