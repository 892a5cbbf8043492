#pragma once
// A training session: one network, a schedule of phases, the rules of each
// phase (catalogue.hpp), and the training loop over epochs (DESIGN §4).
//
// The session owns the current hard network; rules change it (the gradient
// rule by hardening θ). Epoch e belongs to the phase whose epochs cover it;
// entering a phase builds nothing new (every rule of every phase is built and
// checked against the network when the session is constructed, so a bad
// schedule fails before anything of a run is written) but begins the phase's
// rules, leaving one ends them.
//
// train() is the loop of fresh and resumed runs alike: each epoch takes the
// caller's training inputs for that epoch (augmented or not), shuffles them
// with counter_rng(seed, "train.shuffle").fork(epoch), runs the phase's rules
// batch by batch, optionally records per-node statistics (node_recorder.hpp),
// and hands an epoch_report to the observer, which evaluates, logs and
// writes what it wants (run.h5 and the checkpoint, in experiments).
// Everything depends only on the seed, the data and the state.
//
// The observer can end train() early (epoch_observer::stop_requested, asked
// before each epoch and before every batch): an unfinished epoch is then
// abandoned — no end_epoch, no epoch_finished, so no rows and no checkpoint
// of it — and train() returns train_outcome::stopped. The session is then
// mid-epoch (the epoch's first batches changed its network and rules, epoch()
// is still the unfinished one): to train on, restore a state (the last
// checkpoint) into it or into a new session first.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/candidates.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/node_stats.hpp"
#include "lutra/core/population.hpp"
#include "lutra/core/relaxed.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/gradient.hpp"
#include "lutra/plasticity/hooks.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

// One rule of a phase: its catalogue name and its parameters, described
// inline (`{rule: gradient, sharpen: 4}`); the parameters start from the
// catalogue's defaults for that name.
struct rule_spec {
    std::string rule = std::string(gradient_rule::rule_name);
    rule_params params;
    friend bool operator==(const rule_spec&, const rule_spec&) = default;
};

// A stretch of epochs trained by the same rules, in the order listed, on
// the nodes of the populations named (every node when none are).
struct phase {
    std::uint32_t epochs = 1;     // ≥ 1
    std::vector<std::string> populations;  // names of the network's populations; empty = all
    std::vector<rule_spec> rules; // at least one
    friend bool operator==(const phase&, const phase&) = default;
};

// The `train` section of an experiment. Without a schedule, the session has
// one phase of `epochs` epochs with the gradient rule, whose parameters are
// `gradient` (the section's init_scale, sharpen and optimizer keys). With a
// schedule, its phases' epochs must add up to `epochs`, each gradient entry
// carries its own parameters, and `gradient` must stay at its defaults.
struct session_params {
    std::uint32_t epochs = 10;      // passes over the training set, all phases together
    std::size_t batch_size = 128;   // samples per batch (and optimizer step)
    double tau = 3.3;               // group-sum temperature: class score = Σ group outputs / τ, > 0
    gradient_params gradient;       // the gradient rule's parameters when there is no schedule
    core::relaxed_options engine;   // relaxation, threads, block size, instruction set
    std::vector<phase> schedule;    // empty = one gradient phase of all epochs
    friend bool operator==(const session_params&, const session_params&) = default;
};

void describe(core::schema_visitor& v, rule_spec& r);
void describe(core::schema_visitor& v, phase& p);
void describe(core::schema_visitor& v, session_params& p);

// A whole-network checkpoint of a session after a finished epoch.
struct session_state {
    std::uint32_t epoch = 0;  // epochs finished
    named_state network;      // the current network: k, sources, delays, tables (network_state)
    std::vector<std::pair<std::string, named_state>> rules;  // "<phase>:<rule>" → that rule's state
    friend bool operator==(const session_state&, const session_state&) = default;
};
// A network's arrays as named state, and back (the head and input count come
// from `like`, which the state must fit: the same nodes and inputs).
[[nodiscard]] named_state network_state(const core::network& net);
[[nodiscard]] core::network network_from_state(const named_state& state, const core::network& like);

struct epoch_result {
    double loss = 0;      // mean over the samples of what the rules measured (the gradient: cross-entropy)
    double accuracy = 0;  // of the network the rules measured (the gradient: the relaxed one)
    std::size_t samples = 0;
    bool measured = false;  // false: no rule of the phase measured the batches; accuracy is the hard network's
    // train_epoch's `stop` ended the epoch before a batch: the session is
    // mid-epoch (see the file comment) and the fields above are empty.
    bool stopped = false;
};

