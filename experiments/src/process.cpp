// Starting other programs (process.hpp).
#include "lutra/experiments/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "lutra/analysis/gnuplot.hpp"
#include "lutra/core/error.hpp"

extern char** environ;

namespace lutra::experiments {

namespace {

std::vector<char*> argv_of(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    return argv;
}

int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return status;
}

// Closes a descriptor pair on every path out.
struct pipe_pair {
    int fd[2] = {-1, -1};
    pipe_pair() {
        if (pipe2(fd, O_CLOEXEC) != 0) throw error(std::string("cannot make a pipe: ") + std::strerror(errno));
    }
    ~pipe_pair() {
        for (int f : fd)
            if (f >= 0) close(f);
    }
    void close_end(int i) {
        if (fd[i] >= 0) close(fd[i]);
        fd[i] = -1;
    }
};

}  // namespace

bool process_output::succeeded() const noexcept { return started && WIFEXITED(status) && WEXITSTATUS(status) == 0; }

process_output run_process(const std::vector<std::string>& args) {
    process_output r;
    if (!analysis::on_path(args.at(0))) {
        r.start_error = args[0] + ": not found on PATH";
        return r;
    }
    pipe_pair out, err;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
    std::vector<char*> argv = argv_of(args);
    pid_t pid = 0;
    const int e = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (e != 0) {
        r.start_error = args[0] + ": cannot start: " + std::strerror(e);
        return r;
    }
    r.started = true;
    out.close_end(1);
    err.close_end(1);
    // Both pipes at once, so a child filling one while we wait on the other cannot stall.
    pollfd fds[2] = {{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}};
    std::string* sinks[2] = {&r.out, &r.err};
    int open_pipes = 2;
    char buffer[4096];
    while (open_pipes > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open_pipes;
            }
        }
    }
    r.status = wait_for(pid);
    return r;
}

pid_t spawn_logged(const std::vector<std::string>& args, const std::filesystem::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    std::vector<char*> argv = argv_of(args);
    pid_t pid = 0;
    const int e = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (e != 0) throw error("cannot start " + args[0] + ": " + std::strerror(e));
    return pid;
}

std::string describe_wait_status(int status) {
    if (status == -1) return "lost (cannot wait for it)";
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
    return "wait status " + std::to_string(status);
}

std::filesystem::path own_executable() {
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) throw error("cannot find this program's path (/proc/self/exe): " + ec.message());
    return self;
}

}  // namespace lutra::experiments
