#include "lutra/topology/schema.hpp"

#include "lutra/core/network.hpp"
#include "lutra/core/schema.hpp"

namespace lutra::topology {

void describe(core::schema_visitor& v, input_shape& s) {
    v.field("width", s.width, "pixels per row", 1U, 1U << 16);
    v.field("height", s.height, "rows of pixels", 1U, 1U << 16);
    v.field("bits", s.bits, "input bits per pixel (thermometer levels)", 1U, 255U);
}

void describe(core::schema_visitor& v, layout& l) {
    v.field("width", l.width, "grid columns; 0 = all nodes on one row");
    v.field("height", l.height, "grid rows; width × height = size");
}

void describe(core::schema_visitor& v, table_init& t) {
    v.choice("kind", t.kind, table_init_kinds, "initial tables: random, constant, copy (of slot 0), majority, function");
    v.field("p_one", t.p_one, "random: probability of a 1 bit", 0.0, 1.0);
    v.field("value", t.value, "constant: the bit");
    v.choice("function", t.function, table_functions, "function: the named function of all k inputs");
}

void describe(core::schema_visitor& v, population_gene& p) {
    v.field("name", p.name, "unique population name");
    v.field("size", p.size, "nodes", 1U, 1U << 26);
    v.field("k", p.k, "input slots per node", 1U, core::max_k);
    v.section("layout", p.grid, "positions of the nodes on a grid stretched over the input image");
    v.section("init", p.init, "initial tables");
    v.field("delay", p.delay, "default delay of the slots of projections into it, ticks");
}

void describe(core::schema_visitor& v, delay_distribution& d) {
    v.choice("kind", d.kind, delay_kinds, "default (the target's delay), constant (min), uniform (min..max)");
    v.field("min", d.min, "ticks: the constant, or the low end");
    v.field("max", d.max, "ticks: the high end of uniform");
}

void describe(core::schema_visitor& v, projection_gene& p) {
    v.field("target", p.target, "the population whose slots it fills");
    v.list("sources", p.sources, "populations and/or input");
    v.choice("rule", p.rule, wiring_rules, "wiring rule: random, receptive_field, lateral, recurrent");
    v.field("slots", p.slots, "slots of each target node it fills; 0 = all k", 0U, core::max_k);
    v.field("radius", p.radius, "receptive_field, lateral: radius in source-grid units (pixels for the input)", 0.0,
            1e6);
    v.field("cover_bits", p.cover_bits, "input sources: slot s reads bit level s mod bits");
    v.field("repeats", p.repeats, "a node may read one source more than once");
    v.section("delay", p.delay, "delays of its slots");
    v.section("learn_wiring", p.learn, "training chooses each slot's source among its node's candidates");
}

void describe(core::schema_visitor& v, learn_wiring_gene& l) {
    v.field("candidates", l.candidates, "candidate sources per node (≥ the slots filled); 0 = fixed wiring", 0U,
            1U << 16);
    v.field("temperature", l.temperature, "softmax temperature of the backward surrogate", core::open_closed(0.0, 1e6));
}

void describe(core::schema_visitor& v, head_gene& h) {
    v.field("population", h.population, "the population whose nodes are the outputs");
    v.field("classes", h.classes, "classes; the population splits into this many equal groups", 1U, 65535U);
}

void describe(core::schema_visitor& v, genome& g) {
    v.section("inputs", g.inputs, "the input bits: width × height pixels × bits");
    v.list("populations", g.populations, "population genes");
    v.list("projections", g.projections, "projection genes: where each population's slots come from");
    v.section("head", g.head, "the classifier's outputs");
}

}  // namespace lutra::topology
