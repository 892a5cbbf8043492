#include "lutra/plasticity/learned_wiring.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <thread>

#include "lutra/core/error.hpp"
#include "lutra/plasticity/gradient.hpp"

namespace lutra::plasticity {

namespace {

// Σ a_i · b_i in eight interleaved partial sums, added in a fixed order:
// vectorisable without reassociating anything, so bit-identical everywhere.
float dot(const float* a, const float* b, std::size_t n) {
    std::array<float, 8> part{};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t j = 0; j < 8; ++j) part[j] += a[i + j] * b[i + j];
    for (; i < n; ++i) part[i % 8] += a[i] * b[i];
    return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

}  // namespace

learned_wiring::learned_wiring(const core::candidate_sources& candidates, const core::network& net)
    : num_inputs_(net.num_inputs()) {
    if (candidates.learn_temperature.empty()) return;
    const std::string rule(gradient_rule::rule_name);
    pool_offset_.push_back(0);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        for (std::uint32_t i = 0; i < net.k(n); ++i) {
            const auto slot = static_cast<std::uint32_t>(net.slot_offset(n) + i);
            const float t = candidates.temperature(slot);
            if (t <= 0.0F) continue;
            if (!net.arrays().delays.empty() && net.delays(n)[i] != 0)
                throw rule_limit_error(rule, n, "learn_wiring",
                                       "slot " + std::to_string(i) +
                                           " has a delay; learnable wiring trains static networks only");
            const std::span<const std::uint32_t> pool = candidates.of(slot);
            const std::uint32_t source = net.sources(n)[i];
            for (const std::uint32_t c : pool)
                if (c >= num_inputs_ && c - num_inputs_ >= n)
                    throw rule_limit_error(rule, n, "learn_wiring",
                                           "slot " + std::to_string(i) + " may choose node " +
                                               std::to_string(c - num_inputs_) +
                                               ", which does not come before it in the network's order; learnable "
                                               "wiring needs feed-forward candidates (sources in earlier layers)");
            slots_.push_back(slot);
            node_.push_back(n);
            temperature_.push_back(t);
            for (const std::uint32_t c : pool) {
                pools_read_inputs_ = pools_read_inputs_ || c < num_inputs_;
                candidates_.push_back(c);
                score_.push_back(c == source ? initial_lead : 0.0F);
            }
            pool_offset_.push_back(candidates_.size());
        }
    }
    m_.assign(score_.size(), 0.0F);
    v_.assign(score_.size(), 0.0F);
    grad_.assign(score_.size(), 0.0F);
}

bool learned_wiring::choose(std::vector<std::uint32_t>& sources) const {
    bool changed = false;
    std::vector<std::uint32_t> taken;  // by earlier slots of the same node
    const auto is_taken = [&taken](std::uint32_t c) { return std::find(taken.begin(), taken.end(), c) != taken.end(); };
    for (std::size_t r = 0; r < slots_.size(); ++r) {
        if (r == 0 || node_[r] != node_[r - 1]) taken.clear();
        const std::uint64_t first = pool_offset_[r], last = pool_offset_[r + 1];
        // The best candidate is rarely taken: look for it first.
        std::uint64_t best = first;
        for (std::uint64_t e = first + 1; e < last; ++e)
            if (score_[e] > score_[best]) best = e;
        if (is_taken(candidates_[best])) {
            best = last;
            for (std::uint64_t e = first; e < last; ++e)
                if (!is_taken(candidates_[e]) && (best == last || score_[e] > score_[best])) best = e;
        }
        // A pool holds at least as many candidates as the node's learnable
        // slots (the genome checks it), so some candidate is always free.
        const std::uint32_t chosen = candidates_[best];
        taken.push_back(chosen);
        std::uint32_t& source = sources[slots_[r]];
        changed = changed || source != chosen;
        source = chosen;
    }
    return changed;
}

