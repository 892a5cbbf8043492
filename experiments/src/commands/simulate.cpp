// `lutra simulate`: a timed network run tick by tick on a stream.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/simulate.hpp"

namespace lutra::experiments::commands {

namespace {

struct simulate_options {
    std::string source;
    std::vector<std::string> overrides;
    std::string out;
    std::optional<std::uint64_t> ticks;
    std::optional<std::size_t> streams;
    std::optional<std::string> engine;
    std::vector<std::string> record;
};

int cmd_simulate(const simulate_options& o) {
    simulate_request r;
    r.source = o.source;
    r.overrides = o.overrides;
    // The flags are settings of the time section, checked as YAML is (the
    // error names time.ticks and so on) and written to config.yaml.
    if (o.ticks) r.overrides.push_back("time.ticks=" + std::to_string(*o.ticks));
    if (o.streams) r.overrides.push_back("time.streams=" + std::to_string(*o.streams));
    if (o.engine) r.overrides.push_back("time.engine=" + *o.engine);
    if (!o.record.empty()) {
        std::string list = "[";
        for (std::size_t i = 0; i < o.record.size(); ++i) list += (i ? ", " : "") + o.record[i];
        r.overrides.push_back("time.record=" + list + "]");
    }
    r.out_dir = o.out;
    const simulate_summary s = simulate(r);
    const double ticks = static_cast<double>(s.ticks);
    std::printf("run:        %s\n", s.dir.c_str());
    std::printf("simulated:  %u nodes, %llu ticks × %zu streams, %s engine, in %s\n", s.nodes,
                static_cast<unsigned long long>(s.ticks), s.streams, s.engine.c_str(),
                format_duration(s.seconds).c_str());
    std::printf("speed:      %s ticks/s, %s node updates/s\n", format_si(ticks / std::max(s.seconds, 1e-9)).c_str(),
                format_si(static_cast<double>(s.node_updates) / std::max(s.seconds, 1e-9)).c_str());
    std::printf("activity:   %.3f%% of nodes toggle per tick and stream; %llu spikes recorded\n",
                100.0 * static_cast<double>(s.toggles) / (ticks * static_cast<double>(s.streams) * std::max(1U, s.nodes)),
                static_cast<unsigned long long>(s.spikes));
    if (s.tables_changed > 0)
        std::printf("learning:   online rules changed %llu tables\n", static_cast<unsigned long long>(s.tables_changed));
    if (s.test_ticks > 0) {
        if (s.rules > 0 && s.online_learn.decisions > 0)
            std::printf("learning:   %.1f %% of %llu decisions right while learning (each before it was learned from)\n",
                        100.0 * s.online_learn.accuracy(), static_cast<unsigned long long>(s.online_learn.decisions));
        std::printf(s.rules > 0 ? "online:     %.1f %% on %llu held-out decisions (%llu ticks × %zu streams, learning off)\n"
                                : "online:     %.1f %% on %llu decisions (%llu ticks × %zu streams, no rules)\n",
                    100.0 * s.online_test.accuracy(), static_cast<unsigned long long>(s.online_test.decisions),
                    static_cast<unsigned long long>(s.test_ticks), s.streams);
    }
    return 0;
}

}  // namespace

void add_simulate_commands(CLI::App& app, command_table& table) {
    auto* cmd = app.add_subcommand("simulate", "run a timed network tick by tick on a stream into a run directory");
    auto o = std::make_shared<simulate_options>();
    cmd->add_option("source", o->source, "an experiment YAML with a time section, or a finished run directory")
        ->required();
    cmd->add_option("--ticks", o->ticks, "ticks to run (time.ticks)");
    cmd->add_option("--streams", o->streams, "parallel streams (time.streams)");
    cmd->add_option("--engine", o->engine, "event or stepped (time.engine)");
    cmd->add_option("--record", o->record, "populations whose spikes are recorded (time.record)")
        ->delimiter(',')
        ->type_name("POPULATIONS");
    cmd->add_option("--set", o->overrides, "override one setting, e.g. --set time.input.coding=latency (repeatable)")
        ->type_name("PATH=VALUE");
    cmd->add_option("--out", o->out, "run directory (default runs/NAME-simulate)");
    table.add(*cmd, [o] { return cmd_simulate(*o); });
}

}  // namespace lutra::experiments::commands
