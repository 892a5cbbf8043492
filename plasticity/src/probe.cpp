#include "lutra/plasticity/probe.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <queue>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

namespace {

// Mux trees over blocks of this many words (the compiler vectorises them).
constexpr std::size_t block = 8;
// Above this fan-in the tree's 2^k intermediate planes would not fit a
// stack block; such nodes are evaluated column by column.
constexpr unsigned tree_max_k = 8;

}  // namespace

void loss_probe::evaluate_node(std::span<const std::uint64_t> table, std::span<const std::uint64_t* const> planes,
                               std::size_t words, std::uint64_t* out) {
    const auto k = static_cast<unsigned>(planes.size());
    const auto bit = [&table](std::size_t a) { return (table[a / 64] >> (a % 64)) & 1U; };
    if (k > tree_max_k) {
        for (std::size_t w = 0; w < words; ++w) {
            std::uint64_t r = 0;
            for (unsigned b = 0; b < 64; ++b) {
                std::size_t a = 0;
                for (unsigned i = 0; i < k; ++i) a |= ((planes[i][w] >> b) & 1U) << i;
                r |= static_cast<std::uint64_t>(bit(a)) << b;
            }
            out[w] = r;
        }
        return;
    }
    std::uint64_t v[(std::size_t{1} << tree_max_k) / 2][block];
    for (std::size_t w0 = 0; w0 < words; w0 += block) {
        const std::size_t n = std::min(block, words - w0);
        // Level 0 reads the table's constants; each level halves the planes.
        std::size_t count = std::size_t{1} << k;
        if (k == 0) {
            for (std::size_t j = 0; j < n; ++j) out[w0 + j] = bit(0) ? ~std::uint64_t{0} : 0;
            continue;
        }
        const std::uint64_t* x = planes[0] + w0;
        for (std::size_t a = 0; a < count / 2; ++a) {
            const std::uint64_t lo = bit(2 * a) ? ~std::uint64_t{0} : 0, hi = bit(2 * a + 1) ? ~std::uint64_t{0} : 0;
            for (std::size_t j = 0; j < block; ++j) v[a][j] = (lo & ~x[j < n ? j : 0]) | (hi & x[j < n ? j : 0]);
        }
        count /= 2;
        for (unsigned i = 1; i < k; ++i, count /= 2) {
            const std::uint64_t* xi = planes[i] + w0;
            for (std::size_t a = 0; a < count / 2; ++a)
                for (std::size_t j = 0; j < block; ++j) {
                    const std::uint64_t s = xi[j < n ? j : 0];
                    v[a][j] = (v[2 * a][j] & ~s) | (v[2 * a + 1][j] & s);
                }
        }
        std::copy_n(v[0], n, out + w0);
    }
}

void require_measurable(std::string_view rule, const core::network& net) {
    const std::string name(rule);
    if (net.head().num_classes == 0)
        throw rule_limit_error(name, rule_limit_error::no_node, "head", "needs a group-sum head to measure against");
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        for (const std::uint32_t d : net.delays(n))
            if (d != 0)
                throw rule_limit_error(name, n, "delays",
                                       "a delayed slot; " + name + " measures combinational networks on samples");
}

