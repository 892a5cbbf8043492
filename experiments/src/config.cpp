#include "lutra/experiments/config.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <system_error>

#include "lutra/core/names.hpp"
#include "lutra/core/read_file.hpp"

namespace lutra::experiments {

namespace {

std::string location_message(const std::string& file, int line, int column, const std::string& yaml_path,
                             const std::string& problem) {
    std::string text = file;
    if (line > 0) text += ":" + std::to_string(line);
    if (line > 0 && column > 0) text += ":" + std::to_string(column);
    text += ": ";
    if (!yaml_path.empty()) text += yaml_path + ": ";
    return text + problem;
}

}  // namespace

config_error::config_error(std::string file_name, int line_number, int column_number, std::string path,
                           const std::string& what_is_wrong)
    : error(location_message(file_name, line_number, column_number, path, what_is_wrong)),
      file(std::move(file_name)),
      line(line_number),
      column(column_number),
      yaml_path(std::move(path)),
      problem(what_is_wrong) {}

namespace {

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

using scalar = config_visitor::scalar;
using list_items = config_visitor::list_items;

// Where YAML text came from. Overrides have no useful positions: a --set
// value is one short line, and the override text itself is the location.
struct source {
    std::string name;  // file path, parse_config's source name, or "--set TEXT"
    bool has_marks;
};

[[noreturn]] void fail(const source& src, const YAML::Mark& mark, const std::string& path, const std::string& problem) {
    if (!src.has_marks || mark.is_null()) throw config_error(src.name, 0, 0, path, problem);
    throw config_error(src.name, mark.line + 1, mark.column + 1, path, problem);
}

std::string join_path(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string item_path(const std::string& list_path, std::size_t i) { return list_path + "[" + std::to_string(i) + "]"; }

// A scalar as messages quote it: a long one (a whole file read as one
// scalar, say) cut to its start, one that spans lines to its first.
std::string quoted_scalar(const std::string& text) {
    constexpr std::size_t shown = 60;
    const std::size_t cut = std::min(text.find('\n'), shown);
    if (cut >= text.size()) return "'" + text + "'";
    return "'" + text.substr(0, cut) + "…' (" + std::to_string(text.size()) + " characters)";
}

// What a node is, for "got ..." in messages.
std::string node_text(const YAML::Node& node) {
    if (node.IsScalar()) return quoted_scalar(node.Scalar());
    if (node.IsSequence()) return "a sequence";
    if (node.IsMap()) return "a mapping";
    return "null";
}

std::string unknown_key_problem(std::string_view key, const std::vector<std::string>& valid) {
    if (valid.empty()) return "unknown key '" + std::string(key) + "'; this section has no keys";
    const std::vector<std::string_view> names(valid.begin(), valid.end());
    return "unknown key '" + std::string(key) + "'" + core::did_you_mean(key, names) +
           "; valid keys: " + core::join_names(names);
}

using core::expected_text;
using core::number_text;
using core::type_text;

// A string another YAML reader would take for a number or a bool (yaml-cpp's
// emitter quotes only null words). Lutra's reader goes by the schema and would
// not mind, but resolved configs are also read elsewhere, e.g. by Python's
// YAML 1.1 loaders from run files, where "yes" and "0x10" are not strings.
bool looks_like_non_string(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    for (std::string_view word :
         {"true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "+.inf", "-.inf", ".nan"})
        if (lower == word) return true;
    std::string_view rest = text;
    if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) rest.remove_prefix(1);
    if (!rest.empty() && rest.front() == '.') rest.remove_prefix(1);
    return !rest.empty() && rest.front() >= '0' && rest.front() <= '9';
}

void emit_string(YAML::Emitter& out, const std::string& text) {
    if (looks_like_non_string(text)) out << YAML::DoubleQuoted;
    out << text;
}

void emit_scalar(YAML::Emitter& out, const scalar& value) {
    std::visit(overloaded{
                   [&](bool* b) { out << *b; },
                   [&](const config_visitor::signed_field& f) { out << *f.value; },
                   [&](const config_visitor::unsigned_field& f) { out << *f.value; },
                   [&](const config_visitor::double_field& f) { out << number_text(*f.value); },
                   [&](std::string* s) { emit_string(out, *s); },
                   [&](const config_visitor::choice_field& f) { emit_string(out, *f.value); },
               },
               value);
}

// An integer literal: optional sign, decimal digits, nothing else (so "3.5",
// "1e3" and "0x10" are not integers). overflow: more than 64 bits of magnitude.
struct integer_literal {
    bool negative;
    std::uint64_t magnitude;
    bool overflow;
};

std::optional<integer_literal> parse_integer(std::string_view text) {
    bool negative = false;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    std::uint64_t magnitude = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), magnitude);
    return integer_literal{negative, magnitude, result.ec == std::errc::result_out_of_range};
}

// A number literal: what an integer literal allows plus a fraction and an
// exponent, or YAML's .inf in any sign. NaN is refused: no parameter means it.
// nullopt: not a number; the bool: beyond the range of a double.
std::optional<std::pair<double, bool>> parse_number(std::string_view text) {
    bool negative = false;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    double value = 0;
    bool too_large = false;
    if (text == ".inf" || text == ".Inf" || text == ".INF") {
        value = std::numeric_limits<double>::infinity();
    } else {
        // from_chars also takes "inf", "nan" and a second sign; YAML does not.
        if (text.empty() || !(text.front() == '.' || (text.front() >= '0' && text.front() <= '9')) ||
            text.find_first_not_of("0123456789.eE+-") != std::string_view::npos)
            return std::nullopt;
        const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
        if (result.ptr != text.data() + text.size()) return std::nullopt;
        too_large = result.ec == std::errc::result_out_of_range;
    }
    return std::pair{negative ? -value : value, too_large};
}

// Decodes one YAML node into a scalar field, one overload per kind.
class scalar_decoder {
public:
    scalar_decoder(const source& src, const YAML::Node& node, const YAML::Mark& mark, const std::string& path,
                   const scalar& value)
        : src_(src), node_(node), mark_(mark), path_(path), value_(value) {}

