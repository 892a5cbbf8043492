// Two LUT cells in one LUT6 site (a Xilinx LUT6_2): the pairing rules,
// the shared INIT and the greedy packing (cells.hpp).
#include <algorithm>
#include <array>
#include <bit>
#include <map>
#include <string>
#include <tuple>

#include "lutra/core/error.hpp"
#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/passes.hpp"

namespace lutra::fpga {

namespace {

std::string str(std::size_t v) { return std::to_string(v); }

constexpr std::size_t site_inputs = 5;  // I0..I4; I5 = 1 selects the two halves
constexpr std::uint32_t none = 0xffffffffU;

bool has_delay(const cell& x) {
    return std::any_of(x.delays.begin(), x.delays.end(), [](std::uint32_t d) { return d != 0; });
}

// The distinct non-constant inputs of a cell, in pin order.
std::vector<signal> distinct_inputs(const cell& x) {
    std::vector<signal> out;
    for (const signal& s : x.inputs)
        if (!s.is_constant() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    return out;
}

// The cell's function over `pins` (≤ 5 signals holding every non-constant
// input of the cell) as 32 bits: bit a = its output when pin j carries bit
// j of a. Addresses that set pins beyond pins.size() (tied to 0 in the
// site) get the same values as without them, so the table is whole.
std::uint32_t table_on(const cell& x, const std::vector<signal>& pins) {
    std::array<std::uint32_t, 6> position{};  // per cell input: its pin, or none for a constant
    for (std::size_t i = 0; i < x.inputs.size(); ++i) {
        const signal& s = x.inputs[i];
        position[i] = s.is_constant() ? none
                                      : static_cast<std::uint32_t>(std::find(pins.begin(), pins.end(), s) - pins.begin());
    }
    std::uint32_t table = 0;
    for (std::uint32_t a = 0; a < 32; ++a) {
        std::uint32_t address = 0;
        for (std::size_t i = 0; i < x.inputs.size(); ++i) {
            const bool bit = position[i] == none ? x.inputs[i].from == signal::kind::one : ((a >> position[i]) & 1U) != 0;
            address |= std::uint32_t{bit} << i;
        }
        table |= static_cast<std::uint32_t>((x.init >> address) & 1U) << a;
    }
    return table;
}

// Whether a cell may share a site at all (the rules of the cell alone).
bool pairable(const cell& x, const std::vector<signal>& inputs) {
    if (x.type != cell::kind::lut || has_delay(x) || inputs.empty() || inputs.size() > site_inputs) return false;
    const std::uint32_t table = table_on(x, inputs);
    return table != 0 && table != ~std::uint32_t{0};  // a constant function costs no site
}

}  // namespace

lut6_2_site make_lut6_2(const cell& o6, const cell& o5) {
    for (const cell* x : {&o6, &o5}) {
        const char* which = x == &o6 ? "O6" : "O5";
        if (x->type != cell::kind::lut)
            throw error(std::string("LUT6_2: the ") + which + " cell is a MUXF7/MUXF8; only LUT cells share a site");
        if (x->inputs.size() > 6)
            throw error(std::string("LUT6_2: the ") + which + " cell has " + str(x->inputs.size()) + " inputs");
        if (has_delay(*x))
            throw error(std::string("LUT6_2: the ") + which +
                        " cell has a delayed input; cells with delays never share a site");
    }
    lut6_2_site site;
    site.inputs = distinct_inputs(o6);
    for (const signal& s : distinct_inputs(o5))
        if (std::find(site.inputs.begin(), site.inputs.end(), s) == site.inputs.end()) site.inputs.push_back(s);
    if (site.inputs.size() > site_inputs)
        throw error("LUT6_2: the two cells read " + str(site.inputs.size()) +
                    " distinct non-constant signals; a site shares at most 5");
    site.init = (std::uint64_t{table_on(o6, site.inputs)} << 32) | table_on(o5, site.inputs);
    return site;
}

void check_lut6_2_pairs(const cell_netlist& netlist, const pipeline_plan& plan) {
    const std::string where = "netlist '" + netlist.name + "': LUT6_2 pair ";
    std::vector<bool> used(netlist.cells.size(), false), feeds_mux(netlist.cells.size(), false);
    for (const cell& x : netlist.cells)
        if (x.type != cell::kind::lut)
            for (const signal& s : x.inputs)
                if (s.from == signal::kind::node && s.index < feeds_mux.size()) feeds_mux[s.index] = true;
    for (std::size_t p = 0; p < netlist.lut6_2_pairs.size(); ++p) {
        const auto [a, b] = netlist.lut6_2_pairs[p];
        const std::string pair = where + str(p) + " (cells " + str(a) + ", " + str(b) + ")";
        if (a >= netlist.cells.size() || b >= netlist.cells.size())
            throw error(pair + ": the netlist has " + str(netlist.cells.size()) + " cells");
        if (a == b) throw error(pair + ": a cell cannot share a site with itself");
        for (const std::uint32_t c : {a, b}) {
            if (used[c]) throw error(pair + ": cell " + str(c) + " is already in another pair");
            used[c] = true;
            if (feeds_mux[c]) throw error(pair + ": cell " + str(c) + " feeds a MUXF7/MUXF8, which takes O6 only");
        }
        for (const auto& [reader, read] : {std::pair(a, b), std::pair(b, a)})
            for (const signal& s : netlist.cells[reader].inputs)
                if (s == signal::node(read))
                    throw error(pair + ": cell " + str(reader) + " reads cell " + str(read) +
                                ", so the site would feed itself");
        if (netlist.cells[a].role != netlist.cells[b].role)
            throw error(pair + ": the cells belong to different parts (" +
                        std::string(to_string(netlist.cells[a].role)) + ", " +
                        std::string(to_string(netlist.cells[b].role)) + ")");
        if (plan.cell_stage[a] != plan.cell_stage[b])
            throw error(pair + ": the cells are in pipeline stages " + str(plan.cell_stage[a]) + " and " +
                        str(plan.cell_stage[b]) + "; pack with the pipeline the netlist is written with");
        try {
            (void)make_lut6_2(netlist.cells[a], netlist.cells[b]);
        } catch (const error& e) {
            throw error(pair + ": " + e.what());
        }
    }
}

std::size_t pack_lut6_2(cell_netlist& netlist, std::uint32_t pipeline_every) {
    netlist.lut6_2_pairs.clear();
    const std::size_t n = netlist.cells.size();
    const pipeline_plan plan = pipeline_stages(netlist, pipeline_every);
    std::vector<bool> feeds_mux(n, false);
    for (const cell& x : netlist.cells)
        if (x.type != cell::kind::lut)
            for (const signal& s : x.inputs)
                if (s.from == signal::kind::node && s.index < n) feeds_mux[s.index] = true;

    // Candidates with their input sets (sorted, for comparing sets).
    std::vector<std::vector<signal>> set(n);
    std::vector<bool> candidate(n, false), paired(n, false);
    for (std::size_t c = 0; c < n; ++c) {
        std::vector<signal> inputs = distinct_inputs(netlist.cells[c]);
        if (feeds_mux[c] || !pairable(netlist.cells[c], inputs)) continue;
        std::sort(inputs.begin(), inputs.end());
        set[c] = std::move(inputs);
        candidate[c] = true;
    }
    // Cells that may share a site only with each other: same part, same stage.
    const auto group = [&](std::size_t c) { return std::pair(netlist.cells[c].role, plan.cell_stage[c]); };
    const auto pair_up = [&](std::size_t a, std::size_t b) {
        paired[a] = paired[b] = true;
        netlist.lut6_2_pairs.emplace_back(static_cast<std::uint32_t>(std::min(a, b)),
                                          static_cast<std::uint32_t>(std::max(a, b)));
    };
    // A cell that reads its partner would make the site feed itself.
    const auto one_reads_other = [&](std::size_t a, std::size_t b) {
        return std::binary_search(set[a].begin(), set[a].end(), signal::node(static_cast<std::uint32_t>(b))) ||
               std::binary_search(set[b].begin(), set[b].end(), signal::node(static_cast<std::uint32_t>(a)));
    };
    const auto union_size = [&](std::size_t a, std::size_t b) {
        std::size_t shared = 0;
        for (const signal& s : set[a]) shared += std::binary_search(set[b].begin(), set[b].end(), s) ? 1 : 0;
        return set[a].size() + set[b].size() - shared;
    };

    // 1. Identical input sets: consecutive cells of each set, in index order.
    using set_key = std::tuple<part, std::uint32_t, std::vector<signal>>;
    std::map<set_key, std::vector<std::uint32_t>> by_set;
    for (std::size_t c = 0; c < n; ++c)
        if (candidate[c]) {
            const auto [role, stage] = group(c);
            by_set[{role, stage, set[c]}].push_back(static_cast<std::uint32_t>(c));
        }
    for (const auto& [key, cells] : by_set)
        for (std::size_t i = 0; i + 1 < cells.size(); i += 2) pair_up(cells[i], cells[i + 1]);

    // 2. A cell with one whose inputs are a proper subset of its own: after
    // round 1 each set has at most one unpaired cell, its last.
    for (std::size_t c = 0; c < n; ++c) {
        if (!candidate[c] || paired[c] || set[c].size() < 2) continue;
        const auto [role, stage] = group(c);
        const std::size_t m = set[c].size();
        const std::uint32_t full = (1U << m) - 1;
        // Proper non-empty subsets, the largest first, then by mask.
        std::vector<std::uint32_t> masks;
        for (std::uint32_t mask = 1; mask < full; ++mask) masks.push_back(mask);
        std::stable_sort(masks.begin(), masks.end(), [](std::uint32_t x, std::uint32_t y) {
            return std::popcount(x) > std::popcount(y);
        });
        for (const std::uint32_t mask : masks) {
            std::vector<signal> subset;
            for (std::size_t j = 0; j < m; ++j)
                if ((mask >> j) & 1U) subset.push_back(set[c][j]);
            const auto found = by_set.find({role, stage, std::move(subset)});
            if (found == by_set.end() || paired[found->second.back()] || one_reads_other(c, found->second.back()))
                continue;
            pair_up(c, found->second.back());
            break;
        }
    }

    // 3. Two cells that share an input, union ≤ 5: the readers of each of
    // the cell's inputs, at most `looked` of them per input (so a signal
    // read by thousands of cells keeps this linear), the smallest union
    // first, ties to the lowest index.
    constexpr std::size_t looked = 64;
    std::map<signal, std::vector<std::uint32_t>> readers;
    for (std::size_t c = 0; c < n; ++c)
        if (candidate[c] && !paired[c])
            for (const signal& s : set[c]) readers[s].push_back(static_cast<std::uint32_t>(c));
    std::map<signal, std::size_t> first_unpaired;  // readers[s] before this index are all paired
    for (std::size_t c = 0; c < n; ++c) {
        if (!candidate[c] || paired[c]) continue;
        std::size_t best = none, best_union = site_inputs + 1;
        for (const signal& s : set[c]) {
            const std::vector<std::uint32_t>& list = readers[s];
            std::size_t& start = first_unpaired[s];
            while (start < list.size() && paired[list[start]]) ++start;
            for (std::size_t i = start; i < list.size() && i < start + looked; ++i) {
                const std::size_t b = list[i];
                if (b == c || paired[b] || group(b) != group(c) || one_reads_other(b, c)) continue;
                const std::size_t u = union_size(c, b);
                if (u > site_inputs) continue;
                if (u < best_union || (u == best_union && b < best)) {
                    best = b;
                    best_union = u;
                }
            }
        }
        if (best != none) pair_up(c, best);
    }

    // 4. Any two whose input counts add up to ≤ 5 (most share none, or
    // round 3 would have paired them): for each cell the largest partner
    // that fits, the lowest index of that size.
    std::map<std::tuple<part, std::uint32_t, std::size_t>, std::vector<std::uint32_t>> by_size;
    for (std::size_t c = 0; c < n; ++c)
        if (candidate[c] && !paired[c] && set[c].size() < site_inputs) {
            const auto [role, stage] = group(c);
            by_size[{role, stage, set[c].size()}].push_back(static_cast<std::uint32_t>(c));
        }
    std::map<std::tuple<part, std::uint32_t, std::size_t>, std::size_t> next;
    for (std::size_t c = 0; c < n; ++c) {
        if (!candidate[c] || paired[c] || set[c].size() >= site_inputs) continue;
        const auto [role, stage] = group(c);
        for (std::size_t size = site_inputs - set[c].size(); size >= 1 && !paired[c]; --size) {
            const auto found = by_size.find({role, stage, size});
            if (found == by_size.end()) continue;
            // The lowest unpaired cell of that size that c does not read
            // and that does not read c (cells before `i` are all paired).
            std::size_t& i = next[found->first];
            while (i < found->second.size() && paired[found->second[i]]) ++i;
            for (std::size_t j = i; j < found->second.size() && j < i + looked; ++j) {
                const std::size_t b = found->second[j];
                if (b == c || paired[b] || one_reads_other(b, c)) continue;
                pair_up(c, b);
                break;
            }
        }
    }

    std::sort(netlist.lut6_2_pairs.begin(), netlist.lut6_2_pairs.end());
    return netlist.lut6_2_pairs.size();
}

}  // namespace lutra::fpga
