#pragma once
// The catalogue of plasticity rules: name → parameters (with their schema)
// and factory, in the manner of Arbor's mechanism catalogue. A rule is its
// own file(s), one line in register_builtin_rules(), and its test:
//
//     struct my_rule_params { double rate = 0.1; };          // one comment per field
//     void describe(core::schema_visitor& v, my_rule_params& p) {
//         v.field("rate", p.rate, "entries flipped per step", core::open_closed(0, 1));
//     }
//     class my_rule : public rule { ... explicit my_rule(const my_rule_params&); };
//
//     cat.add<my_rule_params>("my_rule", "what it does",
//         [](const my_rule_params& p, const session_setup&) { return std::make_unique<my_rule>(p); });
//
// Users add their own rules the same way, to catalogue() or to a catalogue
// of their own, before configs naming them are read.

#include <concepts>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "lutra/core/schema.hpp"
#include "lutra/plasticity/rule.hpp"

namespace lutra::plasticity {

// A rule's parameter struct, type-erased with its describe(): copyable, and
// described to any schema visitor (YAML, checks, key listings).
class rule_params {
public:
    rule_params() = default;  // no parameters
    template <core::describable P>
    explicit rule_params(P params) : self_(std::make_unique<model<P>>(std::move(params))) {}

    rule_params(const rule_params& other) : self_(other.self_ ? other.self_->clone() : nullptr) {}
    rule_params& operator=(const rule_params& other) {
        if (this != &other) self_ = other.self_ ? other.self_->clone() : nullptr;
        return *this;
    }
    rule_params(rule_params&&) noexcept = default;
    rule_params& operator=(rule_params&&) noexcept = default;
    ~rule_params() = default;

    // Describes the parameters' fields into the visitor's current mapping.
    void describe_fields(core::schema_visitor& v) {
        if (self_) self_->describe_fields(v);
    }
    [[nodiscard]] bool holds(const std::type_info& type) const noexcept {
        return self_ ? self_->type() == type : type == typeid(void);
    }
    [[nodiscard]] bool same_type(const rule_params& other) const noexcept {
        return self_ ? other.holds(self_->type()) : other.holds(typeid(void));
    }
    // The struct; throws lutra::internal_error when it is another type.
    template <class P>
    [[nodiscard]] const P& as() const {
        if (!self_ || self_->type() != typeid(P)) throw internal_error("rule_params: parameters of another type");
        return static_cast<const model<P>&>(*self_).params;
    }
    template <class P>
    [[nodiscard]] P& as() {
        return const_cast<P&>(std::as_const(*this).as<P>());
    }

    friend bool operator==(const rule_params& a, const rule_params& b) {
        if (!a.self_ || !b.self_) return !a.self_ && !b.self_;
        return a.self_->equals(*b.self_);
    }

private:
    struct concept_ {
        virtual ~concept_() = default;
        [[nodiscard]] virtual std::unique_ptr<concept_> clone() const = 0;
        virtual void describe_fields(core::schema_visitor& v) = 0;
        [[nodiscard]] virtual const std::type_info& type() const noexcept = 0;
        [[nodiscard]] virtual bool equals(const concept_& other) const = 0;
    };
    template <class P>
    struct model final : concept_ {
        explicit model(P p) : params(std::move(p)) {}
        [[nodiscard]] std::unique_ptr<concept_> clone() const override { return std::make_unique<model>(params); }
        void describe_fields(core::schema_visitor& v) override { describe(v, params); }
        [[nodiscard]] const std::type_info& type() const noexcept override { return typeid(P); }
        [[nodiscard]] bool equals(const concept_& other) const override {
            if (other.type() != typeid(P)) return false;
            if constexpr (std::equality_comparable<P>)
                return params == static_cast<const model&>(other).params;
            else
                return false;
        }
        P params;
    };
    std::unique_ptr<concept_> self_;
};

using rule_factory = std::function<std::unique_ptr<rule>(const rule_params&, const session_setup&)>;

struct rule_entry {
    std::string name;     // as configs spell it
    std::string doc;      // one line, for listings
    rule_params defaults; // the parameters a config starts from
    rule_factory create;  // builds the rule; throws lutra::error for parameters it cannot use
};

class rule_catalogue {
public:
    rule_catalogue() = default;
    // Not copyable: names() views the entries (a move keeps them in place).
    rule_catalogue(const rule_catalogue&) = delete;
    rule_catalogue& operator=(const rule_catalogue&) = delete;
    rule_catalogue(rule_catalogue&&) noexcept = default;
    rule_catalogue& operator=(rule_catalogue&&) noexcept = default;

    // Throws lutra::error when the name is taken or empty.
    void add(rule_entry entry);
    // The typed form: `make(const P&, const session_setup&)` builds the rule.
    template <core::describable P, class Make>
    void add(std::string name, std::string doc, Make make, P defaults = {}) {
        add(rule_entry{std::move(name), std::move(doc), rule_params(std::move(defaults)),
                       [make = std::move(make)](const rule_params& p, const session_setup& s) -> std::unique_ptr<rule> {
                           return make(p.as<P>(), s);
                       }});
    }

    [[nodiscard]] bool has(std::string_view name) const noexcept;
    // In the order added; the views live as long as the catalogue.
    [[nodiscard]] std::span<const std::string_view> names() const noexcept { return names_; }
    // Throws lutra::unknown_name_error listing the valid names (and a did-you-mean).
    [[nodiscard]] const rule_entry& at(std::string_view name) const;
    // Checks the parameters against their schema (schema_error naming the
    // field below `path`), then builds the rule.
    [[nodiscard]] std::unique_ptr<rule> create(std::string_view name, const rule_params& params,
                                               const session_setup& setup, std::string_view path = {}) const;

private:
    std::deque<rule_entry> entries_;  // a deque: names_ views into entries that never move
    std::vector<std::string_view> names_;
};

// Adds Lutra's own rules (those not already there): gradient, sensitize, desensitize, ...
void register_builtin_rules(rule_catalogue& catalogue);

// The process-wide catalogue configs are read against: the built-in rules,
// registered explicitly on first use, plus whatever users add.
[[nodiscard]] rule_catalogue& catalogue();

}  // namespace lutra::plasticity