loss_probe::loss_probe(const core::network& net, core::bit_matrix inputs, std::vector<std::uint16_t> labels,
                       double tau, unsigned threads)
    : num_inputs_(net.num_inputs()), head_(net.head()), tau_(tau), words_((inputs.samples() + 63) / 64),
      classes_(net.head().num_classes), inputs_(std::move(inputs)), labels_(std::move(labels)) {
    if (!net.combinational()) throw error("loss probe: the network has delayed slots");
    if (classes_ == 0) throw error("loss probe: the network has no group-sum head");
    if (inputs_.rows() != net.num_inputs())
        throw error("loss probe: " + std::to_string(inputs_.rows()) + " input rows for a network of " +
                    std::to_string(net.num_inputs()) + " inputs");
    if (labels_.size() != inputs_.samples())
        throw error("loss probe: " + std::to_string(labels_.size()) + " labels for " +
                    std::to_string(inputs_.samples()) + " samples");
    if (!(tau > 0)) throw error("loss probe: tau must be positive");
    for (const std::uint16_t l : labels_)
        if (l >= classes_) throw error("loss probe: label " + std::to_string(l) + " of a head with " +
                                       std::to_string(classes_) + " classes");
    core::clear_padding(inputs_);
    const std::uint32_t n = net.num_nodes();
    k_.resize(n);
    sources_.resize(n);
    tables_.resize(n);
    readers_.resize(n);
    classes_of_.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        k_[i] = static_cast<std::uint8_t>(net.k(i));
        sources_[i].assign(net.sources(i).begin(), net.sources(i).end());
        tables_[i].assign(net.table(i).begin(), net.table(i).end());
        for (const std::uint32_t s : sources_[i])
            if (s >= num_inputs_) {
                auto& r = readers_[s - num_inputs_];
                if (r.empty() || r.back() != i) r.push_back(i);
            }
    }
    const std::size_t group = head_.outputs.size() / classes_;
    for (std::size_t j = 0; j < head_.outputs.size(); ++j)
        classes_of_[head_.outputs[j]].push_back(static_cast<std::uint32_t>(j / group));

    outputs_ = core::bitslice_engine(net, {.threads = threads}).evaluate(inputs_);
    core::clear_padding(outputs_);

    const std::size_t count = labels_.size();
    scores_.assign(count * classes_, 0);
    for (std::size_t j = 0; j < head_.outputs.size(); ++j) {
        const auto row = outputs_.row(head_.outputs[j]);
        const auto c = static_cast<std::uint32_t>(j / group);
        for (std::size_t w = 0; w < words_; ++w)
            for (std::uint64_t bits = row[w]; bits; bits &= bits - 1)
                ++scores_[(w * 64 + static_cast<std::size_t>(std::countr_zero(bits))) * classes_ + c];
    }
    loss_.resize(count);
    correct_.resize(count);
    for (std::size_t s = 0; s < count; ++s) {
        bool right = false;
        loss_of(scores_.data() + s * classes_, labels_[s], loss_[s], right);
        correct_[s] = right;
        current_.loss_sum += loss_[s];
        current_.correct += right;
    }
    scratch_of_.assign(n, -1);
    sample_mark_.assign(count, 0);
}

void loss_probe::loss_of(const std::int32_t* scores, std::uint16_t label, double& loss, bool& correct) const noexcept {
    const double inv_tau = 1.0 / tau_;
    std::uint32_t best = 0;
    double top = -INFINITY;
    for (std::uint32_t c = 0; c < classes_; ++c) {
        if (scores[c] > scores[best]) best = c;
        top = std::max(top, scores[c] * inv_tau);
    }
    double total = 0;
    for (std::uint32_t c = 0; c < classes_; ++c) total += std::exp(scores[c] * inv_tau - top);
    loss = std::log(total) + top - scores[label] * inv_tau;
    correct = best == label;
}

std::span<const std::uint64_t> loss_probe::plane(std::uint32_t source) const noexcept {
    return source < num_inputs_ ? inputs_.row(source).first(words_) : outputs_.row(source - num_inputs_).first(words_);
}

const std::uint64_t* loss_probe::trial_plane(std::uint32_t source) const noexcept {
    if (source >= num_inputs_) {
        const std::int32_t at = scratch_of_[source - num_inputs_];
        if (at >= 0) return scratch_[static_cast<std::size_t>(at)].data();
    }
    return plane(source).data();
}

