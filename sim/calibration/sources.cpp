// The bibliography (sources.hpp): sources.yaml read with the scenario schema machinery, source
// values checked against it, docs/sources.md generated from it.
#include "sim/calibration/sources.hpp"

#include "commsim/calibration_files.hpp"
#include "sim/scenario/schema_machinery.hpp"
#include "sim/scenario/tree.hpp"

namespace commsim {

namespace {

using scenario_detail::Node;
using scenario_detail::Path;
using scenario_detail::Schema;

struct SourceFields {
  std::string key, what, where;
};

struct BibliographyFile {
  std::vector<SourceFields> sources;
  Node groups;
};

const Schema<SourceFields>& source_schema() {
  static const Schema<SourceFields> s{{
      scenario_detail::text("what", &SourceFields::what, "text", "what the source is and what commsim takes from it"),
      scenario_detail::text("where", &SourceFields::where, "text", "the address read"),
  }, [](SourceFields& f, const Node& n, const Path& p) {
    if (f.what.empty()) scenario_detail::fail(n, p, "a source needs 'what'");
  }};
  return s;
}

const Schema<BibliographyFile>& bibliography_schema() {
  static const Schema<BibliographyFile> s = [] {
    Schema<BibliographyFile> schema;
    auto groups = scenario_detail::make<BibliographyFile>("groups", "map", "", "key prefix: what the group is",
                                                          "groups of keys");
    groups.read = [](BibliographyFile& b, const Node& n, const Path& p) {
      if (!n.is_map()) scenario_detail::fail(n, p, "expected a map of key prefix: description");
      b.groups = n;
    };
    schema.fields = {groups, scenario_detail::named_map<BibliographyFile, SourceFields>(
                                 "sources", &BibliographyFile::sources, &SourceFields::key, source_schema,
                                 "key: {what, where}", "the sources")};
    return schema;
  }();
  return s;
}

Bibliography parse_bibliography(const std::string& text, const std::string& file) {
  const Node root = scenario_detail::parse_yaml(text, file, ".");
  BibliographyFile parsed;
  bibliography_schema().read(parsed, root, "");
  Bibliography b;
  for (const auto& [prefix, description] : parsed.groups.entries)
    b.groups.emplace_back(prefix, scenario_detail::read_string(description, "groups." + prefix));
  for (size_t i = 0; i < parsed.sources.size(); ++i) {
    const SourceFields& s = parsed.sources[i];
    std::string group;
    for (const auto& [prefix, description] : b.groups)
      if (s.key.rfind(prefix, 0) == 0 && prefix.size() > group.size()) group = prefix;
    if (group.empty()) {
      std::vector<std::string> prefixes;
      for (const auto& g : b.groups) prefixes.push_back(g.first);
      throw InputError(root.find("sources")->key_pos[i], "sources." + s.key,
                       "the key does not start with a group prefix (" + scenario_detail::list_names(prefixes) + ")");
    }
    b.entries.push_back(SourceEntry{s.key, group, s.what, s.where});
  }
  return b;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

const SourceEntry* Bibliography::find(const std::string& key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

const Bibliography& bibliography() {
  static const Bibliography b = [] {
    try {
      return parse_bibliography(calibration_files::kSourcesYaml, "sim/calibration/sources.yaml");
    } catch (const InputError& e) {
      throw std::logic_error(std::string("the shipped bibliography is broken: ") + e.what());
    }
  }();
  return b;
}

bool is_assumption(const std::string& source) { return source.rfind("assumption:", 0) == 0; }

void check_source(const std::string& source, const SourcePos& pos, const std::string& key_path) {
  const std::string allowed = "keys of docs/sources.md separated by commas (e.g. \"S2, S4\"), or \"assumption: <why>\"";
  if (trim(source).empty()) throw InputError(pos, key_path, "a source is required: " + allowed);
  if (is_assumption(source)) {
    if (trim(source.substr(11)).empty()) throw InputError(pos, key_path, "an assumption needs its reason: \"assumption: <why>\"");
    return;
  }
  std::vector<std::string> keys;
  for (const auto& e : bibliography().entries) keys.push_back(e.key);
  size_t start = 0;
  while (start <= source.size()) {
    const size_t comma = source.find(',', start);
    const std::string key = trim(source.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (key.empty()) throw InputError(pos, key_path, "empty key in source '" + source + "'; expected " + allowed);
    if (!bibliography().find(key)) {
      const std::string near = scenario_detail::closest(key, keys);
      throw InputError(pos, key_path, "unknown source key '" + key + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                                          "; expected " + allowed);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

std::string sources_markdown() {
  std::string out =
      "# Sources\n\n"
      "<!-- Generated by commsim::sources_markdown() from sim/calibration/sources.yaml. Do not edit by hand:\n"
      "a test fails when this file drifts (COMMSIM_WRITE_DOCS=1 ./build/tests/commsim_tests \"[calibration][docs]\"). -->\n\n"
      "The bibliography of commsim's parameters ([parameters.md](parameters.md)) and calibration targets\n"
      "([calibration.md](calibration.md)). A `source` in the parameter registry or a targets file names\n"
      "keys of this page, or says `assumption: <why>` — a parameter resting on an assumption is a range,\n"
      "not a number. The figures behind the keys, with their locators and the status of each reading,\n"
      "are in the project's CALIBRATION-TARGETS.md (S), [population-data.md](population-data.md) (P),\n"
      "NORMS.md and [norms.md](norms.md) (N), REFERENCE-DATA.md (R) and WORKFORCE.md (WF).\n";
  for (const auto& [prefix, description] : bibliography().groups) {
    out += "\n## " + prefix + " — " + description + "\n\n| key | what | where |\n|---|---|---|\n";
    for (const auto& e : bibliography().entries)
      if (e.group == prefix) out += "| " + e.key + " | " + e.what + " | " + e.where + " |\n";
  }
  return out;
}

}  // namespace commsim