    void decode() const {
        if (!node_.IsScalar()) wrong(node_text(node_));
        std::visit(*this, value_);
    }

    void operator()(bool* b) const {
        const std::string& text = node_.Scalar();
        if (text == "true" || text == "True" || text == "TRUE")
            *b = true;
        else if (text == "false" || text == "False" || text == "FALSE")
            *b = false;
        else
            wrong(node_text(node_));
    }

    void operator()(const config_visitor::signed_field& f) const {
        const auto literal = parse_integer(node_.Scalar());
        if (!literal) wrong(node_text(node_));
        constexpr std::uint64_t max_negative = std::uint64_t{1} << 63;
        const bool fits = !literal->overflow &&
                          (literal->negative ? literal->magnitude <= max_negative : literal->magnitude < max_negative);
        // Modular conversion (defined in C++20), so -2^63 comes out exact.
        const auto wide = static_cast<std::int64_t>(literal->negative ? 0 - literal->magnitude : literal->magnitude);
        if (!fits || wide < f.min || wide > f.max) wrong(node_.Scalar());
        *f.value = wide;
    }

    void operator()(const config_visitor::unsigned_field& f) const {
        const auto literal = parse_integer(node_.Scalar());
        if (!literal) wrong(node_text(node_));
        const bool fits = !literal->overflow && (!literal->negative || literal->magnitude == 0);
        if (!fits || literal->magnitude < f.min || literal->magnitude > f.max) wrong(node_.Scalar());
        *f.value = literal->magnitude;
    }

    void operator()(const config_visitor::double_field& f) const {
        const auto number = parse_number(node_.Scalar());
        if (!number) wrong(node_text(node_));
        if (number->second) wrong(node_.Scalar() + " (beyond the range of a double)");
        if (!f.range.contains(number->first)) wrong(node_.Scalar());
        *f.value = number->first;
    }

    void operator()(std::string* s) const { *s = node_.Scalar(); }

    void operator()(const config_visitor::choice_field& f) const {
        const std::string& text = node_.Scalar();
        if (std::find(f.valid.begin(), f.valid.end(), text) == f.valid.end())
            wrong(node_text(node_) + core::did_you_mean(text, f.valid));
        *f.value = text;
    }

private:
    [[noreturn]] void wrong(const std::string& got) const {
        fail(src_, mark_, path_, "expected " + expected_text(value_) + ", got " + got);
    }

