#include "lutra/experiments/stop.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "lutra/core/error.hpp"

namespace lutra::experiments {

namespace {

// Lock-free, so a handler may touch it (async-signal-safe).
std::atomic<int> requested{0};
static_assert(std::atomic<int>::is_always_lock_free);

// Whether stderr was a terminal when the handlers went in: a progress bar
// may then be mid-line, so the handler's line starts with a newline.
std::atomic<bool> stderr_is_terminal{false};

// Async-signal-safe pieces only: fixed texts, strlen, memcpy, write.
const char* fixed_name(int sig) noexcept {
    switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    default: return "a signal";
    }
}

void write_all(const char* text, std::size_t size) noexcept {
    while (size > 0) {
        const ssize_t n = ::write(STDERR_FILENO, text, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        text += n;
        size -= static_cast<std::size_t>(n);
    }
}

// One line, in one write: "[lutra] SIGUSR1: stopping at the next safe point …".
void say_stopping(int sig) noexcept {
    char line[160];
    std::size_t size = 0;
    const auto append = [&](const char* text) {
        const std::size_t n = std::min(std::strlen(text), sizeof line - size);
        std::memcpy(line + size, text, n);
        size += n;
    };
    if (stderr_is_terminal.load(std::memory_order_relaxed)) append("\n");  // below a progress bar
    append("[lutra] ");
    append(fixed_name(sig));
    // Slurm's warning leaves time to finish the epoch (runner.cpp); the others do not.
    append(sig == SIGUSR1 || sig == SIGUSR2
               ? ": stopping after this epoch, with its checkpoint; send it again to kill now\n"
               : ": stopping at the next safe point (after this batch); send it again to kill now\n");
    write_all(line, size);
}

// SA_RESETHAND has already given the signal its default action back when
// this runs: the same signal again kills.
void on_stop_signal(int sig) {
    const int saved_errno = errno;
    request_stop(sig);
    say_stopping(sig);
    errno = saved_errno;
}

}  // namespace

stop_signals::stop_signals() {
    clear_stop();
    stderr_is_terminal.store(isatty(STDERR_FILENO) != 0, std::memory_order_relaxed);
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_RESETHAND;
    for (std::size_t i = 0; i < handled.size(); ++i) {
        if (sigaction(handled[i], nullptr, &previous_[i]) != 0)
            throw internal_error(std::string("sigaction: ") + std::strerror(errno));
        if (previous_[i].sa_handler == SIG_IGN) continue;  // ignored by whoever started us: stays so
        if (sigaction(handled[i], &action, nullptr) != 0)
            throw internal_error(std::string("sigaction: ") + std::strerror(errno));
    }
}

stop_signals::~stop_signals() {
    for (std::size_t i = handled.size(); i-- > 0;) sigaction(handled[i], &previous_[i], nullptr);
}

int stop_signal() noexcept { return requested.load(std::memory_order_relaxed); }

void request_stop(int sig) noexcept {
    int none = 0;
    requested.compare_exchange_strong(none, sig, std::memory_order_relaxed);
}

void clear_stop() noexcept { requested.store(0, std::memory_order_relaxed); }

std::string signal_name(int sig) {
    if (const char* abbrev = sigabbrev_np(sig)) return std::string("SIG") + abbrev;
    return "signal " + std::to_string(sig);
}

}  // namespace lutra::experiments
