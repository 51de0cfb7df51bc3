// The parameter registry (registry.hpp): the catalogue of numeric schema leaves, the registry file
// read with the scenario schema machinery, concrete parameters of a scenario (its resolved YAML
// walked beside the schema rows), sampling transforms, overrides, JSON and the generated docs.
#include "sim/calibration/registry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "commsim/calibration_files.hpp"
#include "sim/calibration/input_file.hpp"
#include "sim/calibration/sources.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/schema_machinery.hpp"
#include "sim/scenario/tree.hpp"

namespace commsim {

namespace {

using scenario_detail::Node;
using scenario_detail::Path;
using scenario_detail::Schema;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// ------------------------------------------------------------------ key paths
std::vector<std::string> split(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

bool is_wildcard(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '<' && segment.back() == '>';
}

// Whether `pattern` matches `key` segment by segment (a wildcard on either side matches anything;
// `prefix`: the pattern may be shorter and match the key's first segments).
// A key's wildcard matches any pattern segment, unless `covering`: then only a pattern wildcard
// covers it (a generic schema leaf is covered only by an entry that also covers entities a
// scenario may add, not by one entity's own entry).
bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& key, bool prefix,
             bool covering = false) {
  if (pattern.size() > key.size() || (!prefix && pattern.size() != key.size())) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (covering && is_wildcard(key[i]) && !is_wildcard(pattern[i])) return false;
    if (!is_wildcard(pattern[i]) && !is_wildcard(key[i]) && pattern[i] != key[i]) return false;
  }
  return true;
}

int literal_segments(const std::vector<std::string>& pattern) {
  int n = 0;
  for (const auto& s : pattern) n += !is_wildcard(s);
  return n;
}

// The schema row path of a generic leaf ("a[].b" written as "a.<item>.b").
std::string leaf_path(const std::string& row_path) {
  std::string out;
  for (size_t i = 0; i < row_path.size(); ++i) {
    if (row_path.compare(i, 2, "[]") == 0) {
      out += ".<item>";
      ++i;
    } else {
      out += row_path[i];
    }
  }
  return out;
}

const char* const kBandValue = "list of {from, to, value}";
const char* const kBandLevels = "list of {from, to, partial, full}";
const char* const kPerLevel = "map {none, partial, full}";
const char* const kNumbers = "list of numbers";
const char* const kHourly = "list of 24 numbers";
const std::vector<std::string> kLevelNames = {"none", "partial", "full"};

// The leaves a schema row holds: (suffix, integer).
std::vector<std::string> leaf_suffixes(const std::string& type) {
  if (type == "number" || type == "integer") return {""};
  if (type == kNumbers) return {".<index>"};
  if (type == kBandValue) return {".<band>.value"};
  if (type == kBandLevels) return {".<band>.partial", ".<band>.full"};
  if (type == kPerLevel) return {".none", ".partial", ".full"};
  if (type == kHourly) return {".<hour>"};
  return {};
}

// ------------------------------------------------------------------ the registry file
struct OnlyIf {
  std::vector<std::pair<std::string, std::vector<std::string>>> conditions;
};

struct EntryFields {
  std::string pattern;
  double low = kNaN, high = kNaN;
  std::vector<double> factor;
  Distribution distribution = Distribution::uniform;
  std::string source, note, unit;
  bool lever = false;
  OnlyIf only_if;
};

struct RegistryFile {
  std::vector<EntryFields> parameters;
  std::vector<std::pair<std::string, std::string>> excluded;
};

const std::vector<std::string> kDistributionNames = {"uniform", "loguniform", "triangular", "fixed"};

const Schema<EntryFields>& entry_schema() {
  static const Schema<EntryFields> s = [] {
    using scenario_detail::Range;
    Schema<EntryFields> schema;
    auto only_if = scenario_detail::make<EntryFields>(
        "only_if", "map key -> list of text", "", "keys of the entity (e.g. kind of a service)",
        "the entry applies only where the entity's key has one of these values");
    only_if.read = [](EntryFields& e, const Node& n, const Path& p) {
      if (!n.is_map()) scenario_detail::fail(n, p, "expected a map such as {kind: [episodic]}");
      for (const auto& [key, values] : n.entries) {
        std::vector<std::string> allowed;
        if (values.is_list())
          for (size_t i = 0; i < values.items.size(); ++i)
            allowed.push_back(scenario_detail::read_string(values.items[i], scenario_detail::join(p, key)));
        else
          allowed.push_back(scenario_detail::read_string(values, scenario_detail::join(p, key)));
        e.only_if.conditions.emplace_back(key, allowed);
      }
    };
    schema.fields = {
        scenario_detail::num("low", &EntryFields::low, Range{}, "the key's unit", "absolute range: lowest plausible value"),
        scenario_detail::num("high", &EntryFields::high, Range{}, "the key's unit", "absolute range: highest plausible value"),
        scenario_detail::number_list("factor", &EntryFields::factor, scenario_detail::kNonNegative, "", "; [a, b], a <= 1 <= b",
                                     "relative range: a and b times the scenario's value"),
        scenario_detail::choice("distribution", &EntryFields::distribution, kDistributionNames,
                                "sampling distribution (triangular: mode = the scenario's value; fixed: not sampled)"),
        scenario_detail::text("source", &EntryFields::source, "keys of docs/sources.md, or \"assumption: <why>\"",
                              "where the range comes from"),
        scenario_detail::text("note", &EntryFields::note, "text", "how the range follows from the source"),
        scenario_detail::text("unit", &EntryFields::unit, "text", "unit, when the schema's is not the one to show"),
        scenario_detail::flag("lever", &EntryFields::lever, "a policy lever (a norm or staffing choice) rather than an uncertain quantity"),
        only_if,
    };
    schema.check = [](EntryFields& e, const Node& n, const Path& p) {
      const Node* source = n.find("source");
      if (!source) scenario_detail::fail(n, p, "an entry needs 'source': keys of docs/sources.md or \"assumption: <why>\"");
      check_source(e.source, source->pos, scenario_detail::join(p, "source"));
      const bool absolute = n.find("low") || n.find("high");
      const bool relative = n.find("factor") != nullptr;
      if (e.distribution == Distribution::fixed) {
        if (absolute || relative) scenario_detail::fail(n, p, "a fixed parameter takes no range (its value is the scenario's)");
        return;
      }
      if (absolute == relative)
        scenario_detail::fail(n, p, "give either low and high (an absolute range) or factor: [a, b] (relative to the scenario's value)");
      if (absolute) {
        if (!n.find("low") || !n.find("high")) scenario_detail::fail(n, p, "an absolute range needs both low and high");
        if (!(e.low < e.high))
          throw InputError(n.key_position("high"), scenario_detail::join(p, "high"),
                           "high must be > low, got [" + scenario_detail::format_number(e.low) + ", " +
                               scenario_detail::format_number(e.high) + "]");
        if (e.distribution == Distribution::loguniform && !(e.low > 0))
          throw InputError(n.key_position("low"), scenario_detail::join(p, "low"), "a loguniform range needs low > 0");
      } else {
        if (e.factor.size() != 2 || !(e.factor[0] <= 1 && 1 <= e.factor[1] && e.factor[0] < e.factor[1]))
          throw InputError(n.key_position("factor"), scenario_detail::join(p, "factor"),
                           "expected [a, b] with a <= 1 <= b and a < b (the scenario's value lies within)");
        if (e.distribution == Distribution::loguniform && !(e.factor[0] > 0))
          throw InputError(n.key_position("factor"), scenario_detail::join(p, "factor"), "a loguniform range needs a > 0");
      }
    };
    return schema;
  }();
  return s;
}

const Schema<RegistryFile>& registry_schema() {
  static const Schema<RegistryFile> s = [] {
    Schema<RegistryFile> schema;
    auto excluded = scenario_detail::make<RegistryFile>("excluded", "map key -> text", "", "key pattern: reason",
                                                        "numeric scenario keys that are not model parameters");
    excluded.read = [](RegistryFile& r, const Node& n, const Path& p) {
      if (n.is_null()) return;
      if (!n.is_map()) scenario_detail::fail(n, p, "expected a map of key pattern: reason");
      for (const auto& [key, reason] : n.entries) {
        const std::string text = scenario_detail::read_string(reason, scenario_detail::join(p, key));
        if (text.empty()) scenario_detail::fail(reason, scenario_detail::join(p, key), "say why the key is not a model parameter");
        r.excluded.emplace_back(key, text);
      }
    };
    schema.fields = {scenario_detail::named_map<RegistryFile, EntryFields>(
                         "parameters", &RegistryFile::parameters, &EntryFields::pattern, entry_schema,
                         "scenario key pattern: {low, high | factor, distribution, source, ...}", "model parameters"),
                     excluded};
    return schema;
  }();
  return s;
}

// A pattern must name numeric scenario keys (for exclusions: keys under it).
void check_pattern(const std::string& pattern, const SourcePos& pos, const std::string& path, bool prefix) {
  const std::vector<std::string> parts = split(pattern);
  std::vector<std::string> generic;
  for (const auto& leaf : scenario_parameter_leaves()) {
    if (matches(parts, split(leaf.path), prefix)) return;
    generic.push_back(leaf.path);
  }
  for (const auto& part : parts)
    if (part.empty()) throw InputError(pos, path, "empty segment in the key pattern '" + pattern + "'");
  const std::string near = scenario_detail::closest(pattern, generic);
  throw InputError(pos, path,
                   "'" + pattern + "' names no numeric scenario key" +
                       (prefix ? " (nor a section holding one)" : "") +
                       (near.empty() ? "" : "; did you mean '" + near + "'?") +
                       " (keys as in docs/scenario-reference.md; wildcards <...> for map entries and list items)");
}

// ------------------------------------------------------------------ concrete leaves of a scenario
struct ConcreteLeaf {
  std::string key;      // services.medical.service_minutes
  std::string generic;  // services.<name>.service_minutes (a catalogue path)
  std::string entity;   // services.medical: what only_if keys are relative to
  std::string text;     // the value as written in the resolved YAML
  std::string label;
  std::string unit;
  bool integer = false;
};

// The concrete prefix through the first wildcard of the generic path (or the parent key).
std::string entity_of(const std::string& key, const std::string& generic) {
  const std::vector<std::string> k = split(key), g = split(generic);
  size_t end = k.size() - 1;
  for (size_t i = 0; i < g.size() && i < k.size(); ++i)
    if (is_wildcard(g[i])) {
      end = i + 1;
      break;
    }
  std::string out;
  for (size_t i = 0; i < end; ++i) out += (i ? "." : "") + k[i];
  return out;
}

void walk(const Node& tree, const std::vector<SchemaRow>& rows, std::vector<ConcreteLeaf>& out) {
  using scenario_detail::join;
  scenario_detail::walk_schema_tree(tree, "", "", rows, [&](const std::string& concrete, const SchemaRow& row,
                                                            const Node& value) {
    const std::string& row_path = row.path;
    auto leaf = [&](const std::string& k, const std::string& suffix, const Node& v, std::string label = "") {
      if (!v.is_scalar()) return;
      const std::string generic = leaf_path(row_path) + suffix;
      out.push_back(ConcreteLeaf{k, generic, entity_of(k, generic), v.text, std::move(label), row.unit,
                                 row.type == "integer"});
    };
    if (row.type == "number" || row.type == "integer") {
      leaf(concrete, "", value);
    } else if ((row.type == kNumbers || row.type == kHourly) && value.is_list()) {
      for (size_t i = 0; i < value.items.size(); ++i)
        leaf(join(concrete, std::to_string(i)), row.type == kNumbers ? ".<index>" : ".<hour>", value.items[i]);
    } else if ((row.type == kBandValue || row.type == kBandLevels) && value.is_list()) {
      for (size_t i = 0; i < value.items.size(); ++i) {
        const Node& band = value.items[i];
        if (!band.is_map()) continue;
        const Node* from = band.find("from");
        const Node* to = band.find("to");
        const std::string label = from && to ? "ages " + from->text + "-" + to->text : "";
        for (const char* field : row.type == kBandValue ? std::vector<const char*>{"value"}
                                                        : std::vector<const char*>{"partial", "full"})
          if (const Node* v = band.find(field))
            leaf(join(join(concrete, std::to_string(i)), field), std::string(".<band>.") + field, *v, label);
      }
    } else if (row.type == kPerLevel && value.is_map()) {
      for (const auto& [level, v] : value.entries) leaf(join(concrete, level), "." + level, v);
    }
  });
}

const Node* lookup(const Node& root, const std::string& key) {
  const Node* at = &root;
  for (const auto& part : split(key)) {
    if (at->is_map()) {
      at = at->find(part);
    } else if (at->is_list()) {
      const bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoul(part) >= at->items.size()) return nullptr;
      at = &at->items[std::stoul(part)];
    } else {
      return nullptr;
    }
    if (!at) return nullptr;
  }
  return at;
}

