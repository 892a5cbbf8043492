// What the passes did and what remains: the census of function kinds and
// the plain-text table export prints.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "lutra/core/table_function.hpp"
#include "lutra/fpga/passes.hpp"
#include "pass_support.hpp"

namespace lutra::fpga {

using pass_support::k_of;

std::string_view to_string(part p) noexcept {
    switch (p) {
        case part::encoder:
            return "encoder";
        case part::network:
            return "network";
        case part::popcount:
            return "popcount";
        case part::argmax:
            return "argmax";
    }
    return "?";
}

std::array<std::array<std::uint32_t, core::num_function_kinds>, num_parts> function_census(const logic_design& design) {
    std::array<std::array<std::uint32_t, core::num_function_kinds>, num_parts> census{};
    for (const logic_node& node : design.nodes)
        ++census[static_cast<std::size_t>(node.role)][static_cast<std::size_t>(core::classify(node.table, k_of(node)))];
    return census;
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
