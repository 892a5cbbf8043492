#include "lutra/fpga/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "lutra/core/error.hpp"

namespace lutra::fpga {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::uint32_t delay_of(const cell& c, std::size_t slot) { return c.delays.empty() ? 0 : c.delays[slot]; }

// Adds the counts of one group into another (depth: the larger).
void add(resource_counts& into, const resource_counts& from) {
    for (std::size_t i = 0; i < into.luts_by_inputs.size(); ++i) into.luts_by_inputs[i] += from.luts_by_inputs[i];
    into.lut6_sites += from.lut6_sites;
    into.lut6_2_sites += from.lut6_2_sites;
    into.muxf7 += from.muxf7;
    into.muxf8 += from.muxf8;
    into.delay_flip_flops += from.delay_flip_flops;
    into.pipeline_flip_flops += from.pipeline_flip_flops;
    into.depth = std::max(into.depth, from.depth);
    into.own_depth = std::max(into.own_depth, from.own_depth);
}

std::string fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

std::string scientific(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
}

// 298636 → "298,636".
std::string grouped(std::uint64_t value) {
    std::string digits = std::to_string(value);
    for (std::size_t i = digits.size(); i > 3; i -= 3) digits.insert(i - 3, ",");
    return digits;
}

}  // namespace

const std::vector<fpga_part>& known_parts() {
    // 7-series CLBs: a slice holds 4 LUT6 and 8 flip-flops (Xilinx UG474).
    // Slice counts: xc7k480t 74,659 (DESIGN §8); xc7a100t 15,850 (as the
    // Digilent Nexys 4 DDR board documents it; 63,400 LUTs and 126,800
    // flip-flops in distributor summaries of DS180); xc7z020 6,650 CLBs =
    // 13,300 slices (53,200 LUTs as DS190 summaries give it).
    static const std::vector<fpga_part> parts = {
        {"xc7k480t", 74'659ULL * 4, 74'659ULL * 8},
        {"xc7a100t", 15'850ULL * 4, 15'850ULL * 8},
        {"xc7z020", 13'300ULL * 4, 13'300ULL * 8},
    };
    return parts;
}

const fpga_part& find_part(std::string_view name) {
    const std::string wanted = lower(name);
    for (const fpga_part& p : known_parts())
        if (p.name == wanted) return p;
    std::string known;
    for (const fpga_part& p : known_parts()) known += (known.empty() ? "" : ", ") + p.name;
    throw unknown_name_error("FPGA part", std::string(name),
                             "unknown FPGA part '" + std::string(name) + "'; known parts: " + known);
}

