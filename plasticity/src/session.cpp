#include "lutra/plasticity/session.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <thread>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/sequence.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/loss.hpp"
#include "lutra/core/names.hpp"
#include "lutra/core/random.hpp"

namespace lutra::plasticity {

namespace {

using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }

// A fresh order of the training samples for every epoch, from the seed alone.
std::vector<std::uint32_t> shuffled_order(std::size_t n, std::uint64_t seed, std::uint32_t epoch) {
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0U);
    const counter_rng rng = counter_rng(seed, "train.shuffle").fork(epoch);
    for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i, i)]);
    return order;
}

std::string rule_key(std::size_t phase, std::string_view rule) { return std::to_string(phase) + ":" + std::string(rule); }

}  // namespace

void describe(core::schema_visitor& v, rule_spec& r) {
    const rule_catalogue& rules = catalogue();
    v.choice("rule", r.rule, rules.names(), "the rule's catalogue name; its parameters follow as keys of this entry");
    // The parameters start from the named rule's defaults (a reader has just set the name).
    if (rules.has(r.rule) && !r.params.same_type(rules.at(r.rule).defaults)) r.params = rules.at(r.rule).defaults;
    r.params.describe_fields(v);
}

void describe(core::schema_visitor& v, phase& p) {
    v.field("epochs", p.epochs, "epochs this phase trains (phases follow each other)", 1U, 1U << 20);
    v.list("populations", p.populations,
           "names of the populations the phase's rules apply to (genome populations); empty = every node");
    v.list("rules", p.rules, "the phase's rules, run in this order every batch");
}

void describe(core::schema_visitor& v, session_params& p) {
    v.field("epochs", p.epochs, "passes over the training set, all phases together", 0U, 1U << 20);
    v.field("batch_size", p.batch_size, "samples per batch (and optimizer step)", std::size_t{1}, std::size_t{1} << 20);
    v.field("tau", p.tau, "group-sum temperature: class score = sum of its outputs / tau", core::closed(1e-6, 1e6));
    describe(v, p.gradient);
    v.choice("relaxation", p.engine.relaxation, core::relaxation_names,
             "multilinear (exact gradients of the multilinear extension) or efd (DWN extended finite difference)");
    v.field("block_samples", p.engine.block_samples, "samples per engine work unit, a multiple of 16",
            std::size_t{16}, std::size_t{1} << 16);
    v.list("schedule", p.schedule,
           "phases of rules, e.g. [{epochs: 20, rules: [{rule: gradient}]}]; empty = gradient for all epochs "
           "with the keys above");
}

named_state network_state(const core::network& net) {
    const core::network_arrays& a = net.arrays();
    named_state s;
    s.integers["k"].assign(a.k.begin(), a.k.end());
    s.integers["sources"].assign(a.sources.begin(), a.sources.end());
    s.integers["delays"].assign(a.delays.begin(), a.delays.end());
    s.integers["tables"] = a.tables;
    return s;
}

core::network network_from_state(const named_state& state, const core::network& like) {
    const auto array = [&state](const char* name) -> const std::vector<std::uint64_t>& {
        const auto found = state.integers.find(name);
        if (found == state.integers.end()) throw error(std::string("network state: no '") + name + "'");
        return found->second;
    };
    const std::vector<std::uint64_t>& k = array("k");
    if (k.size() != like.num_nodes())
        throw error("network state: " + std::to_string(k.size()) + " nodes for a network of " +
                    std::to_string(like.num_nodes()));
    core::network_arrays a;
    a.num_inputs = like.num_inputs();
    a.head = like.head();
    for (const std::uint64_t v : k) {
        if (v < 1 || v > core::max_k) throw error("network state: a node has k = " + std::to_string(v));
        a.k.push_back(static_cast<std::uint8_t>(v));
    }
    const auto narrow = [](const std::vector<std::uint64_t>& in, std::vector<std::uint32_t>& out, const char* name) {
        for (const std::uint64_t v : in) {
            if (v > UINT32_MAX) throw error(std::string("network state: ") + name + " out of range");
            out.push_back(static_cast<std::uint32_t>(v));
        }
    };
    narrow(array("sources"), a.sources, "sources");
    narrow(array("delays"), a.delays, "delays");
    a.tables = array("tables");
    try {
        return core::network(std::move(a));  // validates everything
    } catch (const network_error& e) {
        throw error(std::string("network state: ") + e.what());
    }
}

