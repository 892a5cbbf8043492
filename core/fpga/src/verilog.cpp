#include "lutra/fpga/verilog.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <functional>
#include <ostream>
#include <span>
#include <string_view>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/fpga/classifier.hpp"
#include "lutra/fpga/passes.hpp"

namespace lutra::fpga {

namespace {

std::string str(std::uint64_t v) { return std::to_string(v); }

// `digits` hex digits, most significant first, of the bits bit(0..bits-1);
// bits at or beyond `bits` read as 0.
std::string hex_digits(std::size_t bits, const std::function<bool(std::size_t)>& bit) {
    const std::size_t digits = std::max<std::size_t>(1, (bits + 3) / 4);
    std::string s(digits, '0');
    for (std::size_t d = 0; d < digits; ++d) {
        unsigned nibble = 0;
        for (unsigned b = 0; b < 4; ++b) {
            const std::size_t i = 4 * d + b;
            if (i < bits && bit(i)) nibble |= 1U << b;
        }
        s[digits - 1 - d] = "0123456789abcdef"[nibble];
    }
    return s;
}

// A sized hex literal of a table of 2^k bits (k ≤ 16) stored as 64-bit words.
std::string table_literal(unsigned k, std::span<const std::uint64_t> words) {
    const std::size_t bits = std::size_t{1} << k;
    return str(bits) + "'h" + hex_digits(bits, [&](std::size_t i) { return ((words[i / 64] >> (i % 64)) & 1U) != 0; });
}

// Verilog-2005 and SystemVerilog keywords a port or module could plausibly be called.
constexpr std::array<std::string_view, 96> keywords = {
    "always",    "and",       "assign",   "automatic", "begin",     "bit",       "buf",       "bufif0",
    "bufif1",    "byte",      "case",     "casex",     "casez",     "cell",      "class",     "config",
    "const",     "default",   "defparam", "design",    "disable",   "do",        "edge",      "else",
    "end",       "endcase",   "endfunction", "endgenerate", "endmodule", "endtask", "enum",    "event",
    "final",     "for",       "force",    "forever",   "fork",      "function",  "generate",  "genvar",
    "if",        "import",    "initial",  "inout",     "input",     "instance",  "int",       "integer",
    "interface", "join",      "library",  "localparam", "logic",    "module",    "nand",      "negedge",
    "new",       "nor",       "not",      "null",      "or",        "output",    "package",   "parameter",
    "posedge",   "primitive", "program",  "real",      "reg",       "release",   "repeat",    "return",
    "signed",    "specify",   "static",   "string",    "struct",    "supply0",   "supply1",   "table",
    "task",      "time",      "tri",      "type",      "typedef",   "union",     "unsigned",  "use",
    "virtual",   "void",      "wait",     "wand",      "while",     "wire",      "wor",       "xor",
};

// Prefixes of generated names: a port must not look like one.
constexpr std::array<std::string_view, 6> generated_prefixes = {"in", "cell", "node", "enc", "u", "const"};

void check_name(const std::string& name, const std::string& what) {
    const auto word_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    };
    if (name.empty() || (name[0] >= '0' && name[0] <= '9') || !std::all_of(name.begin(), name.end(), word_char))
        throw error(what + " '" + name + "' is not a plain Verilog identifier (letters, digits, _; not a digit first)");
    if (std::find(keywords.begin(), keywords.end(), name) != keywords.end())
        throw error(what + " '" + name + "' is a Verilog or SystemVerilog keyword; choose another name");
    if (name == "clk") throw error(what + " 'clk' is the clock the writer adds; choose another name");
    for (std::string_view prefix : generated_prefixes)
        if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 && name[prefix.size()] >= '0' &&
            name[prefix.size()] <= '9')
            throw error(what + " '" + name + "' looks like a generated wire name (in<i>, cell<i>, node<i>, enc<i>, "
                                             "u<i>, const<i>); choose another name");
}

std::string range(std::uint32_t width) { return "[" + str(width - 1) + ":0]"; }

// A shift register of flip-flops behind one signal, written either as FDRE
// primitives or as behavioural registers; stage j's wire is <base><tag><j>.
// `clear` drives the R pin of every stage (logic_design::clear_input).
void write_chain(std::ostream& out, bool primitives, const std::string& base, const std::string& first_d,
                 const char* tag, std::uint32_t length, const std::string& clear = "1'b0") {
    for (std::uint32_t j = 1; j <= length; ++j) {
        const std::string q = base + tag + str(j);
        const std::string d = j == 1 ? first_d : base + tag + str(j - 1);
        if (primitives)
            out << "    FDRE #(.INIT(1'b0)) " << q << "_ff (.C(clk), .CE(1'b1), .R(" << clear << "), .D(" << d << "), .Q(" << q
                << "));\n";
        else
            out << "    always @(posedge clk) " << q << " <= " << d << ";\n";
    }
}

