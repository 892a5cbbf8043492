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
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "lutra/core/error.hpp"

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

class config_visitor;

// The integer types a field may have: any but bool, which reads true/false.
template <class T>
concept config_integer = std::integral<T> && !std::same_as<T, bool>;

// Describes one object (a whole config or a section) to a visitor.
using describe_fn = std::function<void(config_visitor&)>;

// One valid key, for `lutra config keys` and the docs.
struct config_key_doc {
    std::string path;           // "data.encoder.bits"; keys inside list items read "genome.populations[].k"
    std::string type;           // "integer in 1..255", "number", "bool", "string", "one of a, b",
                                // "section", "list; items: section" ...; optionals add " or null"
    std::string doc;            // the describe() text
    std::string default_value;  // the default as YAML for scalars and optionals; "" for sections and lists
};

// The visitor every config struct is described to. describe() calls the
// public members; reading, writing and listing implement the four protected
// primitives they forward to.
class config_visitor {
public:
    // A scalar field, type-erased for the primitives. Integers travel as
    // 64-bit values with the field's range, which never exceeds its type's.
    struct signed_field {
        std::int64_t* value;
        std::int64_t min;
        std::int64_t max;
    };
    struct unsigned_field {
        std::uint64_t* value;
        std::uint64_t min;
        std::uint64_t max;
    };
    struct double_field {
        double* value;
        double min;
        double max;
    };
    struct choice_field {
        std::string* value;
        std::span<const std::string_view> valid;  // in the order error messages list them
    };
    using scalar = std::variant<bool*, signed_field, unsigned_field, double_field, std::string*, choice_field>;

    // A std::vector of sections or scalars, type-erased for the primitives.
    class list_items {
    public:
        virtual ~list_items() = default;
        [[nodiscard]] virtual std::size_t size() const = 0;
        virtual void resize(std::size_t n) = 0;  // items added are value-initialised
        // Describes item i to v as the single value of `key`: v.section(...) or v.field(...).
        virtual void describe_item(config_visitor& v, std::size_t i, std::string_view key, std::string_view doc) = 0;
    };

    virtual ~config_visitor() = default;

    void field(std::string_view key, bool& value, std::string_view doc) { visit_scalar(key, &value, doc); }

    // Values outside [min, max] are errors.
    template <config_integer T>
    void field(std::string_view key, T& value, std::string_view doc,
               std::type_identity_t<T> min = std::numeric_limits<T>::min(),
               std::type_identity_t<T> max = std::numeric_limits<T>::max());

    void field(std::string_view key, double& value, std::string_view doc,
               double min = -std::numeric_limits<double>::infinity(),
               double max = std::numeric_limits<double>::infinity()) {
        visit_scalar(key, double_field{&value, min, max}, doc);
    }

    void field(std::string_view key, std::string& value, std::string_view doc) { visit_scalar(key, &value, doc); }

    // A string that must be one of `valid` (which must outlive the call).
    void choice(std::string_view key, std::string& value, std::span<const std::string_view> valid,
                std::string_view doc) {
        visit_scalar(key, choice_field{&value, valid}, doc);
    }

    // An optional scalar: YAML null empties it, an absent key keeps it as it
    // is; `range` is passed on to the field of T (e.g. min, max).
    template <class T, class... Range>
    void field(std::string_view key, std::optional<T>& value, std::string_view doc, Range... range);

    // A nested mapping, described by describe(config_visitor&, T&).
    template <class T>
    void section(std::string_view key, T& sub, std::string_view doc) {
        const describe_fn describe_sub = [&sub](config_visitor& v) { describe(v, sub); };
        visit_section(key, describe_sub, doc);
    }

    // A sequence of sections (T has a describe) or of scalars (anything field takes).
    template <class T>
    void list(std::string_view key, std::vector<T>& items, std::string_view doc);

protected:
    virtual void visit_scalar(std::string_view key, const scalar& value, std::string_view doc) = 0;
    // `engaged` says whether the optional holds a value; describe_value
    // describes that value as a field named `key`.
    virtual void visit_optional(std::string_view key, bool& engaged, const describe_fn& describe_value,
                                std::string_view doc) = 0;
    virtual void visit_section(std::string_view key, const describe_fn& describe_sub, std::string_view doc) = 0;
    virtual void visit_list(std::string_view key, list_items& items, std::string_view doc) = 0;
};

// A struct with a describe() function: a section, a list item or a whole config.
template <class T>
concept describable = requires(config_visitor& v, T& t) {
    describe(v, t);
};

namespace detail {

template <class T>
class vector_items final : public config_visitor::list_items {
public:
    explicit vector_items(std::vector<T>& items) : items_(items) {}
    [[nodiscard]] std::size_t size() const override { return items_.size(); }
    void resize(std::size_t n) override { items_.resize(n); }
    void describe_item(config_visitor& v, std::size_t i, std::string_view key, std::string_view doc) override {
        if constexpr (describable<T>) {
            v.section(key, items_[i], doc);
        } else {
            // Through a copy, so std::vector<bool> works too.
            T item = items_[i];
            v.field(key, item, doc);
            items_[i] = std::move(item);
        }
    }

private:
    std::vector<T>& items_;
};

}  // namespace detail

template <config_integer T>
void config_visitor::field(std::string_view key, T& value, std::string_view doc, std::type_identity_t<T> min,
                           std::type_identity_t<T> max) {
    if constexpr (std::is_signed_v<T>) {
        std::int64_t wide = value;
        visit_scalar(key, signed_field{&wide, min, max}, doc);
        value = static_cast<T>(wide);
    } else {
        std::uint64_t wide = value;
        visit_scalar(key, unsigned_field{&wide, min, max}, doc);
        value = static_cast<T>(wide);
    }
}

template <class T, class... Range>
void config_visitor::field(std::string_view key, std::optional<T>& value, std::string_view doc, Range... range) {
    T inner = value.value_or(T{});
    bool engaged = value.has_value();
    const describe_fn describe_value = [&](config_visitor& v) { v.field(key, inner, doc, range...); };
    visit_optional(key, engaged, describe_value, doc);
    if (engaged)
        value = std::move(inner);
    else
        value.reset();
}

template <class T>
void config_visitor::list(std::string_view key, std::vector<T>& items, std::string_view doc) {
    detail::vector_items<T> erased(items);
    visit_list(key, erased, doc);
}

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
    T root{};
    return config_keys([&root](config_visitor& v) { describe(v, root); });
}

}  // namespace lutra::experiments
