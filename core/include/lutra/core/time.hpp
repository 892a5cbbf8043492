#pragma once
// Time (DESIGN §5; docs/time.md): a network with delayed slots run tick by
// tick over parallel streams.
//
// Semantics, the same as the FPGA export's synchronous logic: at tick t every
// node's output is its table at the address its slots read, where a slot with
// delay 0 reads its source at tick t and a slot with delay d ≥ 1 reads its
// source as it was at tick t − d (a register; 0 before tick d). Zero-delay
// slots form a DAG (core::network refuses anything else), so a tick is
// evaluated in level order. A node's output "before tick 0" counts as 0: a
// node that is 1 at tick 0 toggles (and spikes) at tick 0.
//
// A column of a plane is a stream: an independent run of the same network on
// its own inputs (a trial, a sample), bit s of a plane being stream s, as
// samples are for the bit-sliced engine.
//
// Two engines give bit-identical traces (a test):
//   stepped_engine  the reference: every node every tick, bit-sliced over
//                   512-stream tiles with a ring of past frames for delays.
//   event_engine    re-evaluates only nodes with a changed input; a change
//                   reaches its delayed readers at t + d through a timing
//                   wheel (one bucket per tick modulo the longest delay + 1),
//                   and changed nodes of a tick are processed in level order.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/cpu.hpp"
#include "lutra/core/network.hpp"

namespace lutra::core {

// Input to a timed network: every stream's input bits at every tick, asked
// for in tick order 0, 1, 2, … (an implementation may generate them as it
// goes). Labels are per stream and tick; no_label where a tick has none.
class stimulus {
public:
    static constexpr std::uint16_t no_label = 0xFFFF;
    virtual ~stimulus() = default;
    [[nodiscard]] virtual std::uint32_t num_inputs() const = 0;
    [[nodiscard]] virtual std::size_t streams() const = 0;
    // Writes tick t's inputs: rows = num_inputs(), samples = streams(); bits
    // past streams() stay zero.
    virtual void fill(std::uint64_t tick, bit_matrix& inputs) = 0;
    // Writes tick t's label of every stream (out.size() == streams()); the
    // default has none.
    virtual void labels(std::uint64_t tick, std::span<std::uint16_t> out) {
        (void)tick;
        for (auto& l : out) l = no_label;
    }
    [[nodiscard]] virtual bool labelled() const { return false; }
};

enum class time_engine_kind { event, stepped };
[[nodiscard]] std::string_view to_string(time_engine_kind kind) noexcept;

struct time_options {
    std::size_t streams = 1;             // parallel streams, ≥ 1
    unsigned threads = 1;                // worker threads over 512-stream tiles (results do not depend on it)
    std::optional<isa> instruction_set;  // kernels; empty = the fastest this processor supports
};

// What both engines offer. step() advances one tick; the accessors then
// describe that tick.
class timed_engine {
public:
    virtual ~timed_engine() = default;
    [[nodiscard]] virtual time_engine_kind kind() const noexcept = 0;
    [[nodiscard]] const network& net() const noexcept { return net_; }
    [[nodiscard]] std::size_t streams() const noexcept { return streams_; }

    // Runs tick tick(): inputs has rows = num_inputs and at least streams()
    // columns (bits past streams() are ignored). Throws lutra::error on a
    // shape mismatch.
    virtual void step(const bit_matrix& inputs) = 0;
    // Back to the state before tick 0 (registers 0, counters 0).
    virtual void reset() = 0;

    // Ticks run since the last reset.
    [[nodiscard]] std::uint64_t tick() const noexcept { return tick_; }
    // Every node's output at the last tick: rows = nodes, samples = streams().
    [[nodiscard]] const bit_matrix& outputs() const noexcept { return outputs_; }
    // The nodes whose output changed (in some stream) at the last tick, ascending.
    [[nodiscard]] std::span<const std::uint32_t> changed() const noexcept { return changed_; }
    // Per node, output changes since reset, summed over streams (tick 0's
    // output is compared with 0).
    [[nodiscard]] std::span<const std::uint64_t> toggles() const noexcept { return toggles_; }
    // Node evaluations since reset (the stepped engine: nodes × ticks).
    [[nodiscard]] std::uint64_t node_updates() const noexcept { return node_updates_; }
    // What slot i of a node read at the last tick: its source's plane, or for
    // a delayed slot the source as it was d ticks earlier; at least
    // ⌈streams / 64⌉ words. Needs a tick run since reset, and (the stepped
    // engine) at most 512 streams; throws lutra::error otherwise.
    [[nodiscard]] virtual std::span<const std::uint64_t> slot_plane(std::uint32_t node, unsigned slot) const = 0;