void declare_chain(std::ostream& out, bool primitives, const std::string& base, const char* tag,
                   std::uint32_t length) {
    for (std::uint32_t j = 1; j <= length; ++j)
        out << (primitives ? "    wire " : "    reg ") << base << tag << j << (primitives ? ";\n" : " = 1'b0;\n");
}

void write_header(std::ostream& out, const module_interface& m) {
    out << "module " << m.name << " (\n";
    std::vector<std::string> ports;
    if (m.clocked) ports.push_back("input clk");
    for (const verilog_port& p : m.inputs) ports.push_back("input " + range(p.width) + " " + p.name);
    for (const verilog_port& p : m.outputs) ports.push_back("output " + range(p.width) + " " + p.name);
    for (std::size_t i = 0; i < ports.size(); ++i) out << "    " << ports[i] << (i + 1 < ports.size() ? ",\n" : "\n");
    out << ");\n";
}

// The network part of the generic style, shared by the classifier and the
// network alone: a wire node<n> per node, one table per node indexed by its
// slots, and a chain of `reg`s behind every source a delayed slot reads, as
// long as its longest delay. Network input i is the wire <input_prefix><i>,
// which the caller declares (only for the inputs reads_input) and drives.
class generic_network {
public:
    generic_network(const core::network& net, std::string input_prefix)
        : net_(net), input_prefix_(std::move(input_prefix)), read_(net.num_inputs(), false),
          longest_delay_(std::size_t{net.num_inputs()} + net.num_nodes(), 0) {
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
            const auto sources = net.sources(n);
            const auto delays = net.delays(n);
            for (std::size_t i = 0; i < sources.size(); ++i) {
                if (sources[i] < net.num_inputs()) read_[sources[i]] = true;
                longest_delay_[sources[i]] = std::max(longest_delay_[sources[i]], delays[i]);
            }
        }
    }
    [[nodiscard]] bool reads_input(std::uint32_t i) const { return read_[i]; }

    // Declarations first: a delayed slot may read a later node.
    void declare(std::ostream& out) const {
        for (std::uint32_t r = 0; r < net_.num_inputs(); ++r)
            if (read_[r]) out << "    wire " << input_prefix_ << r << ";\n";
        for (std::uint32_t n = 0; n < net_.num_nodes(); ++n) out << "    wire node" << n << ";\n";
        for (std::uint32_t id = 0; id < longest_delay_.size(); ++id)
            declare_chain(out, false, source_name(id), "_d", longest_delay_[id]);
    }

    void write(std::ostream& out) const {
        out << "    // network\n";
        for (std::uint32_t n = 0; n < net_.num_nodes(); ++n) {
            const unsigned k = net_.k(n);
            out << "    localparam [" << ((std::uint64_t{1} << k) - 1) << ":0] T" << n << " = "
                << table_literal(k, net_.table(n)) << ";\n";
            out << "    assign node" << n << " = T" << n << "[{";
            const auto sources = net_.sources(n);
            const auto delays = net_.delays(n);
            for (unsigned i = k; i-- > 0;) {
                out << source_name(sources[i]);
                if (delays[i] > 0) out << "_d" << delays[i];
                out << (i > 0 ? ", " : "");
            }
            out << "}];\n";
        }
        for (std::uint32_t id = 0; id < longest_delay_.size(); ++id)
            write_chain(out, false, source_name(id), source_name(id), "_d", longest_delay_[id]);
    }

private:
    [[nodiscard]] std::string source_name(std::uint32_t id) const {
        return id < net_.num_inputs() ? input_prefix_ + str(id) : "node" + str(id - net_.num_inputs());
    }
    const core::network& net_;
    std::string input_prefix_;
    std::vector<bool> read_;
    std::vector<std::uint32_t> longest_delay_;
};

}  // namespace

std::uint32_t module_interface::input_bits() const noexcept {
    std::uint32_t n = 0;
    for (const verilog_port& p : inputs) n += p.width;
    return n;
}

std::uint32_t module_interface::output_bits() const noexcept {
    std::uint32_t n = 0;
    for (const verilog_port& p : outputs) n += p.width;
    return n;
}

// ---------------------------------------------------------------- Xilinx style

