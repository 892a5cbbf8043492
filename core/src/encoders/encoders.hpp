#pragma once
// The encoder kinds (encoder.hpp), one file each, and their table. Adding a
// kind: its file here with its fit, one line in table.cpp, one line in
// core/CMakeLists.txt, and its test in tests/core/test_encoder.cpp. A kind
// turns a feature into bits `value > θ_t` for its fitted thresholds, which is
// also what the FPGA exporter builds as comparators.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "lutra/core/dataset.hpp"
#include "lutra/core/encoder.hpp"

namespace lutra::core::encoders {

// What a kind's fit produces: T thresholds per feature, feature-major.
struct fitted_thresholds {
    std::uint32_t per_feature = 0;
    std::vector<std::uint8_t> values;
};

struct encoder_kind {
    std::string_view name;
    fitted_thresholds (*fit)(const encoder_params& params, const dataset& data);  // params are schema-checked
    void (*forget_unused)(encoder_params& params);  // resets the fields this kind does not read to their defaults
};

// Every kind, in the order the schema lists them.
[[nodiscard]] std::span<const encoder_kind> kinds() noexcept;

fitted_thresholds fit_binarize(const encoder_params& params, const dataset& data);
void forget_unused_by_binarize(encoder_params& params);
fitted_thresholds fit_thermometer(const encoder_params& params, const dataset& data);
void forget_unused_by_thermometer(encoder_params& params);

}  // namespace lutra::core::encoders
