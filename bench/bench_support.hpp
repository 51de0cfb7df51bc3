// Shared set-up of the micro-benchmarks: the shipped Xi'an baseline scenario and one typical
// community built from it (median 3,300 households, about 8,500 residents), with its staffing.
#pragma once
#include <string>
#include <vector>

#include "sim/demand/demand.hpp"
#include "sim/engine/census_city.hpp"
#include "sim/engine/city.hpp"
#include "sim/scenario/load.hpp"
#include "sim/service/service.hpp"

namespace commsim::bench {

inline const Scenario& baseline() {
  // The census city at one community per district or county (the fewest it allows); benchmarks build
  // their own community of the median size from it, so every benchmark sees the same residents.
  static const Scenario sc = load_scenario(std::string(COMMSIM_SOURCE_DIR) + "/scenarios/xian-baseline.yaml",
                                           {"city.generator.communities=13", "run.daily_output=false"});
  return sc;
}

inline const std::vector<CompiledService>& baseline_services() {
  static const std::vector<CompiledService> s = compile_services(baseline());
  return s;
}

// The household templates of the district of the baseline's first planned community (the first row
// of the census table, 新城区): a census city draws its families from its district's templates
// (without them generate_households would use the scenario's household-size marginals, which a
// census scenario leaves empty).
inline const DistrictHouseholds* baseline_district_households() {
  static const CensusCitySetup setup = census_city_setup(baseline());
  if (setup.households.empty()) return nullptr;
  return setup.households[setup.plan.communities.at(0).district].get();
}

// A community of `households` households generated with the baseline's population model and
// given the baseline's staffing, facility and committee policies.
inline Community typical_community(int64_t households = 3300) {
  const Scenario& sc = baseline();
  Community c;
  c.info.name = "bench";
  c.info.district = "district-1";
  c.info.area_km2 = static_cast<double>(households) / sc.city.density_households_per_km2;
  c.info.facility_indoor_m2 = c.info.facility_outdoor_m2 = -1;
  const PopulationModel model(sc.population);
  generate_households(model, sc.population, sc.run.seed, 0, 0, households, 0.0, 0.0, c.info.area_km2, c.residents,
                      baseline_district_households());
  apply_policies(sc, baseline_services(), c);
  return c;
}

// The engine's per-role worker pools of a community (as engine.cpp init_pools).
inline std::vector<WorkerPool> pools_of(const Community& c) {
  const Scenario& sc = baseline();
  std::vector<WorkerPool> pools(sc.staffing.roles.size());
  const int committee_role = sc.role_index(sc.staffing.committee.serves_as_role);
  for (size_t r = 0; r < pools.size(); ++r) {
    WorkerPool& p = pools[r];
    p.role = static_cast<int>(r);
    p.staff = c.policy.staff[r];
    p.part_time = static_cast<int>(r) == committee_role ? c.policy.part_time_committee : 0;
    p.part_time_share = sc.staffing.committee.service_share;
    p.free_at.assign(static_cast<size_t>(p.staff + p.part_time), 0.0);
  }
  return pools;
}

}  // namespace commsim::bench