module_interface write_xilinx(const cell_netlist& netlist, const verilog_options& options, std::ostream& out) {
    module_interface m;
    m.name = options.module_name.empty() ? netlist.name : options.module_name;
    check_name(m.name, "module name");
    const std::string where = "netlist '" + netlist.name + "'";

    // Every primary input bit on exactly one input port.
    std::vector<std::string> input_pin(netlist.num_inputs);
    for (const input_port& p : netlist.input_ports) {
        check_name(p.name, where + ": input port");
        if (p.width == 0 || std::uint64_t{p.first} + p.width > netlist.num_inputs)
            throw error(where + ": input port '" + p.name + "' covers inputs " + str(p.first) + " … " +
                        str(std::uint64_t{p.first} + p.width) + " (exclusive); valid: a non-empty range within the " +
                        str(netlist.num_inputs) + " primary inputs");
        for (std::uint32_t j = 0; j < p.width; ++j) {
            std::string& pin = input_pin[p.first + j];
            if (!pin.empty())
                throw error(where + ": primary input " + str(p.first + j) + " is on two input ports (" + pin +
                            " and " + p.name + "[" + str(j) + "])");
            pin = p.name + "[" + str(j) + "]";
        }
        m.inputs.push_back({p.name, p.width});
    }
    for (std::uint32_t b = 0; b < netlist.num_inputs; ++b)
        if (input_pin[b].empty()) throw error(where + ": primary input " + str(b) + " is on no input port");
    for (const output_port& p : netlist.outputs) {
        check_name(p.name, where + ": output port");
        if (p.bits.empty()) throw error(where + ": output port '" + p.name + "' has no bits");
        for (const verilog_port& q : m.inputs)
            if (q.name == p.name) throw error(where + ": '" + p.name + "' is both an input and an output port");
        m.outputs.push_back({p.name, static_cast<std::uint32_t>(p.bits.size())});
    }

    // The shape of every cell, before any index is used.
    const auto check_signal = [&](const signal& s, bool delayed, std::size_t reader, const std::string& what) {
        if (s.from == signal::kind::input && s.index >= netlist.num_inputs)
            throw error(where + ": " + what + " reads primary input " + str(s.index) + " of " +
                        str(netlist.num_inputs));
        if (s.from == signal::kind::node && (s.index >= netlist.cells.size() || (!delayed && s.index >= reader)))
            throw error(where + ": " + what + " reads cell " + str(s.index) + "; valid: an earlier cell (of " +
                        str(netlist.cells.size()) + ") or, through a delay, any cell");
    };
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
        const cell& x = netlist.cells[c];
        const std::string what = "cell " + str(c);
        if (x.type == cell::kind::lut && x.inputs.size() > 6)
            throw error(where + ": " + what + " is a LUT of " + str(x.inputs.size()) + " inputs; valid: 0 … 6");
        if (x.type != cell::kind::lut && x.inputs.size() != 3)
            throw error(where + ": " + what + " is a MUXF7/MUXF8 of " + str(x.inputs.size()) +
                        " inputs; valid: exactly I0, I1, S");
        if (!x.delays.empty() && x.delays.size() != x.inputs.size())
            throw error(where + ": " + what + " has " + str(x.delays.size()) + " delays for " + str(x.inputs.size()) +
                        " inputs");
        for (std::size_t i = 0; i < x.inputs.size(); ++i)
            check_signal(x.inputs[i], !x.delays.empty() && x.delays[i] > 0, c, what + " input " + str(i));
    }
    for (const output_port& p : netlist.outputs)
        for (const signal& s : p.bits) check_signal(s, false, netlist.cells.size(), "output port '" + p.name + "'");

    // Wire names: node<origin> for the output cell of a network node (map_cells
    // emits a node's output cell last), so the generic style's names match.
    std::vector<std::string> cell_wire(netlist.cells.size());
    for (std::size_t c = 0; c < cell_wire.size(); ++c) cell_wire[c] = "cell" + str(c);
    if (options.design) {
        const logic_design& d = *options.design;
        std::vector<std::size_t> output_cell(d.nodes.size(), SIZE_MAX);
        for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
            if (netlist.cells[c].node >= d.nodes.size())
                throw error(where + ": cell " + str(c) + " implements logic node " + str(netlist.cells[c].node) +
                            ", but the design in the options has " + str(d.nodes.size()) +
                            " nodes; pass the design map_cells was given");
            output_cell[netlist.cells[c].node] = c;
        }
        std::vector<std::uint32_t> origins;
        for (std::size_t n = 0; n < d.nodes.size(); ++n)
            if (output_cell[n] != SIZE_MAX && d.nodes[n].role == part::network &&
                d.nodes[n].origin != logic_node::no_origin)
                origins.push_back(d.nodes[n].origin);
        std::sort(origins.begin(), origins.end());
        for (std::size_t n = 0; n < d.nodes.size(); ++n) {
            const std::uint32_t o = d.nodes[n].origin;
            if (output_cell[n] == SIZE_MAX || d.nodes[n].role != part::network || o == logic_node::no_origin) continue;
            // A name two nodes would share names neither.
            if (std::upper_bound(origins.begin(), origins.end(), o) - std::lower_bound(origins.begin(), origins.end(), o) ==
                1)
                cell_wire[output_cell[n]] = "node" + str(o);
        }
    }

    // Registers: per signal, the pipeline chain pipeline_stages plans and the
    // delay chain as long as its longest delayed read.
    const pipeline_plan plan = pipeline_stages(netlist, options.pipeline_every);
    // A delayed constant is a register too: it shows 0 before its first cycles.
    std::vector<std::uint32_t> input_delay(netlist.num_inputs, 0), cell_delay(netlist.cells.size(), 0);
    std::vector<std::uint32_t> constant_delay(2, 0);  // const0, const1
    for (const cell& x : netlist.cells)
        for (std::size_t i = 0; i < x.delays.size(); ++i) {
            const signal& s = x.inputs[i];
            std::uint32_t& chain = s.from == signal::kind::input  ? input_delay[s.index]
                                   : s.from == signal::kind::node ? cell_delay[s.index]
                                                                  : constant_delay[s.from == signal::kind::one];
            chain = std::max(chain, x.delays[i]);
        }
    const auto any = [](const std::vector<std::uint32_t>& v) {
        return std::any_of(v.begin(), v.end(), [](std::uint32_t n) { return n > 0; });
    };
    m.clocked = any(plan.input_registers) || any(plan.cell_registers) || any(input_delay) || any(cell_delay) ||
                any(constant_delay);
    m.latency = plan.latency();

    // The R pin of every delay register (logic_design::clear_input).
    std::string clear = "1'b0";
    if (netlist.clear_input) {
        if (*netlist.clear_input >= netlist.num_inputs)
            throw error(where + ": the clear input " + str(*netlist.clear_input) + " is not a primary input");
        if (options.pipeline_every != 0)
            throw error(where + ": a netlist with a clear input cannot be pipelined (its registers restart a sequence)");
        clear = input_pin[*netlist.clear_input];
    }
    // The name of a signal as a reader in `stage` sees it through `delay` registers.
    const auto read = [&](const signal& s, std::uint32_t delay, std::uint32_t stage) -> std::string {
        switch (s.from) {
            case signal::kind::zero: return delay > 0 ? "const0_d" + str(delay) : "1'b0";
            case signal::kind::one: return delay > 0 ? "const1_d" + str(delay) : "1'b1";
            case signal::kind::input:
                if (delay > 0) return "in" + str(s.index) + "_d" + str(delay);
                return stage > 0 ? "in" + str(s.index) + "_p" + str(stage) : input_pin[s.index];
            case signal::kind::node: break;
        }
        if (delay > 0) return cell_wire[s.index] + "_d" + str(delay);
        const std::uint32_t hops = stage - plan.cell_stage[s.index];
        return hops > 0 ? cell_wire[s.index] + "_p" + str(hops) : cell_wire[s.index];
    };

    out << "// " << m.name << ": written by Lutra (lutra::fpga::write_xilinx) as Xilinx 7-series primitives.\n"
        << "// LUTk INIT bit a is the output for address a = sum of I<i> * 2^i (a LUT6_2 with I5 = 1:\n"
        << "// O6 = INIT[32 + a], O5 = INIT[a], two LUTs in one site). Registers are FDRE\n"
        << "// with INIT 0" << (netlist.clear_input ? "; R = " + clear + " clears every delay register"
                                                  : std::string(" and no reset")) << ": a delayed connection reads 0 before its first cycles.\n";
    if (plan.every > 0)
        out << "// Pipelined every " << plan.every << " LUT levels: " << plan.stages << " stages, latency "
            << m.latency << " clock cycles.\n";
    write_header(out, m);
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) out << "    wire " << cell_wire[c] << ";\n";
    for (unsigned value = 0; value < 2; ++value) declare_chain(out, true, "const" + str(value), "_d", constant_delay[value]);
    for (std::uint32_t b = 0; b < netlist.num_inputs; ++b) {
        declare_chain(out, true, "in" + str(b), "_p", plan.input_registers[b]);
        declare_chain(out, true, "in" + str(b), "_d", input_delay[b]);
    }
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
        declare_chain(out, true, cell_wire[c], "_p", plan.cell_registers[c]);
        declare_chain(out, true, cell_wire[c], "_d", cell_delay[c]);
    }
    for (unsigned value = 0; value < 2; ++value)
        write_chain(out, true, "const" + str(value), "1'b" + str(value), "_d", constant_delay[value], clear);
    for (std::uint32_t b = 0; b < netlist.num_inputs; ++b) {
        write_chain(out, true, "in" + str(b), input_pin[b], "_p", plan.input_registers[b]);
        write_chain(out, true, "in" + str(b), input_pin[b], "_d", input_delay[b], clear);
    }
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
        write_chain(out, true, cell_wire[c], cell_wire[c], "_p", plan.cell_registers[c]);
        write_chain(out, true, cell_wire[c], cell_wire[c], "_d", cell_delay[c], clear);
    }

    // A LUT6_2 pair is written once, at its O6 cell: I0..I4 the union of the
    // two cells' inputs (make_lut6_2's order, unused pins 0), I5 = 1.
    check_lut6_2_pairs(netlist, plan);
    std::vector<std::uint32_t> o5_of(netlist.cells.size(), UINT32_MAX);
    std::vector<bool> is_o5(netlist.cells.size(), false);
    for (const auto& [o6, o5] : netlist.lut6_2_pairs) {
        o5_of[o6] = o5;
        is_o5[o5] = true;
    }
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
        const cell& x = netlist.cells[c];
        const auto pin = [&](std::size_t i) {
            return read(x.inputs[i], x.delays.empty() ? 0 : x.delays[i], plan.cell_stage[c]);
        };
        if (is_o5[c]) continue;
        if (o5_of[c] != UINT32_MAX) {
            const lut6_2_site site = make_lut6_2(x, netlist.cells[o5_of[c]]);
            out << "    LUT6_2 #(.INIT(" << table_literal(6, std::span(&site.init, 1)) << ")) u" << c << " (";
            for (std::size_t i = 0; i < 5; ++i)
                out << ".I" << i << "(" << (i < site.inputs.size() ? read(site.inputs[i], 0, plan.cell_stage[c]) : "1'b0")
                    << "), ";
            out << ".I5(1'b1), .O6(" << cell_wire[c] << "), .O5(" << cell_wire[o5_of[c]] << "));\n";
            continue;
        }
        if (x.type == cell::kind::lut && x.inputs.empty()) {
            // No LUT0 primitive: a constant.
            out << "    assign " << cell_wire[c] << " = 1'b" << (x.init & 1U) << ";\n";
            continue;
        }
        if (x.type == cell::kind::lut) {
            const unsigned k = static_cast<unsigned>(x.inputs.size());
            const std::uint64_t init = k == 6 ? x.init : x.init & ((std::uint64_t{1} << (1U << k)) - 1);
            out << "    LUT" << k << " #(.INIT(" << table_literal(k, std::span(&init, 1)) << ")) u" << c << " (";
            for (std::size_t i = 0; i < k; ++i) out << ".I" << i << "(" << pin(i) << "), ";
        } else {
            out << "    " << (x.type == cell::kind::muxf7 ? "MUXF7" : "MUXF8") << " u" << c << " (.I0(" << pin(0)
                << "), .I1(" << pin(1) << "), .S(" << pin(2) << "), ";
        }
        out << ".O(" << cell_wire[c] << "));\n";
    }
    for (const output_port& p : netlist.outputs)
        for (std::size_t j = 0; j < p.bits.size(); ++j)
            out << "    assign " << p.name << "[" << j << "] = " << read(p.bits[j], 0, plan.stages - 1) << ";\n";
    out << "endmodule\n";
    return m;
}