    const source& src_;
    const YAML::Node& node_;
    const YAML::Mark& mark_;
    const std::string& path_;
    const scalar& value_;
};

// The decode_* functions take the mark to report separately from the node: an
// empty value's own mark is the next token, so the reader gives its key's.
void decode_scalar(const source& src, const YAML::Node& node, const YAML::Mark& mark, const std::string& path,
                   const scalar& value) {
    scalar_decoder(src, node, mark, path, value).decode();
}

// Reads one YAML mapping into a described object, or (element mode) one node
// into the single value a list item describes.
class reader final : public config_visitor {
public:
    reader(const source& src, const YAML::Node& node, const YAML::Mark& mark, std::string path, bool element);
    // Throws for the first key of the mapping that describe() did not ask for.
    void finish() const;

protected:
    void visit_scalar(std::string_view key, const scalar& value, std::string_view doc) override;
    void visit_optional(std::string_view key, bool& engaged, const describe_fn& describe_value,
                        std::string_view doc) override;
    void visit_section(std::string_view key, const describe_fn& describe_sub, std::string_view doc) override;
    void visit_list(std::string_view key, list_items& items, std::string_view doc) override;

private:
    struct entry {
        std::string key;
        YAML::Node key_node;
        YAML::Node value;
        bool used = false;
    };
    struct located {
        YAML::Node node;
        YAML::Mark mark;
    };

    // The node for key and where to report it, the key marked as known;
    // nullopt when the mapping lacks it.
    std::optional<located> take(std::string_view key);
    [[nodiscard]] std::string path_of(std::string_view key) const { return element_ ? path_ : join_path(path_, key); }

    const source& src_;
    YAML::Node node_;
    YAML::Mark mark_;
    std::string path_;
    bool element_;
    std::vector<entry> entries_;     // the mapping's pairs in document order
    std::vector<std::string> keys_;  // the keys describe() asked for, in declaration order
};

void decode_optional(const source& src, const YAML::Node& node, const YAML::Mark& mark, const std::string& path,
                     bool& engaged, const describe_fn& describe_value) {
    engaged = !node.IsNull();
    if (!engaged) return;
    reader r(src, node, mark, path, true);
    describe_value(r);
}

// A null section (a key with nothing under it) keeps every default, like an empty file.
void decode_section(const source& src, const YAML::Node& node, const YAML::Mark& mark, const std::string& path,
                    const describe_fn& describe_sub) {
    if (node.IsNull()) return;
    if (!node.IsMap()) fail(src, mark, path, "expected a mapping of keys, got " + node_text(node));
    reader r(src, node, mark, path, false);
    describe_sub(r);
    r.finish();
}

// A list in YAML replaces the whole list; its items start from their defaults.
void decode_list(const source& src, const YAML::Node& node, const YAML::Mark& mark, const std::string& path,
                 list_items& items, std::string_view key, std::string_view doc) {
    if (!node.IsSequence()) fail(src, mark, path, "expected a sequence ([] for an empty list), got " + node_text(node));
    items.resize(0);
    items.resize(node.size());
    for (std::size_t i = 0; i < node.size(); ++i) {
        const YAML::Node item = node[i];
        reader r(src, item, item.Mark(), item_path(path, i), true);
        items.describe_item(r, i, key, doc);
    }
}

reader::reader(const source& src, const YAML::Node& node, const YAML::Mark& mark, std::string path, bool element)
    : src_(src), node_(node), mark_(mark), path_(std::move(path)), element_(element) {
    if (element_) return;
    // yaml-cpp keeps every pair of a mapping, duplicates included; a second
    // value for a key would otherwise be silently ignored.
    for (const auto& pair : node_) {
        if (!pair.first.IsScalar())
            fail(src_, pair.first.Mark(), path_, "keys must be names, got " + node_text(pair.first) + " as a key");
        const std::string& key = pair.first.Scalar();
        const auto first = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.key == key; });
        if (first != entries_.end()) {
            const YAML::Mark first_mark = first->key_node.Mark();
            fail(src_, pair.first.Mark(), path_,
                 "duplicate key '" + key + "'" +
                     (src_.has_marks && !first_mark.is_null()
                          ? " (first at line " + std::to_string(first_mark.line + 1) + ")"
                          : std::string()));
        }
        entries_.push_back({key, pair.first, pair.second});
    }
}

void reader::finish() const {
    const auto unknown = std::find_if(entries_.begin(), entries_.end(), [](const entry& e) { return !e.used; });
    if (unknown != entries_.end())
        fail(src_, unknown->key_node.Mark(), path_, unknown_key_problem(unknown->key, keys_));
}

