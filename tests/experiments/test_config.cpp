#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/experiments/config.hpp"

using namespace lutra::experiments;

namespace {

// A config shaped like the real ones: nested sections, a choice, optionals,
// a list of sections and a list of scalars.

constexpr std::array<std::string_view, 3> encoder_kinds{"thermometer", "binary", "gray"};

struct encoder_params {
    std::string kind = "thermometer";
    std::uint8_t bits = 3;
    std::vector<double> thresholds;
    bool operator==(const encoder_params&) const = default;
};

void describe(config_visitor& v, encoder_params& p) {
    v.choice("kind", p.kind, encoder_kinds, "how a pixel becomes bits");
    v.field("bits", p.bits, "bits per pixel", 1, 255);
    v.list("thresholds", p.thresholds, "explicit thresholds, empty = quantiles");
}

struct data_params {
    std::string name = "mnist";
    std::optional<std::uint32_t> limit;
    encoder_params encoder;
    bool operator==(const data_params&) const = default;
};

void describe(config_visitor& v, data_params& p) {
    v.field("name", p.name, "dataset name");
    v.field("limit", p.limit, "use only the first samples; null = all", 1u);
    v.section("encoder", p.encoder, "how pixels become bits");
}

struct population {
    std::string name;
    std::uint32_t k = 6;
    std::int32_t delay = 0;
    double init_bias = 0.5;
    bool operator==(const population&) const = default;
};

void describe(config_visitor& v, population& p) {
    v.field("name", p.name, "population name");
    v.field("k", p.k, "inputs per node", 1, 16);
    v.field("delay", p.delay, "ticks", 0, 1000);
    v.field("init_bias", p.init_bias, "probability of a 1 entry", 0.0, 1.0);
}

struct genome_params {
    std::vector<population> populations{{"hidden", 6, 0, 0.5}, {"out", 6, 1, 0.5}};
    bool operator==(const genome_params&) const = default;
};

void describe(config_visitor& v, genome_params& p) { v.list("populations", p.populations, "the population genes"); }

struct test_config {
    std::uint64_t seed = 1;
    std::int64_t offset = -3;
    double learning_rate = 0.01;
    std::optional<double> momentum = 0.9;
    bool verbose = false;
    std::string note;
    data_params data;
    genome_params genome;
    std::vector<std::int32_t> widths;
    bool operator==(const test_config&) const = default;
};

void describe(config_visitor& v, test_config& c) {
    v.field("seed", c.seed, "random seed");
    v.field("offset", c.offset, "a signed value");
    v.field("learning_rate", c.learning_rate, "step size", 0.0);
    v.field("momentum", c.momentum, "null = plain SGD");
    v.field("verbose", c.verbose, "log more");
    v.field("note", c.note, "free text");
    v.section("data", c.data, "the dataset");
    v.section("genome", c.genome, "how the network grows");
    v.list("widths", c.widths, "layer widths");
}

test_config parse(std::string_view yaml, const std::vector<std::string>& overrides = {}) {
    return parse_config<test_config>(yaml, "test.yaml", overrides);
}

// The config_error that parsing throws, or nullopt when it throws none.
std::optional<config_error> error_of(std::string_view yaml, const std::vector<std::string>& overrides = {}) {
    try {
        (void)parse(yaml, overrides);
    } catch (const config_error& e) {
        return e;
    }
    return std::nullopt;
}

std::string message_of(std::string_view yaml, const std::vector<std::string>& overrides = {}) {
    const auto e = error_of(yaml, overrides);
    return e ? e->what() : "(no error)";
}

}  // namespace

TEST_CASE("config: an empty file or document gives every default") {
    for (const char* text : {"", "\n\n", "---\n", "# only a comment\n", "---\n...\n"}) {
        CAPTURE(text);
        CHECK(parse(text) == test_config{});
    }
    // A section with nothing under it keeps its defaults too.
    CHECK(parse("data:\ngenome:\n") == test_config{});
}

