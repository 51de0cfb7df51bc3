#include "sim/engine/city.hpp"

#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <optional>

#include "sim/core/error.hpp"
#include "sim/engine/census_city.hpp"
#include "sim/engine/measures.hpp"
#include "sim/core/random.hpp"
#include "sim/norms/norms.hpp"

namespace commsim {

std::vector<CommunitySpec> as_given_communities(const Scenario& sc) {
  if (!sc.city.communities.empty()) return sc.city.communities;
  if (sc.city.census.enabled()) return census_community_specs(census_city_setup(sc));
  const CityGenerator& g = sc.city.generator;
  std::vector<CommunitySpec> out;
  if (g.communities <= 0) return out;
  const int n = g.communities;
  const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  const double spacing_m = std::sqrt(g.households_median / sc.city.density_households_per_km2) * 1000.0 * 1.05;
  const int districts = std::max(1, g.districts);
  const int county_districts = static_cast<int>(std::lround(g.county_share * districts));
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    Stream s(StreamKey{sc.run.seed, 0, static_cast<uint64_t>(i), static_cast<uint32_t>(Purpose::city), 0});
    const double u_class = s.uniform(), u_size = s.uniform(), u_z = s.uniform_pos(), u_z2 = s.uniform();
    const double u_new = s.uniform();
    int64_t hh;
    if (u_class < g.micro_share) {
      hh = 300 + static_cast<int64_t>(u_size * 699);           // 300..998
    } else if (u_class < g.micro_share + g.oversized_share) {
      hh = 5001 + static_cast<int64_t>(u_size * 4000);         // 5001..9000
    } else {
      const double z = normal_from_uniforms(u_z, u_z2);
      hh = std::clamp<int64_t>(std::llround(g.households_median * std::exp(g.households_sigma * z)), 1000, 5000);
    }
    CommunitySpec c;
    char name[32];
    std::snprintf(name, sizeof name, "C%04d", i + 1);
    c.name = name;
    // Communities are dealt to districts in contiguous blocks of the grid: the scenario's districts
    // when it lists several, otherwise `generator.districts` named districts, the first
    // `county_share` of them counties.
    if (sc.city.districts.size() > 1) {
      const size_t nd = sc.city.districts.size();
      c.district = sc.city.districts[std::min(nd - 1, static_cast<size_t>(i) * nd / static_cast<size_t>(n))].name;
    } else {
      const int d = std::min(districts - 1, i * districts / n);
      c.district = d < county_districts ? "county-" + std::to_string(d + 1)
                                        : "district-" + std::to_string(d - county_districts + 1);
    }
    c.households = hh;
    c.x_m = (i % cols) * spacing_m;
    c.y_m = (i / cols) * spacing_m;
    c.is_new = u_new < g.new_share;
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

double area_of(const CommunitySpec& c, const Scenario& sc) {
  return c.area_km2 > 0 ? c.area_km2 : static_cast<double>(c.households) / sc.city.density_households_per_km2;
}

const District* find_district(const Scenario& sc, const std::string& name) {
  for (const auto& d : sc.city.districts)
    if (d.name == name) return &d;
  return nullptr;
}

// Households of `res` in [first, last) of `order` form one new community.
Community make_part(const Residents& pool, const std::vector<uint32_t>& order, size_t first, size_t last,
                    const std::string& name, const std::string& district, bool county, double area_km2) {
  Community c;
  c.residents.reserve(last - first, (last - first) * 3);
  double sx = 0, sy = 0;
  for (size_t i = first; i < last; ++i) {
    c.residents.append_household(pool, order[i]);
    sx += pool.hh_x_m[order[i]];
    sy += pool.hh_y_m[order[i]];
  }
  const double n = static_cast<double>(std::max<size_t>(1, last - first));
  c.info.name = name;
  c.info.district = district;
  c.info.county = county;
  c.info.area_km2 = area_km2;
  c.info.x_m = c.facility_x_m = sx / n;
  c.info.y_m = c.facility_y_m = sy / n;
  return c;
}

// Splits `c` into k parts along its longer axis, equal households each.
std::vector<Community> split(const Community& c, int k) {
  const Residents& r = c.residents;
  std::vector<uint32_t> order(r.households());
  std::iota(order.begin(), order.end(), 0u);
  float minx = 1e30f, maxx = -1e30f, miny = 1e30f, maxy = -1e30f;
  for (size_t h = 0; h < r.households(); ++h) {
    minx = std::min(minx, r.hh_x_m[h]); maxx = std::max(maxx, r.hh_x_m[h]);
    miny = std::min(miny, r.hh_y_m[h]); maxy = std::max(maxy, r.hh_y_m[h]);
  }
  const bool by_x = (maxx - minx) >= (maxy - miny);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const float ka = by_x ? r.hh_x_m[a] : r.hh_y_m[a], kb = by_x ? r.hh_x_m[b] : r.hh_y_m[b];
    return ka != kb ? ka < kb : r.hh_gid[a] < r.hh_gid[b];
  });
  std::vector<Community> parts;
  const size_t n = order.size();
  for (int p = 0; p < k; ++p) {
    const size_t first = n * static_cast<size_t>(p) / static_cast<size_t>(k);
    const size_t last = n * static_cast<size_t>(p + 1) / static_cast<size_t>(k);
    Community part = make_part(r, order, first, last, c.info.name + "-" + std::to_string(p + 1), c.info.district,
                               c.info.county, c.info.area_km2 * static_cast<double>(last - first) / static_cast<double>(std::max<size_t>(1, n)));
    part.info.is_new = c.info.is_new;
    part.info.origin = c.info.origin;
    part.district_households = c.district_households;
    parts.push_back(std::move(part));
  }
  return parts;
}

