// The event-driven engine (DESIGN §5): a node is evaluated only at a tick
// where something it reads changed (or its table did, or at tick 0).
//
// Every value a slot can read is a *signal*: an input bit or a node output
// as it is now, or a delayed copy — source s as it was d ticks ago, one copy
// per distinct (s, d) a slot reads. When a source changes at tick t, its new
// value is put in the timing wheel's bucket for tick t + d, once per delayed
// copy; at the start of that tick the bucket is delivered into the copies.
// The wheel has a power of two ≥ longest delay + 1 buckets, so an event is
// never put into the bucket being delivered. Readers of a changed signal are
// queued by level, and levels run in order, so a tick sees the zero-delay DAG
// in topological order and evaluates each queued node once.
//
// Planes are W words: W = 1 with one stream (a node is one table lookup),
// else whole 512-stream vectors evaluated by the bit-sliced kernels.
#include <algorithm>
#include <bit>
#include <cstring>

#include "../bitslice/kernels.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/time.hpp"

namespace lutra::core {
namespace {

class event_engine final : public timed_engine {
public:
    event_engine(network net, const time_options& options)
        : timed_engine(std::move(net), options.streams),
          isa_(options.instruction_set.value_or(best_isa())),
          words_(streams_ == 1 ? 1 : outputs_.stride()),
          num_sources_(net_.num_inputs() + net_.num_nodes()) {
        if (!isa_supported(isa_))
            throw error("event engine: this processor does not support " + std::string(to_string(isa_)));
        kernel_ = &kernels::kernels_for(isa_);
        build_signals();
        const std::uint32_t longest = longest_delay(net_);
        wheel_.resize(std::bit_ceil(std::size_t{longest} + 1));
        level_queue_.resize(std::size_t{net_.depth()} + 1);
        queued_.assign(net_.num_nodes(), 0);
        values_.assign(std::size_t{num_signals_} * words_, 0);
        scratch_.assign(kernels::scratch_words(words_), 0);
        result_.assign(words_, 0);
        column_mask_.assign(words_, 0);
        for (std::size_t w = 0; w < words_; ++w) {
            const std::size_t first = w * 64;
            column_mask_[w] = first >= streams_ ? 0 : streams_ - first >= 64 ? ~std::uint64_t{0}
                                                                             : (std::uint64_t{1} << (streams_ - first)) - 1;
        }
    }

    [[nodiscard]] time_engine_kind kind() const noexcept override { return time_engine_kind::event; }

    void step(const bit_matrix& inputs) override {
        check_inputs(inputs);
        changed_.clear();
        if (!started_) {
            for (std::uint32_t n = 0; n < net_.num_nodes(); ++n) queue(n);
            started_ = true;
        }
        for (std::uint32_t i = 0; i < net_.num_inputs(); ++i) {
            const std::uint64_t* in = inputs.row(i).data();
            std::uint64_t* v = value(i);
            bool differs = false;
            for (std::size_t w = 0; w < words_; ++w) differs |= (in[w] & column_mask_[w]) != v[w];
            if (!differs) continue;
            for (std::size_t w = 0; w < words_; ++w) v[w] = in[w] & column_mask_[w];
            source_changed(i);
        }
        deliver(wheel_[tick_ & (wheel_.size() - 1)]);
        for (std::size_t level = 1; level < level_queue_.size(); ++level) {
            std::vector<std::uint32_t>& queue = level_queue_[level];
            // Readers queued while this level runs sit at higher levels.
            for (const std::uint32_t n : queue) {
                queued_[n] = 0;
                evaluate(n);
            }
            queue.clear();
        }
        std::sort(changed_.begin(), changed_.end());
        ++tick_;
    }

    void reset() override {
        std::fill(values_.begin(), values_.end(), 0);
        for (bucket& b : wheel_) b.clear();
        for (auto& q : level_queue_) q.clear();
        std::fill(queued_.begin(), queued_.end(), 0);
        started_ = false;
        reset_counters();
    }

