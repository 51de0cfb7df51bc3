// The census city's communities and geography (census_city.hpp).
#include "sim/engine/census_city.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "sim/core/error.hpp"
#include "sim/core/random.hpp"
#include "sim/population/census.hpp"

namespace commsim {

namespace {

// Worst aspect ratio of a row of areas laid along a side of length `side`.
double worst_ratio(const std::vector<double>& row, double side) {
  const double sum = std::accumulate(row.begin(), row.end(), 0.0);
  const double lo = *std::min_element(row.begin(), row.end()), hi = *std::max_element(row.begin(), row.end());
  const double s2 = side * side, sum2 = sum * sum;
  return std::max(s2 * hi / sum2, sum2 / (s2 * lo));
}

}  // namespace

std::vector<DistrictRect> treemap(const std::vector<double>& areas) {
  std::vector<DistrictRect> out(areas.size());
  const double total = std::accumulate(areas.begin(), areas.end(), 0.0);
  if (areas.empty() || !(total > 0)) return out;
  const double side = std::sqrt(total);
  // The free rectangle still to fill; rows are laid along its shorter side (Bruls, Huizing and
  // van Wijk 2000, "Squarified treemaps").
  double fx0 = 0, fy0 = 0, fx1 = side, fy1 = side;
  size_t i = 0;
  while (i < areas.size()) {
    const double w = fx1 - fx0, h = fy1 - fy0;
    const double short_side = std::min(w, h);
    std::vector<double> row{std::max(areas[i], 1e-9)};
    size_t j = i + 1;
    while (j < areas.size()) {
      std::vector<double> next = row;
      next.push_back(std::max(areas[j], 1e-9));
      if (worst_ratio(next, short_side) > worst_ratio(row, short_side)) break;
      row = std::move(next);
      ++j;
    }
    const double row_area = std::accumulate(row.begin(), row.end(), 0.0);
    const double thickness = row_area / short_side;
    double at = 0;
    for (size_t k = 0; k < row.size(); ++k) {
      const double length = row[k] / thickness;
      DistrictRect& r = out[i + k];
      if (w >= h) {  // column at the left of the free rectangle
        r = {fx0, fy0 + at, fx0 + thickness, fy0 + at + length};
      } else {       // row at the bottom
        r = {fx0 + at, fy0, fx0 + at + length, fy0 + thickness};
      }
      at += length;
    }
    if (w >= h) fx0 += thickness;
    else fy0 += thickness;
    i += row.size();
  }
  return out;
}

namespace {

// Communities per district: each district's households at its mean community size (the full
// counts), or a sample of `p.communities` spread in proportion to them (largest remainder, at
// least one community a district). `mean` receives each district's mean community size.
std::vector<int> community_counts(const std::vector<DistrictPlan>& districts, const CityPlanParameters& p,
                                  std::vector<double>& mean, int& full_total) {
  const size_t nd = districts.size();
  std::vector<int> full(nd);
  mean.assign(nd, 0.0);
  full_total = 0;
  for (size_t d = 0; d < nd; ++d) {
    mean[d] = p.households_mean * districts[d].size_factor;
    full[d] = std::max(1, static_cast<int>(std::lround(districts[d].family_households / mean[d])));
    mean[d] = districts[d].family_households / full[d];
    full_total += full[d];
  }
  if (p.communities <= 0) return full;
  if (p.communities < static_cast<int>(nd))
    throw std::invalid_argument("city.generator.communities: " + std::to_string(p.communities) +
                                " communities cannot cover " + std::to_string(nd) + " districts (at least one each)");
  std::vector<int> count(nd);
  std::vector<double> exact(nd);
  int given = 0;
  for (size_t d = 0; d < nd; ++d) {
    exact[d] = static_cast<double>(p.communities) * full[d] / full_total;
    count[d] = std::max(1, static_cast<int>(std::floor(exact[d])));
    given += count[d];
  }
  std::vector<size_t> order(nd);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return exact[a] - std::floor(exact[a]) > exact[b] - std::floor(exact[b]);
  });
  for (size_t k = 0; given < p.communities; k = (k + 1) % nd) {
    ++count[order[k]];
    ++given;
  }
  while (given > p.communities) {  // the minimum of one each pushed it over: trim the largest
    const size_t d = static_cast<size_t>(std::max_element(count.begin(), count.end()) - count.begin());
    --count[d];
    --given;
  }
  return count;
}