void restructure(const Scenario& sc, std::vector<Community>& city, std::vector<std::string>* changes) {
  const Sizing& z = sc.sizing;
  std::vector<Community> out;
  for (auto& c : city) {
    const int64_t hh = static_cast<int64_t>(c.residents.family_households());
    if (hh > z.upper) {
      int k = std::max<int>(2, static_cast<int>(std::llround(static_cast<double>(hh) / static_cast<double>(z.preferred))));
      k = std::max<int>(k, static_cast<int>((hh + z.upper - 1) / z.upper));
      auto parts = split(c, k);
      if (changes) changes->push_back("split " + c.info.name + " (" + std::to_string(hh) + " households) into " + std::to_string(k));
      for (auto& p : parts) out.push_back(std::move(p));
    } else {
      out.push_back(std::move(c));
    }
  }
  // Merge micro communities, smallest first, into the nearest community that stays within bounds.
  std::vector<uint8_t> alive(out.size(), 1), stuck(out.size(), 0);
  for (;;) {
    size_t m = out.size();
    for (size_t i = 0; i < out.size(); ++i) {
      if (!alive[i] || stuck[i] || static_cast<int64_t>(out[i].residents.family_households()) >= z.lower) continue;
      if (m == out.size() || out[i].residents.family_households() < out[m].residents.family_households()) m = i;
    }
    if (m == out.size()) break;
    size_t best = out.size();
    double best_d = 0;
    for (size_t j = 0; j < out.size(); ++j) {
      if (j == m || !alive[j]) continue;
      if (static_cast<int64_t>(out[j].residents.family_households() + out[m].residents.family_households()) > z.upper) continue;
      const double dx = out[j].info.x_m - out[m].info.x_m, dy = out[j].info.y_m - out[m].info.y_m;
      const double d = dx * dx + dy * dy;
      if (best == out.size() || d < best_d) { best = j; best_d = d; }
    }
    if (best == out.size()) { stuck[m] = 1; continue; }
    Community& into = out[best];
    const Community& from = out[m];
    if (changes) changes->push_back("merged " + from.info.name + " (" + std::to_string(from.residents.family_households()) +
                                    " households) into " + into.info.name);
    for (size_t h = 0; h < from.residents.households(); ++h) into.residents.append_household(from.residents, h);
    into.info.area_km2 += from.info.area_km2;
    into.info.origin.insert(into.info.origin.end(), from.info.origin.begin(), from.info.origin.end());
    into.info.name += "+" + from.info.name;
    alive[m] = 0;
    out[m].residents = Residents{};
  }
  city.clear();
  for (size_t i = 0; i < out.size(); ++i)
    if (alive[i]) city.push_back(std::move(out[i]));
}

