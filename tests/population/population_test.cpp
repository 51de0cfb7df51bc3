// Synthetic population: marginals reproduced within sampling tolerance on 100,000+ residents,
// compact state, the household file loader, yearly dynamics.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/population/population.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {

// |observed share - expected| within 4 binomial standard errors (plus a hair for rounding).
void check_share(double count, double n, double expected, const std::string& what) {
  const double se = std::sqrt(expected * (1 - expected) / n);
  INFO(what << ": observed " << count / n << ", expected " << expected << ", se " << se);
  CHECK(std::fabs(count / n - expected) <= 4 * se + 1e-9);
}

}  // namespace

TEST_CASE("generated population reproduces its marginals", "[population]") {
  const Scenario sc = load_scenario(test::source_path("scenarios/xian-baseline.yaml"));
  const PopulationModel model(sc.population);
  Residents res;
  generate_households(model, sc.population, 99, 0, 0, 40000, 0, 0, 5.0, res);
  const double n = static_cast<double>(res.size());
  const double households = static_cast<double>(res.households());
  REQUIRE(n > 100000);
  // Household sizes.
  std::vector<double> size_count(6, 0);
  for (size_t h = 0; h < res.households(); ++h) size_count[std::min<size_t>(5, res.hh_size[h] - 1u)] += 1;
  for (size_t i = 0; i < 6; ++i)
    check_share(size_count[i], households, sc.population.household_size_shares[i], "household size " + std::to_string(i + 1));
  // Age bands.
  for (const auto& band : sc.population.age_shares) {
    double count = 0;
    for (size_t r = 0; r < res.size(); ++r) count += res.age[r] >= band.from && res.age[r] <= band.to;
    check_share(count, n, band.value, "age " + std::to_string(band.from) + "-" + std::to_string(band.to));
  }
  // Sex, dependency and chronic conditions by band (conditional on age).
  double male = 0;
  for (size_t r = 0; r < res.size(); ++r) male += (res.traits[r] & trait::male) != 0;
  check_share(male, n, sc.population.male_share, "male");
  for (const auto& band : sc.population.dependency) {
    double in_band = 0, partial = 0, full = 0;
    for (size_t r = 0; r < res.size(); ++r) {
      if (res.age[r] < band.from || res.age[r] > band.to) continue;
      in_band += 1;
      partial += res.dependency(r) == Dependency::partial;
      full += res.dependency(r) == Dependency::full;
    }
    check_share(partial, in_band, band.partial, "partial dependency " + std::to_string(band.from));
    check_share(full, in_band, band.full, "full dependency " + std::to_string(band.from));
  }
  for (const auto& band : sc.population.hypertension) {
    double in_band = 0, ht = 0;
    for (size_t r = 0; r < res.size(); ++r) {
      if (res.age[r] < band.from || res.age[r] > band.to) continue;
      in_band += 1;
      ht += (res.traits[r] & trait::hypertension) != 0;
    }
    check_share(ht, in_band, band.value, "hypertension " + std::to_string(band.from));
  }
  double low = 0;
  for (size_t h = 0; h < res.households(); ++h) low += res.hh_low_income[h];
  check_share(low, households, sc.population.low_income_share, "low income");
  // Households stay inside the community footprint (5 km² square centred on 0,0).
  const double half = std::sqrt(5.0) * 1000 / 2;
  for (size_t h = 0; h < res.households(); ++h) {
    CHECK(std::fabs(res.hh_x_m[h]) <= half + 1e-3);
    CHECK(std::fabs(res.hh_y_m[h]) <= half + 1e-3);
  }
}

TEST_CASE("a resident costs at most 32 bytes of engine state", "[population][memory]") {
  const Scenario sc = load_scenario(test::source_path("scenarios/xian-baseline.yaml"));
  const PopulationModel model(sc.population);
  Residents res;
  generate_households(model, sc.population, 1, 0, 0, 20000, 0, 0, 3.0, res);
  res.hh_gid.shrink_to_fit(); res.hh_first.shrink_to_fit(); res.hh_size.shrink_to_fit(); res.hh_low_income.shrink_to_fit();
  res.hh_x_m.shrink_to_fit(); res.hh_y_m.shrink_to_fit(); res.hh_next_slot.shrink_to_fit(); res.age.shrink_to_fit();
  res.traits.shrink_to_fit(); res.household.shrink_to_fit(); res.slot.shrink_to_fit(); res.enrolled.shrink_to_fit();
  const double per_resident = static_cast<double>(res.bytes()) / static_cast<double>(res.size());
  INFO("bytes per resident, households included: " << per_resident);
  CHECK(per_resident <= 32.0);
}

TEST_CASE("generation is reproducible and keyed by stable ids", "[population][crn]") {
  const Scenario sc = load_scenario(test::source_path("scenarios/xian-baseline.yaml"));
  const PopulationModel model(sc.population);
  Residents whole, first, second;
  generate_households(model, sc.population, 5, 0, 1000, 200, 0, 0, 1.0, whole);
  // The same households generated in two pieces (another community split) are the same people.
  generate_households(model, sc.population, 5, 0, 1000, 120, 0, 0, 1.0, first);
  generate_households(model, sc.population, 5, 0, 1120, 80, 0, 0, 1.0, second);
  for (size_t h = 0; h < 120; ++h) CHECK(whole.hh_size[h] == first.hh_size[h]);
  for (size_t h = 0; h < 80; ++h) CHECK(whole.hh_size[120 + h] == second.hh_size[h]);
  CHECK(std::equal(first.age.begin(), first.age.end(), whole.age.begin()));
  CHECK(std::equal(second.age.begin(), second.age.end(), whole.age.begin() + static_cast<ptrdiff_t>(first.age.size())));
}

