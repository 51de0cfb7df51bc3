// Citywide aggregates (MODEL.md §6) from per-community totals, always in community order.
#include "sim/metrics/summary.hpp"

#include <algorithm>
#include <cmath>

#include "sim/metrics/working_time.hpp"

namespace commsim {

namespace {

// Days of a run of `days` days on which a service is open (day 0 is a Monday).
int open_days(const Service& s, int days) {
  int n = 0;
  for (int d = 0; d < days; ++d) n += s.open_weekdays[static_cast<size_t>(d % 7)] ? 1 : 0;
  return n;
}

}  // namespace

double gini(std::vector<double> v) {
  if (v.size() < 2) return 0.0;
  std::sort(v.begin(), v.end());
  double sum = 0, weighted = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    sum += v[i];
    weighted += static_cast<double>(i + 1) * v[i];
  }
  if (sum <= 0) return 0.0;
  const double n = static_cast<double>(v.size());
  return (2.0 * weighted) / (n * sum) - (n + 1.0) / n;
}

namespace {

// Results by district: who lives there (from the communities) and each service's counts, in
// order of the districts' first appearance among the communities; then each service's best and
// worst served district and the Gini index of district coverage.
void summarize_districts(RunResult& run) {
  const size_t n_services = run.service_names.size();
  run.districts.clear();
  std::vector<size_t> index(run.communities.size());
  for (size_t c = 0; c < run.communities.size(); ++c) {
    const CommunityInfo& ci = run.communities[c];
    size_t d = 0;
    while (d < run.districts.size() && run.districts[d].name != ci.district) ++d;
    if (d == run.districts.size()) {
      DistrictResult r;
      r.name = ci.district;
      r.code = ci.district_code;
      r.district_class = ci.district_class;
      r.county = ci.county;
      run.districts.push_back(r);
    }
    index[c] = d;
  }
  const size_t n_districts = run.districts.size();
  run.district_services.assign(n_districts * n_services, GroupServiceTotals{});
  std::vector<double> aged_60(n_districts, 0), aged_80(n_districts, 0), family_residents(n_districts, 0),
      one_person(n_districts, 0), three_generation(n_districts, 0);
  for (size_t c = 0; c < run.communities.size(); ++c) {
    const CommunityInfo& ci = run.communities[c];
    DistrictResult& d = run.districts[index[c]];
    ++d.communities;
    d.households += ci.households;
    d.residents += ci.residents;
    d.area_km2 += ci.area_km2;
    aged_60[index[c]] += static_cast<double>(ci.residents_60plus);
    aged_80[index[c]] += static_cast<double>(ci.residents_80plus);
    family_residents[index[c]] += static_cast<double>(ci.family_residents);
    one_person[index[c]] += static_cast<double>(ci.one_person_households);
    three_generation[index[c]] += static_cast<double>(ci.three_generation_households);
    for (size_t sv = 0; sv < n_services; ++sv) {
      const ServiceTotals& t = run.service_totals[c * n_services + sv];
      GroupServiceTotals& g = run.district_services[index[c] * n_services + sv];
      g.demand += t.demand;
      g.served += t.served;
      g.served_in_time += t.served_in_time;
      g.unmet += t.unmet;
      g.unmet_minutes += t.unmet_minutes;
    }
  }
  for (size_t d = 0; d < n_districts; ++d) {
    DistrictResult& r = run.districts[d];
    const double residents = static_cast<double>(r.residents), households = static_cast<double>(r.households);
    r.share_60plus = residents > 0 ? aged_60[d] / residents : 0.0;
    r.share_80plus = residents > 0 ? aged_80[d] / residents : 0.0;
    r.mean_household_size = households > 0 ? family_residents[d] / households : 0.0;
    r.one_person_share = households > 0 ? one_person[d] / households : 0.0;
    r.three_generation_share = households > 0 ? three_generation[d] / households : 0.0;
  }
  for (size_t sv = 0; sv < n_services; ++sv) {
    CitywideService& cs = run.citywide[sv];
    std::vector<double> coverage;
    cs.district_coverage_best = 0;
    cs.district_coverage_worst = 1;
    cs.worst_district.clear();
    for (size_t d = 0; d < n_districts; ++d) {
      const GroupServiceTotals& g = run.district_services[d * n_services + sv];
      if (g.demand == 0) continue;
      const double cov = g.coverage();
      coverage.push_back(cov);
      cs.district_coverage_best = std::max(cs.district_coverage_best, cov);
      if (cov < cs.district_coverage_worst || cs.worst_district.empty()) {
        cs.district_coverage_worst = cov;
        cs.worst_district = run.districts[d].name;
      }
    }
    if (coverage.empty()) cs.district_coverage_best = cs.district_coverage_worst = 1;
    cs.district_gini = gini(coverage);
  }
}

// Households and residents by household type (the per-service counts come from the recorder).
void summarize_household_types(RunResult& run) {
  run.household_types.assign(kResultHouseholdTypes, HouseholdTypeResult{});
  for (size_t t = 0; t < kResultHouseholdTypes; ++t) run.household_types[t].name = kHouseholdTypeNames[t];
  for (const CommunityInfo& ci : run.communities)
    for (size_t t = 0; t < kResultHouseholdTypes && t < ci.households_by_type.size(); ++t) {
      run.household_types[t].households += ci.households_by_type[t];
      run.household_types[t].residents += ci.residents_by_type[t];
    }
  if (run.household_type_services.size() != kResultHouseholdTypes * run.service_names.size())
    run.household_type_services.assign(kResultHouseholdTypes * run.service_names.size(), GroupServiceTotals{});
}

// Full-time equivalents of role r in a community: staff in post, and committee members at their
// share of time serving residents when the role is the committee's.
double role_fte(const Scenario& sc, const CommunityInfo& ci, size_t r) {
  double fte = ci.staff[r];
  if (static_cast<int>(r) == sc.role_index(sc.staffing.committee.serves_as_role))
    fte += ci.committee_total * sc.staffing.committee.service_share;
  return fte;
}

// The workload of each role by activity (WHO WISN), hours a year: the requests it served per
// service, staff reserved for enrolment, its support activities at their time standards (from
// each community's households, residents and staff), and the work left undone (unmet service
// hours; a shared service's split by its share).
void summarize_workload(const Scenario& sc, RunResult& run) {
  const size_t n_comm = run.communities.size(), n_services = run.service_names.size(), n_roles = run.role_names.size();
  const double per_year = run.days > 0 ? 365.0 / run.days : 0.0;
  run.activities.clear();
  for (size_t r = 0; r < n_roles; ++r) {
    const Role& role = sc.staffing.roles[r];
    const size_t first = run.activities.size();
    auto add = [&](const std::string& name, const char* kind, double hours) {
      run.activities.push_back(CitywideActivity{role.name, name, kind, hours, 0.0});
    };
    double unmet_hours = 0;
    for (size_t sv = 0; sv < n_services; ++sv) {
      const Service& s = sc.services[sv];
      const bool own = sc.role_index(s.role) == static_cast<int>(r);
      const bool shared = !s.shared_with.role.empty() && sc.role_index(s.shared_with.role) == static_cast<int>(r);
      if (!own && !shared) continue;
      double work = 0, unmet = 0;
      for (size_t c = 0; c < n_comm; ++c) {
        const ServiceTotals& t = run.service_totals[c * n_services + sv];
        work += own ? t.work_min - t.shared_work_min : t.shared_work_min;
        unmet += t.unmet_minutes;
      }
      const double share = s.shared_with.role.empty() ? 0.0 : s.shared_with.share;
      unmet_hours += unmet / 60.0 * per_year * (own ? 1.0 - share : share);
      if (s.kind != ServiceKind::enrolment) add(s.name, "service", work / 60.0 * per_year);
    }
    double reserved = 0;
    for (size_t c = 0; c < n_comm; ++c) reserved += run.role_totals[c * n_roles + r].reserved_min;
    if (reserved > 0) add("enrolment", "enrolment", reserved / 60.0 * per_year);
    for (const RoleActivity& a : role.activities) {
      double hours = 0;
      for (const CommunityInfo& ci : run.communities)
        hours += a.hours_per_year * activity_units(a.driver, static_cast<double>(ci.households), static_cast<double>(ci.residents), role_fte(sc, ci, r));
      add(a.name, "support", hours);
    }
    if (role.overhead_hours_per_week > 0) add("overhead", "support", role.overhead_hours_per_week * 52.0 * static_cast<double>(n_comm));
    add("unmet", "unmet", unmet_hours);
    double total = 0;
    for (size_t i = first; i < run.activities.size(); ++i) total += run.activities[i].hours_per_year;
    for (size_t i = first; i < run.activities.size(); ++i)
      run.activities[i].share = total > 0 ? run.activities[i].hours_per_year / total : 0.0;
  }
}

// One service citywide: totals, coverage and its spread over communities, waits, take-up.
void summarize_service(const Scenario& sc, const RunResult& run, size_t sv, CitywideService& cs) {
  const size_t n_comm = run.communities.size(), n_services = run.service_names.size();
  cs.name = run.service_names[sv];
  cs.kind = kServiceKindNames[static_cast<size_t>(sc.services[sv].kind)];
  double wait_sum = 0, weighted = 0, weights = 0, working_wait_sum = 0;
  uint64_t waited = 0, in_scope_days = 0, client_days = 0, place_days = 0, working_waits = 0;
  std::vector<double> coverage;
  size_t below = 0;
  for (size_t c = 0; c < n_comm; ++c) {
    const ServiceTotals& t = run.service_totals[c * n_services + sv];
    // Counts of requests, then of unit-days, then of waits.
    cs.demand += t.demand, cs.served += t.served, cs.served_in_time += t.served_in_time, cs.unmet += t.unmet;
    cs.backlog_end += t.backlog_end, cs.unmet_hours += t.unmet_minutes / 60.0, cs.elsewhere += t.elsewhere;
    in_scope_days += t.in_scope_days, client_days += t.client_days, place_days += t.place_days;
    wait_sum += t.wait_sum_min, waited += t.waited;
    working_wait_sum += t.wait_working_sum_min, working_waits += t.wait_working_count;
    cs.max_wait_min = std::max(cs.max_wait_min, t.wait_max_min);
    if (t.demand == 0) continue;
    const double cov = t.coverage();
    coverage.push_back(cov);
    const double w = static_cast<double>(run.communities[c].residents);
    weighted += w * cov;
    weights += w;
    if (cov < sc.run.coverage_target) ++below;
  }
  cs.coverage = cs.demand ? static_cast<double>(cs.served_in_time) / static_cast<double>(cs.demand) : 1.0;
  cs.coverage_resident_weighted = weights > 0 ? weighted / weights : 1.0;
  cs.share_communities_below_target = coverage.empty() ? 0.0 : static_cast<double>(below) / static_cast<double>(coverage.size());
  cs.gini = gini(coverage);
  if (!coverage.empty()) {
    std::sort(coverage.begin(), coverage.end());
    const size_t k = std::max<size_t>(1, (coverage.size() + 9) / 10);
    double s = 0;
    for (size_t i = 0; i < k; ++i) s += coverage[i];
    cs.worst_decile_coverage = s / static_cast<double>(k);
  }
  const bool enrolment = sc.services[sv].kind == ServiceKind::enrolment;
  const double counted_days = enrolment ? static_cast<double>(open_days(sc.services[sv], run.days)) : run.days;
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  cs.in_scope = ratio(static_cast<double>(in_scope_days), counted_days);
  cs.clients = ratio(static_cast<double>(client_days), counted_days);
  cs.take_part_share = ratio(static_cast<double>(client_days), static_cast<double>(in_scope_days));
  if (enrolment) {
    cs.enrolled_share = ratio(static_cast<double>(cs.served), static_cast<double>(in_scope_days));
    cs.places_in_use = ratio(static_cast<double>(cs.served), static_cast<double>(place_days));
  }
  cs.p_wait = cs.served ? static_cast<double>(waited) / static_cast<double>(cs.served) : 0.0;
  cs.mean_wait_min = cs.served ? wait_sum / static_cast<double>(cs.served) : 0.0;
  if (sv < run.wait_hist.size()) {
    cs.p50_wait_min = run.wait_hist[sv].quantile(0.5);
    cs.p90_wait_min = run.wait_hist[sv].quantile(0.9);
  }
  cs.mean_wait_working_min = working_waits ? working_wait_sum / static_cast<double>(working_waits) : 0.0;
  if (sv < run.working_wait_hist.size()) cs.p90_wait_working_min = run.working_wait_hist[sv].quantile(0.9);
  if (sc.services[sv].overflow_elsewhere && cs.demand > 0)
    cs.overflow_share = static_cast<double>(cs.unmet) / static_cast<double>(cs.demand);
}

// One role citywide: staff, utilisation, overtime, overhead, travel, WISN pressure and pay.
void summarize_role(const Scenario& sc, const RunResult& run, size_t r, CitywideRole& cr) {
  const size_t n_comm = run.communities.size(), n_roles = run.role_names.size();
  const int committee_role = sc.role_index(sc.staffing.committee.serves_as_role);
  cr.name = run.role_names[r];
  RoleTotals sum;
  for (size_t c = 0; c < n_comm; ++c) {
    sum += run.role_totals[c * n_roles + r];
    cr.staff += run.communities[c].staff[r];
    if (static_cast<int>(r) == committee_role) cr.staff += run.communities[c].committee_total;
  }
  const double serving = sum.available_min - sum.overhead_min - sum.reserved_min;
  cr.utilisation = serving > 0 ? std::min(sum.busy_min, serving + sum.overtime_min) / serving : 0.0;
  cr.overtime_share = sum.available_min > 0 ? sum.overtime_min / sum.available_min : 0.0;
  cr.overhead_share = sum.available_min > 0 ? sum.overhead_min / sum.available_min : 0.0;
  cr.travel_share = sum.busy_min > 0 ? sum.travel_min / sum.busy_min : 0.0;
  // WISN (summarize_workload): staff the workload needs at the available working time, over
  // the staff in post (committee members at their share of time serving residents).
  const WorkPattern pattern = work_pattern(sc.staffing.roles[r], sc.staffing);
  const Role& role = sc.staffing.roles[r];
  cr.available_hours_per_worker =
      available_working_time(pattern, role.annual_leave_days, role.sick_leave_days, role.training_days).hours;
  cr.staff_fte = 0;
  for (const CommunityInfo& ci : run.communities) cr.staff_fte += role_fte(sc, ci, r);
  const double per_year = run.days > 0 ? 365.0 / run.days : 0.0;
  cr.overtime_hours_per_worker = cr.staff_fte > 0 ? sum.overtime_min / 60.0 * per_year / cr.staff_fte : 0.0;
  cr.workload_hours_per_year = 0;
  for (const auto& a : run.activities)
    if (a.role == cr.name) cr.workload_hours_per_year += a.hours_per_year;
  cr.required_staff = cr.available_hours_per_worker > 0 ? cr.workload_hours_per_year / cr.available_hours_per_worker : 0.0;
  cr.wisn_pressure = cr.staff_fte > 0 ? cr.required_staff / cr.staff_fte : 0.0;
  cr.pay_yuan = 0;
  for (const CommunityInfo& ci : run.communities)
    if (r < ci.pay_yuan_by_role.size()) cr.pay_yuan += ci.pay_yuan_by_role[r];
}

// Cost (N5): operating funds and pay by payer, the facility's capital cost; access (N1.5).
void summarize_cost(const Scenario& sc, RunResult& run, uint64_t served_requests) {
  run.cost_city_yuan = run.cost_district_yuan = 0;
  double access = 0, indoor_m2 = 0, shortfall_m2 = 0;
  int64_t households = 0;
  for (auto& ci : run.communities) {
    double pay = 0;
    for (double p : ci.pay_yuan_by_role) pay += p;
    ci.pay_city_yuan = pay * sc.funding.pay_city_share;
    ci.pay_district_yuan = pay - ci.pay_city_yuan;
    run.cost_city_yuan += ci.operating_funds_city_yuan + ci.pay_city_yuan;
    run.cost_district_yuan += ci.operating_funds_district_yuan + ci.pay_district_yuan;
    access += ci.access_share * static_cast<double>(ci.households);
    households += ci.households;
    indoor_m2 += ci.facility_indoor_m2;
    shortfall_m2 += std::max(0.0, ci.required_indoor_m2 - ci.facility_indoor_m2);
  }
  run.cost_total_yuan = run.cost_city_yuan + run.cost_district_yuan;
  // N5.1: construction of the indoor facility, annualised straight-line over its life.
  run.cost_facility_capital_yuan = indoor_m2 * sc.facility.capital_cost_yuan_per_m2 / sc.facility.capital_life_years *
                                   sc.run.days / 365.0;
  run.facility_shortfall_m2 = shortfall_m2;
  run.cost_facility_upgrade_yuan = shortfall_m2 * sc.facility.capital_cost_yuan_per_m2;
  run.cost_per_resident_yuan = run.residents > 0 ? run.cost_total_yuan / static_cast<double>(run.residents) : 0.0;
  run.cost_per_served_yuan = served_requests > 0 ? run.cost_total_yuan / static_cast<double>(served_requests) : 0.0;
  run.access_share = households > 0 ? access / static_cast<double>(households) : 0.0;
}

}  // namespace

double pay_yuan(const Role& role, double people, double days) {
  return people * role.pay_per_month_yuan * 12.0 * (days / 365.0);
}

void summarize(const Scenario& sc, RunResult& run) {
  const size_t n_services = run.service_names.size(), n_roles = run.role_names.size();
  run.citywide.assign(n_services, CitywideService{});
  uint64_t served_requests = 0;
  run.requests = 0;
  for (size_t sv = 0; sv < n_services; ++sv) {
    summarize_service(sc, run, sv, run.citywide[sv]);
    if (sc.services[sv].kind == ServiceKind::enrolment) continue;
    served_requests += run.citywide[sv].served;
    run.requests += run.citywide[sv].demand;
  }
  summarize_workload(sc, run);
  run.citywide_roles.assign(n_roles, CitywideRole{});
  for (size_t r = 0; r < n_roles; ++r) summarize_role(sc, run, r, run.citywide_roles[r]);
  summarize_cost(sc, run, served_requests);
  summarize_districts(run);
  summarize_household_types(run);
}

}  // namespace commsim
