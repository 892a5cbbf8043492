#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>

#include "lutra/topology/error.hpp"
#include "lutra/topology/genome.hpp"
#include "topology/example_genomes.hpp"

using namespace lutra::topology;
using lutra::test::mnist_like_genome;
using lutra::test::xor_genome;

namespace {

// validate(g) must throw genome_error at `where` with `problem` in its message.
void check_invalid(const genome& g, std::string_view where, std::string_view problem) {
    INFO("expected at ", where, ": ", problem);
    try {
        validate(g);
        FAIL("validate accepted it");
    } catch (const genome_error& e) {
        const std::string message = e.what();
        INFO("got: ", message);
        CHECK(e.where == where);
        CHECK(message.find(problem) != std::string::npos);
    }
}

projection_gene& projection(genome& g, std::size_t j) { return g.projections.at(j); }

}  // namespace

TEST_CASE("genome: the examples are valid and find() looks populations up") {
    CHECK_NOTHROW(validate(mnist_like_genome()));
    CHECK_NOTHROW(validate(xor_genome()));
    const genome g = mnist_like_genome();
    REQUIRE(g.find("h1") != nullptr);
    CHECK(g.find("h1")->size == 40);
    CHECK(g.find("input") == nullptr);
    CHECK(g.find("h") == nullptr);
    CHECK(g.num_input_bits() == 128);
}

TEST_CASE("genome: inputs are checked") {
    genome g = xor_genome();
    g.inputs.width = 0;
    check_invalid(g, "inputs.width", "expected an integer in 1..65536, got 0");
    g = xor_genome();
    g.inputs.height = 0;
    check_invalid(g, "inputs.height", "expected an integer in 1..65536, got 0");
    g = xor_genome();
    g.inputs.bits = 0;
    check_invalid(g, "inputs.bits", "expected an integer in 1..255, got 0");
    g.inputs.bits = 256;
    check_invalid(g, "inputs.bits", "expected an integer in 1..255, got 256");
    g.inputs = {4096, 4096, 1};
    check_invalid(g, "inputs", "16777216 input bits; there must be fewer than 2^24");
    g.inputs = {65536, 65536, 255};  // the product would overflow 32 bits: still caught
    check_invalid(g, "inputs", "fewer than 2^24");
    g.inputs = {4096, 4095, 1};
    CHECK_NOTHROW(validate(g));
}

TEST_CASE("genome: population genes are checked") {
    genome g = mnist_like_genome();
    g.populations.clear();
    check_invalid(g, "populations", "at least one population");

    g = mnist_like_genome();
    g.populations[1].name = "";
    check_invalid(g, "populations[1].name", "needs a name");
    g.populations[1].name = "input";
    check_invalid(g, "populations[1] 'input'.name", "'input' names the network's input bits");
    g.populations[1].name = "h 1";
    check_invalid(g, "populations[1] 'h 1'.name", "the character ' ' is not allowed");
    g.populations[1].name = "h\xc3\xa9";
    check_invalid(g, "populations[1] 'h\xc3\xa9'.name", "the character the byte 0xc3 is not allowed");
    g.populations[1].name = "v1";
    check_invalid(g, "populations[1] 'v1'.name", "already used by populations[0]");

    g = mnist_like_genome();
    g.populations[2].size = 0;
    check_invalid(g, "populations[2] 'out'.size", "expected an integer in 1..67108864, got 0");
    g = mnist_like_genome();
    g.populations[1].k = 0;
    check_invalid(g, "populations[1] 'h1'.k", "expected an integer in 1..16, got 0");
    g.populations[1].k = 17;
    check_invalid(g, "populations[1] 'h1'.k", "expected an integer in 1..16, got 17");

    g = mnist_like_genome();
    g.populations[2].grid = {0, 2};
    check_invalid(g, "populations[2] 'out'.layout", "height must be 1, not 2");
    g.populations[2].grid = {4, 4};
    check_invalid(g, "populations[2] 'out'.layout", "4 × 4 positions for 20 nodes");
    g.populations[2].grid = {5, 4};
    CHECK_NOTHROW(validate(g));

    g = mnist_like_genome();
    g.populations[0].init.kind = "randm";
    check_invalid(g, "populations[0] 'v1'.init.kind",
                  "expected one of random, constant, copy, majority, function, got 'randm' (did you mean 'random'?)");
    g = mnist_like_genome();
    g.populations[0].init.p_one = 1.5;
    check_invalid(g, "populations[0] 'v1'.init.p_one", "expected a number in 0.0..1.0, got 1.5");
    g.populations[0].init.p_one = std::numeric_limits<double>::quiet_NaN();
    check_invalid(g, "populations[0] 'v1'.init.p_one", "expected a number in 0.0..1.0, got .nan");
    g = mnist_like_genome();
    g.populations[0].init.function = "xorr";
    check_invalid(g, "populations[0] 'v1'.init.function", "(did you mean 'xor'?)");

    g = mnist_like_genome();
    g.populations[0].size = 1U << 26;
    g.populations[0].grid = {0, 1};
    check_invalid(g, "populations[1] 'h1'.size", "at most 2^26");
}

