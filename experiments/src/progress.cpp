#include "lutra/experiments/progress.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace lutra::experiments {

namespace {

using clock = std::chrono::steady_clock;

double seconds_between(clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

}  // namespace

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    char buf[64];
    if (seconds < 1) {
        std::snprintf(buf, sizeof buf, "%.3g ms", seconds * 1e3);
    } else if (seconds < 60) {
        std::snprintf(buf, sizeof buf, "%.2f s", seconds);
    } else if (seconds < 3600) {
        const auto s = static_cast<long>(seconds);
        std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
    } else {
        const auto m = static_cast<long>(seconds / 60);
        std::snprintf(buf, sizeof buf, "%ld h %02ld min", m / 60, m % 60);
    }
    return buf;
}

std::string format_si(double value) {
    static constexpr const char* prefixes[] = {"", " k", " M", " G", " T", " P"};
    int i = 0;
    while (std::fabs(value) >= 1000 && i < 5) {
        value /= 1000;
        ++i;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g%s", value, prefixes[i]);
    return buf;
}

progress::progress(std::string label, std::size_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      start_(clock::now()),
      last_draw_(start_),
      terminal_(isatty(STDERR_FILENO) != 0),
      enabled_(spdlog::should_log(spdlog::level::info)) {}

progress::~progress() { finish(); }

void progress::advance(std::size_t units) {
    done_ += units;
    if (!enabled_) return;
    const std::scoped_lock lock(mutex_);
    const auto now = clock::now();
    if (terminal_) {
        if (seconds_between(last_draw_, now) >= 0.1) draw(false);
    } else if (total_ > 0) {
        // Logs are read later: a line per tenth, but not more than one every 5 s.
        const std::size_t tenth = std::min<std::size_t>(10, done_ * 10 / total_);
        if (tenth > last_logged_tenth_ && tenth < 10 && seconds_between(last_draw_, now) >= 5.0) {
            last_logged_tenth_ = tenth;
            draw(false);
        }
    }
}

void progress::set_note(std::string note) {
    const std::scoped_lock lock(mutex_);
    note_ = std::move(note);
}

void progress::finish() {
    const std::scoped_lock lock(mutex_);
    if (finished_) return;
    finished_ = true;
    // In a log, a closing line only for work long enough to have been reported on.
    if (enabled_ && (terminal_ || last_logged_tenth_ > 0)) draw(true);
}

void progress::draw(bool final) {
    last_draw_ = clock::now();
    const std::size_t done = std::min(done_.load(), total_);
    const double elapsed = seconds_between(start_, last_draw_);
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const double fraction = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
    const std::string eta = final ? format_duration(elapsed)
                                  : (rate > 0 ? format_duration(static_cast<double>(total_ - done) / rate) + " left"
                                              : "?");
    std::string figures = std::to_string(done) + "/" + std::to_string(total_) + " " + unit_ + ", " +
                          format_si(rate) + " " + unit_ + "/s, " + eta;
    if (!note_.empty()) figures += ", " + note_;
    if (terminal_) {
        constexpr int width = 28;
        const int filled = static_cast<int>(fraction * width);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(width, '.');
        std::fprintf(stderr, "\r\033[K%s [%s] %3.0f%% %s%s", label_.c_str(), bar.c_str(), fraction * 100,
                     figures.c_str(), final ? "\n" : "");
        std::fflush(stderr);
    } else {
        spdlog::info("{}: {:.0f}% {}", label_, fraction * 100, figures);
    }
}

}  // namespace lutra::experiments
