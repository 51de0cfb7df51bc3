// Synthetic households and residents of one community, as structure-of-arrays state, plus their
// yearly dynamics (ageing, deaths, births, dependency onset, household turnover).
//
// Identity: every household has a stable global id (its index in the as-given city, or a derived
// id for newcomers); a resident's stable global id is household_gid * 16 + member slot. Random
// draws are keyed by these ids, never by a community's index, so a resident keeps its traits and
// its demand when restructuring moves its household to another community (common random numbers).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/population/households.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

// Resident trait bits (Population::traits).
namespace trait {
inline constexpr uint8_t male = 1u << 0;
inline constexpr uint8_t dep_shift = 1;          // 2 bits: Dependency
inline constexpr uint8_t dep_mask = 3u << 1;
inline constexpr uint8_t hypertension = 1u << 3;
inline constexpr uint8_t diabetes = 1u << 4;
inline constexpr uint8_t chronic = hypertension | diabetes;
}  // namespace trait

inline constexpr int kMaxHouseholdSize = 16;  // member slots per household id
inline constexpr int kMaxAge = 120;

// A compiled age table: value per single year of age 0..kMaxAge.
using AgeTable = std::vector<double>;
AgeTable age_table(const std::vector<AgeBand>& bands, double outside = 0.0);

// Households and residents of one community. Hot columns (read every day or every year) are
// separate arrays from cold ones (ids, positions).
struct Residents {
  // households
  std::vector<uint64_t> hh_gid;       // stable global household id (cold)
  std::vector<uint32_t> hh_first;     // first resident index
  std::vector<uint8_t> hh_size;       // members
  std::vector<uint8_t> hh_low_income; // 1 = minimum living guarantee household
  std::vector<float> hh_x_m, hh_y_m;  // position in the city (cold)
  std::vector<uint8_t> hh_next_slot;  // next free member slot for newborns (cold)
  std::vector<uint8_t> hh_type;       // HouseholdType (households.hpp), from the members' ages
  std::vector<float> hh_income_month; // household disposable income, yuan per month
  std::vector<uint8_t> hh_generations; // generations living together when the household formed (cold)
  // residents
  std::vector<uint8_t> age;           // years, capped at kMaxAge
  std::vector<uint8_t> traits;        // trait bits
  std::vector<uint32_t> household;    // local household index
  std::vector<uint8_t> slot;          // member slot: gid = hh_gid * 16 + slot (cold)
  std::vector<uint8_t> enrolled;      // bit per enrolment service (up to 8)

  size_t households() const { return hh_gid.size(); }
  // Family households: households() without the one-person units of residents in collective living.
  size_t family_households() const;
  size_t size() const { return age.size(); }
  uint64_t gid(size_t resident) const { return hh_gid[household[resident]] * kMaxHouseholdSize + slot[resident]; }
  Dependency dependency(size_t r) const { return static_cast<Dependency>((traits[r] & trait::dep_mask) >> trait::dep_shift); }
  void clear();
  void reserve(size_t households, size_t residents);
  // Appends household `h` of `from` (with its members) to this set.
  void append_household(const Residents& from, size_t h);
  size_t bytes() const;  // heap bytes held by the arrays
  // The household type of `h` from its members' ages (collective living stays collective).
  void classify(size_t h);
};

// Marginals compiled once per scenario for fast generation.
struct PopulationModel {
  std::vector<double> size_cdf;     // household size categorical (index = size - 1)
  std::vector<double> age_cdf;      // single-year age categorical 0..kMaxAge
  AgeTable partial, full;           // dependency shares by age
  AgeTable hypertension, diabetes;  // prevalence by age
  AgeTable mortality;               // yearly death probability by age
  AgeTable onset_partial, onset_full;  // yearly onset probability by age
  double male_share = 0.5;
  double low_income_share = 0;
  double mean_household_size = 0;
  double income_median_month = 0, income_sigma = 0;  // per person
  explicit PopulationModel(const Population& population);
};

// Household disposable income per month for a household of `size` with stable id `gid`: per
// person lognormal (median, sigma), keyed by the household (common random numbers).
float household_income_month(const PopulationModel& model, uint64_t seed, uint32_t replicate, uint64_t gid, int size);

// Draws the traits of one resident with stable id `gid` (age given or drawn; sex given, 0 male,
// 1 female, or drawn when -1).
void draw_resident(const PopulationModel& model, uint64_t seed, uint32_t replicate, uint64_t gid,
                   int age, uint8_t& age_out, uint8_t& traits_out, int sex = -1);

// Generates `households` households with gids [gid_base, gid_base + households) for a community
// centred at (cx, cy) on `area_km2`, appending to `out`. With `district` (a census city) the
// households are families drawn from the district's fitted templates, followed by `collective`
// residents in collective living (one-person units of type collective, gids after the families);
// without, household sizes and ages come from the scenario's marginals.
void generate_households(const PopulationModel& model, const Population& population,
                         uint64_t seed, uint32_t replicate, uint64_t gid_base, int64_t households,
                         double cx_m, double cy_m, double area_km2, Residents& out,
                         const DistrictHouseholds* district = nullptr, int64_t collective = 0);

// Reads a CSV of households and members (docs/scenario-reference.md, households_file):
// header `household,community,x_m,y_m,low_income,age,sex,dependency,hypertension,diabetes`,
// one row per resident. Returns residents grouped by community name. Throws InputError with the
// row number and column on a bad row.
struct LoadedCommunity {
  std::string community;
  Residents residents;
};
std::vector<LoadedCommunity> load_households_csv(const std::string& path);

// One year of dynamics for a community: ageing by one year, deaths, births, dependency onset,
// household turnover. Keyed by (seed, replicate, gid, year): independent of community membership.
struct DynamicsCounts {
  uint64_t deaths = 0, births = 0, onsets = 0, households_replaced = 0;
};
// Newcomer households are drawn like the community's own (from `district`'s templates when given).
DynamicsCounts step_year(const PopulationModel& model, const Population& population, uint64_t seed,
                         uint32_t replicate, int year, double cx_m, double cy_m, double area_km2,
                         Residents& residents, Residents& scratch, const DistrictHouseholds* district = nullptr);

}  // namespace commsim