// --------------------------------------------------------------- generic style

module_interface write_generic(const core::network& net, const core::encoder& enc, const verilog_options& options,
                               std::ostream& out) {
    if (options.pipeline_every != 0)
        throw error("the generic Verilog style is combinational (pipeline_every = " + str(options.pipeline_every) +
                    " asked); pipeline the Xilinx style instead");
    const core::group_sum_head& head = net.head();
    if (head.num_classes == 0) throw error("write_generic: the network has no head; export needs a classifier");
    if (net.num_inputs() != enc.num_bits())
        throw error("write_generic: the network reads " + str(net.num_inputs()) + " input bits, but the encoder makes " +
                    str(enc.num_bits()));
    const std::uint32_t classes = head.num_classes;
    const std::uint32_t per_class = static_cast<std::uint32_t>(head.outputs.size()) / classes;
    const std::uint32_t prediction_width = std::max<std::uint32_t>(1, std::bit_width(classes - 1));
    const std::uint32_t score_width = std::max<std::uint32_t>(1, std::bit_width(per_class));

    module_interface m;
    m.name = options.module_name.empty() ? logic_design{}.name : options.module_name;
    check_name(m.name, "module name");
    m.clocked = !net.combinational();
    m.inputs.push_back({std::string(pixels_port_name), 8 * enc.num_features()});
    m.outputs.push_back({std::string(prediction_port_name), prediction_width});
    for (std::uint32_t c = 0; c < classes; ++c) m.outputs.push_back({score_port_name(c), score_width});

    const std::uint32_t inputs = net.num_inputs();
    const generic_network body(net, "enc");

    out << "// " << m.name << ": written by Lutra (lutra::fpga::write_generic) as portable behavioural RTL,\n"
        << "// straight from the trained network: encoder comparators, one table per node\n"
        << "// (T[address], address bit i = input slot i), popcounts per class, argmax with ties\n"
        << "// to the lowest class.";
    if (m.clocked) out << " Delay registers start at 0.";
    out << "\n";
    write_header(out, m);

    body.declare(out);

    out << "    // encoder: input bit r = pixel > threshold\n";
    const auto bits = enc.bits();
    const auto thresholds = enc.thresholds();
    for (std::uint32_t r = 0; r < inputs; ++r)
        if (body.reads_input(r)) {
            const std::uint32_t f = bits[r].feature;
            out << "    assign enc" << r << " = " << pixels_port_name << "[" << 8 * f + 7 << ":" << 8 * f << "] > 8'd"
                << unsigned{thresholds[r]} << ";\n";
        }
    body.write(out);

    out << "    // head: class c's score is the popcount of its " << per_class << " outputs\n";
    for (std::uint32_t c = 0; c < classes; ++c) {
        out << "    assign " << score_port_name(c) << " = ";
        for (std::uint32_t j = 0; j < per_class; ++j)
            out << (j ? " + " : "") << "node" << head.outputs[std::size_t{c} * per_class + j];
        out << ";\n";
    }
    out << "    reg " << range(prediction_width) << " best_class;\n"
        << "    reg " << range(score_width) << " best_score;\n"
        << "    always @* begin\n"
        << "        best_class = " << prediction_width << "'d0;\n"
        << "        best_score = " << score_port_name(0) << ";\n";
    for (std::uint32_t c = 1; c < classes; ++c)
        out << "        if (" << score_port_name(c) << " > best_score) begin best_class = " << prediction_width << "'d"
            << c << "; best_score = " << score_port_name(c) << "; end\n";
    out << "    end\n"
        << "    assign " << prediction_port_name << " = best_class;\n"
        << "endmodule\n";
    return m;
}

