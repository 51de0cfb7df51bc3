// The parameter registry (issue 16): for every model parameter of the scenario schema its unit,
// plausible range, sampling distribution and source, so that a study can sample it (issue 17),
// `commsim calibrate` can fit it within its range, and docs/parameters.md can cite it.
//
// The registry is a YAML file keyed by scenario key paths (sim/calibration/parameters.yaml, shipped
// and embedded at build time; `--registry FILE` replaces it). A key may use wildcards for map
// entries and list items: `services.<service>.service_minutes`, `population.dependency.<band>.full`;
// the most specific key that matches a concrete key wins (`services.medical.service_minutes` over
// the wildcard). A range is absolute (`low`, `high`) or relative to the scenario's value (`factor:
// [a, b]`). `excluded:` lists the numeric schema keys that are not model parameters (run settings,
// explicit city data, definitions), each with its reason. The file is read with the scenario schema
// machinery: unknown keys, a pattern that names no scenario key, an unknown source key, a range
// that excludes the scenario's value — all are InputError with the registry's file:line:column.
//
// A concrete parameter is a key as `--set` writes it (`services.medical.service_minutes`,
// `population.dependency.2.partial`); applying values is applying `--set` overrides, so every
// loader check applies to sampled values too.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

enum class Distribution : uint8_t { uniform, loguniform, triangular, fixed };
// "uniform", "loguniform", "triangular" (mode = the scenario's value), "fixed" (not sampled).
const char* distribution_name(Distribution distribution);

// One numeric leaf of the scenario schema in generic form: map entries `<name>`, list items
// `<item>`, age bands `<band>`, numbers of a list `<index>`, hours `<hour>`, dependency levels by
// name (`services.<name>.visits_per_period.partial`).
struct SchemaLeaf {
  std::string path;
  std::string type;  // the schema row's type ("number", "integer", "list of {from, to, value}", ...)
  std::string unit;
  bool integer = false;
};
// Every numeric leaf of the scenario schema, in schema order.
const std::vector<SchemaLeaf>& scenario_parameter_leaves();

struct RegistryEntry {
  std::string pattern;
  SourcePos pos;                     // of the pattern in the registry file
  bool relative = false;             // range = factor x the scenario's value
  double low = 0, high = 0;          // absolute range, or the factors when relative
  Distribution distribution = Distribution::uniform;
  std::string source, note, unit;    // unit: "" = the schema's
  bool lever = false;                // a policy lever (norm, staffing, facility): varied in studies
  // Applies only where the entity's key (relative to the first map entry or list item of the
  // pattern, e.g. `kind` of `services.<service>`) has one of these values.
  std::vector<std::pair<std::string, std::vector<std::string>>> only_if;
};

struct RegistryExclusion {
  std::string pattern, reason;
  SourcePos pos;
};

// One concrete model parameter of a scenario.
struct Parameter {
  std::string key;           // as --set writes it
  std::string entry;         // the registry key that gave it
  std::string unit;          // "1" when dimensionless
  std::string label;         // age band items: "ages 60-69"; "" otherwise
  double default_value = 0;  // the scenario's value
  double low = 0, high = 0;  // equal for a fixed parameter
  Distribution distribution = Distribution::uniform;
  std::string source, note;
  bool integer = false, lever = false;
  SourcePos where;           // the registry entry's position
  bool sampled() const { return distribution != Distribution::fixed; }
};

class ParameterRegistry {
 public:
  // The registry shipped in the binary (sim/calibration/parameters.yaml).
  static const ParameterRegistry& shipped();
  static ParameterRegistry load(const std::string& path);
  static ParameterRegistry parse(const std::string& text, const std::string& file);

  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }
  const std::vector<RegistryEntry>& entries() const { return entries_; }
  const std::vector<RegistryExclusion>& exclusions() const { return exclusions_; }

  // Every model parameter of `scenario` (its numeric keys minus the excluded and those an
  // `only_if` rules out), in schema order. A key without an entry, a range that excludes the
  // scenario's value, or one the loader refuses (all lows or all highs applied together) is an
  // InputError at the registry entry. With `keys`, only those parameters are resolved and checked
  // (an unknown key is InputError naming the closest); `check_loader` off skips the two loads.
  std::vector<Parameter> parameters(const Scenario& scenario, const std::vector<std::string>& keys = {},
                                    bool check_loader = true) const;

  // Schema leaves that no entry and no exclusion covers (the coverage test), and a text saying
  // exactly what to add for each.
  std::vector<SchemaLeaf> uncovered() const;
  static std::string what_to_add(const SchemaLeaf& leaf);

 private:
  std::string file_, text_;
  std::vector<RegistryEntry> entries_;
  std::vector<RegistryExclusion> exclusions_;
};

// Inverse CDF of the parameter's distribution at u in [0, 1] (integers rounded, fixed: the value).
double parameter_quantile(const Parameter& parameter, double u);
// The optimiser's coordinate x in [0, 1] <-> the value: linear, or logarithmic for loguniform.
double parameter_from_unit(const Parameter& parameter, double x);
double parameter_to_unit(const Parameter& parameter, double value);
// "key=value" with the shortest text that reads back as the value (integers as integers).
std::string parameter_override(const Parameter& parameter, double value);
// `base` with the parameters set to `values` (as --set overrides after the scenario's own): every
// loader check applies. InputError names the parameter a refused value belongs to.
Scenario with_parameters(const Scenario& base, const std::vector<Parameter>& parameters,
                         const std::vector<double>& values);

// `commsim params --json`: {"parameters": [{"key", "unit", "default", "low", "high",
// "distribution", "source"}]}.
std::string parameters_json(const std::vector<Parameter>& parameters);
// docs/parameters.md: the registry's entries and exclusions, and the parameters of `scenario`
// (the shipped baseline) with the services whose results rest on assumption-only parameters.
std::string parameters_markdown(const ParameterRegistry& registry, const Scenario& scenario);

}  // namespace commsim