class session::context final : public learning_context {
public:
    explicit context(session& s) : s_(s) {}
    core::network& network() override { return s_.net_; }
    [[nodiscard]] const core::candidate_sources& candidates() const override { return s_.candidates_; }
    gradient_hooks& hooks() override { return s_.hooks_; }
    [[nodiscard]] std::uint64_t seed() const override { return s_.seed_; }
    [[nodiscard]] unsigned threads() const override { return s_.threads(); }
    [[nodiscard]] epoch_position position() const override { return s_.position_; }
    [[nodiscard]] std::size_t active_rules() const override { return s_.rules_[s_.phase_].size(); }
    [[nodiscard]] std::span<const std::uint32_t> nodes() const override { return s_.phase_nodes_[s_.phase_]; }
    [[nodiscard]] bool applies_to(std::uint32_t node) const override { return s_.phase_mask_[s_.phase_][node] != 0; }
    [[nodiscard]] std::string_view population_of(std::uint32_t node) const override {
        return node < s_.population_of_.size() ? s_.population_of_[node] : std::string_view();
    }
    void network_changed(const network_change& change) override {
        if (change.what == network_change::kind::structure) s_.follow_candidates();
        for (auto& r : s_.rules_[s_.phase_]) r->network_changed(change, *this);
    }

private:
    session& s_;
};

