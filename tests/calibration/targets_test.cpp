// Calibration targets (issue 16): the shipped targets file, the measures computed from a run, and
// `commsim run --targets` (the summary JSON's calibration block).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/calibration/sources.hpp"
#include "sim/calibration/targets.hpp"
#include "sim/engine/engine.hpp"
#include "sim/io/summary_json.hpp"
#include "tests/reliability/process.hpp"
#include "tests/calibration/calibration_city.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {

const TargetCheck& check_named(const std::vector<TargetCheck>& checks, const std::string& name) {
  return test::item_named(checks, name, [](const TargetCheck& c) { return c.name; });
}

}  // namespace

TEST_CASE("targets: the shipped Xi'an targets, with sources, tolerances and computations", "[calibration][targets]") {
  const TargetSet set = load_targets(test::source_path("scenarios/targets/xian.yaml"));
  REQUIRE(set.targets.size() >= 8);
  std::set<std::string> names;
  for (const auto& t : set.targets) {
    INFO(t.name);
    names.insert(t.name);
    CHECK(t.tolerance > 0);
    CHECK(!t.computation.empty());
    CHECK_NOTHROW(check_source(t.source, SourcePos{}, t.name));
  }
  for (const char* required : {"community_health_visits_per_resident_year", "visits_per_gp_day", "under3_enrolment",
                               "nursery_places_in_use", "chronic_enrolled_share", "share_60plus", "disability_60plus",
                               "mean_household_size", "community_workers_per_10k"})
    CHECK(names.count(required) == 1);
  for (const auto& t : set.targets) {
    if (t.name == "community_workers_per_10k") {
      CHECK(t.use == "check");  // an input check, never calibrated
      CHECK(t.with_committees);
      CHECK(t.observed == 18);
      CHECK(t.tolerance == 3);
    }
    if (t.name == "community_health_visits_per_resident_year") CHECK((t.observed == 1.1 && t.tolerance == 0.3));
    if (t.name == "visits_per_gp_day") CHECK((t.observed == 15.5 && t.tolerance == 1.5));
    if (t.name == "under3_enrolment") CHECK((t.observed == 0.10 && t.tolerance == 0.03));
    if (t.name == "share_60plus") CHECK((t.observed == 0.16 && t.tolerance == 0.01));
  }
  // The folder holds the shipped targets only (fixtures live under tests/).
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::source_path("scenarios/targets"))) files += e.is_regular_file();
  CHECK(files == 1);
  const Scenario baseline = load_scenario(test::source_path("scenarios/xian-baseline.yaml"));
  CHECK_NOTHROW(check_targets(set, baseline));
}

