// Loading: file -> tree (extends chain merged, --set applied) -> Scenario (schema.cpp) -> CSV city file
// -> defaults that depend on other keys -> cross-section checks (validate.cpp) -> resolved YAML.
#include "sim/scenario/load.hpp"

#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>

#include "sim/core/csv.hpp"
#include "sim/scenario/lonlat.hpp"
#include "sim/scenario/norm_set.hpp"
#include "sim/scenario/schema.hpp"
#include "sim/scenario/tree.hpp"

namespace commsim {

namespace fs = std::filesystem;
using scenario_detail::Node;

namespace {

std::string directory_of(const std::string& file) {
  fs::path parent = fs::path(file).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

bool read_file(const std::string& path, std::string& text) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

std::string identity(const std::string& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? fs::absolute(path).lexically_normal().string() : canonical.string();
}

// Parses one file's text and, when it has `extends`, merges it over its base (recursively).
// `chain` holds the identities of the files being loaded, to refuse cycles.
Node load_tree(const std::string& text, const std::string& file, const std::string& dir,
               std::vector<std::string>& chain, std::vector<std::string>& chain_names, std::vector<std::string>& files) {
  Node node = scenario_detail::parse_yaml(text, file, dir);
  if (!node.is_map())
    throw InputError(node.pos, "", "a scenario must be a map of sections (name, run, city, population, services, ...)");
  const Node* extends = node.find("extends");
  if (!extends) return node;
  if (!extends->is_scalar() || extends->text.empty())
    throw InputError(extends->pos, "extends", "expected the path of a base scenario file");
  const std::string base_file = (fs::path(dir) / extends->text).lexically_normal().string();
  const std::string base_id = identity(base_file);
  for (size_t i = 0; i < chain.size(); ++i)
    if (chain[i] == base_id) {
      std::string cycle;
      for (size_t j = i; j < chain_names.size(); ++j) cycle += chain_names[j] + " -> ";
      throw InputError(extends->pos, "extends", "extends cycle: " + cycle + base_file + " (a file may not extend itself)");
    }
  std::string base_text;
  if (!read_file(base_file, base_text))
    throw InputError(extends->pos, "extends", "cannot read base scenario file '" + base_file + "'");
  chain.push_back(base_id);
  chain_names.push_back(base_file);
  files.push_back(base_file);
  Node merged = load_tree(base_text, base_file, directory_of(base_file), chain, chain_names, files);
  chain.pop_back();
  chain_names.pop_back();
  Node own = node;
  for (size_t i = 0; i < own.entries.size(); ++i)
    if (own.entries[i].first == "extends") {
      own.entries.erase(own.entries.begin() + static_cast<long>(i));
      own.key_pos.erase(own.key_pos.begin() + static_cast<long>(i));
      break;
    }
  scenario_detail::merge_into(merged, own);
  return merged;
}

void place_at(Node& node, const SourcePos& pos) {
  node.pos = pos;
  for (auto& p : node.key_pos) p = pos;
  for (auto& item : node.items) place_at(item, pos);
  for (auto& [key, value] : node.entries) place_at(value, pos);
}

// "a.b.0.c=value": walks maps by key (creating missing keys) and lists by index, then merges value.
void apply_override(Node& root, const std::string& spec, const std::string& base_dir) {
  const std::string label = "--set '" + spec + "'";
  const SourcePos pos{label, 0, 0};
  const size_t eq = spec.find('=');
  if (eq == std::string::npos)
    throw InputError(pos, spec, "expected key.path=value (e.g. run.days=30), found no '='");
  const std::string key_path = spec.substr(0, eq);
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t dot = key_path.find('.', start);
    parts.push_back(key_path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const auto& part : parts)
    if (part.empty()) throw InputError(pos, key_path, "expected key.path=value with non-empty keys separated by '.'");
  Node value = scenario_detail::parse_yaml(spec.substr(eq + 1), label, base_dir, false);
  place_at(value, pos);  // errors in the value name the --set, not a line of a one-line document

  Node* node = &root;
  std::string walked;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const bool last = i + 1 == parts.size();
    walked += (walked.empty() ? "" : ".") + part;
    Node* next = nullptr;
    if (node->is_map() || node->is_null()) {
      if (node->is_null()) *node = Node::map();
      next = node->find(part);
      if (!next) {
        Node fresh = last ? Node() : Node::map();
        fresh.pos = pos;
        fresh.dir = base_dir;
        next = &node->add(part, fresh);
      }
    } else if (node->is_list()) {
      bool digits = true;
      for (char c : part) digits = digits && c >= '0' && c <= '9';
      if (!digits || part.size() > 9)
        throw InputError(pos, walked, "'" + part + "' is not a list index (a list is indexed by 0, 1, ...)");
      size_t index = std::stoul(part);
      if (index >= node->items.size())
        throw InputError(pos, walked, "index " + part + " is out of range: the list has " +
                                          std::to_string(node->items.size()) + " items");
      next = &node->items[index];
    } else {
      throw InputError(pos, walked, "cannot go into '" + part + "': its parent is a single value, not a map or list");
    }
    node = next;
  }
  if (node->is_map() && value.is_map()) scenario_detail::merge_into(*node, value);
  else *node = value;
}

// The city CSV: header = community keys; every cell checked like the YAML value, positioned at its
// row and column in the CSV file.
const std::vector<std::string> kCommunityColumns = {"name", "district", "households", "residents", "area_km2", "x_m", "y_m",
                                                    "lon", "lat", "is_new", "facility_indoor_m2", "facility_outdoor_m2"};

bool prefixed(const std::string& column, const char* prefix) {
  const std::string p(prefix);
  return column.size() > p.size() && column.compare(0, p.size(), p) == 0;
}

// The communities file's header: every column a community key, staff.<role> or added.<role>, the
// required ones present, lon and lat together and not with x_m / y_m.
void check_communities_header(const csv::Table& table) {
  for (const csv::Cell& h : table.header().cells) {
    bool known = prefixed(h.text, "staff.") || prefixed(h.text, "added.");
    for (const auto& k : kCommunityColumns) known = known || k == h.text;
    if (known) continue;
    const std::string near = scenario_detail::closest(h.text, kCommunityColumns);
    throw InputError(SourcePos{table.path(), h.line, h.column}, "city.communities_file",
                     "unknown column '" + h.text + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                         "; columns are community keys: name, district, households (required), residents, area_km2, "
                         "x_m, y_m or lon, lat, is_new, facility_indoor_m2, facility_outdoor_m2, staff.<role>, "
                         "added.<role> (ignored)");
  }
  for (const char* required : {"name", "district", "households"})
    if (!table.has(required))
      throw InputError(SourcePos{table.path(), table.header().line, 1}, "city.communities_file",
                       std::string("missing required column '") + required + "' (required: name, district, households)");
  if (table.has("lon") != table.has("lat") || (table.has("lon") && (table.has("x_m") || table.has("y_m"))))
    throw InputError(SourcePos{table.path(), table.header().line, 1}, "city.communities_file",
                     "give the position as x_m, y_m (plane metres) or as lon, lat (degrees, both), not both");
}

// lon / lat cells as plane metres around the rows' mean position (lonlat.hpp).
void lonlat_to_plane(Node& rows) {
  std::vector<double> lons, lats;
  for (const Node& row : rows.items) {
    const std::string path = "city.communities_file[row " + std::to_string(row.pos.line) + "].";
    lons.push_back(scenario_detail::read_number(*row.find("lon"), path + "lon", scenario_detail::between(-180, 180)));
    lats.push_back(scenario_detail::read_number(*row.find("lat"), path + "lat", scenario_detail::between(-90, 90)));
  }
  const PlaneOrigin origin = plane_origin(lons, lats);
  for (size_t k = 0; k < rows.items.size(); ++k) {
    Node& row = rows.items[k];
    const auto [x_m, y_m] = origin.to_plane(lons[k], lats[k]);
    Node x = scenario_detail::number_node(x_m), y = scenario_detail::number_node(y_m);
    x.pos = row.find("lon")->pos;
    y.pos = row.find("lat")->pos;
    Node out = Node::map();
    out.pos = row.pos;
    for (size_t i = 0; i < row.entries.size(); ++i) {
      const std::string& key = row.entries[i].first;
      out.add(key == "lon" ? "x_m" : key == "lat" ? "y_m" : key,
              key == "lon" ? x : key == "lat" ? y : row.entries[i].second);
      out.key_pos.back() = row.key_pos[i];
    }
    row = out;
  }
}

// The communities CSV (csv.hpp) as a list of community maps with the cells' positions; staff.<role>
// columns as a `staff` map, added.<role> columns skipped.
Node read_communities_csv(const std::string& file, const SourcePos& referenced_at) {
  std::string text;
  if (!read_file(file, text))
    throw InputError(referenced_at, "city.communities_file", "cannot read communities file '" + file + "'");
  std::vector<csv::Record> records = csv::parse(file, std::move(text), "city.communities_file");
  if (records.empty())
    throw InputError(SourcePos{file, 1, 1}, "city.communities_file", "empty file: expected a header row and community rows");
  const csv::Table table(file, std::move(records), "city.communities_file");
  check_communities_header(table);
  Node rows = Node::list();
  rows.pos = SourcePos{file, 1, 1};
  for (size_t r = 0; r < table.rows(); ++r) {
    const std::string row_path = "city.communities_file[row " + std::to_string(table.row(r).line) + "]";
    const csv::Row cells(table, r, row_path);
    Node row = Node::map(), staff = Node::map();
    row.pos = staff.pos = SourcePos{file, cells.line(), 1};
    for (const csv::Cell& h : table.header().cells) {
      const std::string& column = h.text;
      const SourcePos cell_pos = cells.pos(column);
      std::string value = cells.text(column);
      const bool required = column == "name" || column == "district" || column == "households" || column == "lon" ||
                            column == "lat";
      if (value.empty()) {
        if (required)
          throw InputError(cell_pos, row_path + "." + column, "missing value in required column '" + column + "'");
        continue;
      }
      if (prefixed(column, "added.")) continue;
      if (column == "is_new" && (value == "1" || value == "0")) value = value == "1" ? "true" : "false";
      Node cell = Node::scalar(value, column == "name" || column == "district");
      cell.pos = cell_pos;
      Node& into = prefixed(column, "staff.") ? staff : row;
      into.add(prefixed(column, "staff.") ? column.substr(6) : column, cell);
      into.key_pos.back() = cell_pos;
    }
    if (!staff.entries.empty()) row.add("staff", staff);
    rows.items.push_back(row);
  }
  if (table.has("lon") && !rows.items.empty()) lonlat_to_plane(rows);
  return rows;
}

// `norms: FILE`: the set's figures merged over the scenario's rules, then the overrides again (a
// --set wins over the set). Returns the set read, if any.
std::optional<NormSet> apply_norm_set(Node& root, const std::vector<std::string>& overrides, const std::string& dir) {
  const Node* key = root.find("norms");
  if (!key || key->is_null() || (key->is_scalar() && key->text.empty())) return std::nullopt;
  if (!key->is_scalar())
    throw InputError(key->pos, "norms", "expected the path of a norm set (scenarios/norms/*.yaml), got " + scenario_detail::describe(*key));
  fs::path file(key->text);
  if (file.is_relative() && !key->dir.empty()) file = fs::path(key->dir) / file;
  const std::string path = fs::absolute(file).lexically_normal().string();
  const NormSet set = read_norm_set(path, key->pos, "norms");
  scenario_detail::merge_into(root, scenario_detail::norm_overlay(set, root));
  for (const auto& spec : overrides) apply_override(root, spec, dir);
  return set;
}

Scenario build(Node root, const std::string& source_file) {
  Scenario s = scenario_detail::scenario_from_tree(root);
  s.city.generator.position = scenario_detail::position_of(root, "city.generator.communities");

  Node* city = root.find("city");
  if (!s.city.communities_file.empty()) {
    const Node* listed = city ? city->find("communities") : nullptr;
    if (listed && listed->is_list() && !listed->items.empty())
      throw InputError(scenario_detail::position_of(root, "city.communities_file"), "city.communities_file",
                       "give either city.communities or city.communities_file, not both");
    Node rows = read_communities_csv(s.city.communities_file,
                                     scenario_detail::position_of(root, "city.communities_file"));
    s.city.communities.clear();
    for (size_t i = 0; i < rows.items.size(); ++i) {
      CommunitySpec community;
      scenario_detail::read_community(community, rows.items[i],
                                      "city.communities_file[row " + std::to_string(rows.items[i].pos.line) + "]");
      community.position = rows.items[i].pos;
      s.city.communities.push_back(community);
    }
    if (city) {  // positions of CSV rows for the cross checks
      if (Node* c = city->find("communities")) *c = rows;
      else city->add("communities", rows);
    }
  }

  for (size_t i = 0; i < s.city.communities.size(); ++i)
    if (s.city.communities[i].position.file.empty())
      s.city.communities[i].position = scenario_detail::position_of(root, "city.communities." + std::to_string(i));

  if (s.population.households_file.size()) {
    std::error_code ec;
    if (!fs::is_regular_file(s.population.households_file, ec))
      throw InputError(scenario_detail::position_of(root, "population.households_file"), "population.households_file",
                       "cannot find households file '" + s.population.households_file + "'");
  }

  for (const auto& [key, path] : {std::pair<const char*, const std::string*>{"city.census.file", &s.city.census.file},
                                   {"city.census.districts_file", &s.city.census.districts_file}}) {
    std::error_code ec;
    if (!path->empty() && !fs::is_regular_file(*path, ec))
      throw InputError(scenario_detail::position_of(root, key), key, "cannot find the file '" + *path + "'");
  }

  // Defaults that depend on other keys (a census city takes its districts from the census).
  if (s.city.districts.empty() && !s.city.census.enabled()) s.city.districts.push_back(District{"city", DistrictKind::urban});
  for (auto& c : s.city.communities)
    if (c.district.empty()) c.district = s.city.districts.front().name;
  if (!root.find("name")) s.name = fs::path(source_file).stem().string();

  scenario_detail::validate_scenario(s, root);
  s.source_file = source_file;
  s.resolved_yaml = scenario_to_yaml(s);
  return s;
}

Scenario load(const std::string& text, const std::string& file, const std::string& dir,
              std::vector<std::string> chain, const std::vector<std::string>& overrides) {
  std::vector<std::string> chain_names, files;
  for (size_t i = 0; i < chain.size(); ++i) chain_names.push_back(file);
  if (!chain.empty()) files.push_back(file);  // a file on disk (not load_scenario_text's)
  Node root = load_tree(text, file, dir, chain, chain_names, files);
  for (const auto& spec : overrides) apply_override(root, spec, dir);
  const std::optional<NormSet> norms = apply_norm_set(root, overrides, dir);
  if (norms) files.push_back(norms->file);
  Scenario s = build(std::move(root), file);
  if (norms) s.norms = *norms;
  for (const std::string* data : {&s.city.communities_file, &s.population.households_file, &s.city.census.file,
                                  &s.city.census.districts_file})
    if (!data->empty()) files.push_back(*data);
  s.input_files = std::move(files);
  return s;
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::string text;
  if (!read_file(path, text)) throw InputError(SourcePos{path, 0, 0}, "", "cannot read scenario file '" + path + "'");
  return load(text, path, directory_of(path), {identity(path)}, overrides);
}

Scenario load_scenario_text(const std::string& yaml_text, const std::string& virtual_name, const std::string& base_dir,
                            const std::vector<std::string>& overrides) {
  return load(yaml_text, virtual_name, base_dir.empty() ? std::string(".") : base_dir, {}, overrides);
}

namespace {

// The resolved scenario as a tree. Communities from a CSV file are re-read from it: listing them too
// would give both sources.
Node resolved_tree(const Scenario& scenario) {
  Node tree = scenario_detail::scenario_to_tree(scenario);
  if (!scenario.city.communities_file.empty())
    if (Node* city = tree.find("city"))
      for (size_t i = 0; i < city->entries.size(); ++i)
        if (city->entries[i].first == "communities") {
          city->entries.erase(city->entries.begin() + static_cast<long>(i));
          city->key_pos.erase(city->key_pos.begin() + static_cast<long>(i));
          break;
        }
  return tree;
}

}  // namespace

void scenario_detail::walk_schema_tree(
    const Node& map, const std::string& key, const std::string& generic, const std::vector<SchemaRow>& rows,
    const std::function<void(const std::string&, const SchemaRow&, const Node&)>& visit) {
  using scenario_detail::join;
  for (const auto& [name, value] : map.entries) {
    const std::string row_path = join(generic, name), concrete = join(key, name);
    const auto row = std::find_if(rows.begin(), rows.end(), [&](const SchemaRow& r) { return r.path == row_path; });
    if (row == rows.end()) continue;
    if (row->type == "map" && value.is_map()) {
      walk_schema_tree(value, concrete, row_path, rows, visit);
    } else if (row->type == "map name -> map" && value.is_map()) {
      for (const auto& [entry, fields] : value.entries)
        if (fields.is_map()) walk_schema_tree(fields, join(concrete, entry), row_path + ".<name>", rows, visit);
    } else if (row->type == "list of maps" && value.is_list()) {
      for (size_t i = 0; i < value.items.size(); ++i)
        if (value.items[i].is_map())
          walk_schema_tree(value.items[i], join(concrete, std::to_string(i)), row_path + "[]", rows, visit);
    } else {
      visit(concrete, *row, value);
    }
  }
}

std::string scenario_to_yaml(const Scenario& scenario) { return scenario_detail::to_yaml_text(resolved_tree(scenario)); }

std::vector<SchemaRow> scenario_schema_rows() { return scenario_detail::schema_rows(); }

std::vector<ScenarioKey> scenario_scalar_keys(const Scenario& scenario) {
  const std::vector<SchemaRow> rows = scenario_detail::schema_rows();
  std::vector<ScenarioKey> out;
  scenario_detail::walk_schema_tree(resolved_tree(scenario), "", "", rows,
                                    [&](const std::string& key, const SchemaRow& row, const Node& value) {
                                      if (value.is_scalar() && (row.type == "integer" || row.type == "number" ||
                                                                row.type == "boolean" || row.type == "text" ||
                                                                row.type == "choice"))
                                        out.push_back(ScenarioKey{key, value.text, row});
                                    });
  return out;
}

std::string scenario_reference_markdown() {
  std::string out =
      "# Scenario reference\n\n"
      "<!-- Generated by commsim::scenario_reference_markdown() from the loader's schema "
      "(sim/scenario/schema.cpp). Do not edit by hand: a test fails when this file drifts. -->\n\n"
      "A scenario is a YAML map. Each key below is a field of the structs in `sim/scenario/scenario.hpp`.\n"
      "Paths: `a.b` is a nested key, `a[].b` a key of each item of the list `a`, `a.<name>.b` a key of\n"
      "each entry of the map `a` (the entry's key is its name).\n\n"
      "Loading rules:\n\n"
      "- `extends: base.yaml` loads a base scenario first (relative to the file; chains allowed, cycles refused).\n"
      "  Maps merge key by key; values and lists replace. Precedence: defaults < base files (farthest first)\n"
      "  < the file < `--set key.path=value` overrides in the order given (YAML values; lists indexed by number,\n"
      "  e.g. `city.communities.0.households=4000`).\n"
      "- A minimal scenario needs `population.household_size_shares`, `population.age_shares`, one role in\n"
      "  `staffing.roles`, one service in `services`, and communities (`city.communities`,\n"
      "  `city.communities_file` or `city.generator.communities > 0`, exactly one of them).\n"
      "- `city.districts` absent: one urban district `city`; a community without `district` is in the first district.\n"
      "- `name` absent: the scenario file's name without extension.\n"
      "- Shares that must sum to 1 (tolerance 1e-6): `population.household_size_shares`, `population.age_shares`\n"
      "  values, `facility.uses` shares (when any use is given).\n"
      "- References: `services.<name>.role`, `staffing.rules` keys, `staffing.committee.serves_as_role` name roles;\n"
      "  `services.<name>.facility_use` names a facility use; `staffing.rules.<name>.client_service` and\n"
      "  `shocks[].service` name services; `city.communities[].district` names a district; `shocks[].communities`\n"
      "  name communities (checked for explicit communities).\n"
      "- A `demand_surge` shock names an episodic service. Limits of the engine's state: enrolment services are\n"
      "  among the first 8 services (one enrolment bit per service), and at most 5,745 roles (a year's requests\n"
      "  are keyed by day and role in 21 bits).\n"
      "- Every number must be finite; unknown keys are refused with the closest known key suggested.\n"
      "- Errors are reported as `file:line:column: key 'a.b.c': message`.\n\n";
  out += scenario_detail::reference_table(scenario_detail::schema_rows());
  return out;
}

}  // namespace commsim
