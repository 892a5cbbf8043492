#include "lutra/core/node_stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <queue>
#include <thread>

#include "lutra/core/engine.hpp"
#include "lutra/core/error.hpp"

namespace lutra::core {

namespace {

// The table's output for 64 samples at once: the 2^k entries, each widened
// to 0 or all ones, are folded pairwise on input 0, then input 1, … — the
// multiplexer tree of a LUT. `entries` is scratch of at least 2^k words.
std::uint64_t table_word(std::span<const std::uint64_t> table, unsigned k, const std::uint64_t* x,
                         std::uint64_t* entries) {
    const std::size_t size = std::size_t{1} << k;
    for (std::size_t a = 0; a < size; ++a) entries[a] = 0 - ((table[a / 64] >> (a % 64)) & 1U);
    for (unsigned i = 0; i < k; ++i) {
        const std::size_t half = size >> (i + 1);
        for (std::size_t j = 0; j < half; ++j)
            entries[j] = (entries[2 * j] & ~x[i]) | (entries[2 * j + 1] & x[i]);
    }
    return entries[0];
}

// Lanes of word w that hold samples.
std::uint64_t valid_lanes(std::size_t w, std::size_t samples) {
    const std::size_t left = samples - w * 64;
    return left >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << left) - 1;
}

// Zero-delay readers of every node, as a CSR list (readers have larger indices).
struct reader_lists {
    std::vector<std::size_t> offset;
    std::vector<std::uint32_t> reader;
};

reader_lists zero_delay_readers(const network& net) {
    const std::uint32_t n_in = net.num_inputs();
    // Each distinct node source once: a node reading one source twice is its reader once.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;  // (source node, reader)
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        for (const std::uint32_t s : net.sources(n))
            if (s >= n_in) edges.emplace_back(s - n_in, n);
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    reader_lists r;
    r.offset.assign(net.num_nodes() + 1, 0);
    r.reader.reserve(edges.size());
    for (const auto& [source, reader] : edges) {
        ++r.offset[source + 1];
        r.reader.push_back(reader);
    }
    for (std::size_t i = 1; i < r.offset.size(); ++i) r.offset[i] += r.offset[i - 1];
    return r;
}

// Everything the sensitivity pass shares between threads, read-only.
struct sensitivity_context {
    const network& net;
    const bit_matrix& inputs;
    const bit_matrix& base;  // every node's output
    std::size_t words;       // 64-sample words holding samples
    reader_lists readers;
    std::vector<std::vector<std::uint32_t>> classes_of;  // per node: the classes whose group holds it
    std::vector<std::uint32_t> scores;                   // samples × classes, of the unchanged network
    std::vector<std::uint16_t> predictions;
};

// The fraction of samples whose decision changes when node `flipped`'s output
// is inverted: its fan-out cone is re-evaluated in index (topological) order,
// node by node, only where an input row changed.
class cone_evaluator {
public:
    explicit cone_evaluator(const sensitivity_context& c)
        : c_(c),
          alt_(c.net.num_nodes() * c.words),
          stamp_(c.net.num_nodes(), 0),
          queued_(c.net.num_nodes(), 0),
          entries_(std::size_t{1} << max_k) {}

    float sensitivity(std::uint32_t flipped) {
        const std::size_t W = c_.words;
        ++epoch_;
        changed_outputs_.clear();
        for (std::size_t w = 0; w < W; ++w) alt_[flipped * W + w] = ~base_word(flipped, w) & valid_lanes(w, c_.inputs.samples());
        mark_changed(flipped);
        while (!queue_.empty()) {
            const std::uint32_t n = queue_.top();
            queue_.pop();
            if (recompute(n)) mark_changed(n);
        }
        if (changed_outputs_.empty()) return 0.0F;
        return static_cast<float>(changed_decisions()) / static_cast<float>(c_.inputs.samples());
    }

private:
    // The engine computes the padding lanes too (from zero inputs): masked off here.
    std::uint64_t base_word(std::uint32_t n, std::size_t w) const {
        return c_.base.row(n)[w] & valid_lanes(w, c_.inputs.samples());
    }
    std::uint64_t word(std::uint32_t n, std::size_t w) const {
        return stamp_[n] == epoch_ ? alt_[n * c_.words + w] : base_word(n, w);
    }

    void mark_changed(std::uint32_t n) {
        stamp_[n] = epoch_;
        if (!c_.classes_of[n].empty()) changed_outputs_.push_back(n);
        for (std::size_t i = c_.readers.offset[n]; i < c_.readers.offset[n + 1]; ++i) {
            const std::uint32_t r = c_.readers.reader[i];
            if (queued_[r] != epoch_) {
                queued_[r] = epoch_;
                queue_.push(r);
            }
        }
    }

