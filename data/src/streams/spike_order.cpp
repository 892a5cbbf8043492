// spike-order: timing carries the label. Two input lines, A (input 0) and B
// (input 1), spike once each per sample of T = presentation ticks, at two
// distinct ticks drawn uniformly from 0 … T − 3 (the last two ticks carry
// no pair spike, so a network has time to decide); the label is 1 if A
// spiked first, else 0, given at the sample's last tick only (the decision
// tick; no_label at the others). Background noise: at every tick, each line
// also spikes with probability `noise`, so a line may show spurious spikes
// that blur which came first.
//
// Sample i (stream s shows samples s, s + S, s + 2S, …; modulo `samples`
// when it is > 0) is drawn from counter_rng(seed, "stream-spike-order").fork(i):
// index 0 the label (a fair coin, so the classes are balanced), 1 and 2 the
// two spike ticks, 3 + line·T + j the noise at tick j — a pure function of
// (seed, i), whatever stream shows it.

#include <algorithm>

#include "kinds.hpp"
#include "lutra/core/random.hpp"

namespace lutra::data::streams {

namespace {

// The ticks a sample's pair spikes may fall on: 0 … T − 1 − quiet_ticks.
constexpr std::uint32_t quiet_ticks = 2;

class spike_order final : public core::stimulus {
public:
    spike_order(const stream_params& p, std::size_t streams, std::uint64_t seed)
        : rng_(seed, "stream-spike-order"),
          ticks_(p.presentation),
          samples_(p.samples),
          noise_(p.noise),
          streams_(streams) {}

    [[nodiscard]] std::uint32_t num_inputs() const override { return 2; }
    [[nodiscard]] std::size_t streams() const override { return streams_; }
    [[nodiscard]] bool labelled() const override { return true; }

    void fill(std::uint64_t tick, core::bit_matrix& inputs) override {
        clear_inputs(*this, inputs);
        const auto j = static_cast<std::uint32_t>(tick % ticks_);
        for (std::size_t s = 0; s < streams_; ++s) {
            const drawn d = draw(tick, s);
            for (std::uint32_t line = 0; line < 2; ++line)
                if (d.spike_tick[line] == j || d.sample.uniform(3 + std::uint64_t{line} * ticks_ + j) < noise_)
                    set_input(inputs, line, s);
        }
    }

    void labels(std::uint64_t tick, std::span<std::uint16_t> out) override {
        check_labels(*this, out);
        const bool decision = tick % ticks_ == ticks_ - 1;
        for (std::size_t s = 0; s < streams_; ++s)
            out[s] = decision ? static_cast<std::uint16_t>(draw(tick, s).a_first) : no_label;
    }

private:
    struct drawn {
        counter_rng sample;
        bool a_first;
        std::uint32_t spike_tick[2];  // of A, of B
    };

    // The sample stream s shows at `tick`, and its pair spikes.
    [[nodiscard]] drawn draw(std::uint64_t tick, std::size_t s) const noexcept {
        std::uint64_t i = tick / ticks_ * streams_ + s;
        if (samples_ > 0) i %= samples_;
        const counter_rng sample = rng_.fork(i);
        const std::uint64_t positions = ticks_ - quiet_ticks;
        const auto first = static_cast<std::uint32_t>(sample.below(1, positions));
        // The second of two distinct ticks: one of the other positions − 1, shifted past the first.
        auto second = static_cast<std::uint32_t>(sample.below(2, positions - 1));
        if (second >= first) ++second;
        const bool a_first = (sample.at(0) & 1U) != 0;
        const std::uint32_t early = std::min(first, second), late = std::max(first, second);
        return {sample, a_first, {a_first ? early : late, a_first ? late : early}};
    }

    counter_rng rng_;
    std::uint64_t ticks_;
    std::uint64_t samples_;
    double noise_;
    std::size_t streams_;
};

}  // namespace

stream_shape shape_spike_order(const stream_params& p) {
    if (p.presentation < quiet_ticks + 2)
        throw param_error("presentation", "spike-order needs at least " + std::to_string(quiet_ticks + 2) +
                                              " ticks per sample (two spike ticks and " + std::to_string(quiet_ticks) +
                                              " quiet ones at the end); got " + std::to_string(p.presentation));
    return {.width = 2, .height = 1, .bits = 1, .classes = 2, .ticks_per_sample = p.presentation};
}

std::unique_ptr<core::stimulus> make_spike_order(const stream_params& p, std::size_t streams, std::uint64_t seed) {
    (void)shape_spike_order(p);
    return std::make_unique<spike_order>(p, streams, seed);
}

}  // namespace lutra::data::streams
