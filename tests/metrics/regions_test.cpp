// Results by region (issue 27, sim/metrics/regions.hpp): a region is summarised as a city of its
// own, so the one region of a one-province city is the run itself.
#include <catch2/catch.hpp>

#include "sim/engine/engine.hpp"
#include "sim/metrics/regions.hpp"
#include "tests/support.hpp"

using namespace commsim;
using commsim::test::small_city;

TEST_CASE("region codes at each level", "[regions]") {
  CHECK(region_code("610113", RegionLevel::province) == "610000");
  CHECK(region_code("610113", RegionLevel::city) == "610100");
  CHECK(region_code("610113", RegionLevel::unit) == "610113");
}

TEST_CASE("the one province of a one-province city is the run, its units add up to it", "[regions]") {
  const Scenario sc = small_city({"run.days=14"});
  const RunResult run = run_replicate(sc, 0);
  const int role = sc.role_index("community_worker");
  REQUIRE(role >= 0);
  const auto province = region_rows(sc, run, RegionLevel::province, "community_worker", nullptr);
  REQUIRE(province.size() == 1);
  CHECK(province[0].code == "610000");
  CHECK(province[0].residents == run.residents);
  CHECK(province[0].wisn_pressure == run.citywide_roles[static_cast<size_t>(role)].wisn_pressure);
  uint64_t demand = 0, in_time = 0;
  double unmet = 0;
  for (size_t sv = 0; sv < run.citywide.size(); ++sv) {
    unmet += run.citywide[sv].unmet_hours;
    if (sc.services[sv].kind == ServiceKind::enrolment) continue;
    demand += run.citywide[sv].demand;
    in_time += run.citywide[sv].served_in_time;
  }
  CHECK(province[0].coverage == Approx(static_cast<double>(in_time) / static_cast<double>(demand)).epsilon(1e-12));
  CHECK(province[0].unmet_hours_per_10k == Approx(unmet * 365.0 / 14 / static_cast<double>(run.residents) * 1e4).epsilon(1e-9));
  const auto units = region_rows(sc, run, RegionLevel::unit, "community_worker",
                                 [](const std::string& code) { return "unit " + code; });
  REQUIRE(units.size() == 2);  // tests/data/good/small-city.yaml: two districts
  CHECK(units[0].residents + units[1].residents == run.residents);
  CHECK(units[0].communities + units[1].communities == static_cast<int64_t>(run.communities.size()));
  CHECK(units[0].name == "unit " + units[0].code);
}