TEST_CASE("config: keys present are read, absent keys keep their defaults") {
    const test_config c = parse(R"(
seed: 7
note: hello
data:
  encoder:
    bits: 4
    thresholds: [0.25, 0.5]
genome:
  populations:
    - name: a
      k: 4
widths: [10, -2]
)");
    CHECK(c.seed == 7);
    CHECK(c.offset == -3);
    CHECK(c.momentum == 0.9);
    CHECK(c.note == "hello");
    CHECK(c.data.name == "mnist");
    CHECK(c.data.encoder.kind == "thermometer");
    CHECK(c.data.encoder.bits == 4);
    CHECK(c.data.encoder.thresholds == std::vector<double>{0.25, 0.5});
    // A list in YAML replaces the default list; its items start from the item defaults.
    REQUIRE(c.genome.populations.size() == 1);
    CHECK(c.genome.populations[0] == population{"a", 4, 0, 0.5});
    CHECK(c.widths == std::vector<std::int32_t>{10, -2});
}

TEST_CASE("config: load_config reads a file; a missing file is a config_error") {
    const std::filesystem::path dir = std::filesystem::path(LUTRA_TEST_DATA_DIR) / "config";
    const auto c = load_config<test_config>(dir / "example.yaml", std::vector<std::string>{"seed=43"});
    CHECK(c.seed == 43);
    CHECK(c.data.name == "fashion");
    CHECK(c.data.encoder == encoder_params{"gray", 2, {}});
    CHECK(c.genome.populations == std::vector<population>{{"hidden", 4, 0, 0.5}});

    const std::filesystem::path missing = dir / "no-such-config.yaml";
    CHECK_THROWS_WITH_AS((void)load_config<test_config>(missing), (missing.string() + ": no such file").c_str(),
                         config_error);
    try {
        (void)load_config<test_config>(missing);
    } catch (const config_error& e) {
        CHECK(e.file == missing.string());
        CHECK(e.line == 0);
        CHECK(e.problem == "no such file");
    }
    CHECK_THROWS_WITH_AS((void)load_config<test_config>(dir),
                         (dir.string() + ": is a directory, not a file").c_str(), config_error);
}

TEST_CASE("config: an unknown key is reported at its position with a suggestion and the valid keys") {
    const auto e = error_of("data:\n  encoder:\n    kind: gray\n    bitz: 4\n");
    REQUIRE(e);
    CHECK(std::string(e->what()) ==
          "test.yaml:4:5: data.encoder: unknown key 'bitz' (did you mean 'bits'?); valid keys: kind, bits, thresholds");
    CHECK(e->file == "test.yaml");
    CHECK(e->line == 4);
    CHECK(e->column == 5);
    CHECK(e->yaml_path == "data.encoder");
    CHECK(e->problem == "unknown key 'bitz' (did you mean 'bits'?); valid keys: kind, bits, thresholds");

    CHECK(message_of("seed: 1\nsed: 3\n") ==
          "test.yaml:2:1: unknown key 'sed' (did you mean 'seed'?); valid keys: seed, offset, learning_rate, "
          "momentum, verbose, note, data, genome, widths");
    CHECK(message_of("genome:\n  populations:\n    - name: x\n    - nam: y\n") ==
          "test.yaml:4:7: genome.populations[1]: unknown key 'nam' (did you mean 'name'?); valid keys: name, k, "
          "delay, init_bias");
    // Nothing close: no suggestion.
    CHECK(message_of("data:\n  colour: red\n") ==
          "test.yaml:2:3: data: unknown key 'colour'; valid keys: name, limit, encoder");
    // A mis-indented key lands in the parent, where it is unknown.
    CHECK(message_of("data:\n  encoder:\n  bits: 3\n") ==
          "test.yaml:3:3: data: unknown key 'bits'; valid keys: name, limit, encoder");
}

