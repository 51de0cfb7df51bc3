// A run's results by region (regions.hpp).
#include "sim/metrics/regions.hpp"

#include <map>

#include "sim/core/error.hpp"
#include "sim/metrics/summary.hpp"

namespace commsim {

std::string region_code(const std::string& unit_code, RegionLevel level) {
  if (level == RegionLevel::unit || unit_code.size() != 6) return unit_code;
  return unit_code.substr(0, level == RegionLevel::province ? 2 : 4) + (level == RegionLevel::province ? "0000" : "00");
}

namespace {

// The communities `members` of `run` as a run of their own (no daily records), summarised.
RunResult sub_run(const Scenario& sc, const RunResult& run, const std::vector<size_t>& members) {
  const size_t n_services = run.service_names.size(), n_roles = run.role_names.size();
  RunResult sub;
  sub.days = run.days;
  sub.seed = run.seed;
  sub.replicate = run.replicate;
  sub.service_names = run.service_names;
  sub.role_names = run.role_names;
  sub.facility_use_names = run.facility_use_names;
  for (size_t c : members) {
    sub.communities.push_back(run.communities[c]);
    sub.residents += run.communities[c].residents;
    sub.households += run.communities[c].households;
    for (size_t sv = 0; sv < n_services; ++sv) sub.service_totals.push_back(run.service_totals[c * n_services + sv]);
    for (size_t r = 0; r < n_roles; ++r) sub.role_totals.push_back(run.role_totals[c * n_roles + r]);
  }
  sub.wait_hist.assign(n_services, WaitHistogram{});
  sub.working_wait_hist.assign(n_services, WaitHistogram{});
  summarize(sc, sub);
  return sub;
}

RegionRow region_row(const Scenario& sc, const RunResult& sub, size_t role) {
  RegionRow row;
  row.communities = static_cast<int64_t>(sub.communities.size());
  row.residents = sub.residents;
  uint64_t demand = 0, in_time = 0;
  double unmet_hours = 0;
  for (size_t sv = 0; sv < sub.citywide.size(); ++sv) {
    unmet_hours += sub.citywide[sv].unmet_hours;
    if (sc.services[sv].kind == ServiceKind::enrolment) continue;
    demand += sub.citywide[sv].demand;
    in_time += sub.citywide[sv].served_in_time;
  }
  row.coverage = demand > 0 ? static_cast<double>(in_time) / static_cast<double>(demand) : 1.0;
  const double per_year = sub.days > 0 ? 365.0 / sub.days : 0.0;
  const double residents = static_cast<double>(std::max<int64_t>(1, sub.residents));
  row.unmet_hours_per_10k = unmet_hours * per_year / residents * 1e4;
  const CitywideRole& cr = sub.citywide_roles[role];
  row.staff_per_10k = cr.staff / residents * 1e4;
  row.wisn_pressure = cr.wisn_pressure;
  row.utilisation = cr.utilisation;
  return row;
}

}  // namespace

std::vector<RegionRow> region_rows(const Scenario& sc, const RunResult& run, RegionLevel level, const std::string& role,
                                   const std::function<std::string(const std::string&)>& name_of) {
  const int r = sc.role_index(role);
  if (r < 0) internal_error("region_rows: no role '" + role + "'");
  std::vector<std::string> order;
  std::map<std::string, std::vector<size_t>> members;
  for (size_t c = 0; c < run.communities.size(); ++c) {
    const CommunityInfo& ci = run.communities[c];
    const std::string code = region_code(ci.district_code.empty() ? ci.district : ci.district_code, level);
    auto [it, added] = members.try_emplace(code);
    if (added) order.push_back(code);
    it->second.push_back(c);
  }
  std::vector<RegionRow> out;
  for (const std::string& code : order) {
    RegionRow row = region_row(sc, sub_run(sc, run, members[code]), static_cast<size_t>(r));
    row.code = code;
    row.name = name_of ? name_of(code) : "";
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace commsim