using calibration_detail::directory_of;

std::string range_text(double low, double high) {
  return "[" + scenario_detail::format_number(low) + ", " + scenario_detail::format_number(high) + "]";
}

}  // namespace

// ------------------------------------------------------------------ public
const char* distribution_name(Distribution d) { return kDistributionNames.at(static_cast<size_t>(d)).c_str(); }

const std::vector<SchemaLeaf>& scenario_parameter_leaves() {
  static const std::vector<SchemaLeaf> leaves = [] {
    std::vector<SchemaLeaf> out;
    for (const auto& row : scenario_schema_rows())
      for (const auto& suffix : leaf_suffixes(row.type))
        out.push_back(SchemaLeaf{leaf_path(row.path) + suffix, row.type, row.unit, row.type == "integer"});
    return out;
  }();
  return leaves;
}

const ParameterRegistry& ParameterRegistry::shipped() {
  static const ParameterRegistry registry = [] {
    try {
      return parse(calibration_files::kParametersYaml, "sim/calibration/parameters.yaml");
    } catch (const InputError& e) {
      throw std::logic_error(std::string("the shipped parameter registry is broken: ") + e.what());
    }
  }();
  return registry;
}

ParameterRegistry ParameterRegistry::load(const std::string& path) {
  return parse(calibration_detail::read_input_file(path, "--registry", "parameter registry"), path);
}

