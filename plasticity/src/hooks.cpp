#include "lutra/plasticity/hooks.hpp"

#include <algorithm>

namespace lutra::plasticity {

void gradient_hooks::remove(id hook) {
    const auto drop = [hook](auto& list) {
        std::erase_if(list, [hook](const auto& e) { return e.key == hook; });
    };
    drop(after_forward_);
    drop(after_backward_);
    drop(before_step_);
    drop(after_tick_);
}

}  // namespace lutra::plasticity