TEST_CASE("config: a value of the wrong type or out of range names the path and what was expected") {
    const std::string bits = "data:\n  encoder:\n    bits: ";
    const std::string at_bits = "test.yaml:3:11: data.encoder.bits: expected an integer in 1..255, got ";
    CHECK(message_of(bits + "three\n") == at_bits + "'three'");
    CHECK(message_of(bits + "300\n") == at_bits + "300");
    CHECK(message_of(bits + "0\n") == at_bits + "0");
    CHECK(message_of(bits + "-1\n") == at_bits + "-1");
    // Integers are decimal literals only.
    CHECK(message_of(bits + "3.5\n") == at_bits + "'3.5'");
    CHECK(message_of(bits + "1e3\n") == at_bits + "'1e3'");
    CHECK(message_of(bits + "0x10\n") == at_bits + "'0x10'");
    CHECK(message_of(bits + "{a: 1}\n") == at_bits + "a mapping");
    CHECK(message_of(bits + "[1]\n") == at_bits + "a sequence");
    // An empty value is reported at its key.
    CHECK(message_of(bits + "\n") == "test.yaml:3:5: data.encoder.bits: expected an integer in 1..255, got null");

    CHECK(message_of("verbose: yes\n") == "test.yaml:1:10: verbose: expected true or false, got 'yes'");
    CHECK(message_of("verbose: 1\n") == "test.yaml:1:10: verbose: expected true or false, got '1'");
    CHECK(message_of("seed: -1\n") == "test.yaml:1:7: seed: expected an integer in 0..18446744073709551615, got -1");
    CHECK(message_of("seed: 18446744073709551616\n") ==
          "test.yaml:1:7: seed: expected an integer in 0..18446744073709551615, got 18446744073709551616");
    CHECK(message_of("offset: 9223372036854775808\n") ==
          "test.yaml:1:9: offset: expected an integer in -9223372036854775808..9223372036854775807, got "
          "9223372036854775808");
    CHECK(message_of("learning_rate: fast\n") == "test.yaml:1:16: learning_rate: expected a number >= 0.0, got 'fast'");
    CHECK(message_of("learning_rate: -0.5\n") == "test.yaml:1:16: learning_rate: expected a number >= 0.0, got -0.5");
    CHECK(message_of("learning_rate: .nan\n") == "test.yaml:1:16: learning_rate: expected a number >= 0.0, got '.nan'");
    CHECK(message_of("learning_rate: inf\n") == "test.yaml:1:16: learning_rate: expected a number >= 0.0, got 'inf'");
    CHECK(message_of("learning_rate: 1e999\n") ==
          "test.yaml:1:16: learning_rate: expected a number >= 0.0, got 1e999 (beyond the range of a double)");
    CHECK(message_of("momentum: high\n") == "test.yaml:1:11: momentum: expected a number, got 'high'");
    CHECK(message_of("note: {a: 1}\n") == "test.yaml:1:7: note: expected a string, got a mapping");
    CHECK(message_of("note:\n") == "test.yaml:1:1: note: expected a string, got null");
    CHECK(message_of("note: ~\n") == "test.yaml:1:1: note: expected a string, got null");
    CHECK(message_of("data: 3\n") == "test.yaml:1:7: data: expected a mapping of keys, got '3'");
    CHECK(message_of("genome:\n  populations: 3\n") ==
          "test.yaml:2:16: genome.populations: expected a sequence ([] for an empty list), got '3'");
    CHECK(message_of("genome:\n  populations:\n    - 3\n") ==
          "test.yaml:3:7: genome.populations[0]: expected a mapping of keys, got '3'");
    CHECK(message_of("genome:\n  populations:\n    - k: 17\n") ==
          "test.yaml:3:10: genome.populations[0].k: expected an integer in 1..16, got 17");
    CHECK(message_of("widths: [1, x]\n") ==
          "test.yaml:1:13: widths[1]: expected an integer in -2147483648..2147483647, got 'x'");
    CHECK(message_of("data:\n  encoder:\n    kind: binray\n") ==
          "test.yaml:3:11: data.encoder.kind: expected one of thermometer, binary, gray, got 'binray' (did you mean "
          "'binary'?)");
    CHECK(message_of("data:\n  encoder:\n    kind: 4\n") ==
          "test.yaml:3:11: data.encoder.kind: expected one of thermometer, binary, gray, got '4'");
    CHECK(message_of("- 1\n- 2\n") == "test.yaml:1:1: expected a mapping of keys, got a sequence");
    CHECK(message_of("seed: 1\n[a]: 2\n") == "test.yaml:2:1: keys must be names, got a sequence as a key");
}