TEST_CASE("household files load and malformed ones are rejected with row and column", "[population][file]") {
  const std::string dir = "/tmp/commsim-hh-" + std::to_string(::getpid());
  std::system(("mkdir -p " + dir).c_str());
  const std::string header = "household,community,x_m,y_m,low_income,age,sex,dependency,hypertension,diabetes\n";
  {
    std::ofstream f(dir + "/good.csv");
    f << header << "1,A,10,20,0,34,m,none,0,0\n1,A,10,20,0,33,f,none,0,0\n1,A,10,20,0,2,f,none,0,0\n"
      << "2,A,50,-20,1,81,f,full,1,1\n3,B,0,0,0,70,m,partial,1,0\n";
  }
  const auto loaded = load_households_csv(dir + "/good.csv");
  REQUIRE(loaded.size() == 2);
  CHECK(loaded[0].community == "A");
  CHECK(loaded[0].residents.households() == 2);
  CHECK(loaded[0].residents.size() == 4);
  CHECK(loaded[0].residents.hh_low_income[1] == 1);
  CHECK(loaded[0].residents.dependency(3) == Dependency::full);
  CHECK(loaded[1].residents.age[0] == 70);

  struct Bad { const char* rows; const char* expect; };
  const Bad bad[] = {
      {"1,A,10,20,0,thirty,m,none,0,0\n", ":2:"},
      {"1,A,10,20,0,30,x,none,0,0\n", "sex"},
      {"1,A,10,20,0,30,m,sometimes,0,0\n", "dependency"},
      {"1,A,10,20,0,30,m,none,0\n", "columns"},
      {"1,A,10,20,0,300,m,none,0,0\n", "age"},
      {"1,A,10,20,0,30,m,none,0,0\n2,A,1,1,0,30,m,none,0,0\n1,A,10,20,0,31,m,none,0,0\n", "consecutive"},
      {"1,A,nan,20,0,30,m,none,0,0\n", "x_m"},
  };
  for (const auto& b : bad) {
    {
      std::ofstream f(dir + "/bad.csv");
      f << header << b.rows;
    }
    INFO(b.rows);
    try {
      load_households_csv(dir + "/bad.csv");
      FAIL("accepted a malformed household file");
    } catch (const InputError& e) {
      CHECK_THAT(e.what(), Catch::Contains(b.expect));
      CHECK_THAT(e.what(), Catch::Contains("bad.csv"));
    }
  }
  {
    std::ofstream f(dir + "/noheader.csv");
    f << "1,A,10,20,0,30,m,none,0,0\n";
  }
  CHECK_THROWS_AS(load_households_csv(dir + "/noheader.csv"), InputError);
  CHECK_THROWS_AS(load_households_csv(dir + "/missing.csv"), InputError);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("yearly dynamics age, kill, give birth and replace at the configured rates", "[population][dynamics]") {
  Scenario sc = load_scenario(test::source_path("scenarios/xian-baseline.yaml"));
  const PopulationModel model(sc.population);
  Residents res, scratch;
  generate_households(model, sc.population, 3, 0, 0, 40000, 0, 0, 5.0, res);
  double expected_deaths = 0;
  for (size_t r = 0; r < res.size(); ++r) expected_deaths += model.mortality[res.age[r]];
  const size_t before = res.size(), households = res.households();
  const DynamicsCounts counts = step_year(model, sc.population, 3, 0, 1, 0, 0, 5.0, res, scratch);
  CHECK(res.households() == households);  // dwellings stay occupied
  // Deaths among households that did not move out: turnover removes a share first.
  const double stay = 1.0 - sc.population.dynamics.household_turnover_per_year;
  CHECK(static_cast<double>(counts.deaths) == Approx(expected_deaths * stay).epsilon(0.1));
  CHECK(static_cast<double>(counts.births) == Approx(sc.population.dynamics.births_per_1000 / 1000 * before * stay).epsilon(0.1));
  CHECK(static_cast<double>(counts.households_replaced) ==
        Approx(sc.population.dynamics.household_turnover_per_year * households).epsilon(0.15));
}

TEST_CASE("chronic prevalence by age stays as configured as the population ages", "[population][dynamics]") {
  Scenario sc = load_scenario(test::source_path("scenarios/xian-baseline.yaml"));
  const PopulationModel model(sc.population);
  Residents res, scratch;
  generate_households(model, sc.population, 4, 0, 0, 40000, 0, 0, 5.0, res);
  for (int year = 1; year <= 3; ++year) step_year(model, sc.population, 4, 0, year, 0, 0, 5.0, res, scratch);
  for (const auto& band : sc.population.hypertension) {
    double in_band = 0, ht = 0;
    for (size_t r = 0; r < res.size(); ++r) {
      if (res.age[r] < band.from || res.age[r] > band.to) continue;
      in_band += 1;
      ht += (res.traits[r] & trait::hypertension) != 0;
    }
    INFO("hypertension " << band.from << "-" << band.to << " after 3 years: " << ht / in_band << " vs " << band.value);
    CHECK(ht / in_band == Approx(band.value).margin(0.03));
  }
}

TEST_CASE("a multi-year run ages the population and shifts demand toward elderly care", "[population][dynamics][engine]") {
  const Scenario sc = test::small_city({"run.days=1095", "run.daily_output=false", "city.generator.communities=4"});
  const RunResult r = run_replicate(sc, 0);
  REQUIRE(r.years.size() == 3);
  const size_t home_care = static_cast<size_t>(sc.service_index("elderly_home_care"));
  CHECK(r.years[2].demand[home_care] > r.years[0].demand[home_care]);
  uint64_t total = 0;
  for (const auto& y : r.years) total += y.demand[home_care];
  CHECK(total == r.citywide[home_care].demand);
}
