#include <doctest/doctest.h>

#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"
#include "lutra/core/reference.hpp"
#include "lutra/fpga/design.hpp"
#include "support/random_bits.hpp"

using namespace lutra;
using namespace lutra::fpga;

namespace {

// The network's nodes as table nodes over the network's inputs, one output
// port "nodes" with every node's output in order (the rows of
// core::reference_evaluate).
logic_design design_of(const core::network& net) {
    logic_design d;
    d.name = "net";
    d.num_inputs = net.num_inputs();
    d.input_ports.push_back({"x", 0, net.num_inputs()});
    output_port all{"nodes", {}};
    for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
        logic_node node;
        for (const std::uint32_t id : net.sources(n))
            node.inputs.push_back(id < net.num_inputs() ? signal::input(id) : signal::node(id - net.num_inputs()));
        node.table.assign(net.table(n).begin(), net.table(n).end());
        node.origin = n;
        d.nodes.push_back(std::move(node));
        all.bits.push_back(signal::node(n));
    }
    d.outputs.push_back(std::move(all));
    return d;
}

// in0, in1 → n0 = AND(in0, in1), n1 = XOR(n0, in1); port "y" = {n1, n0}.
logic_design two_nodes() {
    logic_design d;
    d.name = "two";
    d.num_inputs = 2;
    d.input_ports.push_back({"x", 0, 2});
    d.nodes.push_back({.inputs = {signal::input(0), signal::input(1)}, .delays = {}, .table = {0b1000}});
    d.nodes.push_back({.inputs = {signal::node(0), signal::input(1)}, .delays = {}, .table = {0b0110}});
    d.outputs.push_back({"y", {signal::node(1), signal::node(0)}});
    return d;
}

void rejects(const logic_design& d, const char* message) {
    CHECK_THROWS_WITH_AS(validate(d), doctest::Contains(message), error);
}

}  // namespace

TEST_CASE("design: a valid design passes validation") {
    CHECK_NOTHROW(validate(two_nodes()));
    auto d = two_nodes();
    d.nodes[0].delays = {0, 0};
    d.nodes[0].inputs[1] = signal::node(1);  // a forward reference is fine through a register
    d.nodes[0].delays[1] = 1;
    CHECK_NOTHROW(validate(d));
}

TEST_CASE("design: validation names the offending node or port and what would be valid") {
    {
        auto d = two_nodes();
        d.nodes[1].inputs[1] = signal::input(2);
        rejects(d, "logic design 'two': node 1: input 1: reads primary input 2, but the design has 2");
    }
    {
        auto d = two_nodes();
        d.nodes[1].inputs[0] = signal::node(5);
        rejects(d, "node 1: input 0: reads node 5, but the design has 2 nodes");
    }
    {
        auto d = two_nodes();
        d.nodes[0].inputs[0] = signal::node(1);
        rejects(d, "node 0: input 0: reads node 1 with zero delay, but zero-delay node inputs must name an earlier");
    }
    {
        auto d = two_nodes();
        d.nodes[1].inputs[0] = signal::node(1);  // itself
        rejects(d, "node 1: input 0: reads node 1 with zero delay");
    }
    {
        auto d = two_nodes();
        d.nodes[1].table = {0b0110, 0};
        rejects(d, "node 1: table has 2 words; k = 2 needs 1");
    }
    {
        auto d = two_nodes();
        d.nodes[0].table = {0x10};
        rejects(d, "node 0: table word has bits set at addresses ≥ 2^k = 4");
    }
    {
        auto d = two_nodes();
        d.nodes[1].inputs.assign(17, signal::input(0));
        d.nodes[1].table.assign(2048, 0);
        rejects(d, "node 1: has 17 inputs; a table node has 0..16");
    }
    {
        auto d = two_nodes();
        d.nodes[1].delays = {1};
        rejects(d, "node 1: has 1 delays for 2 inputs");
    }
    {
        auto d = two_nodes();
        d.nodes[1].inputs[0] = {signal::kind::one, 3};
        rejects(d, "node 1: input 0: a constant signal has index 3");
    }
    {
        auto d = two_nodes();
        d.input_ports[0].width = 3;
        rejects(d, "input port 0 'x': covers primary inputs 0..2, but the design has 2");
    }
    {
        auto d = two_nodes();
        d.input_ports[0].width = 0;
        rejects(d, "input port 0 'x': has width 0");
    }
    {
        auto d = two_nodes();
        d.outputs[0].bits[1] = signal::node(2);
        rejects(d, "output port 0 'y': bit 1: reads node 2, but the design has 2 nodes");
    }
    {
        auto d = two_nodes();
        d.outputs[0].bits[0] = signal::input(7);
        rejects(d, "output port 0 'y': bit 0: reads primary input 7");
    }
    {
        auto d = two_nodes();
        d.outputs.push_back({"x", {signal::node(0)}});
        rejects(d, "output port 1 'x': name 'x' is used by an earlier port");
    }
    {
        auto d = two_nodes();
        d.outputs[0].name = "class[0]";
        rejects(d, "output port 0 'class[0]': name 'class[0]' is not a plain identifier");
    }
    {
        auto d = two_nodes();
        d.outputs[0].bits.clear();
        rejects(d, "output port 0 'y': has no bits");
    }
}

