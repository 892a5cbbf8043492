#pragma once

#include <string>

#include "lutra/core/error.hpp"

namespace lutra::topology {

// A genome that is malformed or cannot develop. `where` names the gene and
// field, e.g. "populations[2] 'h1'.k" or "projections[0].sources[1]"; empty
// for the genome as a whole.
struct genome_error : lutra::error {
    genome_error(std::string where_, const std::string& problem)
        : lutra::error(where_.empty() ? "genome: " + problem : "genome: " + where_ + ": " + problem),
          where(std::move(where_)) {}
    std::string where;
};

// Text that is not a genome's A/C/G/T form: `position` is the 0-based index
// of the base where reading failed.
struct genome_text_error : lutra::error {
    genome_text_error(std::size_t position_, const std::string& problem)
        : lutra::error("genome text: at base " + std::to_string(position_) + ": " + problem), position(position_) {}
    std::size_t position;
};

}  // namespace lutra::topology