// Relative sizes of a district's communities: micro / oversized / normal (lognormal, clipped to
// the normal band) as in N1.3, relative to 3,300 households; and which are new.
std::vector<double> relative_sizes(const CityPlanParameters& p, size_t d, int count, std::vector<bool>& is_new) {
  std::vector<double> size(static_cast<size_t>(count));
  is_new.assign(size.size(), false);
  for (size_t i = 0; i < size.size(); ++i) {
    Stream s(StreamKey{p.seed, 0, (static_cast<uint64_t>(d) << 32) | i, static_cast<uint32_t>(Purpose::city), 1});
    const double u_class = s.uniform(), u_size = s.uniform(), u_z = s.uniform_pos(), u_z2 = s.uniform();
    is_new[i] = s.uniform() < p.new_share;
    if (u_class < p.micro_share) size[i] = 300 + u_size * 699;
    else if (u_class < p.micro_share + p.oversized_share) size[i] = 5001 + u_size * 3999;
    else {
      const double z = normal_from_uniforms(u_z, u_z2);
      size[i] = std::clamp(3300.0 * std::exp(p.households_sigma * z), 1000.0, 5000.0);
    }
  }
  return size;
}

// A district's communities, sized to its households (whole city) or its mean size (a sample):
// whole households, the rounding remainder to the largest community (exact total).
void size_district(const DistrictPlan& dist, size_t d, const std::vector<double>& size, const std::vector<bool>& is_new,
                   double target, CityPlan& plan, std::vector<size_t>& members, double& rect_area) {
  const double sum = std::accumulate(size.begin(), size.end(), 0.0);
  int64_t assigned = 0;
  std::vector<int64_t> whole(size.size());
  for (size_t i = 0; i < size.size(); ++i) assigned += whole[i] = std::max<int64_t>(1, std::llround(size[i] * target / sum));
  const size_t biggest = static_cast<size_t>(std::max_element(whole.begin(), whole.end()) - whole.begin());
  whole[biggest] = std::max<int64_t>(1, whole[biggest] + std::llround(target) - assigned);
  const double density = dist.family_households > 0 ? dist.family_households / std::max(dist.built_up_km2, 1e-9) : 1.0;
  for (size_t i = 0; i < size.size(); ++i) {
    PlannedCommunity c;
    c.district = d;
    c.households = whole[i];
    c.collective_residents = dist.family_households > 0 ? dist.collective_residents * whole[i] / dist.family_households : 0;
    c.area_km2 = static_cast<double>(whole[i]) / density;
    c.is_new = is_new[i];
    rect_area += c.area_km2;
    members.push_back(plan.communities.size());
    plan.communities.push_back(c);
  }
}

// Districts in class order (old core, inner, new districts, counties) as a treemap, then each
// district's community centres on a grid inside its rectangle.
void lay_out(const std::vector<DistrictPlan>& districts, const std::vector<double>& rect_area,
             const std::vector<std::vector<size_t>>& members, CityPlan& plan) {
  const size_t nd = districts.size();
  auto rank = [&](size_t d) {
    const std::string& k = districts[d].district_class;
    return k == "old_core" ? 0 : k == "inner" ? 1 : k == "new_district" ? 2 : 3;
  };
  std::vector<size_t> order(nd);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rank(a) < rank(b); });
  std::vector<double> areas;
  for (size_t d : order) areas.push_back(rect_area[d] * 1e6);
  const std::vector<DistrictRect> rects = treemap(areas);
  plan.rects.resize(nd);
  for (size_t k = 0; k < nd; ++k) plan.rects[order[k]] = rects[k];
  for (size_t d = 0; d < nd; ++d) {
    const DistrictRect& r = plan.rects[d];
    const double w = r.x1 - r.x0, h = r.y1 - r.y0;
    const size_t n = members[d].size();
    const size_t cols = std::max<size_t>(1, static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(n) * w / std::max(h, 1e-9)))));
    const size_t rows = (n + cols - 1) / cols;
    for (size_t i = 0; i < n; ++i) {
      PlannedCommunity& c = plan.communities[members[d][i]];
      c.x_m = r.x0 + w * (static_cast<double>(i % cols) + 0.5) / static_cast<double>(cols);
      c.y_m = r.y0 + h * (static_cast<double>(i / cols) + 0.5) / static_cast<double>(rows);
    }
  }
}

}  // namespace