// Family households before each position of `order` (collective residents are not households).
void family_prefix(const Residents& pool, const std::vector<uint32_t>& order, size_t a, size_t b,
                   std::vector<size_t>& before) {
  const auto collective = static_cast<uint8_t>(HouseholdType::collective);
  for (size_t i = a; i < b; ++i) before[i + 1] = before[i] + (pool.hh_type[order[i]] != collective);
}

// The first position in [a, b] of `order` with `want` family households before it.
size_t cut_at(const std::vector<size_t>& before, size_t a, size_t b, size_t want) {
  return static_cast<size_t>(std::lower_bound(before.begin() + static_cast<ptrdiff_t>(a), before.begin() + static_cast<ptrdiff_t>(b),
                                              want) - before.begin());
}

// Uniform sizing: the same residents redrawn into communities of `sizing.households` family
// households each (strips along x, parts along y); collective residents stay where they live.
void resize_uniform(const Scenario& sc, std::vector<Community>& city, std::vector<std::string>* changes) {
  Residents pool;
  std::vector<uint32_t> origin;  // as-given community of each pooled household
  double total_area = 0;
  size_t total_hh = 0;
  for (const auto& c : city) total_hh += c.residents.households();
  pool.reserve(total_hh, total_hh * 3);
  origin.reserve(total_hh);
  for (size_t i = 0; i < city.size(); ++i) {
    for (size_t h = 0; h < city[i].residents.households(); ++h) {
      pool.append_household(city[i].residents, h);
      origin.push_back(static_cast<uint32_t>(i));
    }
    total_area += city[i].info.area_km2;
  }
  const size_t family = pool.family_households();
  const size_t k = std::max<size_t>(1, static_cast<size_t>(std::llround(static_cast<double>(family) / static_cast<double>(sc.sizing.households))));
  const size_t strips = std::max<size_t>(1, static_cast<size_t>(std::llround(std::sqrt(static_cast<double>(k)))));
  std::vector<uint32_t> order(total_hh);
  std::iota(order.begin(), order.end(), 0u);
  auto cmp = [&](bool by_x) {
    return [&pool, by_x](uint32_t a, uint32_t b) {
      const float ka = by_x ? pool.hh_x_m[a] : pool.hh_y_m[a], kb = by_x ? pool.hh_x_m[b] : pool.hh_y_m[b];
      return ka != kb ? ka < kb : pool.hh_gid[a] < pool.hh_gid[b];
    };
  };
  std::sort(order.begin(), order.end(), cmp(true));
  std::vector<size_t> before(total_hh + 1, 0);
  family_prefix(pool, order, 0, total_hh, before);
  std::vector<size_t> strip_at(strips + 1, total_hh);  // strip s is [strip_at[s], strip_at[s + 1])
  for (size_t s = 0; s < strips; ++s) strip_at[s] = s == 0 ? 0 : cut_at(before, 0, total_hh, family * (k * s / strips) / k);
  std::vector<Community> out;
  size_t made = 0;
  for (size_t s = 0; s < strips; ++s) {
    const size_t c0 = k * s / strips, ks = k * (s + 1) / strips - c0;  // communities in this strip
    const size_t a = strip_at[s], b = strip_at[s + 1];
    std::sort(order.begin() + static_cast<ptrdiff_t>(a), order.begin() + static_cast<ptrdiff_t>(b), cmp(false));
    family_prefix(pool, order, a, b, before);
    for (size_t p = 0; p < ks; ++p) {
      const size_t first = p == 0 ? a : cut_at(before, a, b, family * (c0 + p) / k);
      const size_t last = p + 1 == ks ? b : cut_at(before, a, b, family * (c0 + p + 1) / k);
      const Community& from = city[origin[order[first + (last - first) / 2]]];
      char name[32];
      std::snprintf(name, sizeof name, "U%04zu", ++made);
      Community c = make_part(pool, order, first, last, name, from.info.district, from.info.county,
                              total_area * static_cast<double>(last - first) / static_cast<double>(total_hh));
      c.district_households = from.district_households;
      std::map<std::string, int> origins;
      for (size_t i = first; i < last; ++i) origins[city[origin[order[i]]].info.name]++;
      for (const auto& [o, cnt] : origins) c.info.origin.push_back(o);
      out.push_back(std::move(c));
    }
  }
  if (changes) changes->push_back("resized " + std::to_string(city.size()) + " communities into " + std::to_string(out.size()) +
                                  " of about " + std::to_string(sc.sizing.households) + " family households");
  city = std::move(out);
}

}  // namespace

