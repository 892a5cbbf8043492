#include "lutra/fpga/passes.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"

namespace lutra::fpga {

namespace {

constexpr std::uint32_t max_rounds = 100;

// In a slot map, an old slot that reads no new slot but a fixed value.
constexpr int fixed_zero = -1;
constexpr int fixed_one = -2;

bool table_bit(const std::vector<std::uint64_t>& table, std::uint32_t address) {
    return ((table[address / 64] >> (address % 64)) & 1U) != 0;
}

// The table over new_k slots equal to the old table with old slot i reading
// new slot source[i] (or a fixed value), its bit flipped where invert has
// bit i. One function serves cofactoring, removing, merging, permuting and
// inverting slots, so each pass only says which slot goes where.
std::vector<std::uint64_t> reindex(const std::vector<std::uint64_t>& table, unsigned new_k,
                                   const std::vector<int>& source, std::uint32_t invert = 0) {
    std::vector<std::uint64_t> result(core::table_words(new_k), 0);
    for (std::uint32_t b = 0; b < (std::uint32_t{1} << new_k); ++b) {
        std::uint32_t a = 0;
        for (std::size_t i = 0; i < source.size(); ++i) {
            const std::uint32_t bit = source[i] >= 0 ? (b >> source[i]) & 1U : (source[i] == fixed_one ? 1U : 0U);
            a |= (bit ^ ((invert >> i) & 1U)) << i;
        }
        if (table_bit(table, a)) result[b / 64] |= std::uint64_t{1} << (b % 64);
    }
    return result;
}

std::uint32_t delay_of(const logic_node& node, std::size_t slot) { return node.delays.empty() ? 0 : node.delays[slot]; }

unsigned k_of(const logic_node& node) { return static_cast<unsigned>(node.inputs.size()); }

// Replaces a node's slots; delays all zero are stored as an empty list.
void set_slots(logic_node& node, std::vector<signal> inputs, std::vector<std::uint32_t> delays,
               std::vector<std::uint64_t> table) {
    node.inputs = std::move(inputs);
    if (std::all_of(delays.begin(), delays.end(), [](std::uint32_t d) { return d == 0; })) delays.clear();
    node.delays = std::move(delays);
    node.table = std::move(table);
}

// The one input a node's output depends on, when there is exactly one, and
// whether the node inverts it.
struct single_input {
    std::size_t slot;
    bool inverted;
};
std::optional<single_input> one_input_function(const logic_node& node) {
    const std::uint32_t mask = core::effective_inputs(node.table, k_of(node));
    if (std::popcount(mask) != 1) return std::nullopt;
    const auto slot = static_cast<std::size_t>(std::countr_zero(mask));
    // Other slots are ignored, so address 0 / 2^slot give f(x = 0) / f(x = 1).
    return single_input{slot, table_bit(node.table, 0)};
}

// Keeps the nodes with keep[n], in order, renumbering every node signal;
// no remaining signal may name a dropped node.
void compact(logic_design& design, const std::vector<bool>& keep) {
    std::vector<std::uint32_t> renumbered(design.nodes.size(), 0);
    std::vector<logic_node> kept;
    for (std::size_t n = 0; n < design.nodes.size(); ++n)
        if (keep[n]) {
            renumbered[n] = static_cast<std::uint32_t>(kept.size());
            kept.push_back(std::move(design.nodes[n]));
        }
    const auto rename = [&](signal& s) {
        if (s.from != signal::kind::node) return;
        if (!keep[s.index])
            throw internal_error("fpga passes: a signal still names node " + std::to_string(s.index) +
                                 ", which is being removed");
        s.index = renumbered[s.index];
    };
    for (logic_node& node : kept)
        for (signal& s : node.inputs) rename(s);
    for (output_port& port : design.outputs)
        for (signal& s : port.bits) rename(s);
    design.nodes = std::move(kept);
}

}  // namespace

std::string_view to_string(part p) noexcept {
    switch (p) {
        case part::encoder:
            return "encoder";
        case part::network:
            return "network";
        case part::head:
            return "head";
    }
    return "?";
}

bool fold_inputs(logic_design& design, simplify_stats& stats) {
    bool changed = false;
    // Per node: its constant value once its table is constant, else empty.
    std::vector<std::optional<bool>> constant_of(design.nodes.size());
    for (std::size_t n = 0; n < design.nodes.size(); ++n) {
        logic_node& node = design.nodes[n];
        const unsigned k_before = k_of(node);
        // Zero-delay reads name earlier nodes, already folded in this sweep.
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const signal s = node.inputs[i];
            if (s.from == signal::kind::node && delay_of(node, i) == 0 && constant_of[s.index]) {
                node.inputs[i] = signal::constant(*constant_of[s.index]);
                changed = true;
            }
        }
        // Constants and duplicates in one slot map.
        std::vector<int> source(node.inputs.size());
        std::vector<signal> inputs;
        std::vector<std::uint32_t> delays;
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const signal s = node.inputs[i];
            const std::uint32_t d = delay_of(node, i);
            if (s.is_constant() && d == 0) {
                source[i] = s.from == signal::kind::one ? fixed_one : fixed_zero;
                ++stats.constant_inputs_folded;
                continue;
            }
            std::size_t j = 0;
            while (j < inputs.size() && !(inputs[j] == s && delays[j] == d)) ++j;
            if (j < inputs.size()) {
                ++stats.duplicate_inputs_removed;
            } else {
                inputs.push_back(s);
                delays.push_back(d);
            }
            source[i] = static_cast<int>(j);
        }
        if (inputs.size() != node.inputs.size()) {
            std::vector<std::uint64_t> table = reindex(node.table, static_cast<unsigned>(inputs.size()), source);
            set_slots(node, std::move(inputs), std::move(delays), std::move(table));
            changed = true;
        }
        // Slots the table ignores.
        const std::uint32_t mask = core::effective_inputs(node.table, k_of(node));
        if (static_cast<unsigned>(std::popcount(mask)) != k_of(node)) {
            source.assign(node.inputs.size(), fixed_zero);
            inputs.clear();
            delays.clear();
            for (std::size_t i = 0; i < node.inputs.size(); ++i) {
                if (((mask >> i) & 1U) == 0) {
                    ++stats.ignored_inputs_removed;
                    continue;
                }
                source[i] = static_cast<int>(inputs.size());
                inputs.push_back(node.inputs[i]);
                delays.push_back(delay_of(node, i));
            }
            std::vector<std::uint64_t> table = reindex(node.table, static_cast<unsigned>(inputs.size()), source);
            set_slots(node, std::move(inputs), std::move(delays), std::move(table));
            changed = true;
        }
        if (node.inputs.empty()) {
            constant_of[n] = (node.table[0] & 1U) != 0;
            if (k_before > 0) ++stats.constant_nodes;
        }
    }
    for (output_port& port : design.outputs)
        for (signal& s : port.bits)
            if (s.from == signal::kind::node && constant_of[s.index]) {
                s = signal::constant(*constant_of[s.index]);
                changed = true;
            }
    return changed;
}