// ------------------------------------------------------- the network alone

module_interface write_network_generic(const core::network& net, const verilog_options& options, std::ostream& out) {
    if (options.pipeline_every != 0)
        throw error("the generic Verilog style is not pipelined (pipeline_every = " + str(options.pipeline_every) +
                    " asked)");
    module_interface m;
    m.name = options.module_name.empty() ? std::string(network_design_name) : options.module_name;
    check_name(m.name, "module name");
    m.clocked = !net.combinational();
    if (net.num_inputs() > 0) m.inputs.push_back({std::string(network_inputs_port_name), net.num_inputs()});
    if (net.num_nodes() > 0) m.outputs.push_back({std::string(network_nodes_port_name), net.num_nodes()});
    const generic_network body(net, "in");

    out << "// " << m.name << ": written by Lutra (lutra::fpga::write_network_generic) as portable behavioural\n"
        << "// RTL: a network alone, one table per node (T[address], address bit i = input slot i);\n"
        << "// " << network_nodes_port_name << "[n] is node n's output.";
    if (m.clocked) out << " Delay registers start at 0.";
    out << "\n";
    write_header(out, m);
    body.declare(out);
    for (std::uint32_t i = 0; i < net.num_inputs(); ++i)
        if (body.reads_input(i)) out << "    assign in" << i << " = " << network_inputs_port_name << "[" << i << "];\n";
    body.write(out);
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n)
        out << "    assign " << network_nodes_port_name << "[" << n << "] = node" << n << ";\n";
    out << "endmodule\n";
    return m;
}

