// The 2020 census county table (scenarios/data/census-county-2020.csv, provenance in
// scenarios/data/README.md): one row per county-level unit, read by its 6-digit administrative
// code (区划代码), so that any city loads the same way: a city's districts and counties are the
// rows that share its first four digits. The reader checks every row when the file is loaded:
// columns present, numbers well formed, codes unique, and the row's counts consistent with each
// other (age bands by sex sum to each sex's total, generation counts to family households, urban
// plus rural to the total, ...). Every problem is an InputError with the file, the row's line and
// the column name as key. The generator (population.cpp) turns a CountyCensus into households.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/error.hpp"

namespace commsim {

// Age bands of the county volume: 0, 1-4, 5-9, ..., 80-84 and the open band 85+.
inline constexpr int kCensusAgeBands = 19;
inline constexpr std::array<int, kCensusAgeBands> kCensusBandFirstAge = {0,  1,  5,  10, 15, 20, 25, 30, 35, 40,
                                                                          45, 50, 55, 60, 65, 70, 75, 80, 85};
inline constexpr int kCensusOpenAge = 1000;  // "and over": the last age of the open band 85+

enum class CensusSex : uint8_t { male = 0, female = 1 };

// Marital status of people aged 15+ (long form: a sample of about 10 % of households, counts as
// sampled, not scaled). Index 0 all, 1 male, 2 female.
struct CensusMaritalSample {
  std::array<int64_t, 3> aged_15_plus{}, never_married{}, married{}, divorced{}, widowed{};
};

// Housing of family households. Rooms and floor area come from the short form (all households);
// lift, car and tenure from the long form (a sample; `long_form_households` is its denominator).
struct CensusHousing {
  int64_t households = 0;                // 家庭户户数 (short-form housing table)
  double rooms_per_household = 0;        // 平均每户住房间数
  double floor_area_m2_per_person = 0;   // 人均住房建筑面积
  std::optional<int64_t> long_form_households, with_lift, with_car;
  // 住房来源: rented, self-built, bought, inherited or gift, other (sums to long_form_households)
  std::optional<std::array<int64_t, 5>> tenure;
};

// One county-level unit (district, county, or a city's or province's aggregate row).
struct CountyCensus {
  std::string code;                         // 区划代码, 6 digits
  std::string province, city, county;       // 省, 市, 区县
  int line = 0;                             // the row's line in the file
  int64_t population = 0;                   // 人口数_合计 (usual residents)
  std::array<int64_t, 2> population_by_sex{};  // 人口数_男, 人口数_女
  int64_t urban = 0, rural = 0;             // 城镇人口, 乡村人口
  std::optional<int64_t> urban_core;        // 城区人口: only on city rows and county-level cities
  int64_t family_households = 0;            // 家庭户数 (collective households excluded)
  int64_t family_household_population = 0; // 家庭户人口数
  double mean_household_size = 0;           // 户规模 as published (2 decimals)
  int64_t one_person_households = 0;        // 一人户数 (within the one-generation households)
  std::array<int64_t, 4> generation_households{};  // 一代, 二代, 三代, 四代以上
  // 男_0岁 ... 女_85岁以上: [sex][band], bands as kCensusBandFirstAge
  std::array<std::array<int64_t, kCensusAgeBands>, 2> age_band_population{};
  int64_t households_with_65_plus = 0;      // 有65岁及以上老年人口的户数
  std::array<int64_t, 3> households_by_65_plus_members{};  // one, two, three or more aged 65+
  // Optional columns (absent from the file, or NA on this row):
  std::optional<std::array<double, 3>> published_age_shares_pct;  // 人口比重_0-14岁, _15-64岁, _65岁及以上
  std::optional<std::array<int64_t, 3>> registered_elsewhere;  // hukou elsewhere: same county, other county, other province
  std::optional<double> mean_years_of_schooling;              // 平均受教育年限_合计
  std::optional<CensusMaritalSample> marital_sample;
  std::optional<CensusHousing> housing;

  // Residents aged first_age..last_age; both must be band edges (last_age = kCensusOpenAge for
  // "and over"): population_aged(60, kCensusOpenAge) is 60+, population_aged(80, kCensusOpenAge) 80+.
  int64_t population_aged(int first_age, int last_age) const;
  double share_aged(int first_age, int last_age) const;
  // Ages 0-2 are not a band: estimated as age 0 + 2/4 of the 1-4 band (years spread evenly;
  // docs/population-data.md gives the caveat: the 1-2 cohorts were smaller than the 3-4 ones).
  double estimated_population_aged_0_to_2() const;
  double urban_share() const;
  double one_person_share() const;              // of family households
  double three_plus_generation_share() const;   // (三代 + 四代以上) / family households
  double households_with_65_plus_share() const; // of family households
  double computed_mean_household_size() const;  // family-household population / family households
};

// What the census lacks for a city's units (scenarios/data/xian-districts.csv): each unit's class —
// old_core, inner, new_district, county: community sizes may differ by class — and the built-up
// area its communities cover (density means built-up area, issue 15). Columns `code`, `class`,
// `built_up_area_km2` are required; others (sources, ranges) are kept in the file for readers.
struct DistrictExtras {
  std::string code, name, district_class;
  double built_up_km2 = 0;
  int line = 0;          // its row in the districts file (0: derived from the census)
};
// A unit without a row in the districts file (issue 26) gets its class and built-up area from the
// census itself (docs/population-data.md, "Any city"): a county when its code's last two digits are
// 21 or more (县, 旗, county-level cities); a district with an urban share below
// `new_district_urban_share` is a new district; a fully urban district (urban share at least
// `old_core_urban_share`) among the first ten of its city (code ending 01-10) is the old core; other
// districts are inner. Built-up area: urban residents / the class's density.
struct DerivedExtrasRule {
  double density_per_km2 = 11549;            // urban residents per km² of built-up area (Xi'an 2019)
  double old_core_density_per_km2 = 25000;   // the old core's (Xi'an's three old-core districts: 20,500-32,300)
  double new_district_urban_share = 0.9;
  double old_core_urban_share = 0.95;
};
DistrictExtras derive_district_extras(const CountyCensus& unit, const DerivedExtrasRule& rule);

class DistrictExtrasTable {
 public:
  static DistrictExtrasTable load(const std::string& path);
  const DistrictExtras* find(const std::string& code) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<DistrictExtras> rows_;
};

class CensusTable {
 public:
  // Reads and checks the whole file; throws InputError (file:line, column as key) on any bad row.
  static CensusTable load(const std::string& path);

  const std::string& path() const { return path_; }
  size_t size() const { return rows_.size(); }
  const std::vector<CountyCensus>& rows() const { return rows_; }
  const CountyCensus* find(const std::string& code) const;
  // The row of `code`; an unknown or malformed code is an InputError at `referenced_at` (the
  // scenario key that names it), listing the codes of the same city that the file has.
  const CountyCensus& county(const std::string& code, const SourcePos& referenced_at = {},
                             const std::string& key = "") const;
  // The districts and counties (county rows: codes not ending in 00) of `city_code`, in file order:
  // a prefecture-level city (xxxx00: the same first four digits), a province (xx0000: the same first
  // two) or the nation (000000: every county row). Empty when there are none.
  std::vector<const CountyCensus*> units_of_city(const std::string& city_code) const;

 private:
  std::string path_;
  std::vector<CountyCensus> rows_;
  std::map<std::string, size_t> by_code_;
};

}  // namespace commsim