TEST_CASE("config: numbers cover their whole range; doubles take integers, exponents and .inf") {
    const test_config c = parse("seed: 18446744073709551615\noffset: -9223372036854775808\n");
    CHECK(c.seed == std::numeric_limits<std::uint64_t>::max());
    CHECK(c.offset == std::numeric_limits<std::int64_t>::min());
    CHECK(parse("seed: +5\n").seed == 5);
    CHECK(parse("seed: -0\n").seed == 0);
    CHECK(parse("offset: 9223372036854775807\n").offset == std::numeric_limits<std::int64_t>::max());
    CHECK(parse("learning_rate: 3\n").learning_rate == 3.0);
    CHECK(parse("learning_rate: 1e-3\n").learning_rate == 0.001);
    CHECK(parse("learning_rate: .5\n").learning_rate == 0.5);
    CHECK(parse("learning_rate: .inf\n").learning_rate == std::numeric_limits<double>::infinity());
    CHECK(parse("momentum: -.Inf\n").momentum == -std::numeric_limits<double>::infinity());
    CHECK(parse("verbose: True\n").verbose);
    CHECK(!parse("verbose: false\n").verbose);
    // Strings take any scalar as its text.
    CHECK(parse("note: 12\n").note == "12");
    CHECK(parse("note: ''\n").note.empty());
}

TEST_CASE("config: an optional is emptied by null and kept when absent") {
    CHECK(parse("").data.limit == std::nullopt);
    CHECK(parse("data:\n  limit: 100\n").data.limit == 100u);
    CHECK(parse("data:\n  limit: 100\n", {"data.limit=null"}).data.limit == std::nullopt);
    CHECK(parse("momentum: 0.5\n").momentum == 0.5);
    CHECK(parse("").momentum == 0.9);
    CHECK(parse("momentum: null\n").momentum == std::nullopt);
    CHECK(parse("momentum: ~\n").momentum == std::nullopt);
    CHECK(parse("momentum:\n").momentum == std::nullopt);
    // The range of an optional applies to its value.
    CHECK(message_of("data:\n  limit: 0\n") ==
          "test.yaml:2:10: data.limit: expected an integer in 1..4294967295, got 0");
}

TEST_CASE("config: a duplicate key is an error at its second occurrence") {
    const auto e = error_of("seed: 1\nverbose: true\nseed: 2\n");
    REQUIRE(e);
    CHECK(std::string(e->what()) == "test.yaml:3:1: duplicate key 'seed' (first at line 1)");
    CHECK(e->line == 3);
    CHECK(message_of("data:\n  encoder:\n    bits: 1\n    kind: gray\n    bits: 2\n") ==
          "test.yaml:5:5: data.encoder: duplicate key 'bits' (first at line 3)");
}

TEST_CASE("config: YAML syntax errors carry yaml-cpp's position and message") {
    const auto e = error_of("seed: 1\ndata:\n  encoder: [1, 2\n");
    REQUIRE(e);
    CHECK(e->file == "test.yaml");
    CHECK(e->line == 4);
    CHECK(e->yaml_path.empty());
    CHECK(std::string(e->what()) == "test.yaml:4:1: invalid YAML: end of sequence flow not found");
    CHECK(message_of("a: b: c\n") == "test.yaml:1:5: invalid YAML: illegal map value");
    CHECK(message_of("seed: 1\n---\nseed: 2\n") == "test.yaml:3:1: expected one YAML document, found 2");
    // yaml-cpp's LoadAll never returned on this (tests/fuzz found it).
    CHECK(message_of(",") == "test.yaml:1:1: invalid YAML: cannot read on from here (',' is out of place)");
}

