// network_vectors (verilog.hpp): the C++ model's trace of a timed network,
// one vector per tick. Its own file: it is the fpga library's one user of the
// timed engines.

#include <string>
#include <string_view>

#include "lutra/core/error.hpp"
#include "lutra/core/time.hpp"
#include "lutra/fpga/classifier.hpp"
#include "lutra/fpga/verilog.hpp"

namespace lutra::fpga {

namespace {
std::string str(std::uint64_t v) { return std::to_string(v); }
}  // namespace

test_vectors network_vectors(const module_interface& dut, const core::network& net, const core::bit_matrix& inputs) {
    const std::string what = "test vectors for module '" + dut.name + "'";
    const auto port_is = [](const std::vector<verilog_port>& ports, std::string_view name, std::uint32_t width) {
        return width == 0 ? ports.empty() : ports.size() == 1 && ports[0].name == name && ports[0].width == width;
    };
    if (!port_is(dut.inputs, network_inputs_port_name, net.num_inputs()) ||
        !port_is(dut.outputs, network_nodes_port_name, net.num_nodes()))
        throw error(what + ": the module's ports must be '" + std::string(network_inputs_port_name) + "' of " +
                    str(net.num_inputs()) + " bits and '" + std::string(network_nodes_port_name) + "' of " +
                    str(net.num_nodes()) + " bits (write_network_xilinx, write_network_generic)");
    if (dut.latency != 0)
        throw error(what + ": the module has a latency of " + str(dut.latency) +
                    " cycles; tick-by-tick vectors need an unpipelined module");
    if (inputs.rows() != net.num_inputs())
        throw error(what + ": the inputs have " + str(inputs.rows()) + " rows; the network has " +
                    str(net.num_inputs()) + " inputs");

    test_vectors v;
    v.inputs = inputs;
    v.outputs = core::bit_matrix(net.num_nodes(), inputs.samples());
    const auto engine = core::make_stepped_engine(net, {.streams = 1});
    for (std::size_t t = 0; t < inputs.samples(); ++t) {
        engine->step(core::sample_range(inputs, t, 1));
        const core::bit_matrix& nodes = engine->outputs();
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) v.outputs.set(n, t, nodes.get(n, 0));
    }
    return v;
}

}  // namespace lutra::fpga
