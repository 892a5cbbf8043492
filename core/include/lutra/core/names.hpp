#pragma once
// Names looked up by the user (datasets, encoders, rules, config keys): the
// valid name a typo most likely meant, for "did you mean" hints in errors.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lutra::core {

// Optimal-string-alignment distance: insertions, deletions, substitutions and
// swaps of adjacent characters cost 1 each ("mnsit" is 1 from "mnist").
// ASCII case is ignored, so "MNIST" is 0 from "mnist".
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate `name` most likely misspells: the nearest by edit_distance if
// that is at most max(1, candidate length / 3), else the first candidate that
// starts with `name` when name has at least 3 characters ("thermo" →
// "thermometer"). Ties go to the earlier candidate; nullopt when none is close.
[[nodiscard]] std::optional<std::string_view> closest_name(std::string_view name,
                                                           std::span<const std::string_view> candidates);

// "a, b, c": the "valid: …" part of an error message.
[[nodiscard]] std::string join_names(std::span<const std::string_view> names);

// " (did you mean 'x'?)" when closest_name finds x, else "".
[[nodiscard]] std::string did_you_mean(std::string_view name, std::span<const std::string_view> candidates);

}  // namespace lutra::core
