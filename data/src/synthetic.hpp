#pragma once
// The synthetic boolean datasets (synthetic.cpp); the catalogue in
// dataset.cpp is their only caller. Each takes a name its entry matched and
// parses N from it.

#include <string_view>

#include "lutra/data/datasets.hpp"

namespace lutra::data::synthetic {

dataset generate_xor(std::string_view name, const dataset_options& options);
dataset generate_parity(std::string_view name, const dataset_options& options);
dataset generate_majority(std::string_view name, const dataset_options& options);

// What each generator would return, without generating it.
dataset_shape shape_xor(std::string_view name, const dataset_options& options);
dataset_shape shape_parity(std::string_view name, const dataset_options& options);
dataset_shape shape_majority(std::string_view name, const dataset_options& options);

}  // namespace lutra::data::synthetic
