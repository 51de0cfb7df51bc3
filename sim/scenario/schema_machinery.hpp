// The schema machinery of sim/scenario: a file's keys as one table of fields (key, type, unit,
// allowed values, meaning, how to read and write it), used three ways so they cannot disagree:
// reading and checking values from the position-keeping YAML tree (tree.hpp), writing a struct back
// as a tree, and generating the reference docs. Scenario files (schema.cpp) and study files
// (sim/study/study.cpp) are both read through it, so their errors read alike: file:line:column,
// the key path, what is allowed, and "did you mean" for unknown keys and names.
//
// A schema for a struct S is a Schema<S>: a list of Field<S> made by the builders below (num,
// flag, text, file_path, choice, choice_list, number_list, string_list, section, list_of,
// named_map; or `make` plus a hand-written read/write for a key of its own shape) and an optional
// struct-level check run after the fields. Unknown keys are refused.
#pragma once
#include <charconv>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/tree.hpp"

namespace commsim::scenario_detail {

// One row of a generated reference table: nested keys as a.b, list items as a[].b, map entries as
// a.<name>.b; numbers with their range, choices with their names (SchemaRow, load.hpp).
using DocRow = SchemaRow;

using Path = std::string;

// "a" + "b" -> "a.b"; "" + "b" -> "b".
std::string join(const Path& path, const std::string& key);
// How a node reads in a message: 'x', the text "x", a list, a map, nothing.
std::string describe(const Node& n);
[[noreturn]] void fail(const Node& n, const Path& path, const std::string& message);

// Closest of `candidates` to `word` by edit distance, or "" when none is close.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);
// "1" -> "1", 0.1 -> "0.1": the shortest text that reads back as the same double.
std::string format_number(double value);
// "a, b, c"
std::string list_names(const std::vector<std::string>& names);

// ------------------------------------------------------------------ numbers and ranges
inline constexpr double kInf = std::numeric_limits<double>::infinity();

std::string short_number(double v);

struct Range {
  double lo = -kInf, hi = kInf;
  bool lo_open = false, hi_open = false;
  bool contains(double v) const { return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi); }
  std::string text() const {
    if (lo == -kInf && hi == kInf) return "any finite value";
    // std::string first: GCC 12 warns falsely (-Wrestrict) on a ternary's literal + std::string.
    if (lo == -kInf) return std::string(hi_open ? "< " : "<= ") + short_number(hi);
    if (hi == kInf) return std::string(lo_open ? "> " : ">= ") + short_number(lo);
    return std::string(lo_open ? "(" : "[") + short_number(lo) + ", " + short_number(hi) + (hi_open ? ")" : "]");
  }
  // For messages: "in [0, 1]", ">= 0".
  std::string phrase() const { return (text()[0] == '[' || text()[0] == '(' ? "in " : "") + text(); }
};
inline const Range kShare{0, 1};
inline const Range kNonNegative{0, kInf};
inline Range between(double lo, double hi) { return Range{lo, hi, false, false}; }
inline Range positive(double hi = kInf) { return Range{0, hi, true, false}; }

std::optional<double> parse_double(std::string text);
double read_number(const Node& n, const Path& path, const Range& range);
bool read_bool(const Node& n, const Path& path);
std::string read_string(const Node& n, const Path& path);
// Index of the node's name in `names`; else an error listing them (and the closest).
size_t read_choice(const Node& n, const Path& path, const std::vector<std::string>& names);
const Node& expect_list(const Node& n, const Path& path, const std::string& what);

template <class T>
T read_integer(const Node& n, const Path& path, const Range& range) {
  const std::string what = "an integer " + range.phrase();
  if (!n.is_scalar() || n.quoted) fail(n, path, "expected " + what + ", got " + describe(n));
  std::string text = n.text;
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.erase(0, 1);
  }
  unsigned long long magnitude = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude);
  if (text.empty() || end != text.data() + text.size()) {
    if (parse_double(n.text)) fail(n, path, "expected a whole number (" + what + "), got " + n.text);
    fail(n, path, "expected " + what + ", got " + describe(n));
  }
  if (ec == std::errc::result_out_of_range) fail(n, path, "must be " + range.phrase() + ", got " + n.text);
  long double value = negative ? -static_cast<long double>(magnitude) : static_cast<long double>(magnitude);
  if (value < static_cast<long double>(range.lo) || value > static_cast<long double>(range.hi) ||
      (range.lo_open && value == static_cast<long double>(range.lo)) ||
      (range.hi_open && value == static_cast<long double>(range.hi)) ||
      value < static_cast<long double>(std::numeric_limits<T>::min()) ||
      value > static_cast<long double>(std::numeric_limits<T>::max()))
    fail(n, path, "must be " + range.phrase() + ", got " + n.text);
  if constexpr (std::is_signed_v<T>)
    return negative ? static_cast<T>(-static_cast<long long>(magnitude)) : static_cast<T>(magnitude);
  else
    return static_cast<T>(magnitude);
}