loss_probe::measure loss_probe::trial(std::uint32_t node, std::span<const std::uint32_t> sources,
                                      std::span<const std::uint64_t> table) {
    if (node >= num_nodes()) throw error("loss probe: node " + std::to_string(node) + " of " + std::to_string(num_nodes()));
    if (sources.empty() || sources.size() > core::max_k)
        throw error("loss probe: node " + std::to_string(node) + " given " + std::to_string(sources.size()) + " sources");
    if (table.size() != core::table_words(static_cast<unsigned>(sources.size())))
        throw error("loss probe: node " + std::to_string(node) + ": a table of " + std::to_string(table.size()) +
                    " words for k = " + std::to_string(sources.size()));
    for (const std::uint32_t s : sources)
        if (s >= num_inputs_ + node)
            throw error("loss probe: node " + std::to_string(node) + " cannot read source " + std::to_string(s) +
                        " (not an input bit or an earlier node)");
    // Undo the previous trial's scratch marks.
    for (const std::uint32_t c : changed_) scratch_of_[c] = -1;
    for (const std::uint32_t s : touched_) sample_mark_[s] = 0;
    changed_.clear();
    touched_.clear();
    trial_.node = node;
    trial_.sources.assign(sources.begin(), sources.end());
    trial_.table.assign(table.begin(), table.end());

    std::size_t used = 0;
    const auto scratch_plane = [this, &used]() -> std::vector<std::uint64_t>& {
        if (used == scratch_.size()) scratch_.emplace_back(words_);
        return scratch_[used++];
    };
    std::vector<const std::uint64_t*> inputs;
    // Nodes to evaluate, lowest first (the network's order is topological).
    std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> pending;
    pending.push(node);
    std::uint32_t last = UINT32_MAX;
    while (!pending.empty()) {
        const std::uint32_t n = pending.top();
        pending.pop();
        if (n == last) continue;  // pushed by two changed sources
        last = n;
        const bool is_trial = n == node;
        const std::span<const std::uint32_t> src = is_trial ? std::span<const std::uint32_t>(trial_.sources)
                                                            : std::span<const std::uint32_t>(sources_[n]);
        inputs.clear();
        for (const std::uint32_t s : src) inputs.push_back(trial_plane(s));
        std::vector<std::uint64_t>& out = scratch_plane();
        evaluate_node(is_trial ? std::span<const std::uint64_t>(trial_.table) : std::span<const std::uint64_t>(tables_[n]),
                      inputs, words_, out.data());
        if (words_ > 0 && labels_.size() % 64) out[words_ - 1] &= (std::uint64_t{1} << (labels_.size() % 64)) - 1;
        const auto now = outputs_.row(n);
        if (std::equal(out.begin(), out.end(), now.begin())) {
            --used;  // no change: its readers need nothing
            continue;
        }
        scratch_of_[n] = static_cast<std::int32_t>(used - 1);
        changed_.push_back(n);
        for (const std::uint32_t r : readers_[n]) pending.push(r);
    }

    // Scores and losses of the samples whose head outputs changed.
    trial_scores_.clear();
    trial_loss_.clear();
    trial_correct_.clear();
    double delta = 0;
    std::ptrdiff_t correct_delta = 0;
    // Every (head output, sample) whose output changed: f(node, sample, its new bit).
    const auto for_each_changed_output = [this](auto&& f) {
        for (const std::uint32_t n : changed_) {
            if (classes_of_[n].empty()) continue;
            const auto now = outputs_.row(n);
            const std::vector<std::uint64_t>& next = scratch_[static_cast<std::size_t>(scratch_of_[n])];
            for (std::size_t w = 0; w < words_; ++w)
                for (std::uint64_t diff = now[w] ^ next[w]; diff; diff &= diff - 1) {
                    const auto b = static_cast<unsigned>(std::countr_zero(diff));
                    f(n, w * 64 + b, ((next[w] >> b) & 1U) != 0);
                }
        }
    };
    for_each_changed_output([this](std::uint32_t, std::size_t s, bool) {
        if (!sample_mark_[s]) {
            sample_mark_[s] = 1;
            touched_.push_back(static_cast<std::uint32_t>(s));
        }
    });
    std::sort(touched_.begin(), touched_.end());
    trial_scores_.resize(touched_.size() * classes_);
    for (std::size_t t = 0; t < touched_.size(); ++t)
        std::copy_n(scores_.begin() + static_cast<std::ptrdiff_t>(touched_[t] * classes_), classes_,
                    trial_scores_.begin() + static_cast<std::ptrdiff_t>(t * classes_));
    for_each_changed_output([this](std::uint32_t n, std::size_t s, bool bit) {
        const auto t = static_cast<std::size_t>(
            std::lower_bound(touched_.begin(), touched_.end(), static_cast<std::uint32_t>(s)) - touched_.begin());
        for (const std::uint32_t c : classes_of_[n]) trial_scores_[t * classes_ + c] += bit ? 1 : -1;
    });
    trial_loss_.resize(touched_.size());
    trial_correct_.resize(touched_.size());
    for (std::size_t t = 0; t < touched_.size(); ++t) {
        const std::uint32_t s = touched_[t];
        bool right = false;
        loss_of(trial_scores_.data() + t * classes_, labels_[s], trial_loss_[t], right);
        trial_correct_[t] = right;
        delta += trial_loss_[t] - loss_[s];
        correct_delta += static_cast<std::ptrdiff_t>(right) - static_cast<std::ptrdiff_t>(correct_[s]);
    }
    trial_.result = {current_.loss_sum + delta,
                     static_cast<std::size_t>(static_cast<std::ptrdiff_t>(current_.correct) + correct_delta)};
    trial_.valid = true;
    return trial_.result;
}