bool bypass_buffers_and_inverters(logic_design& design, simplify_stats& stats) {
    bool changed = false;
    for (logic_node& node : design.nodes) {
        std::uint32_t invert = 0;
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const signal s = node.inputs[i];
            if (s.from != signal::kind::node) continue;
            const logic_node& read = design.nodes[s.index];
            if (&read == &node) continue;  // a node reading itself through a register
            const std::optional<single_input> f = one_input_function(read);
            if (!f) continue;
            const std::uint32_t read_delay = delay_of(read, f->slot);
            if (!f->inverted && read_delay == 0) {
                node.inputs[i] = read.inputs[f->slot];
                ++stats.buffer_reads_bypassed;
            } else if (f->inverted && delay_of(node, i) == 0) {
                node.inputs[i] = read.inputs[f->slot];
                if (read_delay != 0) {
                    node.delays.resize(node.inputs.size(), 0);
                    node.delays[i] = read_delay;
                }
                invert |= 1U << i;
                ++stats.inverter_reads_absorbed;
            } else {
                continue;
            }
            changed = true;
        }
        if (invert != 0) {
            std::vector<int> same(node.inputs.size());
            std::iota(same.begin(), same.end(), 0);
            node.table = reindex(node.table, k_of(node), same, invert);
        }
    }
    for (output_port& port : design.outputs)
        for (signal& s : port.bits) {
            if (s.from != signal::kind::node) continue;
            const logic_node& read = design.nodes[s.index];
            const std::optional<single_input> f = one_input_function(read);
            if (f && !f->inverted && delay_of(read, f->slot) == 0) {
                s = read.inputs[f->slot];
                ++stats.buffer_reads_bypassed;
                changed = true;
            }
        }
    return changed;
}