std::optional<reader::located> reader::take(std::string_view key) {
    if (element_) return located{node_, mark_};
    keys_.emplace_back(key);
    const auto found = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.key == key; });
    if (found == entries_.end()) return std::nullopt;
    found->used = true;
    return located{found->value, found->value.IsNull() ? found->key_node.Mark() : found->value.Mark()};
}

void reader::visit_scalar(std::string_view key, const scalar& value, std::string_view) {
    if (const auto at = take(key)) decode_scalar(src_, at->node, at->mark, path_of(key), value);
}

void reader::visit_optional(std::string_view key, bool& engaged, const describe_fn& describe_value, std::string_view) {
    if (const auto at = take(key)) decode_optional(src_, at->node, at->mark, path_of(key), engaged, describe_value);
}

void reader::visit_section(std::string_view key, const describe_fn& describe_sub, std::string_view) {
    if (const auto at = take(key)) decode_section(src_, at->node, at->mark, path_of(key), describe_sub);
}

void reader::visit_list(std::string_view key, list_items& items, std::string_view doc) {
    if (const auto at = take(key)) decode_list(src_, at->node, at->mark, path_of(key), items, key, doc);
}

// One step of an override path: "populations[2]" is {"populations", 2}.
struct path_step {
    std::string key;
    std::optional<std::size_t> index;
};

// Walks an override's path through the described object and decodes the
// value where the path ends, with the reader's rules. Element mode: this
// visitor describes a list item, which the remaining steps start inside.
class navigator final : public config_visitor {
public:
    navigator(const source& src, std::span<const path_step> steps, const YAML::Node& value, std::string path,
              bool element)
        : src_(src), steps_(steps), value_(value), path_(std::move(path)), element_(element) {}
    // Throws when describe() never named the key the path asks for.
    void finish() const {
        if (!element_ && !found_)
            throw config_error(src_.name, 0, 0, path_, unknown_key_problem(steps_.front().key, keys_));
    }

protected:
    void visit_scalar(std::string_view key, const scalar& value, std::string_view) override {
        if (const auto rest = below(key, false)) {
            leaf_only(key, *rest);
            decode_scalar(src_, value_, value_.Mark(), path_of(key), value);
        }
    }

    void visit_optional(std::string_view key, bool& engaged, const describe_fn& describe_value,
                        std::string_view) override {
        if (const auto rest = below(key, false)) {
            leaf_only(key, *rest);
            decode_optional(src_, value_, value_.Mark(), path_of(key), engaged, describe_value);
        }
    }

    void visit_section(std::string_view key, const describe_fn& describe_sub, std::string_view) override {
        const auto rest = below(key, false);
        if (!rest) return;
        if (rest->empty()) {
            decode_section(src_, value_, value_.Mark(), path_of(key), describe_sub);  // merges: keys not given stay
            return;
        }
        navigator inner(src_, *rest, value_, path_of(key), false);
        describe_sub(inner);
        inner.finish();
    }

    void visit_list(std::string_view key, list_items& items, std::string_view doc) override {
        const auto rest = below(key, true);
        if (!rest) return;
        const std::string path = path_of(key);
        const std::optional<std::size_t> index = element_ ? std::nullopt : steps_.front().index;
        if (!index) {
            if (!rest->empty())
                fail_here(path, "is a list, so '" + rest->front().key + "' needs an item index first, e.g. " + path +
                                    "[0]." + rest->front().key);
            decode_list(src_, value_, value_.Mark(), path, items, key, doc);
            return;
        }
        const std::size_t size = items.size();
        if (*index > size)
            fail_here(path, "index " + std::to_string(*index) + " is out of range: the list has " +
                                std::to_string(size) + " items ([" + std::to_string(size) + "] appends one)");
        if (*index == size) items.resize(size + 1);
        if (rest->empty()) {
            reader r(src_, value_, value_.Mark(), item_path(path, *index), true);
            items.describe_item(r, *index, key, doc);
        } else {
            navigator inner(src_, *rest, value_, item_path(path, *index), true);
            items.describe_item(inner, *index, key, doc);
        }
    }

private:
    // The steps left below `key` when the path goes through it, else nullopt.
    std::optional<std::span<const path_step>> below(std::string_view key, bool is_list) {
        if (element_) return steps_;
        keys_.emplace_back(key);
        if (key != steps_.front().key) return std::nullopt;
        found_ = true;
        if (steps_.front().index && !is_list) fail_here(path_of(key), "is not a list, so it takes no [index]");
        return steps_.subspan(1);
    }