module_interface write_network_xilinx(const core::network& net, const verilog_options& options, std::ostream& out,
                                      simplify_stats* stats) {
    if (options.pipeline_every != 0)
        throw error("write_network_xilinx: pipelining (pipeline_every = " + str(options.pipeline_every) +
                    ") would shift node outputs against the ticks; a timed network is written unpipelined");
    logic_design design = network_design(net);
    const simplify_stats done = simplify(design);
    if (stats) *stats = done;
    cell_netlist netlist = map_cells(design);
    (void)pack_lut6_2(netlist);  // as lutra export writes the Xilinx style
    verilog_options written = options;
    written.design = &design;
    return write_xilinx(netlist, written, out);
}

// ------------------------------------------------------------ vectors, bench

test_vectors classifier_vectors(const module_interface& dut, const core::network& net, const core::encoder& enc,
                                const core::data_split& samples) {
    const std::uint32_t classes = net.head().num_classes;
    const std::string what = "test vectors for module '" + dut.name + "'";
    if (dut.inputs.size() != 1 || dut.inputs[0].name != pixels_port_name ||
        dut.inputs[0].width != 8 * enc.num_features())
        throw error(what + ": the module's inputs must be one port '" + std::string(pixels_port_name) + "' of " +
                    str(8 * enc.num_features()) + " bits (8 per feature)");
    if (classes == 0 || dut.outputs.size() != classes + 1 || dut.outputs[0].name != prediction_port_name)
        throw error(what + ": the module's outputs must be '" + std::string(prediction_port_name) +
                    "' and one score port per class (" + str(classes) + " classes)");
    for (std::uint32_t c = 0; c < classes; ++c)
        if (dut.outputs[c + 1].name != score_port_name(c))
            throw error(what + ": output " + str(c + 1) + " is '" + dut.outputs[c + 1].name + "', expected '" +
                        score_port_name(c) + "'");
    if (!net.combinational())
        throw error(what + ": the network has delayed connections; the C++ model's vectors need a combinational "
                           "network");

    test_vectors v;
    v.inputs = pixel_inputs(samples, enc.num_features());
    const core::head_output h = core::bitslice_engine(net).classify(enc.encode(samples));
    v.outputs = core::bit_matrix(dut.output_bits(), samples.size());
    for (std::size_t s = 0; s < samples.size(); ++s) {
        std::uint32_t row = 0;
        for (std::uint32_t p = 0; p <= classes; ++p) {
            const std::uint32_t value = p == 0 ? h.predictions[s] : h.scores[s * classes + p - 1];
            const std::uint32_t width = dut.outputs[p].width;
            if (width < 32 && (value >> width) != 0)
                throw error(what + ": sample " + str(s) + ": " + dut.outputs[p].name + " = " + str(value) +
                            " does not fit the port's " + str(width) + " bits");
            for (std::uint32_t b = 0; b < width; ++b) v.outputs.set(row + b, s, b < 32 && ((value >> b) & 1U) != 0);
            row += width;
        }
    }
    return v;
}

