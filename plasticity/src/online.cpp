#include "lutra/plasticity/online.hpp"

#include <algorithm>

#include "lutra/core/error.hpp"
#include "lutra/core/names.hpp"

namespace lutra::plasticity {

void describe(core::schema_visitor& v, online_params& p) {
    v.list("rules", p.rules, "rules run every tick, in this order (their tick() entry point)");
    v.list("populations", p.populations, "names of the populations the rules apply to; empty = every node");
    v.field("test_ticks", p.test_ticks,
            "lutra simulate: ticks run after time.ticks with the rules off, the head's decisions at labelled ticks "
            "scored (held-out accuracy); 0 = none",
            std::uint64_t{0}, std::uint64_t{1} << 40);
}

class online_learner::context final : public learning_context {
public:
    explicit context(online_learner& l) : l_(l) {}
    core::network& network() override { return l_.net_; }
    [[nodiscard]] const core::candidate_sources& candidates() const override { return l_.candidates_; }
    gradient_hooks& hooks() override { return l_.hooks_; }
    [[nodiscard]] std::uint64_t seed() const override { return l_.seed_; }
    [[nodiscard]] unsigned threads() const override { return 1; }
    [[nodiscard]] epoch_position position() const override { return {}; }
    [[nodiscard]] std::size_t active_rules() const override { return l_.rules_.size(); }
    [[nodiscard]] std::span<const std::uint32_t> nodes() const override { return l_.nodes_; }
    [[nodiscard]] bool applies_to(std::uint32_t node) const override { return l_.applies_[node] != 0; }
    [[nodiscard]] std::string_view population_of(std::uint32_t node) const override {
        return node < l_.population_of_.size() ? l_.population_of_[node] : std::string_view();
    }
    void network_changed(const network_change& change) override {
        if (change.what == network_change::kind::structure)
            throw error("online learning: a rule changed the network's structure (sources, delays or k) at tick " +
                        std::to_string(l_.tick_) +
                        "; a timed engine runs the structure it was built with, so online rules may change tables "
                        "only (use structural rules such as prune or rewire in a training schedule)");
        if (l_.engine_ != nullptr) {
            const auto push = [this](std::uint32_t n) {
                l_.engine_->set_table(n, l_.net_.table(n));
                ++l_.tables_changed_;
            };
            if (change.nodes.empty())
                for (std::uint32_t n = 0; n < l_.net_.num_nodes(); ++n) push(n);
            else
                for (const std::uint32_t n : change.nodes) push(n);
        }
        for (auto& r : l_.rules_) r->network_changed(change, *this);
    }

private:
    online_learner& l_;
};

online_learner::online_learner(core::network net, online_params params, std::uint64_t seed, const rule_catalogue& rules,
                               core::candidate_sources candidates, std::vector<core::population> populations,
                               std::string path)
    : net_(std::move(net)), params_(std::move(params)), seed_(seed), candidates_(std::move(candidates)),
      populations_(std::move(populations)), context_(std::make_unique<context>(*this)) {
    population_of_.assign(net_.num_nodes(), std::string_view());
    for (const core::population& pop : populations_)
        for (const std::uint32_t n : pop.nodes)
            if (n < net_.num_nodes()) population_of_[n] = pop.name;
    applies_.assign(net_.num_nodes(), params_.populations.empty() ? 1 : 0);
    for (std::size_t i = 0; i < params_.populations.size(); ++i) {
        const std::string& name = params_.populations[i];
        const auto found = std::find_if(populations_.begin(), populations_.end(),
                                        [&name](const core::population& p) { return p.name == name; });
        if (found == populations_.end()) {
            std::vector<std::string_view> valid;
            for (const core::population& p : populations_) valid.emplace_back(p.name);
            throw core::schema_error(path + ".populations[" + std::to_string(i) + "]",
                                     "no population '" + name + "' in the network" + core::did_you_mean(name, valid) +
                                         (valid.empty() ? "; it has none" : "; valid: " + core::join_names(valid)));
        }
        for (const std::uint32_t n : found->nodes) applies_[n] = 1;
    }
    for (std::uint32_t n = 0; n < net_.num_nodes(); ++n)
        if (applies_[n]) nodes_.push_back(n);
    if (params_.rules.empty()) throw core::schema_error(path + ".rules", "give at least one rule to run every tick");
    const session_setup setup{};
    for (std::size_t r = 0; r < params_.rules.size(); ++r) {
        const rule_spec& spec = params_.rules[r];
        const std::string at = path + ".rules[" + std::to_string(r) + "]";
        for (std::size_t earlier = 0; earlier < r; ++earlier)
            if (params_.rules[earlier].rule == spec.rule)
                throw core::schema_error(at + ".rule", "rule '" + spec.rule + "' is already in the list (rules[" +
                                                           std::to_string(earlier) + "]); each rule runs once per tick");
        try {
            rules_.push_back(rules.create(spec.rule, spec.params, setup, at));
        } catch (const core::schema_error& e) {
            throw core::schema_error(e.path.rfind(at, 0) == 0 ? e.path : at + "." + e.path, e.problem);
        } catch (const unknown_name_error& e) {
            throw core::schema_error(at + ".rule", e.what());
        }
        rules_.back()->check(net_);
        if (rules_.back()->needs_candidates() && candidates_.empty())
            throw core::schema_error(at + ".rule", "rule '" + spec.rule +
                                                       "' moves sources among the genome's candidates, and this network "
                                                       "has none");
    }
}

online_learner::~online_learner() = default;

void online_learner::tick(core::timed_engine& engine, const core::bit_matrix& inputs, const teaching_signal& signal) {
    if (engine.streams() > core::vector_samples)
        throw error("online learning: " + std::to_string(engine.streams()) +
                    " streams; rules see at most 512 streams a tick (one bit-sliced vector)");
    if (engine.net().num_nodes() != net_.num_nodes() || engine.net().arrays().sources != net_.arrays().sources ||
        engine.net().arrays().delays != net_.arrays().delays)
        throw error("online learning: the engine runs another network than the learner's");
    if (engine.tick() == 0) throw error("online learning: call tick() after the engine's step()");
    engine_ = &engine;
    if (!begun_) {
        for (auto& r : rules_) r->begin(*context_);
        begun_ = true;
    }
    const hard_activity hard(net_, inputs, engine.outputs(), engine.streams(),
                             [&engine](std::uint32_t node, unsigned slot) { return engine.slot_plane(node, slot); });
    const tick_activity activity{engine.tick() - 1, hard, signal, engine.changed()};
    tick_ = activity.tick;
    try {
        for (auto& r : rules_) r->tick(activity, *context_);
    } catch (...) {
        engine_ = nullptr;
        throw;
    }
    engine_ = nullptr;
}

void online_learner::end() {
    for (auto& r : rules_) r->end(*context_);
}

}  // namespace lutra::plasticity
