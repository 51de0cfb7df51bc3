// The census city's plan: the treemap tiles a square with rectangles of the given areas; the whole
// city keeps every district's households exactly; a sample of N communities covers every district
// with the densities of the whole city.
#include <catch2/catch.hpp>
#include <numeric>

#include "sim/engine/census_city.hpp"

using namespace commsim;

namespace {

std::vector<DistrictPlan> three_districts() {
  return {{"core", "1", "old_core", false, 200000, 20000, 12.0, 0.8},
          {"inner", "2", "inner", false, 500000, 80000, 60.0, 1.0},
          {"county", "3", "county", true, 60000, 1000, 9.0, 1.2}};
}

}  // namespace

TEST_CASE("treemap: rectangles of the given areas tile the square without overlap", "[engine][census-city]") {
  const std::vector<double> areas = {9, 1, 4, 2.5, 6, 0.5, 3};
  const auto rects = treemap(areas);
  REQUIRE(rects.size() == areas.size());
  const double total = std::accumulate(areas.begin(), areas.end(), 0.0), side = std::sqrt(total);
  for (size_t i = 0; i < rects.size(); ++i) {
    const auto& r = rects[i];
    CHECK((r.x1 - r.x0) * (r.y1 - r.y0) == Approx(areas[i]).epsilon(1e-9));
    CHECK(r.x0 >= -1e-9);
    CHECK(r.y0 >= -1e-9);
    CHECK(r.x1 <= side + 1e-9);
    CHECK(r.y1 <= side + 1e-9);
    for (size_t j = 0; j < i; ++j) {
      const auto& o = rects[j];
      const double overlap = std::max(0.0, std::min(r.x1, o.x1) - std::max(r.x0, o.x0)) *
                             std::max(0.0, std::min(r.y1, o.y1) - std::max(r.y0, o.y0));
      CHECK(overlap < 1e-9);
    }
  }
}

TEST_CASE("plan_city: the whole city keeps each district's households, a sample its densities", "[engine][census-city]") {
  const auto districts = three_districts();
  CityPlanParameters p;
  p.seed = 5;
  const CityPlan whole = plan_city(districts, p);
  std::vector<double> households(3, 0.0), area(3, 0.0), collective(3, 0.0);
  std::vector<int> count(3, 0);
  for (const auto& c : whole.communities) {
    households[c.district] += static_cast<double>(c.households);
    area[c.district] += c.area_km2;
    collective[c.district] += c.collective_residents;
    ++count[c.district];
    const auto& r = whole.rects[c.district];
    CHECK(c.x_m >= r.x0);
    CHECK(c.x_m <= r.x1);
    CHECK(c.y_m >= r.y0);
    CHECK(c.y_m <= r.y1);
  }
  for (size_t d = 0; d < 3; ++d) {
    CHECK(households[d] == districts[d].family_households);
    CHECK(area[d] == Approx(districts[d].built_up_km2));
    CHECK(collective[d] == Approx(districts[d].collective_residents));
    CHECK(count[d] == std::max(1L, std::lround(districts[d].family_households / (3300 * districts[d].size_factor))));
  }
  CHECK(whole.full_communities == count[0] + count[1] + count[2]);

  p.communities = 40;
  const CityPlan sample = plan_city(districts, p);
  REQUIRE(sample.communities.size() == 40);
  std::vector<int> sampled(3, 0);
  for (const auto& c : sample.communities) {
    ++sampled[c.district];
    // The same density as in the whole city.
    const auto& d = districts[c.district];
    CHECK(static_cast<double>(c.households) / c.area_km2 == Approx(d.family_households / d.built_up_km2).epsilon(1e-9));
  }
  for (int n : sampled) CHECK(n >= 1);
  CHECK(std::abs(sampled[1] - 40 * count[1] / whole.full_communities) <= 1);
  CHECK_THROWS_AS(plan_city(districts, CityPlanParameters{2}), std::invalid_argument);
}