    // Replaces a node's table (an online rule learned): from the next tick on
    // the node computes the new table, and the event engine re-evaluates it
    // then even if no input changed. table.size() must be table_words(k).
    // net() keeps the tables it was built with; table() is the current one.
    virtual void set_table(std::uint32_t node, std::span<const std::uint64_t> table) = 0;
    [[nodiscard]] std::span<const std::uint64_t> table(std::uint32_t node) const noexcept {
        return {tables_.data() + net_.table_offset(node), table_words(net_.k(node))};
    }

protected:
    timed_engine(network net, std::size_t streams);
    void reset_counters();
    void check_inputs(const bit_matrix& inputs) const;
    void check_table(std::uint32_t node, std::span<const std::uint64_t> table) const;
    network net_;
    std::vector<std::uint64_t> tables_;  // current tables, node-major as in net_
    std::size_t streams_;
    std::uint64_t tick_ = 0;
    bit_matrix outputs_;
    std::vector<std::uint32_t> changed_;
    std::vector<std::uint64_t> toggles_;
    std::uint64_t node_updates_ = 0;
};

// Both throw lutra::error when the options are out of range or the
// instruction set is not supported here.
[[nodiscard]] std::unique_ptr<timed_engine> make_stepped_engine(network net, const time_options& options = {});
[[nodiscard]] std::unique_ptr<timed_engine> make_event_engine(network net, const time_options& options = {});
[[nodiscard]] std::unique_ptr<timed_engine> make_timed_engine(time_engine_kind kind, network net,
                                                              const time_options& options = {});

// The longest delay of any slot (0 for a combinational network).
[[nodiscard]] std::uint32_t longest_delay(const network& net) noexcept;

// A random recurrent network with delays for tests and benchmarks: each node
// has k drawn from [k_min, k_max]; each slot reads, with probability
// p_delayed, any input or node (itself included) through a delay drawn from
// [1, max_delay], and otherwise, through delay 0, an input or an earlier
// node (node 0's zero-delay slots read inputs). Each table bit is 1 with
// probability table_density (0.5: uniform tables; small values make sparse,
// quiet nodes). No head. Deterministic in the seed.
struct random_timed_params {
    std::uint32_t num_inputs = 64;
    std::uint32_t nodes = 1000;
    unsigned k_min = 1, k_max = 6;  // 1 … 16
    double p_delayed = 0.3;         // share of slots with a delay ≥ 1
    std::uint32_t max_delay = 16;   // ≥ 1
    double table_density = 0.5;     // in [0, 1]
    std::uint32_t zero_delay_window = 0;  // > 0: zero-delay node sources come from the previous `window` nodes (deep chains stay shallow)
};
[[nodiscard]] network random_timed_network(const random_timed_params& params, std::uint64_t seed);
class schema_visitor;
void describe(schema_visitor& v, random_timed_params& p);

// A stimulus for tests and benchmarks: every input bit of every stream
// flips with probability `activity` at each tick (tick 0 draws each bit
// with probability 1/2). Endless; deterministic in the seed.
class random_flips final : public stimulus {
public:
    random_flips(std::uint32_t num_inputs, std::size_t streams, double activity, std::uint64_t seed);
    [[nodiscard]] std::uint32_t num_inputs() const override { return num_inputs_; }
    [[nodiscard]] std::size_t streams() const override { return streams_; }
    void fill(std::uint64_t tick, bit_matrix& inputs) override;

private:
    std::uint32_t num_inputs_;
    std::size_t streams_;
    std::uint64_t threshold_;  // a flip where a 64-bit draw falls below it
    std::uint64_t seed_;
};

// Spikes — rising edges (0 at tick t − 1, 1 at tick t; before tick 0 counts
// as 0) — of chosen nodes in one stream, collected as an engine runs.
class spike_recorder {
public:
    struct spike {
        std::uint64_t tick;
        std::uint32_t node;
        friend bool operator==(const spike&, const spike&) = default;
    };
    // Records `nodes` (network node indices) of stream `stream`.
    spike_recorder(std::uint32_t num_nodes, std::span<const std::uint32_t> nodes, std::size_t stream = 0);
    // Call after every step, from tick 0 on.
    void observe(const timed_engine& engine);
    // The engine was reset to rest before tick `tick` (a new sequence): its
    // ticks count from there, and every recorded node was 0 before it.
    void restart(std::uint64_t tick);
    // In tick order, nodes ascending within a tick.
    [[nodiscard]] std::span<const spike> spikes() const noexcept { return spikes_; }
    [[nodiscard]] std::size_t stream() const noexcept { return stream_; }

private:
    std::vector<std::uint8_t> recorded_;
    std::vector<std::uint8_t> previous_;
    std::size_t stream_;
    std::uint64_t first_tick_ = 0;  // the engine's tick 0
    std::vector<spike> spikes_;
};

}  // namespace lutra::core
