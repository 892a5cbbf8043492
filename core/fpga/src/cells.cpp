#include "lutra/fpga/cells.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <string>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"

namespace lutra::fpga {

namespace {

std::string str(std::size_t v) { return std::to_string(v); }

// A LUT3 with inputs {lo, hi, select} computing select ? hi : lo: INIT bit
// a = lo + 2·hi + 4·select.
constexpr std::uint64_t mux_lut3_init = 0xCA;

// Cells map_cells emits for a node of k inputs, its output cell last.
std::size_t cells_for(unsigned k) {
    if (k == 0) return 0;  // a constant: read as signal::constant, no cell
    if (k <= 6) return 1;
    if (k == 7) return 3;                                  // 2 LUT6 + MUXF7
    const std::size_t pieces = std::size_t{1} << (k - 8);  // 8-input pieces: 4 LUT6 + 2 MUXF7 + 1 MUXF8 each
    return pieces * 7 + (pieces - 1);                      // + a tree of LUT3 multiplexers
}

// Emits the cells of one logic node into a netlist.
class node_mapper {
public:
    node_mapper(cell_netlist& netlist, const logic_node& node, std::uint32_t node_index, std::span<const signal> inputs)
        : netlist_(netlist), node_(node), node_index_(node_index), inputs_(inputs) {}

    // Emits every cell of the node; returns the output cell's index.
    std::uint32_t emit() {
        const unsigned k = static_cast<unsigned>(inputs_.size());
        if (k <= 6) return lut(k, node_.table[0]);
        if (k == 7) return muxf7_pair(0);
        std::vector<std::uint32_t> level;
        const std::size_t pieces = std::size_t{1} << (k - 8);
        for (std::size_t p = 0; p < pieces; ++p) level.push_back(muxf8_piece(4 * p));
        // Shannon on inputs 8, 9, ...: piece p has input 8+j = bit j of p, so
        // neighbours 2i and 2i+1 differ in the lowest remaining input.
        for (unsigned select = 8; level.size() > 1; ++select) {
            std::vector<std::uint32_t> next;
            for (std::size_t i = 0; i < level.size(); i += 2)
                next.push_back(push({.type = cell::kind::lut,
                                     .inputs = {signal::node(level[i]), signal::node(level[i + 1]), inputs_[select]},
                                     .delays = {0, 0, delay(select)},
                                     .init = mux_lut3_init}));
            level = std::move(next);
        }
        return level[0];
    }

private:
    std::uint32_t delay(unsigned slot) const { return node_.delays.empty() ? 0 : node_.delays[slot]; }

    std::uint32_t push(cell c) {
        c.role = node_.role;
        c.node = node_index_;
        if (std::all_of(c.delays.begin(), c.delays.end(), [](std::uint32_t d) { return d == 0; })) c.delays.clear();
        netlist_.cells.push_back(std::move(c));
        return static_cast<std::uint32_t>(netlist_.cells.size() - 1);
    }

    // A LUT on the node's inputs 0..n-1 with the given INIT (bits ≥ 2^n cleared).
    std::uint32_t lut(unsigned n, std::uint64_t init) {
        cell c{.type = cell::kind::lut};
        for (unsigned i = 0; i < n; ++i) {
            c.inputs.push_back(inputs_[i]);
            c.delays.push_back(delay(i));
        }
        c.init = n == 6 ? init : init & ((std::uint64_t{1} << (1U << n)) - 1);
        return push(std::move(c));
    }

    // Two LUT6 on inputs 0..5 holding table words w and w+1 (input 6 = 0 / 1)
    // and the MUXF7 choosing between them. A word that is constant still
    // gets its LUT6 on all six inputs: in the slice a MUXF7 takes its data
    // inputs only from the two LUTs beside it, so the LUT site is used
    // either way, and equal inputs keep both halves on the same LUT level.
    std::uint32_t muxf7_pair(std::size_t w) {
        const std::uint32_t lo = lut(6, node_.table[w]);
        const std::uint32_t hi = lut(6, node_.table[w + 1]);
        return push({.type = cell::kind::muxf7,
                     .inputs = {signal::node(lo), signal::node(hi), inputs_[6]},
                     .delays = {0, 0, delay(6)}});
    }

    // Four LUT6 (words w..w+3), two MUXF7 on input 6, one MUXF8 on input 7.
    std::uint32_t muxf8_piece(std::size_t w) {
        const std::uint32_t lo = muxf7_pair(w);
        const std::uint32_t hi = muxf7_pair(w + 2);
        return push({.type = cell::kind::muxf8,
                     .inputs = {signal::node(lo), signal::node(hi), inputs_[7]},
                     .delays = {0, 0, delay(7)}});
    }

