#pragma once
// A dataset in memory: image-shaped samples of byte features with class
// labels, split into train and test. Loading one by name (IDX files,
// synthetic tasks) is lutra::data's (data/include/lutra/data/datasets.hpp);
// the encoder (encoder.hpp) turns a split into input bits.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lutra::core {

struct data_split {
    std::vector<std::uint8_t> features;  // samples × num_features, row-major, values 0..255
    std::vector<std::uint16_t> labels;   // one per sample, 0 … num_classes − 1
    [[nodiscard]] std::size_t size() const noexcept { return labels.size(); }
};

// Feature f sits at x = f % width, y = (f / width) % height,
// channel = f / (width · height).
struct dataset {
    std::string name;               // canonical name, e.g. "mnist", "parity-8"
    std::uint32_t width = 0;        // features per image row (synthetic: the number of bits)
    std::uint32_t height = 0;       // image rows (synthetic: 1)
    std::uint32_t channels = 0;     // image planes (synthetic: 1)
    std::uint32_t num_classes = 0;  // labels are 0 … num_classes − 1
    data_split train;
    data_split test;
    [[nodiscard]] std::uint32_t num_features() const noexcept { return width * height * channels; }
};

}  // namespace lutra::core
