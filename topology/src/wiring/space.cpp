// What the wiring rules share: candidate spaces, projection contexts, and
// the two ways rules list candidates (all sources, or those within a radius).
#include <algorithm>
#include <cmath>
#include <string>

#include "lutra/core/error.hpp"
#include "wiring.hpp"

namespace lutra::topology::wiring {

grid_size grid_of(const population_gene& p) noexcept {
    return p.grid.width == 0 ? grid_size{p.size, 1} : grid_size{p.grid.width, p.grid.height};
}

void candidate_space::clear() noexcept {
    blocks_.clear();
    block_total_ = 0;
    list_.clear();
}

void candidate_space::add_block(const source_block& block, bool cover_bits) {
    const std::uint64_t count = std::uint64_t{block.grid.width} * block.grid.height * (cover_bits ? 1 : block.bits);
    blocks_.push_back({block, cover_bits, count});
    block_total_ += count;
}

candidate candidate_space::at(std::uint64_t i) const noexcept {
    for (const block_entry& b : blocks_) {
        if (i < b.count)
            return b.cover_bits ? candidate{b.block.first_vertex + static_cast<std::uint32_t>(i) * b.block.bits,
                                            b.block.bits}
                                : candidate{b.block.first_vertex + static_cast<std::uint32_t>(i), 1};
        i -= b.count;
    }
    return list_[i];
}

wiring_context context_of(const genome& g, std::span<const std::uint32_t> population_first, std::size_t projection) {
    auto population_index = [&](std::string_view name) {
        for (std::uint32_t p = 0; p < g.populations.size(); ++p)
            if (g.populations[p].name == name) return p;
        throw internal_error("wiring: no population '" + std::string(name) + "' in a validated genome");
    };
    auto block_of = [&](std::string_view name) {
        if (name == input_name) return source_block{0, {g.inputs.width, g.inputs.height}, g.inputs.bits};
        const std::uint32_t p = population_index(name);
        return source_block{population_first[p], grid_of(g.populations[p]), 1};
    };
    const projection_gene& pr = g.projections[projection];
    const std::uint32_t target = population_index(pr.target);
    wiring_context context{pr, target, grid_of(g.populations[target]), block_of(pr.target), {}};
    for (const std::string& name : pr.sources) context.sources.push_back(block_of(name));
    return context;
}

std::vector<slot_range> slot_ranges(const genome& g) {
    std::vector<std::uint32_t> next(g.populations.size(), 0);  // per population, its next free slot
    std::vector<slot_range> ranges;
    for (const projection_gene& pr : g.projections) {
        const auto it = std::find_if(g.populations.begin(), g.populations.end(),
                                     [&](const population_gene& p) { return p.name == pr.target; });
        if (it == g.populations.end())
            throw internal_error("wiring: no population '" + pr.target + "' in a validated genome");
        const std::uint32_t count = pr.slots == 0 ? it->k : pr.slots;
        std::uint32_t& first = next[static_cast<std::size_t>(it - g.populations.begin())];
        ranges.push_back({first, count});
        first += count;
    }
    return ranges;
}

void add_all_sources(const wiring_context& context, candidate_space& out) {
    for (const source_block& b : context.sources) out.add_block(b, context.projection.cover_bits);
}

void add_within_radius(const wiring_context& context, const source_block& b, std::uint32_t node, bool skip_node,
                       candidate_space& out) {
    const grid_size tg = context.target_grid;
    const double tx = node % tg.width;
    const double ty = node / tg.width;
    const double cx = (tx + 0.5) * b.grid.width / tg.width - 0.5;
    const double cy = (ty + 0.5) * b.grid.height / tg.height - 0.5;
    const double r = context.projection.radius;
    const auto x0 = static_cast<std::int64_t>(std::max(0.0, std::ceil(cx - r)));
    const auto x1 = static_cast<std::int64_t>(std::min<double>(b.grid.width - 1, std::floor(cx + r)));
    const auto y0 = static_cast<std::int64_t>(std::max(0.0, std::ceil(cy - r)));
    const auto y1 = static_cast<std::int64_t>(std::min<double>(b.grid.height - 1, std::floor(cy + r)));
    for (std::int64_t y = y0; y <= y1; ++y)
        for (std::int64_t x = x0; x <= x1; ++x) {
            const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - cy;
            if (dx * dx + dy * dy > r * r + 1e-9) continue;
            const auto cell = static_cast<std::uint32_t>(y * b.grid.width + x);
            if (skip_node && cell == node) continue;
            const std::uint32_t first = b.first_vertex + cell * b.bits;
            if (context.projection.cover_bits) {
                out.add({first, b.bits});
            } else {
                for (std::uint32_t level = 0; level < b.bits; ++level) out.add({first + level, 1});
            }
        }
}

}  // namespace lutra::topology::wiring