session::session(core::network initial, session_params params, std::uint64_t seed, const rule_catalogue& rules,
                 core::candidate_sources candidates, std::vector<core::population> populations)
    : params_(std::move(params)), seed_(seed), net_(std::move(initial)), candidates_(std::move(candidates)),
      context_(std::make_unique<context>(*this)), populations_(std::move(populations)) {
    {
        // The schedule's entries are checked below against `rules`, which
        // need not be the process-wide catalogue the schema lists.
        session_params unscheduled = params_;
        unscheduled.schedule.clear();
        core::check_schema(unscheduled, "train");
    }
    if (net_.head().num_classes == 0) throw error("train: the network has no group-sum head to train against");
    if (params_.schedule.empty()) {
        phases_.push_back({params_.epochs, {}, {rule_spec{std::string(gradient_rule::rule_name), rule_params(params_.gradient)}}});
    } else {
        if (!(params_.gradient == gradient_params{}))
            throw core::schema_error("train.schedule",
                                     "with a schedule, give the gradient rule's parameters (init_scale, sharpen, "
                                     "optimizer) in its schedule entry, not in train");
        std::uint64_t total = 0;
        for (std::size_t p = 0; p < params_.schedule.size(); ++p) {
            total += params_.schedule[p].epochs;
            if (params_.schedule[p].rules.empty())
                throw core::schema_error("train.schedule[" + std::to_string(p) + "].rules",
                                         "a phase needs at least one rule");
        }
        if (total != params_.epochs)
            throw core::schema_error("train.schedule", "the phases train " + std::to_string(total) +
                                                           " epochs in all, but train.epochs is " +
                                                           std::to_string(params_.epochs) + "; make them agree");
        phases_ = params_.schedule;
    }
    if (params_.engine.sequence) {
        core::check_sequence(*params_.engine.sequence);
        // The other rules read hard activity of static samples; online rules
        // learn in time through plasticity/online.hpp instead.
        for (std::size_t p = 0; p < phases_.size(); ++p)
            for (std::size_t i = 0; i < phases_[p].rules.size(); ++i)
                if (phases_[p].rules[i].rule != gradient_rule::rule_name)
                    throw core::schema_error("train.schedule[" + std::to_string(p) + "].rules[" + std::to_string(i) + "]",
                                             "rule '" + phases_[p].rules[i].rule +
                                                 "' learns from static samples; on sequences only the gradient rule "
                                                 "trains (rules learn online in time with time.learn)");
    }
    population_of_.assign(net_.num_nodes(), std::string_view());
    for (const core::population& pop : populations_)
        for (const std::uint32_t n : pop.nodes) {
            if (n >= net_.num_nodes())
                throw error("train: population '" + pop.name + "' names node " + std::to_string(n) + " of a network of " +
                            std::to_string(net_.num_nodes()));
            population_of_[n] = pop.name;
        }
    for (std::size_t p = 0; p < phases_.size(); ++p) {
        std::vector<std::uint8_t>& mask = phase_mask_.emplace_back(net_.num_nodes(), phases_[p].populations.empty());
        for (std::size_t i = 0; i < phases_[p].populations.size(); ++i) {
            const std::string& name = phases_[p].populations[i];
            const auto found = std::find_if(populations_.begin(), populations_.end(),
                                            [&name](const core::population& pop) { return pop.name == name; });
            if (found == populations_.end()) {
                std::vector<std::string_view> valid;
                for (const core::population& pop : populations_) valid.emplace_back(pop.name);
                throw core::schema_error("train.schedule[" + std::to_string(p) + "].populations[" + std::to_string(i) + "]",
                                         "no population '" + name + "' in the network" +
                                             core::did_you_mean(name, valid) +
                                             (valid.empty() ? "; it has none" : "; valid: " + core::join_names(valid)));
            }
            for (const std::uint32_t n : found->nodes) mask[n] = 1;
        }
        std::vector<std::uint32_t>& nodes = phase_nodes_.emplace_back();
        for (std::uint32_t n = 0; n < net_.num_nodes(); ++n)
            if (mask[n]) nodes.push_back(n);
    }
    candidate_k_ = net_.arrays().k;
    candidate_sources_ = net_.arrays().sources;
    // This batch's dL/dy for the teaching signal of rules after the gradient.
    dy_hook_ = hooks_.after_backward([this](const batch_context&, const core::relaxed_engine::activations& dy,
                                            std::span<const float>) { batch_dy_ = &dy; });
    const session_setup setup{params_.batch_size, params_.tau, params_.engine};
    for (std::size_t p = 0; p < phases_.size(); ++p) {
        auto& built = rules_.emplace_back();
        for (std::size_t r = 0; r < phases_[p].rules.size(); ++r) {
            const rule_spec& spec = phases_[p].rules[r];
            // A rule's checkpoint state and statistics are keyed by phase and name.
            for (std::size_t earlier = 0; earlier < r; ++earlier)
                if (phases_[p].rules[earlier].rule == spec.rule)
                    throw core::schema_error("train.schedule[" + std::to_string(p) + "].rules[" + std::to_string(r) +
                                                 "].rule",
                                             "rule '" + spec.rule + "' is already in this phase (rules[" +
                                                 std::to_string(earlier) +
                                                 "]); a phase runs each rule once, with one set of parameters");
            const std::string path = params_.schedule.empty()
                                         ? std::string("train")
                                         : "train.schedule[" + std::to_string(p) + "].rules[" + std::to_string(r) + "]";
            try {
                built.push_back(rules.create(spec.rule, spec.params, setup, path));
            } catch (const core::schema_error& e) {
                throw core::schema_error(e.path.rfind(path, 0) == 0 ? e.path : path + "." + e.path, e.problem);
            } catch (const unknown_name_error& e) {
                throw core::schema_error(path + (params_.schedule.empty() ? "" : ".rule"), e.what());
            }
            built.back()->check(net_);
            if (built.back()->needs_candidates() && candidates_.empty())
                throw core::schema_error(path + (params_.schedule.empty() ? "" : ".rule"),
                                         "rule '" + spec.rule +
                                             "' moves sources among the genome's candidates, and this network has "
                                             "none (only a network developed from a genome has them)");
        }
    }
    enter_phase(phase_of(0));
}

session::~session() { hooks_.remove(dy_hook_); }

void session::follow_candidates() {
    if (candidates_.empty()) return;
    const core::network_arrays& now = net_.arrays();
    if (now.k == candidate_k_) {
        candidate_sources_ = now.sources;  // slots stay where they were (rewire, greedy's swaps)
        return;
    }
    // Fewer slots in some nodes (prune keeps the others in order): each
    // remaining slot keeps the list of the old slot it was.
    std::vector<std::uint32_t> lists;
    lists.reserve(now.sources.size());
    std::size_t old_at = 0, new_at = 0;
    for (std::size_t n = 0; n < now.k.size(); ++n) {
        const std::size_t old_k = candidate_k_[n], new_k = now.k[n];
        std::size_t i = 0;
        for (std::size_t j = 0; j < new_k; ++j) {
            while (i < old_k && candidate_sources_[old_at + i] != now.sources[new_at + j]) ++i;
            if (i == old_k)
                throw internal_error("session: node " + std::to_string(n) +
                                     " changed its sources and its fan-in at once; its candidates cannot follow");
            lists.push_back(candidates_.slot_list[old_at + i++]);
        }
        old_at += old_k;
        new_at += new_k;
    }
    candidates_.slot_list = std::move(lists);
    candidate_k_ = now.k;
    candidate_sources_ = now.sources;
}