namespace {

// Who lives there: ages, family households, collective living, household types.
void count_residents(const Residents& res, CommunityInfo& info) {
  info.households = static_cast<int64_t>(res.households());
  info.residents = static_cast<int64_t>(res.size());
  info.residents_60plus = info.residents_80plus = info.residents_0_2 = 0;
  info.residents_chronic = info.residents_60plus_dependent = 0;
  for (size_t r = 0; r < res.size(); ++r) {
    const uint8_t a = res.age[r];
    info.residents_60plus += a >= 60;
    info.residents_80plus += a >= 80;
    info.residents_0_2 += a <= 2;
    info.residents_chronic += (res.traits[r] & trait::chronic) != 0;
    info.residents_60plus_dependent += a >= 60 && res.dependency(r) != Dependency::none;
  }
  info.households_by_type.assign(kResultHouseholdTypes, 0);
  info.residents_by_type.assign(kResultHouseholdTypes, 0);
  info.three_generation_households = 0;
  for (size_t h = 0; h < res.households(); ++h) {
    ++info.households_by_type[res.hh_type[h]];
    info.residents_by_type[res.hh_type[h]] += res.hh_size[h];
    info.three_generation_households += res.hh_generations[h] >= 3;
  }
  const auto collective = static_cast<size_t>(HouseholdType::collective);
  info.collective_residents = info.residents_by_type[collective];
  info.family_households = info.households - info.households_by_type[collective];
  info.family_residents = info.residents - info.collective_residents;
  info.one_person_households = info.households_by_type[static_cast<size_t>(HouseholdType::single_adult)] +
                               info.households_by_type[static_cast<size_t>(HouseholdType::elder_alone)];
  // Households in the norms' sense (N1-N3) are family households: residents in collective living
  // count as residents (N3.5 staffing per 10,000 residents), not as households.
  info.households = info.family_households;
}

// Family households of a community (residents in collective living are not households).
int64_t family_households(const Residents& res) {
  int64_t collective = 0;
  for (size_t h = 0; h < res.households(); ++h) collective += res.hh_type[h] == static_cast<uint8_t>(HouseholdType::collective);
  return static_cast<int64_t>(res.households()) - collective;
}

// Facility places per use and the share of the indoor area in activity uses.
void facility_places(const FacilityPolicy& facility, CommunityPolicy& p) {
  p.activity_share = 0;
  p.places.assign(facility.uses.size(), 0);
  for (size_t u = 0; u < facility.uses.size(); ++u) {
    const FacilityUse& use = facility.uses[u];
    if (use.activity) p.activity_share += use.share;
    if (use.m2_per_place > 0)
      p.places[u] = static_cast<int>(std::floor(p.indoor_m2 * use.share / use.m2_per_place + 1e-9));
  }
}

// Staff in post per role by the staffing rules.
// A community's own staff in post (a communities file's staff.<role>) replace the role's rule.
void staff_by_rules(const Scenario& sc, const std::vector<CompiledService>& services, const Residents& res,
                    const Committees& com, const std::vector<int>& in_post, CommunityPolicy& p) {
  p.staff.assign(sc.staffing.roles.size(), 0);
  const int committee_role = sc.role_index(sc.staffing.committee.serves_as_role);
  for (size_t r = 0; r < in_post.size(); ++r)
    if (in_post[r] >= 0)  // as counted in the norm: the committee members within it, when they count
      p.staff[r] = sc.staffing.committee.counts_in_norm && static_cast<int>(r) == committee_role
                       ? std::max(0, in_post[r] - p.part_time_committee) : in_post[r];
  for (const auto& rule : sc.staffing.rules) {
    const int r = sc.role_index(rule.role);
    if (r < 0 || (static_cast<size_t>(r) < in_post.size() && in_post[static_cast<size_t>(r)] >= 0)) continue;
    double clients = 0;
    if (rule.rule == StaffingRuleKind::per_client) {
      const int s = sc.service_index(rule.client_service);
      if (s >= 0) clients = static_cast<double>(count_clients(services[static_cast<size_t>(s)], res));
    } else if (rule.rule == StaffingRuleKind::schedule) {
      clients = static_cast<double>(p.households);
    } else if (rule.rule == StaffingRuleKind::per_place) {
      for (size_t u = 0; u < sc.facility.uses.size(); ++u)
        if (sc.facility.uses[u].name == rule.facility_use) clients = p.places[u];
    } else if (rule.rule == StaffingRuleKind::purchased) {
      clients = purchased_posts(sc, sc.staffing.roles[static_cast<size_t>(r)], p);
    }
    int staff = staff_count(rule, static_cast<double>(p.residents), clients, p.oversized, com);
    // The norm's headcount includes the committee members (S30): full-time workers fill the rest.
    if (sc.staffing.committee.counts_in_norm && r == sc.role_index(sc.staffing.committee.serves_as_role))
      staff = std::max(0, staff - p.part_time_committee);
    p.staff[static_cast<size_t>(r)] = staff;
  }
}

// Households within the access time of the facility at walking speed (N1.5), as a share.
double access_share(const Scenario& sc, const Community& c) {
  const Residents& res = c.residents;
  const double reach_m = sc.travel.access_minutes * sc.travel.access_speed_m_per_min;
  size_t within = 0;
  for (size_t h = 0; h < res.households(); ++h) {
    const double dx = res.hh_x_m[h] - c.facility_x_m, dy = res.hh_y_m[h] - c.facility_y_m;
    const double straight = sc.travel.manhattan ? std::fabs(dx) + std::fabs(dy) : std::sqrt(dx * dx + dy * dy);
    if (straight * sc.travel.detour_factor <= reach_m) ++within;
  }
  return res.households() ? static_cast<double>(within) / static_cast<double>(res.households()) : 1.0;
}

// ---- community size mechanisms (issue 23)
// Residents' networks: the share of each networked visit service's visits they make, falling with
// the community's family households.
void network_shares(const Scenario& sc, CommunityPolicy& p) {
  const ResidentNetworks& net = sc.networks;
  p.network_share.clear();
  if (net.services.empty() || !(net.share_at_reference > 0)) return;
  p.network_share.assign(sc.services.size(), 0.0);
  const double ratio = net.reference_households / static_cast<double>(std::max<int64_t>(1, p.households));
  const double share = std::min(net.max_share, net.share_at_reference * std::pow(ratio, net.size_elasticity));
  for (const auto& name : net.services) p.network_share[static_cast<size_t>(sc.service_index(name))] = share;
}

// Network distance between two communities' centres.
double centre_distance_m(const Scenario& sc, const CommunityInfo& a, const CommunityInfo& b) {
  const double dx = a.x_m - b.x_m, dy = a.y_m - b.y_m;
  return (sc.travel.manhattan ? std::fabs(dx) + std::fabs(dy) : std::sqrt(dx * dx + dy * dy)) * sc.travel.detour_factor;
}

int facility_use_index(const Scenario& sc, const std::string& name) {
  for (size_t u = 0; u < sc.facility.uses.size(); ++u)
    if (sc.facility.uses[u].name == name) return static_cast<int>(u);
  return -1;
}

// Shared stations: each community without a place of the shared use is served by a community
// with one within reach (its staff use `rooms` of that station's places); where there is none, by
// a station the communities without one within reach run together, when their areas of the use
// together hold a place.
void assign_stations(const Scenario& sc, std::vector<Community>& city) {
  const FacilityPolicy::SharedStation& st = sc.facility.shared_station;
  const int u = facility_use_index(sc, st.use);
  if (u < 0 || st.rooms <= 0) return;
  const FacilityUse& use = sc.facility.uses[static_cast<size_t>(u)];
  const auto rooms = [u](const Community& c) { return c.policy.places[static_cast<size_t>(u)]; };
  for (Community& c : city) {
    if (rooms(c) > 0) continue;
    bool station = false;
    double pooled_m2 = 0;
    for (const Community& o : city) {
      if (centre_distance_m(sc, c.info, o.info) > st.reach_m) continue;
      station = station || rooms(o) > 0;
      if (rooms(o) == 0) pooled_m2 += o.policy.indoor_m2 * use.share;
    }
    const bool joint = use.m2_per_place > 0 && pooled_m2 >= use.m2_per_place;
    c.station_rooms = station || joint ? st.rooms : 0;
  }
}

// The station's places a community without its own uses.
void use_station(const Scenario& sc, const Community& c, CommunityPolicy& p) {
  const int u = facility_use_index(sc, sc.facility.shared_station.use);
  if (u >= 0 && c.station_rooms > 0 && p.places[static_cast<size_t>(u)] == 0) p.places[static_cast<size_t>(u)] = c.station_rooms;
}
// ---- end of the size mechanisms

}  // namespace

