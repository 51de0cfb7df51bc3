// Sensitivity designs and the parameter registry (issue 25, docs/sensitivity.md "Ranges from the
// registry"): an axis given as {} takes the registry's range; a study's own range is marked
// (narrowed with its reason, narrower without one, beyond); levers are marked apart from the
// uncertain parameters; the shipped study varies the committee's service share and the community
// size on a fixed population, every range from the registry.
#include <catch2/catch.hpp>

#include <string>

#include "sim/core/error.hpp"
#include "sim/study/study.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {

std::string morris(const std::string& axes) {
  return "base: " + test::source_path("scenarios/xian-baseline.yaml") +
         "\nset: [city.generator.communities=3, run.days=14, run.daily_output=false]\n"
         "design: {type: morris, trajectories: 2, levels: 4, seed: 1}\naxes:\n" + axes;
}

const StudyAxis& axis_named(const Study& st, const std::string& key) {
  for (const auto& a : st.axes)
    if (a.key == key) return a;
  FAIL("no axis " << key);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("sensitivity designs: ranges from the registry by default, narrowed ranges and levers marked",
          "[study][sensitivity][registry]") {
  const Study st = parse_study_text(morris("  staffing.committee.service_share: {}\n"
                                           "  sizing.households: {}\n"
                                           "  services.medical.community_share: {low: 0.3, high: 0.5, narrowed: \"the calibrated window\"}\n"
                                           "  services.administration.service_minutes: {low: 12, high: 18}\n"
                                           "  services.dispute_mediation.rate_per_year: {low: 0.001, high: 1}\n"),
                                    "study.yaml");
  const StudyAxis& share = axis_named(st, "staffing.committee.service_share");
  CHECK(share.from == 0.25);
  CHECK(share.to == 0.75);
  CHECK(share.range_origin == "registry");
  CHECK(!share.lever);
  const StudyAxis& size = axis_named(st, "sizing.households");
  CHECK(size.from == 1000);
  CHECK(size.to == 5000);
  CHECK(size.integer);
  CHECK(size.lever);
  CHECK(axis_named(st, "services.medical.community_share").range_origin == "narrowed: the calibrated window");
  CHECK(axis_named(st, "services.administration.service_minutes").range_origin.rfind("narrower than the registry", 0) == 0);
  CHECK(axis_named(st, "services.dispute_mediation.rate_per_year").range_origin == "beyond the registry's range");
  for (const auto& v : share.values) {
    CHECK(std::stod(v) >= 0.25);
    CHECK(std::stod(v) <= 0.75);
  }
  // One end only, or {} on a key without a registry range: refused at the axis.
  CHECK_THROWS_WITH(parse_study_text(morris("  staffing.committee.service_share: {low: 0.3}\n"), "s.yaml"),
                    Catch::Contains("or neither"));
  CHECK_THROWS_WITH(parse_study_text(morris("  services.household_visits.period_days: {}\n"), "s.yaml"),
                    Catch::Contains("not a parameter of the registry"));
}

TEST_CASE("the shipped sensitivity study: committee share and community size as axes, every range the registry's",
          "[study][sensitivity][registry][slow]") {  // 29 s under the sanitizers
  const std::string path = test::source_path("scenarios/studies/sensitivity.yaml");
  CHECK(test::read_text(path).find("households_mean") == std::string::npos);
  const Study st = parse_study(path);
  int levers = 0;
  for (const auto& a : st.axes) {
    INFO(a.key);
    CHECK(a.range_origin == "registry");
    levers += a.lever;
  }
  CHECK(axis_named(st, "staffing.committee.service_share").range_origin == "registry");
  CHECK(axis_named(st, "sizing.households").lever);
  CHECK(levers == 5);
  CHECK(st.axes.size() == 34);
}
