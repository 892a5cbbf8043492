// fpga_timed_case: writes one timed-network case for tests/fpga/verify_timed.sh
// to simulate — a random recurrent network (core::random_timed_network), its
// Verilog in one style, a test bench, and one vector per tick whose expected
// outputs are every node's output from core::make_stepped_engine — after
// checking that the stepped engine, the event engine and a scalar reference
// written here give the same trace of every node at every tick.
//
// It also writes lutra_network_flipped.v: the same network with one table bit
// flipped, a bit the trace reads (node n addresses it at tick t), so its
// simulation must FAIL; a test that could not fail would prove nothing.
//
//   fpga_timed_case DIR xilinx|generic SEED NODES K_MIN K_MAX MAX_DELAY DENSITY ACTIVITY TICKS
//
// Exit 0 when written, 1 when the C++ traces disagree, 2 on bad arguments.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "lutra/core/bit_matrix.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/random.hpp"
#include "lutra/core/time.hpp"
#include "lutra/fpga/verilog.hpp"

using namespace lutra;
namespace fs = std::filesystem;

namespace {

// Every node at every tick, one sample at a time, straight from the time.hpp
// semantics: a slot with delay d reads its source at t − d (0 before tick d).
// Rows = nodes, columns = ticks.
core::bit_matrix scalar_trace(const core::network& net, const core::bit_matrix& inputs) {
    const std::uint32_t num_in = net.num_inputs();
    core::bit_matrix trace(net.num_nodes(), inputs.samples());
    for (std::size_t t = 0; t < inputs.samples(); ++t)
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
            const auto sources = net.sources(n);
            const auto delays = net.delays(n);
            std::uint32_t address = 0;
            for (std::size_t i = 0; i < sources.size(); ++i) {
                if (delays[i] > t) continue;  // before its first d ticks a register reads 0
                const std::size_t when = t - delays[i];
                const bool bit = sources[i] < num_in ? inputs.get(sources[i], when) : trace.get(sources[i] - num_in, when);
                address |= std::uint32_t{bit} << i;
            }
            trace.set(n, t, net.table_bit(n, address));
        }
    return trace;
}

// A timed engine's trace over the same ticks, one stream.
core::bit_matrix engine_trace(core::time_engine_kind kind, const core::network& net, const core::bit_matrix& inputs) {
    const auto engine = core::make_timed_engine(kind, net, {.streams = 1});
    core::bit_matrix trace(net.num_nodes(), inputs.samples());
    for (std::size_t t = 0; t < inputs.samples(); ++t) {
        engine->step(core::sample_range(inputs, t, 1));
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) trace.set(n, t, engine->outputs().get(n, 0));
    }
    return trace;
}

// The first (node, tick) where two traces differ, as text; "" when equal.
std::string first_difference(const core::bit_matrix& a, const core::bit_matrix& b) {
    for (std::size_t t = 0; t < a.samples(); ++t)
        for (std::size_t n = 0; n < a.rows(); ++n)
            if (a.get(n, t) != b.get(n, t))
                return "node " + std::to_string(n) + " at tick " + std::to_string(t) + ": " +
                       std::to_string(a.get(n, t)) + " against " + std::to_string(b.get(n, t));
    return "";
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 11) {
        std::fprintf(stderr,
                     "usage: fpga_timed_case DIR xilinx|generic SEED NODES K_MIN K_MAX MAX_DELAY DENSITY ACTIVITY "
                     "TICKS\n");
        return 2;
    }
    try {
        const fs::path dir = argv[1];
        const std::string style = argv[2];
        if (style != "xilinx" && style != "generic") throw std::invalid_argument("style " + style);
        const std::uint64_t seed = std::stoull(argv[3]);
        core::random_timed_params params;
        params.num_inputs = 32;
        params.nodes = static_cast<std::uint32_t>(std::stoul(argv[4]));
        params.k_min = static_cast<unsigned>(std::stoul(argv[5]));
        params.k_max = static_cast<unsigned>(std::stoul(argv[6]));
        params.max_delay = static_cast<std::uint32_t>(std::stoul(argv[7]));
        params.table_density = std::stod(argv[8]);
        const double activity = std::stod(argv[9]);
        const std::size_t ticks = std::stoul(argv[10]);
        const core::network net = core::random_timed_network(params, seed);

        // Each input bit is 1 with probability `activity` at each tick.
        core::bit_matrix inputs(net.num_inputs(), ticks);
        const counter_rng rng(seed, "test.fpga.timed_case.inputs");
        for (std::uint32_t i = 0; i < net.num_inputs(); ++i)
            for (std::size_t t = 0; t < ticks; ++t) inputs.set(i, t, rng.fork(i).uniform(t) < activity);

        const core::bit_matrix reference = scalar_trace(net, inputs);
        for (const auto kind : {core::time_engine_kind::stepped, core::time_engine_kind::event}) {
            const std::string difference = first_difference(engine_trace(kind, net, inputs), reference);
            if (!difference.empty()) {
                std::fprintf(stderr, "fpga_timed_case: the %s engine and the scalar reference differ: %s\n",
                             std::string(core::to_string(kind)).c_str(), difference.c_str());
                return 1;
            }
        }

        const auto write = [&](const core::network& n, std::ostream& out) {
            return style == "xilinx" ? fpga::write_network_xilinx(n, {}, out)
                                     : fpga::write_network_generic(n, {}, out);
        };
        std::ostringstream verilog;
        const fpga::module_interface dut = write(net, verilog);
        const fpga::test_vectors vectors = fpga::network_vectors(dut, net, inputs);
        if (!(vectors.outputs == reference)) throw std::logic_error("network_vectors differs from the engines' trace");
        fs::create_directories(dir);
        write_file(dir / (dut.name + ".v"), verilog.str());
        std::ostringstream tb, in, expected;
        fpga::write_testbench(dut, ticks, {}, tb);
        fpga::write_vectors(dut, vectors, in, expected);
        write_file(dir / (dut.name + "_tb.v"), tb.str());
        write_file(dir / "vectors_in.hex", in.str());
        write_file(dir / "vectors_out.hex", expected.str());

        // One table bit flipped: the bit node n reads at tick t, so node n's
        // output at tick t changes and the test bench must see it.
        const std::uint32_t node = net.num_nodes() / 2;
        const std::size_t tick = ticks / 2;
        std::uint32_t address = 0;
        const auto sources = net.sources(node);
        const auto delays = net.delays(node);
        for (std::size_t i = 0; i < sources.size(); ++i)
            if (delays[i] <= tick) {
                const std::size_t when = tick - delays[i];
                const bool bit = sources[i] < net.num_inputs() ? inputs.get(sources[i], when)
                                                               : reference.get(sources[i] - net.num_inputs(), when);
                address |= std::uint32_t{bit} << i;
            }
        core::network_arrays arrays = net.arrays();
        arrays.tables[net.table_offset(node) + address / 64] ^= std::uint64_t{1} << (address % 64);
        std::ostringstream flipped;
        (void)write(core::network(std::move(arrays)), flipped);
        write_file(dir / (dut.name + "_flipped.v"), flipped.str());

        std::printf("%s: %u nodes, k %u…%u, delays ≤ %u, table density %.2f, activity %.2f, %zu ticks, %s style; "
                    "stepped, event and scalar traces equal; flipped: node %u's table bit %u (read at tick %zu)\n",
                    dir.string().c_str(), net.num_nodes(), params.k_min, params.k_max, params.max_delay,
                    params.table_density, activity, ticks, style.c_str(), node, address, tick);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fpga_timed_case: %s\n", e.what());
        return 2;
    }
}
