// Internal to sim/scenario: the YAML document as a small tree that remembers where every node came
// from (file, line, column, and the directory relative paths in it resolve against). Files are parsed
// with yaml-cpp and converted to this tree once, so `extends` and `--set` can merge trees while every
// value keeps its own source position (an error in a base file points into the base file).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "sim/core/error.hpp"

namespace commsim::scenario_detail {

struct Node {
  struct Entry;  // a map entry: key `first`, value `second` (defined below: std::pair<std::string, Node>
                 // needs Node complete, which clang with libstdc++ enforces)
  enum class Type { null, scalar, list, map };
  Type type = Type::null;
  std::string text;                                  // scalar text
  bool quoted = false;                               // scalar was quoted in the source
  std::vector<Node> items;                           // list items
  std::vector<Entry> entries;                        // map entries in source order
  std::vector<SourcePos> key_pos;                    // position of each map key
  SourcePos pos;                                     // position of the value
  std::string dir;                                   // directory for relative paths in this value

  bool is_map() const { return type == Type::map; }
  bool is_list() const { return type == Type::list; }
  bool is_scalar() const { return type == Type::scalar; }
  bool is_null() const { return type == Type::null; }
  const Node* find(const std::string& key) const;
  Node* find(const std::string& key);
  SourcePos key_position(const std::string& key) const;  // the key's position, else the map's

  static Node scalar(std::string text, bool quoted = false);
  static Node list();
  static Node map();
  Node& add(std::string key, Node value);  // append a map entry
};

struct Node::Entry {
  std::string first;
  Node second;
  Entry(std::string key, Node value) : first(std::move(key)), second(std::move(value)) {}
};

// Parse YAML text into a tree; yaml-cpp parse errors become InputError at their position.
// An empty document is an empty map unless `empty_is_map` is false (then a null node).
Node parse_yaml(const std::string& text, const std::string& file, const std::string& dir, bool empty_is_map = true);

// Recursive merge: maps merge key by key (keys of `over` win), anything else is replaced by `over`.
void merge_into(Node& base, const Node& over);

// Emit the tree as YAML text (block style; small lists and maps of scalars in flow style).
std::string to_yaml_text(const Node& root);

// Compact one-line flow rendering (used for defaults in the reference docs).
std::string to_flow_text(const Node& node);

}  // namespace commsim::scenario_detail