    [[nodiscard]] std::span<const std::uint64_t> slot_plane(std::uint32_t node, unsigned slot) const override {
        if (tick_ == 0) throw error("slot_plane: no tick has run since reset");
        return {values_.data() + std::size_t{slot_signal_[net_.slot_offset(node) + slot]} * words_, words_};
    }

    void set_table(std::uint32_t node, std::span<const std::uint64_t> table) override {
        check_table(node, table);
        std::copy(table.begin(), table.end(), tables_.begin() + static_cast<std::ptrdiff_t>(net_.table_offset(node)));
        if (started_) queue(node);
    }

private:
    // Pending delayed values of one tick: copy signal ids and their new values.
    struct bucket {
        std::vector<std::uint32_t> signals;
        std::vector<std::uint64_t> values;  // words_ per signal
        void clear() {
            signals.clear();
            values.clear();
        }
    };
    struct delayed_copy {
        std::uint32_t delay;
        std::uint32_t signal;
    };

    std::uint64_t* value(std::uint32_t signal) noexcept { return values_.data() + std::size_t{signal} * words_; }

    // Signals, each slot's signal, each signal's readers and each source's delayed copies.
    void build_signals() {
        const network_arrays& a = net_.arrays();
        struct read {
            std::uint32_t source, delay;
            auto operator<=>(const read&) const = default;
        };
        std::vector<read> copies;
        for (std::size_t slot = 0; slot < a.sources.size(); ++slot)
            if (a.delays[slot] != 0) copies.push_back({a.sources[slot], a.delays[slot]});
        std::sort(copies.begin(), copies.end());
        copies.erase(std::unique(copies.begin(), copies.end()), copies.end());
        num_signals_ = num_sources_ + static_cast<std::uint32_t>(copies.size());

        delayed_start_.assign(std::size_t{num_sources_} + 1, 0);
        for (const read& c : copies) ++delayed_start_[c.source + 1];
        for (std::uint32_t s = 0; s < num_sources_; ++s) delayed_start_[s + 1] += delayed_start_[s];
        delayed_.resize(copies.size());
        for (std::size_t i = 0; i < copies.size(); ++i)  // copies are sorted by source: CSR order already
            delayed_[i] = {copies[i].delay, num_sources_ + static_cast<std::uint32_t>(i)};

        slot_signal_.resize(a.sources.size());
        for (std::size_t slot = 0; slot < a.sources.size(); ++slot) {
            if (a.delays[slot] == 0) {
                slot_signal_[slot] = a.sources[slot];
            } else {
                const auto it = std::lower_bound(copies.begin(), copies.end(), read{a.sources[slot], a.delays[slot]});
                slot_signal_[slot] = num_sources_ + static_cast<std::uint32_t>(it - copies.begin());
            }
        }
        // Readers: each node once per signal it reads, however many slots do.
        std::vector<std::uint32_t> last_reader(num_signals_, ~std::uint32_t{0});
        std::vector<std::pair<std::uint32_t, std::uint32_t>> reads;  // (signal, node)
        for (std::uint32_t n = 0; n < net_.num_nodes(); ++n)
            for (unsigned i = 0; i < net_.k(n); ++i) {
                const std::uint32_t sig = slot_signal_[net_.slot_offset(n) + i];
                if (last_reader[sig] == n) continue;
                last_reader[sig] = n;
                reads.emplace_back(sig, n);
            }
        reader_start_.assign(std::size_t{num_signals_} + 1, 0);
        for (const auto& r : reads) ++reader_start_[r.first + 1];
        for (std::uint32_t s = 0; s < num_signals_; ++s) reader_start_[s + 1] += reader_start_[s];
        readers_.resize(reads.size());
        std::vector<std::uint32_t> fill(reader_start_.begin(), reader_start_.end() - 1);
        for (const auto& r : reads) readers_[fill[r.first]++] = r.second;
    }