CityPlan plan_city(const std::vector<DistrictPlan>& districts, const CityPlanParameters& p) {
  CityPlan plan;
  const size_t nd = districts.size();
  if (nd == 0) return plan;
  std::vector<double> mean;
  const std::vector<int> count = community_counts(districts, p, mean, plan.full_communities);
  std::vector<double> rect_area(nd, 0.0);
  std::vector<std::vector<size_t>> members(nd);
  for (size_t d = 0; d < nd; ++d) {
    std::vector<bool> is_new;
    const std::vector<double> size = relative_sizes(p, d, count[d], is_new);
    const double target = p.communities > 0 ? mean[d] * static_cast<double>(size.size()) : districts[d].family_households;
    size_district(districts[d], d, size, is_new, target, plan, members[d], rect_area[d]);
  }
  lay_out(districts, rect_area, members, plan);
  return plan;
}

bool CensusInputs::read_for(const CensusCity& cc) const {
  return source.file == cc.file && source.districts_file == cc.districts_file && source.city_code == cc.city_code &&
         source.units == cc.units && source.built_up_density_per_km2 == cc.built_up_density_per_km2 &&
         source.old_core_density_per_km2 == cc.old_core_density_per_km2;
}

std::vector<CountyCensus> census_units(const CensusTable& table, const CensusCity& cc) {
  std::vector<CountyCensus> units;
  if (!cc.city_code.empty()) {
    for (const CountyCensus* u : table.units_of_city(cc.city_code)) units.push_back(*u);
    if (units.empty())
      throw InputError(cc.position, "city.census.city_code",
                       "no district or county of city " + cc.city_code + " in the census table " + cc.file);
  } else {
    for (size_t i = 0; i < cc.units.size(); ++i)
      units.push_back(table.county(cc.units[i], cc.position, "city.census.units." + std::to_string(i)));
  }
  return units;
}

std::vector<CountyCensus> census_units(const CensusCity& cc) { return census_units(CensusTable::load(cc.file), cc); }

std::shared_ptr<const CensusInputs> read_census_inputs(const CensusCity& cc) {
  const CensusTable table = CensusTable::load(cc.file);
  const DistrictExtrasTable extras =
      cc.districts_file.empty() ? DistrictExtrasTable{} : DistrictExtrasTable::load(cc.districts_file);
  DerivedExtrasRule rule;
  rule.density_per_km2 = cc.built_up_density_per_km2;
  rule.old_core_density_per_km2 = cc.old_core_density_per_km2;
  auto inputs = std::make_shared<CensusInputs>();
  inputs->source = cc;
  inputs->units = census_units(table, cc);
  for (const CountyCensus& u : inputs->units) {
    const DistrictExtras* extra = extras.find(u.code);
    inputs->extras.push_back(extra ? *extra : derive_district_extras(u, rule));
    inputs->households.push_back(std::make_shared<const DistrictHouseholds>(fit_district_households(district_profile(u))));
  }
  return inputs;
}

namespace {

// One unit of the census city as the generator sees it. The modelled residents (urban, or all) are
// a share of the unit's residents with the unit's make-up (the county volume has no urban-only
// tables: docs/population-data.md): the same share of its residents outside family households
// (dormitories, care homes), the rest in family households of the unit's mean size.
DistrictPlan district_plan(const CountyCensus& u, const DistrictExtras& extra, const CensusCity& cc,
                           const ClassSizeFactors& f) {
  DistrictPlan d;
  d.name = u.county;
  d.code = u.code;
  d.district_class = extra.district_class;
  d.county = extra.district_class == "county";
  d.size_factor = d.district_class == "old_core" ? f.old_core : d.district_class == "inner" ? f.inner
                  : d.district_class == "new_district" ? f.new_district : f.county;
  d.built_up_km2 = extra.built_up_km2;
  const double population = static_cast<double>(u.population);
  const double family = static_cast<double>(u.family_household_population);
  const double collective = std::max(0.0, population - family);
  const double residents = cc.residents == "urban" ? static_cast<double>(u.urban) : population;
  d.collective_residents = population > 0 ? collective * residents / population : 0.0;
  d.family_households = (residents - d.collective_residents) / u.computed_mean_household_size();
  return d;
}

}  // namespace