    cell_netlist& netlist_;
    const logic_node& node_;
    std::uint32_t node_index_;
    std::span<const signal> inputs_;
};

[[noreturn]] void fail(const cell_netlist& netlist, const std::string& detail) {
    throw error("cell netlist '" + netlist.name + "': " + detail);
}

// The cell a zero-delay or delayed input names, checked, for the walks below.
void check_signal(const cell_netlist& netlist, const signal& s, const std::string& where) {
    if (s.from == signal::kind::input && s.index >= netlist.num_inputs)
        fail(netlist, where + " reads primary input " + str(s.index) + ", but there are " + str(netlist.num_inputs) +
                          " (valid: 0.." + str(netlist.num_inputs) + "-1)");
    if (s.from == signal::kind::node && s.index >= netlist.cells.size())
        fail(netlist, where + " reads cell " + str(s.index) + ", but there are " + str(netlist.cells.size()));
}

std::uint32_t delay_of(const cell& c, std::size_t slot) { return c.delays.empty() ? 0 : c.delays[slot]; }

}  // namespace

cell_netlist map_cells(const logic_design& design) {
    validate(design);
    // Delayed inputs may name later nodes, so every node's output cell is
    // known before any cell is emitted: cells are emitted node by node, each
    // node's output cell last.
    std::vector<signal> node_output(design.nodes.size());
    std::size_t next_cell = 0;
    for (std::size_t n = 0; n < design.nodes.size(); ++n) {
        const logic_node& node = design.nodes[n];
        const unsigned k = static_cast<unsigned>(node.inputs.size());
        next_cell += cells_for(k);
        node_output[n] = k == 0 ? signal::constant((node.table[0] & 1U) != 0)
                                : signal::node(static_cast<std::uint32_t>(next_cell - 1));
    }
    const auto translate = [&](signal s) { return s.from == signal::kind::node ? node_output[s.index] : s; };

    cell_netlist netlist{.name = design.name, .num_inputs = design.num_inputs, .input_ports = design.input_ports};
    netlist.clear_input = design.clear_input;
    netlist.cells.reserve(next_cell);
    std::vector<signal> inputs;
    for (std::size_t n = 0; n < design.nodes.size(); ++n) {
        const logic_node& node = design.nodes[n];
        if (node.inputs.empty()) continue;
        inputs.clear();
        for (const signal& s : node.inputs) inputs.push_back(translate(s));
        const std::uint32_t out = node_mapper(netlist, node, static_cast<std::uint32_t>(n), inputs).emit();
        if (signal::node(out) != node_output[n])
            throw internal_error("map_cells: node " + str(n) + " ended at cell " + str(out) + ", expected " +
                                 str(node_output[n].index));
    }
    for (const output_port& port : design.outputs) {
        output_port& mapped = netlist.outputs.emplace_back(output_port{.name = port.name, .bits = {}});
        for (const signal& s : port.bits) mapped.bits.push_back(translate(s));
    }
    return netlist;
}

core::bit_matrix evaluate(const cell_netlist& netlist, const core::bit_matrix& inputs) {
    if (inputs.rows() != netlist.num_inputs)
        fail(netlist, "evaluate: the input matrix has " + str(inputs.rows()) + " rows, the netlist " +
                          str(netlist.num_inputs) + " primary inputs");
    const std::size_t samples = inputs.samples();
    core::bit_matrix values(netlist.cells.size(), samples);
    const auto word = [&](const signal& s, std::size_t w) -> std::uint64_t {
        switch (s.from) {
            case signal::kind::zero:
                return 0;
            case signal::kind::one:
                return ~std::uint64_t{0};
            case signal::kind::input:
                return inputs.row(s.index)[w];
            case signal::kind::node:
                return values.row(s.index)[w];
        }
        return 0;
    };
    const std::size_t words = (samples + 63) / 64;
    std::array<std::uint64_t, 64> mux{};
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
        const cell& x = netlist.cells[c];
        const std::string where = "cell " + str(c);
        for (std::size_t i = 0; i < x.inputs.size(); ++i) {
            check_signal(netlist, x.inputs[i], where);
            if (delay_of(x, i) != 0)
                fail(netlist, "evaluate: " + where + " input " + str(i) +
                                  " has a delay; evaluate() handles combinational netlists only");
            if (x.inputs[i].from == signal::kind::node && x.inputs[i].index >= c)
                fail(netlist, "evaluate: " + where + " reads cell " + str(x.inputs[i].index) +
                                  ", which is not earlier (cells must be in topological order)");
        }
        const bool is_mux = x.type != cell::kind::lut;
        if (is_mux ? x.inputs.size() != 3 : x.inputs.size() > 6)
            fail(netlist, "evaluate: " + where + " has " + str(x.inputs.size()) +
                              " inputs (valid: " + (is_mux ? "exactly 3, {I0, I1, S}" : "0..6") + ")");
        std::span<std::uint64_t> out = values.row(c);
        for (std::size_t w = 0; w < words; ++w) {
            if (is_mux) {
                const std::uint64_t select = word(x.inputs[2], w);
                out[w] = (word(x.inputs[0], w) & ~select) | (word(x.inputs[1], w) & select);
                continue;
            }
            // Shannon mux tree over the inputs, lowest input first.
            const unsigned n = static_cast<unsigned>(x.inputs.size());
            std::size_t entries = std::size_t{1} << n;
            for (std::size_t a = 0; a < entries; ++a) mux[a] = ((x.init >> a) & 1U) ? ~std::uint64_t{0} : 0;
            for (unsigned i = 0; i < n; ++i) {
                const std::uint64_t select = word(x.inputs[i], w);
                entries /= 2;
                for (std::size_t a = 0; a < entries; ++a) mux[a] = (mux[2 * a] & ~select) | (mux[2 * a + 1] & select);
            }
            out[w] = mux[0];
        }
    }
    std::size_t rows = 0;
    for (const output_port& port : netlist.outputs) rows += port.bits.size();
    core::bit_matrix result(rows, samples);
    std::size_t row = 0;
    for (const output_port& port : netlist.outputs)
        for (const signal& s : port.bits) {
            check_signal(netlist, s, "output port '" + port.name + "'");
            std::span<std::uint64_t> out = result.row(row++);
            for (std::size_t w = 0; w < words; ++w) out[w] = word(s, w);
        }
    return result;
}