void loss_probe::accept() {
    if (!trial_.valid) throw internal_error("loss_probe::accept without a trial");
    const std::uint32_t node = trial_.node;
    // Readers follow the node's new sources.
    for (const std::uint32_t s : sources_[node])
        if (s >= num_inputs_) std::erase(readers_[s - num_inputs_], node);
    for (const std::uint32_t s : trial_.sources)
        if (s >= num_inputs_) {
            auto& r = readers_[s - num_inputs_];
            const auto at = std::lower_bound(r.begin(), r.end(), node);
            if (at == r.end() || *at != node) r.insert(at, node);
        }
    sources_[node] = trial_.sources;
    tables_[node] = trial_.table;
    k_[node] = static_cast<std::uint8_t>(trial_.sources.size());
    for (const std::uint32_t n : changed_) {
        const auto& next = scratch_[static_cast<std::size_t>(scratch_of_[n])];
        std::copy(next.begin(), next.end(), outputs_.row(n).begin());
    }
    for (std::size_t t = 0; t < touched_.size(); ++t) {
        const std::uint32_t s = touched_[t];
        std::copy_n(trial_scores_.begin() + static_cast<std::ptrdiff_t>(t * classes_), classes_,
                    scores_.begin() + static_cast<std::ptrdiff_t>(s * classes_));
        loss_[s] = trial_loss_[t];
        correct_[s] = trial_correct_[t];
    }
    current_ = trial_.result;
    trial_.valid = false;
    for (const std::uint32_t c : changed_) scratch_of_[c] = -1;
    for (const std::uint32_t s : touched_) sample_mark_[s] = 0;
    changed_.clear();
    touched_.clear();
}

core::network loss_probe::network() const {
    core::network_arrays a;
    a.num_inputs = num_inputs_;
    a.head = head_;
    for (std::uint32_t n = 0; n < num_nodes(); ++n) {
        a.k.push_back(k_[n]);
        a.sources.insert(a.sources.end(), sources_[n].begin(), sources_[n].end());
        a.tables.insert(a.tables.end(), tables_[n].begin(), tables_[n].end());
    }
    a.delays.assign(a.sources.size(), 0);
    return core::network(std::move(a));
}

}  // namespace lutra::plasticity
