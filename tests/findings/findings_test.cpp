// The findings of one draw's curves (sim/findings/findings.hpp) against curves whose answers are
// known, the drivers against a finding made from one parameter, and the study's layout.
#include <catch2/catch.hpp>

#include <cmath>

#include "sim/findings/findings.hpp"

using namespace commsim;

namespace {

// A staffing curve 6..26 by 2 with 100 residents' worth of cost per step and unmet hours falling
// by `avoided[s]` over step s.
DrawCurves staffing_curve(const std::vector<double>& avoided, double cost_per_step, double value) {
  DrawCurves c;
  c.value_of_hour = value;
  double unmet = 100000, cost = 1e6, staff = 50;
  for (int x = 6; x <= 26; x += 2) {
    c.staffing.add(x, unmet, cost, staff, 200000);
    const size_t s = c.staffing.points.size() - 1;
    if (s < avoided.size()) unmet -= avoided[s];
    cost += cost_per_step;
    staff += 10;
  }
  return c;
}

}  // namespace

TEST_CASE("the efficient level is where the cost of an unmet hour avoided crosses its value", "[findings]") {
  // Steps 6-8 .. 24-26 avoid 10,000, 8,000, 5,000, 2,500, 1,000 ... hours for 400,000 yuan each:
  // 40, 50, 80, 160, 400 yuan an hour avoided.
  const std::vector<double> avoided = {10000, 8000, 5000, 2500, 1000, 500, 250, 100, 50, 10};
  SECTION("interpolated in log cost between the midpoints of the steps either side") {
    const DrawCurves c = staffing_curve(avoided, 400000, 100);
    // Step 2 (10-12, midpoint 11) costs 80 <= 100, step 3 (12-14, midpoint 13) costs 160 > 100.
    const double t = (std::log(100.0) - std::log(80.0)) / (std::log(160.0) - std::log(80.0));
    CHECK(efficient_staffing(c) == Approx(11 + 2 * t));
  }
  SECTION("censored at the first point when the first step already costs more than it is worth") {
    CHECK(efficient_staffing(staffing_curve(avoided, 400000, 30)) == 6);
  }
  SECTION("censored at the last point when every step is worth its cost") {
    CHECK(efficient_staffing(staffing_curve(avoided, 400000, 1e6)) == 26);
  }
  SECTION("dear first steps that pay back over the next ones are taken") {
    // 400, 40, 50, 200 yuan an hour: the net value peaks at 12, between 50 and 200 yuan an hour.
    const std::vector<double> u_shaped = {1000, 10000, 8000, 2000, 500, 100, 50, 20, 10, 5};
    const double t = (std::log(100.0) - std::log(50.0)) / (std::log(200.0) - std::log(50.0));
    CHECK(efficient_staffing(staffing_curve(u_shaped, 400000, 100)) == Approx(11 + 2 * t));
  }
  SECTION("a step that avoids nothing is never worth it") {
    std::vector<double> flat = avoided;
    flat[1] = 0;
    CHECK(efficient_staffing(staffing_curve(flat, 400000, 100)) == 8);
  }
}

TEST_CASE("the bend rule and the hours avoided between two points", "[findings]") {
  const std::vector<double> avoided = {10000, 8000, 5000, 2000, 1000, 500, 250, 100, 50, 10};
  const DrawCurves c = staffing_curve(avoided, 400000, 100);
  // Per worker (10 a step): 1000, 800, 500, 200 (ratio 0.4 < 0.5 at step 3, from 12).
  CHECK(bend_staffing(c) == 12);
  // 14 -> 18 is steps 4 and 5: 1,000 + 500 hours over 200,000 residents, per 10,000.
  CHECK(unmet_hours_avoided(c, 14, 18) == Approx(1500.0 / 200000 * 1e4));
  CHECK(std::isnan(unmet_hours_avoided(c, 15, 18)));  // not a point of the curve
  const std::vector<double> steady(10, 1000);
  CHECK(std::isnan(bend_staffing(staffing_curve(steady, 400000, 100))));
}

