// Travel for home services follows the geometry: distance from the facility on the plane times the
// detour factor, at the role's speed; a community four times the area has twice the mean distance.
#include <catch2/catch.hpp>
#include <cmath>

#include "sim/engine/engine.hpp"
#include "sim/population/population.hpp"
#include "sim/service/service.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {

double mean_distance(double area_km2, const TravelModel& travel) {
  const Scenario sc = test::synthetic_city({"population.placement=uniform"});
  const PopulationModel model(sc.population);
  Residents res;
  generate_households(model, sc.population, 3, 0, 0, 20000, 0, 0, area_km2, res);
  double sum = 0;
  for (size_t h = 0; h < res.households(); ++h) sum += travel.distance_m(res.hh_x_m[h], res.hh_y_m[h]);
  return sum / static_cast<double>(res.households());
}

}  // namespace

TEST_CASE("distance follows the geometry", "[service][travel]") {
  TravelModel t{0, 0, 1.3, false};
  CHECK(t.distance_m(300, 400) == Approx(650.0));
  t.manhattan = true;
  CHECK(t.distance_m(300, -400) == Approx(910.0));
  // Uniform households on a square of side s around the facility: mean straight-line distance is
  // s (sqrt(2) + ln(1 + sqrt(2))) / 6 = 0.3826 s.
  const TravelModel straight{0, 0, 1.0, false};
  const double d1 = mean_distance(1.0, straight), d4 = mean_distance(4.0, straight);
  CHECK(d1 == Approx(0.38260 * 1000).epsilon(0.02));
  CHECK(d4 / d1 == Approx(2.0).epsilon(0.03));
}

TEST_CASE("home-visit travel time grows with community area as the geometry says", "[service][travel]") {
  auto travel_per_visit = [](double density) {
    const Scenario sc = test::synthetic_city({"population.placement=uniform", "run.daily_output=false",
                                          "city.density_households_per_km2=" + std::to_string(density)});
    const RunResult r = run_replicate(sc, 0);
    const int care = sc.role_index("care_worker");
    const int home_care = sc.service_index("elderly_home_care");
    double travel = 0;
    uint64_t visits = 0;
    for (size_t c = 0; c < r.communities.size(); ++c) {
      travel += r.role_totals[c * r.role_names.size() + static_cast<size_t>(care)].travel_min;
      visits += r.service_totals[c * r.service_names.size() + static_cast<size_t>(home_care)].served;
    }
    REQUIRE(visits > 0);
    return travel / static_cast<double>(visits);
  };
  const double dense = travel_per_visit(8000), sparse = travel_per_visit(2000);  // 4x the area
  INFO("travel minutes per visit: dense " << dense << ", sparse " << sparse);
  CHECK(sparse / dense == Approx(2.0).epsilon(0.05));
}