TEST_CASE("config: overrides apply in order after the file, and may create what the file lacks") {
    CHECK(parse("seed: 1\n", {"seed=7", "seed=8"}).seed == 8);

    const test_config c = parse("seed: 1\n", {"data.encoder.kind=gray", "data.encoder.bits=4", "note='a: b'"});
    CHECK(c.data.encoder == encoder_params{"gray", 4, {}});
    CHECK(c.note == "a: b");

    // An override applies to the resolved config: list indices address the default items too.
    const test_config g = parse("", {"genome.populations[0].k=5", "genome.populations[2].name=extra",
                                     "genome.populations[3]={name: last, delay: 2}"});
    REQUIRE(g.genome.populations.size() == 4);
    CHECK(g.genome.populations[0] == population{"hidden", 5, 0, 0.5});
    CHECK(g.genome.populations[1] == population{"out", 6, 1, 0.5});
    CHECK(g.genome.populations[2] == population{"extra", 6, 0, 0.5});
    CHECK(g.genome.populations[3] == population{"last", 6, 2, 0.5});

    // A whole list is replaced; a section given as a mapping is merged.
    CHECK(parse("widths: [1]\n", {"widths=[4, 5]", "widths[2]=6"}).widths == std::vector<std::int32_t>{4, 5, 6});
    CHECK(parse("data:\n  encoder:\n    kind: gray\n", {"data.encoder={bits: 5}"}).data.encoder ==
          encoder_params{"gray", 5, {}});
    CHECK(parse("", {"genome.populations=[]"}).genome.populations.empty());
}

TEST_CASE("config: malformed overrides name the text and the expected form") {
    const std::string form = "; expected path=value, e.g. data.encoder.bits=4";
    CHECK(message_of("", {"seed"}) == "--set seed: malformed override (no '=')" + form);
    CHECK(message_of("", {"=3"}) == "--set =3: malformed override (empty path)" + form);
    CHECK(message_of("", {"a..b=1"}) == "--set a..b=1: malformed override (empty key in 'a..b')" + form);
    CHECK(message_of("", {"data.=1"}) == "--set data.=1: malformed override (empty key in 'data.')" + form);
    CHECK(message_of("", {"a b=1"}) == "--set a b=1: malformed override (' ' in key 'a b')" + form);
    CHECK(message_of("", {"widths[x]=1"}) ==
          "--set widths[x]=1: malformed override (an index must be a number in [ ], e.g. widths[0])" + form);
    CHECK(message_of("", {"widths[0=1"}) ==
          "--set widths[0=1: malformed override (an index must be a number in [ ], e.g. widths[0])" + form);
    CHECK(message_of("", {"widths[0]x=1"}) ==
          "--set widths[0]x=1: malformed override (expected '.' after ']' in 'widths[0]x')" + form);
    CHECK(message_of("", {"seed=[1"}) == "--set seed=[1: the value is not valid YAML: end of sequence flow not found");
}