ParameterRegistry ParameterRegistry::parse(const std::string& text, const std::string& file) {
  RegistryFile parsed;
  const Node root = calibration_detail::read_input_map(text, file, registry_schema(), parsed,
                                                       "a parameter registry is a map with parameters: and excluded:");
  ParameterRegistry r;
  r.file_ = file;
  r.text_ = text;
  const Node* params = root.find("parameters");
  for (size_t i = 0; i < parsed.parameters.size(); ++i) {
    const EntryFields& e = parsed.parameters[i];
    const SourcePos pos = params->key_pos[i];
    check_pattern(e.pattern, pos, "parameters." + e.pattern, false);
    RegistryEntry entry;
    entry.pattern = e.pattern;
    entry.pos = pos;
    entry.distribution = e.distribution;
    entry.relative = !e.factor.empty();
    entry.low = entry.relative ? e.factor[0] : e.low;
    entry.high = entry.relative ? e.factor[1] : e.high;
    entry.source = e.source;
    entry.note = e.note;
    entry.unit = e.unit;
    entry.lever = e.lever;
    entry.only_if = e.only_if.conditions;
    for (const auto& earlier : r.entries_)
      if (earlier.pattern == entry.pattern)
        throw InputError(pos, "parameters." + e.pattern, "duplicate entry (first at line " + std::to_string(earlier.pos.line) + ")");
    r.entries_.push_back(std::move(entry));
  }
  const Node* excluded = root.find("excluded");
  for (size_t i = 0; i < parsed.excluded.size(); ++i) {
    const SourcePos pos = excluded->key_pos[i];
    check_pattern(parsed.excluded[i].first, pos, "excluded." + parsed.excluded[i].first, true);
    r.exclusions_.push_back(RegistryExclusion{parsed.excluded[i].first, parsed.excluded[i].second, pos});
  }
  return r;
}

