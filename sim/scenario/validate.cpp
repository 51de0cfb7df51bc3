// Cross-section checks of a read Scenario: required keys, shares that sum to 1, and references between
// sections (service -> role, rule -> role, community -> district, shock -> service/role/community).
// Value-level checks (types, ranges, enum values, age bands) are done while reading (schema.cpp).
#include <cmath>
#include <set>

#include "sim/scenario/schema.hpp"

namespace commsim::scenario_detail {

namespace {

constexpr double kSumTolerance = 1e-6;

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string::npos) dot = path.size();
    parts.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  return parts;
}

std::string names_of(const std::vector<std::string>& names) {
  if (names.empty()) return "(none defined)";
  constexpr size_t kShown = 20;
  std::string out;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kShown) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

// "not a role" errors: name what is defined and suggest the closest.
[[noreturn]] void missing_reference(const Node& root, const std::string& path, const std::string& value,
                                    const std::string& what, const std::vector<std::string>& defined) {
  std::string near = closest(value, defined);
  throw InputError(position_of(root, path), path,
                   "'" + value + "' is not a " + what + "; defined: " + names_of(defined) +
                       (near.empty() ? "" : " (did you mean '" + near + "'?)"));
}

void check_sum(const Node& root, const std::string& path, double sum, const std::string& what) {
  if (std::fabs(sum - 1.0) > kSumTolerance)
    throw InputError(position_of(root, path), path,
                     what + " must sum to 1 (tolerance 1e-6), got " + format_number(sum));
}

}  // namespace

SourcePos position_of(const Node& root, const std::string& path) {
  const Node* node = &root;
  SourcePos best = root.pos;
  for (const auto& part : split_path(path)) {
    const Node* next = nullptr;
    if (node->is_map()) {
      next = node->find(part);
      if (next && !next->pos.file.empty()) best = next->pos;
    } else if (node->is_list()) {
      size_t index = 0;
      bool digits = !part.empty();
      for (char c : part) digits = digits && c >= '0' && c <= '9';
      if (digits) index = std::stoul(part);
      if (digits && index < node->items.size()) next = &node->items[index];
      if (next && !next->pos.file.empty()) best = next->pos;
    }
    if (!next) break;
    node = next;
  }
  return best;
}