    // Node n's row from its (possibly changed) sources; true if it differs.
    bool recompute(std::uint32_t n) {
        const std::uint32_t n_in = c_.net.num_inputs();
        const auto sources = c_.net.sources(n);
        const unsigned k = c_.net.k(n);
        std::uint64_t x[max_k];
        bool differs = false;
        for (std::size_t w = 0; w < c_.words; ++w) {
            for (unsigned i = 0; i < k; ++i)
                x[i] = sources[i] < n_in ? c_.inputs.row(sources[i])[w] : word(sources[i] - n_in, w);
            const std::uint64_t y = table_word(c_.net.table(n), k, x, entries_.data()) & valid_lanes(w, c_.inputs.samples());
            alt_[n * c_.words + w] = y;
            differs |= y != base_word(n, w);
        }
        return differs;
    }

    std::size_t changed_decisions() const {
        const std::uint32_t classes = c_.net.head().num_classes;
        std::size_t changed = 0;
        std::vector<std::int64_t> score(classes);
        for (std::size_t w = 0; w < c_.words; ++w) {
            std::uint64_t touched = 0;
            for (const std::uint32_t n : changed_outputs_) touched |= alt_[n * c_.words + w] ^ base_word(n, w);
            while (touched) {
                const std::size_t s = w * 64 + static_cast<std::size_t>(std::countr_zero(touched));
                touched &= touched - 1;
                for (std::uint32_t c = 0; c < classes; ++c) score[c] = c_.scores[s * classes + c];
                for (const std::uint32_t n : changed_outputs_) {
                    const bool before = (base_word(n, w) >> (s % 64)) & 1U;
                    const bool after = (alt_[n * c_.words + w] >> (s % 64)) & 1U;
                    if (before == after) continue;
                    for (const std::uint32_t c : c_.classes_of[n]) score[c] += after ? 1 : -1;
                }
                std::uint32_t best = 0;  // ties to the lowest class, as the head decides
                for (std::uint32_t c = 1; c < classes; ++c)
                    if (score[c] > score[best]) best = c;
                changed += best != c_.predictions[s];
            }
        }
        return changed;
    }

    const sensitivity_context& c_;
    std::vector<std::uint64_t> alt_;     // rows of the flipped network, valid where stamp_ == epoch_
    std::vector<std::uint32_t> stamp_;
    std::vector<std::uint32_t> queued_;
    std::uint32_t epoch_ = 0;
    std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> queue_;
    std::vector<std::uint32_t> changed_outputs_;
    std::vector<std::uint64_t> entries_;
};

std::vector<float> sensitivities(const network& net, const bit_matrix& inputs, const bit_matrix& base,
                                 unsigned threads) {
    const group_sum_head& head = net.head();
    sensitivity_context c{net, inputs, base, (inputs.samples() + 63) / 64, zero_delay_readers(net), {}, {}, {}};
    c.classes_of.resize(net.num_nodes());
    const std::size_t group = head.outputs.size() / head.num_classes;
    bit_matrix planes(head.outputs.size(), inputs.samples());
    for (std::size_t j = 0; j < head.outputs.size(); ++j) {
        c.classes_of[head.outputs[j]].push_back(static_cast<std::uint32_t>(j / group));
        std::copy(base.row(head.outputs[j]).begin(), base.row(head.outputs[j]).end(), planes.row(j).begin());
    }
    head_output decided = group_sum(head, planes);
    c.scores = std::move(decided.scores);
    c.predictions = std::move(decided.predictions);

    std::vector<float> result(net.num_nodes(), 0.0F);
    const std::uint32_t nodes = net.num_nodes();
    const unsigned workers = std::max(1U, std::min<unsigned>(threads, nodes));
    // Interleaved nodes balance the work: late nodes have small cones.
    auto work = [&](unsigned t) {
        cone_evaluator cone(c);
        for (std::uint32_t n = t; n < nodes; n += workers) result[n] = cone.sensitivity(n);
    };
    if (workers == 1 || inputs.samples() == 0) {
        work(0);
    } else {
        std::vector<std::jthread> pool;
        for (unsigned t = 0; t < workers; ++t) pool.emplace_back(work, t);
    }
    return result;
}

}  // namespace