struct evaluation {
    double hardened = 0;                // accuracy of the hard network, bit-sliced engine
    std::optional<double> relaxed;      // accuracy of the relaxed network, in gradient phases
    double loss = 0;                    // relaxed cross-entropy in gradient phases, else of the hard scores
};

// Per-node statistics after an epoch (DESIGN §7 /stats).
struct record_params {
    std::uint32_t every = 1;   // record after every N-th epoch and the last; 0 = never
    bool sensitivity = true;   // the costliest statistic
    // Entry usage counters a node: 2^max(usage_k, the network's largest k).
    // A run gives its developed network's largest k, so rows keep their
    // shape when rules shrink nodes (prune), resumed or not.
    unsigned usage_k = 0;
};
struct node_record {
    std::uint32_t epoch = 0;                  // 1-based: after this many epochs
    core::node_statistics statistics;         // on the recording samples
    std::vector<std::uint32_t> flips;         // table entries changed by the epoch, per node
    std::vector<float> grad_abs_mean;         // mean |dL/dy| over the epoch's batches, per node (0 without gradient)
    // The phase's rules' per-node summaries (rule::summarize), in the phase's order.
    struct rule_columns {
        std::string rule;
        rule_summary summary;
    };
    std::vector<rule_columns> rules;
    double seconds = 0;                       // spent measuring, this record
};

// What the caller hands train().
struct training_data {
    // The epoch's training inputs in dataset order (the session shuffles);
    // called once per epoch, e.g. to augment anew. The matrix must stay valid
    // until the next call.
    std::function<const core::bit_matrix&(std::uint32_t epoch)> inputs;
    std::span<const std::uint16_t> labels;   // in dataset order
    const core::bit_matrix* record_samples = nullptr;  // what statistics are measured on; null = no statistics
    record_params record;
};

// Wall time of one rule in an epoch (its batch, end_epoch and hook calls
// are not told apart); "activity" is the session's hard evaluation for them.
struct rule_time {
    std::string rule;
    double seconds = 0;
};

struct epoch_report {
    std::uint32_t epoch = 0;            // 0-based: the epoch that just finished
    epoch_result train;
    double seconds = 0;                 // this epoch, statistics included
    std::vector<rule_time> rule_seconds;  // per rule of the phase, in its order, then "activity" when evaluated
    const core::network* network = nullptr;  // the hard network after it
    const node_record* record = nullptr;     // this epoch's statistics, or null
};

class epoch_observer {
public:
    virtual ~epoch_observer() = default;
    virtual void epoch_started(std::uint32_t epoch, std::size_t samples) { (void)epoch, (void)samples; }
    virtual void batch_done(std::size_t samples) { (void)samples; }
    // After the epoch: evaluate, log, write metrics, statistics, a checkpoint.
    virtual void epoch_finished(const epoch_report& report) = 0;
    // Asked before each epoch (between_epochs) and before every batch
    // (between_batches); true ends train() there (train_outcome::stopped).
    // Cheap: it is called once a batch.
    enum class stop_point { between_epochs, between_batches };
    virtual bool stop_requested(stop_point at) {
        (void)at;
        return false;
    }
};

// How train() ended.
enum class train_outcome {
    finished,  // every epoch up to params().epochs is trained
    stopped,   // the observer asked to stop; the session may be mid-epoch (see the file comment)
};

class session {
public:
    // Checks the parameters (schema_error naming the field below "train"),
    // builds every rule of every phase from `rules` and checks each against
    // the network (network_error naming the node), then begins the phase of
    // epoch 0. The network needs a group-sum head. `seed` keys shuffling and
    // the rules' random numbers; `candidates` (topology::compile's) are what
    // rules that move sources may choose from; `populations` what phases
    // may name (schema_error at train.schedule[p].populations[i] for others).
    session(core::network initial, session_params params, std::uint64_t seed,
            const rule_catalogue& rules = catalogue(), core::candidate_sources candidates = {},
            std::vector<core::population> populations = {});
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    // Trains from epoch() to params().epochs, or until the observer asks to
    // stop (see the file comment).
    [[nodiscard]] train_outcome train(const training_data& data, epoch_observer& observer);
    // One epoch over the samples in the order given, in batches. `stop`, if
    // given, is asked before every batch; true abandons the epoch there
    // (epoch_result::stopped).
    epoch_result train_epoch(const core::bit_matrix& inputs, std::span<const std::uint16_t> labels,
                             const std::function<void(std::size_t)>& progress = {},
                             const std::function<bool()>& stop = {});
    // Accuracy (and loss) of the current network on a split, without learning.
    [[nodiscard]] evaluation evaluate(const core::bit_matrix& inputs, std::span<const std::uint16_t> labels) const;