unsigned session::threads() const noexcept {
    return params_.engine.threads ? params_.engine.threads : std::max(1U, std::thread::hardware_concurrency());
}

std::size_t session::phase_of(std::uint32_t epoch) const {
    std::uint32_t end = 0;
    for (std::size_t p = 0; p < phases_.size(); ++p) {
        end += phases_[p].epochs;
        if (epoch < end) return p;
    }
    return phases_.empty() ? 0 : phases_.size() - 1;
}

std::uint32_t session::phase_start(std::size_t phase) const {
    std::uint32_t start = 0;
    for (std::size_t p = 0; p < phase; ++p) start += phases_[p].epochs;
    return start;
}

void session::enter_phase(std::size_t phase) {
    if (begun_ && phase == phase_) return;
    if (begun_)
        for (auto& r : rules_[phase_]) r->end(*context_);
    phase_ = phase;
    begun_ = true;
    const std::uint32_t epoch = std::max(epoch_, phase_start(phase));
    position_ = {epoch, epoch - phase_start(phase), phases_[phase].epochs};
    for (auto& r : rules_[phase_]) r->begin(*context_);
}

const gradient_rule* session::gradient() const noexcept {
    for (const auto& r : rules_[phase_])
        if (const auto* g = dynamic_cast<const gradient_rule*>(r.get())) return g;
    return nullptr;
}

epoch_result session::train_epoch(const core::bit_matrix& inputs, std::span<const std::uint16_t> labels,
                                  const std::function<void(std::size_t)>& progress,
                                  const std::function<bool()>& stop) {
    if (labels.size() != inputs.samples())
        throw error("train: " + std::to_string(labels.size()) + " labels for " + std::to_string(inputs.samples()) +
                    " samples");
    if (epoch_ >= params_.epochs) throw error("train: all " + std::to_string(params_.epochs) + " epochs are trained");
    enter_phase(phase_of(epoch_));
    const std::uint32_t start = phase_start(phase_);
    position_ = {epoch_, epoch_ - start, phases_[phase_].epochs};
    epoch_result r;
    double loss_sum = 0;
    std::size_t correct = 0;
    bool measured = true;
    auto& rules = rules_[phase_];
    rule_seconds_.assign(rules.size(), 0.0);
    activity_seconds_ = 0;
    for (std::size_t first = 0, batch = 0; first < inputs.samples(); first += params_.batch_size, ++batch) {
        if (stop && stop()) {
            // Abandoned here: no end_epoch, epoch_ stays; the caller restores a state to go on.
            batch_dy_ = nullptr;
            r.stopped = true;
            return r;
        }
        const std::size_t count = std::min(params_.batch_size, inputs.samples() - first);
        const std::span<const std::uint16_t> batch_labels = labels.subspan(first, count);
        batch_activity activity{position_, batch, inputs, first, count, batch_labels, labels, nullptr, {}};
        std::optional<evaluated_batch> evaluated;
        std::optional<hard_activity> hard;
        batch_measure measure;
        batch_dy_ = nullptr;
        for (std::size_t i = 0; i < rules.size(); ++i) {
            if (rules[i]->needs_activity() && !hard) {
                // The hard network as it is when the first rule that reads it runs.
                const auto start = clock::now();
                evaluated.emplace(evaluate_batch(net_, inputs, first, count, batch_labels, threads()));
                hard.emplace(net_, evaluated->inputs, evaluated->outputs, count);
                activity.hard = &*hard;
                activity.signal.labels = batch_labels;
                activity.signal.reward = evaluated->reward;
                activity_seconds_ += seconds_since(start);
            }
            activity.signal.dy = batch_dy_;
            const auto start = clock::now();
            rules[i]->batch(activity, *context_, measure);
            rule_seconds_[i] += seconds_since(start);
        }
        measured = measured && measure.measured;
        loss_sum += measure.loss_sum;
        correct += measure.correct;
        if (progress) progress(count);
    }
    batch_dy_ = nullptr;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const auto start = clock::now();
        rules[i]->end_epoch(*context_);
        rule_seconds_[i] += seconds_since(start);
    }
    ++epoch_;
    position_ = {epoch_, epoch_ - start, phases_[phase_].epochs};
    r.samples = inputs.samples();
    const auto n = static_cast<double>(std::max<std::size_t>(1, r.samples));
    r.measured = measured;
    if (measured) {
        r.loss = loss_sum / n;
        r.accuracy = static_cast<double>(correct) / n;
    } else {
        // No rule measured every batch: report the hard network after the epoch.
        const evaluation e = evaluate(inputs, labels);
        r.loss = e.loss;
        r.accuracy = e.hardened;
    }
    return r;
}

