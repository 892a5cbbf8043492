#pragma once
// YAML configuration (DESIGN §9, §10). Each config struct declares its schema
// once, in a describe() function found by argument-dependent lookup (so it
// may live in the struct's namespace or in lutra::experiments):
//
//     void describe(config_visitor& v, encoder_params& p) {
//         v.choice("kind", p.kind, encoder_kinds, "how a pixel becomes bits");
//         v.field("bits", p.bits, "bits per pixel", 1, 255);
//     }
//
// The same function then reads YAML (with --set overrides), writes the
// resolved YAML and lists every key, so the three cannot disagree. Unknown
// keys, wrong types and values out of range are errors that name the file,
// line, column and YAML path (docs/configuration.md). No YAML type appears
// here: yaml-cpp stays inside config.cpp.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/core/schema.hpp"

namespace lutra::experiments {

// A config that cannot be read: the message is "LOCATION: PATH: PROBLEM",
// LOCATION being "file:line:column" (or just "file" when line is 0) and
// PATH omitted for the document as a whole.
struct config_error : lutra::error {
    config_error(std::string file, int line, int column, std::string yaml_path, const std::string& problem);
    std::string file;       // the path as given, parse_config's source name, or "--set TEXT" for an override
    int line;               // 1-based; 0 = no line (missing file, override)
    int column;             // 1-based; 0 = no column
    std::string yaml_path;  // e.g. "data.encoder.bits", "genome.populations[2].k"; "" = the document
    std::string problem;    // what is wrong and what would be valid
};

// The schema visitor lives in core beside the structs it describes; YAML
// reading, writing and key listing are visitors of it here.
using config_visitor = core::schema_visitor;
using core::describable;
using core::describe_fn;

// One valid key, for `lutra config keys` and the docs.
struct config_key_doc {
    std::string path;           // "data.encoder.bits"; keys inside list items read "genome.populations[].k"
    std::string type;           // "integer in 1..255", "number", "bool", "string", "one of a, b",
                                // "section", "list; items: section" ...; optionals add " or null"
    std::string doc;            // the describe() text
    std::string default_value;  // the default as YAML for scalars and optionals; "" for sections and lists
};

// Where a config came from, to point at a YAML path that a library found
// wrong after the config was read (a schema_error's path, a population a rule
// cannot train): the --set override that set it, else the file with the line
// and column of the path's deepest node that the file has.
struct config_source {
    std::filesystem::path file;
    std::vector<std::string> overrides;
    std::filesystem::path genome_file;  // the genome's own file when the config names one, else empty

    [[nodiscard]] config_error error_at(const std::string& yaml_path, const std::string& problem) const;
    // A path inside the genome: "genome.<path>" of the config, or <path> of
    // the genome file; an empty path is the genome as a whole.
    [[nodiscard]] config_error genome_error_at(const std::string& genome_path, const std::string& problem) const;
};

// The type-erased forms the templates below wrap; describe_root describes
// the object to fill (or write, or list).
void load_config_into(const std::filesystem::path& file, std::span<const std::string> overrides,
                      const describe_fn& describe_root);
void parse_config_into(std::string_view yaml_text, std::string_view source_name, std::span<const std::string> overrides,
                       const describe_fn& describe_root);
[[nodiscard]] std::string config_to_yaml(const describe_fn& describe_root);
// Lists need an item to list their keys, so empty lists of the described
// object get one default item: describe a throwaway object.
[[nodiscard]] std::vector<config_key_doc> config_keys(const describe_fn& describe_root);

// The YAML path ("train.optimizer.learning_rate", "genome.populations[1]")
// of the first value, in document order, where two YAML texts differ; a key
// only one has, or a list of another length, is a difference at the key.
// nullopt when they hold the same values. Throws config_error when either is
// not valid YAML (named by name_a or name_b).
[[nodiscard]] std::optional<std::string> first_difference(std::string_view yaml_a, std::string_view name_a,
                                                          std::string_view yaml_b, std::string_view name_b);

// Reads a YAML file over T's defaults, then applies the --set overrides
// ("path=value", value parsed as YAML) in order. Throws config_error only:
// for a missing or unreadable file, bad YAML, unknown keys, bad values and
// malformed overrides.
template <describable T>
[[nodiscard]] T load_config(const std::filesystem::path& file, std::span<const std::string> overrides = {}) {
    T root{};
    load_config_into(file, overrides, [&root](config_visitor& v) { describe(v, root); });
    return root;
}

// As load_config, from text; source_name stands in for the file name in errors.
template <describable T>
[[nodiscard]] T parse_config(std::string_view yaml_text, std::string_view source_name,
                             std::span<const std::string> overrides = {}) {
    T root{};
    parse_config_into(yaml_text, source_name, overrides, [&root](config_visitor& v) { describe(v, root); });
    return root;
}

// Every field in declaration order, each with its doc as a trailing comment;
// parse_config(to_yaml(x)) == x.
template <describable T>
[[nodiscard]] std::string to_yaml(const T& root) {
    T copy = root;  // the visitor interface takes values by reference
    return config_to_yaml([&copy](config_visitor& v) { describe(v, copy); });
}

// Every valid key path of T, in declaration order, with type, doc and default.
template <describable T>
[[nodiscard]] std::vector<config_key_doc> list_keys() {
    // On the heap: GCC 12 at -O3 inlines the defaults of a large settings
    // struct into this frame and then warns that its strings "may be used
    // uninitialized" (a false positive, like GCC bug 105651).
    const auto root = std::make_unique<T>();
    return config_keys([&root](config_visitor& v) { describe(v, *root); });
}

// A value given as YAML text (a swept parameter's, `--set`'s right side),
// read as a config file's scalar is: `text` is a scalar's content (quotes
// gone), or the text itself for a list, a map or what does not parse.
// A plain (unquoted) scalar that the config reader takes as a number has
// `number`, and one that is an integer literal within int64 `integer` too;
// "0.5", "1e-3", "-.inf" and "7" are numbers, "'7'", "true" and "mnist" are not.
struct yaml_scalar {
    std::string text;
    std::optional<double> number;
    std::optional<std::int64_t> integer;
};
[[nodiscard]] yaml_scalar read_yaml_scalar(std::string_view yaml_text);

}  // namespace lutra::experiments
