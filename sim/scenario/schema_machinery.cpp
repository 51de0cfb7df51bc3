// The schema machinery (schema_machinery.hpp): reading and checking scalar values, messages, the
// closest-name suggestion, and the reference table of the generated docs.
#include "sim/scenario/schema_machinery.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace commsim::scenario_detail {

std::string join(const Path& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string describe(const Node& n) {
  switch (n.type) {
    case Node::Type::null: return "nothing";
    case Node::Type::list: return "a list";
    case Node::Type::map: return "a map";
    case Node::Type::scalar: return (n.quoted ? "the text \"" : "'") + n.text + (n.quoted ? "\"" : "'");
  }
  return "?";
}

void fail(const Node& n, const Path& path, const std::string& message) {
  throw InputError(n.pos, path, message);
}

std::string short_number(double v) {
  if (v >= 18446744073709551615.0) return "18446744073709551615";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}


std::optional<double> parse_double(std::string text) {
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf" || text == "+.Inf") return kInf;
  if (text == "-.inf" || text == "-.Inf" || text == "-.INF") return -kInf;
  if (!text.empty() && text[0] == '+') text.erase(0, 1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

double read_number(const Node& n, const Path& path, const Range& range) {
  std::optional<double> value;
  if (n.is_scalar() && !n.quoted) value = parse_double(n.text);
  if (!value) fail(n, path, "expected a number " + range.phrase() + ", got " + describe(n));
  if (!std::isfinite(*value)) fail(n, path, "must be a finite number " + range.phrase() + ", got " + describe(n));
  if (!range.contains(*value)) fail(n, path, "must be " + range.phrase() + ", got " + n.text);
  return *value;
}


bool read_bool(const Node& n, const Path& path) {
  if (n.is_scalar() && !n.quoted) {
    static const char* yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char* no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    for (const char* w : yes)
      if (n.text == w) return true;
    for (const char* w : no)
      if (n.text == w) return false;
  }
  fail(n, path, "expected true or false, got " + describe(n));
}

std::string read_string(const Node& n, const Path& path) {
  if (!n.is_scalar()) fail(n, path, "expected a text value, got " + describe(n));
  return n.text;
}

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

size_t read_choice(const Node& n, const Path& path, const std::vector<std::string>& names) {
  if (n.is_scalar())
    for (size_t i = 0; i < names.size(); ++i)
      if (n.text == names[i]) return i;
  std::string hint;
  if (n.is_scalar()) {
    std::string near = closest(n.text, names);
    if (!near.empty()) hint = " (did you mean '" + near + "'?)";
  }
  fail(n, path, "expected one of: " + list_names(names) + "; got " + describe(n) + hint);
}

const Node& expect_list(const Node& n, const Path& path, const std::string& what) {
  if (!n.is_list()) fail(n, path, "expected " + what + ", got " + describe(n));
  return n;
}

Node number_node(double v) { return Node::scalar(format_number(v)); }
Node bool_node(bool v) { return Node::scalar(v ? "true" : "false"); }
Node text_node(const std::string& v) { return Node::scalar(v, true); }

std::string format_number(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  return std::string(buf, end);
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::vector<size_t> row(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (word[i - 1] == c[j - 1] ? 0 : 1)});
        diagonal = up;
      }
    }
    if (row[c.size()] < best_distance && row[c.size()] < word.size()) {
      best_distance = row[c.size()];
      best = c;
    }
  }
  return best;
}

std::string reference_table(const std::vector<DocRow>& rows) {
  auto cell = [](const std::string& text) {
    std::string escaped;
    for (char c : text) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
    return escaped;
  };
  std::string out =
      "| key | type | unit | default | allowed | meaning |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& row : rows)
    out += "| `" + row.path + "` | " + cell(row.type) + " | " + cell(row.unit) + " | `" + cell(row.default_value) +
           "` | " + cell(row.allowed) + " | " + cell(row.meaning) + " |\n";
  return out;
}

}  // namespace commsim::scenario_detail
