// Citywide aggregates (MODEL.md §6) from per-community totals, always in community order.
#include "sim/metrics/summary.hpp"

#include <algorithm>
#include <cmath>

namespace commsim {

namespace {

// Gini coefficient of non-negative values (0 = all equal).
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

}  // namespace

void summarize(const Scenario& sc, RunResult& run) {
  const size_t n_comm = run.communities.size(), n_services = run.service_names.size(), n_roles = run.role_names.size();
  run.citywide.assign(n_services, CitywideService{});
  uint64_t served_requests = 0;
  for (size_t sv = 0; sv < n_services; ++sv) {
    CitywideService& cs = run.citywide[sv];
    cs.name = run.service_names[sv];
    cs.kind = kServiceKindNames[static_cast<size_t>(sc.services[sv].kind)];
    double wait_sum = 0, weighted = 0, weights = 0;
    uint64_t waited = 0;
    std::vector<double> coverage;
    size_t below = 0;
    for (size_t c = 0; c < n_comm; ++c) {
      const ServiceTotals& t = run.service_totals[c * n_services + sv];
      cs.demand += t.demand;
      cs.served += t.served;
      cs.served_in_time += t.served_in_time;
      cs.unmet += t.unmet;
      cs.backlog_end += t.backlog_end;
      wait_sum += t.wait_sum_min;
      waited += t.waited;
      cs.max_wait_min = std::max(cs.max_wait_min, t.wait_max_min);
      if (t.demand == 0) continue;
      const double cov = t.coverage();
      coverage.push_back(cov);
      const double w = static_cast<double>(run.communities[c].residents);
      weighted += w * cov;
      weights += w;
      if (cov < sc.run.coverage_target) ++below;
    }
    if (sc.services[sv].kind != ServiceKind::enrolment) served_requests += cs.served;
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
    cs.p_wait = cs.served ? static_cast<double>(waited) / static_cast<double>(cs.served) : 0.0;
    cs.mean_wait_min = cs.served ? wait_sum / static_cast<double>(cs.served) : 0.0;
    if (sv < run.wait_hist.size()) {
      cs.p50_wait_min = run.wait_hist[sv].quantile(0.5);
      cs.p90_wait_min = run.wait_hist[sv].quantile(0.9);
    }
  }
  // Roles: utilisation, overtime, overhead, travel, and WISN workload pressure.
  run.citywide_roles.assign(n_roles, CitywideRole{});
  const int committee_role = sc.role_index(sc.staffing.committee.serves_as_role);
  for (size_t r = 0; r < n_roles; ++r) {
    CitywideRole& cr = run.citywide_roles[r];
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
    // WISN: workload (served work + overhead + enrolment staffing + work left undone, at the mean
    // minutes of a served request) over the working time of the staff in post.
    double unmet_work = 0;
    for (size_t sv = 0; sv < n_services; ++sv) {
      if (sc.role_index(sc.services[sv].role) != static_cast<int>(r) || sc.services[sv].kind == ServiceKind::enrolment) continue;
      unmet_work += static_cast<double>(run.citywide[sv].unmet) * sc.services[sv].service_minutes;
    }
    cr.wisn_pressure = sum.available_min > 0
                           ? (sum.busy_min + sum.overhead_min + sum.reserved_min + unmet_work) / sum.available_min
                           : 0.0;
    for (size_t c = 0; c < n_comm; ++c) {
      const CommunityInfo& ci = run.communities[c];
      cr.pay_yuan += ci.staff[r] * sc.staffing.roles[r].pay_per_month_yuan * 12.0 * sc.run.days / 365.0;
      if (static_cast<int>(r) == committee_role)
        cr.pay_yuan += ci.committee_total * sc.staffing.roles[r].pay_per_month_yuan * 12.0 * sc.run.days / 365.0;
    }
  }
  // Cost (N5): operating funds and pay, by payer.
  run.cost_city_yuan = run.cost_district_yuan = 0;
  double access = 0;
  int64_t households = 0;
  for (const auto& ci : run.communities) {
    run.cost_city_yuan += ci.operating_funds_city_yuan + ci.pay_city_yuan;
    run.cost_district_yuan += ci.operating_funds_district_yuan + ci.pay_district_yuan;
    access += ci.access_share * static_cast<double>(ci.households);
    households += ci.households;
  }
  run.cost_total_yuan = run.cost_city_yuan + run.cost_district_yuan;
  run.cost_per_resident_yuan = run.residents > 0 ? run.cost_total_yuan / static_cast<double>(run.residents) : 0.0;
  run.cost_per_served_yuan = served_requests > 0 ? run.cost_total_yuan / static_cast<double>(served_requests) : 0.0;
  run.access_share = households > 0 ? access / static_cast<double>(households) : 0.0;
  run.requests = 0;
  for (size_t sv = 0; sv < n_services; ++sv)
    if (sc.services[sv].kind != ServiceKind::enrolment) run.requests += run.citywide[sv].demand;
}

}  // namespace commsim