namespace {

bool contains(const std::vector<std::string>& list, const std::string& name) {
  for (const auto& x : list)
    if (x == name) return true;
  return false;
}

// Required content of a minimal scenario (a census city takes household sizes and ages from the
// census; given shares must still sum to 1).
void check_required(const Scenario& s, const Node& root) {
  const bool census = s.city.census.enabled();
  if (s.population.household_size_shares.empty() && !census)
    throw InputError(position_of(root, "population.household_size_shares"), "population.household_size_shares",
                     "required: a list of shares of households by size (1, 2, ..., N+ persons) summing to 1");
  if (!s.population.household_size_shares.empty())
    check_sum(root, "population.household_size_shares",
              [&] { double t = 0; for (double v : s.population.household_size_shares) t += v; return t; }(),
              "household size shares");
  if (s.population.age_shares.empty() && !census)
    throw InputError(position_of(root, "population.age_shares"), "population.age_shares",
                     "required: a list of {from, to, value} age bands whose values sum to 1");
  if (!s.population.age_shares.empty())
    check_sum(root, "population.age_shares",
              [&] { double t = 0; for (const auto& b : s.population.age_shares) t += b.value; return t; }(),
              "age shares");
  if (s.staffing.roles.empty())
    throw InputError(position_of(root, "staffing.roles"), "staffing.roles", "required: at least one role (a map name: {...})");
  if (s.services.empty())
    throw InputError(position_of(root, "services"), "services", "required: at least one service (a map name: {...})");
}

// Where the communities come from: a census, explicit ones, or the generator (exactly one).
void check_city_source(const Scenario& s, const Node& root) {
  const bool census = s.city.census.enabled();
  const bool explicit_communities = !s.city.communities.empty();
  // A census city with explicit communities (a planner's): their districts are the census units,
  // checked against the census when it is read (engine/census_city.cpp).
  if (census && !s.city.districts.empty())
    throw InputError(position_of(root, "city.districts"), "city.districts",
                     "a census city takes its districts from the census (city.census.city_code / units): "
                     "remove city.districts");
  if (census && s.population.households_file.empty() == false)
    throw InputError(position_of(root, "population.households_file"), "population.households_file",
                     "a census city draws its households from the census: give either city.census or "
                     "population.households_file, not both");
  if (explicit_communities && s.city.generator.communities > 0)
    throw InputError(position_of(root, "city.generator.communities"), "city.generator.communities",
                     "give either explicit communities (city.communities / city.communities_file) or "
                     "generator.communities > 0, not both");
  if (!explicit_communities && !census && s.city.generator.communities == 0)
    throw InputError(position_of(root, "city.communities"), "city.communities",
                     "no communities: give city.communities, city.communities_file or city.generator.communities > 0");
}

// Unique district names.
std::vector<std::string> check_districts(const Scenario& s, const Node& root) {
  std::vector<std::string> districts;
  for (size_t i = 0; i < s.city.districts.size(); ++i) {
    const auto& d = s.city.districts[i];
    if (contains(districts, d.name))
      throw InputError(position_of(root, "city.districts." + std::to_string(i) + ".name"),
                       "city.districts." + std::to_string(i) + ".name", "duplicate district name '" + d.name + "'");
    districts.push_back(d.name);
  }
  return districts;
}

// Unique community names, each in a district. Returns the names.
std::set<std::string> check_communities(const Scenario& s, const Node& root, const std::vector<std::string>& districts) {
  std::set<std::string> community_names;
  for (size_t i = 0; i < s.city.communities.size(); ++i) {
    const auto& c = s.city.communities[i];
    const std::string path = "city.communities." + std::to_string(i);
    if (!community_names.insert(c.name).second)
      throw InputError(position_of(root, path + ".name"), path + ".name",
                       "duplicate community name '" + c.name + "' (names must be unique)");
    if (!s.city.census.enabled() && !contains(districts, c.district))
      missing_reference(root, path + ".district", c.district, "district in city.districts", districts);
  }
  return community_names;
}

// Limits of the engine's state (scenario.hpp).
void check_engine_limits(const Scenario& s, const Node& root) {
  if (s.staffing.roles.size() > static_cast<size_t>(kMaxRoles))
    throw InputError(position_of(root, "staffing.roles"), "staffing.roles",
                     "at most " + std::to_string(kMaxRoles) + " roles (a year's requests are keyed by day and role in 21 "
                     "bits); got " + std::to_string(s.staffing.roles.size()));
  for (size_t i = 0; i < s.services.size(); ++i)
    if (s.services[i].kind == ServiceKind::enrolment && i > static_cast<size_t>(kMaxEnrolmentServiceIndex))
      throw InputError(position_of(root, "services." + s.services[i].name + ".kind"), "services." + s.services[i].name + ".kind",
                       "an enrolment service must be among the first " + std::to_string(kMaxEnrolmentServiceIndex + 1) +
                           " services (residents keep one enrolment bit per service); this is service " +
                           std::to_string(i + 1) + ": list it earlier");
}

struct Names {
  std::vector<std::string> roles, services, uses;
};

// Services -> roles and facility uses.
void check_service_references(const Scenario& s, const Node& root, const Names& n) {
  for (const auto& v : s.services) {
    const std::string path = "services." + v.name;
    if (!contains(n.roles, v.role)) missing_reference(root, path + ".role", v.role, "role in staffing.roles", n.roles);
    if (!v.shared_with.role.empty() && !contains(n.roles, v.shared_with.role))
      missing_reference(root, path + ".shared_with.role", v.shared_with.role, "role in staffing.roles", n.roles);
    if (!v.shared_with.role.empty() && v.kind == ServiceKind::enrolment)
      throw InputError(position_of(root, path + ".shared_with"), path + ".shared_with",
                       "an enrolment service is served by its own role's places and staff ratio; shared_with is for "
                       "episodic and recurring services");
    if (!v.shared_with.role.empty() && v.shared_with.role == v.role)
      throw InputError(position_of(root, path + ".shared_with.role"), path + ".shared_with.role",
                       "names the service's own role '" + v.role + "'; name another role (e.g. social_organisation)");
    if (!v.facility_use.empty() && !contains(n.uses, v.facility_use))
      missing_reference(root, path + ".facility_use", v.facility_use, "facility use in facility.uses", n.uses);
  }
}

// Staffing rules -> roles, services and facility uses; the committee's role; facility use shares.
void check_staffing_references(const Scenario& s, const Node& root, const Names& n) {
  for (const auto& r : s.staffing.rules) {
    const std::string path = "staffing.rules." + r.role;
    if (!contains(n.roles, r.role)) missing_reference(root, path, r.role, "role in staffing.roles", n.roles);
    if (r.rule == StaffingRuleKind::per_client && !contains(n.services, r.client_service))
      missing_reference(root, path + ".client_service", r.client_service, "service in services", n.services);
    if (r.rule == StaffingRuleKind::per_place && !contains(n.uses, r.facility_use))
      missing_reference(root, path + ".facility_use", r.facility_use, "facility use in facility.uses", n.uses);
  }
  const auto& committee_role = s.staffing.committee.serves_as_role;
  if (!committee_role.empty() && !contains(n.roles, committee_role))
    missing_reference(root, "staffing.committee.serves_as_role", committee_role,
                      "role in staffing.roles (or \"\" for no committee capacity)", n.roles);
  if (!s.facility.uses.empty()) {
    double total = 0;
    for (const auto& u : s.facility.uses) total += u.share;
    check_sum(root, "facility.uses", total, "facility use shares");
  }
}

// Shocks -> services, roles, communities (explicit communities only).
void check_shocks(const Scenario& s, const Node& root, const Names& n, const std::set<std::string>& community_names) {
  for (size_t i = 0; i < s.shocks.size(); ++i) {
    const auto& k = s.shocks[i];
    const std::string path = "shocks." + std::to_string(i);
    if (!k.service.empty() && !contains(n.services, k.service))
      missing_reference(root, path + ".service", k.service, "service in services", n.services);
    if (k.kind == ShockKind::demand_surge) {
      const ServiceKind kind = s.services[static_cast<size_t>(s.service_index(k.service))].kind;
      if (kind != ServiceKind::episodic)
        throw InputError(position_of(root, path + ".service"), path + ".service",
                         "a demand_surge applies to episodic services; '" + k.service + "' is kind: " +
                             kServiceKindNames[static_cast<size_t>(kind)]);
    }
    if (!k.role.empty() && !contains(n.roles, k.role))
      missing_reference(root, path + ".role", k.role, "role in staffing.roles", n.roles);
    if (!s.city.communities.empty())
      for (size_t j = 0; j < k.communities.size(); ++j)
        if (!community_names.count(k.communities[j]))
          missing_reference(root, path + ".communities." + std::to_string(j), k.communities[j],
                            "community in city.communities",
                            std::vector<std::string>(community_names.begin(), community_names.end()));
  }
}

// Size mechanisms (issue 23): the shared station's facility use; the networks' visit services.
void check_size_mechanisms(const Scenario& s, const Node& root, const Names& n) {
  const std::string& use = s.facility.shared_station.use;
  if (!use.empty() && !contains(n.uses, use))
    missing_reference(root, "facility.shared_station.use", use, "facility use in facility.uses", n.uses);
  for (size_t i = 0; i < s.networks.services.size(); ++i) {
    const std::string& name = s.networks.services[i];
    const std::string path = "networks.services." + std::to_string(i);
    if (!contains(n.services, name)) missing_reference(root, path, name, "service in services", n.services);
    if (s.services[static_cast<size_t>(s.service_index(name))].kind != ServiceKind::recurring)
      throw InputError(position_of(root, path), path, "residents' networks share visits: '" + name + "' must be kind: recurring");
  }
}

// A community's staff in post (staff.<role> columns) names roles.
void check_community_staff(const Scenario& s, const Names& n) {
  for (size_t i = 0; i < s.city.communities.size(); ++i)
    for (const auto& [role, staff] : s.city.communities[i].staff)
      if (!contains(n.roles, role)) {
        const std::string near = closest(role, n.roles);
        throw InputError(s.city.communities[i].position, "city.communities." + std::to_string(i) + ".staff." + role,
                         "no role '" + role + "' in staffing.roles (a staff.<role> column names a role: " +
                             list_names(n.roles) + ")" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
      }
}

}  // namespace

void validate_scenario(const Scenario& s, const Node& root) {
  check_required(s, root);
  const std::vector<std::string> districts = check_districts(s, root);
  check_city_source(s, root);
  const std::set<std::string> community_names = check_communities(s, root, districts);
  check_engine_limits(s, root);
  Names names;
  for (const auto& r : s.staffing.roles) names.roles.push_back(r.name);
  for (const auto& v : s.services) names.services.push_back(v.name);
  for (const auto& u : s.facility.uses) names.uses.push_back(u.name);
  check_service_references(s, root, names);
  check_staffing_references(s, root, names);
  check_community_staff(s, names);
  check_shocks(s, root, names, community_names);
  check_size_mechanisms(s, root, names);
}

}  // namespace commsim::scenario_detail
