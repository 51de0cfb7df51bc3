// The city: communities as given (explicit, from a CSV, or generated), their synthetic or loaded
// populations, community sizing (as given / uniform size / restructure: split oversized, merge
// micro), and what the policies give each community (staff, committees, facility areas and places,
// funds). The result is a list of Community values, each owning its residents' arrays.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "sim/demand/demand.hpp"
#include "sim/metrics/results.hpp"
#include "sim/population/population.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

struct Community {
  CommunityInfo info;
  Residents residents;
  double facility_x_m = 0, facility_y_m = 0;
  int part_time_committee = 0;  // committee members serving in committee.serves_as_role
  // Census city: the district's household templates (newcomer households are drawn from them).
  std::shared_ptr<const DistrictHouseholds> district_households;
};

// The communities as given by the scenario (explicit list, CSV already loaded, or the generator).
std::vector<CommunitySpec> as_given_communities(const Scenario& scenario);

// Builds the city for one replicate: populations, sizing policy, staffing and facility policies.
// `changes` receives one line per community created by restructuring or resizing.
std::vector<Community> build_city(const Scenario& scenario, uint32_t replicate,
                                  const std::vector<CompiledService>& services,
                                  std::vector<std::string>* changes = nullptr);

// Applies the staffing, committee, facility and funding policies to a community whose
// households/residents are set (also used after yearly population changes for client counts).
void apply_policies(const Scenario& scenario, const std::vector<CompiledService>& services,
                    Community& community);

// Residents of the as-given city (households x the mean household size), before any run.
double estimate_residents(const Scenario& scenario);

// Estimated bytes of engine state for a scenario (refuse runs that cannot fit in memory).
double estimate_memory_bytes(const Scenario& scenario);

// Refuses up front (InputError, key "city") a scenario whose state would need more than 80 % of
// this machine's memory.
void check_fits_in_memory(const Scenario& scenario);

}  // namespace commsim