TEST_CASE("config: override errors read like file errors with --set as the location") {
    const auto e = error_of("", {"seed=3", "data.encoder.bitz=4"});
    REQUIRE(e);
    CHECK(std::string(e->what()) ==
          "--set data.encoder.bitz=4: data.encoder: unknown key 'bitz' (did you mean "
          "'bits'?); valid keys: kind, bits, thresholds");
    CHECK(e->file == "--set data.encoder.bitz=4");
    CHECK(e->line == 0);
    CHECK(e->column == 0);
    CHECK(e->yaml_path == "data.encoder");

    CHECK(message_of("", {"data.encoder.bits=three"}) ==
          "--set data.encoder.bits=three: data.encoder.bits: expected an integer in 1..255, got 'three'");
    CHECK(message_of("", {"data.encoder.bits=300"}) ==
          "--set data.encoder.bits=300: data.encoder.bits: expected an integer in 1..255, got 300");
    CHECK(message_of("", {"data.encoder={bitz: 1}"}) ==
          "--set data.encoder={bitz: 1}: data.encoder: unknown key 'bitz' (did you mean 'bits'?); valid keys: kind, "
          "bits, thresholds");
    CHECK(message_of("", {"genome.populations[0].k=99"}) ==
          "--set genome.populations[0].k=99: genome.populations[0].k: expected an integer in 1..16, got 99");
    CHECK(message_of("", {"note="}) == "--set note=: note: expected a string, got null");
    CHECK(message_of("", {"sed=1"}) ==
          "--set sed=1: unknown key 'sed' (did you mean 'seed'?); valid keys: seed, offset, learning_rate, momentum, "
          "verbose, note, data, genome, widths");
    CHECK(message_of("", {"seed.x=1"}) == "--set seed.x=1: seed: is not a section, so it has no key 'x'");
    CHECK(message_of("", {"seed[0]=1"}) == "--set seed[0]=1: seed: is not a list, so it takes no [index]");
    CHECK(message_of("", {"genome.populations.k=1"}) ==
          "--set genome.populations.k=1: genome.populations: is a list, so 'k' needs an item index first, e.g. "
          "genome.populations[0].k");
    CHECK(message_of("", {"genome.populations[5].k=1"}) ==
          "--set genome.populations[5].k=1: genome.populations: index 5 is out of range: the list has 2 items ([2] "
          "appends one)");
    CHECK(message_of("widths: [1]\n", {"widths[0].x=1"}) ==
          "--set widths[0].x=1: widths[0]: is not a section, so it has no key 'x'");
    // The file is checked before the overrides run.
    CHECK(message_of("seed: x\n", {"seed=1"}) ==
          "test.yaml:1:7: seed: expected an integer in 0..18446744073709551615, got 'x'");
}

TEST_CASE("config: to_yaml round-trips every field") {
    test_config x;
    x.seed = std::numeric_limits<std::uint64_t>::max();
    x.offset = std::numeric_limits<std::int64_t>::min();
    x.learning_rate = 0.1;
    x.momentum = std::nullopt;
    x.verbose = true;
    x.note = "a: b # not a comment";
    x.data.name = "";
    x.data.limit = 60000;
    const double inf = std::numeric_limits<double>::infinity();
    x.data.encoder = {"gray", 255, {0.1, 1.0 / 3, 2.5e-8, 1e300, -1e-300, 5e-324, -0.0, 1.0, inf, -inf}};
    // Strings that need quoting in YAML, or would read as another type.
    const std::vector<std::string> names{
        "#x",  "  leading space", "trailing ", "null",      "~",   "true",       "3",   "- x",  "[x]", "{x}",
        "'q'", "\"dq\"",          "a\nb",      "tab\there", "é ü", "key: value", "yes", "0x10", "-.5", "1_000"};
    x.genome.populations.clear();
    for (const std::string& name : names) x.genome.populations.push_back({name, 16, 0, 1.0 / 7});
    x.genome.populations.push_back({"max", 1, 1000, 0.0});
    x.widths = {-1, 0, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()};

    const std::string yaml = to_yaml(x);
    CAPTURE(yaml);
    const test_config back = parse(yaml);
    CHECK(back == x);
    CHECK(std::signbit(back.data.encoder.thresholds[6]));  // -0.0 == 0.0, so check the sign bit itself
    CHECK(parse(to_yaml(test_config{})) == test_config{});
    CHECK(to_yaml(back) == yaml);
    // Strings other YAML readers would take for a bool or a number are quoted.
    CHECK(yaml.find("- name: \"true\"\n") != std::string::npos);
    CHECK(yaml.find("- name: \"3\"\n") != std::string::npos);
}