Node number_node(double v);
template <class T>
Node integer_node(T v) { return Node::scalar(std::to_string(v)); }
Node bool_node(bool v);
Node text_node(const std::string& v);
// A list of numbers (any container of doubles) as a flow list.
template <class C>
Node numbers_node(const C& values) {
  Node out = Node::list();
  for (double v : values) out.items.push_back(number_node(v));
  return out;
}

// ------------------------------------------------------------------ fields and schemas
template <class S>
struct Field {
  std::string key, type, unit, allowed, meaning;
  std::optional<Range> range;        // numbers: for the rows (forms check it before sending)
  std::vector<std::string> choices;  // choices: the names
  std::function<void(S&, const Node&, const Path&)> read;
  std::function<std::optional<Node>(const S&)> write;        // nullopt: input-only key
  std::function<void(std::vector<DocRow>&, const std::string&)> nested_doc;  // rows of a nested schema
  std::string default_doc;  // the default as the docs show it, when not the written default value
};

template <class S>
struct Schema {
  std::vector<Field<S>> fields;
  std::function<void(S&, const Node&, const Path&)> check;  // struct-level checks after the fields

  void read(S& s, const Node& n, const Path& path) const {
    if (!n.is_map()) {
      std::vector<std::string> keys;
      for (const auto& f : fields) keys.push_back(f.key);
      fail(n, path, "expected a map with keys " + list_names(keys) + "; got " + describe(n));
    }
    for (size_t i = 0; i < n.entries.size(); ++i) {
      const auto& [key, value] = n.entries[i];
      const Field<S>* field = nullptr;
      for (const auto& f : fields)
        if (f.key == key) field = &f;
      if (!field) {
        std::vector<std::string> keys;
        for (const auto& f : fields) keys.push_back(f.key);
        std::string near = closest(key, keys);
        std::string message = "unknown key '" + key + "'";
        message += near.empty() ? "; known keys here: " + list_names(keys) : "; did you mean '" + near + "'?";
        throw InputError(i < n.key_pos.size() ? n.key_pos[i] : n.pos, join(path, key), message);
      }
      field->read(s, value, join(path, key));
    }
    if (check) check(s, n, path);
  }

  Node write(const S& s) const {
    Node out = Node::map();
    for (const auto& f : fields)
      if (f.write)
        if (auto v = f.write(s)) out.add(f.key, std::move(*v));
    return out;
  }

  void doc(std::vector<DocRow>& rows, const std::string& prefix) const {
    const S defaults{};
    for (const auto& f : fields) {
      std::string default_text;
      if (!f.default_doc.empty()) default_text = f.default_doc;
      else if (f.nested_doc) default_text = "(see below)";
      else if (!f.write) default_text = "(none)";
      else if (auto v = f.write(defaults)) default_text = to_flow_text(*v);
      else default_text = "(none)";
      DocRow row;
      row.path = prefix + f.key;
      row.type = f.type;
      row.unit = f.unit;
      row.default_value = default_text;
      row.allowed = f.allowed;
      row.meaning = f.meaning;
      if (f.range) {
        row.low = f.range->lo;
        row.high = f.range->hi;
        row.low_open = f.range->lo_open;
        row.high_open = f.range->hi_open;
      }
      row.choices = f.choices;
      rows.push_back(std::move(row));
      if (f.nested_doc) f.nested_doc(rows, prefix + f.key);
    }
  }
};

template <class S>
Field<S> make(std::string key, std::string type, std::string unit, std::string allowed, std::string meaning) {
  Field<S> f;
  f.key = std::move(key);
  f.type = std::move(type);
  f.unit = std::move(unit);
  f.allowed = std::move(allowed);
  f.meaning = std::move(meaning);
  return f;
}