namespace {

// A planner's communities (city.communities / communities_file) on the census city: each in its
// district (a census unit, by name), with its own households and position; residents in collective
// living as the district's share, or the difference the community's own `residents` leaves above its
// drawn family households (their expected size: the district's fitted templates).
CityPlan plan_from_specs(const std::vector<DistrictPlan>& districts, const CensusInputs& inputs,
                         const std::vector<CommunitySpec>& specs) {
  CityPlan plan;
  std::vector<std::string> names;
  for (const DistrictPlan& d : districts) names.push_back(d.name);
  std::vector<double> rect_area(districts.size(), 0.0);
  for (size_t i = 0; i < specs.size(); ++i) {
    const CommunitySpec& s = specs[i];
    const auto it = std::find(names.begin(), names.end(), s.district);
    if (it == names.end()) {
      std::string listed;
      for (const std::string& n : names) listed += (listed.empty() ? "" : ", ") + n;
      const bool from_file = !s.position.file.empty() && s.position.column == 1;  // a CSV row (load.cpp)
      throw InputError(s.position,
                       from_file ? "city.communities_file[row " + std::to_string(s.position.line) + "].district"
                                 : "city.communities." + std::to_string(i) + ".district",
                       "no district or county '" + s.district + "' in the census city (" + listed + ")");
    }
    const size_t d = static_cast<size_t>(it - names.begin());
    const DistrictPlan& dist = districts[d];
    PlannedCommunity c;
    c.district = d;
    c.households = s.households;
    const double family_residents = static_cast<double>(s.households) * inputs.households[d]->expected_size;
    c.collective_residents = s.residents > 0 ? std::max(0.0, static_cast<double>(s.residents) - family_residents)
                             : dist.family_households > 0 ? dist.collective_residents * static_cast<double>(s.households) / dist.family_households
                                                          : 0.0;
    const double density = dist.family_households > 0 ? dist.family_households / std::max(dist.built_up_km2, 1e-9) : 1.0;
    c.area_km2 = s.area_km2 > 0 ? s.area_km2 : static_cast<double>(s.households) / density;
    c.x_m = s.x_m;
    c.y_m = s.y_m;
    c.is_new = s.is_new;
    plan.communities.push_back(c);
  }
  plan.full_communities = static_cast<int>(specs.size());
  plan.rects.assign(districts.size(), DistrictRect{});
  return plan;
}

}  // namespace

CensusCitySetup census_city_setup(const Scenario& sc, const CensusInputs& inputs) {
  const CensusCity& cc = sc.city.census;
  CensusCitySetup setup;
  for (size_t i = 0; i < inputs.units.size(); ++i) {
    setup.districts.push_back(district_plan(inputs.units[i], inputs.extras[i], cc, sc.city.generator.size_factor));
    setup.households.push_back(inputs.households[i]);
  }
  CityPlanParameters p;
  p.communities = sc.city.generator.communities;
  p.households_mean = sc.city.generator.households_mean;
  p.households_sigma = sc.city.generator.households_sigma;
  p.oversized_share = sc.city.generator.oversized_share;
  p.micro_share = sc.city.generator.micro_share;
  p.new_share = sc.city.generator.new_share;
  p.seed = sc.run.seed;
  if (p.communities > 0 && p.communities < static_cast<int>(setup.districts.size()))
    throw InputError(sc.city.generator.position, "city.generator.communities",
                     "must be 0 (the whole city) or in [" + std::to_string(setup.districts.size()) +
                         ", 1000000] (at least one community per census unit: this city has " +
                         std::to_string(setup.districts.size()) + " districts and counties), got " +
                         std::to_string(p.communities));
  setup.plan = sc.city.communities.empty() ? plan_city(setup.districts, p)
                                           : plan_from_specs(setup.districts, inputs, sc.city.communities);
  return setup;
}

CensusCitySetup census_city_setup(const Scenario& sc) {
  return census_city_setup(sc, *read_census_inputs(sc.city.census));
}

std::vector<CommunitySpec> census_community_specs(const CensusCitySetup& setup) {
  std::vector<CommunitySpec> specs;
  std::vector<int> numbered(setup.districts.size(), 0);
  for (const PlannedCommunity& c : setup.plan.communities) {
    CommunitySpec s;
    char number[16];
    std::snprintf(number, sizeof number, "-%03d", ++numbered[c.district]);
    s.district = setup.districts[c.district].name;
    s.name = s.district + number;
    s.households = c.households;
    s.area_km2 = c.area_km2;
    s.x_m = c.x_m;
    s.y_m = c.y_m;
    s.is_new = c.is_new;
    specs.push_back(std::move(s));
  }
  return specs;
}

}  // namespace commsim
