// Confidence half-widths: Student t quantiles (Boost.Math) for any level in (0, 1), checked
// against printed tables; mean_ci on values with a known answer.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/metrics/statistics.hpp"

using namespace commsim;

TEST_CASE("student_t gives the two-sided t quantiles of the printed tables", "[metrics][statistics]") {
  // confidence, df, t (three decimals, as printed in any table of the t distribution)
  auto [confidence, df, t] = GENERATE(table<double, int, double>({
      {0.95, 1, 12.706}, {0.95, 2, 4.303}, {0.95, 10, 2.228}, {0.95, 30, 2.042}, {0.95, 120, 1.980},
      {0.99, 1, 63.657}, {0.99, 10, 3.169}, {0.99, 30, 2.750},
      {0.90, 5, 2.015}, {0.80, 4, 1.533}, {0.999, 20, 3.850}, {0.50, 10, 0.700},
  }));
  CAPTURE(confidence, df);
  CHECK(std::fabs(student_t(confidence, df) - t) < 0.0005 + 1e-9);
}

TEST_CASE("student_t approaches the normal quantile and refuses levels outside (0, 1)", "[metrics][statistics]") {
  CHECK(std::fabs(student_t(0.95, 1000000) - 1.959964) < 1e-5);
  CHECK(std::fabs(student_t(0.99, 1000000) - 2.575829) < 1e-5);
  CHECK(student_t(0.95, 0) == 0.0);
  CHECK_THROWS_AS(student_t(1.0, 5), RuntimeFailure);
  CHECK_THROWS_AS(student_t(0.0, 5), RuntimeFailure);
  CHECK_THROWS_AS(student_t(std::nan(""), 5), RuntimeFailure);
}

TEST_CASE("mean_ci: mean, sd and the t half-width", "[metrics][statistics]") {
  const MeanCI ci = mean_ci({1.0, 2.0, 3.0, 4.0, 5.0}, 0.9);
  CHECK(ci.n == 5);
  CHECK(ci.mean == 3.0);
  CHECK(ci.sd == Approx(std::sqrt(2.5)));
  CHECK(ci.half_width == Approx(2.131847 * std::sqrt(2.5) / std::sqrt(5.0)).epsilon(1e-6));
  CHECK(mean_ci({7.0}).half_width == 0.0);
  CHECK(mean_ci({}).n == 0);
}
