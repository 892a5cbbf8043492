#pragma once
// A plasticity rule (DESIGN §4.4): something that changes a network's tables,
// step sizes, sources or fan-in from activity and a teaching signal. Gradient
// descent through the relaxation is one rule (`gradient`); the others meet it
// through the gradient hooks (hooks.hpp) or read activity themselves.
//
// A training session (session.hpp) owns the network and drives the rules of
// the current phase of its schedule:
//
//   begin(ctx)                      the phase starts (or a resumed run re-enters it)
//   batch(activity, ctx)            once per minibatch, rules in schedule order
//   tick(activity, ctx)             once per tick of a timed engine (online_learner, online.hpp)
//   end_epoch(ctx)                  after each epoch; the network must then be current
//   end(ctx)                        the phase is over
//
// A rule that changes the network writes ctx.network() and then calls
// ctx.network_changed(...), which tells every active rule (network_changed)
// so they can rebuild what they derived from it (the gradient rule its
// relaxed engine and parameters). Rules must depend only on the seed, the
// data and their state, never on the thread count or the wall clock.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/candidates.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/relaxed.hpp"
#include "lutra/plasticity/activity.hpp"

namespace lutra::plasticity {

class gradient_hooks;

// A rule's state between epochs, for checkpoints: named arrays. A resumed
// run restores it into a rule built from the same parameters and network.
struct named_state {
    std::map<std::string, std::vector<float>> floats;
    std::map<std::string, std::vector<std::uint64_t>> integers;
    friend bool operator==(const named_state&, const named_state&) = default;
};

// A network a rule cannot run on, e.g. a fan-in beyond what it handles.
struct rule_limit_error : error {
    static constexpr std::uint32_t no_node = UINT32_MAX;
    rule_limit_error(std::string rule, std::uint32_t node, std::string field, const std::string& detail)
        : error("rule '" + rule + "': " + (node == no_node ? "" : "node " + std::to_string(node) + ": ") + detail),
          rule(std::move(rule)), node(node), field(std::move(field)), detail(detail) {}
    std::string rule;    // the rule's name
    std::uint32_t node;  // the offending node, or no_node for the network as a whole
    std::string field;   // what of the node: "k", "delays", "head"
    std::string detail;  // what is wrong and what the rule takes
};

// What a session tells the rules it builds, besides their own parameters.
struct session_setup {
    std::size_t batch_size = 128;  // samples per batch
    double tau = 3.3;              // group-sum temperature of the head's loss
    core::relaxed_options engine;  // for rules that run the relaxed engine
};

// What changed when a rule calls network_changed.
struct network_change {
    enum class kind {
        tables,     // table bits only; sources, delays and k as they were
        structure,  // sources, delays or k of some nodes (tables may have changed too)
    };
    kind what = kind::tables;
    std::vector<std::uint32_t> nodes;  // the nodes that changed; empty = any may have
};

// Where in the schedule training is.
struct epoch_position {
    std::uint32_t epoch = 0;         // 0-based over the whole schedule: the epoch training (or just trained)
    std::uint32_t phase_epoch = 0;   // the same, 0-based within its phase
    std::uint32_t phase_epochs = 1;  // epochs of that phase
};

// One minibatch as the rules see it. Samples [first_sample, first_sample +
// samples) of `inputs` (rows = the network's input bits), with their labels.
// `hard` and `signal` are what local rules learn from (activity.hpp); the
// session fills `hard` only for phases with a rule that needs_activity().
struct batch_activity {
    epoch_position at;
    std::size_t batch;          // 0-based within the epoch
    const core::bit_matrix& inputs;  // the whole epoch's, in training order
    std::size_t first_sample;
    std::size_t samples;
    std::span<const std::uint16_t> labels;        // the batch's, samples values
    std::span<const std::uint16_t> epoch_labels;  // every sample's of the epoch, in training order
    const hard_activity* hard = nullptr;          // the hard network on the batch's samples, or null
    teaching_signal signal;
};

// One tick of a stream as an online rule sees it (the event engine's entry
// point; DESIGN §5): the same view as a batch, its columns the parallel
// streams. Bit s of a plane is stream s.
struct tick_activity {
    std::uint64_t tick;                 // ticks since the stream started
    const hard_activity& hard;          // node outputs and slot planes at this tick, ≤ 512 streams
    teaching_signal signal;             // labels or reward per stream; dy when a gradient runs in time
    // The nodes whose output changed at this tick (in some stream), ascending:
    // the events, for rules that keep per-node state up to date lazily (as
    // NEST's synapses do) — touching only these and catching up on the ticks
    // in between — instead of visiting every node every tick.
    std::span<const std::uint32_t> changed = {};
};

// What a batch's rules measured: the loss summed over its samples and the
// samples the (relaxed) network classified correctly. A rule that measures
// adds to it; the session reports the first measurement of each batch.
struct batch_measure {
    bool measured = false;
    double loss_sum = 0;
    std::size_t correct = 0;
};

// The session as a rule sees it.
class learning_context {
public:
    virtual ~learning_context() = default;
    // The current hard network; a rule may change it, then calls network_changed.
    [[nodiscard]] virtual core::network& network() = 0;
    [[nodiscard]] const core::network& network() const { return const_cast<learning_context*>(this)->network(); }
    // Every input slot's allowed sources (the genome's candidates, for rules
    // that swap or re-grow sources); empty when the session was given none.
    [[nodiscard]] virtual const core::candidate_sources& candidates() const = 0;
    // Where rules meet the gradient (registered hooks stay until removed).
    [[nodiscard]] virtual gradient_hooks& hooks() = 0;
    // The run's seed: rules draw random numbers from counter_rng(seed, purpose).
    [[nodiscard]] virtual std::uint64_t seed() const = 0;
    // Worker threads rules may use (results must not depend on it).
    [[nodiscard]] virtual unsigned threads() const = 0;
    // The epoch being trained; in end_epoch, the one just trained; between
    // epochs (begin, restore), the next one.
    [[nodiscard]] virtual epoch_position position() const = 0;
    // Rules of the current phase, this one included.
    [[nodiscard]] virtual std::size_t active_rules() const = 0;
    // The nodes the current phase applies to (its populations), ascending;
    // every node when the phase names none.
    [[nodiscard]] virtual std::span<const std::uint32_t> nodes() const = 0;
    // Whether the current phase applies to a node.
    [[nodiscard]] virtual bool applies_to(std::uint32_t node) const = 0;
    // The population of every node: its name, or "" for none (for messages and statistics).
    [[nodiscard]] virtual std::string_view population_of(std::uint32_t node) const = 0;
    // Tells every active rule that the network changed (see the file comment).
    virtual void network_changed(const network_change& change) = 0;
};

// Per-node columns of a rule's state (rule::summarize), in a fixed order.
struct rule_summary {
    struct column {
        std::string quantity;       // e.g. "gain_mean": lower case, digits, '_'
        std::vector<float> values;  // one per network node
        friend bool operator==(const column&, const column&) = default;
    };
    std::vector<column> columns;
    void add(std::string quantity, std::vector<float> values) { columns.push_back({std::move(quantity), std::move(values)}); }
};

class rule {
public:
    virtual ~rule() = default;
    [[nodiscard]] virtual std::string_view name() const = 0;

