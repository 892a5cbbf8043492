#include "lutra/core/schema.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "lutra/core/names.hpp"

namespace lutra::core {

namespace {

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

std::string range_text(const number_range& r) {
    const bool low = std::isfinite(r.min), high = std::isfinite(r.max);
    if (low && high) {
        if (!r.min_open && !r.max_open) return "number in " + number_text(r.min) + ".." + number_text(r.max);
        return std::string("number in ") + (r.min_open ? "(" : "[") + number_text(r.min) + ", " +
               number_text(r.max) + (r.max_open ? ")" : "]");
    }
    if (low) return std::string("number ") + (r.min_open ? "> " : ">= ") + number_text(r.min);
    if (high) return std::string("number ") + (r.max_open ? "< " : "<= ") + number_text(r.max);
    return "number";
}

// Checks values already in memory; keeps the path of where it is.
class checker final : public schema_visitor {
public:
    checker(std::string path, bool element) : path_(std::move(path)), element_(element) {}

protected:
    void visit_scalar(std::string_view key, const scalar& value, std::string_view) override {
        const std::optional<std::string> got = std::visit(
            overloaded{
                [](bool*) -> std::optional<std::string> { return std::nullopt; },
                [](const signed_field& f) -> std::optional<std::string> {
                    if (*f.value < f.min || *f.value > f.max) return std::to_string(*f.value);
                    return std::nullopt;
                },
                [](const unsigned_field& f) -> std::optional<std::string> {
                    if (*f.value < f.min || *f.value > f.max) return std::to_string(*f.value);
                    return std::nullopt;
                },
                [](const double_field& f) -> std::optional<std::string> {
                    if (std::isnan(*f.value) || !f.range.contains(*f.value)) return number_text(*f.value);
                    return std::nullopt;
                },
                [](std::string*) -> std::optional<std::string> { return std::nullopt; },
                [](const choice_field& f) -> std::optional<std::string> {
                    if (std::find(f.valid.begin(), f.valid.end(), *f.value) != f.valid.end()) return std::nullopt;
                    return "'" + *f.value + "'" + did_you_mean(*f.value, f.valid);
                },
            },
            value);
        if (got) throw schema_error(path_of(key), "expected " + expected_text(value) + ", got " + *got);
    }

    void visit_optional(std::string_view, bool& engaged, const describe_fn& describe_value, std::string_view) override {
        if (engaged) describe_value(*this);
    }

    void visit_section(std::string_view key, const describe_fn& describe_sub, std::string_view) override {
        checker inner(path_of(key), false);
        describe_sub(inner);
    }

    void visit_list(std::string_view key, list_items& items, std::string_view doc) override {
        for (std::size_t i = 0; i < items.size(); ++i) {
            checker item(path_of(key) + "[" + std::to_string(i) + "]", true);
            items.describe_item(item, i, key, doc);
        }
    }

private:
    [[nodiscard]] std::string path_of(std::string_view key) const {
        if (element_) return path_;
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    std::string path_;
    bool element_;
};

}  // namespace

std::string number_text(double x) {
    if (std::isnan(x)) return ".nan";
    if (std::isinf(x)) return x > 0 ? ".inf" : "-.inf";
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
    std::string text(buffer, result.ptr);
    // "1.0", "1.0e+300": with a '.', YAML 1.1 readers (PyYAML) see a float too.
    if (text.find('.') == std::string::npos) text.insert(std::min(text.find('e'), text.size()), ".0");
    return text;
}

std::string type_text(const schema_visitor::scalar& value) {
    return std::visit(overloaded{
                          [](bool*) -> std::string { return "bool"; },
                          [](const schema_visitor::signed_field& f) {
                              return "integer in " + std::to_string(f.min) + ".." + std::to_string(f.max);
                          },
                          [](const schema_visitor::unsigned_field& f) {
                              return "integer in " + std::to_string(f.min) + ".." + std::to_string(f.max);
                          },
                          [](const schema_visitor::double_field& f) { return range_text(f.range); },
                          [](std::string*) -> std::string { return "string"; },
                          [](const schema_visitor::choice_field& f) { return "one of " + join_names(f.valid); },
                      },
                      value);
}

std::string expected_text(const schema_visitor::scalar& value) {
    if (std::holds_alternative<bool*>(value)) return "true or false";
    if (std::holds_alternative<schema_visitor::choice_field>(value)) return type_text(value);
    const std::string type = type_text(value);
    return (type.front() == 'i' ? "an " : "a ") + type;
}

void check_schema(const describe_fn& describe_root, std::string_view root_path) {
    checker root(std::string(root_path), false);
    describe_root(root);
}

}  // namespace lutra::core
