#include "lutra/experiments/simulate.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/names.hpp"
#include "lutra/core/publish.hpp"
#include "lutra/core/time.hpp"
#include "lutra/data/streams.hpp"
#include "lutra/experiments/memory.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/runner.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/online.hpp"
#include "lutra/runfile/layout.hpp"
#include "lutra/runfile/run_file.hpp"
#include "lutra/topology/develop.hpp"
#include "lutra/topology/error.hpp"
#include "lutra/topology/genome_text.hpp"

namespace fs = std::filesystem;

namespace lutra::experiments {

namespace {

// The network to simulate and where its settings came from.
struct simulation_source {
    experiment_settings s;
    config_source where;
    core::network net;
    std::vector<core::population> populations;
    std::string genome_hash;
    core::candidate_sources candidates;  // developed from a config: the genome's; from a run: none
    bool trained = false;                // from a run directory
};

simulation_source from_config(const simulate_request& r) {
    simulation_source src;
    src.s = load_config<experiment_settings>(r.source, r.overrides);
    src.where = {r.source, r.overrides,
                 src.s.genome_file.empty() ? fs::path()
                                           : (fs::path(src.s.genome_file).is_absolute()
                                                  ? fs::path(src.s.genome_file)
                                                  : r.source.parent_path() / src.s.genome_file)};
    src.s.genome = resolve_genome(src.s, r.source.parent_path());
    src.s.genome_file.clear();
    try {
        topology::validate(src.s.genome);
    } catch (const topology::genome_error& e) {
        std::string problem = e.what();
        if (problem.starts_with("genome: ")) problem.erase(0, 8);
        throw src.where.genome_error_at("", problem);
    }
    return src;
}

simulation_source from_run(const simulate_request& r) {
    simulation_source src;
    const fs::path h5 = finished_run_file(r.source);
    const runfile::run_file file = runfile::run_file::open(h5);
    const std::string stored = h5.string() + ":/config";
    src.s = parse_config<experiment_settings>(file.read_text("config"), stored, r.overrides);
    src.where = {stored, r.overrides, {}};
    src.net = file.read_network();
    src.populations = file.read_populations();
    src.genome_hash = file.attributes().genome_hash;
    src.trained = true;
    if (src.net.combinational())
        throw error("simulate: " + h5.string() +
                    " holds a network without a delayed connection: each tick's outputs would depend on that "
                    "tick's inputs alone, which `lutra eval` measures; simulate a run of a genome with delays "
                    "(lateral or recurrent projections, or a delay distribution), e.g. configs/time/recurrent-rate.yaml");
    return src;
}

// Populations recorded, as indices into `populations`.
std::vector<std::size_t> recorded_populations(const simulation_source& src) {
    std::vector<std::size_t> out;
    const auto& names = src.s.time.record;
    if (names.empty()) {
        for (std::size_t i = 0; i < src.populations.size(); ++i) out.push_back(i);
        return out;
    }
    std::vector<std::string_view> valid;
    for (const core::population& p : src.populations) valid.emplace_back(p.name);
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto it = std::find(valid.begin(), valid.end(), names[i]);
        if (it == valid.end())
            throw src.where.error_at("time.record[" + std::to_string(i) + "]",
                                     "no population '" + names[i] + "' in the network" +
                                         core::did_you_mean(names[i], valid) + "; valid: " + core::join_names(valid));
        out.push_back(static_cast<std::size_t>(it - valid.begin()));
    }
    return out;
}

// What the simulation holds: the engine's state and the recorded spikes at
// their worst (every recorded node rising every other tick).
memory_estimate estimate_simulation(const simulation_source& src, std::uint64_t recorded_nodes) {
    const time_settings& t = src.s.time;
    const std::uint64_t ticks = t.ticks + t.learn.test_ticks;
    const double nodes = src.net.num_nodes(), inputs = src.net.num_inputs();
    const double planes = std::ceil(static_cast<double>(t.streams) / 512.0) * 64.0;  // bytes per plane
    const double frames = t.engine == "stepped" ? core::longest_delay(src.net) + 1.0 : 3.0;
    memory_estimate e;
    e.terms.push_back({"time.streams", "engine state: planes of every input and node per remembered tick",
                       (nodes + inputs) * planes * frames + static_cast<double>(src.net.num_slots()) * 12.0});
    e.terms.push_back({"time.ticks",
                       "recorded spikes at most (one per recorded node every other tick, tick and node id kept "
                       "and written)",
                       static_cast<double>(recorded_nodes) * std::ceil(static_cast<double>(ticks) / 2.0) * 32.0});
    return e;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The head's decisions at labelled ticks scored against the labels: the
// group-sum head of core (popcount per class, argmax, ties to the lowest
// class) on the engine's outputs of that tick, stream by stream.
class head_judge {
public:
    head_judge(const core::group_sum_head& head, std::size_t streams)
        : head_(head), planes_(head.outputs.size(), streams) {}

    void judge(const core::timed_engine& engine, std::span<const std::uint16_t> labels, online_score& into) {
        for (std::size_t j = 0; j < head_.outputs.size(); ++j) {
            const std::span<const std::uint64_t> from = engine.outputs().row(head_.outputs[j]);
            std::copy_n(from.begin(), planes_.stride(), planes_.row(j).begin());
        }
        const core::head_output decided = core::group_sum(head_, planes_);
        for (std::size_t s = 0; s < labels.size(); ++s) {
            if (labels[s] == core::stimulus::no_label) continue;
            ++into.decisions;
            into.correct += decided.predictions[s] == labels[s] ? 1 : 0;
        }
    }

private:
    const core::group_sum_head& head_;
    core::bit_matrix planes_;
};

}  // namespace

simulate_summary simulate(const simulate_request& request) {
    const bool from_directory = fs::is_directory(request.source) || request.source.extension() == ".h5";
    simulation_source src = from_directory ? from_run(request) : from_config(request);
    experiment_settings& s = src.s;
    const time_settings& t = s.time;

    // The stream must fit the network's inputs.
    const data::stream_shape shape = [&] {
        try {
            return data::stream_shape_of(t.input);
        } catch (const core::schema_error& e) {
            throw src.where.error_at(e.path, e.problem);  // the path starts with time.input
        } catch (const unknown_name_error& e) {
            throw src.where.error_at(std::string(data::stream_params_path) + ".dataset", e.what());
        }
    }();
    const topology::input_shape& in = s.genome.inputs;
    if (!src.trained && (in.width != shape.width || in.height != shape.height || in.bits != shape.bits))
        throw src.where.genome_error_at(
            "inputs", "the genome's inputs are " + std::to_string(in.width) + "×" + std::to_string(in.height) + "×" +
                          std::to_string(in.bits) + " but the stream (time.input: " + t.input.coding + " of " +
                          t.input.dataset + ") gives " + std::to_string(shape.width) + "×" +
                          std::to_string(shape.height) + "×" + std::to_string(shape.bits) +
                          " input bits per tick; make genome.inputs match the stream");
    if (t.record_stream >= t.streams)
        throw src.where.error_at("time.record_stream", "stream " + std::to_string(t.record_stream) + " of " +
                                                           std::to_string(t.streams) + " streams; give one below " +
                                                           std::to_string(t.streams));
    if (request.out_dir.empty() && !is_plain_name(s.name))
        throw src.where.error_at("name", "'" + s.name + "' cannot name a run directory runs/NAME-simulate; use "
                                         "letters, digits, '.', '_' and '-', or give --out DIR");

    // The network, developed as `lutra run` does before training.
    unsigned threads = s.threads ? s.threads : std::max(1U, std::thread::hardware_concurrency());
    if (!src.trained) {
        const topology::developed_graph graph = topology::develop(s.genome, s.seed, {.threads = threads});
        for (const auto& w : graph.warnings) spdlog::warn("genome: {}", w);
        topology::compiled_network compiled = topology::compile(s.genome, graph);
        src.net = std::move(compiled.net);
        src.populations = std::move(compiled.populations);
        src.candidates = std::move(compiled.candidates);
        src.genome_hash = topology::hash_hex(graph.hash);
    }
    if (src.net.num_inputs() != shape.inputs())
        throw src.where.error_at("time.input", "the stream gives " + std::to_string(shape.inputs()) +
                                                   " input bits per tick, the network reads " +
                                                   std::to_string(src.net.num_inputs()));
    const std::uint64_t test_ticks = t.learn.test_ticks, total_ticks = t.ticks + test_ticks;
    // Scoring needs a head that decides among the stream's classes (and labels: below).
    if (test_ticks > 0 && src.net.head().num_classes != shape.classes)
        throw src.where.error_at("time.learn.test_ticks",
                                 "the network's head decides among " + std::to_string(src.net.head().num_classes) +
                                     " classes, the stream's labels have " + std::to_string(shape.classes) +
                                     "; give the genome a head with classes: " + std::to_string(shape.classes) +
                                     ", or set test_ticks: 0");
    const std::vector<std::size_t> recorded = recorded_populations(src);
    std::vector<std::uint32_t> recorded_nodes;
    for (const std::size_t p : recorded)
        recorded_nodes.insert(recorded_nodes.end(), src.populations[p].nodes.begin(), src.populations[p].nodes.end());
    check_memory(estimate_simulation(src, recorded_nodes.size()), src.where, "the simulation");

    const fs::path dir = request.out_dir.empty() ? fs::path("runs") / (s.name + "-simulate") : request.out_dir;
    const core::output_state state = core::inspect_output(dir);
    if (state != core::output_state::absent && state != core::output_state::empty_directory)
        throw error(dir.string() + " already exists and is not an empty directory; a simulation goes into a new "
                                   "or empty directory: choose another --out or move it away");

    std::unique_ptr<plasticity::online_learner> learner;
    if (!t.learn.rules.empty()) {
        if (t.streams > core::vector_samples)
            throw src.where.error_at("time.streams", "online rules (time.learn) see at most 512 streams a tick, not " +
                                                         std::to_string(t.streams));
        try {
            learner = std::make_unique<plasticity::online_learner>(src.net, t.learn, s.seed, plasticity::catalogue(),
                                                                   src.candidates, src.populations, "time.learn");
        } catch (const core::schema_error& e) {
            throw src.where.error_at(e.path, e.problem);
        }
    }
    std::unique_ptr<core::stimulus> stimulus = data::make_stimulus(t.input, t.streams, s.seed);
    if (test_ticks > 0 && !stimulus->labelled())
        throw src.where.error_at("time.learn.test_ticks", "the stream (time.input: " + t.input.coding + " of " +
                                                              t.input.dataset +
                                                              ") has no labels to score; set test_ticks: 0");
    const core::time_engine_kind kind = t.engine == "stepped" ? core::time_engine_kind::stepped
                                                               : core::time_engine_kind::event;
    std::unique_ptr<core::timed_engine> engine =
        core::make_timed_engine(kind, src.net, {.streams = t.streams, .threads = threads});

    {
        core::directory_publication started(dir, {.replace = false, .mark = false});
        started.write("config.yaml", to_yaml(s));
        if (!src.trained) {
            started.write("genome.yaml", to_yaml(s.genome));
            started.write("genome.dna", topology::wrap_text(topology::to_text(s.genome)) + "\n");
        }
        runfile::run_file file = runfile::run_file::create(started.staging() / runfile::layout::file_name,
                                                           {LUTRA_VERSION, s.seed, src.genome_hash});
        file.write_text("config", to_yaml(s));
        file.write_text("genome", topology::to_text(s.genome));
        file.close();
        started.commit();
    }

    spdlog::info("simulating {} nodes (depth {}, longest delay {}) for {} ticks × {} streams with the {} engine",
                 src.net.num_nodes(), src.net.depth(), core::longest_delay(src.net), total_ticks, t.streams, t.engine);
    core::spike_recorder recorder(src.net.num_nodes(), recorded_nodes, t.record_stream);
    core::bit_matrix inputs(src.net.num_inputs(), t.streams);
    std::vector<std::uint16_t> labels(t.streams, core::stimulus::no_label);
    simulate_summary summary;
    std::optional<head_judge> judge;
    if (test_ticks > 0) judge.emplace(src.net.head(), t.streams);
    double learn_seconds = 0;
    // A run trained on sequences of image rows is simulated as it classifies:
    // every image from rest. Counters survive the engine's reset.
    const std::uint32_t rest_every =
        t.sequence.ticks != 0 && shape.ticks_per_sample == t.sequence.ticks && !learner ? t.sequence.ticks : 0;
    if (rest_every != 0)
        spdlog::info("each sample starts from rest (time.sequence: {} ticks a sequence)", rest_every);
    std::vector<std::uint64_t> toggles(src.net.num_nodes(), 0);
    std::uint64_t node_updates = 0;
    const auto bank_counters = [&] {
        for (std::uint32_t n = 0; n < src.net.num_nodes(); ++n) toggles[n] += engine->toggles()[n];
        node_updates += engine->node_updates();
    };
    const auto start = std::chrono::steady_clock::now();
    {
        progress bar("simulate", total_ticks, "ticks");
        for (std::uint64_t tick = 0; tick < total_ticks; ++tick) {
            const bool learning = tick < t.ticks;
            if (tick == t.ticks) {
                if (learner) learner->end();
                learn_seconds = seconds_since(start);
            }
            if (rest_every != 0 && tick != 0 && tick % rest_every == 0) {
                bank_counters();
                engine->reset();
                recorder.restart(tick);
            }
            stimulus->fill(tick, inputs);
            engine->step(inputs);
            recorder.observe(*engine);
            if ((learner && learning) || judge) stimulus->labels(tick, labels);
            // Judged before the rules learn from the tick: while learning, a
            // decision is scored as the network stood when it made it.
            if (judge) judge->judge(*engine, labels, learning ? summary.online_learn : summary.online_test);
            if (learner && learning) {
                // Rules learn from ticks where every stream has a label (a
                // delayed task has none before its delay has passed).
                const bool labelled = stimulus->labelled() &&
                                      std::none_of(labels.begin(), labels.end(),
                                                   [](std::uint16_t l) { return l == core::stimulus::no_label; });
                plasticity::teaching_signal signal;
                if (labelled) signal.labels = labels;
                if (labelled || !stimulus->labelled()) learner->tick(*engine, inputs, signal);
            }
            bar.advance();
        }
        if (learner && test_ticks == 0) learner->end();
    }
    summary.seconds = seconds_since(start);
    if (test_ticks == 0) learn_seconds = summary.seconds;
    summary.dir = dir;
    summary.engine = t.engine;
    summary.ticks = total_ticks;
    summary.test_ticks = test_ticks;
    summary.streams = t.streams;
    summary.nodes = src.net.num_nodes();
    bank_counters();
    summary.node_updates = node_updates;
    for (const std::uint64_t x : toggles) summary.toggles += x;
    summary.spikes = recorder.spikes().size();
    if (learner) {
        summary.rules = learner->rules();
        summary.tables_changed = learner->tables_changed();
    }

    runfile::run_file file = runfile::run_file::open_for_append(dir / runfile::layout::file_name);
    // The network as the simulation ended it (online rules change tables).
    file.write_network(learner ? learner->network() : src.net, src.populations);
    // Node ids are per population (SONATA): a node's index in its population.
    std::vector<std::uint32_t> index_in_population(src.net.num_nodes(), 0);
    std::vector<std::int32_t> population_of(src.net.num_nodes(), -1);
    for (std::size_t p = 0; p < src.populations.size(); ++p)
        for (std::size_t i = 0; i < src.populations[p].nodes.size(); ++i) {
            index_in_population[src.populations[p].nodes[i]] = static_cast<std::uint32_t>(i);
            population_of[src.populations[p].nodes[i]] = static_cast<std::int32_t>(p);
        }
    // Activity first: spikes are checked against the recording's end.
    const runfile::recording recording{total_ticks, t.streams, t.tick_ms, t.engine};
    for (const core::population& pop : src.populations) {
        runfile::population_activity activity{pop.name, recording, {}};
        for (const std::uint32_t n : pop.nodes) activity.toggles.push_back(toggles[n]);
        file.write_activity(activity);
    }
    for (const std::size_t p : recorded) {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> spikes;  // (tick, node id): by time, ties by id
        for (const core::spike_recorder::spike& x : recorder.spikes())
            if (population_of[x.node] == static_cast<std::int32_t>(p))
                spikes.emplace_back(x.tick, index_in_population[x.node]);
        std::sort(spikes.begin(), spikes.end());
        std::vector<std::uint64_t> ids;
        std::vector<double> times;
        for (const auto& [tick, id] : spikes) {
            ids.push_back(id);
            times.push_back(static_cast<double>(tick) * t.tick_ms);
        }
        file.write_spikes(src.populations[p].name, ids, times);
    }
    if (judge) {
        // Epoch 0 (a simulation has no epochs); no loss is defined, so the
        // loss column holds the error rate.
        const auto row = [](const char* split, const online_score& score, double seconds) {
            return runfile::metrics_row{.epoch = 0, .split = split, .loss = 1 - score.accuracy(),
                                        .accuracy = score.accuracy(), .seconds = seconds};
        };
        if (learner && summary.online_learn.decisions > 0)
            file.append_metrics(row("online_learn", summary.online_learn, learn_seconds));
        file.append_metrics(row("online_test", summary.online_test, summary.seconds));
    }
    file.mark_finished();
    file.close();

    char text[1024];
    std::snprintf(text, sizeof text,
                  "name: %s\nengine: %s\nticks: %llu\nstreams: %zu\nnodes: %u\nseconds: %.3f\nticks_per_second: %.1f\n"
                  "node_updates: %llu\ntoggles: %llu\nspikes_recorded: %llu\nrecorded_stream: %zu\n",
                  s.name.c_str(), t.engine.c_str(), static_cast<unsigned long long>(total_ticks), t.streams,
                  summary.nodes, summary.seconds, static_cast<double>(total_ticks) / std::max(summary.seconds, 1e-9),
                  static_cast<unsigned long long>(summary.node_updates),
                  static_cast<unsigned long long>(summary.toggles), static_cast<unsigned long long>(summary.spikes),
                  t.record_stream);
    std::string finished = text;
    if (judge) {
        std::snprintf(text, sizeof text, "learn_ticks: %llu\ntest_ticks: %llu\n",
                      static_cast<unsigned long long>(t.ticks), static_cast<unsigned long long>(test_ticks));
        finished += text;
        const auto score = [&](const char* split, const online_score& x) {
            std::snprintf(text, sizeof text, "%s_accuracy: %.6f\n%s_decisions: %llu\n", split, x.accuracy(), split,
                          static_cast<unsigned long long>(x.decisions));
            finished += text;
        };
        if (learner) score("online_learn", summary.online_learn);
        score("online_test", summary.online_test);
    }
    core::publish_file(dir / run_finished_mark, finished);
    return summary;
}

}  // namespace lutra::experiments
