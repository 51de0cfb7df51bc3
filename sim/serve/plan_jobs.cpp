#include "sim/serve/plan_jobs.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/csv.hpp"
#include "sim/core/error.hpp"
#include "sim/engine/city.hpp"
#include "sim/plan/allocate.hpp"
#include "sim/plan/outcomes.hpp"
#include "sim/plan/pareto.hpp"
#include "sim/scenario/load.hpp"

namespace commsim::serve {

using nlohmann::json;

namespace {

// The check on fresh seeds runs this many replicates per arm (AllocateRequest's default) in 3 arms.
constexpr int kCheckRuns = 3 * 4;

[[noreturn]] void bad(const std::string& field, const std::string& message) {
  throw InputError(SourcePos{}, field, message);
}

std::string text_field(const json& body, const std::string& field, const std::string& otherwise) {
  if (!body.contains(field)) {
    if (otherwise.empty()) bad(field, "is required");
    return otherwise;
  }
  if (!body[field].is_string()) bad(field, "must be text, got " + body[field].dump());
  return body[field].get<std::string>();
}

int64_t integer_field(const json& body, const std::string& field, int64_t otherwise, int64_t low, int64_t high,
                      const std::string& range_message) {
  if (!body.contains(field)) {
    if (otherwise < low) bad(field, "is required");
    return otherwise;
  }
  const json& v = body[field];
  if (!v.is_number_integer()) bad(field, "must be a whole number, got " + v.dump());
  const int64_t n =
      v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(high) ? high + 1 : v.get<int64_t>();
  if (n < low || n > high) bad(field, range_message + ", got " + v.dump());
  return n;
}

PlanJob check_allocation(const Scenario& sc, const json& body) {
  PlanJob job;
  const std::string role = text_field(body, "role", "");
  if (sc.role_index(role) < 0) {
    std::string roles;
    for (const auto& r : sc.staffing.roles) roles += (roles.empty() ? "" : ", ") + r.name;
    bad("role", "unknown role '" + role + "'; the scenario has: " + roles);
  }
  const std::string objective = text_field(body, "objective", "unmet_hours");
  const auto& names = pooled_outcome_names();
  if (std::find(names.begin(), names.end(), objective) == names.end())
    bad("objective", "unknown objective '" + objective + "'; allowed: unmet_hours, coverage, gini");
  const int64_t add = integer_field(body, "add", -1, 0, 1000000, "must be a number of workers in 0..1000000");
  const int64_t replicates = integer_field(body, "replicates", 1, 1, 1000, "must be in 1..1000");
  job.request = json{{"role", role}, {"add", add}, {"objective", objective}, {"replicates", replicates}};
  // The residents drawn once, level 0 and every level the greedy opens (at most one per worker),
  // then the check's arms on fresh seeds.
  job.city_runs = 1.0 + static_cast<double>(replicates) * static_cast<double>(add + 1) + kCheckRuns;
  job.residents = estimate_residents(sc);
  job.days = sc.run.days;
  job.limit_key = "add";
  return job;
}

std::string number_text(double x) {
  return json(x).dump();
}

// A front's levers {KEY: [LOW, HIGH]} as `commsim pareto --lever KEY=LOW:HIGH` texts (key order).
std::vector<std::string> lever_texts(const json& levers) {
  if (!levers.is_object() || levers.empty() || levers.size() > 4)
    bad("levers", "give 1 to 4 levers as {\"KEY\": [LOW, HIGH], ...}");
  std::vector<std::string> out;
  for (const auto& [key, range] : levers.items()) {
    if (!range.is_array() || range.size() != 2 || !range[0].is_number() || !range[1].is_number())
      bad("levers", "lever '" + key + "': expected [LOW, HIGH] with numbers, got " + range.dump());
    out.push_back(key + "=" + number_text(range[0].get<double>()) + ":" + number_text(range[1].get<double>()));
  }
  return out;
}

std::vector<Lever> parsed_levers(const json& levers, const std::string& path,
                                 const std::vector<std::string>& overrides) {
  std::vector<Lever> out;
  for (const std::string& text : lever_texts(levers)) {
    try {
      out.push_back(parse_lever(text, path, overrides));
    } catch (const InputError& e) {
      bad("levers", e.message() + " (" + e.key() + ")");
    }
  }
  return out;
}

PlanJob check_front(const std::string& path, const std::vector<std::string>& overrides, const Scenario& sc,
                    const json& body) {
  PlanJob job;
  if (!body.contains("levers")) bad("levers", "is required: {\"KEY\": [LOW, HIGH], ...}");
  const std::vector<Lever> levers = parsed_levers(body["levers"], path, overrides);
  const json& objectives = body.contains("objectives") ? body["objectives"] : json();
  if (!objectives.is_array() || objectives.size() < 2 || objectives.size() > 3 ||
      !std::all_of(objectives.begin(), objectives.end(), [](const json& o) { return o.is_string(); }))
    bad("objectives", "give 2 or 3 outcome names, e.g. [\"cost_total_yuan\", \"unmet_hours\"]");
  for (const json& o : objectives) check_outcome("objectives", o.get<std::string>(), "");
  const int64_t population =
      integer_field(body, "population", 8, 8, 10000, "NSGA-II needs a population that is a multiple of 4 in 8..10000");
  if (population % 4 != 0)
    bad("population",
        "NSGA-II needs a population that is a multiple of 4 in 8..10000, got " + std::to_string(population));
  const int64_t generations = integer_field(body, "generations", 3, 1, 10000, "must be in 1..10000");
  job.request = json{
      {"levers", body["levers"]}, {"objectives", objectives}, {"population", population}, {"generations", generations}};
  job.city_runs = static_cast<double>(population) * static_cast<double>(generations + 1);
  job.residents = estimate_residents(sc);
  job.days = sc.run.days;
  // The levers at their high ends (more communities, more days): the largest city the search meets.
  std::vector<std::string> high = overrides;
  for (const Lever& l : levers)
    high.push_back(l.key + "=" +
                   (l.integer ? std::to_string(static_cast<long long>(std::floor(l.high))) : number_text(l.high)));
  try {
    const Scenario top = load_scenario(path, high);
    job.residents = std::max(job.residents, estimate_residents(top));
    job.days = std::max(job.days, top.run.days);
  } catch (const InputError&) {
    // The high ends together are not a valid scenario: the search meets such points as failures.
  }
  job.limit_key = "generations";
  return job;
}

// Per community, where the allocation file puts it (x_m, y_m of the communities file, in order).
std::vector<std::pair<double, double>> positions(const std::string& communities_csv) {
  const csv::Table table("allocation", csv::parse("allocation", communities_csv));
  std::vector<std::pair<double, double>> out;
  if (!table.has("x_m") || !table.has("y_m")) return out;
  for (size_t i = 0; i < table.rows(); ++i) {
    const csv::Row row(table, i);
    out.emplace_back(std::stod(row.text("x_m")), std::stod(row.text("y_m")));
  }
  return out;
}

json mean_json(const MeanCI& m) {
  return json{{"mean", m.mean}, {"ci95", m.half_width}, {"n", m.n}};
}

json community_json(const CommunityAllocation& c, bool unmet) {
  json j = {{"name", c.name}, {"district", c.district}, {"households", c.households}, {"residents", c.residents}};
  j.update(json{{"staff_before", c.staff_before}, {"added", c.added}, {"proportional", c.proportional}});
  if (unmet) {
    j["unmet_hours_before"] = c.objective_before;
    j["unmet_hours_after"] = c.objective_after;
    j["unmet_hours_removed"] = c.objective_before - c.objective_after;
  } else {
    j["coverage_before"] = c.objective_before;
    j["coverage_after"] = c.objective_after;
  }
  return j;
}

json allocation_result(const std::string& path, const std::vector<std::string>& overrides, const json& rq) {
  AllocateRequest request;
  request.role = rq.at("role").get<std::string>();
  request.add = rq.at("add").get<int>();
  request.objective = rq.at("objective").get<std::string>();
  request.replicates = rq.at("replicates").get<int>();
  const AllocateResult r = allocate_staff(path, overrides, request);
  const bool unmet = r.objective == "unmet_hours";
  const auto xy = positions(r.communities_csv);
  json communities = json::array();
  for (size_t c = 0; c < r.communities.size(); ++c) {
    json j = community_json(r.communities[c], unmet);
    if (c < xy.size()) j["x_m"] = xy[c].first, j["y_m"] = xy[c].second;
    communities.push_back(std::move(j));
  }
  return json{{"role", r.role},
              {"objective", r.objective},
              {"added", r.added},
              {"per_community", unmet ? "unmet_hours" : "coverage"},
              {"levels", r.levels},
              {"city_runs", r.city_runs},
              {"search",
               {{"before", r.search_before},
                {"after", r.search_after},
                {"proportional", std::isfinite(r.search_proportional) ? json(r.search_proportional) : json()}}},
              {"check",
               {{"seed", r.check_seed},
                {"base", mean_json(r.check_base.mean)},
                {"proportional", mean_json(r.check_proportional.mean)},
                {"allocation", mean_json(r.check_allocation.mean)},
                {"gain", mean_json(r.gain)}}},
              {"communities", communities},
              {"communities_csv", r.communities_csv}};
}

json front_result(const std::string& path, const std::vector<std::string>& overrides, const json& rq, const json& set) {
  ParetoRequest request;
  request.scenario = path;
  request.overrides = overrides;
  request.levers = parsed_levers(rq.at("levers"), path, overrides);
  for (const json& o : rq.at("objectives")) request.objectives.push_back(o.get<std::string>());
  request.population = rq.at("population").get<int>();
  request.generations = rq.at("generations").get<int>();
  const ParetoResult r = pareto_front(request);
  json front = json::array();
  for (const ParetoPoint& p : r.front) {
    json levers = json::object(), objectives = json::object(), point_set = json::object(), run_set = set;
    for (size_t i = 0; i < p.levers.size(); ++i) levers[r.lever_keys[i]] = p.levers[i];
    for (size_t k = 0; k < p.objectives.size(); ++k) objectives[r.objectives[k]] = p.objectives[k];
    for (const std::string& s : p.lever_sets) {
      const size_t eq = s.find('=');
      point_set[s.substr(0, eq)] = json::parse(s.substr(eq + 1));
      run_set[s.substr(0, eq)] = point_set[s.substr(0, eq)];
    }
    front.push_back(json{{"levers", levers}, {"objectives", objectives}, {"set", point_set}, {"run_set", run_set}});
  }
  return json{{"levers", r.lever_keys},       {"objectives", r.objectives}, {"front", front},
              {"evaluations", r.evaluations}, {"city_runs", r.city_runs},   {"seed", r.seed}};
}

}  // namespace

const std::vector<std::string>& plan_fields(const std::string& kind) {
  static const std::vector<std::string> allocation = {"role", "add", "objective", "replicates"};
  static const std::vector<std::string> front = {"levers", "objectives", "population", "generations"};
  return kind == "allocation" ? allocation : front;
}

PlanJob check_plan_request(const std::string& kind, const std::string& scenario_path,
                           const std::vector<std::string>& overrides, const Scenario& sc, const json& body) {
  return kind == "allocation" ? check_allocation(sc, body) : check_front(scenario_path, overrides, sc, body);
}

json run_plan_job(const std::string& kind, const std::string& scenario_path, const std::vector<std::string>& overrides,
                  const json& request, const json& set) {
  return kind == "allocation" ? allocation_result(scenario_path, overrides, request)
                              : front_result(scenario_path, overrides, request, set);
}

}  // namespace commsim::serve
