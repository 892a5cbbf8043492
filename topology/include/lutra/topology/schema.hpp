#pragma once
// The genome's schema (core/schema.hpp): its YAML form (docs/genome.md), a
// standalone file or the `genome:` section of an experiment, and the ranges
// and choices topology::validate checks.

#include "lutra/core/schema.hpp"
#include "lutra/topology/genome.hpp"

namespace lutra::topology {

void describe(core::schema_visitor& v, input_shape& s);
void describe(core::schema_visitor& v, layout& l);
void describe(core::schema_visitor& v, table_init& t);
void describe(core::schema_visitor& v, population_gene& p);
void describe(core::schema_visitor& v, delay_distribution& d);
void describe(core::schema_visitor& v, learn_wiring_gene& l);
void describe(core::schema_visitor& v, projection_gene& p);
void describe(core::schema_visitor& v, head_gene& h);
void describe(core::schema_visitor& v, genome& g);

}  // namespace lutra::topology