void apply_policies(const Scenario& sc, const std::vector<CompiledService>& services, Community& c) {
  CommunityPolicy& p = c.policy;
  const CommunityInfo& info = c.info;
  p.households = family_households(c.residents);
  p.residents = static_cast<int64_t>(c.residents.size());
  const SizeBand band = size_band(p.households, sc.sizing);
  p.oversized = band == SizeBand::oversized;
  p.micro = band == SizeBand::micro;
  const Committees com = committees(p.households, sc.staffing.committee);
  p.committee_residents = com.residents;
  p.committee_party = com.party;
  p.committee_total = com.total_people;
  p.part_time_committee = sc.role_index(sc.staffing.committee.serves_as_role) >= 0 ? com.total_people : 0;
  p.indoor_m2 = info.facility_indoor_m2 >= 0 ? info.facility_indoor_m2
                                              : facility_indoor_m2(p.households, info.is_new, sc.facility) * facility_built_share(sc, info);
  p.outdoor_m2 = info.facility_outdoor_m2 >= 0 ? info.facility_outdoor_m2 : facility_outdoor_m2(sc.facility);
  facility_places(sc.facility, p);
  use_station(sc, c, p);
  const OperatingFunds funds = operating_funds(info.county ? DistrictKind::county : DistrictKind::urban, sc.funding);
  p.funds_city_yuan_per_year = funds.city_yuan;
  p.funds_district_yuan_per_year = funds.district_yuan;
  staff_by_rules(sc, services, c.residents, com, c.staff_in_post, p);  // after the funds: a purchased rule's posts
  network_shares(sc, p);
}

