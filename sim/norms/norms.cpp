// The norm rules of NORMS.md as pure functions. See norms.hpp for the contract and docs/norms.md
// for the mapping norm id -> function -> scenario key, and the modelling choices made here.
#include "sim/norms/norms.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

namespace commsim {

namespace {

// Relative tolerance for rounding a computed head count: products such as 12,500 x 17.6 / 10,000
// (22.000000000000004) or 12,500 x 9.2 / 10,000 (11.499999999999998) carry a few ulps of error,
// which must not move a count across an integer or a half.
constexpr double kRoundingTolerance = 1e-9;

double tolerance_for(double x) { return kRoundingTolerance * std::max(1.0, std::fabs(x)); }

// Fallback mean household size when the scenario has no household-size distribution: the ratio
// implied by N1.2 (10,000 residents per 3,500 households, about 2.86).
constexpr double kN12ResidentsPerHousehold = 10000.0 / 3500.0;

// Parts per million: shares (cross-appointment) are turned into an exact integer ratio so that the
// ceiling is exact: ceil(0.6 x 5) is 3, and ceil(0.28 x 25) is 7, not 8 (0.28 * 25 evaluates to
// 7.000000000000001 in binary floating point; 0.6 * 5 happens to round to exactly 3.0).
constexpr int64_t kPpm = 1000000;

int64_t share_ppm(double share) {
  if (!(share > 0.0)) return 0;  // also catches NaN
  if (share >= 1.0) return kPpm;
  return std::llround(share * static_cast<double>(kPpm));
}

// ceil(share * n) in exact integer arithmetic, for n >= 0.
int ceil_share(double share, int n) {
  if (n <= 0) return 0;
  const int64_t ppm = share_ppm(share);
  return static_cast<int>((ppm * n + kPpm - 1) / kPpm);
}

// Saturating conversion of an already-integral double to int.
int to_int(double x) {
  if (!(x > 0.0)) return 0;  // negatives and NaN: no staff
  if (x >= static_cast<double>(std::numeric_limits<int>::max()))
    return std::numeric_limits<int>::max();
  return static_cast<int>(x);
}

double round_count(double x, Rounding rounding) {
  const double eps = tolerance_for(x);
  switch (rounding) {
    case Rounding::nearest: return std::floor(x + 0.5 + eps);  // half up
    case Rounding::up: return std::ceil(x - eps);
    case Rounding::down: return std::floor(x + eps);
  }
  return std::floor(x + 0.5 + eps);
}

double mean_household_size(const std::vector<double>& shares) {
  double weight = 0.0, persons = 0.0;
  for (size_t i = 0; i < shares.size(); ++i) {
    if (!(shares[i] > 0.0)) continue;
    weight += shares[i];
    persons += shares[i] * static_cast<double>(i + 1);  // index i = i+1 persons; last bin as its size
  }
  if (!(weight > 0.0)) return kN12ResidentsPerHousehold;
  return persons / weight;  // normalised: shares that do not sum exactly to 1 still give a mean
}

const StaffingRule& community_worker_rule(const Scenario& scenario) {
  static const StaffingRule kDefault = [] {
    StaffingRule r;
    r.role = "community_worker";
    r.rule = StaffingRuleKind::per_10k_residents;
    r.per_10k = 18.0;  // N3.5
    return r;
  }();
  for (const StaffingRule& r : scenario.staffing.rules)
    if (r.role == "community_worker") return r;
  return kDefault;
}

}  // namespace

// ---------------------------------------------------------------- N1 size bands

SizeBand size_band(int64_t households, const Sizing& sizing) {
  if (households < sizing.micro_below) return SizeBand::micro;
  if (households > sizing.oversized_above) return SizeBand::oversized;
  return SizeBand::normal;
}

const char* size_band_name(SizeBand band) {
  switch (band) {
    case SizeBand::micro: return "micro";
    case SizeBand::normal: return "normal";
    case SizeBand::oversized: return "oversized";
  }
  return "normal";
}

// ---------------------------------------------------------------- N3.1-N3.4 committees

Committees committees(int64_t households, const CommitteePolicy& policy) {
  Committees c;
  // N3.2: residents' committee by household band: < small_households_below small,
  // small_households_below .. large_households_above (inclusive) medium, above that large.
  if (households < policy.small_households_below) c.residents = policy.small;
  else if (households <= policy.large_households_above) c.residents = policy.medium;
  else c.residents = policy.large;
  c.residents = std::max(c.residents, 0);

  // N3.1 gives only the range 3-5 (a branch has 3 members, a general branch / committee 5); the
  // notice does not say which community gets which. Modelling choice: the party organisation is
  // large from party_large_from_households (default 2,000, the same threshold as the medium
  // residents' committee), small below it.
  c.party = std::max(households < policy.party_large_from_households ? policy.party_small
                                                                     : policy.party_large,
                     0);

  // N3.3: at least cross_appointment_share of the smaller body serves on both. Exact integer ceil.
  const auto total_for = [](const Committees& x) { return x.residents + x.party - x.cross_appointed; };
  int overlap_max = std::min(c.residents, c.party);
  c.cross_appointed = std::min(ceil_share(policy.cross_appointment_share, overlap_max), overlap_max);

  // N3.4: at most cap_total distinct people. First raise cross-appointment (at most everyone of
  // the smaller body); then, if even full cross-appointment exceeds the cap (only when a body is
  // itself larger than the cap), shrink the party organisation, never below party_small (the
  // branch size of N3.1). The residents' committee is never shrunk: its size is the N3.2 schedule.
  // If the cap still cannot be met the policy is inconsistent and total_people > cap_total
  // (norm compliance reports it).
  if (total_for(c) > policy.cap_total) {
    c.cross_appointed = std::min(overlap_max, c.residents + c.party - policy.cap_total);
    if (total_for(c) > policy.cap_total) {
      const int floor_party = std::min(c.party, std::max(policy.party_small, 0));
      c.party = std::max(floor_party, std::min(c.party, std::max(policy.cap_total, c.residents)));
      overlap_max = std::min(c.residents, c.party);
      c.cross_appointed = overlap_max;  // full cross-appointment is still needed
    }
  }
  c.total_people = total_for(c);
  return c;
}

// ---------------------------------------------------------------- N3.5, N1.4 staff

// A schedule rule's staff for a community of `households` family households: the last band it
// reaches, plus one per `extra_per_households` above `extra_from_households` (before the cap, max).
double schedule_staff(const StaffingRule& rule, double households) {
  double staff = 0.0;
  for (const auto& b : rule.bands)
    if (households >= b.from_households) staff = b.staff;
  if (rule.extra_per_households > 0.0 && households > rule.extra_from_households)
    staff += std::floor((households - rule.extra_from_households) / rule.extra_per_households + 1e-9);
  return staff;
}

int staff_count(const StaffingRule& rule, double residents, double clients, bool oversized,
                const Committees& committees) {
  double count = 0.0;
  switch (rule.rule) {
    case StaffingRuleKind::per_10k_residents:
      count = residents * rule.per_10k / 10000.0;  // multiply first: 10,000 x 18 / 10,000 == 18
      break;
    case StaffingRuleKind::per_client:
      count = rule.clients_per_staff > 0.0 ? clients / rule.clients_per_staff : 0.0;
      break;
    case StaffingRuleKind::per_place:  // `clients` holds the places of the rule's facility use
      count = rule.places_per_staff > 0.0 ? clients / rule.places_per_staff : 0.0;
      break;
    case StaffingRuleKind::purchased: count = clients; break;  // `clients` holds the posts the funds buy
    case StaffingRuleKind::fixed: count = rule.fixed; break;
    case StaffingRuleKind::committee: count = committees.total_people; break;
    case StaffingRuleKind::schedule: count = schedule_staff(rule, clients); break;  // `clients`: family households
  }
  if (oversized) count *= 1.0 + rule.oversized_extra_share;  // N1.4
  if (!(count > 0.0)) count = 0.0;                            // negatives and NaN

  int n = to_int(round_count(count, rule.rounding));
  n = std::max(n, rule.min);  // bounds after rounding; max wins if min > max
  n = std::min(n, rule.max);
  n = std::max(n, 0);

  const double vacancy = std::clamp(std::isnan(rule.vacancy_share) ? 0.0 : rule.vacancy_share, 0.0, 1.0);
  const int vacant = std::min(n, to_int(std::floor(static_cast<double>(n) * vacancy + 1e-9)));
  return n - vacant;
}

// ---------------------------------------------------------------- N2 facility

double facility_indoor_m2(int64_t households, bool is_new, const FacilityPolicy& policy) {
  const double hh = static_cast<double>(std::max<int64_t>(households, 0));
  double m2 = hh * policy.m2_per_100_households / 100.0;  // N2.1
  if (is_new && households < policy.small_below_households)
    m2 = std::max(m2, policy.small_minimum_m2);  // N2.3
  return m2;
}

double facility_outdoor_m2(const FacilityPolicy& policy) { return policy.outdoor_minimum_m2; }  // N2.2

double facility_activity_m2(double indoor_m2, const FacilityPolicy& policy) {
  return indoor_m2 * policy.activity_share_min;  // N2.4
}

// ---------------------------------------------------------------- N5.3 funds

OperatingFunds operating_funds(DistrictKind kind, const Funding& funding) {
  OperatingFunds f;
  f.city_yuan = funding.city_per_community_yuan;
  f.district_yuan = kind == DistrictKind::county ? funding.district_county_per_community_yuan
                                                 : funding.district_urban_per_community_yuan;
  return f;
}

// ---------------------------------------------------------------- everything together

NormRequirement norm_requirement(int64_t households, int64_t residents, bool is_new,
                                 DistrictKind kind, const Scenario& scenario) {
  NormRequirement r;
  r.households = households;
  if (residents > 0) {
    r.residents = residents;
  } else {
    const double x = static_cast<double>(std::max<int64_t>(households, 0)) *
                     mean_household_size(scenario.population.household_size_shares);
    r.residents = static_cast<int64_t>(round_count(x, Rounding::nearest));
  }
  r.band = size_band(households, scenario.sizing);
  r.committees = committees(households, scenario.staffing.committee);
  // A per_client community-worker rule has no client count here: it is evaluated with 0 clients
  // (then min/max decide); the engine supplies the real client count.
  r.community_workers = staff_count(community_worker_rule(scenario), static_cast<double>(r.residents),
                                    0.0, r.band == SizeBand::oversized, r.committees);
  r.facility_area_m2 = facility_indoor_m2(households, is_new, scenario.facility);
  r.outdoor_area_m2 = facility_outdoor_m2(scenario.facility);
  r.activity_area_m2 = facility_activity_m2(r.facility_area_m2, scenario.facility);
  r.funds = operating_funds(kind, scenario.funding);
  return r;
}

// ---------------------------------------------------------------- compliance

StaffingRule norm_worker_rule(const NormSet& norms) {
  const NormSet::Workers& w = norms.community_workers;
  StaffingRule rule;
  rule.role = "community_worker";
  rule.rule = w.rule;
  rule.per_10k = w.per_10k;
  rule.bands = w.bands;
  rule.extra_from_households = w.extra_from_households;
  rule.extra_per_households = w.extra_per_households;
  rule.max = w.max;
  return rule;
}

namespace {

Sizing norm_sizing(const NormSet& norms) {  // N1.1: 1,000-5,000 households
  Sizing sizing;
  sizing.micro_below = norms.size.micro_below;
  sizing.oversized_above = norms.size.oversized_above;
  return sizing;
}

FacilityPolicy norm_facility(const NormSet& norms) {  // N2.1-N2.4
  FacilityPolicy facility;
  facility.m2_per_100_households = norms.facility.m2_per_100_households;
  facility.small_minimum_m2 = norms.facility.small_minimum_m2;
  facility.small_below_households = norms.facility.small_below_households;
  facility.outdoor_minimum_m2 = norms.facility.outdoor_minimum_m2;
  facility.activity_share_min = norms.facility.activity_share_min;
  return facility;
}

std::string number_text(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

}  // namespace

NormRequirement norm_set_requirement(int64_t households, int64_t residents, bool is_new, DistrictKind kind,
                                     const NormSet& norms, const Scenario& scenario) {
  NormRequirement r = norm_requirement(households, residents, is_new, kind, scenario);
  CommitteePolicy committee = scenario.staffing.committee;
  committee.small_households_below = norms.committee.small_households_below;
  committee.large_households_above = norms.committee.large_households_above;
  committee.small = norms.committee.small;
  committee.medium = norms.committee.medium;
  committee.large = norms.committee.large;
  committee.cap_total = norms.committee.cap_total;
  r.band = size_band(households, norm_sizing(norms));
  r.committees = committees(households, committee);
  r.community_workers = staff_count(norm_worker_rule(norms), static_cast<double>(r.residents),
                                    static_cast<double>(households), false, r.committees);
  if (!norms.community_workers.counts_committee) r.community_workers += r.committees.total_people;
  const FacilityPolicy facility = norm_facility(norms);
  r.facility_area_m2 = facility_indoor_m2(households, is_new, facility);
  r.outdoor_area_m2 = facility_outdoor_m2(facility);
  r.activity_area_m2 = facility_activity_m2(r.facility_area_m2, facility);
  Funding funding = scenario.funding;
  funding.city_per_community_yuan = norms.funding.city_per_community_yuan;
  funding.district_urban_per_community_yuan = norms.funding.district_urban_per_community_yuan;
  funding.district_county_per_community_yuan = norms.funding.district_county_per_community_yuan;
  r.funds = operating_funds(kind, funding);
  return r;
}

std::string norm_figures_text(const NormSet& norms) {
  const NormSet::Workers& w = norms.community_workers;
  std::string text;
  if (w.rule == StaffingRuleKind::schedule) {
    text = "community workers by a schedule of family households";
    if (!w.bands.empty()) text += " (" + number_text(w.bands.front().staff) + " from " + number_text(w.bands.front().from_households);
    if (w.extra_per_households > 0) text += ", +1 per " + number_text(w.extra_per_households) + " above " + number_text(w.extra_from_households);
    if (w.max < 1000000) text += ", at most " + std::to_string(w.max);
    if (!w.bands.empty()) text += ")";
  } else {
    text = number_text(w.per_10k) + " community workers per 10,000 residents";
  }
  text += w.counts_committee ? ", committee counted within" : ", committee on top";
  if (norms.facility.given) text += "; " + number_text(norms.facility.m2_per_100_households) + " m2 per 100 households";
  return text;
}

NormCompliance norm_compliance(const NormFacts& f, const NormSet& norms) {
  const Sizing sizing = norm_sizing(norms);
  const FacilityPolicy facility = norm_facility(norms);
  // N3.5: 18 per 10,000 residents (N1.4 gives no figure); a schedule counts family households.
  const StaffingRule rule = norm_worker_rule(norms);
  NormCompliance c;
  c.required_community_workers = staff_count(rule, static_cast<double>(f.residents), static_cast<double>(f.households),
                                             false, Committees{});
  if (!norms.community_workers.counts_committee) c.required_community_workers += f.committee_people;
  c.required_indoor_m2 = facility_indoor_m2(f.households, f.is_new, facility);
  c.required_outdoor_m2 = facility_outdoor_m2(facility);
  c.size_ok = size_band(f.households, sizing) == SizeBand::normal;
  c.facility_ok = f.indoor_m2 + 1e-9 >= c.required_indoor_m2 && f.outdoor_m2 + 1e-9 >= c.required_outdoor_m2;
  c.activity_ok = f.activity_share + 1e-9 >= facility.activity_share_min;
  c.committee_ok = f.committee_people <= norms.committee.cap_total;  // N3.4: at most 11 people
  c.workers_ok = f.community_workers < 0 || f.community_workers >= c.required_community_workers;
  return c;
}

}  // namespace commsim