    // Throws rule_limit_error (naming the node) when the rule cannot run on
    // this network, e.g. a fan-in beyond what it handles. Called before
    // anything of a run is written.
    virtual void check(const core::network& net) const { (void)net; }

    virtual void begin(learning_context& ctx) { (void)ctx; }
    virtual void batch(const batch_activity& activity, learning_context& ctx, batch_measure& measure) {
        (void)activity, (void)ctx, (void)measure;
    }
    virtual void tick(const tick_activity& activity, learning_context& ctx) { (void)activity, (void)ctx; }
    virtual void end_epoch(learning_context& ctx) { (void)ctx; }
    virtual void end(learning_context& ctx) { (void)ctx; }
    // Another rule changed ctx.network().
    virtual void network_changed(const network_change& change, learning_context& ctx) { (void)change, (void)ctx; }

    // Whether the rule moves sources among the genome's candidates: the
    // session refuses it on a network without them, before training.
    [[nodiscard]] virtual bool needs_candidates() const { return false; }

    // Whether batch() reads activity.hard: the session evaluates the hard
    // network on the batch once for all rules of a phase that asks.
    [[nodiscard]] virtual bool needs_activity() const { return false; }

    // The rule's state summarised per node for /stats (e.g. mean step-size
    // gain, efficacy, flips accepted, slots dropped): columns of one value
    // per network node, NaN for nodes the rule does not apply to.
    virtual void summarize(rule_summary& out, const learning_context& ctx) const { (void)out, (void)ctx; }

    // The state a checkpoint keeps, and its restoration (after begin, at the
    // epoch the state was taken after) into a rule of the same parameters and
    // network; throws lutra::error when it does not fit.
    [[nodiscard]] virtual named_state state() const { return {}; }
    virtual void restore(const named_state& state, learning_context& ctx) { (void)state, (void)ctx; }
};

}  // namespace lutra::plasticity
