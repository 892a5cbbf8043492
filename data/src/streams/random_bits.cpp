// Tasks on a stream of random bits, one input bit per tick, that need memory:
//   delayed-xor  label(t) = x(t) xor x(t − delay), for t ≥ delay
//   parity       label(t) = parity of x(t − window + 1 .. t), for t ≥ window − 1
// with no label before. x(s, t), stream s's bit at tick t, is bit t mod 64 of
// counter_rng(seed, purpose).fork(s).at(t / 64), purpose "stream-delayed-xor"
// or "stream-parity": uniform, independent per stream, and a pure function of
// (seed, s, t), so labels are recomputed from the bits, never remembered.

#include <bit>

#include "kinds.hpp"
#include "lutra/core/random.hpp"

namespace lutra::data::streams {

namespace {

constexpr stream_shape one_bit_shape = {.width = 1, .height = 1, .bits = 1, .classes = 2, .ticks_per_sample = 0};

class random_bits_stimulus : public core::stimulus {
public:
    random_bits_stimulus(std::string_view purpose, std::size_t streams, std::uint64_t seed)
        : rng_(seed, purpose), streams_(streams) {}

    [[nodiscard]] std::uint32_t num_inputs() const override { return 1; }
    [[nodiscard]] std::size_t streams() const override { return streams_; }
    [[nodiscard]] bool labelled() const override { return true; }

    void fill(std::uint64_t tick, core::bit_matrix& inputs) override {
        clear_inputs(*this, inputs);
        for (std::size_t s = 0; s < streams_; ++s)
            if (bit(rng_.fork(s), tick)) set_input(inputs, 0, s);
    }

    void labels(std::uint64_t tick, std::span<std::uint16_t> out) override {
        check_labels(*this, out);
        for (std::size_t s = 0; s < streams_; ++s) out[s] = label(rng_.fork(s), tick);
    }

protected:
    static bool bit(const counter_rng& bits, std::uint64_t tick) noexcept { return (bits.at(tick / 64) >> (tick % 64)) & 1U; }
    // Parity of the bits at ticks first … last (first ≤ last), a word at a time.
    static bool parity(const counter_rng& bits, std::uint64_t first, std::uint64_t last) noexcept {
        unsigned ones = 0;
        for (std::uint64_t word = first / 64; word <= last / 64; ++word) {
            std::uint64_t w = bits.at(word);
            if (word == last / 64 && last % 64 != 63) w &= (std::uint64_t{2} << (last % 64)) - 1;
            if (word == first / 64) w &= ~std::uint64_t{0} << (first % 64);
            ones += static_cast<unsigned>(std::popcount(w));
        }
        return (ones & 1U) != 0;
    }
    [[nodiscard]] virtual std::uint16_t label(const counter_rng& bits, std::uint64_t tick) const = 0;

private:
    counter_rng rng_;
    std::size_t streams_;
};

class delayed_xor final : public random_bits_stimulus {
public:
    delayed_xor(std::uint32_t delay, std::size_t streams, std::uint64_t seed)
        : random_bits_stimulus("stream-delayed-xor", streams, seed), delay_(delay) {}

private:
    [[nodiscard]] std::uint16_t label(const counter_rng& bits, std::uint64_t tick) const override {
        if (tick < delay_) return no_label;
        return bit(bits, tick) != bit(bits, tick - delay_) ? 1 : 0;
    }
    std::uint64_t delay_;
};

class window_parity final : public random_bits_stimulus {
public:
    window_parity(std::uint32_t window, std::size_t streams, std::uint64_t seed)
        : random_bits_stimulus("stream-parity", streams, seed), window_(window) {}

private:
    [[nodiscard]] std::uint16_t label(const counter_rng& bits, std::uint64_t tick) const override {
        if (tick + 1 < window_) return no_label;
        return parity(bits, tick + 1 - window_, tick) ? 1 : 0;
    }
    std::uint64_t window_;
};

}  // namespace

stream_shape shape_delayed_xor(const stream_params&) { return one_bit_shape; }

std::unique_ptr<core::stimulus> make_delayed_xor(const stream_params& p, std::size_t streams, std::uint64_t seed) {
    return std::make_unique<delayed_xor>(p.delay, streams, seed);
}

stream_shape shape_parity(const stream_params&) { return one_bit_shape; }

std::unique_ptr<core::stimulus> make_parity(const stream_params& p, std::size_t streams, std::uint64_t seed) {
    return std::make_unique<window_parity>(p.window, streams, seed);
}

}  // namespace lutra::data::streams