void describe_community(const Scenario& sc, Community& c) {
  CommunityInfo& info = c.info;
  const CommunityPolicy& p = c.policy;
  count_residents(c.residents, info);
  info.oversized = p.oversized;
  info.micro = p.micro;
  info.staff = p.staff;
  info.places = p.places;
  info.committee_residents = p.committee_residents;
  info.committee_party = p.committee_party;
  info.committee_total = p.committee_total;
  info.facility_indoor_m2 = p.indoor_m2;
  info.facility_outdoor_m2 = p.outdoor_m2;
  info.facility_activity_m2 = p.indoor_m2 * p.activity_share;
  info.access_share = access_share(sc, c);
  // Compliance with the norms' own figures (NORMS.md), whatever the scenario's policies are.
  const int cw = sc.role_index("community_worker");
  const int committee_in_cw = cw >= 0 && cw == sc.role_index(sc.staffing.committee.serves_as_role) ? p.part_time_committee : 0;
  const int workers = cw >= 0 ? p.staff[static_cast<size_t>(cw)] + committee_in_cw : -1;
  const NormFacts facts{info.households, info.residents, info.is_new, p.indoor_m2, p.outdoor_m2, p.activity_share,
                        p.committee_total, workers};
  const NormCompliance n = norm_compliance(facts, sc.norms);
  info.required_community_workers = n.required_community_workers;
  info.required_indoor_m2 = n.required_indoor_m2;
  info.required_outdoor_m2 = n.required_outdoor_m2;
  info.size_ok = n.size_ok;
  info.facility_ok = n.facility_ok;
  info.activity_ok = n.activity_ok;
  info.committee_ok = n.committee_ok;
  info.workers_ok = n.workers_ok;
}