TEST_CASE("genome: projection genes are checked") {
    genome g = mnist_like_genome();
    projection(g, 1).target = "h2";
    check_invalid(g, "projections[1].target", "'h2' is not a population; valid: v1, h1, out (did you mean 'h1'?)");

    g = mnist_like_genome();
    projection(g, 1).sources.clear();
    check_invalid(g, "projections[1].sources", "at least one source");
    projection(g, 1).sources = {"v1", "inptu"};
    check_invalid(g, "projections[1].sources[1]",
                  "'inptu' is neither a population nor 'input'; valid: input, v1, h1, out (did you mean 'input'?)");
    projection(g, 1).sources = {"v1", "v1"};
    check_invalid(g, "projections[1].sources[1]", "'v1' is already sources[0]");

    g = mnist_like_genome();
    projection(g, 5).rule = "recurent";
    check_invalid(g, "projections[5].rule",
                  "expected one of random, receptive_field, lateral, recurrent, got 'recurent' (did you mean 'recurrent'?)");

    g = mnist_like_genome();
    projection(g, 1).slots = 7;
    check_invalid(g, "projections[1].slots", "7 is more than the k = 6 of 'h1'");

    g = mnist_like_genome();
    projection(g, 0).radius = 0;
    check_invalid(g, "projections[0].radius", "a receptive_field projection needs one > 0 and finite");
    projection(g, 0).radius = -1;
    check_invalid(g, "projections[0].radius", "expected a number in 0.0..1.0e+06, got -1.0");
    g = mnist_like_genome();
    projection(g, 3).radius = std::numeric_limits<double>::infinity();
    check_invalid(g, "projections[3].radius", "expected a number in 0.0..1.0e+06, got .inf");
    g = mnist_like_genome();
    projection(g, 1).radius = std::numeric_limits<double>::quiet_NaN();
    check_invalid(g, "projections[1].radius", "expected a number in 0.0..1.0e+06, got .nan");
    projection(g, 1).radius = 0;  // unused by the random rule
    CHECK_NOTHROW(validate(g));
}

TEST_CASE("genome: lateral and recurrent projections need their own sources and a delay") {
    genome g = mnist_like_genome();
    projection(g, 3).sources = {"v1"};
    check_invalid(g, "projections[3].sources", "a lateral projection reads its own target: sources must be ['h1']");
    projection(g, 3).sources = {"h1", "v1"};
    check_invalid(g, "projections[3].sources", "sources must be ['h1']");

    g = mnist_like_genome();
    projection(g, 3).delay = {"default", 0, 0};
    check_invalid(g, "projections[3].delay", "a lateral projection needs every delay ≥ 1");
    check_invalid(g, "projections[3].delay", "'default' takes the delay 0 of 'h1'");
    g.populations[1].delay = 2;  // "default" now resolves to 2
    CHECK_NOTHROW(validate(g));

    g = mnist_like_genome();
    projection(g, 5).delay = {"constant", 0, 0};
    check_invalid(g, "projections[5].delay", "a recurrent projection needs every delay ≥ 1");
    projection(g, 5).delay = {"uniform", 0, 3};
    check_invalid(g, "projections[5].delay", "uniform delays from 0");
    projection(g, 5).delay = {"uniform", 3, 2};
    check_invalid(g, "projections[5].delay", "uniform delays from 3 to 2; min must not exceed max");
    projection(g, 5).delay = {"constnt", 1, 1};
    check_invalid(g, "projections[5].delay.kind",
                  "expected one of default, constant, uniform, got 'constnt' (did you mean 'constant'?)");
}

TEST_CASE("genome: zero-delay loops are left to development") {
    genome g = mnist_like_genome();
    projection(g, 5).rule = "random";
    projection(g, 5).delay = {};
    CHECK_NOTHROW(validate(g));
}

TEST_CASE("genome: the slots of the projections into a population add up to its k") {
    genome g = mnist_like_genome();
    projection(g, 1).slots = 3;
    check_invalid(g, "populations[1] 'h1'",
                  "projections into 'h1' fill 5 of its k = 6 slots (projections[1]: 3, projections[2]: 1, "
                  "projections[3]: 1)");
    projection(g, 1).slots = 0;
    check_invalid(g, "projections[1].slots", "0 (all of k) is only for a population's only projection; 'h1' has 3");

    g = mnist_like_genome();
    projection(g, 0).slots = 6;  // the only projection may name all k explicitly
    CHECK_NOTHROW(validate(g));
    projection(g, 0).slots = 4;
    check_invalid(g, "populations[0] 'v1'", "projections into 'v1' fill 4 of its k = 6 slots");

    g = mnist_like_genome();
    g.projections.erase(g.projections.begin());
    check_invalid(g, "populations[0] 'v1'", "no projection fills its input slots; add a projection with target 'v1'");
}

TEST_CASE("genome: the head is checked") {
    genome g = mnist_like_genome();
    g.head.population = "outt";
    check_invalid(g, "head.population", "'outt' is not a population; valid: v1, h1, out (did you mean 'out'?)");
    g = mnist_like_genome();
    g.head.classes = 0;
    check_invalid(g, "head.classes", "expected an integer in 1..65535, got 0");
    g.head.classes = 3;
    check_invalid(g, "head", "'out' has 20 nodes, not a multiple of the 3 classes (each class gets an equal group); "
                             "the nearest valid sizes are 18 and 21");
    // A head with fewer outputs than classes: said so, with what would be valid.
    g.head.classes = 30;
    check_invalid(g, "head", "'out' has 20 nodes, fewer than the 30 classes; the head needs at least one output per "
                             "class: a size that is a multiple of 30 (30, 60, …) or fewer classes");
    g.head.classes = 20;
    CHECK_NOTHROW(validate(g));
}

TEST_CASE("genome: a genome_error's message names where") {
    genome g = mnist_like_genome();
    g.populations[1].k = 0;
    try {
        validate(g);
        FAIL("validate accepted k = 0");
    } catch (const genome_error& e) {
        CHECK(std::string(e.what()).rfind("genome: populations[1] 'h1'.k: ", 0) == 0);
    }
}