bool merge_identical_nodes(logic_design& design, simplify_stats& stats) {
    using slot = std::pair<signal, std::uint32_t>;  // (source, delay)
    // Nodes grouped by their sorted slots. A table in canonical slot order
    // is computed only once a second node shares the slots, since most
    // nodes share them with none and a wide table costs 2^k steps.
    struct candidate {
        std::uint32_t node;
        std::vector<int> source;           // old slot → canonical slot
        std::vector<std::uint64_t> table;  // in canonical slot order; empty until needed
    };
    std::map<std::vector<slot>, std::vector<candidate>> groups;
    std::vector<std::uint32_t> same_as(design.nodes.size());
    std::iota(same_as.begin(), same_as.end(), 0U);
    bool changed = false;
    const auto redirect = [&](signal& s) {
        if (s.from == signal::kind::node && same_as[s.index] != s.index) {
            s = signal::node(same_as[s.index]);
            changed = true;
        }
    };
    for (std::size_t n = 0; n < design.nodes.size(); ++n) {
        logic_node& node = design.nodes[n];
        // Zero-delay reads name earlier nodes, whose fate is known, so the
        // grouping below already sees merged sources.
        for (signal& s : node.inputs) redirect(s);
        std::vector<std::size_t> order(node.inputs.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return slot{node.inputs[a], delay_of(node, a)} < slot{node.inputs[b], delay_of(node, b)};
        });
        std::vector<slot> slots;
        candidate self{.node = static_cast<std::uint32_t>(n), .source = std::vector<int>(order.size()), .table = {}};
        for (std::size_t j = 0; j < order.size(); ++j) {
            slots.emplace_back(node.inputs[order[j]], delay_of(node, order[j]));
            self.source[order[j]] = static_cast<int>(j);
        }
        std::vector<candidate>& group = groups[std::move(slots)];
        if (!group.empty()) {
            self.table = reindex(node.table, k_of(node), self.source);
            for (candidate& other : group) {
                if (other.table.empty())
                    other.table = reindex(design.nodes[other.node].table, k_of(node), other.source);
                if (other.table == self.table) {
                    same_as[n] = other.node;
                    ++stats.merged;
                    break;
                }
            }
        }
        if (same_as[n] == n) group.push_back(std::move(self));
    }
    // Delayed reads of later nodes, and the output ports; then the copies,
    // now unread, go (here rather than as dead nodes, so each is counted once).
    for (logic_node& node : design.nodes)
        for (signal& s : node.inputs) redirect(s);
    for (output_port& port : design.outputs)
        for (signal& s : port.bits) redirect(s);
    std::vector<bool> keep(design.nodes.size());
    for (std::size_t n = 0; n < keep.size(); ++n) keep[n] = same_as[n] == n;
    if (std::find(keep.begin(), keep.end(), false) != keep.end()) {
        compact(design, keep);
        changed = true;
    }
    return changed;
}

bool remove_dead_nodes(logic_design& design, simplify_stats& stats) {
    const std::size_t count = design.nodes.size();
    std::vector<bool> live(count, false);
    std::vector<std::uint32_t> work;
    const auto reach = [&](const signal& s) {
        if (s.from == signal::kind::node && !live[s.index]) {
            live[s.index] = true;
            work.push_back(s.index);
        }
    };
    for (const output_port& port : design.outputs)
        for (const signal& s : port.bits) reach(s);
    // Delayed inputs may name later nodes, so a work list, not one reverse sweep.
    while (!work.empty()) {
        const std::uint32_t n = work.back();
        work.pop_back();
        for (const signal& s : design.nodes[n].inputs) reach(s);
    }
    const auto live_count = static_cast<std::size_t>(std::count(live.begin(), live.end(), true));
    if (live_count == count) return false;
    stats.dead_removed += count - live_count;
    compact(design, live);
    return true;
}

