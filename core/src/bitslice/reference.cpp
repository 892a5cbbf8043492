#include "lutra/core/reference.hpp"

#include "lutra/core/error.hpp"

namespace lutra::core {

bit_matrix reference_evaluate(const network& net, const bit_matrix& inputs) {
    if (!net.combinational()) throw error("reference evaluator: the network has delayed slots");
    if (inputs.rows() != net.num_inputs())
        throw error("reference evaluator: " + std::to_string(inputs.rows()) + " input rows for a network of " +
                    std::to_string(net.num_inputs()) + " inputs");
    bit_matrix out(net.num_nodes(), inputs.samples());
    for (std::size_t s = 0; s < inputs.samples(); ++s) {
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
            std::uint32_t address = 0;
            const auto sources = net.sources(n);
            for (unsigned i = 0; i < sources.size(); ++i) {
                const std::uint32_t id = sources[i];
                const bool bit = id < net.num_inputs() ? inputs.get(id, s) : out.get(id - net.num_inputs(), s);
                address |= static_cast<std::uint32_t>(bit) << i;
            }
            out.set(n, s, net.table_bit(n, address));
        }
    }
    return out;
}

head_output reference_classify(const network& net, const bit_matrix& inputs) {
    const bit_matrix nodes = reference_evaluate(net, inputs);
    const group_sum_head& head = net.head();
    if (head.num_classes == 0) throw error("reference evaluator: the network has no head");
    const std::size_t group = head.outputs.size() / head.num_classes;
    head_output r;
    r.num_classes = head.num_classes;
    r.scores.assign(inputs.samples() * head.num_classes, 0);
    r.predictions.assign(inputs.samples(), 0);
    for (std::size_t s = 0; s < inputs.samples(); ++s) {
        for (std::uint32_t c = 0; c < head.num_classes; ++c) {
            std::uint32_t count = 0;
            for (std::size_t j = 0; j < group; ++j) count += nodes.get(head.outputs[c * group + j], s) ? 1U : 0U;
            r.scores[s * head.num_classes + c] = count;
            if (count > r.scores[s * head.num_classes + r.predictions[s]]) r.predictions[s] = static_cast<std::uint16_t>(c);
        }
    }
    return r;
}

}  // namespace lutra::core