template <class S, class T>
Field<S> num(std::string key, T S::*m, Range range, std::string unit, std::string meaning) {
  constexpr bool integral = std::is_integral_v<T>;
  auto f = make<S>(std::move(key), integral ? "integer" : "number", std::move(unit), range.text(), std::move(meaning));
  f.range = range;
  f.read = [m, range](S& s, const Node& n, const Path& p) {
    if constexpr (integral) s.*m = read_integer<T>(n, p, range);
    else s.*m = read_number(n, p, range);
  };
  f.write = [m](const S& s) -> std::optional<Node> {
    if constexpr (integral) return integer_node(s.*m);
    else return number_node(s.*m);
  };
  return f;
}

template <class S>
Field<S> flag(std::string key, bool S::*m, std::string meaning) {
  auto f = make<S>(std::move(key), "boolean", "", "true, false", std::move(meaning));
  f.read = [m](S& s, const Node& n, const Path& p) { s.*m = read_bool(n, p); };
  f.write = [m](const S& s) -> std::optional<Node> { return bool_node(s.*m); };
  return f;
}

template <class S>
Field<S> text(std::string key, std::string S::*m, std::string allowed, std::string meaning) {
  auto f = make<S>(std::move(key), "text", "", std::move(allowed), std::move(meaning));
  f.read = [m](S& s, const Node& n, const Path& p) { s.*m = read_string(n, p); };
  f.write = [m](const S& s) -> std::optional<Node> { return text_node(s.*m); };
  return f;
}

// A file path: resolved against the directory of the file that gave it, stored absolute.
template <class S>
Field<S> file_path(std::string key, std::string S::*m, std::string meaning) {
  auto f = make<S>(std::move(key), "path", "", "path relative to the file that sets it; \"\" = none",
                   std::move(meaning));
  f.read = [m](S& s, const Node& n, const Path& p) {
    std::string value = read_string(n, p);
    if (!value.empty()) {
      std::filesystem::path file(value);
      if (file.is_relative() && !n.dir.empty()) file = std::filesystem::path(n.dir) / file;
      value = std::filesystem::absolute(file).lexically_normal().string();
    }
    s.*m = value;
  };
  f.write = [m](const S& s) -> std::optional<Node> { return text_node(s.*m); };
  return f;
}

template <class S, class E>
Field<S> choice(std::string key, E S::*m, std::vector<std::string> names, std::string meaning) {
  auto f = make<S>(std::move(key), "choice", "", list_names(names), std::move(meaning));
  f.choices = names;
  f.read = [m, names](S& s, const Node& n, const Path& p) {
    if constexpr (std::is_enum_v<E>) s.*m = static_cast<E>(read_choice(n, p, names));
    else s.*m = names[read_choice(n, p, names)];
  };
  f.write = [m, names](const S& s) -> std::optional<Node> {
    if constexpr (std::is_enum_v<E>) return Node::scalar(names.at(static_cast<size_t>(s.*m)));
    else return Node::scalar(s.*m);
  };
  return f;
}

template <class S>
Field<S> number_list(std::string key, std::vector<double> S::*m, Range range, std::string unit, std::string allowed,
                     std::string meaning) {
  auto f = make<S>(std::move(key), "list of numbers", std::move(unit), "each " + range.text() + allowed,
                   std::move(meaning));
  f.read = [m, range](S& s, const Node& n, const Path& p) {
    std::vector<double> values;
    if (!n.is_null()) {
      expect_list(n, p, "a list of numbers " + range.phrase());
      for (size_t i = 0; i < n.items.size(); ++i) values.push_back(read_number(n.items[i], join(p, std::to_string(i)), range));
    }
    s.*m = values;
  };
  f.write = [m](const S& s) -> std::optional<Node> { return numbers_node(s.*m); };
  return f;
}

template <class S>
Field<S> string_list(std::string key, std::vector<std::string> S::*m, std::string allowed, std::string meaning) {
  auto f = make<S>(std::move(key), "list of text", "", std::move(allowed), std::move(meaning));
  f.read = [m](S& s, const Node& n, const Path& p) {
    std::vector<std::string> values;
    if (!n.is_null()) {
      expect_list(n, p, "a list of names");
      for (size_t i = 0; i < n.items.size(); ++i) values.push_back(read_string(n.items[i], join(p, std::to_string(i))));
    }
    s.*m = values;
  };
  f.write = [m](const S& s) -> std::optional<Node> {
    Node out = Node::list();
    for (const auto& v : s.*m) out.items.push_back(text_node(v));
    return out;
  };
  return f;
}

// Age bands [from, to] inclusive, ages 0..120, from <= to, no two bands overlapping.

