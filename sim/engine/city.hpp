// The city: communities as given (explicit, from a CSV, or generated), their synthetic or loaded
// populations, community sizing (as given / uniform size / restructure: split oversized, merge
// micro), and what the policies give each community (staff, committees, facility areas and places,
// funds). The result is a list of Community values, each owning its residents' arrays.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "sim/demand/demand.hpp"
#include "sim/engine/prepared.hpp"
#include "sim/metrics/results.hpp"
#include "sim/population/population.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

// What the staffing, committee, facility and funding policies give one community (apply_policies):
// the engine's inputs. Recomputed each simulated year from that year's residents; the report's
// copy (CommunityInfo) describes the start of the run.
struct CommunityPolicy {
  int64_t households = 0, residents = 0;  // what the rules were applied to (family households)
  bool oversized = false, micro = false;  // the scenario's size bands (N1.3, N1.4 extras)
  std::vector<int> staff;                 // per role, in post (after vacancies)
  int part_time_committee = 0;            // committee members serving in committee.serves_as_role
  int committee_residents = 0, committee_party = 0, committee_total = 0;
  std::vector<int> places;                // per facility use
  double indoor_m2 = 0, outdoor_m2 = 0;   // the facility's areas (given, or by the facility policy)
  double activity_share = 0;              // share of the indoor area in activity uses
  double funds_city_yuan_per_year = 0, funds_district_yuan_per_year = 0;
  std::vector<double> network_share;      // per service: visits residents' networks make (empty: none)
};

struct Community {
  CommunityInfo info;       // the report's facts (start of the run)
  CommunityPolicy policy;   // the engine's inputs (this simulated year)
  Residents residents;
  double facility_x_m = 0, facility_y_m = 0;
  // Census city: the district's household templates (newcomer households are drawn from them).
  std::shared_ptr<const DistrictHouseholds> district_households;
  // Places of facility.shared_station.use this community's staff use at a neighbour's station
  // (0: none, or rooms of its own); set once when the city is built.
  int station_rooms = 0;
  // Staff in post per role given for this community (a communities file's staff.<role>), -1: by
  // the role's staffing rule. Empty: every role by its rule.
  std::vector<int> staff_in_post;
};

// The communities as given by the scenario (explicit list, CSV already loaded, or the generator).
std::vector<CommunitySpec> as_given_communities(const Scenario& scenario);

// Consecutive as-given communities [first, last) of the city (last = 0 with first = 0: all).
struct CityRange {
  size_t first = 0, last = 0;
};

// Whether the city can be built in parts: as-given sizing and no shared stations (resizing,
// restructuring and station sharing look at the whole city at once).
bool city_divisible(const Scenario& scenario);

// The batches `range` is built and run in (run.batch_residents): consecutive communities of about
// that many residents each (at least one community); the whole range when run.batch_residents is 0
// or the city is not divisible.
std::vector<CityRange> city_batches(const Scenario& scenario, const PreparedInputs& inputs, CityRange range);

// Builds the city for one replicate from the prepared inputs: populations, sizing policy, staffing
// and facility policies. `changes` receives one line per community created by restructuring or
// resizing. With `range` (a divisible city), only those communities: each is the same as in the
// whole city. The overload without inputs prepares them first (reads the scenario's files).
std::vector<Community> build_city(const Scenario& scenario, const PreparedInputs& inputs, uint32_t replicate,
                                  const std::vector<CompiledService>& services,
                                  std::vector<std::string>* changes = nullptr, CityRange range = {});
std::vector<Community> build_city(const Scenario& scenario, uint32_t replicate,
                                  const std::vector<CompiledService>& services,
                                  std::vector<std::string>* changes = nullptr);

// Applies the staffing, committee, facility and funding policies to a community whose residents
// are set (also after each year's population change: staff follow client counts): sets
// community.policy. The facility areas stay as given (community.info's, when not negative).
void apply_policies(const Scenario& scenario, const std::vector<CompiledService>& services,
                    Community& community);

// The report's facts of a community at the start of the run (community.info): who lives there,
// the policy record, access (N1.5) and compliance with the norms' own figures (norms.hpp).
void describe_community(const Scenario& scenario, Community& community);

// Each community's residents in the as-given city, before any run: a census city's households at
// their district's expected size plus its collective residents; otherwise households x the mean
// household size of population.household_size_shares. Batches and MPI parts are cut on these.
std::vector<double> community_residents_estimates(const Scenario& scenario, const PreparedInputs& inputs);
// Their sum.
double estimate_residents(const Scenario& scenario, const PreparedInputs& inputs);
double estimate_residents(const Scenario& scenario);

// Estimated bytes of engine state for a scenario (refuse runs that cannot fit in memory).
double estimate_memory_bytes(const Scenario& scenario, const PreparedInputs& inputs);
double estimate_memory_bytes(const Scenario& scenario);

// Refuses up front (InputError, key "city") a scenario whose state would need more than 80 % of
// this machine's memory.
void check_fits_in_memory(const Scenario& scenario, const PreparedInputs& inputs);
void check_fits_in_memory(const Scenario& scenario);

}  // namespace commsim
