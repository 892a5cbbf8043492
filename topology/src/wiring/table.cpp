// The wiring rules, in the order messages and choice lists give them. Adding
// a rule: its file, its declaration and one line here (wiring.hpp says more).
#include <algorithm>
#include <array>
#include <string>

#include "lutra/core/error.hpp"
#include "wiring.hpp"

namespace lutra::topology {
namespace wiring {

wiring_rule random_wiring();
wiring_rule receptive_field_wiring();
wiring_rule lateral_wiring();
wiring_rule recurrent_wiring();

std::span<const wiring_rule> wiring_rule_table() {
    static const std::array table = {
        random_wiring(),
        receptive_field_wiring(),
        lateral_wiring(),
        recurrent_wiring(),
    };
    return table;
}

const wiring_rule* find_wiring_rule(std::string_view name) noexcept {
    const std::span<const wiring_rule> table = wiring_rule_table();
    const auto it = std::find_if(table.begin(), table.end(), [&](const wiring_rule& r) { return r.name == name; });
    return it == table.end() ? nullptr : &*it;
}

const wiring_rule& wiring_rule_of(const projection_gene& projection) {
    const wiring_rule* rule = find_wiring_rule(projection.rule);
    if (!rule) throw internal_error("wiring: no rule '" + projection.rule + "' in a validated genome");
    return *rule;
}

}  // namespace wiring

std::span<const std::string_view> wiring_rule_names() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> n;
        for (const wiring::wiring_rule& r : wiring::wiring_rule_table()) n.push_back(r.name);
        return n;
    }();
    return names;
}

}  // namespace lutra::topology
