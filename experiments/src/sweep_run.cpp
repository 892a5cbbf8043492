// Running a sweep's points: one in this process, a local pool, a Slurm job
// array, and every point's state (sweep_run.hpp).
#include "lutra/experiments/sweep_run.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <sstream>
#include <thread>

#include "lutra/analysis/gnuplot.hpp"
#include "lutra/core/publish.hpp"
#include "lutra/core/read_file.hpp"
#include "lutra/experiments/process.hpp"
#include "lutra/experiments/runner.hpp"
#include "lutra/experiments/stop.hpp"

namespace lutra::experiments {

namespace fs = std::filesystem;

namespace {

constexpr const char* attempt_name = "attempt.yaml";
constexpr const char* lock_name = "lock";
constexpr const char* log_name = "log";
constexpr const char* run_name = "run";
constexpr const char* jobs_name = "slurm/jobs.tsv";

std::string now_text() {
    const std::time_t t = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) return "?";
    return name;
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// The last attempt at a point, as attempt.yaml records it.
struct attempt_record {
    std::uint32_t attempt = 0;
    std::string state;  // running | done | stopped | failed
    std::string host;
    long pid = 0;
    std::string slurm_job;  // SLURM_JOB_ID, when run by Slurm
    std::string started;
    std::string ended;
    std::string reason;     // failed: the error; stopped: the signal and epoch
    std::string result;     // done: the test accuracy
    std::string exit;       // how the worker ended: "exit status 1", "killed by signal 9 (Killed)"
};

std::optional<attempt_record> read_attempt(const fs::path& dir) {
    const fs::path file = dir / attempt_name;
    if (!fs::exists(file)) return std::nullopt;
    attempt_record a;
    try {
        const YAML::Node n = YAML::Load(core::read_file(file, "read attempt"));
        const auto text = [&n](const char* key) { return n[key] ? n[key].as<std::string>() : std::string(); };
        a.attempt = n["attempt"] ? n["attempt"].as<std::uint32_t>() : 0;
        a.state = text("state");
        a.host = text("host");
        a.pid = n["pid"] ? n["pid"].as<long>() : 0;
        a.slurm_job = text("slurm_job");
        a.started = text("started");
        a.ended = text("ended");
        a.reason = text("reason");
        a.result = text("result");
        a.exit = text("exit");
    } catch (const std::exception& e) {
        a.state = "failed";
        a.reason = file.string() + " is unreadable (" + e.what() + ")";
    }
    return a;
}

void write_attempt(const fs::path& dir, const attempt_record& a) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "attempt" << YAML::Value << a.attempt;
    out << YAML::Key << "state" << YAML::Value << a.state;
    out << YAML::Key << "host" << YAML::Value << a.host;
    out << YAML::Key << "pid" << YAML::Value << a.pid;
    out << YAML::Key << "slurm_job" << YAML::Value << a.slurm_job;
    out << YAML::Key << "started" << YAML::Value << a.started;
    out << YAML::Key << "ended" << YAML::Value << a.ended;
    out << YAML::Key << "reason" << YAML::Value << a.reason;
    out << YAML::Key << "result" << YAML::Value << a.result;
    out << YAML::Key << "exit" << YAML::Value << a.exit;
    out << YAML::EndMap;
    core::publish_file(dir / attempt_name, std::string(out.c_str()) + "\n");
}

// A point's lock, held while a worker runs it. flock: released by the kernel
// however the worker ends, so a dead worker never leaves a point locked.
class point_lock {
public:
    explicit point_lock(const fs::path& dir) {
        fd_ = open((dir / lock_name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) throw io_error((dir / lock_name).string(), "lock point", std::strerror(errno));
        held_ = flock(fd_, LOCK_EX | LOCK_NB) == 0;
    }
    ~point_lock() {
        if (fd_ >= 0) close(fd_);
    }
    point_lock(const point_lock&) = delete;
    point_lock& operator=(const point_lock&) = delete;
    [[nodiscard]] bool held() const noexcept { return held_; }

    // Whether some process holds the lock of the point in `dir` now.
    static bool taken(const fs::path& dir) {
        const int fd = open((dir / lock_name).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return false;
        const bool free = flock(fd, LOCK_SH | LOCK_NB) == 0;
        close(fd);
        return !free;
    }

private:
    int fd_ = -1;
    bool held_ = false;
};

const sweep_point& point_at(const sweep_plan& plan, std::size_t index, const fs::path& sweep_dir) {
    if (index >= plan.points.size())
        throw error("point " + std::to_string(index) + " is not in the sweep in " + sweep_dir.string() + ": it has " +
                    std::to_string(plan.points.size()) + " points, 0 to " + std::to_string(plan.points.size() - 1));
    return plan.points[index];
}

std::string percent(double x) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f%%", x * 100);
    return text;
}

// After a stop inside a Slurm task: put the task back in the queue, where it
// resumes. Slurm itself would requeue a task cancelled with scancel too, so
// the task asks what happened first: on the warning (SIGUSR1/2) it requeues
// while Slurm still runs it; on SIGTERM only at the time limit or a
// preemption — a user's scancel leaves it cancelled.
void requeue_slurm_task(const std::string& job, int signal) {
    const process_output show = run_process({"scontrol", "show", "job", "-o", job});
    const auto field = [&show](const std::string& key) {
        const std::size_t at = show.out.find(" " + key + "=");
        if (at == std::string::npos) return std::string();
        const std::size_t start = at + key.size() + 2;
        return show.out.substr(start, show.out.find_first_of(" \n", start) - start);
    };
    const std::string state = field("JobState"), reason = field("Reason");
    const bool warned = signal == SIGUSR1 || signal == SIGUSR2;
    const bool requeue = (warned && state == "RUNNING") || reason == "TimeLimit" || reason.starts_with("Preempt");
    if (!requeue) {
        spdlog::info("Slurm job {} is {} (reason {}): not requeued", job, state.empty() ? "unknown" : state,
                     reason.empty() ? "none" : reason);
        return;
    }
    const process_output requeued = run_process({"scontrol", "requeue", job});
    if (requeued.succeeded())
        spdlog::info("Slurm job {} requeued: it resumes from the checkpoint when it runs again", job);
    else
        spdlog::warn("Slurm job {} could not be requeued ({}); `lutra sweep run SWEEP_DIR` resubmits it: {}", job,
                     requeued.started ? describe_wait_status(requeued.status) : requeued.start_error, requeued.err);
}

}  // namespace

std::string_view state_name(point_state s) noexcept {
    switch (s) {
        case point_state::pending: return "pending";
        case point_state::running: return "running";
        case point_state::done: return "done";
        case point_state::stopped: return "stopped";
        case point_state::failed: return "failed";
    }
    return "?";
}

int run_point(const fs::path& sweep_dir, std::size_t index, unsigned threads) {
    const sweep_plan plan = open_sweep_dir(sweep_dir);
    const sweep_point& point = point_at(plan, index, sweep_dir);
    const fs::path dir = point_dir(sweep_dir, point);
    const fs::path run = dir / run_name;
    if (!fs::is_directory(dir)) throw io_error(dir.string(), "run point", "the point's directory is missing");

    const point_lock lock(dir);
    if (!lock.held()) {
        const auto a = read_attempt(dir);
        throw error("point " + point.dir_name() + " is being run by another worker" +
                    (a ? " (attempt " + std::to_string(a->attempt) + " on " + a->host + ", pid " +
                             std::to_string(a->pid) + (a->slurm_job.empty() ? "" : ", Slurm job " + a->slurm_job) + ")"
                       : std::string()));
    }
    if (fs::exists(run / run_finished_mark)) {
        spdlog::info("point {} is done already ({}); nothing to run", point.dir_name(), (run / run_finished_mark).string());
        return 0;
    }

    // From here on the point's log holds everything this attempt says.
    const fs::path log = dir / log_name;
    spdlog::info("point {}: output goes to {}", point.dir_name(), log.string());
    std::fflush(stdout);
    const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw io_error(log.string(), "open log", std::strerror(errno));
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close(log_fd);

    attempt_record a;
    a.attempt = (read_attempt(dir).value_or(attempt_record{}).attempt) + 1;
    a.state = "running";
    a.host = host_name();
    a.pid = static_cast<long>(getpid());
    a.slurm_job = env("SLURM_JOB_ID");
    if (!env("SLURM_ARRAY_JOB_ID").empty())
        a.slurm_job = env("SLURM_ARRAY_JOB_ID") + "_" + env("SLURM_ARRAY_TASK_ID") + " (" + a.slurm_job + ")";
    a.started = now_text();
    write_attempt(dir, a);
    std::printf("== %s: point %s, attempt %u, on %s, pid %ld%s\n", a.started.c_str(), point.dir_name().c_str(),
                a.attempt, a.host.c_str(), a.pid, a.slurm_job.empty() ? "" : (", Slurm job " + a.slurm_job).c_str());
    std::fflush(stdout);

    const auto finish = [&](const std::string& state, const std::string& reason, const std::string& result, int code) {
        a.state = state;
        a.reason = reason;
        a.result = result;
        a.exit = "exit status " + std::to_string(code);
        a.ended = now_text();
        write_attempt(dir, a);
    };
    try {
        run_summary r;
        if (fs::exists(run / "checkpoint")) {
            r = resume_experiment(run, threads);
        } else {
            if (fs::exists(run)) {
                // Stopped or killed before its first checkpoint: nothing of it can be
                // continued, and the run is a function of its config alone.
                spdlog::info("{} has no checkpoint (the last attempt ended in its first epoch): starting again",
                             run.string());
                fs::remove_all(run);
            }
            run_request request{dir / "config.yaml", {}, run};
            if (threads != 0) request.overrides.push_back("threads=" + std::to_string(threads));
            r = run_experiment(request);
        }
        finish("done", "", "test " + percent(r.test_accuracy) + " hardened", 0);
        spdlog::info("point {} done: test {} hardened", point.dir_name(), percent(r.test_accuracy));
        return 0;
    } catch (const run_stopped& e) {
        finish("stopped", e.what(), "", stopped_exit_code);
        spdlog::warn("{}", e.what());
        // Array tasks are addressed as ARRAYJOB_TASK (each task's own job id differs).
        const std::string job = env("SLURM_ARRAY_JOB_ID").empty()
                                    ? env("SLURM_JOB_ID")
                                    : env("SLURM_ARRAY_JOB_ID") + "_" + env("SLURM_ARRAY_TASK_ID");
        if (!job.empty()) requeue_slurm_task(job, e.signal);
        return stopped_exit_code;
    } catch (const lutra::error& e) {
        finish("failed", e.what(), "", 1);  // as the CLI exits for bad input
        throw;
    } catch (const std::exception& e) {
        finish("failed", std::string("internal error: ") + e.what(), "", 3);
        throw;
    }
}

std::vector<std::size_t> select_points(const std::vector<point_status>& status, const std::vector<std::string>& only) {
    std::vector<std::size_t> chosen;
    for (std::size_t i = 0; i < status.size(); ++i) {
        const std::string_view name = state_name(status[i].state);
        // A point in Slurm's queue will run: submitting it again would only wait for its lock.
        if (status[i].queued) continue;
        const bool wanted = only.empty() ? status[i].state != point_state::done && status[i].state != point_state::running
                                         : std::find(only.begin(), only.end(), name) != only.end();
        if (wanted) chosen.push_back(i);
    }
    return chosen;
}

local_summary run_local(const fs::path& sweep_dir, const sweep_plan& plan, const std::vector<std::size_t>& indices,
                        const local_options& options) {
    local_summary summary;
    const unsigned jobs = std::max(1U, options.jobs);
    const unsigned hardware = std::max(1U, std::thread::hardware_concurrency());
    const unsigned threads = std::max(1U, hardware / jobs);
    std::map<pid_t, std::size_t> running;  // worker → point index
    std::size_t next = 0, finished = 0;
    bool stopping = false;
    const auto start_point = [&](std::size_t index) {
        const sweep_point& p = plan.points.at(index);
        const pid_t pid = spawn_logged({options.lutra.string(), "sweep", "run-one", sweep_dir.string(),
                                        "--index", std::to_string(index), "--threads", std::to_string(threads)},
                                       point_dir(sweep_dir, p) / log_name);
        running.emplace(pid, index);
        std::printf("start  %s\n", p.dir_name().c_str());
        std::fflush(stdout);
    };
    while (next < indices.size() || !running.empty()) {
        if (!stopping && stop_signal() != 0) {
            stopping = true;
            std::printf("stopping: no new points; the %zu running stop at their next safe point\n", running.size());
            std::fflush(stdout);
            for (const auto& [pid, index] : running) kill(pid, SIGTERM);
        }
        while (!stopping && next < indices.size() && running.size() < jobs) start_point(indices[next++]);
        if (running.empty()) break;
        // Polled, not blocking: the stop handlers restart an interrupted
        // waitpid, and a stop request must reach the workers at once.
        int status = 0;
        const pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0) {
            if (errno == EINTR) continue;
            throw error(std::string("waiting for the sweep's workers failed: ") + std::strerror(errno));
        }
        if (pid == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        const auto it = running.find(pid);
        if (it == running.end()) continue;
        const sweep_point& p = plan.points.at(it->second);
        running.erase(it);
        ++finished;
        const fs::path dir = point_dir(sweep_dir, p);
        std::optional<attempt_record> a = read_attempt(dir);
        // A worker that died without recording its end (killed, crashed) is recorded here.
        if (a && a->state == "running") {
            a->state = "failed";
            a->reason = "the worker ended without a result";
            a->ended = now_text();
        }
        // The exit status as the system saw it (a worker killed by a signal says nothing itself).
        if (a && a->exit != describe_wait_status(status)) {
            a->exit = describe_wait_status(status);
            write_attempt(dir, *a);
        }
        const bool done = fs::exists(dir / run_name / run_finished_mark);
        const std::string what = done ? "done" : a && a->state == "stopped" ? "stopped" : "failed";
        (done ? summary.done : what == "stopped" ? summary.stopped : summary.failed) += 1;
        std::string detail = done ? (a ? a->result : std::string())
                                  : a ? a->exit + ": " + a->reason
                                      : "the worker ended without a result: " + describe_wait_status(status);
        if (const std::size_t nl = detail.find('\n'); nl != std::string::npos) detail.resize(nl);
        std::printf("%-6s %s (%zu/%zu)%s%s\n", what.c_str(), p.dir_name().c_str(), finished, indices.size(),
                    detail.empty() ? "" : ": ", detail.c_str());
        std::fflush(stdout);
    }
    return summary;
}

std::string array_ranges(const std::vector<std::size_t>& indices) {
    std::string text;
    for (std::size_t i = 0; i < indices.size();) {
        std::size_t j = i;
        while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
        text += (text.empty() ? "" : ",") + std::to_string(indices[i]);
        if (j > i) text += (j == i + 1 ? "," : "-") + std::to_string(indices[j]);
        i = j + 1;
    }
    return text;
}

std::string slurm_script(const fs::path& sweep_dir, const sweep_plan& plan, const slurm_request& request) {
    const slurm_settings& s = request.settings;
    const fs::path dir = fs::absolute(sweep_dir).lexically_normal();
    const auto quote = [](const std::string& text) {
        std::string q = "'";
        for (const char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return q + "'";
    };
    std::ostringstream out;
    out << "#!/bin/bash\n";
    out << "# Sweep " << plan.name << " (hash " << plan.hash << "): one array task per point, written by lutra sweep run.\n";
    out << "#SBATCH --job-name=lutra-" << plan.name << "\n";
    out << "#SBATCH --array=" << array_ranges(request.indices);
    if (s.parallel != 0) out << "%" << s.parallel;
    out << "\n";
    out << "#SBATCH --output=" << (dir / "slurm" / "%A_%a.out").string() << "\n";
    out << "#SBATCH --open-mode=append\n";
    out << "#SBATCH --time=" << s.time << "\n";
    if (!s.partition.empty()) out << "#SBATCH --partition=" << s.partition << "\n";
    if (!s.account.empty()) out << "#SBATCH --account=" << s.account << "\n";
    if (!s.qos.empty()) out << "#SBATCH --qos=" << s.qos << "\n";
    if (s.cpus_per_task != 0) out << "#SBATCH --cpus-per-task=" << s.cpus_per_task << "\n";
    if (!s.mem.empty()) out << "#SBATCH --mem=" << s.mem << "\n";
    // A stopped task puts itself back in the queue, and a preempted one may be.
    out << "#SBATCH --requeue\n";
    // The warning goes to the batch shell (B:), which exec has made lutra itself.
    if (s.signal_seconds != 0) out << "#SBATCH --signal=B:USR1@" << s.signal_seconds << "\n";
    for (const std::string& option : s.sbatch) out << "#SBATCH " << option << "\n";
    out << "exec " << quote(fs::absolute(request.lutra).string()) << " sweep run-one " << quote(dir.string())
        << " --index \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-0}\"\n";
    return out.str();
}

std::string submit_slurm(const fs::path& sweep_dir, const sweep_plan& plan, const slurm_request& request) {
    if (!analysis::on_path("sbatch"))
        throw error("sbatch is not on PATH: this machine is not a Slurm login node (or Slurm's client is not "
                    "installed); run the sweep with --executor local, or from a machine that has sbatch");
    const std::string script = slurm_script(sweep_dir, plan, request);
    fs::create_directories(sweep_dir / "slurm");
    // One script per submission, kept: it is what the tasks ran.
    std::size_t n = 0;
    while (fs::exists(sweep_dir / "slurm" / ("array-" + std::to_string(n) + ".sh"))) ++n;
    const fs::path file = sweep_dir / "slurm" / ("array-" + std::to_string(n) + ".sh");
    core::publish_file(file, script);
    const process_output r = run_process({"sbatch", "--parsable", file.string()});
    if (!r.succeeded())
        throw error("sbatch " + file.string() + " failed (" +
                    (r.started ? describe_wait_status(r.status) : r.start_error) + "): " +
                    (r.err.empty() ? r.out : r.err));
    std::string job = r.out.substr(0, r.out.find_first_of(";\n"));
    if (job.empty() || job.find_first_not_of("0123456789") != std::string::npos)
        throw error("sbatch " + file.string() + " answered '" + r.out + "', not a job id");
    std::string jobs;
    if (fs::exists(sweep_dir / jobs_name)) jobs = core::read_file(sweep_dir / jobs_name, "read jobs");
    std::string indices;
    for (const std::size_t i : request.indices) indices += (indices.empty() ? "" : ",") + std::to_string(i);
    jobs += job + "\t" + indices + "\t" + now_text() + "\t" + file.filename().string() + "\n";
    core::publish_file(sweep_dir / jobs_name, jobs);
    return job;
}

namespace {

// What Slurm says about one array task.
struct slurm_task {
    std::string job;     // "55_3"
    std::string state;   // PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, OUT_OF_MEMORY, ...
    std::string reason;  // squeue's reason, or scontrol's
    std::string exit_code;
    std::string node;
};

// The job submitted last for each point, from slurm/jobs.tsv.
std::map<std::size_t, std::string> latest_jobs(const fs::path& sweep_dir) {
    std::map<std::size_t, std::string> latest;
    if (!fs::exists(sweep_dir / jobs_name)) return latest;
    std::istringstream lines(core::read_file(sweep_dir / jobs_name, "read jobs"));
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string job, indices;
        if (!std::getline(fields, job, '\t') || !std::getline(fields, indices, '\t')) continue;
        std::istringstream list(indices);
        std::string index;
        while (std::getline(list, index, ',')) latest[std::stoul(index)] = job;
    }
    return latest;
}

// The rows of squeue's and sacct's '|'-separated output with at least three fields.
std::vector<std::vector<std::string>> parsable_rows(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::vector<std::string> fields;
        std::istringstream split(line);
        std::string field;
        while (std::getline(split, field, '|')) fields.push_back(field);
        if (fields.size() >= 3) rows.push_back(std::move(fields));
    }
    return rows;
}

// Slurm's view of the array tasks of `job`, by task index: squeue for those
// queued or running, then sacct (when Slurm keeps accounting) or scontrol
// (for as long as the controller remembers finished jobs) for the others.
std::map<std::size_t, slurm_task> ask_slurm_about(const std::string& job) {
    std::map<std::size_t, slurm_task> tasks;
    const auto index_of = [&job](const std::string& id) -> std::optional<std::size_t> {
        if (!id.starts_with(job + "_")) return std::nullopt;
        const std::string rest = id.substr(job.size() + 1);
        if (rest.empty() || rest.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        return std::stoul(rest);
    };
    const process_output q = run_process({"squeue", "-h", "-r", "-j", job, "-o", "%i|%T|%r|%N"});
    if (q.succeeded())
        for (const std::vector<std::string>& f : parsable_rows(q.out))
            if (const auto i = index_of(f[0])) tasks[*i] = {f[0], f[1], f[2], "", f.size() > 3 ? f[3] : ""};
    const process_output acct = run_process({"sacct", "-n", "-P", "-X", "-j", job, "-o", "JobID,State,ExitCode"});
    if (acct.succeeded() && !acct.out.empty()) {
        for (const std::vector<std::string>& f : parsable_rows(acct.out))
            if (const auto i = index_of(f[0]); i && !tasks.contains(*i))
                tasks[*i] = {f[0], f[1].substr(0, f[1].find(' ')), "", f[2], ""};  // "CANCELLED by 0" → CANCELLED
        return tasks;
    }
    const process_output show = run_process({"scontrol", "show", "job", "-o", job});
    if (show.succeeded()) {
        std::istringstream lines(show.out);
        std::string line;
        while (std::getline(lines, line)) {
            std::map<std::string, std::string> kv;
            std::istringstream words(line);
            std::string word;
            while (words >> word)
                if (const std::size_t eq = word.find('='); eq != std::string::npos)
                    kv[word.substr(0, eq)] = word.substr(eq + 1);
            const std::string task = kv["ArrayTaskId"];
            if (task.empty() || task.find_first_not_of("0123456789") != std::string::npos) continue;
            const std::size_t i = std::stoul(task);
            if (!tasks.contains(i))
                tasks[i] = {job + "_" + task, kv["JobState"], kv["Reason"], kv["ExitCode"], kv["NodeList"]};
        }
    }
    return tasks;
}

}  // namespace

std::vector<point_status> sweep_status(const fs::path& sweep_dir, const sweep_plan& plan, bool ask_slurm) {
    std::map<std::size_t, std::string> jobs = ask_slurm ? latest_jobs(sweep_dir) : std::map<std::size_t, std::string>{};
    std::map<std::string, std::map<std::size_t, slurm_task>> slurm;  // per job
    if (!jobs.empty() && analysis::on_path("squeue"))
        for (const auto& [index, job] : jobs)
            if (!slurm.contains(job)) slurm[job] = ask_slurm_about(job);

    std::vector<point_status> status(plan.points.size());
    for (const sweep_point& p : plan.points) {
        point_status& s = status[p.index];
        const fs::path dir = point_dir(sweep_dir, p);
        const std::optional<attempt_record> a = read_attempt(dir);
        s.attempts = a ? a->attempt : 0;
        std::optional<slurm_task> task;
        if (const auto j = jobs.find(p.index); j != jobs.end())
            if (const auto t = slurm[j->second].find(p.index); t != slurm[j->second].end()) task = t->second;
        const bool queued = task && (task->state == "PENDING" || task->state == "REQUEUED" ||
                                     task->state == "CONFIGURING" || task->state == "REQUEUE_HOLD" ||
                                     task->state == "REQUEUE_FED" || task->state == "SUSPENDED");
        const bool slurm_running = task && (task->state == "RUNNING" || task->state == "COMPLETING");
        const std::string slurm_text =
            task ? "Slurm " + task->job + " " + task->state +
                       (task->reason.empty() || task->reason == "None" ? "" : " (" + task->reason + ")") +
                       (task->exit_code.empty() || task->exit_code == "0:0" ? "" : " exit " + task->exit_code)
                 : std::string();

        if (fs::exists(dir / run_name / run_finished_mark)) {
            s.state = point_state::done;
            s.detail = a ? a->result : "";
        } else if (point_lock::taken(dir) || slurm_running) {
            s.state = point_state::running;
            s.detail = a ? "attempt " + std::to_string(a->attempt) + " on " + a->host + " since " + a->started
                         : std::string("starting");
            if (!slurm_text.empty()) s.detail += "; " + slurm_text;
        } else if (queued) {
            s.state = point_state::pending;
            s.queued = true;
            s.detail = slurm_text;
            if (a && a->state == "stopped") s.detail += "; requeued after: " + a->reason;
        } else if (a && a->state == "failed") {
            s.state = point_state::failed;
            s.reason = (a->exit.empty() ? "" : a->exit + ": ") + a->reason;
            if (!slurm_text.empty()) s.reason += " [" + slurm_text + "]";
        } else if (a && a->state == "stopped") {
            s.state = point_state::stopped;
            s.detail = a->reason;
            if (!slurm_text.empty()) s.detail += " [" + slurm_text + "]";
        } else if (a && a->state == "running") {
            // Recorded as running, but no worker holds it: it died without a word.
            s.state = point_state::failed;
            s.reason = "attempt " + std::to_string(a->attempt) + " on " + a->host + " ended without a result";
            if (!slurm_text.empty()) s.reason += " [" + slurm_text + "]";
        } else if (task) {
            // Slurm ran the task, but it never reached lutra (a bad path, a node failure).
            s.state = point_state::failed;
            s.reason = "the task never started the point [" + slurm_text + "]; see " +
                       (sweep_dir / "slurm").string() + "/*_" + std::to_string(p.index) + ".out";
        } else {
            s.state = point_state::pending;
            s.detail = jobs.contains(p.index) ? "submitted as Slurm job " + jobs[p.index] + ", which Slurm no longer lists"
                                              : "not started";
        }
    }
    return status;
}

std::string describe_status(const sweep_plan& plan, const std::vector<point_status>& status) {
    std::size_t count[5] = {};
    for (const point_status& s : status) ++count[static_cast<int>(s.state)];
    std::string text = "sweep " + plan.name + ": " + std::to_string(plan.points.size()) + " points: ";
    bool first = true;
    for (const point_state st : {point_state::done, point_state::running, point_state::pending, point_state::stopped,
                                 point_state::failed}) {
        if (count[static_cast<int>(st)] == 0) continue;
        text += (first ? "" : ", ") + std::to_string(count[static_cast<int>(st)]) + " " + std::string(state_name(st));
        first = false;
    }
    text += "\n";
    for (const sweep_point& p : plan.points) {
        const point_status& s = status[p.index];
        std::string values;
        for (std::size_t i = 0; i < plan.parameters.size(); ++i)
            values += (i ? " " : "") + plan.parameters[i] + "=" + p.values[i];
        char line[64];
        std::snprintf(line, sizeof line, "  %s  %-8s", p.dir_name().c_str(), std::string(state_name(s.state)).c_str());
        std::string what = s.state == point_state::failed ? s.reason : s.detail;
        if (const std::size_t nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
        text += std::string(line) + values + (what.empty() ? "" : "\n      " + what) + "\n";
    }
    return text;
}

}  // namespace lutra::experiments
