// Internal to sim/scenario: the schema, one table of every scenario key (type, unit, default, allowed
// values, meaning) used three ways so they cannot disagree: reading and checking values from the
// YAML tree, writing a Scenario back as a tree (scenario_to_yaml), and generating
// docs/scenario-reference.md. Cross-references between sections are checked in validate.cpp.
#pragma once
#include <string>
#include <vector>

#include "sim/scenario/load.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/tree.hpp"

namespace commsim::scenario_detail {

using DocRow = SchemaRow;

// Reads every key of the merged tree into a Scenario, checking types, enum values and ranges.
// Unknown keys are refused (with the closest known key suggested).
Scenario scenario_from_tree(const Node& root);

// Reads one community (a CSV row converted to a map of scalars), with the same checks as in YAML.
void read_community(CommunitySpec& community, const Node& row, const std::string& path);

// The fully resolved Scenario as a tree (all keys, defaults included).
Node scenario_to_tree(const Scenario& scenario);

// One row per key, in schema order (nested keys as a.b, list items as a[].b, map entries as a.<name>.b).
std::vector<DocRow> schema_rows();

// Cross-section checks (references, required keys, sums); positions looked up in the tree.
void validate_scenario(const Scenario& scenario, const Node& root);

// Position of the deepest node along a dotted path (falls back to the parents' positions).
SourcePos position_of(const Node& root, const std::string& path);

// Closest of `candidates` to `word` by edit distance, or "" when none is close.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

// "1" -> "1", 0.1 -> "0.1": the shortest text that reads back as the same double.
std::string format_number(double value);

}  // namespace commsim::scenario_detail