namespace {

struct Resolution {
  const RegistryEntry* entry = nullptr;
  const RegistryExclusion* exclusion = nullptr;
};

Resolution resolve(const ParameterRegistry& r, const std::vector<std::string>& key, bool covering = false) {
  Resolution out;
  int best_entry = -1, best_exclusion = -1;
  for (const auto& e : r.entries()) {
    const auto parts = split(e.pattern);
    if (matches(parts, key, false, covering) && literal_segments(parts) > best_entry) {
      best_entry = literal_segments(parts);
      out.entry = &e;
    }
  }
  for (const auto& x : r.exclusions()) {
    const auto parts = split(x.pattern);
    if (matches(parts, key, true, covering) && literal_segments(parts) > best_exclusion) {
      best_exclusion = literal_segments(parts);
      out.exclusion = &x;
    }
  }
  // The more specific wins; an entry as specific as an exclusion wins.
  if (out.entry && out.exclusion) {
    if (best_entry >= best_exclusion) out.exclusion = nullptr;
    else out.entry = nullptr;
  }
  return out;
}

}  // namespace

std::vector<SchemaLeaf> ParameterRegistry::uncovered() const {
  std::vector<SchemaLeaf> out;
  for (const auto& leaf : scenario_parameter_leaves()) {
    const Resolution r = resolve(*this, split(leaf.path), true);
    if (!r.entry && !r.exclusion) out.push_back(leaf);
  }
  return out;
}