bool learned_wiring::learn(const core::bit_matrix& inputs, std::size_t first_sample, std::size_t count,
                           const core::relaxed_engine::activations& y,
                           const core::relaxed_engine::activations& slot_dy, const optimizer_params& optimizer,
                           std::uint64_t step, float learning_rate, unsigned threads,
                           std::vector<std::uint32_t>& sources) {
    if (slots_.empty() || count == 0) return false;
    // The batch's input bits as floats, one row per input (none when only
    // later layers learn: MNIST's 2,352 rows would be unpacked for nothing).
    const std::uint32_t input_rows = pools_read_inputs_ ? num_inputs_ : 0;
    inputs_.resize(std::size_t{input_rows} * count);
    for (std::uint32_t row = 0; row < input_rows; ++row) {
        const std::uint64_t* words = inputs.data() + row * inputs.stride();
        float* out = inputs_.data() + std::size_t{row} * count;
        for (std::size_t s = 0; s < count; ++s) {
            const std::size_t at = first_sample + s;
            out[s] = static_cast<float>((words[at / 64] >> (at % 64)) & 1U);
        }
    }
    // Slots are independent: contiguous shares, one per thread.
    const std::size_t shares = std::clamp<std::size_t>(threads, 1, (slots_.size() + 255) / 256);
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < shares; ++t)
        pool.emplace_back([&, t] { slot_gradients(t * slots_.size() / shares, (t + 1) * slots_.size() / shares, count, y, slot_dy); });
    slot_gradients(0, slots_.size() / shares, count, y, slot_dy);
    pool.clear();
    optimizer_step(optimizer, step, learning_rate, score_, m_, v_, grad_);
    return choose(sources);
}

void learned_wiring::slot_gradients(std::size_t begin, std::size_t end, std::size_t count,
                                    const core::relaxed_engine::activations& y,
                                    const core::relaxed_engine::activations& slot_dy) {
    std::vector<float> g, pi;
    for (std::size_t r = begin; r < end; ++r) {
        const float* dp = slot_dy.node(static_cast<std::uint32_t>(r)).data();
        const std::uint64_t first = pool_offset_[r], last = pool_offset_[r + 1];
        g.resize(last - first);
        pi.resize(last - first);
        for (std::uint64_t e = first; e < last; ++e) {
            const std::uint32_t c = candidates_[e];
            const float* x = c < num_inputs_ ? inputs_.data() + std::size_t{c} * count : y.node(c - num_inputs_).data();
            g[e - first] = dot(dp, x, count);
        }
        // π = softmax(ω / T), from the largest score for range.
        const float inv_t = 1.0F / temperature_[r];
        float top = score_[first];
        for (std::uint64_t e = first; e < last; ++e) top = std::max(top, score_[e]);
        float z = 0.0F;
        for (std::uint64_t e = first; e < last; ++e) z += pi[e - first] = std::exp((score_[e] - top) * inv_t);
        float mean = 0.0F;
        for (std::size_t j = 0; j < pi.size(); ++j) mean += (pi[j] /= z) * g[j];
        for (std::uint64_t e = first; e < last; ++e) grad_[e] = pi[e - first] * inv_t * (g[e - first] - mean);
    }
}

void learned_wiring::save(named_state& state) const {
    if (slots_.empty()) return;
    state.floats["wiring_score"] = score_;
    state.floats["wiring_m"] = m_;
    state.floats["wiring_v"] = v_;
}

void learned_wiring::restore(const named_state& state) {
    if (slots_.empty()) return;
    for (const auto& [name, target] : {std::pair{"wiring_score", &score_}, std::pair{"wiring_m", &m_},
                                       std::pair{"wiring_v", &v_}}) {
        const auto found = state.floats.find(name);
        if (found == state.floats.end())
            throw error(std::string("gradient state: no '") + name + "' for the network's learnable wiring");
        if (found->second.size() != score_.size())
            throw error(std::string("gradient state: ") + name + " has " + std::to_string(found->second.size()) +
                        " scores for learnable pools of " + std::to_string(score_.size()) + " candidates");
        *target = found->second;
    }
}

}  // namespace lutra::plasticity
