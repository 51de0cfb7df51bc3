// The shipped baseline is calibrated (issue 16, item 4): scenarios/xian-baseline.yaml, run for 28
// days (targets are per-resident rates and shares, so a shorter run gives the year's figures up to
// noise; docs/calibration.md shows 28 days against 91 and 365), holds every target marked `use: fit`
// in scenarios/targets/xian.yaml within its tolerance, and the input checks (community workers with
// committees, GPs per 10,000) too. Held-out targets are reported in docs/calibration.md, not
// asserted: they test the fit, they are not part of it.
#include <catch2/catch.hpp>

#include <cmath>

#include "sim/calibration/targets.hpp"
#include "sim/engine/engine.hpp"
#include "tests/support.hpp"

using namespace commsim;

// A whole-city model check: the release suite runs it, the sanitizer pass skips it ([slow]).
TEST_CASE("the shipped baseline holds every fitted target within tolerance", "[calibration][baseline][slow]") {
  const Scenario sc = load_scenario(test::source_path("scenarios/xian-baseline.yaml"),
                                    {"run.days=28", "run.daily_output=false"});
  const TargetSet targets = load_targets(test::source_path("scenarios/targets/xian.yaml"));
  check_targets(targets, sc);
  const RunResult run = run_replicate(sc, 0);
  const std::vector<TargetCheck> checks = check_against(targets, sc, {run});
  REQUIRE(checks.size() == targets.targets.size());
  size_t fitted = 0;
  for (size_t i = 0; i < checks.size(); ++i) {
    const Target& t = targets.targets[i];
    if (t.use == "holdout") continue;
    INFO(t.name << " (" << t.use << "): observed " << t.observed << " ± " << t.tolerance << ", simulated "
                << checks[i].simulated);
    CHECK(std::fabs(checks[i].simulated - t.observed) <= t.tolerance);
    CHECK(checks[i].within);
    fitted += t.fit();
  }
  CHECK(fitted >= 5);  // issue 25: four former fits are echoes of inputs (use: echo), checked but not fitted
}
