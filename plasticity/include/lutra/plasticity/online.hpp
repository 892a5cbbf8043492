#pragma once
// Plasticity in time (DESIGN §4.4, §5): rules driven tick by tick by a timed
// engine. After each engine step the learner hands every rule's tick() the
// tick's activity — every node's output and what each slot read (delayed
// slots included) over the streams — and the stream's teaching signal
// (labels, reward). The same rules that learn from batches learn here: a
// column is a stream instead of a sample.
//
// A table a rule changes goes into the engine at once, so it takes effect at
// the next tick (the event engine re-evaluates the node then). A rule that
// changes the structure (sources, delays, k) is refused: a timed engine's
// registers and event lists are wired to the structure it was built with.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lutra/core/candidates.hpp"
#include "lutra/core/population.hpp"
#include "lutra/core/time.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/session.hpp"

namespace lutra::plasticity {

struct online_params {
    std::vector<rule_spec> rules;          // run in this order every tick
    std::vector<std::string> populations;  // the nodes they apply to; empty = every node
    // Read by `lutra simulate`, not by online_learner: after the ticks that
    // learn, this many more with the rules off, on which the head's decisions
    // are scored against the stream's labels (held-out accuracy); 0 = none.
    std::uint64_t test_ticks = 0;
};
void describe(core::schema_visitor& v, online_params& p);

class online_learner {
public:
    // Builds the rules (schema_error at `path`.rules[i] for a bad entry) and
    // checks them against the network; at most 512 streams.
    online_learner(core::network net, online_params params, std::uint64_t seed, const rule_catalogue& rules,
                   core::candidate_sources candidates = {}, std::vector<core::population> populations = {},
                   std::string path = "time.learn");
    ~online_learner();
    online_learner(const online_learner&) = delete;
    online_learner& operator=(const online_learner&) = delete;

    // After engine.step(inputs): every rule's tick() on that tick. `engine`
    // must run this learner's network; tables the rules change are set in it.
    void tick(core::timed_engine& engine, const core::bit_matrix& inputs, const teaching_signal& signal);
    // Every rule's end().
    void end();

    [[nodiscard]] const core::network& network() const noexcept { return net_; }
    // Tables set into the engine so far (a node counted once per tick it changed).
    [[nodiscard]] std::uint64_t tables_changed() const noexcept { return tables_changed_; }
    [[nodiscard]] std::size_t rules() const noexcept { return rules_.size(); }

private:
    class context;
    core::network net_;
    online_params params_;
    std::uint64_t seed_;
    core::candidate_sources candidates_;
    std::vector<core::population> populations_;
    std::vector<std::string_view> population_of_;
    std::vector<std::uint32_t> nodes_;
    std::vector<std::uint8_t> applies_;
    gradient_hooks hooks_;
    std::vector<std::unique_ptr<rule>> rules_;
    std::unique_ptr<context> context_;
    core::timed_engine* engine_ = nullptr;  // during tick()
    std::uint64_t tick_ = 0;
    std::uint64_t tables_changed_ = 0;
    bool begun_ = false;
};

}  // namespace lutra::plasticity
