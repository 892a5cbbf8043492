#pragma once
// Per-entry state of rules that shape the gradient step (sensitize,
// desensitize): arrays over every table entry of the network, laid out like
// the gradient rule's θ and dL/dθ (core::entry_offsets), so a before_step
// hook indexes them with the same numbers. Private to the library.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lutra/core/network.hpp"
#include "lutra/plasticity/activity.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity::detail {

// Where each node's entries are, and which node each array belongs to.
class entry_layout {
public:
    entry_layout() = default;
    explicit entry_layout(const core::network& net);

    [[nodiscard]] std::size_t entries() const noexcept { return offsets_.empty() ? 0 : offsets_.back(); }
    [[nodiscard]] std::size_t offset(std::uint32_t node) const noexcept { return offsets_[node]; }
    [[nodiscard]] std::size_t count(std::uint32_t node) const noexcept { return offsets_[node + 1] - offsets_[node]; }
    [[nodiscard]] std::uint32_t nodes() const noexcept {
        return offsets_.empty() ? 0 : static_cast<std::uint32_t>(offsets_.size() - 1);
    }

    // The arrays after a network change to `net`: nodes that kept their k and
    // are not listed in `changed` keep their values, the others (every node
    // when `changed` is empty) restart at `fresh`. Updates the layout.
    struct array {
        std::vector<float>* values;
        float fresh;
    };
    void follow(const core::network& net, std::span<const std::uint32_t> changed, std::span<const array> arrays);

private:
    std::vector<std::size_t> offsets_;
};

// A named array of a checkpoint state with `size` values; throws lutra::error naming the rule.
[[nodiscard]] const std::vector<float>& state_array(const named_state& state, const std::string& rule,
                                                     const std::string& name, std::size_t size);

// Per-sample ∂L/∂y of node n at column c: the teaching signal's dy is of the
// mean loss over the columns, so it is scaled by their number.
[[nodiscard]] inline float sample_dy(const teaching_signal& signal, std::uint32_t node, std::size_t column,
                                     std::size_t columns) {
    return signal.dy->node(node)[column] * static_cast<float>(columns);
}

}  // namespace lutra::plasticity::detail
