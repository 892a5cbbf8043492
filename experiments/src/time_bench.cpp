#include "lutra/experiments/time_bench.hpp"

#include <chrono>

#include "lutra/core/error.hpp"

namespace lutra::experiments {

stimulus_tape::stimulus_tape(std::uint32_t num_inputs, std::size_t streams, double activity, std::size_t half,
                             std::uint64_t seed)
    : activity_(activity) {
    if (half == 0) throw error("stimulus tape: needs at least two ticks (half ≥ 1)");
    core::random_flips flips(num_inputs, streams, activity, seed);
    core::bit_matrix m(num_inputs, streams);
    for (std::size_t t = 0; t <= half; ++t) {
        flips.fill(t, m);
        ticks_.push_back(m);
    }
}

const core::bit_matrix& stimulus_tape::at(std::uint64_t tick) const noexcept {
    const std::size_t i = static_cast<std::size_t>(tick % period());
    return ticks_[i < ticks_.size() ? i : period() - i];
}

time_bench_result time_engine(core::timed_engine& engine, const stimulus_tape& tape, double min_seconds,
                              std::uint64_t min_ticks, std::uint64_t warmup) {
    using clock = std::chrono::steady_clock;
    engine.reset();
    std::uint64_t tick = 0;
    for (; tick < warmup; ++tick) engine.step(tape.at(tick));
    const std::uint64_t updates_before = engine.node_updates();
    std::uint64_t toggles_before = 0;
    for (const std::uint64_t x : engine.toggles()) toggles_before += x;
    const auto start = clock::now();
    double seconds = 0;
    std::uint64_t timed = 0;
    // The clock is read every 16 ticks, so a fast engine is not timing the clock.
    while (timed < min_ticks || seconds < min_seconds) {
        for (int i = 0; i < 16; ++i, ++tick, ++timed) engine.step(tape.at(tick));
        seconds = std::chrono::duration<double>(clock::now() - start).count();
    }
    time_bench_result r;
    r.engine = std::string(core::to_string(engine.kind()));
    r.streams = engine.streams();
    r.activity = tape.activity();
    r.ticks = timed;
    r.seconds = seconds;
    r.node_updates = (engine.node_updates() - updates_before) * engine.streams();
    for (const std::uint64_t x : engine.toggles()) r.toggles += x;
    r.toggles -= toggles_before;
    return r;
}

std::uint64_t trace_digest(core::timed_engine& engine, const stimulus_tape& tape, std::uint64_t ticks) {
    engine.reset();
    std::uint64_t d = 0;
    for (std::uint64_t t = 0; t < ticks; ++t) {
        engine.step(tape.at(t));
        d = fold_tick(d, engine);
    }
    return d;
}

std::uint64_t fold_tick(std::uint64_t d, const core::timed_engine& engine) {
    const std::uint32_t nodes = engine.net().num_nodes();
    for (std::uint32_t first = 0; first < nodes; first += 64) {
        std::uint64_t w = 0;
        for (std::uint32_t n = first; n < nodes && n < first + 64; ++n)
            w |= std::uint64_t{engine.outputs().get(n, 0)} << (n - first);
        d = (d ^ w) * 0x100000001b3ULL;
    }
    return d;
}

}  // namespace lutra::experiments
