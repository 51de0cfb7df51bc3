#include "sim/scenario/tree.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdio>

#include "sim/scenario/yaml_quote.hpp"

namespace commsim::scenario_detail {

const Node* Node::find(const std::string& key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

Node* Node::find(const std::string& key) {
  for (auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

SourcePos Node::key_position(const std::string& key) const {
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].first == key && i < key_pos.size()) return key_pos[i];
  return pos;
}

Node Node::scalar(std::string text, bool quoted) {
  Node n;
  n.type = Type::scalar;
  n.text = std::move(text);
  n.quoted = quoted;
  return n;
}

Node Node::list() {
  Node n;
  n.type = Type::list;
  return n;
}

Node Node::map() {
  Node n;
  n.type = Type::map;
  return n;
}

Node& Node::add(std::string key, Node value) {
  type = Type::map;
  key_pos.push_back(value.pos);
  entries.emplace_back(std::move(key), std::move(value));
  return entries.back().second;
}

namespace {

SourcePos position(const YAML::Mark& mark, const std::string& file) {
  if (mark.is_null()) return SourcePos{file, 0, 0};
  return SourcePos{file, mark.line + 1, mark.column + 1};
}

// Bounds on a document as the tree sees it, after aliases are expanded (issue 9): a self-referring
// alias ("a: &a [*a]") would recurse without end, and nested aliases ("billion laughs") expand
// exponentially. No scenario comes near either bound.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxValues = 1000000;

struct Budget {
  size_t values = 0;
};

Node convert(const YAML::Node& y, const std::string& file, const std::string& dir, const std::string& path,
             Budget& budget, int depth) {
  Node n;
  n.pos = position(y.Mark(), file);
  if (depth > kMaxDepth)
    throw InputError(n.pos, path, "nested more than " + std::to_string(kMaxDepth) +
                                      " levels deep (a YAML alias that refers to itself?)");
  if (++budget.values > kMaxValues)
    throw InputError(n.pos, path, "the document expands to more than " + std::to_string(kMaxValues) +
                                      " values (YAML aliases nested in aliases?)");
  n.dir = dir;
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      n.type = Node::Type::null;
      break;
    case YAML::NodeType::Scalar:
      n.type = Node::Type::scalar;
      n.text = y.Scalar();
      n.quoted = y.Tag() == "!";
      break;
    case YAML::NodeType::Sequence: {
      n.type = Node::Type::list;
      size_t index = 0;
      for (const auto& item : y)
        n.items.push_back(
            convert(item, file, dir, path + (path.empty() ? "" : ".") + std::to_string(index++), budget, depth + 1));
      break;
    }
    case YAML::NodeType::Map:
      n.type = Node::Type::map;
      for (const auto& kv : y) {
        SourcePos key_pos = position(kv.first.Mark(), file);
        if (!kv.first.IsScalar())
          throw InputError(key_pos, path, "map keys must be plain names, not lists or maps");
        std::string key = kv.first.Scalar();
        std::string child_path = path.empty() ? key : path + "." + key;
        if (n.find(key))
          throw InputError(key_pos, child_path, "duplicate key '" + key + "' (each key may appear once in a map)");
        Node value = convert(kv.second, file, dir, child_path, budget, depth + 1);
        if (value.is_null()) value.pos = key_pos;  // "key:" with no value: yaml-cpp marks the next token
        n.entries.emplace_back(key, std::move(value));
        n.key_pos.push_back(key_pos);
      }
      break;
  }
  return n;
}

bool plain_key(const std::string& key) {
  if (key.empty()) return false;
  static const char* reserved[] = {"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
                                   "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "n"};
  for (const char* word : reserved)
    if (key == word) return false;
  if (!(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_')) return false;
  for (char c : key)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

}  // namespace

std::string yaml_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

namespace {

std::string key_text(const std::string& key) { return plain_key(key) ? key : yaml_quote(key); }

std::string scalar_text(const Node& n) {
  if (n.is_null()) return "null";
  return n.quoted ? yaml_quote(n.text) : n.text;
}

bool flowable(const Node& n, int depth) {
  if (n.is_scalar() || n.is_null()) return true;
  if (depth >= 2) return false;
  if (n.is_list()) {
    for (const auto& item : n.items)
      if (!flowable(item, depth + 1)) return false;
  } else {
    for (const auto& [k, v] : n.entries)
      if (!flowable(v, depth + 1)) return false;
  }
  return true;
}

std::string flow(const Node& n) {
  if (n.is_scalar() || n.is_null()) return scalar_text(n);
  std::string out;
  if (n.is_list()) {
    out = "[";
    for (size_t i = 0; i < n.items.size(); ++i) out += (i ? ", " : "") + flow(n.items[i]);
    return out + "]";
  }
  out = "{";
  for (size_t i = 0; i < n.entries.size(); ++i)
    out += (i ? ", " : "") + key_text(n.entries[i].first) + ": " + flow(n.entries[i].second);
  return out + "}";
}

constexpr size_t kMaxFlowWidth = 110;

void write_block(const Node& n, int indent, std::string& out);

// A value after "key:" or "- ": inline when it fits on one line, else a nested block.
void write_value(const Node& v, int indent, std::string& out, size_t used_width) {
  if (v.is_scalar() || v.is_null() || ((v.is_list() ? v.items.empty() : v.entries.empty()))) {
    out += ' ';
    out += flow(v);
    out += '\n';
    return;
  }
  if (flowable(v, 0)) {
    std::string text = flow(v);
    if (used_width + 1 + text.size() <= kMaxFlowWidth) {
      out += " " + text + "\n";
      return;
    }
  }
  out += "\n";
  write_block(v, indent + 2, out);
}

void write_block(const Node& n, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (n.is_map()) {
    for (const auto& [k, v] : n.entries) {
      std::string head = pad + key_text(k) + ":";
      out += head;
      write_value(v, indent, out, head.size());
    }
  } else if (n.is_list()) {
    for (const auto& item : n.items) {
      if (item.is_map() && !item.entries.empty() &&
          !(flowable(item, 0) && flow(item).size() + static_cast<size_t>(indent) + 2 <= kMaxFlowWidth)) {
        std::string block;
        write_block(item, indent + 2, block);
        out += pad + "- " + block.substr(static_cast<size_t>(indent) + 2);
      } else {
        out += pad + "-";
        write_value(item, indent, out, pad.size() + 1);
      }
    }
  } else {
    out += pad + scalar_text(n) + "\n";
  }
}

// The length of the UTF-8 sequence starting at text[i], 0 when it is not well-formed (overlong
// forms, surrogates and code points above U+10FFFF included).
size_t utf8_sequence(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u; };
  const unsigned c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) { n = 3; lo = c == 0xE0 ? 0xA0 : 0x80; hi = c == 0xED ? 0x9F : 0xBF; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 4; lo = c == 0xF0 ? 0x90 : 0x80; hi = c == 0xF4 ? 0x8F : 0xBF; }
  else return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return n;
}

// A scenario is UTF-8 text (names reach HTML and JSON reports): the first other byte is refused
// at its line and column (columns count characters).
void check_utf8(const std::string& text, const std::string& file) {
  int line = 1, column = 1;
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_sequence(text, i);
    if (n == 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(text[i])));
      throw InputError(SourcePos{file, line, column}, "",
                       std::string("not UTF-8 text: byte ") + hex +
                           " is not part of a UTF-8 character (save the file as UTF-8)");
    }
    if (text[i] == '\n') { ++line; column = 1; }
    else ++column;
    i += n;
  }
}

// The last tab that indents a line up to the line of a parse error, or any tab on that line (line 0
// when there is none). Tabs inside values of earlier lines are legal and not named.
SourcePos last_tab_before(const std::string& text, const std::string& file, const YAML::Mark& mark) {
  SourcePos found{file, 0, 0};
  int line = 1, column = 1;
  bool indent = true;
  const int stop_line = mark.is_null() ? 1 << 30 : mark.line + 1;
  for (char c : text) {
    if (line > stop_line) break;
    if (c == '\t' && (indent || line == stop_line)) found = SourcePos{file, line, column};
    indent = indent && (c == ' ' || c == '\t');
    if (c == '\n') { ++line; column = 1; indent = true; }
    else ++column;
  }
  return found;
}

}  // namespace

