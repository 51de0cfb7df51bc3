// Internal to sim/scenario: the scenario schema, one table of every scenario key (type, unit,
// default, allowed values, meaning; built with schema_machinery.hpp) used three ways so they cannot
// disagree: reading and checking values from the YAML tree, writing a Scenario back as a tree
// (scenario_to_yaml), and generating docs/scenario-reference.md. Cross-references between sections
// and every other input check are in validate.cpp.
#pragma once
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/scenario/schema_machinery.hpp"
#include "sim/scenario/tree.hpp"

namespace commsim::scenario_detail {

// Reads every key of the merged tree into a Scenario, checking types, enum values and ranges.
// Unknown keys are refused (with the closest known key suggested).
Scenario scenario_from_tree(const Node& root);

// Reads one community (a CSV row converted to a map of scalars), with the same checks as in YAML.
void read_community(CommunitySpec& community, const Node& row, const std::string& path);

// A norm file's tree (scenarios/norms/*.yaml) as a NormSet; `given` marks the sections it has.
NormSet norm_set_from_tree(const Node& root);
std::vector<DocRow> norm_set_rows();
// A norm set's sections as scenario keys (staffing.rules.community_worker when the tree has that
// role, staffing.committee, facility, funding, sizing), to merge over the scenario's tree.
Node norm_overlay(const NormSet& set, const Node& root);

// The fully resolved Scenario as a tree (all keys, defaults included).
Node scenario_to_tree(const Scenario& scenario);

// One row per key, in schema order (nested keys as a.b, list items as a[].b, map entries as a.<name>.b).
std::vector<DocRow> schema_rows();

// Cross-section checks (references, required keys, sums); positions looked up in the tree.
void validate_scenario(const Scenario& scenario, const Node& root);

// Position of the deepest node along a dotted path (falls back to the parents' positions).
SourcePos position_of(const Node& root, const std::string& path);

}  // namespace commsim::scenario_detail
