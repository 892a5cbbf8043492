#pragma once
// The schema of a parameter struct, written once beside the struct (DESIGN
// §2): a describe() function found by argument-dependent lookup, so it lives
// in the struct's own namespace:
//
//     void describe(schema_visitor& v, encoder_params& p) {
//         v.choice("kind", p.kind, encoder_kinds, "how a pixel becomes bits");
//         v.field("bits", p.bits, "bits per pixel", 1U, 255U);
//     }
//
// Visitors give it its uses: the library checks a struct it is handed
// (check_schema below: every range and choice, with the path of the field),
// and the experiments layer reads YAML into it, writes it back and lists its
// keys (`lutra config keys`). So a range or a choice list is written once and
// the YAML reader and the library cannot disagree. Nothing here knows YAML.

#include <concepts>
#include <cstddef>
#include <cstdint>
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

namespace lutra::core {

// A value that breaks its schema: `path` is the field's path below the root
// the check started from ("optimizer.gamma", "populations[2].k"), prefixed
// with the root's own path when one is given.
struct schema_error : error {
    schema_error(std::string path, std::string problem)
        : error(path.empty() ? problem : path + ": " + problem), path(std::move(path)), problem(std::move(problem)) {}
    std::string path;     // e.g. "train.optimizer.gamma"; "" = the object as a whole
    std::string problem;  // what is wrong and what would be valid
};

// The range of a number field; bounds are inclusive unless marked open.
struct number_range {
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    bool min_open = false;  // min itself is outside
    bool max_open = false;  // max itself is outside

    [[nodiscard]] bool contains(double x) const noexcept {
        return (min_open ? x > min : x >= min) && (max_open ? x < max : x <= max);
    }
};
// [min, max], (min, max], (min, ∞), [min, ∞).
[[nodiscard]] constexpr number_range closed(double min, double max) noexcept { return {min, max, false, false}; }
[[nodiscard]] constexpr number_range open_closed(double min, double max) noexcept { return {min, max, true, false}; }
[[nodiscard]] constexpr number_range above(double min) noexcept {
    return {min, std::numeric_limits<double>::infinity(), true, false};
}
[[nodiscard]] constexpr number_range at_least(double min) noexcept {
    return {min, std::numeric_limits<double>::infinity(), false, false};
}

class schema_visitor;

// The integer types a field may have: any but bool, which reads true/false.
template <class T>
concept schema_integer = std::integral<T> && !std::same_as<T, bool>;

// Describes one object (a whole config or a section) to a visitor.
using describe_fn = std::function<void(schema_visitor&)>;

// The visitor every parameter struct is described to. describe() calls the
// public members; each use implements the four protected primitives they
// forward to.
class schema_visitor {
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
        number_range range;
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
        virtual void describe_item(schema_visitor& v, std::size_t i, std::string_view key, std::string_view doc) = 0;
    };

    virtual ~schema_visitor() = default;

    void field(std::string_view key, bool& value, std::string_view doc) { visit_scalar(key, &value, doc); }

    // Values outside [min, max] are errors.
    template <schema_integer T>
    void field(std::string_view key, T& value, std::string_view doc,
               std::type_identity_t<T> min = std::numeric_limits<T>::min(),
               std::type_identity_t<T> max = std::numeric_limits<T>::max());

    // Values outside [min, max], or outside the range, are errors; NaN always is.
    void field(std::string_view key, double& value, std::string_view doc,
               double min = -std::numeric_limits<double>::infinity(),
               double max = std::numeric_limits<double>::infinity()) {
        visit_scalar(key, double_field{&value, closed(min, max)}, doc);
    }
    void field(std::string_view key, double& value, std::string_view doc, number_range range) {
        visit_scalar(key, double_field{&value, range}, doc);
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

    // A nested mapping, described by describe(schema_visitor&, T&).
    template <class T>
    void section(std::string_view key, T& sub, std::string_view doc) {
        const describe_fn describe_sub = [&sub](schema_visitor& v) { describe(v, sub); };
        visit_section(key, describe_sub, doc);
    }
    // A nested mapping described by a function (a type-erased struct, e.g. a rule's parameters).
    void section(std::string_view key, const describe_fn& describe_sub, std::string_view doc) {
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
concept describable = requires(schema_visitor& v, T& t) { describe(v, t); };

namespace detail {

template <class T>
class vector_items final : public schema_visitor::list_items {
public:
    explicit vector_items(std::vector<T>& items) : items_(items) {}
    [[nodiscard]] std::size_t size() const override { return items_.size(); }
    void resize(std::size_t n) override { items_.resize(n); }
    void describe_item(schema_visitor& v, std::size_t i, std::string_view key, std::string_view doc) override {
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

template <schema_integer T>
void schema_visitor::field(std::string_view key, T& value, std::string_view doc, std::type_identity_t<T> min,
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
void schema_visitor::field(std::string_view key, std::optional<T>& value, std::string_view doc, Range... range) {
    T inner = value.value_or(T{});
    bool engaged = value.has_value();
    const describe_fn describe_value = [&](schema_visitor& v) { v.field(key, inner, doc, range...); };
    visit_optional(key, engaged, describe_value, doc);
    if (engaged)
        value = std::move(inner);
    else
        value.reset();
}

template <class T>
void schema_visitor::list(std::string_view key, std::vector<T>& items, std::string_view doc) {
    detail::vector_items<T> erased(items);
    visit_list(key, erased, doc);
}

// Shortest text that reads back as exactly x, e.g. "0.1", "1.0e+300", ".inf".
[[nodiscard]] std::string number_text(double x);
// A scalar's type as `lutra config keys` lists it: "integer in 1..255",
// "number in (0, 1]", "bool", "string", "one of a, b".
[[nodiscard]] std::string type_text(const schema_visitor::scalar& value);
// The same as the object of "expected …": "an integer in 1..255", "true or false".
[[nodiscard]] std::string expected_text(const schema_visitor::scalar& value);

// Checks every field the description reaches against its range or choices;
// throws schema_error with the field's path (prefixed by root_path) and
// "expected …, got …" for the first that breaks it.
void check_schema(const describe_fn& describe_root, std::string_view root_path = {});

template <describable T>
void check_schema(const T& object, std::string_view root_path = {}) {
    T copy = object;  // the visitor interface takes values by reference
    check_schema([&copy](schema_visitor& v) { describe(v, copy); }, root_path);
}

}  // namespace lutra::core