resource_report make_report(const cell_netlist& netlist, const report_options& options) {
    if (!(options.clock_mhz > 0) || !std::isfinite(options.clock_mhz))
        throw error("resource report: the stated clock is " + std::to_string(options.clock_mhz) +
                    " MHz; it must be a positive number of MHz");
    resource_report r;
    r.design = netlist.name;
    r.part = find_part(options.part);
    r.clock_mhz = options.clock_mhz;
    r.pipeline_every = options.pipeline_every;

    const std::vector<std::uint32_t> level = lut_levels(netlist);
    // own[c]: cell c's LUT level counting only the LUTs of its own part.
    std::vector<std::uint32_t> own(netlist.cells.size(), 0);
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
        const cell& x = netlist.cells[c];
        std::uint32_t deepest = 0;
        for (std::size_t i = 0; i < x.inputs.size(); ++i)
            if (const signal& s = x.inputs[i]; s.from == signal::kind::node && delay_of(x, i) == 0 &&
                                               netlist.cells[s.index].role == x.role)
                deepest = std::max(deepest, own[s.index]);
        own[c] = x.type == cell::kind::lut ? deepest + 1 : deepest;
    }
    const auto group_of = [&](const signal& s) -> resource_counts& {
        return s.from == signal::kind::node ? r.per_part[static_cast<std::size_t>(netlist.cells[s.index].role)]
                                            : r.inputs;
    };
    // One shift register per delayed signal, as long as its longest delay.
    std::map<signal, std::uint32_t> delay_chain;
    for (std::size_t c = 0; c < netlist.cells.size(); ++c) {
        const cell& x = netlist.cells[c];
        resource_counts& counts = r.per_part[static_cast<std::size_t>(x.role)];
        counts.depth = std::max(counts.depth, level[c]);
        counts.own_depth = std::max(counts.own_depth, own[c]);
        switch (x.type) {
            case cell::kind::lut: {
                const auto used = static_cast<std::size_t>(
                    std::count_if(x.inputs.begin(), x.inputs.end(), [](const signal& s) { return !s.is_constant(); }));
                ++counts.luts_by_inputs[std::min<std::size_t>(used, 6)];
                ++counts.lut6_sites;
                break;
            }
            case cell::kind::muxf7:
                ++counts.muxf7;
                break;
            case cell::kind::muxf8:
                ++counts.muxf8;
                break;
        }
        for (std::size_t i = 0; i < x.inputs.size(); ++i)
            if (const std::uint32_t d = delay_of(x, i); d > 0) {
                std::uint32_t& chain = delay_chain[x.inputs[i]];
                chain = std::max(chain, d);
            }
    }
    for (const auto& [source, length] : delay_chain) group_of(source).delay_flip_flops += length;

    const pipeline_plan plan = pipeline_stages(netlist, options.pipeline_every);
    // A LUT6_2 pair: two LUTs of one part in one site.
    check_lut6_2_pairs(netlist, plan);
    for (const auto& [o6, o5] : netlist.lut6_2_pairs) {
        resource_counts& counts = r.per_part[static_cast<std::size_t>(netlist.cells[o6].role)];
        --counts.lut6_sites;
        ++counts.lut6_2_sites;
    }
    for (std::uint32_t registers : plan.input_registers) r.inputs.pipeline_flip_flops += registers;
    for (std::size_t c = 0; c < netlist.cells.size(); ++c)
        group_of(signal::node(static_cast<std::uint32_t>(c))).pipeline_flip_flops += plan.cell_registers[c];
    r.stages = plan.stages;
    r.latency_cycles = plan.latency();

    for (const resource_counts& counts : r.per_part) add(r.total, counts);
    add(r.total, r.inputs);
    r.total.own_depth = r.total.depth;
    r.lut_utilisation_percent = 100.0 * static_cast<double>(r.total.lut6_sites) / static_cast<double>(r.part.lut6);
    r.flip_flop_utilisation_percent =
        100.0 * static_cast<double>(r.total.flip_flops()) / static_cast<double>(r.part.flip_flops);
    if (options.cycles_per_sample == 0) throw error("resource report: 0 cycles per sample; at least 1");
    r.cycles_per_sample = options.cycles_per_sample;
    r.samples_per_second = options.clock_mhz * 1e6 / options.cycles_per_sample;
    r.latency_ns = r.latency_cycles * 1000.0 / options.clock_mhz;
    return r;
}