Node parse_yaml(const std::string& text, const std::string& file, const std::string& dir, bool empty_is_map) {
  check_utf8(text, file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp names what it expected ("illegal map value"), not the tab that broke the
    // indentation: name the tab when one stands at or before the error.
    if (const SourcePos tab = last_tab_before(text, file, e.mark); tab.line > 0)
      throw InputError(tab, "", "malformed YAML: a tab character (YAML indents with spaces only, never tabs; " +
                                    e.msg + " at line " + std::to_string(e.mark.line + 1) + ")");
    throw InputError(position(e.mark, file), "", "malformed YAML: " + e.msg);
  }
  Budget budget;
  Node n = convert(root, file, dir, "", budget, 0);
  if (n.is_null() && empty_is_map) {  // an empty document is an empty map
    n.type = Node::Type::map;
    n.pos = SourcePos{file, 1, 1};
  }
  return n;
}

void merge_into(Node& base, const Node& over) {
  if (!base.is_map() || !over.is_map()) {
    base = over;
    return;
  }
  for (size_t i = 0; i < over.entries.size(); ++i) {
    const auto& [key, value] = over.entries[i];
    if (Node* existing = base.find(key)) {
      merge_into(*existing, value);
      for (size_t j = 0; j < base.entries.size(); ++j)
        if (base.entries[j].first == key && i < over.key_pos.size()) base.key_pos[j] = over.key_pos[i];
    } else {
      base.entries.emplace_back(key, value);
      base.key_pos.push_back(i < over.key_pos.size() ? over.key_pos[i] : value.pos);
    }
  }
}

std::string to_yaml_text(const Node& root) {
  std::string out;
  write_block(root, 0, out);
  return out;
}

std::string to_flow_text(const Node& node) { return flow(node); }

}  // namespace commsim::scenario_detail