    void queue(std::uint32_t node) {
        if (queued_[node]) return;
        queued_[node] = 1;
        level_queue_[net_.level(node)].push_back(node);
    }

    void queue_readers(std::uint32_t signal) {
        for (std::uint32_t r = reader_start_[signal]; r < reader_start_[signal + 1]; ++r) queue(readers_[r]);
    }

    // Source `id` (input or node) took a new value at this tick.
    void source_changed(std::uint32_t id) {
        queue_readers(id);
        const std::uint64_t* v = value(id);
        for (std::uint32_t c = delayed_start_[id]; c < delayed_start_[id + 1]; ++c) {
            bucket& b = wheel_[(tick_ + delayed_[c].delay) & (wheel_.size() - 1)];
            b.signals.push_back(delayed_[c].signal);
            b.values.insert(b.values.end(), v, v + words_);
        }
    }

    void deliver(bucket& b) {
        for (std::size_t e = 0; e < b.signals.size(); ++e) {
            std::memcpy(value(b.signals[e]), b.values.data() + e * words_, words_ * sizeof(std::uint64_t));
            queue_readers(b.signals[e]);
        }
        b.clear();
    }

    void evaluate(std::uint32_t n) {
        ++node_updates_;
        const unsigned k = net_.k(n);
        const std::uint32_t* sig = slot_signal_.data() + net_.slot_offset(n);
        const std::uint64_t* table = tables_.data() + net_.table_offset(n);
        std::uint64_t* now = value(net_.num_inputs() + n);
        if (words_ == 1) {
            std::uint32_t address = 0;
            for (unsigned i = 0; i < k; ++i) address |= static_cast<std::uint32_t>(values_[sig[i]] & 1U) << i;
            const std::uint64_t bit = (table[address / 64] >> (address % 64)) & 1U;
            if (bit == now[0]) return;
            now[0] = bit;
            ++toggles_[n];
            outputs_.row(n)[0] = bit;
        } else {
            const std::uint64_t* x[max_k];
            for (unsigned i = 0; i < k; ++i) x[i] = values_.data() + std::size_t{sig[i]} * words_;
            kernel_->evaluate_node(k, x, table, words_, scratch_.data(), result_.data());
            std::uint64_t toggles = 0;
            for (std::size_t w = 0; w < words_; ++w) {
                result_[w] &= column_mask_[w];
                toggles += static_cast<std::uint64_t>(std::popcount(result_[w] ^ now[w]));
            }
            if (toggles == 0) return;
            toggles_[n] += toggles;
            std::copy(result_.begin(), result_.end(), now);
            std::copy(result_.begin(), result_.end(), outputs_.row(n).begin());
        }
        changed_.push_back(n);
        source_changed(net_.num_inputs() + n);
    }

    isa isa_;
    const kernels::kernel_set* kernel_ = nullptr;
    std::size_t words_;                        // per plane
    std::uint32_t num_sources_;                // inputs + nodes: signals 0 … num_sources_ − 1 are them now
    std::uint32_t num_signals_ = 0;            // and the delayed copies after them
    aligned_words values_;                     // num_signals_ planes
    std::vector<std::uint32_t> slot_signal_;   // per slot
    std::vector<std::uint32_t> reader_start_;  // per signal, CSR into readers_
    std::vector<std::uint32_t> readers_;
    std::vector<std::uint32_t> delayed_start_; // per source, CSR into delayed_
    std::vector<delayed_copy> delayed_;
    std::vector<bucket> wheel_;
    std::vector<std::vector<std::uint32_t>> level_queue_;
    std::vector<std::uint8_t> queued_;
    aligned_words scratch_, result_;
    std::vector<std::uint64_t> column_mask_;
    bool started_ = false;
};

}  // namespace

std::unique_ptr<timed_engine> make_event_engine(network net, const time_options& options) {
    return std::make_unique<event_engine>(std::move(net), options);
}

}  // namespace lutra::core