TEST_CASE("the best and the least-cost community size", "[findings]") {
  DrawCurves c;
  c.value_of_hour = 50;
  c.size.points = {1500, 2500, 3500, 5000, 7000};
  c.size.residents.assign(5, 100000);
  // Unmet hours per resident a parabola in log(households) with its vertex at 3,000.
  for (double h : c.size.points) {
    const double x = std::log(h / 3000);
    c.size.unmet_hours.push_back((0.2 + x * x) * 100000);
  }
  SECTION("the service optimum: the parabola's vertex") {
    c.size.cost_yuan.assign(5, 3e7);
    CHECK(best_size(c) == Approx(3000).epsilon(1e-9));
    CHECK(least_cost_size(c) == Approx(3000).epsilon(1e-9));  // equal cost: the same size
  }
  SECTION("per-community costs that fall with size move the least-cost size up, to the end") {
    c.size.cost_yuan = {6e7, 5e7, 4e7, 3e7, 2e7};
    CHECK(best_size(c) == Approx(3000).epsilon(1e-9));
    CHECK(least_cost_size(c) == 7000);
  }
}

TEST_CASE("drivers: the parameter a finding is made of stands above chance", "[findings]") {
  std::vector<Parameter> parameters(6);
  for (size_t p = 0; p < parameters.size(); ++p) parameters[p].key = "p" + std::to_string(p);
  const std::vector<std::vector<double>> unit = latin_hypercube(40, 6, 11);
  std::vector<double> finding;
  for (const auto& u : unit) finding.push_back(3 * u[2] * u[2] + 0.05 * u[4]);
  const FindingAttribution a = finding_drivers(parameters, unit, finding, 11);
  REQUIRE_FALSE(a.drivers.empty());
  CHECK(a.drivers.front().parameter == "p2");
  CHECK(a.drivers.front().share > 0.9);
  CHECK(a.drivers.front().above_chance);
  CHECK(a.chance_share > 0);
  CHECK(a.chance_share < 0.5);
  for (size_t i = 1; i < a.drivers.size(); ++i) CHECK(a.drivers[i].share <= a.drivers[i - 1].share);
  // The same input gives the same chance share (counter-based permutations).
  CHECK(finding_drivers(parameters, unit, finding, 11).chance_share == a.chance_share);
  // A constant finding has no driver.
  CHECK(finding_drivers(parameters, unit, std::vector<double>(40, 1.0), 11).drivers.empty());
}

TEST_CASE("the findings summary: point, interval and the drivers of every finding", "[findings]") {
  const std::vector<double> avoided = {10000, 8000, 5000, 2500, 1000, 500, 250, 100, 50, 10};
  ParameterDraws draws;
  draws.parameters.resize(1);
  draws.parameters[0].key = "findings.value_of_service_hour_yuan";
  std::vector<DrawCurves> curves;
  for (int d = 0; d <= 20; ++d) {
    const double value = 40 + 10 * d;
    DrawCurves c = staffing_curve(avoided, 400000, value);
    c.size.add(1500, 3e4, 3e7, 100, 100000);
    c.size.add(3500, 1e4, 2.5e7, 90, 100000);
    c.size.add(7000, 2e4, 2e7, 80, 100000);
    curves.push_back(c);
    if (d > 0) draws.values.push_back({value});
  }
  const FindingsSummary s = summarize_findings(curves, draws, 5);
  REQUIRE(s.findings.size() == finding_infos().size());
  CHECK(s.draws == 20);
  const Finding& efficient = s.findings[0];
  CHECK(efficient.info.name == "efficient_community_workers_per_10k");
  CHECK(efficient.p05 < efficient.median);
  CHECK(efficient.median < efficient.p95);
  REQUIRE_FALSE(efficient.drivers.empty());
  CHECK(efficient.drivers.front().parameter == "findings.value_of_service_hour_yuan");
  CHECK(efficient.drivers.front().share > 0.9);
  const Finding& avoided_14_18 = s.findings[2];
  CHECK(avoided_14_18.p05 == Approx(1500.0 / 200000 * 1e4));
  CHECK(avoided_14_18.p95 == Approx(1500.0 / 200000 * 1e4));
  CHECK(s.findings[3].median == Approx(3500).epsilon(0.3));
  const std::string json = findings_json(s);
  CHECK(json.find("{\"findings\":[{\"name\":\"efficient_community_workers_per_10k\"") == 0);
  CHECK(json.find("\"p5\"") != std::string::npos);
  CHECK(json.find("\"drivers\":[{\"parameter\":\"findings.value_of_service_hour_yuan\"") != std::string::npos);
}
