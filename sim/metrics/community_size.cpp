// Community size figures (community_size.hpp).
#include "sim/metrics/community_size.hpp"

#include <algorithm>

namespace commsim {

namespace {

// Community workers in post in a community: the role's staff, plus the committee members when
// they serve as community workers (as the norm counts them, S30).
double community_workers(const Scenario& sc, const CommunityInfo& c) {
  const int cw = sc.role_index("community_worker");
  if (cw < 0 || static_cast<size_t>(cw) >= c.staff.size()) return 0;
  const bool committee = cw == sc.role_index(sc.staffing.committee.serves_as_role);
  return c.staff[static_cast<size_t>(cw)] + (committee ? c.committee_total : 0);
}

}  // namespace

CommunitySize community_size(const Scenario& sc, const std::vector<CommunityInfo>& communities) {
  CommunitySize out;
  const Sizing norm{};  // the norm's own bands (N1.1, N1.3), whatever the scenario's sizing
  out.classes = {{"micro", 0, 0}, {"within the norm", 0, 0}, {"oversized", 0, 0}};
  double residents[3] = {0, 0, 0}, workers[3] = {0, 0, 0};
  std::vector<int64_t> households;
  households.reserve(communities.size());
  for (const CommunityInfo& c : communities) {
    households.push_back(c.households);
    out.mean_family_households += static_cast<double>(c.households);
    out.mean_residents += static_cast<double>(c.residents);
    const size_t k = c.households < norm.micro_below ? 0 : c.households > norm.oversized_above ? 2 : 1;
    out.below_1000 += k == 0;
    out.above_5000 += k == 2;
    ++out.classes[k].communities;
    residents[k] += static_cast<double>(c.residents);
    workers[k] += community_workers(sc, c);
  }
  for (size_t k = 0; k < 3; ++k) out.classes[k].staff_per_10k = residents[k] > 0 ? workers[k] * 10000.0 / residents[k] : 0;
  if (communities.empty()) return out;
  const double n = static_cast<double>(communities.size());
  out.mean_family_households /= n;
  out.mean_residents /= n;
  std::sort(households.begin(), households.end());
  const size_t m = households.size() / 2;
  out.median_family_households = households.size() % 2 ? static_cast<double>(households[m])
                                                       : 0.5 * static_cast<double>(households[m - 1] + households[m]);
  return out;
}

}  // namespace commsim
