// The run summary as JSON (summary_json.hpp), generated from the results schema: every field of
// the run, citywide-service, citywide-role and year tables marked for JSON, averaged over the
// replicates (or the first replicate's value, as the field says). Built with nlohmann::json.
#include "sim/io/summary_json.hpp"

#include <cmath>
#include <cstdio>

#include "sim/core/json.hpp"
#include "sim/metrics/community_size.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/metrics/statistics.hpp"

namespace commsim {

namespace {

// A number as JSON: an integer when the field is integral and the value whole, else a double
// (null when not finite).
Json number(double v, Dtype dtype) {
  if (!std::isfinite(v)) return nullptr;
  if (is_integral(dtype) && v == std::floor(v) && std::fabs(v) < 9.0e15) {
    if (v < 0) return static_cast<int64_t>(v);
    return static_cast<uint64_t>(v);
  }
  return v;
}

// `obj[a][b]` for the key "a.b".
Json& slot(Json& obj, const std::string& key) {
  Json* at = &obj;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1)
    at = &(*at)[key.substr(start, dot - start)];
  return (*at)[key.substr(start)];
}

// The JSON fields of `table` for one row, taken from every replicate through `row_of(run)`.
template <class Row, class RowOf>
void add_fields(Json& obj, const Table<Row>& table, const std::vector<RunResult>& runs, RowOf row_of) {
  for (const auto& f : table.fields) {
    if (f.json == JsonMode::none || f.axis != "") continue;
    const std::string key = f.json_key.empty() ? f.name : f.json_key;
    if (f.dtype == Dtype::text) {
      slot(obj, key) = field_text(f, row_of(runs.front()));
      continue;
    }
    if (f.json == JsonMode::first) {
      slot(obj, key) = number(field_number(f, row_of(runs.front())), f.dtype);
      continue;
    }
    std::vector<double> values;
    for (const auto& r : runs) values.push_back(field_number(f, row_of(r)));
    const MeanCI m = mean_ci(values);
    slot(obj, key) = number(m.mean, f.dtype);
    if (f.json == JsonMode::mean_ci) slot(obj, key + "_ci95") = number(m.half_width, Dtype::f64);
  }
}

// Community sizes of the first replicate (the start of the run): family households, residents and
// the norm's size classes.
Json community_size_json(const Scenario& sc, const RunResult& run) {
  const CommunitySize z = community_size(sc, run.communities);
  Json j = Json::object();
  j["mean_family_households"] = number(z.mean_family_households, Dtype::f64);
  j["median_family_households"] = number(z.median_family_households, Dtype::f64);
  j["mean_residents"] = number(z.mean_residents, Dtype::f64);
  j["below_1000"] = z.below_1000;
  j["above_5000"] = z.above_5000;
  Json& classes = j["classes"] = Json::array();
  for (const SizeClass& c : z.classes)
    classes.push_back(Json{{"name", c.name}, {"communities", c.communities}, {"staff_per_10k", number(c.staff_per_10k, Dtype::f64)}});
  return j;
}

}  // namespace

std::string summary_json(const Scenario& sc, const std::vector<RunResult>& runs, const std::vector<TargetCheck>& targets) {
  const RunResult& first = runs.front();
  Json j;
  j["scenario"] = sc.name;
  j["seed"] = sc.run.seed;
  j["replicates"] = runs.size();
  j["days"] = sc.run.days;
  j["communities"] = first.communities.size();
  add_fields(j, run_table(), runs, [](const RunResult& r) -> const RunResult& { return r; });
  Json& services = j["services"] = Json::object();
  for (size_t s = 0; s < first.citywide.size(); ++s)
    add_fields(services[first.citywide[s].name], citywide_service_table(), runs,
               [s](const RunResult& r) -> const CitywideService& { return r.citywide[s]; });
  Json& roles = j["roles"] = Json::object();
  for (size_t r = 0; r < first.citywide_roles.size(); ++r)
    add_fields(roles[first.citywide_roles[r].name], citywide_role_table(), runs,
               [r](const RunResult& x) -> const CitywideRole& { return x.citywide_roles[r]; });
  // The workload of each role by activity (WISN): a list.
  Json& activities = j["activities"] = Json::array();
  for (size_t a = 0; a < first.activities.size(); ++a) {
    Json item = Json::object();
    add_fields(item, activity_table(), runs, [a](const RunResult& r) -> const CitywideActivity& { return r.activities[a]; });
    activities.push_back(std::move(item));
  }
  // Results by district and by household type: a list of groups, each with its services.
  auto groups = [&](const char* key, const auto& table, auto rows_of, auto services_of, size_t n) {
    Json& list = j[key] = Json::array();
    for (size_t g = 0; g < n; ++g) {
      Json item = Json::object();
      add_fields(item, table, runs, [&](const RunResult& r) -> const auto& { return rows_of(r)[g]; });
      Json& services = item["services"] = Json::object();
      for (size_t s = 0; s < first.service_names.size(); ++s)
        add_fields(services[first.service_names[s]], services_of.first, runs, [&](const RunResult& r) -> const GroupServiceTotals& {
          return services_of.second(r)[g * first.service_names.size() + s];
        });
      list.push_back(std::move(item));
    }
  };
  groups("districts", district_table(), [](const RunResult& r) -> const std::vector<DistrictResult>& { return r.districts; },
         std::make_pair(std::cref(district_service_table()),
                        [](const RunResult& r) -> const std::vector<GroupServiceTotals>& { return r.district_services; }),
         first.districts.size());
  groups("household_types", household_type_table(),
         [](const RunResult& r) -> const std::vector<HouseholdTypeResult>& { return r.household_types; },
         std::make_pair(std::cref(household_type_service_table()),
                        [](const RunResult& r) -> const std::vector<GroupServiceTotals>& { return r.household_type_services; }),
         first.household_types.size());
  // Per-year fields: a list over the years; per-year-and-service fields: lists keyed by service.
  for (const auto& f : year_table().fields) {
    if (f.json == JsonMode::none) continue;
    Json& out = slot(j, f.json_key.empty() ? f.name : f.json_key);
    if (f.axis.empty()) {
      out = Json::array();
      for (const auto& y : first.years) out.push_back(number(field_number(f, y), f.dtype));
      continue;
    }
    out = Json::object();
    const auto& member = std::get<std::vector<uint64_t> YearRecord::*>(f.member);
    for (size_t s = 0; s < first.service_names.size(); ++s) {
      Json& list = out[first.service_names[s]] = Json::array();
      for (const auto& y : first.years) list.push_back(s < (y.*member).size() ? (y.*member)[s] : 0);
    }
  }
  j["community_size"] = community_size_json(sc, first);
  if (!targets.empty()) {
    Json& list = j["calibration"]["targets"] = Json::array();
    for (const auto& t : targets) {
      Json item = Json::object();
      for (const auto& f : calibration_target_table().fields) {
        if (f.json == JsonMode::none) continue;
        if (f.dtype == Dtype::text) item[f.name] = field_text(f, t);
        else if (f.dtype == Dtype::u8) item[f.name] = field_number(f, t) != 0;
        else item[f.name] = number(field_number(f, t), f.dtype);
      }
      list.push_back(std::move(item));
    }
  }
  return json_text(j);
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace commsim