void write_vectors(const module_interface& dut, const test_vectors& vectors, std::ostream& inputs,
                   std::ostream& expected) {
    if (vectors.inputs.rows() != dut.input_bits() || vectors.outputs.rows() != dut.output_bits() ||
        vectors.inputs.samples() != vectors.outputs.samples())
        throw error("test vectors for module '" + dut.name + "': " + str(vectors.inputs.rows()) + " input rows and " +
                    str(vectors.outputs.rows()) + " output rows (" + str(vectors.inputs.samples()) + " and " +
                    str(vectors.outputs.samples()) + " vectors), but the module has " + str(dut.input_bits()) +
                    " input and " + str(dut.output_bits()) + " output bits");
    const auto layout = [](const std::vector<verilog_port>& ports) {
        std::string s;
        for (std::size_t i = ports.size(); i-- > 0;)
            s += ports[i].name + range(ports[i].width) + (i > 0 ? ", " : "");
        return "{" + s + "}";
    };
    const auto write = [](std::ostream& file, const core::bit_matrix& m, const std::string& header) {
        file << "// " << header << "\n";
        for (std::size_t s = 0; s < m.samples(); ++s)
            file << hex_digits(m.rows(), [&](std::size_t r) { return m.get(r, s); }) << "\n";
    };
    write(inputs, vectors.inputs,
          dut.name + " input vectors, one per line in hex: " + layout(dut.inputs) + ", " +
              str(vectors.inputs.samples()) + " vectors");
    write(expected, vectors.outputs,
          dut.name + " expected outputs from the C++ model, one per line in hex: " + layout(dut.outputs) + ", " +
              str(vectors.outputs.samples()) + " vectors");
}

