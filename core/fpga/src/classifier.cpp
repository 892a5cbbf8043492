#include "lutra/fpga/classifier.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <optional>

#include "lutra/core/error.hpp"

namespace lutra::fpga {

namespace {

std::string str(std::size_t v) { return std::to_string(v); }

// Bits needed to write n in binary (at least 1, so that a port is never empty).
std::size_t index_bits(std::size_t n) { return std::max<std::size_t>(1, static_cast<std::size_t>(std::bit_width(n))); }

// Appends a node over `inputs` whose table bit at address a is function(a),
// and returns its output.
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

bool address_bit(std::uint32_t address, std::size_t i) { return (address >> i) & 1U; }

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
    return add_table(design, std::move(inputs), part::head, [&](std::uint32_t a) {
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
    return add_table(design, std::move(inputs), part::head,
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
    return add_table(design, std::move(inputs), part::head, [&](std::uint32_t address) {
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
        return add_table(design, {sel}, part::head, [](std::uint32_t a) { return a == 0; });
    return add_table(design, {sel, when_clear, when_set}, part::head, [](std::uint32_t a) {
        return address_bit(a, 0) ? address_bit(a, 2) : address_bit(a, 1);
    });
}

struct candidate {
    std::vector<signal> score;
    std::vector<signal> index;
};

// Network: node n keeps its tables, its slot order and its delays; network
// input i reads inputs[i]. Returns the design index of network node 0, which
// is the design's size at the call.
std::uint32_t add_network(logic_design& design, const core::network& net, std::span<const signal> inputs) {
    const auto first = static_cast<std::uint32_t>(design.nodes.size());
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        logic_node node;
        for (const std::uint32_t id : net.sources(n))
            node.inputs.push_back(id < net.num_inputs() ? inputs[id] : signal::node(first + (id - net.num_inputs())));
        const auto delays = net.delays(n);
        node.table.assign(net.table(n).begin(), net.table(n).end());
        if (std::any_of(delays.begin(), delays.end(), [](std::uint32_t d) { return d != 0; }))
            node.delays.assign(delays.begin(), delays.end());
        node.role = part::network;
        node.origin = n;
        design.nodes.push_back(std::move(node));
    }
    return first;
}

void check_classifier(const core::network& net, const core::encoder& enc) {
    const core::group_sum_head& head = net.head();
    if (head.num_classes == 0)
        throw error("FPGA export: the network has no head (num_classes = 0); the exported classifier needs a "
                    "group-sum head to turn its outputs into a class");
    if (net.num_inputs() != enc.num_bits())
        throw error("FPGA export: the network reads " + str(net.num_inputs()) + " input bits, but the encoder makes " +
                    str(enc.num_bits()) + "; they must be the same rows");
    if (enc.num_features() > (UINT32_MAX - 1) / 8)
        throw error("FPGA export: " + str(enc.num_features()) + " features are too many");
}

// Encoder: a comparator per encoder row some node reads, over the pixels on
// primary inputs 0 … 8F − 1. Returns the signal of every row (constant 0
// for rows nobody reads). A comparator reads only the pixel bits that can
// change it (all but the threshold's trailing ones). One table: those bits
// address it. Two tables, for comparators of 7 or 8 bits: the low nibbles
// decide only where the high nibbles are equal.
std::vector<signal> add_encoder(logic_design& design, const core::network& net, const core::encoder& enc,
                                const classifier_options& options) {
    std::vector<bool> read(net.num_inputs(), false);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        for (const std::uint32_t id : net.sources(n))
            if (id < net.num_inputs()) read[id] = true;
    if (options.comparators != comparator_form::one_table && options.comparators != comparator_form::two_tables)
        throw error("FPGA export: comparator form " + str(static_cast<std::size_t>(options.comparators)) +
                    " is neither one_table nor two_tables");
    std::vector<signal> row_signal(net.num_inputs(), signal::constant(false));
    for (std::uint32_t r = 0; r < net.num_inputs(); ++r) {
        if (!read[r]) continue;
        const std::uint32_t feature = enc.bits()[r].feature;
        const std::uint32_t threshold = enc.thresholds()[r];
        std::vector<signal> pixel;
        for (std::uint32_t b = 0; b < 8; ++b) pixel.push_back(signal::input(8 * feature + b));
        // θ = (μ+1)·2^k − 1 (k trailing ones, a threshold on a grid of 2^(8−k)
        // levels): value > θ ⟺ (value >> k) > μ, a function of the top 8 − k
        // bits only. Up to 6 of them fit one LUT6 in either form.
        const auto ignored = static_cast<std::uint32_t>(std::countr_one(threshold));
        const std::vector<signal> compared(pixel.begin() + ignored, pixel.end());
        const std::uint32_t level = threshold >> ignored;
        if (options.comparators == comparator_form::one_table || compared.size() <= 6) {
            row_signal[r] = add_table(design, compared, part::encoder, [level](std::uint32_t top) { return top > level; });
            continue;
        }
        // Two tables: the 3 or 4 low bits read, then the high nibble.
        const auto low_bits = static_cast<std::uint32_t>(compared.size() - 4);
        const std::uint32_t low_threshold = level & ((1U << low_bits) - 1);
        const std::uint32_t high_threshold = level >> low_bits;
        const signal low_greater = add_table(design, {compared.begin(), compared.begin() + low_bits}, part::encoder,
                                             [low_threshold](std::uint32_t low) { return low > low_threshold; });
        std::vector<signal> high(compared.begin() + low_bits, compared.end());
        high.push_back(low_greater);
        row_signal[r] = add_table(design, std::move(high), part::encoder, [high_threshold](std::uint32_t a) {
            const std::uint32_t high_value = a & 15U;
            return high_value > high_threshold || (high_value == high_threshold && address_bit(a, 4));
        });
    }
    return row_signal;
}

// Head output bits of class c, as design signals.
std::vector<signal> class_outputs(const core::network& net, std::uint32_t first_network_node, std::uint32_t c) {
    const core::group_sum_head& head = net.head();
    const std::size_t group = head.outputs.size() / head.num_classes;
    std::vector<signal> outputs;
    for (std::size_t j = 0; j < group; ++j) outputs.push_back(signal::node(first_network_node + head.outputs[c * group + j]));
    return outputs;
}

}  // namespace

std::string score_port_name(std::uint32_t class_index) { return "score" + std::to_string(class_index); }

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

std::vector<signal> add_argmax(logic_design& design, std::span<const std::vector<signal>> scores) {
    if (scores.empty()) throw error("argmax: no scores; it needs at least one class");
    const std::size_t width = scores[0].size();
    for (std::size_t c = 0; c < scores.size(); ++c)
        if (scores[c].empty() || scores[c].size() != width)
            throw error("argmax: score " + str(c) + " has " + str(scores[c].size()) + " bits, score 0 has " +
                        str(width) + "; all need the same width ≥ 1");
    const std::size_t bits = index_bits(scores.size() - 1);
    std::vector<candidate> round;
    for (std::size_t c = 0; c < scores.size(); ++c) {
        candidate k{scores[c], {}};
        for (std::size_t i = 0; i < bits; ++i) k.index.push_back(signal::constant(((c >> i) & 1U) != 0));
        round.push_back(std::move(k));
    }
    // Neighbours meet, the lower-index one on the left, so every pair and
    // every later winner still covers consecutive classes in order.
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

logic_design classifier_design(const core::network& net, const core::encoder& enc, const classifier_options& options) {
    check_classifier(net, enc);
    logic_design design;
    design.name = "lutra_classifier";
    design.num_inputs = 8 * enc.num_features();
    design.input_ports.push_back({std::string(pixels_port_name), 0, design.num_inputs});
    const std::vector<signal> rows = add_encoder(design, net, enc, options);
    const std::uint32_t first_network_node = add_network(design, net, rows);

    // Head: a popcount per class, then the argmax over them.
    std::vector<std::vector<signal>> scores;
    for (std::uint32_t c = 0; c < net.head().num_classes; ++c)
        scores.push_back(add_popcount(design, class_outputs(net, first_network_node, c)));
    design.outputs.push_back({std::string(prediction_port_name), add_argmax(design, scores)});
    for (std::uint32_t c = 0; c < net.head().num_classes; ++c) design.outputs.push_back({score_port_name(c), scores[c]});
    return design;
}

logic_design sequence_classifier_design(const core::network& net, const core::encoder& enc,
                                        const core::sequence_spec& spec, const classifier_options& options) {
    check_classifier(net, enc);
    core::check_sequence(spec);
    const std::vector<std::uint32_t> readout = core::readout_ticks(spec);
    const std::uint32_t last = readout.back();
    // The tick counter counts 0 … ticks and stays at ticks (past the sequence).
    const auto counter_bits = static_cast<std::uint32_t>(std::bit_width(spec.ticks));
    if (counter_bits + 1 > core::max_k)
        throw error("FPGA export: a sequence of " + str(spec.ticks) + " ticks needs a " + str(counter_bits) +
                    "-bit tick counter; at most " + str(core::max_k - 1) + " bits (" +
                    str((std::size_t{1} << (core::max_k - 1)) - 1) + " ticks) are supported");

    logic_design design;
    design.name = std::string(sequence_design_name);
    const std::uint32_t pixel_bits = 8 * enc.num_features();
    design.num_inputs = pixel_bits + 1;
    design.input_ports.push_back({std::string(pixels_port_name), 0, pixel_bits});
    design.input_ports.push_back({std::string(last_port_name), pixel_bits, 1});
    // Every delay register clears at the edge ending a `last` tick.
    design.clear_input = pixel_bits;
    const std::vector<signal> rows = add_encoder(design, net, enc, options);

    // Tick counter: tick_i reads next_i through one register, next =
    // min(tick + 1, ticks); cleared or at power-up the tick is 0.
    const auto counter_first = static_cast<std::uint32_t>(design.nodes.size());
    std::vector<signal> tick;
    for (std::uint32_t i = 0; i < counter_bits; ++i) {
        tick.push_back(signal::node(counter_first + i));
        // Patched below to read next_i, made after the counter.
        (void)add_table(design, {signal::constant(false)}, part::head, [](std::uint32_t a) { return address_bit(a, 0); });
        design.nodes.back().delays = {1};
    }
    for (std::uint32_t i = 0; i < counter_bits; ++i) {
        const std::uint32_t ticks = spec.ticks;
        design.nodes[counter_first + i].inputs[0] =
            add_table(design, tick, part::head, [i, ticks](std::uint32_t a) { return address_bit(std::min(ticks, a + 1), i); });
    }
    // One table over the counter: is the tick in `set`?
    const auto tick_in = [&](part role, const std::function<bool(std::uint32_t)>& set) {
        return add_table(design, tick, role, set);
    };

    const std::uint32_t first_network_node = add_network(design, net, rows);

    // Head: score<c> = this tick's popcount + the popcounts of the readout
    // ticks before it other than the last, which an accumulator holds.
    const std::uint32_t classes = net.head().num_classes;
    const std::uint64_t group = net.head().outputs.size() / classes;
    const std::uint64_t bound = group * readout.size();
    const auto accumulator_bits = static_cast<std::uint32_t>(std::bit_width(group * (readout.size() - 1)));
    std::optional<signal> accumulate;
    if (accumulator_bits > 0)
        accumulate = tick_in(part::head, [&](std::uint32_t t) {
            return t != last && std::binary_search(readout.begin(), readout.end(), t);
        });
    std::vector<std::vector<signal>> scores;
    for (std::uint32_t c = 0; c < classes; ++c) {
        std::vector<std::vector<signal>> columns(1, class_outputs(net, first_network_node, c));
        // prev_i = bit i of the accumulator one cycle ago, cleared with the
        // sequence; it reads the accumulator node, made after the sum: patched below.
        std::vector<std::uint32_t> previous;
        for (std::uint32_t i = 0; i < accumulator_bits; ++i) {
            previous.push_back(static_cast<std::uint32_t>(design.nodes.size()));
            const signal bit = add_table(design, {signal::constant(false)}, part::head,
                                         [](std::uint32_t a) { return address_bit(a, 0); });
            design.nodes.back().delays = {1};
            if (columns.size() <= i) columns.resize(i + 1);
            columns[i].push_back(bit);
        }
        std::vector<signal> score = add_weighted_sum(design, std::move(columns), bound);
        for (std::uint32_t i = 0; i < accumulator_bits; ++i) {
            const signal held = signal::node(previous[i]);
            const signal next = add_table(design, {*accumulate, held, score[i]}, part::head, [](std::uint32_t a) {
                return address_bit(a, 0) ? address_bit(a, 2) : address_bit(a, 1);
            });
            design.nodes[previous[i]].inputs[0] = next;
        }
        scores.push_back(std::move(score));
    }
    design.outputs.push_back({std::string(prediction_port_name), add_argmax(design, scores)});
    for (std::uint32_t c = 0; c < classes; ++c) design.outputs.push_back({score_port_name(c), scores[c]});
    design.outputs.push_back({std::string(valid_port_name), {tick_in(part::head, [last](std::uint32_t t) { return t == last; })}});
    return design;
}

logic_design network_design(const core::network& net) {
    logic_design design;
    design.name = std::string(network_design_name);
    design.num_inputs = net.num_inputs();
    if (net.num_inputs() > 0) design.input_ports.push_back({std::string(network_inputs_port_name), 0, net.num_inputs()});
    std::vector<signal> inputs;
    for (std::uint32_t i = 0; i < net.num_inputs(); ++i) inputs.push_back(signal::input(i));
    const std::uint32_t first = add_network(design, net, inputs);
    output_port nodes{std::string(network_nodes_port_name), {}};
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) nodes.bits.push_back(signal::node(first + n));
    if (!nodes.bits.empty()) design.outputs.push_back(std::move(nodes));
    return design;
}

core::bit_matrix pixel_inputs(const core::data_split& split, std::uint32_t num_features) {
    const std::size_t samples = split.size();
    if (split.features.size() != samples * num_features)
        throw error("pixel inputs: the split has " + str(split.features.size()) + " feature bytes for " +
                    str(samples) + " samples; " + str(num_features) + " features per sample need " +
                    str(samples * num_features));
    core::bit_matrix bits(std::size_t{8} * num_features, samples);
    for (std::size_t s = 0; s < samples; ++s)
        for (std::size_t f = 0; f < num_features; ++f) {
            const std::uint8_t value = split.features[s * num_features + f];
            for (std::size_t b = 0; b < 8; ++b) bits.set(8 * f + b, s, ((value >> b) & 1U) != 0);
        }
    return bits;
}

}  // namespace lutra::fpga
