#include "lutra/runfile/layout.hpp"

#include <utility>

#include "lutra/core/error.hpp"

namespace lutra::runfile::layout {

std::string to_string(dtype t) {
    switch (t) {
        case dtype::none:
            return "";
        case dtype::uint8:
            return "uint8";
        case dtype::uint16:
            return "uint16";
        case dtype::uint32:
            return "uint32";
        case dtype::uint64:
            return "uint64";
        case dtype::float32:
            return "float32";
        case dtype::float64:
            return "float64";
        case dtype::string:
            return "string";
        case dtype::fixed_string:
            return "string(" + std::to_string(split_bytes) + ")";
        case dtype::compound:
            return "compound";
        case dtype::enumeration:
            return "enum";
    }
    throw internal_error("layout::to_string: unknown dtype " + std::to_string(static_cast<int>(t)));
}

std::string object::path_for(std::string_view population, std::string_view rule, std::string_view quantity) const {
    std::string p(path);
    // Right to left, so a name holding a placeholder's text is never filled in itself.
    for (const auto& [placeholder, name] : {std::pair{quantity_placeholder, quantity}, std::pair{rule_placeholder, rule},
                                            std::pair{population_placeholder, population}})
        if (const std::size_t at = p.find(placeholder); at != std::string::npos) p.replace(at, placeholder.size(), name);
    return p;
}

}  // namespace lutra::runfile::layout
