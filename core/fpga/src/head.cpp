// The group-sum head on the chip (DESIGN §8): a popcount per class and the
// argmax over them, built from tables of at most six inputs.
#include <algorithm>
#include <bit>
#include <functional>

#include "head.hpp"
#include "lutra/core/error.hpp"
#include "lutra/fpga/classifier.hpp"

namespace lutra::fpga {

signal add_table(logic_design& design, std::vector<signal> inputs, part role,
                 const std::function<bool(std::uint32_t address)>& function) {
    const auto k = static_cast<unsigned>(inputs.size());
    logic_node node;
    node.table.assign(core::table_words(k), 0);
    for (std::uint32_t a = 0; a < (std::uint32_t{1} << k); ++a)
        if (function(a)) node.table[a / 64] |= std::uint64_t{1} << (a % 64);
    node.inputs = std::move(inputs);
    node.role = role;
    design.nodes.push_back(std::move(node));
    return signal::node(static_cast<std::uint32_t>(design.nodes.size() - 1));
}

namespace {

std::string str(std::size_t v) { return std::to_string(v); }

// Bits needed to write n in binary (at least 1, so that a port is never empty).
std::size_t index_bits(std::size_t n) { return std::max<std::size_t>(1, static_cast<std::size_t>(std::bit_width(n))); }

// ---- popcount ---------------------------------------------------------------

// A bit of a sum: `column` is its weight's exponent.
struct weighted_bit {
    signal bit;
    unsigned column = 0;
};

// Bit `column` of Σ bit · 2^column over `terms` (at most 6 of them). Terms of
// higher columns cannot change it and are left out; a lone term of that very
// column is the answer itself and needs no table.
signal add_sum_bit(logic_design& design, std::span<const weighted_bit> terms, unsigned column) {
    std::vector<weighted_bit> used;
    for (const weighted_bit& t : terms)
        if (t.column <= column) used.push_back(t);
    if (used.empty()) return signal::constant(false);
    if (used.size() == 1 && used[0].column == column) return used[0].bit;
    std::vector<signal> inputs;
    for (const weighted_bit& t : used) inputs.push_back(t.bit);
    return add_table(design, std::move(inputs), part::popcount, [&](std::uint32_t a) {
        std::uint64_t sum = 0;
        for (std::size_t i = 0; i < used.size(); ++i)
            if (address_bit(a, i)) sum += std::uint64_t{1} << used[i].column;
        return ((sum >> column) & 1U) != 0;
    });
}

// The bits of Σ terms placed into columns: every bit of the sum that can be
// 1 and whose weight is at most `bound` (the most the whole popcount can
// reach: any bit of higher weight would need a larger total, so it is 0).
void add_sum(logic_design& design, std::span<const weighted_bit> terms, std::uint64_t bound,
             std::vector<std::vector<signal>>& columns) {
    if (terms.empty()) return;
    std::uint64_t most = 0;
    unsigned lowest = 64;
    for (const weighted_bit& t : terms) {
        most += std::uint64_t{1} << t.column;
        lowest = std::min(lowest, t.column);
    }
    for (unsigned c = lowest; (std::uint64_t{1} << c) <= most && (std::uint64_t{1} << c) <= bound; ++c) {
        if (columns.size() <= c) columns.resize(c + 1);
        columns[c].push_back(add_sum_bit(design, terms, c));
    }
}

// ---- comparison -------------------------------------------------------------

// A run of bit positions of both numbers, seen by a combining table as "b is
// greater here" and "equal here": for a single position the raw bits a_i,
// b_i do (no table needed), for longer runs two tables compute them.
struct digit {
    signal first;   // raw: a_i; else greater
    signal second;  // raw: b_i; else equal
    bool raw = false;
    [[nodiscard]] bool greater(bool x, bool y) const { return raw ? (y && !x) : x; }
    [[nodiscard]] bool equal(bool x, bool y) const { return raw ? x == y : y; }
};

// Table over a[lo, hi) then b[lo, hi): function(A, B) of the two values.
signal add_compare_table(logic_design& design, std::span<const signal> a, std::span<const signal> b, std::size_t lo,
                         std::size_t hi, const std::function<bool(std::uint32_t, std::uint32_t)>& function) {
    const std::size_t w = hi - lo;
    std::vector<signal> inputs(a.begin() + static_cast<std::ptrdiff_t>(lo), a.begin() + static_cast<std::ptrdiff_t>(hi));
    inputs.insert(inputs.end(), b.begin() + static_cast<std::ptrdiff_t>(lo), b.begin() + static_cast<std::ptrdiff_t>(hi));
    const std::uint32_t mask = (std::uint32_t{1} << w) - 1;
    return add_table(design, std::move(inputs), part::argmax,
                     [&](std::uint32_t address) { return function(address & mask, (address >> w) & mask); });
}

digit make_digit(logic_design& design, std::span<const signal> a, std::span<const signal> b, std::size_t lo,
                 std::size_t hi) {
    if (hi - lo == 1) return {a[lo], b[lo], true};
    return {add_compare_table(design, a, b, lo, hi, [](std::uint32_t x, std::uint32_t y) { return y > x; }),
            add_compare_table(design, a, b, lo, hi, [](std::uint32_t x, std::uint32_t y) { return y == x; }), false};
}

// The widest comparison `depth` table levels can finish: one level compares
// 3 bits (6 inputs); each further level's combining table reads two digits of
// up to 3 bits each (4 inputs) and the lower part's "greater" (1 input).
std::size_t widest_at_depth(std::size_t depth) { return 3 + 6 * (depth - 1); }

// b[lo, hi) > a[lo, hi). Up to 3 bits: one 6-input table. Wider: the top
// bits as one or two digits, the rest recursively, joined by one table:
// greater = g_top | e_top & (g_mid | e_mid & greater_rest). The split keeps
// the least table depth (1 + ⌈(w − 3) / 6⌉), giving the rest as many bits as
// that depth allows so the top digits stay short (a single bit needs no table).
signal add_greater_range(logic_design& design, std::span<const signal> a, std::span<const signal> b, std::size_t lo,
                         std::size_t hi) {
    const std::size_t w = hi - lo;
    if (w <= 3)
        return add_compare_table(design, a, b, lo, hi, [](std::uint32_t x, std::uint32_t y) { return y > x; });
    const std::size_t depth = 1 + (w - 3 + 5) / 6;
    const std::size_t rest = std::min(w - 1, widest_at_depth(depth - 1));
    const std::size_t top = w - rest;
    const std::size_t split = lo + rest;
    const signal lower = add_greater_range(design, a, b, lo, split);
    // The top digits, the higher first: a single bit stays one raw digit.
    std::vector<digit> digits;
    if (top == 1) {
        digits.push_back(make_digit(design, a, b, split, hi));
    } else {
        const std::size_t upper_bits = (top + 1) / 2;
        digits.push_back(make_digit(design, a, b, hi - upper_bits, hi));
        digits.push_back(make_digit(design, a, b, split, hi - upper_bits));
    }
    std::vector<signal> inputs;
    for (const digit& d : digits) {
        inputs.push_back(d.first);
        inputs.push_back(d.second);
    }
    inputs.push_back(lower);
    return add_table(design, std::move(inputs), part::argmax, [&](std::uint32_t address) {
        bool result = address_bit(address, 2 * digits.size());  // the lower part's "greater"
        for (std::size_t i = digits.size(); i-- > 0;) {  // lowest digit first, wrapping outwards
            const bool x = address_bit(address, 2 * i);
            const bool y = address_bit(address, 2 * i + 1);
            result = digits[i].greater(x, y) || (digits[i].equal(x, y) && result);
        }
        return result;
    });
}

// ---- argmax -----------------------------------------------------------------

// sel ? when_set : when_clear, without a table where a wire or NOT will do.
signal add_mux(logic_design& design, signal sel, signal when_clear, signal when_set) {
    if (when_clear == when_set) return when_clear;
    if (when_clear == signal::constant(false) && when_set == signal::constant(true)) return sel;
    if (when_clear == signal::constant(true) && when_set == signal::constant(false))
        return add_table(design, {sel}, part::argmax, [](std::uint32_t a) { return a == 0; });
    return add_table(design, {sel, when_clear, when_set}, part::argmax, [](std::uint32_t a) {
        return address_bit(a, 0) ? address_bit(a, 2) : address_bit(a, 1);
    });
}

struct candidate {
    std::vector<signal> score;
    std::vector<signal> index;
};

// A literal of a gate: the signal or its complement.
struct literal {
    signal bit;
    bool negated = false;
};

enum class gate : std::uint8_t { all, any };

// AND (gate::all) or OR (gate::any) of literals in the fewest tables at
// the least depth: up to 6 in one table; up to 36 at depth 2, the top table
// reading some literals directly and the rest through tables below it
// (⌈(n − 1) / 5⌉ tables); more, in tables of 6 recursively.
signal add_gate(logic_design& design, std::span<const literal> terms, gate kind, part role) {
    if (terms.empty()) return signal::constant(kind == gate::all);
    if (terms.size() == 1 && !terms[0].negated) return terms[0].bit;
    if (terms.size() <= 6) {
        std::vector<signal> inputs;
        for (const literal& t : terms) inputs.push_back(t.bit);
        return add_table(design, std::move(inputs), role, [&](std::uint32_t a) {
            bool all = true;
            bool any = false;
            for (std::size_t i = 0; i < terms.size(); ++i) {
                const bool value = address_bit(a, i) != terms[i].negated;
                all = all && value;
                any = any || value;
            }
            return kind == gate::all ? all : any;
        });
    }
    const std::size_t n = terms.size();
    const std::size_t below = (n - 6 + 4) / 5;  // tables under the top one at depth 2
    std::vector<literal> top;
    std::size_t taken = 0;
    if (below >= 6) {
        for (; taken < n; taken += 6) top.push_back({add_gate(design, terms.subspan(taken, std::min<std::size_t>(6, n - taken)), kind, role)});
        return add_gate(design, top, kind, role);
    }
    const std::size_t direct = 6 - below;
    const std::size_t grouped = n - direct;
    for (std::size_t g = 0; g < below; ++g) {
        const std::size_t end = grouped * (g + 1) / below;  // even groups
        top.push_back({add_gate(design, terms.subspan(taken, end - taken), kind, role)});
        taken = end;
    }
    top.insert(top.end(), terms.begin() + static_cast<std::ptrdiff_t>(taken), terms.end());
    return add_gate(design, top, kind, role);
}

// The index bits of the argmax by tournament: neighbours meet in rounds,
// the lower-index one on the left, so every pair and every later winner
// still covers consecutive classes in order; the higher-index candidate
// wins only if its score is strictly greater.
std::vector<signal> tournament_argmax(logic_design& design, std::span<const std::vector<signal>> scores,
                                      std::size_t bits) {
    const std::size_t width = scores[0].size();
    std::vector<candidate> round;
    for (std::size_t c = 0; c < scores.size(); ++c) {
        candidate k{scores[c], {}};
        for (std::size_t i = 0; i < bits; ++i) k.index.push_back(signal::constant(((c >> i) & 1U) != 0));
        round.push_back(std::move(k));
    }
    while (round.size() > 1) {
        const bool last_round = round.size() == 2;
        std::vector<candidate> next;
        for (std::size_t i = 0; i + 1 < round.size(); i += 2) {
            const candidate& left = round[i];
            const candidate& right = round[i + 1];
            const signal right_wins = add_greater_than(design, left.score, right.score);
            candidate winner;
            if (!last_round)  // nobody compares the final score again
                for (std::size_t b = 0; b < width; ++b)
                    winner.score.push_back(add_mux(design, right_wins, left.score[b], right.score[b]));
            for (std::size_t b = 0; b < bits; ++b)
                winner.index.push_back(add_mux(design, right_wins, left.index[b], right.index[b]));
            next.push_back(std::move(winner));
        }
        if (round.size() % 2 == 1) next.push_back(std::move(round.back()));
        round = std::move(next);
    }
    return round[0].index;
}

// The index bits of the argmax with every pair compared at once: class c
// wins iff its score beats every lower class's strictly and is at least
// every higher class's, which exactly one class (the lowest of the maxima)
// does; index bit b is the OR of the wins of the classes with bit b set.
std::vector<signal> all_pairs_argmax(logic_design& design, std::span<const std::vector<signal>> scores,
                                     std::size_t bits) {
    const std::size_t classes = scores.size();
    // greater[i][j], i < j: score j > score i.
    std::vector<std::vector<signal>> greater(classes, std::vector<signal>(classes));
    for (std::size_t i = 0; i < classes; ++i)
        for (std::size_t j = i + 1; j < classes; ++j) greater[i][j] = add_greater_than(design, scores[i], scores[j]);
    std::vector<signal> wins;
    for (std::size_t c = 0; c < classes; ++c) {
        std::vector<literal> beats;
        for (std::size_t i = 0; i < c; ++i) beats.push_back({greater[i][c], false});
        for (std::size_t j = c + 1; j < classes; ++j) beats.push_back({greater[c][j], true});
        wins.push_back(add_gate(design, beats, gate::all, part::argmax));
    }
    std::vector<signal> index;
    for (std::size_t b = 0; b < bits; ++b) {
        std::vector<literal> set;
        for (std::size_t c = 0; c < classes; ++c)
            if ((c >> b) & 1U) set.push_back({wins[c], false});
        index.push_back(add_gate(design, set, gate::any, part::argmax));
    }
    return index;
}

}  // namespace

std::vector<signal> add_popcount(logic_design& design, std::span<const signal> bits) {
    std::vector<std::vector<signal>> columns(1, std::vector<signal>(bits.begin(), bits.end()));
    return add_weighted_sum(design, std::move(columns), bits.size());
}

std::vector<signal> add_weighted_sum(logic_design& design, std::vector<std::vector<signal>> columns,
                                     std::uint64_t bound) {
    const auto width = static_cast<std::size_t>(std::bit_width(bound));
    if (columns.empty()) columns.resize(1);

    // Counters: while a column holds three bits or more, sum them six (or
    // fewer) at a time; each sum's bits land one column apart. A 6:3 counter
    // turns six bits into three, one table per sum bit. Stop early once all
    // that is left fits one six-input adder block below.
    const auto crowded = [&] {
        return std::any_of(columns.begin(), columns.end(), [](const auto& c) { return c.size() > 2; });
    };
    const auto total = [&] {
        std::size_t n = 0;
        for (const auto& c : columns) n += c.size();
        return n;
    };
    while (crowded() && total() > 6) {
        std::vector<std::vector<signal>> next(columns.size());
        for (unsigned c = 0; c < columns.size(); ++c) {
            const std::vector<signal>& column = columns[c];
            std::size_t taken = 0;
            for (; column.size() - taken >= 3; taken += std::min<std::size_t>(6, column.size() - taken)) {
                std::vector<weighted_bit> terms;
                for (std::size_t i = taken; i < std::min(column.size(), taken + 6); ++i) terms.push_back({column[i], c});
                add_sum(design, terms, bound, next);
            }
            if (next.size() <= c) next.resize(c + 1);
            next[c].insert(next[c].end(), column.begin() + static_cast<std::ptrdiff_t>(taken), column.end());
        }
        columns = std::move(next);
    }

    // Adder: from the lowest column, blocks of the incoming carries and as
    // many whole columns as fit into six inputs, one table per sum bit. The
    // block's bits in its own columns are final, the ones above carry on
    // (with at most two bits per column, a block carries one bit).
    std::vector<signal> result(std::max<std::size_t>(width, 1), signal::constant(false));
    const auto place = [&](unsigned column, signal bit) {
        if (column >= result.size()) throw internal_error("popcount: a sum bit beyond the result's width");
        result[column] = bit;
    };
    std::vector<weighted_bit> carry;
    for (unsigned c = 0; c < columns.size();) {
        std::vector<weighted_bit> terms = carry;
        unsigned end = c;
        while (end < columns.size() && terms.size() + columns[end].size() <= 6) {
            for (const signal& s : columns[end]) terms.push_back({s, end});
            ++end;
        }
        if (end == c) throw internal_error("popcount: an adder block took no column");
        std::vector<std::vector<signal>> sums;
        add_sum(design, terms, bound, sums);
        carry.clear();
        for (unsigned k = c; k < sums.size(); ++k) {
            if (sums[k].empty()) continue;
            if (k < end)
                place(k, sums[k][0]);
            else
                carry.push_back({sums[k][0], k});
        }
        c = end;
    }
    // The last block's carries are the top bits of one sum, one per column.
    for (const weighted_bit& top : carry) place(top.column, top.bit);
    return result;
}

signal add_greater_than(logic_design& design, std::span<const signal> a, std::span<const signal> b) {
    if (a.empty() || a.size() != b.size())
        throw error("greater-than: numbers of " + str(a.size()) + " and " + str(b.size()) +
                    " bits; both need the same width ≥ 1");
    return add_greater_range(design, a, b, 0, a.size());
}

std::vector<signal> add_argmax(logic_design& design, std::span<const std::vector<signal>> scores, argmax_form form) {
    if (scores.empty()) throw error("argmax: no scores; it needs at least one class");
    const std::size_t width = scores[0].size();
    for (std::size_t c = 0; c < scores.size(); ++c)
        if (scores[c].empty() || scores[c].size() != width)
            throw error("argmax: score " + str(c) + " has " + str(scores[c].size()) + " bits, score 0 has " +
                        str(width) + "; all need the same width ≥ 1");
    const std::size_t bits = index_bits(scores.size() - 1);
    switch (form) {
        case argmax_form::tournament:
            return tournament_argmax(design, scores, bits);
        case argmax_form::all_pairs:
            return all_pairs_argmax(design, scores, bits);
    }
    throw error("argmax: form " + str(static_cast<std::size_t>(form)) + " is neither tournament nor all_pairs");
}

}  // namespace lutra::fpga
