#include "lutra/plasticity/catalogue.hpp"

#include <algorithm>
#include <type_traits>

#include "lutra/core/error.hpp"
#include "lutra/core/names.hpp"
#include "lutra/plasticity/gradient.hpp"
#include "lutra/plasticity/rules/area.hpp"
#include "lutra/plasticity/rules/count.hpp"
#include "lutra/plasticity/rules/desensitize.hpp"
#include "lutra/plasticity/rules/greedy.hpp"
#include "lutra/plasticity/rules/prune.hpp"
#include "lutra/plasticity/rules/rewire.hpp"
#include "lutra/plasticity/rules/sensitize.hpp"

namespace lutra::plasticity {

void rule_catalogue::add(rule_entry entry) {
    if (entry.name.empty()) throw error("rule catalogue: a rule needs a name");
    if (has(entry.name)) throw error("rule catalogue: a rule named '" + entry.name + "' is already registered");
    if (!entry.create) throw error("rule catalogue: rule '" + entry.name + "' has no factory");
    entries_.push_back(std::move(entry));
    names_.emplace_back(entries_.back().name);
}

bool rule_catalogue::has(std::string_view name) const noexcept {
    return std::find(names_.begin(), names_.end(), name) != names_.end();
}

const rule_entry& rule_catalogue::at(std::string_view name) const {
    const auto found = std::find_if(entries_.begin(), entries_.end(), [name](const rule_entry& e) { return e.name == name; });
    if (found == entries_.end())
        throw unknown_name_error("rule", std::string(name),
                                 "unknown plasticity rule '" + std::string(name) + "'" + core::did_you_mean(name, names_) +
                                     "; valid: " + core::join_names(names_));
    return *found;
}

std::unique_ptr<rule> rule_catalogue::create(std::string_view name, const rule_params& params,
                                             const session_setup& setup, std::string_view path) const {
    const rule_entry& entry = at(name);
    if (!params.holds(typeid(void)) || !entry.defaults.holds(typeid(void))) {
        rule_params copy = params;
        core::check_schema([&copy](core::schema_visitor& v) { copy.describe_fields(v); }, path);
    }
    return entry.create(params, setup);
}

namespace {

template <class Rule, class Params>
void add_builtin(rule_catalogue& c, std::string_view name, std::string doc) {
    if (c.has(name)) return;  // a user's rule of that name stays
    c.add<Params>(std::string(name), std::move(doc), [](const Params& p, const session_setup& s) {
        if constexpr (std::is_constructible_v<Rule, const Params&, const session_setup&>)
            return std::make_unique<Rule>(p, s);
        else
            return (void)s, std::make_unique<Rule>(p);
    });
}

}  // namespace

void register_builtin_rules(rule_catalogue& c) {
    add_builtin<gradient_rule, gradient_params>(c, gradient_rule::rule_name,
                                                "gradient descent (Adam or SGD) on the entries through the relaxation");
    add_builtin<sensitize_rule, sensitize_params>(c, sensitize_rule::rule_name,
                                                  "per-entry step-size gain: x gamma_up while the gradient keeps its sign");
    add_builtin<desensitize_rule, desensitize_params>(c, desensitize_rule::rule_name,
                                                      "habituation: entries driven without consequence lose efficacy");
    add_builtin<prune_rule, prune_params>(c, prune_rule::rule_name,
                                          "drop the input slots that change the fewest outputs, as many as an accuracy budget allows");
    add_builtin<rewire_rule, rewire_params>(c, rewire_rule::rule_name,
                                            "re-grow the least influential input slots from the genome's candidates");
    add_builtin<greedy_rule, greedy_params>(c, greedy_rule::rule_name,
                                            "hill-climbing: flips and source swaps kept when the exact loss falls");
    add_builtin<count_rule, count_params>(c, count_rule::rule_name,
                                          "WiSARD-style votes per addressed entry; the bit follows the majority");
    add_builtin<area_rule, area_params>(c, area_rule::rule_name,
                                        "area-aware: a penalty on input sensitivities so tables lose weak inputs");
}

rule_catalogue& catalogue() {
    static rule_catalogue instance;
    static const bool registered = (register_builtin_rules(instance), true);
    (void)registered;
    return instance;
}

}  // namespace lutra::plasticity
