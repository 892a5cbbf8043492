// binarize: one bit a feature, value ≥ threshold.
#include "encoders.hpp"

namespace lutra::core::encoders {

fitted_thresholds fit_binarize(const encoder_params& params, const dataset& data) {
    return {1, std::vector<std::uint8_t>(data.num_features(), static_cast<std::uint8_t>(params.threshold - 1))};
}

void forget_unused_by_binarize(encoder_params& params) {
    const encoder_params defaults;
    params.bits = defaults.bits;
    params.thresholds = defaults.thresholds;
    params.resolution = defaults.resolution;
}

}  // namespace lutra::core::encoders
