#include "entry_state.hpp"

#include <algorithm>

#include "lutra/core/error.hpp"
#include "lutra/core/relaxed.hpp"

namespace lutra::plasticity::detail {

entry_layout::entry_layout(const core::network& net) : offsets_(core::entry_offsets(net)) {}

void entry_layout::follow(const core::network& net, std::span<const std::uint32_t> changed,
                          std::span<const array> arrays) {
    const std::vector<std::size_t> now = core::entry_offsets(net);
    std::vector<bool> fresh(net.num_nodes(), changed.empty());
    for (const std::uint32_t n : changed)
        if (n < fresh.size()) fresh[n] = true;
    for (const array& a : arrays) {
        std::vector<float> next(now.back(), a.fresh);
        for (std::uint32_t n = 0; n < net.num_nodes(); ++n) {
            const std::size_t count = now[n + 1] - now[n];
            if (fresh[n] || n >= nodes() || this->count(n) != count || a.values->size() != entries()) continue;
            std::copy_n(a.values->begin() + static_cast<std::ptrdiff_t>(offsets_[n]), count,
                        next.begin() + static_cast<std::ptrdiff_t>(now[n]));
        }
        *a.values = std::move(next);
    }
    offsets_ = now;
}

const std::vector<float>& state_array(const named_state& state, const std::string& rule, const std::string& name,
                                      std::size_t size) {
    const auto found = state.floats.find(name);
    if (found == state.floats.end()) throw error(rule + " state: no '" + name + "'");
    if (found->second.size() != size)
        throw error(rule + " state: '" + name + "' has " + std::to_string(found->second.size()) +
                    " values for a network of " + std::to_string(size) + " table entries");
    return found->second;
}

}  // namespace lutra::plasticity::detail
