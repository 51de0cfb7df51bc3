// Held-out check of the population dynamics (issue 15; docs/calibration.md, "Held out"): the
// baseline's 2020 census city rolled forward four years with the model's own yearly dynamics
// (ageing, deaths, births, dependency onset, household turnover: population.dynamics, exactly as
// the engine steps them at the start of each simulated year), compared with Xi'an's 60+ share at
// the end of 2024, 19.02 % (S16). Nothing was fitted to it, and the model does NOT reach it (16.9 %
// from 15.3 %: docs/calibration.md says why), so this test asserts only what holds — the city
// ages by more than a point — and prints the figure: `commsim_tests "[rollforward]" -s`.
#include <catch2/catch.hpp>

#include "sim/demand/demand.hpp"
#include "sim/engine/city.hpp"
#include "sim/population/population.hpp"
#include "tests/support.hpp"

using namespace commsim;

TEST_CASE("rolled forward four years, the baseline city ages (held out: 19.02 % in 2024, S16)", "[population][dynamics][rollforward][slow]") {  // 52 s under the sanitizers
  const Scenario sc = load_scenario(test::source_path("scenarios/xian-baseline.yaml"),
                                    {"run.days=1", "run.daily_output=false", "city.generator.communities=0"});
  REQUIRE(sc.population.dynamics.enabled);
  const auto services = compile_services(sc, 0);
  std::vector<Community> city = build_city(sc, 0, services, nullptr);
  const PopulationModel model(sc.population);
  auto share_60plus = [&city] {
    double residents = 0, aged_60 = 0;
    for (const Community& c : city)
      for (const uint8_t age : c.residents.age) {
        residents += 1;
        aged_60 += age >= 60;
      }
    return aged_60 / residents;
  };
  const double share_2020 = share_60plus();
  Residents scratch;
  for (int year = 1; year <= 4; ++year)
    for (Community& c : city)
      step_year(model, sc.population, sc.run.seed, 0, year, c.facility_x_m, c.facility_y_m, c.info.area_km2, c.residents,
                scratch, c.district_households.get());
  const double share_2024 = share_60plus();
  INFO("60+ share: " << 100 * share_2020 << " % in 2020, " << 100 * share_2024 << " % four years on (S16: 19.02 % at the end of 2024)");
  CHECK(share_2024 - share_2020 >= 0.01);
}