node_statistics measure_nodes(const network& net, const bit_matrix& inputs, const node_statistics_options& options) {
    if (!net.combinational()) throw error("node statistics: the network has delayed slots");
    if (inputs.rows() != net.num_inputs())
        throw error("node statistics: " + std::to_string(inputs.rows()) + " input rows for a network of " +
                    std::to_string(net.num_inputs()) + " inputs");
    const unsigned threads = options.threads ? options.threads : std::max(1U, std::thread::hardware_concurrency());
    node_statistics st;
    st.samples = inputs.samples();
    const std::uint32_t nodes = net.num_nodes();
    const bit_matrix base = bitslice_engine(net, {.threads = threads}).evaluate(inputs);
    const double samples = static_cast<double>(std::max<std::size_t>(1, inputs.samples()));

    st.activation_rate.resize(nodes);
    st.entropy.resize(nodes);
    for (std::uint32_t n = 0; n < nodes; ++n) {
        const double p = static_cast<double>(base.count(n)) / samples;
        st.activation_rate[n] = static_cast<float>(p);
        st.entropy[n] = p <= 0 || p >= 1 ? 0.0F : static_cast<float>(-p * std::log2(p) - (1 - p) * std::log2(1 - p));
    }

    unsigned usage_k = 0;
    for (std::uint32_t n = 0; n < nodes; ++n) usage_k = std::max(usage_k, net.k(n));
    if (usage_k <= max_usage_k) {
        // Minterm planes by doubling: after input i, plane a holds the samples
        // whose first i+1 inputs spell a's low bits.
        st.usage_k = usage_k;
        const std::size_t entries = std::size_t{1} << usage_k;
        st.entry_usage.assign(nodes * entries, 0);
        const std::size_t words = (inputs.samples() + 63) / 64;
        const std::uint32_t n_in = net.num_inputs();
        std::vector<std::uint64_t> minterm(entries);
        for (std::uint32_t n = 0; n < nodes; ++n) {
            const auto sources = net.sources(n);
            std::uint32_t* count = st.entry_usage.data() + n * entries;
            for (std::size_t w = 0; w < words; ++w) {
                minterm[0] = valid_lanes(w, inputs.samples());
                std::size_t size = 1;
                for (const std::uint32_t s : sources) {
                    const std::uint64_t x = s < n_in ? inputs.row(s)[w] : base.row(s - n_in)[w];
                    for (std::size_t a = 0; a < size; ++a) {
                        minterm[a + size] = minterm[a] & x;
                        minterm[a] &= ~x;
                    }
                    size *= 2;
                }
                for (std::size_t a = 0; a < size; ++a) count[a] += static_cast<std::uint32_t>(std::popcount(minterm[a]));
            }
        }
    }

    if (options.sensitivity && net.head().num_classes > 0) st.sensitivity = sensitivities(net, inputs, base, threads);
    return st;
}

std::vector<std::uint32_t> table_flips(const network& before, const network& after) {
    if (before.num_nodes() != after.num_nodes() || before.arrays().k != after.arrays().k)
        throw error("table flips: the networks differ in shape (" + std::to_string(before.num_nodes()) + " and " +
                    std::to_string(after.num_nodes()) + " nodes)");
    std::vector<std::uint32_t> flips(before.num_nodes(), 0);
    for (std::uint32_t n = 0; n < before.num_nodes(); ++n) {
        const auto a = before.table(n);
        const auto b = after.table(n);
        for (std::size_t w = 0; w < a.size(); ++w) flips[n] += static_cast<std::uint32_t>(std::popcount(a[w] ^ b[w]));
    }
    return flips;
}

void gradient_meter::add(const relaxed_engine::activations& dy) {
    if (dy.nodes() != sums_.size())
        throw error("gradient meter: " + std::to_string(dy.nodes()) + " nodes of gradient for a meter of " +
                    std::to_string(sums_.size()));
    constexpr std::size_t lanes = 16;  // independent partial sums, so the loop vectorises without reordering
    for (std::uint32_t n = 0; n < dy.nodes(); ++n) {
        const std::span<const float> row = dy.node(n);
        float partial[lanes] = {};
        std::size_t s = 0;
        for (; s + lanes <= row.size(); s += lanes)
            for (std::size_t l = 0; l < lanes; ++l) partial[l] += std::fabs(row[s + l]);
        for (; s < row.size(); ++s) partial[s % lanes] += std::fabs(row[s]);
        double sum = 0;
        for (const float p : partial) sum += p;
        sums_[n] += sum;
    }
    samples_ += dy.samples();
}

std::vector<float> gradient_meter::mean() const {
    std::vector<float> m(sums_.size(), 0.0F);
    if (samples_ == 0) return m;
    for (std::size_t n = 0; n < sums_.size(); ++n) m[n] = static_cast<float>(sums_[n] / static_cast<double>(samples_));
    return m;
}

void gradient_meter::reset() noexcept {
    std::fill(sums_.begin(), sums_.end(), 0.0);
    samples_ = 0;
}

}  // namespace lutra::core