evaluation session::evaluate(const core::bit_matrix& inputs, std::span<const std::uint16_t> labels) const {
    if (labels.size() != inputs.samples())
        throw error("evaluate: " + std::to_string(labels.size()) + " labels for " + std::to_string(inputs.samples()) +
                    " samples");
    const core::head_output hard =
        core::bitslice_engine(params_.engine.sequence ? core::unroll_live(net_, *params_.engine.sequence).net : net_,
                              {.threads = threads()})
            .classify(inputs);
    evaluation e;
    const auto n = static_cast<double>(std::max<std::size_t>(1, inputs.samples()));
    std::size_t correct = 0;
    for (std::size_t s = 0; s < labels.size(); ++s) correct += hard.predictions[s] == labels[s];
    e.hardened = static_cast<double>(correct) / n;
    if (const gradient_rule* g = gradient()) {
        const gradient_rule::evaluation relaxed = g->evaluate(inputs, labels);
        e.relaxed = relaxed.accuracy;
        e.loss = relaxed.loss;
    } else {
        e.loss = core::group_sum_loss(hard.scores, hard.num_classes, labels, params_.tau).loss_sum / n;
    }
    return e;
}

std::vector<node_record::rule_columns> session::summarize_rules() const {
    std::vector<node_record::rule_columns> out;
    for (const auto& r : rules_[phase_]) {
        node_record::rule_columns& c = out.emplace_back();
        c.rule = r->name();
        r->summarize(c.summary, *context_);
        for (const rule_summary::column& col : c.summary.columns)
            if (col.values.size() != net_.num_nodes())
                throw internal_error("rule '" + c.rule + "' summarized '" + col.quantity + "' with " +
                                     std::to_string(col.values.size()) + " values for " +
                                     std::to_string(net_.num_nodes()) + " nodes");
        if (c.summary.columns.empty()) out.pop_back();
    }
    return out;
}

session_state session::state() const {
    session_state s;
    s.epoch = epoch_;
    s.network = network_state(net_);
    // Which candidate list each slot has, once pruning moved slots.
    if (!candidates_.empty()) s.network.integers["candidate_lists"].assign(candidates_.slot_list.begin(),
                                                                           candidates_.slot_list.end());
    for (const auto& r : rules_[phase_]) s.rules.emplace_back(rule_key(phase_, r->name()), r->state());
    return s;
}

void session::restore(const session_state& state) {
    const session_state before = this->state();
    try {
        apply(state);
    } catch (...) {
        apply(before);  // our own state fits: a refused state changes nothing
        throw;
    }
}

void session::apply(const session_state& state) {
    if (state.epoch > params_.epochs)
        throw error("session restore: the state is of epoch " + std::to_string(state.epoch) + ", but the session trains " +
                    std::to_string(params_.epochs) + " epochs");
    core::network restored = network_from_state(state.network, net_);
    epoch_ = state.epoch;
    enter_phase(phase_of(std::min(epoch_, params_.epochs ? params_.epochs - 1 : 0)));
    const bool same_structure = restored.arrays().k == net_.arrays().k &&
                                restored.arrays().sources == net_.arrays().sources &&
                                restored.arrays().delays == net_.arrays().delays;
    net_ = std::move(restored);
    if (!candidates_.empty()) {
        const auto lists = state.network.integers.find("candidate_lists");
        if (lists != state.network.integers.end()) {
            if (lists->second.size() != net_.num_slots() ||
                std::any_of(lists->second.begin(), lists->second.end(),
                            [this](std::uint64_t l) { return l >= candidates_.num_lists(); }))
                throw error("session restore: candidate lists that do not fit the network's slots");
            candidates_.slot_list.assign(lists->second.begin(), lists->second.end());
        } else if (net_.arrays().k != candidate_k_) {
            throw error("session restore: the state's network has other fan-ins and no candidate lists");
        }
        candidate_k_ = net_.arrays().k;
        candidate_sources_ = net_.arrays().sources;
    }
    const std::uint32_t start = phase_start(phase_);
    position_ = {epoch_, epoch_ >= start ? epoch_ - start : 0, phases_[phase_].epochs};
    context_->network_changed({same_structure ? network_change::kind::tables : network_change::kind::structure, {}});
    for (const auto& r : rules_[phase_]) {
        const std::string key = rule_key(phase_, r->name());
        const auto found = std::find_if(state.rules.begin(), state.rules.end(),
                                        [&key](const auto& entry) { return entry.first == key; });
        // A state taken at the end of the previous phase has none: the phase starts fresh.
        if (found != state.rules.end()) r->restore(found->second, *context_);
    }
}