TEST_CASE("config: to_yaml writes every field in declaration order with its doc") {
    CHECK(to_yaml(encoder_params{"binary", 2, {0.5, 0.75}}) == R"(kind: binary  # how a pixel becomes bits
bits: 2  # bits per pixel
thresholds:  # explicit thresholds, empty = quantiles
  - 0.5
  - 0.75
)");
    CHECK(to_yaml(test_config{}) == R"(seed: 1  # random seed
offset: -3  # a signed value
learning_rate: 0.01  # step size
momentum: 0.9  # null = plain SGD
verbose: false  # log more
note: ""  # free text
data:  # the dataset
  name: mnist  # dataset name
  limit: null  # use only the first samples; null = all
  encoder:  # how pixels become bits
    kind: thermometer  # how a pixel becomes bits
    bits: 3  # bits per pixel
    thresholds: []  # explicit thresholds, empty = quantiles
genome:  # how the network grows
  populations:  # the population genes
    - name: hidden  # population name
      k: 6  # inputs per node
      delay: 0  # ticks
      init_bias: 0.5  # probability of a 1 entry
    - name: out
      k: 6
      delay: 1
      init_bias: 0.5
widths: []  # layer widths
)");
}

TEST_CASE("config: list_keys gives every path with its type, doc and default") {
    const std::vector<config_key_doc> keys = list_keys<test_config>();
    std::vector<std::string> paths;
    for (const auto& k : keys) paths.push_back(k.path);
    CHECK(paths == std::vector<std::string>{"seed",
                                            "offset",
                                            "learning_rate",
                                            "momentum",
                                            "verbose",
                                            "note",
                                            "data",
                                            "data.name",
                                            "data.limit",
                                            "data.encoder",
                                            "data.encoder.kind",
                                            "data.encoder.bits",
                                            "data.encoder.thresholds",
                                            "genome",
                                            "genome.populations",
                                            "genome.populations[].name",
                                            "genome.populations[].k",
                                            "genome.populations[].delay",
                                            "genome.populations[].init_bias",
                                            "widths"});
    const auto row = [&](std::string_view path) {
        for (const auto& k : keys)
            if (k.path == path) return k;
        return config_key_doc{};
    };
    CHECK(row("seed").type == "integer in 0..18446744073709551615");
    CHECK(row("seed").doc == "random seed");
    CHECK(row("seed").default_value == "1");
    CHECK(row("learning_rate").type == "number >= 0.0");
    CHECK(row("learning_rate").default_value == "0.01");
    CHECK(row("momentum").type == "number or null");
    CHECK(row("momentum").default_value == "0.9");
    CHECK(row("verbose").type == "bool");
    CHECK(row("note").type == "string");
    CHECK(row("note").default_value == "\"\"");
    CHECK(row("data").type == "section");
    CHECK(row("data").doc == "the dataset");
    CHECK(row("data.limit").type == "integer in 1..4294967295 or null");
    CHECK(row("data.limit").default_value == "null");
    CHECK(row("data.encoder.kind").type == "one of thermometer, binary, gray");
    CHECK(row("data.encoder.kind").default_value == "thermometer");
    CHECK(row("data.encoder.thresholds").type == "list; items: number");
    CHECK(row("genome.populations").type == "list; items: section");
    CHECK(row("genome.populations[].init_bias").type == "number in 0.0..1.0");
    CHECK(row("genome.populations[].k").doc == "inputs per node");
    CHECK(row("widths").type == "list; items: integer in -2147483648..2147483647");
}

TEST_CASE("config: every error message starts with its location, then the YAML path") {
    struct bad_input {
        const char* yaml;
        int line;
        int column;
        const char* path;
    };
    const bad_input cases[] = {
        {"sed: 1\n", 1, 1, ""},
        {"seed: 1\nseed: 2\n", 2, 1, ""},
        {"seed: [1\n", 2, 1, ""},
        {"seed: x\n", 1, 7, "seed"},
        {"data:\n  encoder:\n    bitz: 1\n", 3, 5, "data.encoder"},
        {"data:\n  encoder:\n    bits: 0\n", 3, 11, "data.encoder.bits"},
        {"data:\n  encoder:\n    kind: grey\n", 3, 11, "data.encoder.kind"},
        {"data:\n  limit: x\n", 2, 10, "data.limit"},
        {"data: [1]\n", 1, 7, "data"},
        {"genome:\n  populations:\n    - k: 0\n", 3, 10, "genome.populations[0].k"},
        {"genome:\n  populations:\n    - name: a\n    - delay: x\n", 4, 14, "genome.populations[1].delay"},
        {"widths: {a: 1}\n", 1, 9, "widths"},
    };
    for (const bad_input& c : cases) {
        CAPTURE(c.yaml);
        const auto e = error_of(c.yaml);
        REQUIRE(e);
        CHECK(e->file == "test.yaml");
        CHECK(e->line == c.line);
        CHECK(e->column == c.column);
        CHECK(e->yaml_path == c.path);
        const std::string location = "test.yaml:" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": ";
        const std::string path = *c.path ? std::string(c.path) + ": " : std::string();
        CHECK(std::string(e->what()) == location + path + e->problem);
        CHECK(!e->problem.empty());
    }
}