std::string to_text(const resource_report& r) {
    const auto pad = [](std::string s, std::size_t width) {
        if (s.size() < width) s.insert(0, width - s.size(), ' ');
        return s;
    };
    const auto label = [](std::string s) {
        s.resize(std::max<std::size_t>(s.size(), 20), ' ');
        return s;
    };
    std::string text = "resource report: " + r.design + " on " + r.part.name + " (" + grouped(r.part.lut6) + " LUT6, " +
                       grouped(r.part.flip_flops) + " flip-flops)\n";
    text += "  " + label("");
    for (std::size_t p = 0; p < num_parts; ++p) text += pad(std::string(to_string(static_cast<part>(p))), 10);
    text += pad("inputs", 10) + pad("total", 10) + "\n";
    const auto row = [&](const std::string& name, auto field) {
        text += "  " + label(name);
        for (const resource_counts& c : r.per_part) text += pad(grouped(field(c)), 10);
        text += pad(grouped(field(r.inputs)), 10) + pad(grouped(field(r.total)), 10) + "\n";
    };
    for (std::size_t n = 0; n <= 6; ++n)
        if (r.total.luts_by_inputs[n] > 0)
            row("LUT, " + std::to_string(n) + " inputs", [n](const resource_counts& c) { return c.luts_by_inputs[n]; });
    row("LUT6 sites", [](const resource_counts& c) { return c.lut6_sites; });
    if (r.total.lut6_2_sites > 0)
        row("  LUT6_2 (2 LUTs)", [](const resource_counts& c) { return c.lut6_2_sites; });
    row("MUXF7", [](const resource_counts& c) { return c.muxf7; });
    row("MUXF8", [](const resource_counts& c) { return c.muxf8; });
    row("flip-flops, delays", [](const resource_counts& c) { return c.delay_flip_flops; });
    row("flip-flops, pipeline", [](const resource_counts& c) { return c.pipeline_flip_flops; });
    row("flip-flops", [](const resource_counts& c) { return c.flip_flops(); });
    row("depth (LUT levels)", [](const resource_counts& c) { return std::uint64_t{c.depth}; });
    row("own depth", [](const resource_counts& c) { return std::uint64_t{c.own_depth}; });
    text += "  utilisation: " + fixed(r.lut_utilisation_percent, 3) + " % of LUT6, " +
            fixed(r.flip_flop_utilisation_percent, 3) + " % of flip-flops\n";
    if (r.pipeline_every == 0)
        text += "  pipeline: none (inputs to outputs combinational, latency 0 cycles)\n";
    else
        text += "  pipeline: registers every " + std::to_string(r.pipeline_every) + " LUT levels, " +
                std::to_string(r.stages) + " stages, latency " + std::to_string(r.latency_cycles) + " cycles\n";
    text += "  at a stated clock of " + fixed(r.clock_mhz, 1) +
            " MHz (an assumption, not a measured Fmax): one sample per " +
            (r.cycles_per_sample == 1 ? std::string("cycle") : std::to_string(r.cycles_per_sample) + " cycles") +
            " = " + scientific(r.samples_per_second) +
            " samples/s, latency " + std::to_string(r.latency_cycles) + " cycles = " + fixed(r.latency_ns, 1) + " ns\n";
    return text;
}

std::string to_key_values(const resource_report& r) {
    std::string text;
    const auto put = [&](const std::string& key, const std::string& value) { text += key + "=" + value + "\n"; };
    put("design", r.design);
    put("part", r.part.name);
    put("part.lut6", std::to_string(r.part.lut6));
    put("part.flip_flops", std::to_string(r.part.flip_flops));
    put("clock_mhz", fixed(r.clock_mhz, 3));
    put("pipeline_every", std::to_string(r.pipeline_every));
    put("stages", std::to_string(r.stages));
    put("latency_cycles", std::to_string(r.latency_cycles));
    put("latency_ns", fixed(r.latency_ns, 3));
    put("cycles_per_sample", std::to_string(r.cycles_per_sample));
    put("samples_per_second", fixed(r.samples_per_second, 0));
    put("lut_utilisation_percent", fixed(r.lut_utilisation_percent, 4));
    put("flip_flop_utilisation_percent", fixed(r.flip_flop_utilisation_percent, 4));
    const auto group = [&](const std::string& name, const resource_counts& c) {
        for (std::size_t n = 0; n <= 6; ++n)
            put(name + ".luts_" + std::to_string(n) + "_inputs", std::to_string(c.luts_by_inputs[n]));
        put(name + ".lut6_sites", std::to_string(c.lut6_sites));
        put(name + ".lut6_2_sites", std::to_string(c.lut6_2_sites));
        put(name + ".muxf7", std::to_string(c.muxf7));
        put(name + ".muxf8", std::to_string(c.muxf8));
        put(name + ".delay_flip_flops", std::to_string(c.delay_flip_flops));
        put(name + ".pipeline_flip_flops", std::to_string(c.pipeline_flip_flops));
        put(name + ".flip_flops", std::to_string(c.flip_flops()));
        put(name + ".depth", std::to_string(c.depth));
        put(name + ".own_depth", std::to_string(c.own_depth));
    };
    for (std::size_t p = 0; p < num_parts; ++p) group(std::string(to_string(static_cast<part>(p))), r.per_part[p]);
    group("inputs", r.inputs);
    group("total", r.total);
    return text;
}

}  // namespace lutra::fpga