std::array<std::array<std::uint32_t, core::num_function_kinds>, num_parts> function_census(const logic_design& design) {
    std::array<std::array<std::uint32_t, core::num_function_kinds>, num_parts> census{};
    for (const logic_node& node : design.nodes)
        ++census[static_cast<std::size_t>(node.role)][static_cast<std::size_t>(core::classify(node.table, k_of(node)))];
    return census;
}

simplify_stats simplify(logic_design& design) {
    validate(design);
    simplify_stats stats;
    for (const logic_node& node : design.nodes) ++stats.nodes_before[static_cast<std::size_t>(node.role)];
    bool changed = true;
    while (changed && stats.iterations < max_rounds) {
        ++stats.iterations;
        changed = false;
        // `|` not `||`: every pass runs every round.
        changed = fold_inputs(design, stats) | changed;
        changed = bypass_buffers_and_inverters(design, stats) | changed;
        changed = merge_identical_nodes(design, stats) | changed;
        changed = remove_dead_nodes(design, stats) | changed;
    }
    stats.fixpoint = !changed;
    for (const logic_node& node : design.nodes) ++stats.nodes_after[static_cast<std::size_t>(node.role)];
    stats.census = function_census(design);
    return stats;
}

std::string to_text(const simplify_stats& stats) {
    const auto pad = [](std::string s, std::size_t width) {
        if (s.size() < width) s.insert(0, width - s.size(), ' ');
        return s;
    };
    const auto num = [](std::uint64_t v) { return std::to_string(v); };
    std::string text = "simplify: " + num(stats.iterations) + " rounds" +
                       (stats.fixpoint ? "" : " (stopped at the round limit before a fixpoint)") + "\n";
    text += "  part      nodes before  nodes after\n";
    std::uint64_t before = 0, after = 0;
    for (std::size_t p = 0; p < num_parts; ++p) {
        text += "  " + std::string(to_string(static_cast<part>(p)));
        text.append(8 - to_string(static_cast<part>(p)).size(), ' ');
        text += pad(num(stats.nodes_before[p]), 14) + pad(num(stats.nodes_after[p]), 13) + "\n";
        before += stats.nodes_before[p];
        after += stats.nodes_after[p];
    }
    text += "  total   " + pad(num(before), 14) + pad(num(after), 13) + "\n";
    const std::pair<const char*, std::uint64_t> rows[] = {
        {"constant inputs folded", stats.constant_inputs_folded},
        {"nodes made constant", stats.constant_nodes},
        {"ignored inputs removed", stats.ignored_inputs_removed},
        {"duplicate inputs removed", stats.duplicate_inputs_removed},
        {"buffer reads bypassed", stats.buffer_reads_bypassed},
        {"inverter reads absorbed", stats.inverter_reads_absorbed},
        {"identical nodes merged", stats.merged},
        {"dead nodes removed", stats.dead_removed},
    };
    for (const auto& [name, value] : rows) {
        text += "  " + std::string(name);
        text.append(26 - std::string_view(name).size(), ' ');
        text += pad(num(value), 10) + "\n";
    }
    text += "  remaining functions:\n  kind      ";
    for (std::size_t p = 0; p < num_parts; ++p) text += pad(std::string(to_string(static_cast<part>(p))), 9);
    text += "\n";
    for (std::size_t f = 0; f < core::num_function_kinds; ++f) {
        const std::string_view name = core::to_string(static_cast<core::function_kind>(f));
        text += "  " + std::string(name);
        text.append(name.size() < 10 ? 10 - name.size() : 1, ' ');
        for (std::size_t p = 0; p < num_parts; ++p) text += pad(num(stats.census[p][f]), 9);
        text += "\n";
    }
    return text;
}

}  // namespace lutra::fpga