core::bit_matrix evaluate_ticks(const cell_netlist& netlist, const core::bit_matrix& inputs) {
    if (inputs.rows() != netlist.num_inputs)
        fail(netlist, "evaluate_ticks: the input matrix has " + str(inputs.rows()) + " rows, the netlist " +
                          str(netlist.num_inputs) + " primary inputs");
    std::uint32_t longest = 0;
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
        const cell& x = netlist.cells[c];
        const bool is_mux = x.type != cell::kind::lut;
        if (is_mux ? x.inputs.size() != 3 : x.inputs.size() > 6)
            fail(netlist, "evaluate_ticks: cell " + str(c) + " has " + str(x.inputs.size()) +
                              " inputs (valid: " + (is_mux ? "exactly 3, {I0, I1, S}" : "0..6") + ")");
        for (std::size_t i = 0; i < x.inputs.size(); ++i) {
            check_signal(netlist, x.inputs[i], "cell " + str(c));
            if (delay_of(x, i) == 0 && x.inputs[i].from == signal::kind::node && x.inputs[i].index >= c)
                fail(netlist, "evaluate_ticks: cell " + str(c) + " reads cell " + str(x.inputs[i].index) +
                                  " with no delay, which is not earlier (cells must be in topological order)");
            longest = std::max(longest, delay_of(x, i));
        }
    }
    // A ring of the last longest + 1 ticks: values[slot][signal], signals
    // being the primary inputs, then the cells. Registers start at 0.
    const std::size_t width = netlist.num_inputs + netlist.cells.size();
    const std::size_t ring = std::size_t{longest} + 1;
    std::vector<std::vector<std::uint8_t>> values(ring, std::vector<std::uint8_t>(width, 0));
    if (netlist.clear_input && *netlist.clear_input >= netlist.num_inputs)
        fail(netlist, "evaluate_ticks: the clear input " + str(*netlist.clear_input) + " is not a primary input");
    // The latest tick before this one with clear = 1, plus 1 (0: none).
    std::size_t cleared_after = 0;
    const auto value = [&](const signal& s, std::size_t t, std::uint32_t delay) -> bool {
        if (delay > t) return false;
        if (delay >= 1 && cleared_after > t - delay) return false;  // a register cleared since
        if (s.from == signal::kind::zero) return false;
        if (s.from == signal::kind::one) return true;
        const std::size_t at = s.from == signal::kind::input ? s.index : netlist.num_inputs + s.index;
        return values[(t - delay) % ring][at] != 0;
    };
    std::size_t rows = 0;
    for (const output_port& port : netlist.outputs) {
        rows += port.bits.size();
        for (const signal& s : port.bits) check_signal(netlist, s, "output port '" + port.name + "'");
    }
    core::bit_matrix result(rows, inputs.samples());
    for (std::size_t t = 0; t < inputs.samples(); ++t) {
        std::vector<std::uint8_t>& now = values[t % ring];
        for (std::uint32_t i = 0; i < netlist.num_inputs; ++i) now[i] = inputs.get(i, t) ? 1 : 0;
        for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
            const cell& x = netlist.cells[c];
            bool out = false;
            if (x.type != cell::kind::lut) {
                out = value(x.inputs[2], t, delay_of(x, 2)) ? value(x.inputs[1], t, delay_of(x, 1))
                                                             : value(x.inputs[0], t, delay_of(x, 0));
            } else {
                std::uint32_t address = 0;
                for (std::size_t i = 0; i < x.inputs.size(); ++i)
                    address |= std::uint32_t{value(x.inputs[i], t, delay_of(x, i))} << i;
                out = ((x.init >> address) & 1U) != 0;
            }
            now[netlist.num_inputs + c] = out ? 1 : 0;
        }
        std::size_t row = 0;
        for (const output_port& port : netlist.outputs)
            for (const signal& s : port.bits) result.set(row++, t, value(s, t, 0));
        if (netlist.clear_input && now[*netlist.clear_input] != 0) cleared_after = t + 1;
    }
    return result;
}

