#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "lutra/core/error.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/time.hpp"
#include "lutra/experiments/time_bench.hpp"
#include "lutra/experiments/verilator.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

using namespace lutra;
using namespace lutra::experiments;

namespace {

bool have(const std::string& tool) { return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0; }

// Each input bit 1 with probability `activity` at each tick.
core::bit_matrix random_stimulus(std::uint32_t inputs, std::size_t ticks, double activity, std::uint64_t seed) {
    core::bit_matrix m(inputs, ticks);
    const counter_rng rng(seed, "test.verilator.stimulus");
    for (std::uint32_t i = 0; i < inputs; ++i)
        for (std::size_t t = 0; t < ticks; ++t) m.set(i, t, rng.fork(i).uniform(t) < activity);
    return m;
}

}  // namespace

TEST_CASE("engine_trace_digest and stimulus_columns: the digest of time_bench.hpp's trace_digest on its tape") {
    const core::network net = core::random_timed_network({.num_inputs = 12, .nodes = 150, .max_delay = 5}, 2);
    const stimulus_tape tape(net.num_inputs(), 1, 0.2, 10, 7);
    const core::bit_matrix columns = stimulus_columns(tape);
    REQUIRE(columns.samples() == tape.period());
    const auto engine = core::make_stepped_engine(net);
    for (const std::uint64_t ticks : {1, 20, 45}) {
        CAPTURE(ticks);
        CHECK(engine_trace_digest(core::time_engine_kind::stepped, net, columns, ticks) ==
              trace_digest(*engine, tape, ticks));
    }
}

TEST_CASE("run_verilator: the Verilated model's trace digest equals both engines' on a recurrent network") {
    if (!have("verilator") || !have("yosys")) {
        MESSAGE("verilator or yosys is missing (bash .ci/setup installs them): not run");
        return;
    }
    const core::network net = core::random_timed_network(
        {.num_inputs = 40, .nodes = 120, .k_min = 1, .k_max = 7, .max_delay = 9, .table_density = 0.3}, 11);
    REQUIRE(!net.combinational());
    const core::bit_matrix stimulus = random_stimulus(net.num_inputs(), 97, 0.2, 3);
    const std::uint64_t ticks = 250;  // more than the stimulus's 97 columns: it repeats
    const std::uint64_t stepped = engine_trace_digest(core::time_engine_kind::stepped, net, stimulus, ticks);
    CHECK(engine_trace_digest(core::time_engine_kind::event, net, stimulus, ticks) == stepped);
    const test::temp_dir dir;
    for (const verilog_style style : {verilog_style::xilinx, verilog_style::generic}) {
        CAPTURE(static_cast<int>(style));
        // -O0: the model runs 250 ticks; compiling is what this test waits for.
        const verilator_run run = run_verilator(net, stimulus, ticks, dir.path / "v", {.style = style, .opt_fast = "-O0"});
        CHECK(run.ticks == ticks);
        CHECK(run.ticks_per_second > 0);
        CHECK(run.cpu_ticks_per_second > 0);
        CHECK(run.compile_seconds > 0);
        CHECK(run.trace_digest == stepped);
    }
    // A different stimulus gives a different digest: the comparison can fail.
    const core::bit_matrix other = random_stimulus(net.num_inputs(), 97, 0.2, 4);
    CHECK(engine_trace_digest(core::time_engine_kind::stepped, net, other, ticks) != stepped);
}

TEST_CASE("run_verilator: a stimulus of the wrong shape and a missing verilator are errors that say what") {
    const core::network net = core::random_timed_network({.num_inputs = 8, .nodes = 10}, 1);
    const test::temp_dir dir;
    CHECK_THROWS_WITH_AS(run_verilator(net, core::bit_matrix(7, 5), 10, dir.path),
                         doctest::Contains("needs the network's 8 inputs as rows"), error);
    CHECK_THROWS_WITH_AS(run_verilator(net, core::bit_matrix(8, 0), 10, dir.path),
                         doctest::Contains("at least one tick"), error);
    const char* path = std::getenv("PATH");
    const std::string saved = path ? path : "";
    setenv("PATH", dir.path.c_str(), 1);
    CHECK_THROWS_WITH_AS(run_verilator(net, core::bit_matrix(8, 5), 10, dir.path),
                         doctest::Contains("verilator is not on PATH"), error);
    setenv("PATH", saved.c_str(), 1);
}