std::string ParameterRegistry::what_to_add(const SchemaLeaf& leaf) {
  const std::string& pattern = leaf.path;  // any <...> wildcard may be renamed (<service>, <role>)
  std::string about = leaf.type;
  if (!leaf.unit.empty()) about += (about.empty() ? "unit " : ", unit ") + leaf.unit;
  return "scenario key '" + leaf.path + "'" + (about.empty() ? "" : " (" + about + ")") +
         " has no entry in the parameter registry sim/calibration/parameters.yaml. Add under parameters:\n"
         "  " + pattern + ": {low: <lowest plausible>, high: <highest plausible>, distribution: uniform, "
         "source: \"<keys of docs/sources.md>\"}\n"
         "(or factor: [a, b] for a range relative to the scenario's value; source: \"assumption: <why>\" when no "
         "source gives it), or, if it is not a model parameter, under excluded:\n"
         "  " + pattern + ": \"<why it is not a model parameter>\"";
}

namespace {

// The parameter a registry entry makes of a scenario key: its range (absolute, or relative to the
// scenario's value), checked against the scenario's value.
Parameter parameter_of(const RegistryEntry& e, const ConcreteLeaf& leaf, const std::string& scenario_name) {
  Parameter p;
  p.key = leaf.key;
  p.entry = e.pattern;
  p.unit = !e.unit.empty() ? e.unit : leaf.unit.empty() ? "1" : leaf.unit;
  p.label = leaf.label;
  p.default_value = scenario_detail::parse_double(leaf.text).value_or(kNaN);
  p.distribution = e.distribution;
  p.source = e.source;
  p.note = e.note;
  p.integer = leaf.integer;
  p.lever = e.lever;
  p.where = e.pos;
  const double v = p.default_value;
  if (e.distribution == Distribution::fixed) {
    p.low = p.high = v;
  } else if (e.relative) {
    p.low = std::min(e.low * v, e.high * v);
    p.high = std::max(e.low * v, e.high * v);
    if (p.integer) {
      p.low = std::round(p.low);
      p.high = std::round(p.high);
    }
    if (p.low == p.high) {  // a zero value (a mechanism switched off), or too small to scale
      p.distribution = Distribution::fixed;
      p.note = "the scenario's value " + scenario_detail::format_number(v) + " leaves nothing to scale" +
               (p.note.empty() ? "" : "; " + p.note);
    } else if (p.distribution == Distribution::loguniform && !(p.low > 0)) {
      throw InputError(e.pos, "parameters." + e.pattern,
                       "a loguniform range needs positive values; " + scenario_name + " gives " + leaf.key + " = " + leaf.text);
    }
  } else {
    p.low = e.low;
    p.high = e.high;
    const double slack = 1e-12 * std::max(1.0, std::fabs(v));
    if (!(v >= p.low - slack && v <= p.high + slack))
      throw InputError(e.pos, "parameters." + e.pattern,
                       "the range " + range_text(p.low, p.high) + " excludes " + scenario_name + "'s value " + leaf.text +
                           " of " + leaf.key + "; widen the range (with its source) or give " + leaf.key +
                           " an entry of its own");
  }
  return p;
}

// The loader must accept the ends of every range (all lows together, all highs together); a
// refusal is traced to the parameter whose end alone is refused.
void check_loader_accepts(const Scenario& scenario, const std::vector<Parameter>& out, const std::string& file,
                          const std::string& scenario_name) {
  for (const bool high : {false, true}) {
    std::vector<double> ends;
    for (const auto& p : out) ends.push_back(high ? p.high : p.low);
    try {
      (void)with_parameters(scenario, out, ends);
    } catch (const InputError& e) {
      for (size_t i = 0; i < out.size(); ++i) {
        try {
          (void)with_parameters(scenario, {out[i]}, {ends[i]});
        } catch (const InputError& single) {
          throw InputError(out[i].where, "parameters." + out[i].entry,
                           "the range " + range_text(out[i].low, out[i].high) + " of " + out[i].key +
                               " reaches a value the scenario schema refuses: " + single.message());
        }
      }
      throw InputError(SourcePos{file, 0, 0}, "parameters",
                       std::string("the ") + (high ? "highs" : "lows") + " of the ranges together are refused by " +
                           scenario_name + ": " + e.what());
    }
  }
}

}  // namespace

