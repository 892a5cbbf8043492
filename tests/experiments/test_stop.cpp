// A graceful stop on a signal (stop.hpp): a run stopped between batches
// throws run_stopped naming the checkpoint's epoch, and resume_experiment
// ends it with the tables and metrics of a run that was never stopped. The
// real `lutra run` under kill -USR1 / a second SIGINT: tests/experiments/stop_signal.sh.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/experiments/checkpoint.hpp"
#include "lutra/experiments/runner.hpp"
#include "lutra/experiments/stop.hpp"
#include "lutra/runfile/run_file.hpp"
#include "lutra/runfile/run_reader.hpp"
#include "support/temp_dir.hpp"
#include "support/majority_config.hpp"

namespace fs = std::filesystem;
using namespace lutra;
using namespace lutra::experiments;

namespace {

// Twelve epochs of some tens of milliseconds each, so a signal lands mid-run.
void write_config(const fs::path& file) { lutra::test::write_majority_config(file, {.name = "stop", .seed = 5}); }

// The metrics without their wall times, which differ from run to run.
std::vector<runfile::metrics_row> timeless_metrics(const fs::path& run) {
    std::vector<runfile::metrics_row> rows = runfile::run_file::open(run / "run.h5").read_metrics();
    for (runfile::metrics_row& r : rows) r.seconds = 0;
    return rows;
}

std::uint32_t checkpoint_epoch(const fs::path& run) {
    try {
        return read_checkpoint(run / "checkpoint").state.epoch;
    } catch (const lutra::error&) {
        return 0;  // not there yet (it is renamed into place whole)
    }
}

// Clears the process-wide request whatever a test case does.
struct clear_stop_after {
    ~clear_stop_after() { clear_stop(); }
};

}  // namespace

TEST_CASE("stop: a run stopped by SIGUSR1 resumes to the tables and metrics of an uninterrupted run") {
    const clear_stop_after clear;
    const lutra::test::temp_dir dir("lutra-test-stop");
    const fs::path config = dir.path / "stop.yaml";
    write_config(config);
    const fs::path whole = dir.path / "whole";
    CHECK(run_experiment({config, {}, whole}).resumed_from_epoch == 0);

    // The real handlers; the signal from another thread once epoch 2's checkpoint is there.
    const fs::path out = dir.path / "stopped";
    std::optional<run_stopped> stopped;
    {
        const stop_signals handlers;
        std::atomic<bool> done{false};
        std::thread sender([&] {
            while (!done.load()) {
                if (checkpoint_epoch(out) >= 2) {
                    kill(getpid(), SIGUSR1);
                    return;
                }
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            }
        });
        try {
            (void)run_experiment({config, {}, out});
        } catch (const run_stopped& e) {
            stopped = e;
        }
        done = true;
        sender.join();
    }
    REQUIRE(stopped);
    CHECK(stop_signal() == SIGUSR1);
    CHECK(stopped->signal == SIGUSR1);
    CHECK(stopped->dir == out);
    CHECK(stopped->epochs == 12);
    CHECK(stopped->resumable());
    const std::uint32_t done = stopped->epochs_done;
    CHECK(done == checkpoint_epoch(out));
    CHECK(done >= 2);
    CHECK(done < 12);
    const std::string n = std::to_string(done);
    CHECK(std::string(stopped->what()) == "stopped by SIGUSR1 after epoch " + n + " of 12; the checkpoint holds epoch " +
                                              n + ": continue with `lutra run --resume " + out.string() + "`");
    CHECK_FALSE(fs::exists(out / "summary.txt"));
    // Rows of finished epochs only: train, test and test_relaxed each.
    CHECK(timeless_metrics(out).size() == 3 * done);

    // Still asked to stop, a resume stops before its first epoch, resumable as before.
    const std::string again = "stopped by SIGUSR1 after epoch " + n;
    CHECK_THROWS_WITH_AS((void)resume_experiment(out), doctest::Contains(again.c_str()), run_stopped);
    CHECK(checkpoint_epoch(out) == done);

    clear_stop();
    const run_summary resumed = resume_experiment(out);
    CHECK(resumed.resumed_from_epoch == done);
    CHECK(fs::exists(out / "summary.txt"));
    const core::network expected = runfile::run_file::open(whole / "run.h5").read_network();
    const core::network got = runfile::run_file::open(out / "run.h5").read_network();
    CHECK(got.arrays().tables == expected.arrays().tables);
    CHECK(got.arrays().sources == expected.arrays().sources);
    CHECK(timeless_metrics(out) == timeless_metrics(whole));
    CHECK(runfile::run_reader(out).stats() == runfile::run_reader(whole).stats());
}