TEST_CASE("config: a quote never closed is an error where it opened, not the rest of the file swallowed") {
    // yaml-cpp ends such a scalar at the end of the text: seed and note would vanish into it.
    for (const char* text : {"note: \"hello\nseed: 7\n", "seed: 7\nnote: 'it\nverbose: true\n"}) {
        CAPTURE(text);
        const auto e = error_of(text);
        REQUIRE(e);
        CHECK(e->problem.find("is never closed") != std::string::npos);
        CHECK(e->line == (text[0] == 'n' ? 1 : 2));
        CHECK(e->column == 7);
    }
    // Closed quotes, escaped and doubled quote characters inside them, and quotes inside plain text are fine.
    CHECK(parse("note: \"say \\\"hi\\\"\"\nseed: 7\n").note == "say \"hi\"");
    CHECK(parse("note: 'it''s'\nseed: 7\n").seed == 7);
    CHECK(parse("note: it's\nseed: 7\n").note == "it's");
    CHECK(parse("note: \"two\n  lines\"\nseed: 7\n").seed == 7);
}

TEST_CASE("config: a long scalar in a message is cut to its start") {
    const std::string long_text(5000, 'A');
    const std::string message = message_of("data: " + long_text + "\n");
    CHECK(message.find("data: expected a mapping of keys, got 'AAAA") != std::string::npos);
    CHECK(message.find("(5000 characters)") != std::string::npos);
    CHECK(message.size() < 300);
}

TEST_CASE("config: first_difference names the first path where two YAML texts differ") {
    const char* base = "seed: 1\ntrain:\n  optimizer: {learning_rate: 0.03, kind: adam}\n  batch_size: 64\nlist: [1, 2]\n";
    CHECK_FALSE(first_difference(base, "a", base, "b"));
    // Formatting and comments do not count; values, keys and lengths do.
    CHECK_FALSE(first_difference(base, "a",
                                 "seed: 1   # x\ntrain: {optimizer: {learning_rate: 0.03, kind: adam}, batch_size: 64}\n"
                                 "list:\n  - 1\n  - 2\n",
                                 "b"));
    CHECK(first_difference(base, "a",
                           "seed: 1\ntrain:\n  optimizer: {learning_rate: 0.1, kind: adam}\n  batch_size: 32\n"
                           "list: [1, 2]\n",
                           "b") == "train.optimizer.learning_rate");
    CHECK(first_difference(base, "a", "seed: 1\ntrain:\n  optimizer: {learning_rate: 0.03, kind: adam}\n  batch_size: 64\nlist: [1, 3]\n", "b") ==
          "list[1]");
    CHECK(first_difference(base, "a", "seed: 1\ntrain:\n  optimizer: {learning_rate: 0.03, kind: adam}\n  batch_size: 64\nlist: [1]\n", "b") ==
          "list");
    CHECK(first_difference("seed: 1\n", "a", "seed: 1\nextra: 2\n", "b") == "extra");
    CHECK_THROWS_AS((void)first_difference("seed: [", "a", base, "b"), config_error);
}

TEST_CASE("config: an override whose quote never closes is refused") {
    // yaml-cpp refuses an open quote at the end of one line itself, but not one followed by a line break.
    const auto e = error_of("seed: 1\n", {"note=\"hello\n"});
    REQUIRE(e);
    CHECK(e->file == "--set note=\"hello\n");
    CHECK(e->problem.find("is never closed") != std::string::npos);
}