    [[nodiscard]] const core::network& network() const noexcept { return net_; }
    // Each slot's allowed sources, following the slots as rules move them.
    [[nodiscard]] const core::candidate_sources& candidates() const noexcept { return candidates_; }
    [[nodiscard]] std::uint32_t epoch() const noexcept { return epoch_; }
    [[nodiscard]] const session_params& params() const noexcept { return params_; }
    [[nodiscard]] gradient_hooks& hooks() noexcept { return hooks_; }
    // The current phase's index, and its gradient rule (null when it has none).
    [[nodiscard]] std::size_t phase_index() const noexcept { return phase_; }
    [[nodiscard]] const gradient_rule* gradient() const noexcept;
    // The current phase's first rule of type R, or null.
    template <class R>
    [[nodiscard]] const R* find_rule() const noexcept {
        for (const auto& r : rules_[phase_])
            if (const auto* found = dynamic_cast<const R*>(r.get())) return found;
        return nullptr;
    }
    // The current phase's rules' per-node summaries (rule::summarize).
    [[nodiscard]] std::vector<node_record::rule_columns> summarize_rules() const;
    // The nodes the current phase applies to, ascending.
    [[nodiscard]] std::span<const std::uint32_t> phase_nodes() const noexcept { return phase_nodes_[phase_]; }

    [[nodiscard]] session_state state() const;
    // Restores a state of this session's schedule and network shape; throws
    // lutra::error when it does not fit.
    void restore(const session_state& state);

    // The phases as run: the schedule, or the one implicit gradient phase.
    [[nodiscard]] const std::vector<phase>& phases() const noexcept { return phases_; }

    // Worker threads of the engines (engine.threads, 0 = one per hardware thread).
    [[nodiscard]] unsigned threads() const noexcept;

private:
    class context;  // the learning_context the rules see

    [[nodiscard]] std::size_t phase_of(std::uint32_t epoch) const;
    [[nodiscard]] std::uint32_t phase_start(std::size_t phase) const;
    void enter_phase(std::size_t phase);
    void apply(const session_state& state);
    // Keeps each slot's candidate list with the slot when a rule changed the
    // network's structure (prune drops slots, so later slots move).
    void follow_candidates();

    session_params params_;
    std::uint64_t seed_;
    core::network net_;
    core::candidate_sources candidates_;
    std::vector<std::uint8_t> candidate_k_;         // the fan-ins candidates_' slot lists belong to
    std::vector<std::uint32_t> candidate_sources_;  // and those slots' sources
    std::unique_ptr<context> context_;
    gradient_hooks hooks_;
    std::vector<phase> phases_;
    std::vector<std::vector<std::unique_ptr<rule>>> rules_;  // per phase, in order
    std::vector<core::population> populations_;
    std::vector<std::vector<std::uint32_t>> phase_nodes_;   // per phase, ascending
    std::vector<std::vector<std::uint8_t>> phase_mask_;     // per phase, per node
    std::vector<std::string_view> population_of_;           // per node, "" for none
    std::vector<double> rule_seconds_;                      // this epoch, per rule of the phase
    double activity_seconds_ = 0;
    const core::relaxed_engine::activations* batch_dy_ = nullptr;  // this batch's dL/dy, from the hooks
    gradient_hooks::id dy_hook_ = 0;
    std::size_t phase_ = 0;
    bool begun_ = false;
    std::uint32_t epoch_ = 0;
    epoch_position position_;
};

// Per-node statistics of a session's epochs: feeds a gradient meter from the
// hooks and measures the hard network after recorded epochs. Used by train();
// public so other loops can record the same way.
class node_recorder {
public:
    node_recorder(session& s, const core::bit_matrix& samples, record_params params);
    ~node_recorder();
    node_recorder(const node_recorder&) = delete;
    node_recorder& operator=(const node_recorder&) = delete;

    // Before epoch `epoch` (0-based) of `epochs` trains.
    void start_epoch(std::uint32_t epoch, std::uint32_t epochs);
    // After it: its record if this epoch is recorded; `after` is the hard network.
    [[nodiscard]] std::optional<node_record> finish_epoch(std::uint32_t epoch, const core::network& after);

private:
    session& session_;
    const core::bit_matrix& samples_;
    record_params params_;
    core::gradient_meter meter_;
    core::network before_;
    gradient_hooks::id hook_ = 0;
    bool recording_ = false;
    double seconds_ = 0;  // the meter's time in the epoch being recorded
};

}  // namespace lutra::plasticity
