// Loading a scenario: YAML file -> validated, fully resolved Scenario. The only module that
// includes yaml-cpp. Handles `extends:` (a chain of base files, cycles refused), `--set` overrides
// ("a.b.c=value", highest precedence), defaults, CSV city files, and validation of every key with
// its source position. Any problem throws InputError(file:line:column, key path, what is allowed)
// before any simulation starts.
#pragma once
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

// Precedence, lowest to highest: defaults < base files (extends chain, farthest first) < the file
// < overrides in the order given. `overrides` are "key.path=value" where value is YAML
// (e.g. "run.days=30", "services.admin.rate_per_year=2.5", "population.household_size_shares=[1]").
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

// Same, from YAML text; `virtual_name` is used as the file name in error messages and `base_dir`
// resolves relative paths (extends, communities_file, households_file).
Scenario load_scenario_text(const std::string& yaml_text, const std::string& virtual_name,
                            const std::string& base_dir,
                            const std::vector<std::string>& overrides = {});

// The fully resolved scenario (every key, defaults included) as YAML; loading it again gives an
// identical Scenario (doubles are written with the shortest text that reads back exactly). Paths are
// absolute. When city.communities_file is set, the communities are not listed (they are re-read from
// the file). The loader stores this text in Scenario::resolved_yaml.
std::string scenario_to_yaml(const Scenario& scenario);

// docs/scenario-reference.md, generated from the same schema the loader validates against.
std::string scenario_reference_markdown();

// One key of the scenario schema: what docs/scenario-reference.md lists and the workbench's form is
// generated from (study files' reference rows have the same shape: schema_machinery.hpp). `path` is
// generic (`a.b`, list items `a[].b`, map entries `a.<name>.b`). Numbers carry their allowed range
// (`low`..`high`, each excluded when `low_open`/`high_open`; infinite when open-ended); choices
// their names.
struct SchemaRow {
  std::string path, type, unit, default_value, allowed, meaning;
  double low = -std::numeric_limits<double>::infinity(), high = std::numeric_limits<double>::infinity();
  bool low_open = false, high_open = false;
  std::vector<std::string> choices = {};  // "= {}": rows written {path, type, ...} need not list it
};
std::vector<SchemaRow> scenario_schema_rows();

namespace scenario_detail {
struct Node;
// Walks a YAML tree beside the schema rows: `key` is the concrete path of `map`, `generic` its row
// path. Descends through entries whose row is a "map", a "map name -> map" (`.<name>`) or a "list of
// maps" (`[]`) and calls visit(concrete key, row, value) for every other entry that has a row.
void walk_schema_tree(const Node& map, const std::string& key, const std::string& generic,
                      const std::vector<SchemaRow>& rows,
                      const std::function<void(const std::string&, const SchemaRow&, const Node&)>& visit);
}  // namespace scenario_detail

// A single-valued key of a loaded scenario as `--set` names it (map entries by name, list items by
// index: "staffing.rules.community_worker.per_10k", "city.communities.0.households"), its value in
// the scenario (YAML text) and its schema row. Lists, maps and file paths are not included.
struct ScenarioKey {
  std::string key, value;
  SchemaRow row;
};
std::vector<ScenarioKey> scenario_scalar_keys(const Scenario& scenario);

}  // namespace commsim