// A list of names, each one of `names` (e.g. study metrics).
template <class S>
Field<S> choice_list(std::string key, std::vector<std::string> S::*m, std::vector<std::string> names, std::string meaning) {
  auto f = make<S>(std::move(key), "list of names", "", "any of: " + list_names(names), std::move(meaning));
  f.read = [m, names](S& s, const Node& n, const Path& p) {
    std::vector<std::string> values;
    if (!n.is_null()) {
      expect_list(n, p, "a list of names out of: " + list_names(names));
      for (size_t i = 0; i < n.items.size(); ++i) values.push_back(names[read_choice(n.items[i], join(p, std::to_string(i)), names)]);
    }
    s.*m = values;
  };
  f.write = [m](const S& s) -> std::optional<Node> {
    Node out = Node::list();
    for (const auto& v : s.*m) out.items.push_back(Node::scalar(v));
    return out;
  };
  return f;
}

template <class S, class T>
Field<S> section(std::string key, T S::*m, std::function<const Schema<T>&()> schema, std::string meaning) {
  auto f = make<S>(std::move(key), "map", "", "keys below", std::move(meaning));
  f.read = [m, schema](S& s, const Node& n, const Path& p) {
    if (n.is_null()) {  // "section:" with every key commented out: all defaults
      Node empty = Node::map();
      empty.pos = n.pos;
      schema().read(s.*m, empty, p);
    } else {
      schema().read(s.*m, n, p);
    }
  };
  f.write = [m, schema](const S& s) -> std::optional<Node> { return schema().write(s.*m); };
  f.nested_doc = [schema](std::vector<DocRow>& rows, const std::string& prefix) { schema().doc(rows, prefix + "."); };
  return f;
}

template <class S, class T>
Field<S> list_of(std::string key, std::vector<T> S::*m, std::function<const Schema<T>&()> schema, std::string allowed,
                 std::string meaning) {
  auto f = make<S>(std::move(key), "list of maps", "", std::move(allowed), std::move(meaning));
  f.read = [m, schema](S& s, const Node& n, const Path& p) {
    std::vector<T> values;
    if (!n.is_null()) {
      expect_list(n, p, "a list of maps");
      for (size_t i = 0; i < n.items.size(); ++i) {
        T item{};
        schema().read(item, n.items[i], join(p, std::to_string(i)));
        values.push_back(std::move(item));
      }
    }
    s.*m = std::move(values);
  };
  f.write = [m, schema](const S& s) -> std::optional<Node> {
    Node out = Node::list();
    for (const auto& v : s.*m) out.items.push_back(schema().write(v));
    return out;
  };
  f.nested_doc = [schema](std::vector<DocRow>& rows, const std::string& prefix) { schema().doc(rows, prefix + "[]."); };
  return f;
}

// A map name -> struct; the name goes into `name_member`, the map keeps the YAML order.
template <class S, class T>
Field<S> named_map(std::string key, std::vector<T> S::*m, std::string T::*name_member,
                   std::function<const Schema<T>&()> schema, std::string allowed, std::string meaning) {
  auto f = make<S>(std::move(key), "map name -> map", "", std::move(allowed), std::move(meaning));
  f.read = [m, name_member, schema](S& s, const Node& n, const Path& p) {
    std::vector<T> values;
    if (!n.is_null()) {
      if (!n.is_map()) fail(n, p, "expected a map of name: {...} entries, got " + describe(n));
      for (size_t i = 0; i < n.entries.size(); ++i) {
        const auto& [name, value] = n.entries[i];
        if (name.empty()) throw InputError(n.key_pos[i], p, "names must not be empty");
        T item{};
        item.*name_member = name;
        if (value.is_null()) {  // "name:" with no keys: all defaults
          Node empty = Node::map();
          empty.pos = value.pos;
          schema().read(item, empty, join(p, name));
        } else {
          schema().read(item, value, join(p, name));
        }
        values.push_back(std::move(item));
      }
    }
    s.*m = std::move(values);
  };
  f.write = [m, name_member, schema](const S& s) -> std::optional<Node> {
    Node out = Node::map();
    for (const auto& v : s.*m) out.add(v.*name_member, schema().write(v));
    return out;
  };
  f.nested_doc = [schema](std::vector<DocRow>& rows, const std::string& prefix) {
    schema().doc(rows, prefix + ".<name>.");
  };
  return f;
}

// The reference table of generated docs: "| key | type | unit | default | allowed | meaning |".
std::string reference_table(const std::vector<DocRow>& rows);

}  // namespace commsim::scenario_detail