train_outcome session::train(const training_data& data, epoch_observer& observer) {
    std::optional<node_recorder> recorder;
    if (data.record_samples != nullptr && data.record.every != 0) recorder.emplace(*this, *data.record_samples, data.record);
    using stop_point = epoch_observer::stop_point;
    const std::function<bool()> stop = [&observer] { return observer.stop_requested(stop_point::between_batches); };
    for (std::uint32_t epoch = epoch_; epoch < params_.epochs; ++epoch) {
        if (observer.stop_requested(stop_point::between_epochs)) return train_outcome::stopped;
        const auto start = clock::now();
        const std::vector<std::uint32_t> order = shuffled_order(data.labels.size(), seed_, epoch);
        const core::bit_matrix shuffled = core::permute_samples(data.inputs(epoch), order);
        std::vector<std::uint16_t> labels(order.size());
        for (std::size_t i = 0; i < order.size(); ++i) labels[i] = data.labels[order[i]];
        if (recorder) recorder->start_epoch(epoch, params_.epochs);
        observer.epoch_started(epoch, labels.size());
        const epoch_result r =
            train_epoch(shuffled, labels, [&observer](std::size_t n) { observer.batch_done(n); }, stop);
        if (r.stopped) return train_outcome::stopped;
        std::vector<rule_time> times;
        for (std::size_t i = 0; i < rule_seconds_.size(); ++i)
            times.push_back({std::string(rules_[phase_][i]->name()), rule_seconds_[i]});
        if (activity_seconds_ > 0) times.push_back({"activity", activity_seconds_});
        const double seconds = seconds_since(start);
        std::optional<node_record> record;
        if (recorder) record = recorder->finish_epoch(epoch, net_);
        observer.epoch_finished({epoch, r, seconds, std::move(times), &net_, record ? &*record : nullptr});
    }
    return train_outcome::finished;
}

node_recorder::node_recorder(session& s, const core::bit_matrix& samples, record_params params)
    : session_(s), samples_(samples), params_(params), meter_(s.network().num_nodes()), before_(s.network()) {
    // Mean |dL/dy| over the recorded epoch's batches, from the gradient rule's hook.
    hook_ = s.hooks().after_backward([this](const batch_context&, const core::relaxed_engine::activations& dy,
                                            std::span<const float>) {
        if (!recording_) return;
        const auto start = clock::now();
        meter_.add(dy);
        seconds_ += seconds_since(start);
    });
}

node_recorder::~node_recorder() { session_.hooks().remove(hook_); }

void node_recorder::start_epoch(std::uint32_t epoch, std::uint32_t epochs) {
    recording_ = params_.every != 0 && ((epoch + 1) % params_.every == 0 || epoch + 1 == epochs);
    meter_.reset();
    seconds_ = 0;
}

std::optional<node_record> node_recorder::finish_epoch(std::uint32_t epoch, const core::network& after) {
    std::optional<node_record> record;
    if (recording_) {
        const auto start = clock::now();
        record.emplace();
        record->epoch = epoch + 1;
        record->statistics =
            core::measure_nodes(after, samples_,
                                {.sensitivity = params_.sensitivity,
                                 .threads = session_.params().engine.threads,
                                 .usage_k = params_.usage_k});
        record->flips = core::table_flips(before_, after);
        record->grad_abs_mean = meter_.mean();
        record->rules = session_.summarize_rules();
        record->seconds = seconds_ + seconds_since(start);
    }
    before_ = after;
    return record;
}

}  // namespace lutra::plasticity