void write_testbench(const module_interface& dut, std::size_t vectors, const testbench_options& options,
                     std::ostream& out) {
    if (vectors == 0) throw error("a test bench for module '" + dut.name + "' needs at least one vector");
    const std::uint32_t in_bits = dut.input_bits();
    const std::uint32_t out_bits = dut.output_bits();
    if (in_bits == 0 || out_bits == 0)
        throw error("a test bench for module '" + dut.name + "' needs an input and an output port");

    out << "`timescale 1ns / 1ps\n"
        << "// Test bench for " << dut.name << ", written by Lutra (lutra::fpga::write_testbench): applies the\n"
        << "// vectors of " << options.inputs_file << " one per " << (dut.clocked ? "clock cycle" : "time step")
        << ", compares every output bit with " << options.expected_file << "\n"
        << "// after a latency of " << dut.latency << " cycles and prints PASS or the mismatches.\n"
        << "module " << dut.name << "_tb;\n"
        << "    localparam integer VECTORS = " << vectors << ";\n"
        << "    localparam integer LATENCY = " << dut.latency << ";\n"
        << "    localparam integer REPORT = " << options.report_mismatches << ";\n"
        << "    reg [" << in_bits - 1 << ":0] inputs [0:VECTORS-1];\n"
        << "    reg [" << out_bits - 1 << ":0] expected [0:VECTORS-1];\n"
        << "    reg [" << in_bits - 1 << ":0] stimulus = " << in_bits << "'d0;\n"
        << "    reg [" << out_bits - 1 << ":0] want;\n"
        << "    reg clk = 1'b0;\n";
    for (const verilog_port& p : dut.outputs) out << "    wire " << range(p.width) << " out_" << p.name << ";\n";
    out << "    wire [" << out_bits - 1 << ":0] got = {";
    for (std::size_t i = dut.outputs.size(); i-- > 0;) out << "out_" << dut.outputs[i].name << (i > 0 ? ", " : "");
    out << "};\n";

    out << "    " << dut.name << " dut (";
    std::vector<std::string> pins;
    if (dut.clocked) pins.push_back(".clk(clk)");
    std::uint32_t bit = 0;
    for (const verilog_port& p : dut.inputs) {
        pins.push_back("." + p.name + "(stimulus[" + str(bit + p.width - 1) + ":" + str(bit) + "])");
        bit += p.width;
    }
    for (const verilog_port& p : dut.outputs) pins.push_back("." + p.name + "(out_" + p.name + ")");
    for (std::size_t i = 0; i < pins.size(); ++i) out << pins[i] << (i + 1 < pins.size() ? ", " : "");
    out << ");\n";

    out << "    integer i, b, shown;\n"
        << "    integer mismatches = 0;\n"
        << "    initial begin\n"
        << "        $readmemh(\"" << options.inputs_file << "\", inputs);\n"
        << "        $readmemh(\"" << options.expected_file << "\", expected);\n"
        << "        for (i = 0; i < VECTORS + LATENCY; i = i + 1) begin\n"
        << "            if (i < VECTORS) stimulus = inputs[i];\n"
        << "            #1;\n"
        << "            if (i >= LATENCY) begin\n"
        << "                want = expected[i - LATENCY];\n"
        << "                if (got !== want) begin\n"
        << "                    mismatches = mismatches + 1;\n"
        << "                    if (mismatches <= REPORT) begin\n"
        << "                        $display(\"MISMATCH vector %0d\", i - LATENCY);\n";
    bit = 0;
    for (const verilog_port& p : dut.outputs) {
        const std::string slice = "want[" + str(bit + p.width - 1) + ":" + str(bit) + "]";
        if (p.width <= 64) {
            out << "                        if (out_" << p.name << " !== " << slice << ") $display(\"  " << p.name
                << ": expected %0d, got %0d\", " << slice << ", out_" << p.name << ");\n";
        } else {
            // A wide port (a network's every node) as a number says nothing: its first differing bits.
            out << "                        shown = 0;\n"
                << "                        for (b = 0; b < " << p.width << "; b = b + 1)\n"
                << "                            if (out_" << p.name << "[b] !== want[" << bit << " + b] && shown < REPORT) begin\n"
                << "                                $display(\"  " << p.name << "[%0d]: expected %0d, got %0d\", b, want["
                << bit << " + b], out_" << p.name << "[b]);\n"
                << "                                shown = shown + 1;\n"
                << "                            end\n";
        }
        bit += p.width;
    }
    out << "                    end\n"
        << "                end\n"
        << "            end\n";
    if (dut.clocked)
        out << "            clk = 1'b1;\n"
            << "            #1;\n"
            << "            clk = 1'b0;\n";
    else
        out << "            #1;\n";
    out << "        end\n"
        << "        if (mismatches == 0) $display(\"PASS %0d vectors\", VECTORS);\n"
        << "        else $display(\"FAIL %0d of %0d vectors\", mismatches, VECTORS);\n"
        << "        $finish;\n"
        << "    end\n"
        << "endmodule\n";
}

void write_equivalence_script(const std::string& generic_file, const std::string& xilinx_file,
                              const std::string& module, std::ostream& out) {
    check_name(module, "module name");
    out << "# Proves the generic and the Xilinx style of " << module << " equivalent (written by Lutra).\n"
        << "# Run: yosys -q -s THIS_FILE (exit status 0 = proven).\n"
        << "read_verilog " << generic_file << "\n"
        << "rename " << module << " gold\n"
        << "read_verilog " << xilinx_file << "\n"
        << "rename " << module << " gate\n"
        << "# yosys's own models of LUT1..LUT6, MUXF7, MUXF8, FDRE, so the primitives are flattened into logic\n"
        << "read_verilog +/xilinx/cells_sim.v\n"
        << "hierarchy -check\n"
        << "proc\n"
        << "flatten\n"
        << "opt_clean\n"
        << "equiv_make gold gate equiv\n"
        << "hierarchy -top equiv\n"
        << "# First the node<n> pairs, each with cones that stop where the two sides meet (fast, node by\n"
        << "# node; a proven pair becomes one signal), then the scores, then what is left (the prediction).\n"
        << "equiv_simple -short w:node* %ci1 t:$equiv %i\n"
        << "tee -q -o equiv_nodes.txt equiv_status\n"
        << "equiv_simple w:score* %ci1 t:$equiv %i\n"
        << "equiv_simple\n"
        << "equiv_induct\n"
        << "equiv_status -assert\n";
}

void write_synthesis_script(const std::string& verilog_file, const std::string& module, std::ostream& out) {
    check_name(module, "module name");
    out << "# Synthesises " << module << " for Xilinx 7-series parts and counts its cells (written by Lutra).\n"
        << "# Run: yosys -s THIS_FILE (or yosys -q -s THIS_FILE -p 'tee -o stat.txt stat').\n"
        << "read_verilog -lib +/xilinx/cells_sim.v\n"
        << "read_verilog " << verilog_file << "\n"
        << "synth_xilinx -noiopad -top " << module << "\n"
        << "stat\n";
}

}  // namespace lutra::fpga
