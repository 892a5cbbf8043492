#include "lutra/data/augment.hpp"

#include <algorithm>
#include <cstring>

#include "lutra/core/error.hpp"

namespace lutra::data {


data_split translate(const dataset& shape, const data_split& split, std::uint32_t max_shift, const counter_rng& rng) {
    const std::size_t w = shape.width, h = shape.height, c = shape.channels;
    const std::size_t features = w * h * c;
    if (split.features.size() != split.size() * features)
        throw error("translate: " + std::to_string(split.features.size()) + " feature bytes for " +
                    std::to_string(split.size()) + " samples of " + std::to_string(w) + "×" + std::to_string(h) +
                    "×" + std::to_string(c));
    data_split out;
    out.labels = split.labels;
    out.features.assign(split.features.size(), 0);
    const std::uint64_t span = 2 * std::uint64_t{max_shift} + 1;
    for (std::size_t s = 0; s < split.size(); ++s) {
        const std::uint64_t r = rng.at(s);
        const auto dx = static_cast<std::ptrdiff_t>(r % span) - static_cast<std::ptrdiff_t>(max_shift);
        const auto dy = static_cast<std::ptrdiff_t>((r >> 32) % span) - static_cast<std::ptrdiff_t>(max_shift);
        const std::uint8_t* src = split.features.data() + s * features;
        std::uint8_t* dst = out.features.data() + s * features;
        // Destination columns [x0, x1) read source columns [x0 − dx, x1 − dx).
        const auto x0 = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, dx));
        const auto x1 = static_cast<std::size_t>(std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(w), static_cast<std::ptrdiff_t>(w) + dx));
        if (x0 >= x1) continue;
        for (std::size_t ch = 0; ch < c; ++ch)
            for (std::size_t y = 0; y < h; ++y) {
                const std::ptrdiff_t sy = static_cast<std::ptrdiff_t>(y) - dy;
                if (sy < 0 || sy >= static_cast<std::ptrdiff_t>(h)) continue;
                std::memcpy(dst + (ch * h + y) * w + x0, src + (ch * h + static_cast<std::size_t>(sy)) * w + (x0 - static_cast<std::size_t>(dx)), x1 - x0);
            }
    }
    return out;
}

}  // namespace lutra::data