namespace {

// Each as-given community's residents: drawn (synthetic or census city), or copied from the
// households file read by prepare_inputs.
void populate(const Scenario& sc, const PreparedInputs& in, uint32_t replicate, CityRange range,
              std::vector<Community>& city) {
  const std::vector<CommunitySpec>& specs = in.specs;
  const CensusCitySetup* census = in.census.get();
  const PopulationModel model(sc.population);
  // Residents in collective living of each community (census city).
  std::vector<int64_t> collective(specs.size(), 0);
  if (census)
    for (size_t i = 0; i < specs.size(); ++i) collective[i] = std::llround(census->plan.communities[i].collective_residents);
  // Stable household ids: prefix sums of households (and collective residents) over the as-given city.
  std::vector<uint64_t> gid_base(specs.size() + 1, 0);
  for (size_t i = 0; i < specs.size(); ++i)
    gid_base[i + 1] = gid_base[i] + static_cast<uint64_t>(specs[i].households + collective[i]);
  tbb::parallel_for(range.first, range.last, [&](size_t i) {
    const CommunitySpec& s = specs[i];
    Community& c = city[i - range.first];
    c.info.name = s.name;
    c.info.district = s.district;
    const District* d = find_district(sc, s.district);
    c.info.county = d ? d->kind == DistrictKind::county : s.district.rfind("county-", 0) == 0;
    if (census) {
      const size_t district = census->plan.communities[i].district;
      c.info.county = census->districts[district].county;
      c.info.district_code = census->districts[district].code;
      c.info.district_class = census->districts[district].district_class;
      c.district_households = census->households[district];
    }
    c.info.area_km2 = census ? census->plan.communities[i].area_km2 : area_of(s, sc);
    c.staff_in_post.assign(sc.staffing.roles.size(), -1);
    for (const auto& [role, staff] : s.staff) c.staff_in_post[static_cast<size_t>(sc.role_index(role))] = staff;
    c.info.x_m = c.facility_x_m = s.x_m;
    c.info.y_m = c.facility_y_m = s.y_m;
    c.info.is_new = s.is_new;
    c.info.origin = {s.name};
    if (!in.household_file) {
      generate_households(model, sc.population, sc.run.seed, replicate, gid_base[i], s.households, s.x_m, s.y_m,
                          c.info.area_km2, c.residents, c.district_households.get(), collective[i]);
      return;
    }
    c.residents = (*in.household_file)[in.households_of_spec[i]].residents;
    // A household file gives no incomes: drawn from the income model, keyed by the household.
    for (size_t h = 0; h < c.residents.households(); ++h)
      c.residents.hh_income_month[h] =
          household_income_month(model, sc.run.seed, replicate, c.residents.hh_gid[h], c.residents.hh_size[h]);
  });
}

}  // namespace

bool city_divisible(const Scenario& sc) {
  const FacilityPolicy::SharedStation& st = sc.facility.shared_station;
  return sc.sizing.mode == SizingMode::as_given && (st.use.empty() || st.rooms <= 0 || facility_use_index(sc, st.use) < 0);
}

std::vector<CityRange> city_batches(const Scenario& sc, const PreparedInputs& in, CityRange range) {
  if (range.last == 0 && range.first == 0) range.last = in.specs.size();
  if (sc.run.batch_residents <= 0 || !city_divisible(sc)) return {range};
  const std::vector<double> residents = community_residents_estimates(sc, in);  // no population drawn yet
  std::vector<CityRange> out;
  double in_batch = 0;
  for (size_t i = range.first; i < range.last; ++i) {
    if (out.empty() || in_batch >= static_cast<double>(sc.run.batch_residents)) {
      out.push_back({i, i});
      in_batch = 0;
    }
    out.back().last = i + 1;
    in_batch += residents[i];
  }
  return out;
}

std::vector<Community> build_city(const Scenario& sc, const PreparedInputs& in, uint32_t replicate,
                                  const std::vector<CompiledService>& services, std::vector<std::string>* changes,
                                  CityRange range) {
  if (range.last == 0 && range.first == 0) range.last = in.specs.size();
  if ((range.first != 0 || range.last != in.specs.size()) && !city_divisible(sc))
    internal_error("build_city: a part of a city that is built whole (sizing, shared stations)");
  std::vector<Community> city(range.last - range.first);
  populate(sc, in, replicate, range, city);
  if (sc.sizing.mode == SizingMode::restructure) restructure(sc, city, changes);
  else if (sc.sizing.mode == SizingMode::uniform) resize_uniform(sc, city, changes);
  const bool as_given = sc.sizing.mode == SizingMode::as_given;
  tbb::parallel_for(size_t(0), city.size(), [&](size_t i) {
    Community& c = city[i];
    c.info.facility_indoor_m2 = as_given ? in.specs[range.first + i].facility_indoor_m2 : -1.0;
    c.info.facility_outdoor_m2 = as_given ? in.specs[range.first + i].facility_outdoor_m2 : -1.0;
    if (!as_given) c.staff_in_post.clear();  // resized communities are staffed by the rules
    apply_policies(sc, services, c);
  });
  assign_stations(sc, city);
  tbb::parallel_for(size_t(0), city.size(), [&](size_t i) {
    if (city[i].station_rooms > 0) apply_policies(sc, services, city[i]);
    describe_community(sc, city[i]);
  });
  return city;
}

