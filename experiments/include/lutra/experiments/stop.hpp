#pragma once
// A graceful stop on a signal (docs/failure-behaviour.md): SIGTERM (a
// scheduler's preemption or time limit, `kill`), SIGINT (Ctrl-C), SIGUSR1 and
// SIGUSR2 (Slurm's warning before a time limit, `#SBATCH --signal=B:USR1@N`)
// ask training to stop at its next safe point, between batches, where the
// last finished epoch's checkpoint is whole and `lutra run --resume` goes on
// from it (runner.hpp, run_stopped).
//
// The request is one process-wide number, the first signal's, set by the
// handlers stop_signals installs and only read by the runner: whoever runs
// training (`lutra run`, a sweep's task) decides whether signals stop it.
// Each signal's first arrival requests the stop, prints one line on stderr
// and gives that signal its default action back, so the same signal sent
// again kills at once. A signal the process inherited as ignored (a script's
// background job ignores SIGINT; nohup) stays ignored.

#include <signal.h>

#include <array>
#include <string>

namespace lutra::experiments {

// The handlers, for the lifetime of the object: installed (with sigaction,
// SA_RESTART, so system calls in progress go on) by the constructor, which
// also clears any earlier request; the previous actions restored by the
// destructor. Objects may nest; destroy them in reverse order.
class stop_signals {
public:
    stop_signals();
    ~stop_signals();
    stop_signals(const stop_signals&) = delete;
    stop_signals& operator=(const stop_signals&) = delete;

    // The signals handled, in the order installed.
    static constexpr std::array<int, 4> handled = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2};

private:
    std::array<struct sigaction, handled.size()> previous_{};
};

// The signal that requested a stop, or 0 when none did. Async-signal-safe.
[[nodiscard]] int stop_signal() noexcept;
// Requests a stop as signal `sig` would (without printing); the first request
// is kept. For tests and for callers with their own reasons to stop.
void request_stop(int sig) noexcept;
// Forgets the request.
void clear_stop() noexcept;

// "SIGUSR1"; "signal N" for a number without a name.
[[nodiscard]] std::string signal_name(int sig);

}  // namespace lutra::experiments
