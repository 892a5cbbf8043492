#include "lutra/core/names.hpp"

#include <algorithm>
#include <vector>

namespace lutra::core {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
    return prefix.size() <= text.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) { return lower(a) == lower(b); });
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Three rolling rows of the dynamic programme: the swap case looks two back.
    const std::size_t n = b.size();
    std::vector<std::size_t> before(n + 1), previous(n + 1), current(n + 1);
    for (std::size_t j = 0; j <= n; ++j) previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= n; ++j) {
            const bool same = lower(a[i - 1]) == lower(b[j - 1]);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (same ? 0 : 1)});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
                current[j] = std::min(current[j], before[j - 2] + 1);
        }
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return previous[n];
}

std::optional<std::string_view> closest_name(std::string_view name, std::span<const std::string_view> candidates) {
    std::optional<std::string_view> best;
    std::size_t best_distance = 0;
    for (std::string_view candidate : candidates) {
        const std::size_t d = edit_distance(name, candidate);
        if (d <= std::max<std::size_t>(1, candidate.size() / 3) && (!best || d < best_distance)) {
            best = candidate;
            best_distance = d;
        }
    }
    if (best || name.size() < 3) return best;
    for (std::string_view candidate : candidates)
        if (starts_with_ignoring_case(candidate, name)) return candidate;
    return std::nullopt;
}

std::string join_names(std::span<const std::string_view> names) {
    std::string text;
    for (std::string_view n : names) {
        if (!text.empty()) text += ", ";
        text += n;
    }
    return text;
}

std::string did_you_mean(std::string_view name, std::span<const std::string_view> candidates) {
    const auto guess = closest_name(name, candidates);
    return guess ? " (did you mean '" + std::string(*guess) + "'?)" : std::string();
}

}  // namespace lutra::core