    void leaf_only(std::string_view key, std::span<const path_step> rest) const {
        if (!rest.empty()) fail_here(path_of(key), "is not a section, so it has no key '" + rest.front().key + "'");
    }

    [[noreturn]] void fail_here(const std::string& path, const std::string& problem) const {
        throw config_error(src_.name, 0, 0, path, problem);
    }

    [[nodiscard]] std::string path_of(std::string_view key) const { return element_ ? path_ : join_path(path_, key); }

    const source& src_;
    std::span<const path_step> steps_;  // mapping mode: steps_[0] names a key of this mapping
    YAML::Node value_;
    std::string path_;
    bool element_;
    bool found_ = false;
    std::vector<std::string> keys_;
};

// yaml-cpp ends a quoted scalar that has no closing quote at the end of the
// text, so a forgotten quote would swallow every setting after it. A quoted
// scalar starts at its mark with the quote; find its end the way YAML does
// ('' inside single quotes, backslash escapes inside double quotes).
bool quote_closes(const std::string& text, std::size_t open) {
    const char quote = text[open];
    for (std::size_t i = open + 1; i < text.size(); ++i) {
        if (quote == '"' && text[i] == '\\') {
            ++i;
        } else if (text[i] == quote) {
            if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
                ++i;
                continue;
            }
            return true;
        }
    }
    return false;
}

void check_quotes_closed(const source& src, const std::string& text, const YAML::Node& node) {
    if (node.IsMap()) {
        for (const auto& pair : node) {
            check_quotes_closed(src, text, pair.first);
            check_quotes_closed(src, text, pair.second);
        }
    } else if (node.IsSequence()) {
        for (const auto& item : node) check_quotes_closed(src, text, item);
    } else if (node.IsScalar()) {
        const YAML::Mark mark = node.Mark();
        if (mark.is_null() || mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text.size()) return;
        const auto at = static_cast<std::size_t>(mark.pos);
        if ((text[at] == '"' || text[at] == '\'') && !quote_closes(text, at))
            fail(src, mark, "",
                 std::string("invalid YAML: the quote ") + text[at] +
                     " opened here is never closed, so it would take in the rest of the text");
    }
}

[[noreturn]] void malformed(const source& src, const std::string& why) {
    throw config_error(src.name, 0, 0, "",
                       "malformed override (" + why + "); expected path=value, e.g. data.encoder.bits=4");
}

void apply_override(const std::string& text, const describe_fn& describe_root) {
    const source src{"--set " + text, false};
    const std::size_t equals = text.find('=');
    if (equals == std::string::npos) malformed(src, "no '='");
    const std::string_view path(text.data(), equals);
    if (path.empty()) malformed(src, "empty path");

    // key ( '[' digits ']' )? ( '.' key ( '[' digits ']' )? )*
    std::vector<path_step> steps;
    std::size_t at = 0;
    while (true) {
        const std::size_t end = std::min(path.find_first_of(".[", at), path.size());
        path_step step{std::string(path.substr(at, end - at)), std::nullopt};
        if (step.key.empty()) malformed(src, "empty key in '" + std::string(path) + "'");
        const auto bad = std::find_if(step.key.begin(), step.key.end(), [](char c) {
            return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                     c == '-');
        });
        if (bad != step.key.end()) malformed(src, "'" + std::string(1, *bad) + "' in key '" + step.key + "'");
        at = end;
        if (at < path.size() && path[at] == '[') {
            const std::size_t close = path.find(']', at);
            const std::string_view digits =
                close == std::string_view::npos ? std::string_view() : path.substr(at + 1, close - at - 1);
            std::size_t index = 0;
            const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), index);
            if (digits.empty() || result.ptr != digits.data() + digits.size() || result.ec != std::errc())
                malformed(src, "an index must be a number in [ ], e.g. " + step.key + "[0]");
            step.index = index;
            at = close + 1;
        }
        steps.push_back(std::move(step));
        if (at == path.size()) break;
        if (path[at] != '.') malformed(src, "expected '.' after ']' in '" + std::string(path) + "'");
        ++at;
    }

    YAML::Node value;
    const std::string value_text = text.substr(equals + 1);
    try {
        value = YAML::Load(value_text);
    } catch (const YAML::Exception& e) {
        throw config_error(src.name, 0, 0, "", "the value is not valid YAML: " + e.msg);
    }
    check_quotes_closed(src, value_text, value);
    navigator root(src, steps, value, "", false);
    describe_root(root);
    root.finish();
}

