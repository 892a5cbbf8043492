#include "lutra/core/node_stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <queue>
#include <thread>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"

namespace lutra::core {

namespace {

// A LUT6's output for 64 samples at once, x[0..6) the input words (zero for
// unused inputs: a table of k < 6 is zero at addresses ≥ 2^k). The 16
// functions of x0, x1 are built once; each 4-bit slice of the table picks
// one, and 15 multiplexers on x2..x5 join the picks — about 100 operations
// instead of 190 for a plain 63-multiplexer tree.
std::uint64_t lut6_word(std::uint64_t table, const std::uint64_t* x) {
    const std::uint64_t minterm[4] = {~x[0] & ~x[1], x[0] & ~x[1], ~x[0] & x[1], x[0] & x[1]};
    std::uint64_t of_x01[16];
    of_x01[0] = 0;
    for (unsigned n = 1; n < 16; ++n)
        of_x01[n] = of_x01[n & (n - 1)] | minterm[std::countr_zero(n)];
    std::uint64_t level[16];
    for (unsigned m = 0; m < 16; ++m) level[m] = of_x01[(table >> (4 * m)) & 15U];
    for (unsigned i = 2, size = 16; i < 6; ++i, size /= 2)
        for (unsigned j = 0; j < size / 2; ++j) level[j] = (level[2 * j] & ~x[i]) | (level[2 * j + 1] & x[i]);
    return level[0];
}

// Any table's output for 64 samples: LUT6 pieces on inputs 0..5 joined by
// multiplexers on the inputs above. `pieces` is scratch of 2^(k-6) words.
std::uint64_t table_word(std::span<const std::uint64_t> table, unsigned k, const std::uint64_t* x,
                         std::uint64_t* pieces) {
    std::uint64_t low[6] = {};
    std::copy_n(x, std::min(k, 6U), low);
    if (k <= 6) return lut6_word(table[0], low);
    const std::size_t size = table.size();
    for (std::size_t w = 0; w < size; ++w) pieces[w] = lut6_word(table[w], low);
    for (unsigned i = 6, n = static_cast<unsigned>(size); i < k; ++i, n /= 2)
        for (unsigned j = 0; j < n / 2; ++j) pieces[j] = (pieces[2 * j] & ~x[i]) | (pieces[2 * j + 1] & x[i]);
    return pieces[0];
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

constexpr unsigned margin_bits = 5;

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
    // Per sample: the fewest unit score moves that could change its decision,
    // capped at 2^margin_bits − 1, as bit planes: word w's plane b at w·margin_bits + b.
    std::vector<std::uint64_t> margin_planes;
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
          pieces_(table_words(max_k)) {}

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
            const std::uint64_t y = table_word(c_.net.table(n), k, x, pieces_.data()) & valid_lanes(w, c_.inputs.samples());
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
            // Each changed output moves the gap between two classes by at most
            // one, so only lanes with at least `margin` moves can change their
            // decision: count the moves per lane bit-sliced (saturating at 31)
            // and compare with the margins' bit planes.
            std::uint64_t touched = 0;
            std::uint64_t count[margin_bits] = {};
            std::uint64_t saturated = 0;
            for (const std::uint32_t n : changed_outputs_) {
                const std::uint64_t moved = alt_[n * c_.words + w] ^ base_word(n, w);
                touched |= moved;
                for (std::size_t times = c_.classes_of[n].size(); times > 0; --times) {
                    std::uint64_t carry = moved;
                    for (unsigned b = 0; b < margin_bits; ++b) {
                        const std::uint64_t next = count[b] & carry;
                        count[b] ^= carry;
                        carry = next;
                    }
                    saturated |= carry;
                }
            }
            std::uint64_t greater = 0;
            std::uint64_t equal = ~std::uint64_t{0};
            for (unsigned b = margin_bits; b-- > 0;) {
                const std::uint64_t m = c_.margin_planes[w * margin_bits + b];
                greater |= equal & count[b] & ~m;
                equal &= ~(count[b] ^ m);
            }
            std::uint64_t candidates = touched & (greater | equal | saturated);
            while (candidates) {
                const std::size_t s = w * 64 + static_cast<std::size_t>(std::countr_zero(candidates));
                candidates &= candidates - 1;
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
    std::vector<std::uint64_t> pieces_;  // scratch of table_word
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
    const std::uint32_t classes = head.num_classes;
    c.margin_planes.assign(c.words * margin_bits, 0);
    for (std::size_t s = 0; s < inputs.samples(); ++s) {
        const std::uint32_t b = c.predictions[s];
        const std::int64_t top = c.scores[s * classes + b];
        std::int64_t margin = (1 << margin_bits) - 1;
        for (std::uint32_t k = 0; k < classes; ++k) {
            if (k == b) continue;
            // A lower class wins a tie, a higher one must pass: the gap to close.
            margin = std::min(margin, top - c.scores[s * classes + k] + (k > b ? 1 : 0));
        }
        for (unsigned bit = 0; bit < margin_bits; ++bit)
            c.margin_planes[(s / 64) * margin_bits + bit] |= static_cast<std::uint64_t>((margin >> bit) & 1) << (s % 64);
    }

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

// Per node, 2^usage_k counters of the samples hitting each address. Minterm
// planes by doubling: after input i, plane a holds the samples whose first
// i+1 inputs spell a's low bits. Cloned for POPCNT: without it a popcount is
// a library call, and this loop is mostly popcounts.
__attribute__((target_clones("popcnt", "default"))) std::vector<std::uint32_t> entry_usage(
    const network& net, const bit_matrix& inputs, const bit_matrix& base, unsigned usage_k) {
    const std::size_t entries = std::size_t{1} << usage_k;
    std::vector<std::uint32_t> usage(net.num_nodes() * entries, 0);
    const std::size_t words = (inputs.samples() + 63) / 64;
    const std::uint32_t n_in = net.num_inputs();
    std::vector<std::uint64_t> minterm(entries);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        std::uint32_t* count = usage.data() + n * entries;
        for (std::size_t w = 0; w < words; ++w) {
            minterm[0] = valid_lanes(w, inputs.samples());
            std::size_t size = 1;
            for (const std::uint32_t s : net.sources(n)) {
                const std::uint64_t x = s < n_in ? inputs.row(s)[w] : base.row(s - n_in)[w];
                for (std::size_t a = 0; a < size; ++a) {
                    minterm[a + size] = minterm[a] & x;
                    minterm[a] &= ~x;
                }
                size *= 2;
            }
            for (std::size_t a = 0; a < size; ++a) count[a] += static_cast<std::uint32_t>(__builtin_popcountll(minterm[a]));
        }
    }
    return usage;
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

    unsigned usage_k = options.usage_k;
    for (std::uint32_t n = 0; n < nodes; ++n) usage_k = std::max(usage_k, net.k(n));
    if (usage_k <= max_usage_k) {
        st.usage_k = usage_k;
        st.entry_usage = entry_usage(net, inputs, base, usage_k);
    }

    if (options.sensitivity && net.head().num_classes > 0) st.sensitivity = sensitivities(net, inputs, base, threads);
    return st;
}

std::vector<std::uint32_t> table_flips(const network& before, const network& after) {
    if (before.num_nodes() != after.num_nodes())
        throw error("table flips: the networks differ in shape (" + std::to_string(before.num_nodes()) + " and " +
                    std::to_string(after.num_nodes()) + " nodes)");
    std::vector<std::uint32_t> flips(before.num_nodes(), 0);
    for (std::uint32_t n = 0; n < before.num_nodes(); ++n) {
        if (before.k(n) != after.k(n)) {
            // A new fan-in (prune): every entry of the new table is new.
            flips[n] = std::uint32_t{1} << after.k(n);
            continue;
        }
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
