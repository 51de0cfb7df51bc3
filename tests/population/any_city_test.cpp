// Any city of the census (issue 26): codes for a city, a province and the nation; units without a
// districts-file row get their class and built-up area from the census (derive_district_extras),
// checked against Xi'an's curated file; and cities nobody made a file for build their urban
// residents.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "sim/core/csv.hpp"
#include "sim/engine/engine.hpp"
#include "sim/population/census.hpp"
#include "tests/reliability/process.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {
const CensusTable& census() {
  static const CensusTable table = CensusTable::load(test::source_path("scenarios/data/census-county-2020.csv"));
  return table;
}
long long urban_of(const std::vector<const CountyCensus*>& units) {
  long long total = 0;
  for (const CountyCensus* u : units) total += u->urban;
  return total;
}
}  // namespace

TEST_CASE("census codes: a city, a province and the nation select their county rows", "[population][census]") {
  const auto xian = census().units_of_city("610100");
  const auto shaanxi = census().units_of_city("610000");
  const auto nation = census().units_of_city("000000");
  CHECK(xian.size() == 13);
  CHECK(nation.size() == 2943);
  CHECK(urban_of(nation) == 882762525);  // the county rows' 城镇人口 (docs/population-data.md)
  size_t in_shaanxi = 0;
  for (const CountyCensus& row : census().rows()) {
    const bool county_row = row.code.compare(4, 2, "00") != 0;
    if (county_row && row.code.compare(0, 2, "61") == 0) ++in_shaanxi;
  }
  CHECK(shaanxi.size() == in_shaanxi);
  CHECK(shaanxi.size() > xian.size());
  for (const auto* u : nation) CHECK(u->code.compare(4, 2, "00") != 0);
  CHECK(census().units_of_city("990000").empty());
  CHECK(census().units_of_city("610101").empty());  // not a city, province or nation code
}

TEST_CASE("derived classes and built-up areas against Xi'an's curated districts file", "[population][census]") {
  const std::string path = test::source_path("scenarios/data/xian-districts.csv");
  const csv::Table curated = csv::Table::read(path, "districts file", "code,...");
  int classes_agree = 0;
  for (size_t r = 0; r < curated.rows(); ++r) {
    const csv::Row row(curated, r);
    const CountyCensus& unit = census().county(row.text("code"));
    const DistrictExtras derived = derive_district_extras(unit, DerivedExtrasRule{});
    INFO(unit.county << " (" << unit.code << "): curated " << row.text("class") << ", derived "
                     << derived.district_class);
    classes_agree += derived.district_class == row.text("class");
    const double curated_km2 = std::stod(row.text("built_up_area_km2"));
    // The curated file spreads Xi'an's built-up area at 11,549 urban residents per km², capping a
    // district at its land area (the old core and 雁塔): those agree to rounding, the capped ones
    // within a factor of 1.5 (the derivation knows no land areas).
    if (row.text("built_up_area_basis").find("capped") == std::string::npos)
      CHECK(std::fabs(derived.built_up_km2 / curated_km2 - 1) < 0.01);
    else
      CHECK(std::fabs(std::log(derived.built_up_km2 / curated_km2)) < std::log(1.5));
  }
  CHECK(classes_agree == 13);
}

TEST_CASE("a city nobody made a districts file for builds its urban residents", "[population][census][engine]") {
  for (const std::string code : {"610200", "230400"}) {
    INFO("city " << code);
    const Scenario sc =
        load_scenario(test::source_path("scenarios/xian-baseline.yaml"),
                      {"city.census.city_code=\"" + code + "\"", "run.days=1", "population.dynamics.enabled=false"});
    const RunResult run = run_replicate(sc, 0);
    double residents = 0;
    std::map<std::string, int> classes;
    for (const CommunityInfo& c : run.communities) {
      residents += static_cast<double>(c.residents);
      ++classes[c.district_class];
    }
    const double census_urban = static_cast<double>(urban_of(census().units_of_city(code)));
    CHECK(std::fabs(residents / census_urban - 1) <= 0.03);
    CHECK(classes.size() >= 2);  // districts and counties, derived from the census
  }
}

TEST_CASE("commsim cities lists a province's cities with the census's urban residents", "[population][census][cli]") {
  const auto dir = std::filesystem::temp_directory_path() / "commsim-cities-test";
  std::filesystem::create_directories(dir);
  const test::Outcome o = test::run_shell("exec '" + test::commsim_binary() + "' cities --province 610000 --json",
                                          test::source_dir(), dir);
  REQUIRE(o.exit_code == 0);
  const auto j = nlohmann::json::parse(o.out);
  std::map<std::string, long long> urban;
  for (const auto& a : j.at("areas")) urban[a.at("code").get<std::string>()] = a.at("urban_residents").get<long long>();
  CHECK(urban.at("610000") == urban_of(census().units_of_city("610000")));
  CHECK(urban.at("610100") == urban_of(census().units_of_city("610100")));
  CHECK(urban.count("000000") == 0);
  long long cities = 0;
  for (const auto& [code, n] : urban)
    if (code != "610000") cities += n;
  CHECK(cities == urban.at("610000"));
  const test::Outcome bad =
      test::run_shell("exec '" + test::commsim_binary() + "' cities --province 6100", test::source_dir(), dir);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--province") && Catch::Contains("610000"));
  std::filesystem::remove_all(dir);
}