// Where each document of a YAML stream starts (its root node). yaml-cpp's
// LoadAll never returns on some malformed text — after a lone ',' the parser
// yields empty documents forever without moving on (found by tests/fuzz) —
// so documents are counted here, and a parser that stops moving is an error.
std::vector<YAML::Mark> document_starts(const source& src, const std::string& text) {
    struct roots : YAML::EventHandler {
        std::vector<YAML::Mark> marks;
        bool in_root = false;
        void root(const YAML::Mark& mark) {
            if (in_root) marks.push_back(mark);
            in_root = false;
        }
        void OnDocumentStart(const YAML::Mark&) override { in_root = true; }
        void OnDocumentEnd() override {}
        void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { root(mark); }
        void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { root(mark); }
        void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
            root(mark);
        }
        void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                             YAML::EmitterStyle::value) override {
            root(mark);
        }
        void OnSequenceEnd() override {}
        void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
            root(mark);
        }
        void OnMapEnd() override {}
    } handler;
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(handler)) {
        const std::vector<YAML::Mark>& m = handler.marks;
        if (m.size() >= 2 && m[m.size() - 1].pos == m[m.size() - 2].pos) {
            const auto at = static_cast<std::size_t>(std::max(m.back().pos, 0));
            fail(src, m.back(), "",
                 "invalid YAML: cannot read on from here" +
                     (at < text.size() ? " ('" + std::string(1, text[at]) + "' is out of place)" : std::string()));
        }
    }
    return handler.marks;
}

void parse_into(const source& src, const std::string& text, std::span<const std::string> overrides,
                const describe_fn& describe_root) {
    YAML::Node document;
    std::vector<YAML::Mark> starts;
    try {
        starts = document_starts(src, text);
        if (!starts.empty()) document = YAML::Load(text);  // the first document
    } catch (const YAML::Exception& e) {
        if (e.mark.is_null()) throw config_error(src.name, 0, 0, "", "invalid YAML: " + e.msg);
        throw config_error(src.name, e.mark.line + 1, e.mark.column + 1, "", "invalid YAML: " + e.msg);
    }
    if (!starts.empty()) check_quotes_closed(src, text, document);
    if (starts.size() > 1)
        fail(src, starts[1], "", "expected one YAML document, found " + std::to_string(starts.size()));
    if (!starts.empty()) decode_section(src, document, document.Mark(), "", describe_root);
    for (const std::string& override_text : overrides) apply_override(override_text, describe_root);
}

// Writes the described object as a block mapping (element mode: as a list item).
class writer final : public config_visitor {
public:
    writer(YAML::Emitter& out, bool element, bool comments) : out_(out), element_(element), comments_(comments) {}

protected:
    void visit_scalar(std::string_view key, const scalar& value, std::string_view doc) override {
        emit_key(key);
        emit_scalar(out_, value);
        emit_doc(doc);
    }

    void visit_optional(std::string_view key, bool& engaged, const describe_fn& describe_value,
                        std::string_view doc) override {
        if (engaged) {
            describe_value(*this);
            return;
        }
        emit_key(key);
        out_ << YAML::Null;
        emit_doc(doc);
    }

    void visit_section(std::string_view key, const describe_fn& describe_sub, std::string_view doc) override {
        emit_key(key);
        emit_doc(doc);  // "encoder:  # doc", the mapping below
        out_ << YAML::BeginMap;
        writer inner(out_, false, comments_);
        describe_sub(inner);
        out_ << YAML::EndMap;
    }

    void visit_list(std::string_view key, list_items& items, std::string_view doc) override {
        emit_key(key);
        if (items.size() == 0) {
            out_ << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;  // "key: []  # doc"
            emit_doc(doc);
            return;
        }
        emit_doc(doc);
        out_ << YAML::BeginSeq;
        for (std::size_t i = 0; i < items.size(); ++i) {
            writer item(out_, true, comments_ && i == 0);  // the first item's docs are enough
            items.describe_item(item, i, key, doc);
        }
        out_ << YAML::EndSeq;
    }

private:
    void emit_key(std::string_view key) {
        if (!element_) out_ << YAML::Key << std::string(key) << YAML::Value;
    }
    void emit_doc(std::string_view doc) {
        if (!element_ && comments_ && !doc.empty()) out_ << YAML::Comment(std::string(doc));
    }

