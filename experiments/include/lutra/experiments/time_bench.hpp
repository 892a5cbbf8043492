#pragma once
// The timed engines' benchmark (`lutra bench simulate`, bench/bench_time.cpp):
// one random recurrent network with delays, driven by inputs that flip at a
// given activity, timed tick after tick. Both programs use this one harness,
// so their figures are of the same work.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/time.hpp"

namespace lutra::experiments {

// Input bits of a stretch of ticks, replayed in a loop without a jump: ticks
// 0 … h, then h − 1 … 1 again, so every step between consecutive ticks flips
// inputs at the same activity (a tape that restarted would flip half of them).
class stimulus_tape {
public:
    // `half` + 1 distinct ticks of core::random_flips.
    stimulus_tape(std::uint32_t num_inputs, std::size_t streams, double activity, std::size_t half,
                  std::uint64_t seed);
    [[nodiscard]] const core::bit_matrix& at(std::uint64_t tick) const noexcept;
    [[nodiscard]] std::size_t period() const noexcept { return 2 * (ticks_.size() - 1); }
    [[nodiscard]] std::size_t streams() const noexcept { return ticks_.front().samples(); }
    [[nodiscard]] std::uint32_t num_inputs() const noexcept { return static_cast<std::uint32_t>(ticks_.front().rows()); }
    [[nodiscard]] double activity() const noexcept { return activity_; }

private:
    std::vector<core::bit_matrix> ticks_;
    double activity_;
};

struct time_bench_result {
    std::string engine;
    std::size_t streams = 0;
    double activity = 0;             // input bits flipping per tick and stream
    std::uint64_t ticks = 0;         // timed
    double seconds = 0;
    std::uint64_t node_updates = 0;  // node evaluations × streams (a bit-sliced evaluation of S streams counts S)
    std::uint64_t toggles = 0;       // output changes, all nodes and streams
    [[nodiscard]] double ticks_per_second() const noexcept { return static_cast<double>(ticks) / seconds; }
    [[nodiscard]] double node_updates_per_second() const noexcept { return static_cast<double>(node_updates) / seconds; }
};

// Runs `engine` from reset on the tape for at least min_seconds and at least
// min_ticks, a whole number of ticks; the first `warmup` ticks are not timed
// (tick 0 evaluates every node).
[[nodiscard]] time_bench_result time_engine(core::timed_engine& engine, const stimulus_tape& tape, double min_seconds,
                                            std::uint64_t min_ticks, std::uint64_t warmup = 16);

// A digest of every node's output at every tick of stream 0 over the first
// `ticks` ticks of the tape from reset (untimed): equal digests mean equal
// traces, so engines and Verilator are shown to have run the same thing.
// Per tick, node n's bit goes to bit n % 64 of word n / 64, and each word w
// updates the digest d ← (d ⊕ w) · 0x100000001b3 (mod 2^64), words in order.
[[nodiscard]] std::uint64_t trace_digest(core::timed_engine& engine, const stimulus_tape& tape, std::uint64_t ticks);
// One tick of that digest: the engine's outputs of stream 0 folded into d.
[[nodiscard]] std::uint64_t fold_tick(std::uint64_t d, const core::timed_engine& engine);

}  // namespace lutra::experiments