TEST_CASE("design: evaluate computes the tables, constants and port bits") {
    auto d = two_nodes();
    d.nodes.push_back({.inputs = {}, .delays = {}, .table = {1}});                     // constant 1, k = 0
    d.nodes.push_back({.inputs = {signal::constant(true), signal::input(0)}, .delays = {}, .table = {0b0010}});
    d.outputs.push_back({"z", {signal::node(2), signal::node(3), signal::input(1), signal::constant(false),
                               signal::constant(true)}});
    core::bit_matrix in(2, 4);  // the four addresses, sample s = in0 + 2·in1
    for (std::size_t s = 0; s < 4; ++s) {
        in.set(0, s, s & 1U);
        in.set(1, s, (s >> 1) & 1U);
    }
    const core::bit_matrix out = evaluate(d, in);
    REQUIRE(out.rows() == 7);
    REQUIRE(out.samples() == 4);
    for (std::size_t s = 0; s < 4; ++s) {
        const bool a = s & 1U;
        const bool b = (s >> 1) & 1U;
        CHECK(out.get(0, s) == ((a && b) != b));
        CHECK(out.get(1, s) == (a && b));
        CHECK(out.get(2, s));
        CHECK(out.get(3, s) == !a);  // table 0b0010: 1 only at address 1 = (constant 1, in0 = 0)
        CHECK(out.get(4, s) == b);
        CHECK_FALSE(out.get(5, s));
        CHECK(out.get(6, s));
    }
    // Padding beyond the samples stays zero even for a constant-one output.
    CHECK((out.row(6)[0] >> 4) == 0);
}

TEST_CASE("design: evaluate agrees with core::reference_evaluate on random networks") {
    for (const unsigned k : {1U, 3U, 6U, 7U, 8U}) {
        CAPTURE(k);
        const core::network net = core::random_network(
            {.num_inputs = 40, .nodes = 120, .layers = 4, .k = k, .num_classes = 0}, 10 + k);
        const core::bit_matrix inputs = test::random_inputs(net.num_inputs(), 1000, 77 + k);
        const core::bit_matrix expected = core::reference_evaluate(net, inputs);
        const core::bit_matrix got = evaluate(design_of(net), inputs);
        CHECK(got == expected);
    }
}

TEST_CASE("design: evaluate sees a single flipped table bit") {
    const core::network net =
        core::random_network({.num_inputs = 12, .nodes = 30, .layers = 3, .k = 4, .num_classes = 0}, 5);
    const core::bit_matrix inputs = test::random_inputs(net.num_inputs(), 4096, 6);
    auto d = design_of(net);
    d.nodes[29].table[0] ^= 1U << 9;  // a last-layer node, so the flip reaches its own output row
    const core::bit_matrix expected = core::reference_evaluate(net, inputs);
    const core::bit_matrix got = evaluate(d, inputs);
    CHECK_FALSE(got == expected);
}

TEST_CASE("design: evaluate rejects delays and a wrong number of input rows") {
    auto d = two_nodes();
    d.nodes[1].delays = {2, 0};
    CHECK_THROWS_WITH_AS((void)evaluate(d, core::bit_matrix(2, 8)),
                         doctest::Contains("node 1: has a delayed input; evaluate() handles combinational"), error);
    CHECK_THROWS_WITH_AS((void)evaluate(two_nodes(), core::bit_matrix(3, 8)),
                         doctest::Contains("inputs: the input matrix has 3 rows for 2 primary inputs"), error);
}