TEST_CASE("stop: before the first checkpoint there is nothing to resume; after the last epoch the run finishes") {
    const clear_stop_after clear;
    const lutra::test::temp_dir dir("lutra-test-stop");
    const fs::path config = fs::path(LUTRA_CONFIGS_DIR) / "parity.yaml";

    const fs::path early = dir.path / "early";
    request_stop(SIGTERM);
    try {
        (void)run_experiment({config, {"train.epochs=3"}, early});
        FAIL("the run did not stop");
    } catch (const run_stopped& e) {
        CHECK(e.epochs_done == 0);
        CHECK_FALSE(e.resumable());
        CHECK(std::string(e.what()) == "stopped by SIGTERM before its first epoch finished, so " + early.string() +
                                           " has no checkpoint to resume from: start the run again (remove the "
                                           "directory first: a run never overwrites another)");
    }
    CHECK_FALSE(fs::exists(early / "checkpoint"));
    clear_stop();
    CHECK_THROWS_WITH_AS((void)resume_experiment(early),
                         doctest::Contains(("nothing to resume: " + early.string() + " has no checkpoint").c_str()),
                         lutra::error);

    // Every epoch trained when the request comes (killed before summary.txt):
    // the resume only finishes the run.
    const fs::path late = dir.path / "late";
    (void)run_experiment({config, {"train.epochs=3"}, late});
    fs::remove(late / "summary.txt");
    request_stop(SIGUSR1);
    CHECK(resume_experiment(late).resumed_from_epoch == 3);
    CHECK(fs::exists(late / "summary.txt"));
}

namespace {

using handler = void (*)(int);

handler handler_of(int sig) {
    struct sigaction a {};
    sigaction(sig, nullptr, &a);
    return a.sa_handler;
}

// doctest cannot print function pointers; a bool it can.
bool handles(int sig, handler h) { return handler_of(sig) == h; }

}  // namespace

TEST_CASE("stop_signals: installed for its lifetime; the first signal asks, the same one again kills") {
    const clear_stop_after clear;
    CHECK(signal_name(SIGUSR1) == "SIGUSR1");
    CHECK(signal_name(SIGTERM) == "SIGTERM");
    CHECK(signal_name(0) == "signal 0");

    const handler before = handler_of(SIGUSR2);
    struct sigaction ignore {}, sigint_before {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &sigint_before);  // doctest's handler, put back below
    {
        const stop_signals handlers;
        CHECK_FALSE(handles(SIGUSR2, before));
        CHECK(handles(SIGINT, SIG_IGN));  // inherited as ignored: stays so
        CHECK(stop_signal() == 0);
        raise(SIGUSR2);
        CHECK(stop_signal() == SIGUSR2);
        CHECK(handles(SIGUSR2, SIG_DFL));  // a second SIGUSR2 would kill
        request_stop(SIGTERM);
        CHECK(stop_signal() == SIGUSR2);  // the first request is kept
    }
    CHECK(handles(SIGUSR2, before));
    sigaction(SIGINT, &sigint_before, nullptr);
    {
        const stop_signals handlers;
        CHECK(stop_signal() == 0);  // a new lifetime starts without a request
    }

    // In a child, which a second SIGINT kills.
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        signal(SIGINT, SIG_DFL);
        const stop_signals handlers;
        raise(SIGINT);
        if (stop_signal() != SIGINT) _exit(2);
        raise(SIGINT);
        _exit(3);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGINT);
}
