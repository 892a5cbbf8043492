#pragma once
// A progress display for long work: a one-line bar redrawn on stderr when it
// is a terminal, otherwise a log line every tenth of the way, so CI logs and
// Slurm output files stay readable. Silent when logging is at warning or above
// (`lutra --quiet`). Thread-safe: workers may call advance() concurrently.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace lutra::experiments {

class progress {
public:
    // `total` units of work called `unit` (e.g. "samples", "batches").
    progress(std::string label, std::size_t total, std::string unit);
    ~progress();
    progress(const progress&) = delete;
    progress& operator=(const progress&) = delete;

    void advance(std::size_t units = 1);
    // Extra text after the figures, e.g. "loss 0.31".
    void set_note(std::string note);
    // Draws the final state and ends the line; called by the destructor too.
    void finish();

private:
    void draw(bool final);

    std::string label_;
    std::string unit_;
    std::string note_;
    std::size_t total_;
    std::atomic<std::size_t> done_{0};
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
    std::size_t last_logged_tenth_ = 0;
    bool terminal_;
    bool enabled_;
    bool finished_ = false;
    std::mutex mutex_;
};

// "1.23 s", "4 min 05 s", "2 h 13 min".
[[nodiscard]] std::string format_duration(double seconds);
// "1.23e+10" style figures with SI prefixes: "12.3 G".
[[nodiscard]] std::string format_si(double value);

}  // namespace lutra::experiments
