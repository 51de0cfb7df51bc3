// Households as families (issue 15): a district's households are drawn from household templates —
// a single adult, an elder living alone, a couple, an elderly couple, parents with children, an
// elder with an adult child, grandparents with grandchildren, three generations — whose weights
// are fitted, district by district, so that the expected households reproduce what the census
// says of the district: the share of one-person, one-generation and three-or-more-generation
// households, the mean household size, the shares of residents aged 0-17 and 60+, and the share
// of households with a member aged 65+. The fit is the maximum-entropy solution closest to a prior
// over the templates (minimum Kullback-Leibler divergence subject to the census moments), found on
// its convex dual with NLopt. Members' ages are drawn within a household so that they are
// consistent (parents 18-45 years older than their children, spouses of similar age), with the
// ages of the elders (60+) drawn from the district's own distribution, so its 60+ and 80+ shares
// are reproduced in expectation.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/random.hpp"

namespace commsim {

inline constexpr int kHouseholdMaxAge = 120;

// What the generator reproduces for one district (base-year census; see census.hpp). Residents
// live in family households or, outside them, in collective living (dormitories of universities
// and employers, care homes: 集体户); the census's household figures are of family households.
struct DistrictProfile {
  std::string name;
  // Family-household members by single year of age 0..120 and sex (0 male, 1 female): relative
  // weights. Residents in collective living are not in it.
  std::array<std::vector<double>, 2> age_sex;
  // Residents outside family households, as a share of all residents, and their ages by sex
  // (relative weights, 0..120): working-age adults (an assumption, docs/population-data.md).
  double collective_share = 0;
  std::array<std::vector<double>, 2> collective_age_sex;
  double one_person_share = 0;            // of households
  double one_generation_share = 0;        // of households (one-person households included)
  double three_plus_generation_share = 0; // of households
  double mean_household_size = 0;
  double households_with_65_plus_share = 0;
};

// The household templates: how many elders (60+), working-age adults (18-59) and minors (0-17),
// how many generations, and how the members' ages relate.
enum class HouseholdTemplate : uint8_t {
  single_adult,           // one adult 18-59
  single_elder,           // one elder living alone
  couple,                 // two adults
  elderly_couple,         // two elders
  mixed_couple,           // an elder and a younger spouse (one generation)
  nuclear_1, nuclear_2, nuclear_3,  // two parents and 1-3 minor children
  single_parent_1, single_parent_2, // one parent and 1-2 minor children
  parents_adult_child,    // two parents and an adult child
  elder_adult_child,      // an elder and an adult child
  elders_adult_child,     // two elders and an adult child
  elders_child_couple,    // two elders, an adult child and the child's spouse (two generations)
  skipped_generation,     // two elders and a minor grandchild
  three_gen_1_1, three_gen_2_1, three_gen_2_2, three_gen_1_2,  // elders, two parents, minors
  count
};
inline constexpr int kHouseholdTemplates = static_cast<int>(HouseholdTemplate::count);

struct TemplateShape {
  const char* name;
  int elders, adults, minors, generations;
  double prior;  // prior weight of the maximum-entropy fit (docs/model.md: an assumption)
};
const TemplateShape& template_shape(HouseholdTemplate t);

// Household types as reported (from the members' ages, whatever template made them): the rows of
// the household-type outputs.
enum class HouseholdType : uint8_t {
  single_adult,   // one member, under 60
  elder_alone,    // one member, 60+
  elderly_only,   // two or more members, all 60+
  with_elders,    // 60+ members living with younger ones
  with_children,  // minors, no 60+ member
  adults_only,    // two or more members, all 18-59
  count
};
inline constexpr int kHouseholdTypes = static_cast<int>(HouseholdType::count);
const char* household_type_name(HouseholdType t);
HouseholdType classify_household(const uint8_t* ages, int size);

// The fitted generator of one district.
struct DistrictHouseholds {
  std::array<double, kHouseholdTemplates> weight{};      // template probabilities (sum 1)
  std::array<double, kHouseholdTemplates> cdf{};
  // Age samplers by sex: cumulative weights over single years within [0, 17], [18, 59], [60, 120].
  std::array<std::vector<double>, 2> minor_cdf, adult_cdf, elder_cdf;
  double expected_size = 0;
  // How close the fit came: the largest gap between a fitted and a target moment (relative to
  // the target when it is above 1), and which moment. Near 0 (1e-6 or less) when every census
  // moment is met exactly; otherwise the closest mixture was taken.
  double max_moment_error = 0;
  std::string worst_moment;
};

struct CountyCensus;
// The profile of a census row (census.hpp): ages spread evenly within each 5-year band; the open
// band 85+ spread over 85-105 with weights falling by 15 % a year (mean age of 85+ about 89). The
// residents outside family households (population − family-household population) are taken to be
// 18-59 (students and workers in dormitories; the census bounds elders outside families in Xi'an
// at 6.6 % of 65+): they are removed from the 18-59 ages of each sex in proportion.
DistrictProfile district_profile(const CountyCensus& census);

// Fits the templates to `profile`: exactly when a mixture of the templates meets every moment, else
// the closest mixture (see max_moment_error). Throws std::runtime_error naming the district when
// the optimiser fails.
DistrictHouseholds fit_district_households(const DistrictProfile& profile);

// Members of one household: the template at quantile `u_template` of the fitted weights, then the
// ages and sexes from `stream` (the household's own stream: common random numbers). Writes at
// most 8 members; returns the size.
struct DrawnMember {
  uint8_t age = 0;
  bool male = false;
};
inline constexpr int kMaxTemplateMembers = 8;
int draw_household(const DistrictHouseholds& d, double u_template, Stream& stream, DrawnMember* members);

}  // namespace commsim