std::vector<Parameter> ParameterRegistry::parameters(const Scenario& scenario, const std::vector<std::string>& keys,
                                                     bool check_loader) const {
  const Node root = scenario_detail::parse_yaml(scenario.resolved_yaml, scenario.source_file, directory_of(scenario.source_file));
  std::vector<ConcreteLeaf> leaves;
  walk(root, scenario_schema_rows(), leaves);
  const std::string scenario_name = scenario.source_file.empty() ? "the scenario" : scenario.source_file;

  std::vector<Parameter> out;
  std::vector<std::string> known;
  for (const auto& leaf : leaves) {
    const Resolution r = resolve(*this, split(leaf.key));
    if (r.exclusion) continue;
    if (!r.entry) {
      std::string advice = what_to_add(SchemaLeaf{leaf.generic, leaf.integer ? "integer" : "number", leaf.unit, leaf.integer});
      for (char& ch : advice)
        if (ch == '\n') ch = ' ';  // errors are one line
      throw InputError(SourcePos{file_, 0, 0}, leaf.key, advice);
    }
    const RegistryEntry& e = *r.entry;
    bool applies = true;
    for (const auto& [sibling, allowed] : e.only_if) {
      const Node* v = lookup(root, scenario_detail::join(leaf.entity, sibling));
      applies = applies && v && v->is_scalar() && std::find(allowed.begin(), allowed.end(), v->text) != allowed.end();
    }
    if (!applies) continue;
    known.push_back(leaf.key);
    if (!keys.empty() && std::find(keys.begin(), keys.end(), leaf.key) == keys.end()) continue;

    out.push_back(parameter_of(e, leaf, scenario_name));
  }
  for (const auto& k : keys)
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      const std::string near = scenario_detail::closest(k, known);
      throw InputError(SourcePos{}, k,
                       "not a model parameter of " + scenario_name + " (see commsim params)" +
                           (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }

  if (check_loader) check_loader_accepts(scenario, out, file_, scenario_name);
  return out;
}

double parameter_quantile(const Parameter& p, double u) {
  u = std::clamp(u, 0.0, 1.0);
  double v = p.default_value;
  switch (p.distribution) {
    case Distribution::fixed:
      return p.default_value;
    case Distribution::uniform:
      v = p.low + u * (p.high - p.low);
      break;
    case Distribution::loguniform:
      v = std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low)));
      break;
    case Distribution::triangular: {
      const double a = p.low, b = p.high, c = std::clamp(p.default_value, p.low, p.high);
      const double f = (c - a) / (b - a);
      v = u < f ? a + std::sqrt(u * (b - a) * (c - a)) : b - std::sqrt((1 - u) * (b - a) * (b - c));
      break;
    }
  }
  if (p.integer) v = std::round(v);
  return std::clamp(v, p.low, p.high);
}

double parameter_from_unit(const Parameter& p, double x) {
  if (!p.sampled()) return p.default_value;
  x = std::clamp(x, 0.0, 1.0);
  double v = p.distribution == Distribution::loguniform
                 ? std::exp(std::log(p.low) + x * (std::log(p.high) - std::log(p.low)))
                 : p.low + x * (p.high - p.low);
  if (p.integer) v = std::round(v);
  return std::clamp(v, p.low, p.high);
}