std::vector<Community> build_city(const Scenario& sc, uint32_t replicate, const std::vector<CompiledService>& services,
                                  std::vector<std::string>* changes) {
  return build_city(sc, *prepare_inputs(sc), replicate, services, changes);
}

std::vector<double> community_residents_estimates(const Scenario& sc, const PreparedInputs& in) {
  std::vector<double> out;
  out.reserve(in.specs.size());
  if (in.census) {
    for (const PlannedCommunity& c : in.census->plan.communities)
      out.push_back(static_cast<double>(c.households) * in.census->households[c.district]->expected_size + c.collective_residents);
    return out;
  }
  double mean_size = 0, total = 0;
  for (size_t i = 0; i < sc.population.household_size_shares.size(); ++i) {
    mean_size += sc.population.household_size_shares[i] * static_cast<double>(i + 1);
    total += sc.population.household_size_shares[i];
  }
  if (total > 0) mean_size /= total;
  for (const auto& s : in.specs) out.push_back(static_cast<double>(s.households) * mean_size);
  return out;
}

double estimate_residents(const Scenario& sc, const PreparedInputs& in) {
  double residents = 0;
  for (double r : community_residents_estimates(sc, in)) residents += r;
  return residents;
}

double estimate_residents(const Scenario& sc) { return estimate_residents(sc, *prepare_inputs(sc)); }

double estimate_memory_bytes(const Scenario& sc, const PreparedInputs& in) {
  double households = 0;
  for (const auto& s : in.specs) households += static_cast<double>(s.households);
  const double residents = estimate_residents(sc, in);
  const double per_resident = 16, per_household = 24;  // Residents arrays (population.hpp)
  // Only one batch of the city is built at a time (city_batches): its share of the residents.
  double largest = 0, total = 0;
  for (const CityRange& b : city_batches(sc, in, CityRange{})) {
    double n = 0;
    for (size_t i = b.first; i < b.last; ++i) n += static_cast<double>(in.specs[i].households);
    largest = std::max(largest, n);
    total += n;
  }
  const double batch_share = total > 0 ? largest / total : 1.0;
  double bytes = (residents * per_resident + households * per_household) * batch_share;
  // Every community's results are kept: totals per service (and by household type) and role.
  const double per_community = 1024.0 + static_cast<double>(sc.services.size()) * (sizeof(ServiceTotals) +
                               kResultHouseholdTypes * sizeof(GroupServiceTotals)) +
                               static_cast<double>(sc.staffing.roles.size()) * sizeof(RoleTotals);
  bytes += per_community * static_cast<double>(in.specs.size());
  if (sc.run.daily_output) {
    const double communities = static_cast<double>(std::max<size_t>(1, in.specs.size()));
    bytes += communities * sc.run.days * (sc.services.size() * 9.0 + sc.staffing.roles.size() * 5.0) * 4.0;
  }
  return bytes;
}

double estimate_memory_bytes(const Scenario& sc) { return estimate_memory_bytes(sc, *prepare_inputs(sc)); }

void check_fits_in_memory(const Scenario& sc) { check_fits_in_memory(sc, *prepare_inputs(sc)); }

void check_fits_in_memory(const Scenario& sc, const PreparedInputs& in) {
  const double need = estimate_memory_bytes(sc, in);
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return;
  const double have = static_cast<double>(pages) * static_cast<double>(page);
  if (need > 0.8 * have) {
    char msg[256];
    std::snprintf(msg, sizeof msg, "the population and records need about %.1f GiB, more than 80%% of this machine's %.1f GiB; "
                  "reduce the city, or set run.daily_output: false", need / 1073741824.0, have / 1073741824.0);
    throw InputError(SourcePos{sc.source_file, 0, 0}, "city", msg);
  }
}

}  // namespace commsim