    YAML::Emitter& out_;
    bool element_;
    bool comments_;
};

// Collects config_key_doc rows (element mode: for a list's item, path "list[]").
class lister final : public config_visitor {
public:
    lister(std::vector<config_key_doc>& rows, std::string path, bool element)
        : rows_(rows), path_(std::move(path)), element_(element) {}

protected:
    void visit_scalar(std::string_view key, const scalar& value, std::string_view doc) override {
        YAML::Emitter text;
        emit_scalar(text, value);
        rows_.push_back({path_of(key), type_text(value), std::string(doc), text.c_str()});
    }

    void visit_optional(std::string_view, bool& engaged, const describe_fn& describe_value, std::string_view) override {
        const std::size_t row = rows_.size();
        describe_value(*this);  // adds the value's row
        rows_[row].type += " or null";
        if (!engaged) rows_[row].default_value = "null";
    }

    void visit_section(std::string_view key, const describe_fn& describe_sub, std::string_view doc) override {
        rows_.push_back({path_of(key), "section", std::string(doc), ""});
        lister inner(rows_, path_of(key), false);
        describe_sub(inner);
    }

    void visit_list(std::string_view key, list_items& items, std::string_view doc) override {
        const std::size_t row = rows_.size();
        rows_.push_back({path_of(key), "", std::string(doc), ""});
        if (items.size() == 0) items.resize(1);  // an item to describe; the object is a throwaway
        lister item(rows_, path_of(key) + "[]", true);
        items.describe_item(item, 0, key, doc);
        // The item's own row becomes the list's type; a section item's keys stay.
        rows_[row].type = "list; items: " + rows_[row + 1].type;
        rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(row + 1));
    }

private:
    [[nodiscard]] std::string path_of(std::string_view key) const { return element_ ? path_ : join_path(path_, key); }

    std::vector<config_key_doc>& rows_;
    std::string path_;
    bool element_;
};

}  // namespace

void load_config_into(const std::filesystem::path& file, std::span<const std::string> overrides,
                      const describe_fn& describe_root) {
    const source src{file.string(), true};
    if (const std::string problem = core::unreadable_file_problem(file, core::max_text_file_bytes); !problem.empty())
        throw config_error(src.name, 0, 0, "", problem);
    std::string text;
    try {
        text = core::read_file(file, "read YAML");
    } catch (const io_error& e) {
        throw config_error(src.name, 0, 0, "", e.what());
    }
    parse_into(src, text, overrides, describe_root);
}

void parse_config_into(std::string_view yaml_text, std::string_view source_name, std::span<const std::string> overrides,
                       const describe_fn& describe_root) {
    parse_into(source{std::string(source_name), true}, std::string(yaml_text), overrides, describe_root);
}

namespace {

YAML::Node load_one(std::string_view text, std::string_view name) {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        throw config_error(std::string(name), e.mark.is_null() ? 0 : e.mark.line + 1,
                           e.mark.is_null() ? 0 : e.mark.column + 1, "", "invalid YAML: " + e.msg);
    }
}