double parameter_to_unit(const Parameter& p, double value) {
  if (!p.sampled()) return 0.5;
  value = std::clamp(value, p.low, p.high);
  return p.distribution == Distribution::loguniform ? (std::log(value) - std::log(p.low)) / (std::log(p.high) - std::log(p.low))
                                                    : (value - p.low) / (p.high - p.low);
}

std::string parameter_override(const Parameter& p, double value) {
  if (p.integer) return p.key + "=" + std::to_string(std::llround(value));
  return p.key + "=" + scenario_detail::format_number(value);
}

Scenario with_parameters(const Scenario& base, const std::vector<Parameter>& parameters, const std::vector<double>& values) {
  std::vector<std::string> overrides;
  for (size_t i = 0; i < parameters.size() && i < values.size(); ++i)
    overrides.push_back(parameter_override(parameters[i], values[i]));
  const std::string name = base.source_file.empty() ? "scenario" : base.source_file;
  return load_scenario_text(base.resolved_yaml, name, directory_of(name), overrides);
}

std::string parameters_json(const std::vector<Parameter>& parameters) {
  using Json = nlohmann::ordered_json;
  Json list = Json::array();
  for (const auto& p : parameters) {
    Json item;
    item["key"] = p.key;
    item["unit"] = p.unit;
    item["default"] = p.default_value;
    item["low"] = p.low;
    item["high"] = p.high;
    item["distribution"] = distribution_name(p.distribution);
    item["source"] = p.source;
    list.push_back(std::move(item));
  }
  Json j;
  j["parameters"] = std::move(list);
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

namespace {

std::string cell(std::string text) {
  for (size_t at; (at = text.find('|')) != std::string::npos;) text.replace(at, 1, "\\|");
  return text;
}

std::string number_cell(double v) { return scenario_detail::format_number(v); }

// The service a concrete key belongs to ("" when none), through its role for staffing keys.
std::vector<std::string> services_of(const std::string& key, const Scenario& sc) {
  const std::vector<std::string> k = split(key);
  std::vector<std::string> out;
  if (k.size() > 2 && k[0] == "services") out.push_back(k[1]);
  if (k.size() > 2 && k[0] == "staffing" && (k[1] == "roles" || k[1] == "rules"))
    for (const auto& s : sc.services)
      if (s.role == k[2]) out.push_back(s.name);
  return out;
}

}  // namespace

std::string parameters_markdown(const ParameterRegistry& registry, const Scenario& scenario) {
  const std::vector<Parameter> params = registry.parameters(scenario);
  std::string out =
      "# Parameters\n\n"
      "<!-- Generated by commsim::parameters_markdown() from the parameter registry\n"
      "(sim/calibration/parameters.yaml) and scenarios/xian-baseline.yaml. Do not edit by hand: a test fails\n"
      "when this file drifts (COMMSIM_WRITE_DOCS=1 ./build/tests/commsim_tests \"[calibration][docs]\"). -->\n\n"
      "Every model parameter of a scenario has a unit, a plausible range, a sampling distribution and a\n"
      "source: keys of [sources.md](sources.md), or `assumption: <why>` — a parameter resting on an\n"
      "assumption is a range, not a number. `commsim params [SCENARIO] [--json]` prints the table below\n"
      "for any scenario; sensitivity studies sample these ranges and `commsim calibrate` fits within them\n"
      "([calibration.md](calibration.md)).\n\n"
      "How to read the registry:\n\n"
      "- Keys are scenario key paths ([scenario-reference.md](scenario-reference.md)); `<service>`, `<role>`,\n"
      "  `<use>`, `<band>` (an age band of a list, by index), `<item>` are wildcards. The most specific key\n"
      "  that matches wins: `services.medical.service_minutes` over `services.<service>.service_minutes`.\n"
      "- A range is absolute (`low`–`high`) or relative to the scenario's value (`×a–×b`). A relative range\n"
      "  of a value 0 (a mechanism the scenario switches off, such as a fee of 0) is `fixed`.\n"
      "- `uniform`, `loguniform` or `triangular` (mode = the scenario's value); `fixed` parameters are\n"
      "  listed but not sampled. `only if` restricts an entry to, e.g., episodic services.\n"
      "- *lever*: a policy lever (a norm, a staffing or facility choice) rather than an uncertain\n"
      "  quantity; studies vary levers as policies, uncertainty bands should hold them fixed.\n"
      "- Age-band lists (dependency, prevalence, mortality, rates by age) are parameterised band by band\n"
      "  (`population.dependency.2.partial`); band limits (`from`, `to`) are definitions, not parameters.\n"
      "  Lists whose shares sum to 1 are data replaced as a whole and are excluded.\n\n"
      "## Registry entries\n\n"
      "| key | unit | range | distribution | only if | lever | source | note |\n|---|---|---|---|---|---|---|---|\n";
  const auto leaves = scenario_parameter_leaves();
  for (const auto& e : registry.entries()) {
    std::string unit = e.unit;
    if (unit.empty())
      for (const auto& leaf : leaves)
        if (matches(split(e.pattern), split(leaf.path), false)) {
          unit = leaf.unit;
          break;
        }
    std::string range = e.distribution == Distribution::fixed ? "—"
                        : e.relative ? "×" + number_cell(e.low) + "–×" + number_cell(e.high)
                                     : number_cell(e.low) + "–" + number_cell(e.high);
    std::string only;
    for (const auto& [k, values] : e.only_if) only += (only.empty() ? "" : "; ") + k + " ∈ {" + scenario_detail::list_names(values) + "}";
    out += "| `" + e.pattern + "` | " + cell(unit.empty() ? "1" : unit) + " | " + range + " | " + distribution_name(e.distribution) +
           " | " + cell(only) + " | " + (e.lever ? "lever" : "") + " | " + cell(e.source) + " | " + cell(e.note) + " |\n";
  }
  out += "\n## Not model parameters\n\nNumeric scenario keys that are excluded from the registry, and why.\n\n"
         "| key (and everything under it) | reason |\n|---|---|\n";
  for (const auto& x : registry.exclusions()) out += "| `" + x.pattern + "` | " + cell(x.reason) + " |\n";

  size_t sampled = 0, assumed = 0;
  for (const auto& p : params) {
    sampled += p.sampled();
    assumed += p.sampled() && is_assumption(p.source);
  }
  out += "\n## The parameters of the shipped baseline (`scenarios/xian-baseline.yaml`)\n\n" + std::to_string(params.size()) +
         " parameters, " + std::to_string(sampled) + " sampled (not fixed), of which " + std::to_string(assumed) +
         " rest on an assumption only.\n\n"
         "| key | unit | default | low | high | distribution | source |\n|---|---|---|---|---|---|---|\n";
  for (const auto& p : params)
    out += "| `" + p.key + "`" + (p.label.empty() ? "" : " (" + p.label + ")") + " | " + cell(p.unit) + " | " +
           number_cell(p.default_value) + " | " + number_cell(p.low) + " | " + number_cell(p.high) + " | " +
           distribution_name(p.distribution) + (p.lever ? ", lever" : "") + " | " + cell(p.source) + " |\n";

  out += "\n## Results resting on assumption-only parameters\n\n"
         "A service's results (coverage, waits, unmet hours) rest on the parameters of the service and of the\n"
         "role that serves it. Sampled parameters of the baseline whose source is an assumption only, per service\n"
         "(population-wide parameters such as dependency and prevalence act on every service and are listed above):\n\n"
         "| service | assumption-only parameters | of sampled |\n|---|---|---|\n";
  for (const auto& s : scenario.services) {
    std::string keys;
    size_t n = 0, total = 0;
    for (const auto& p : params) {
      const auto of = services_of(p.key, scenario);
      if (!p.sampled() || std::find(of.begin(), of.end(), s.name) == of.end()) continue;
      ++total;
      if (!is_assumption(p.source)) continue;
      ++n;
      keys += (keys.empty() ? "`" : ", `") + p.key + "`";
    }
    out += "| " + s.name + " | " + (keys.empty() ? "none" : keys) + " | " + std::to_string(n) + " of " + std::to_string(total) + " |\n";
  }
  return out;
}

}  // namespace commsim
