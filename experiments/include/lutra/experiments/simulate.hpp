#pragma once
// `lutra simulate` (docs/time.md): a timed network run tick by tick on a
// stream, into a run directory like `lutra run` makes — config.yaml, the
// genome, and run.h5 with the network, the spikes of the recorded
// populations in SONATA's layout (/spikes) and every node's toggles
// (/activity), marked finished, then summary.txt.
//
// The network comes from a config (developed from its genome and seed, as
// `lutra run` would before training) or from a finished run directory (the
// trained network; its config's `time` section, with --set on top). Every
// check — the stream against the genome's inputs, population names, the
// memory recording could need — runs before the directory exists.
//
// With time.learn.test_ticks > 0 the head's decisions at labelled ticks are
// scored: over time.ticks as the rules learn (each tick before they learn
// from it), then over test_ticks more with the rules off — the held-out
// accuracy — into /metrics (splits online_learn and online_test, epoch 0)
// and summary.txt.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lutra::experiments {

struct simulate_request {
    std::filesystem::path source;        // a config YAML, or a run directory (or its run.h5)
    std::vector<std::string> overrides;  // --set path=value, in order; --ticks etc. arrive as time.* overrides
    std::filesystem::path out_dir;       // empty = runs/<name>-simulate
};

// The head's decisions at labelled ticks against the labels (time.learn.test_ticks).
struct online_score {
    std::uint64_t decisions = 0;  // labelled (tick, stream) pairs
    std::uint64_t correct = 0;
    [[nodiscard]] double accuracy() const noexcept {
        return decisions ? static_cast<double>(correct) / static_cast<double>(decisions) : 0.0;
    }
};

struct simulate_summary {
    std::filesystem::path dir;
    std::string engine;
    std::uint64_t ticks = 0;          // all ticks run: time.ticks, then time.learn.test_ticks
    std::uint64_t test_ticks = 0;     // > 0: the head was scored (online_learn, online_test)
    std::size_t streams = 0;
    std::uint32_t nodes = 0;
    double seconds = 0;               // the tick loop alone
    std::uint64_t node_updates = 0;   // node evaluations
    std::uint64_t toggles = 0;        // output changes, all nodes and streams
    std::uint64_t spikes = 0;         // recorded (one stream)
    std::size_t rules = 0;            // online rules run (time.learn.rules)
    std::uint64_t tables_changed = 0; // by online rules (time.learn), node × tick
    online_score online_learn;        // time.ticks, each tick scored before the rules learn from it (with rules)
    online_score online_test;         // the test ticks after, rules off: held-out accuracy
};

simulate_summary simulate(const simulate_request& request);

}  // namespace lutra::experiments