TEST_CASE("targets: measures computed from a run agree with the run's own counts", "[calibration][targets]") {
  // Chronic follow-up with a programme share: its clients are that share of the chronic residents.
  const Scenario sc = test::calibration_city({"run.days=14", "services.chronic_followup.eligible.programme_share=0.3"});
  const Scenario all = test::calibration_city({"run.days=14", "services.chronic_followup.eligible.programme_share=1"});
  const TargetSet set = load_targets(test::source_path("scenarios/targets/xian.yaml"));
  const RunResult run = run_replicate(sc, 0);
  const RunResult run_all = run_replicate(all, 0);
  const auto checks = check_against(set, sc, {run});
  const auto checks_all = check_against(set, all, {run_all});

  int64_t residents = 0, aged_60 = 0, dependent = 0, chronic = 0, family = 0, family_hh = 0;
  const size_t services = run_all.service_names.size();
  const size_t followup = static_cast<size_t>(all.service_index("chronic_followup"));
  double followup_client_days = 0;
  for (size_t i = 0; i < run_all.communities.size(); ++i) {
    const CommunityInfo& c = run_all.communities[i];
    followup_client_days += static_cast<double>(run_all.service_totals[i * services + followup].client_days);
    residents += c.residents;
    aged_60 += c.residents_60plus;
    dependent += c.residents_60plus_dependent;
    chronic += c.residents_chronic;
    family += c.family_residents;
    family_hh += c.family_households;
  }
  REQUIRE(chronic > 1000);
  // Programme enrolment: the follow-up's clients a day (client-days / run days) over the chronic residents.
  CHECK(check_named(checks_all, "chronic_enrolled_share").simulated ==
        Approx(followup_client_days / 14 / static_cast<double>(chronic)));
  CHECK(check_named(checks_all, "chronic_enrolled_share").simulated == 1.0);
  CHECK(check_named(checks, "chronic_enrolled_share").simulated == Approx(0.3).margin(0.02));
  CHECK(check_named(checks_all, "share_60plus").simulated == Approx(static_cast<double>(aged_60) / residents));
  CHECK(check_named(checks_all, "disability_60plus").simulated == Approx(static_cast<double>(dependent) / aged_60));
  CHECK(check_named(checks_all, "mean_household_size").simulated == Approx(static_cast<double>(family) / family_hh));
  // Dependency shares were scaled to the survey's 18.3 % of 60+ (docs/population-data.md 4b).
  CHECK(check_named(checks_all, "disability_60plus").simulated == Approx(0.18).margin(0.03));

  // Visits per GP day: served requests of the two GP services over GP shifts present.
  const size_t gp = static_cast<size_t>(all.role_index("gp")), roles = run_all.role_names.size();
  const size_t n = run_all.service_names.size();
  double visits = 0, available = 0;
  for (size_t c = 0; c < run_all.communities.size(); ++c) {
    for (const char* s : {"medical", "chronic_followup"})
      visits += static_cast<double>(run_all.service_totals[c * n + static_cast<size_t>(all.service_index(s))].served);
    available += run_all.role_totals[c * roles + gp].available_min;
  }
  const Role& role = all.staffing.roles[gp];
  CHECK(check_named(checks_all, "visits_per_gp_day").simulated ==
        Approx(visits / (available / (role.hours_per_week * 60.0 / role.days_per_week))));
  CHECK(check_named(checks_all, "community_health_visits_per_resident_year").simulated ==
        Approx(visits / (static_cast<double>(residents) * 14 / 365.0)));
  // Committees included: more than the per-10k rule alone.
  const auto& workers = check_named(checks_all, "community_workers_per_10k");
  CHECK(workers.use == "check");
  CHECK(workers.simulated > 18);
  // Within = |simulated - observed| <= tolerance; the distance sums the fitted targets only.
  double distance = 0;
  for (const auto& c : checks_all) {
    CHECK(c.within == (std::fabs(c.simulated - c.observed) <= c.tolerance));
    if (c.use == "fit") distance += std::pow((c.simulated - c.observed) / c.tolerance, 2);
  }
  CHECK(weighted_distance(checks_all) == Approx(distance));
}

TEST_CASE("commsim run --targets: a calibration block in --summary-json and a table", "[calibration][cli]") {
  test::TempDir dir("run-targets");
  const std::string cmd = "exec '" + test::commsim_binary() + "' run '" + test::source_path("tests/data/calibration-city.yaml") +
                          "' --targets '" + test::source_path("scenarios/targets/xian.yaml") +
                          "' --set run.days=7 --summary-json -";
  const test::Outcome o = test::run_shell(cmd, dir.path(), dir.path());
  REQUIRE(o.exit_code == 0);
  const auto j = nlohmann::json::parse(o.out);
  REQUIRE(j.contains("calibration"));
  const auto& targets = j["calibration"]["targets"];
  const TargetSet set = load_targets(test::source_path("scenarios/targets/xian.yaml"));
  REQUIRE(targets.size() == set.targets.size());
  const std::set<std::string> fields = {"name",   "use",    "observed", "tolerance",      "simulated",
                                       "within", "source", "evidence", "evidence_weight"};
  for (size_t i = 0; i < targets.size(); ++i) {
    std::set<std::string> have;
    for (const auto& [k, v] : targets[i].items()) have.insert(k);
    CHECK(have == fields);
    CHECK(targets[i]["name"] == set.targets[i].name);
    CHECK(targets[i]["within"].is_boolean());
    CHECK(targets[i]["observed"].get<double>() == set.targets[i].observed);
    CHECK(targets[i]["use"] == set.targets[i].use);
  }
  // At least three targets are echoes of inputs (issue 25); the table counts the independent evidence.
  CHECK(std::count_if(targets.begin(), targets.end(), [](const auto& t) { return t["use"] == "echo"; }) >= 3);
  CHECK_THAT(o.err, Catch::Contains("independent evidence: 4 (fit 3, holdout 1"));
  CHECK_THAT(o.err, Catch::Contains("calibration targets"));
  CHECK_THAT(o.err, Catch::Contains("community_workers_per_10k"));
  // Without --targets the summary has no calibration block.
  const test::Outcome plain = test::run_shell("exec '" + test::commsim_binary() + "' run '" +
                                                  test::source_path("tests/data/calibration-city.yaml") +
                                                  "' --set run.days=1 --summary-json - --quiet",
                                              dir.path(), dir.path());
  REQUIRE(plain.exit_code == 0);
  CHECK(!nlohmann::json::parse(plain.out).contains("calibration"));
}