std::optional<std::string> difference(const YAML::Node& a, const YAML::Node& b, const std::string& path) {
    if (a.Type() != b.Type()) return path;
    if (a.IsScalar()) return a.Scalar() == b.Scalar() ? std::nullopt : std::optional(path);
    if (a.IsSequence()) {
        for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
            if (auto d = difference(a[i], b[i], item_path(path, i))) return d;
        return a.size() == b.size() ? std::nullopt : std::optional(path);
    }
    if (a.IsMap()) {
        for (const auto& pair : a) {
            const std::string key = pair.first.Scalar();
            const YAML::Node other = b[key];
            if (!other) return join_path(path, key);
            if (auto d = difference(pair.second, other, join_path(path, key))) return d;
        }
        for (const auto& pair : b)
            if (!a[pair.first.Scalar()]) return join_path(path, pair.first.Scalar());
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> first_difference(std::string_view yaml_a, std::string_view name_a, std::string_view yaml_b,
                                            std::string_view name_b) {
    return difference(load_one(yaml_a, name_a), load_one(yaml_b, name_b), "");
}

std::string config_to_yaml(const describe_fn& describe_root) {
    YAML::Emitter out;
    out.SetNullFormat(YAML::LowerNull);
    out << YAML::BeginMap;
    writer root(out, false, true);
    describe_root(root);
    out << YAML::EndMap;
    if (!out.good()) throw internal_error("config_to_yaml: " + out.GetLastError());
    return std::string(out.c_str()) + "\n";
}

std::vector<config_key_doc> config_keys(const describe_fn& describe_root) {
    std::vector<config_key_doc> rows;
    lister root(rows, "", false);
    describe_root(root);
    return rows;
}

namespace {

// The line and column of the deepest node of `yaml_path` ("a.b[2].c") that
// the file has; {0, 0} when it cannot be read.
std::pair<int, int> locate(const std::filesystem::path& file, const std::string& yaml_path) {
    YAML::Node node;
    try {
        node = YAML::LoadFile(file.string());
    } catch (const YAML::Exception&) {
        return {0, 0};
    }
    std::pair<int, int> at{0, 0};
    const auto mark = [&at](const YAML::Node& n) {
        if (!n.Mark().is_null()) at = {n.Mark().line + 1, n.Mark().column + 1};
    };
    mark(node);
    std::size_t pos = 0;
    while (pos < yaml_path.size() && node) {
        const std::size_t end = std::min(yaml_path.find_first_of(".[", pos), yaml_path.size());
        if (end > pos) {
            const std::string key = yaml_path.substr(pos, end - pos);
            if (!node.IsMap() || !node[key]) break;
            node = node[key];
            mark(node);
        }
        pos = end;
        if (pos < yaml_path.size() && yaml_path[pos] == '[') {
            const std::size_t close = yaml_path.find(']', pos);
            if (close == std::string::npos) break;
            const std::size_t index = std::stoul(yaml_path.substr(pos + 1, close - pos - 1));
            if (!node.IsSequence() || index >= node.size()) break;
            node = node[index];
            mark(node);
            pos = close + 1;
        }
        if (pos < yaml_path.size() && yaml_path[pos] == '.') ++pos;
    }
    return at;
}

// The override that set yaml_path or a section above it, if any (the last wins).
const std::string* override_of(std::span<const std::string> overrides, const std::string& yaml_path) {
    const std::string* found = nullptr;
    for (const std::string& o : overrides) {
        const std::string path = o.substr(0, o.find('='));
        if (yaml_path == path || (yaml_path.rfind(path, 0) == 0 && (yaml_path[path.size()] == '.' ||
                                                                     yaml_path[path.size()] == '[')))
            found = &o;
    }
    return found;
}

}  // namespace

config_error config_source::error_at(const std::string& yaml_path, const std::string& problem) const {
    if (const std::string* o = override_of(overrides, yaml_path)) return {"--set " + *o, 0, 0, yaml_path, problem};
    const auto [line, column] = locate(file, yaml_path);
    return {file.string(), line, column, yaml_path, problem};
}

config_error config_source::genome_error_at(const std::string& genome_path, const std::string& problem) const {
    if (genome_file.empty()) return error_at(genome_path.empty() ? "genome" : "genome." + genome_path, problem);
    const auto [line, column] = locate(genome_file, genome_path);
    return {genome_file.string(), line, column, genome_path, problem};
}

yaml_scalar read_yaml_scalar(std::string_view yaml_text) {
    yaml_scalar v;
    v.text = std::string(yaml_text);
    YAML::Node node;
    try {
        node = YAML::Load(v.text);
    } catch (const YAML::Exception&) {
        return v;
    }
    if (!node.IsScalar()) return v;
    v.text = node.Scalar();
    if (node.Tag() != "?") return v;  // quoted ("!") or explicitly tagged: text, whatever it looks like
    if (const auto n = parse_number(v.text); n && !n->second) v.number = n->first;
    if (const auto i = parse_integer(v.text); i && !i->overflow) {
        constexpr std::uint64_t max = std::numeric_limits<std::int64_t>::max();
        if (!i->negative && i->magnitude <= max) v.integer = static_cast<std::int64_t>(i->magnitude);
        if (i->negative && i->magnitude <= max + 1)
            v.integer = i->magnitude == max + 1 ? std::numeric_limits<std::int64_t>::min()
                                                : -static_cast<std::int64_t>(i->magnitude);
    }
    return v;
}

}  // namespace lutra::experiments
