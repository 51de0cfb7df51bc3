// A city built from the census (issue 15): its districts and counties with their urban family
// households and residents in collective living, the communities they are divided into, and a
// geography in which every district is a contiguous region of its own built-up area (a squarified
// treemap of rectangles, old core first) filled with its communities. Pure functions of the
// district table and the generator's parameters; the population is drawn later, per community.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/population/census.hpp"
#include "sim/population/households.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

// One district as the city generator sees it.
struct DistrictPlan {
  std::string name;
  std::string code;           // census code ("" when not from the census)
  std::string district_class; // old_core | inner | new_district | county
  bool county = false;        // a county (县): county funding (N5.3)
  double family_households = 0;  // urban family households
  double collective_residents = 0;  // urban residents outside family households
  double built_up_km2 = 0;    // the area its communities cover
  double size_factor = 1.0;   // mean community size relative to the city's (by class)
};

struct PlannedCommunity {
  size_t district = 0;        // index into the district list
  int64_t households = 0;
  double collective_residents = 0;
  double area_km2 = 0;
  double x_m = 0, y_m = 0;    // centre
  bool is_new = false;
};

struct DistrictRect {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // metres
};

struct CityPlan {
  std::vector<PlannedCommunity> communities;
  std::vector<DistrictRect> rects;      // per district
  int full_communities = 0;             // communities of the whole city at the mean size
};

struct CityPlanParameters {
  int communities = 0;              // simulated communities; 0 = the whole city
  double households_mean = 3300;    // mean households per community (before class factors)
  double households_sigma = 0.35;   // lognormal sigma of the size of normal communities
  double oversized_share = 0.026;   // N1.3
  double micro_share = 0.079;       // N1.3
  double new_share = 0.1;
  uint64_t seed = 0;
};

// Divides the districts into communities and lays them out. With `communities` = 0 every district
// gets round(households / (mean x factor)) communities (at least one) whose sizes add up to its
// households exactly; with `communities` = N the N communities are a sample of that city: spread
// over the districts in proportion to their full counts (largest remainder, at least one each),
// each of the mean size of its district's communities, and the districts' areas scaled by the
// sampled share so that densities stay the same.
CityPlan plan_city(const std::vector<DistrictPlan>& districts, const CityPlanParameters& p);

// The census city's input files, read, checked and fitted once (engine/prepared.hpp shares them
// between replicates and between study variants that name the same files and units): the census
// rows of the city's units and the household templates fitted to each. The files' row errors are
// InputErrors at their lines; an unknown unit code one at the scenario's city.census key.
struct CensusInputs {
  CensusCity source;                    // the scenario's city.census these were read for
  std::vector<CountyCensus> units;      // the city's districts and counties, in file order
  std::vector<DistrictExtras> extras;   // per unit: class and built-up area
  std::vector<std::shared_ptr<const DistrictHouseholds>> households;  // per unit: fitted templates
  // Whether these were read for `census` (same files, same units): then they can be shared.
  bool read_for(const CensusCity& census) const;
};
std::shared_ptr<const CensusInputs> read_census_inputs(const CensusCity& census);
// The census city's units (city_code's, or the listed units), read from its census table only: no
// templates fitted (the workbench's lever ranges need the count; the nation's 2,943 fits take seconds).
std::vector<CountyCensus> census_units(const CensusCity& census);
std::vector<CountyCensus> census_units(const CensusTable& table, const CensusCity& census);  // census.file, loaded

// Everything a run needs of a census city (scenario `city.census`): its districts (from the census
// table and the districts file), their fitted household templates and the plan of communities.
struct CensusCitySetup {
  std::vector<DistrictPlan> districts;
  std::vector<std::shared_ptr<const DistrictHouseholds>> households;  // per district
  CityPlan plan;
};
// From inputs already read (the plan depends on the scenario's generator and seed).
CensusCitySetup census_city_setup(const Scenario& scenario, const CensusInputs& inputs);
// Reads the inputs, then as above.
CensusCitySetup census_city_setup(const Scenario& scenario);

// The plan's communities as community specs (names "<district>-<n>").
std::vector<CommunitySpec> census_community_specs(const CensusCitySetup& setup);

// Squarified treemap of `areas` (in that order) over a square of their total area; rectangles in
// metres. Each rectangle's area equals its entry (to rounding).
std::vector<DistrictRect> treemap(const std::vector<double>& areas_m2);

}  // namespace commsim