std::vector<std::uint32_t> lut_levels(const cell_netlist& netlist) {
    std::vector<std::uint32_t> level(netlist.cells.size(), 0);
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
        const cell& x = netlist.cells[c];
        std::uint32_t deepest = 0;
        for (std::size_t i = 0; i < x.inputs.size(); ++i) {
            const signal& s = x.inputs[i];
            if (s.from != signal::kind::node || delay_of(x, i) != 0) continue;
            if (s.index >= c)
                fail(netlist, "cell " + str(c) + " has a zero-delay input from cell " + str(s.index) +
                                  ", which is not earlier (cells must be in topological order)");
            deepest = std::max(deepest, level[s.index]);
        }
        level[c] = x.type == cell::kind::lut ? deepest + 1 : deepest;
    }
    return level;
}

std::uint64_t pipeline_plan::flip_flops() const noexcept {
    std::uint64_t total = 0;
    for (std::uint32_t r : input_registers) total += r;
    for (std::uint32_t r : cell_registers) total += r;
    return total;
}

pipeline_plan pipeline_stages(const cell_netlist& netlist, std::uint32_t every) {
    pipeline_plan plan;
    plan.every = every;
    plan.cell_stage.assign(netlist.cells.size(), 0);
    plan.input_registers.assign(netlist.num_inputs, 0);
    plan.cell_registers.assign(netlist.cells.size(), 0);
    if (every == 0) return plan;

    const std::vector<std::uint32_t> level = lut_levels(netlist);
    for (std::size_t c = 0; c < level.size(); ++c) {
        plan.cell_stage[c] = level[c] == 0 ? 0 : (level[c] - 1) / every;
        plan.stages = std::max(plan.stages, plan.cell_stage[c] + 1);
    }
    // Each signal's chain is as long as its latest zero-delay reader needs.
    const auto read = [&](const signal& s, std::uint32_t reader_stage, const std::string& where) {
        check_signal(netlist, s, where);
        if (s.from == signal::kind::input) {
            std::uint32_t& chain = plan.input_registers[s.index];
            chain = std::max(chain, reader_stage);
        } else if (s.from == signal::kind::node) {
            std::uint32_t& chain = plan.cell_registers[s.index];
            chain = std::max(chain, reader_stage - plan.cell_stage[s.index]);
        }
    };
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
        const cell& x = netlist.cells[c];
        for (std::size_t i = 0; i < x.inputs.size(); ++i)
            if (delay_of(x, i) == 0) read(x.inputs[i], plan.cell_stage[c], "cell " + str(c));
    }
    for (const output_port& port : netlist.outputs)
        for (const signal& s : port.bits) read(s, plan.stages - 1, "output port '" + port.name + "'");
    return plan;
}

}  // namespace lutra::fpga
