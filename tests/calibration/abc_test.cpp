// Calibration that says what it is (issue 25): every target's use (fit, check, holdout, echo) and
// the independent evidence the targets are; the rejection ABC of `commsim calibrate --abc` and its
// accepted set; --uncertainty's draws from that set (a sample's calibrated values are a row of it).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "sim/calibrate/calibrate.hpp"
#include "sim/calibration/accepted.hpp"
#include "sim/calibration/targets.hpp"
#include "sim/core/error.hpp"
#include "sim/uncertainty/uncertainty.hpp"
#include "tests/calibration/calibration_city.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {

const char* const kCommunityShare = "services.medical.community_share";
const char* const kProgrammeShare = "services.chronic_followup.eligible.programme_share";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("targets: every shipped target says its use, echoes are no evidence, groups count once",
          "[calibration][targets][evidence]") {
  const TargetSet set = load_targets(test::source_path("scenarios/targets/xian.yaml"));
  std::set<std::string> echoes;
  for (const auto& t : set.targets) {
    INFO(t.name);
    CHECK((t.use == "fit" || t.use == "check" || t.use == "holdout" || t.use == "echo"));
    if (t.use == "echo") echoes.insert(t.name);
  }
  CHECK(echoes == std::set<std::string>{"share_60plus", "mean_household_size", "disability_60plus", "chronic_enrolled_share"});
  // The evidence: the two visit targets are one number, the three childcare targets two (one
  // identity), the held-out primary-care visits one: 3 fitted + 1 held out.
  const std::vector<std::vector<double>> values{std::vector<double>(set.targets.size(), 0.0)};
  const auto checks = check_against(set, values);
  CHECK(independent_evidence(checks) == Approx(4));
  double fit = 0;
  for (const auto& c : checks) {
    if (c.use == "fit") fit += c.evidence_weight;
    if (c.use == "echo" || c.use == "check") CHECK(c.evidence_weight == 0);
  }
  CHECK(fit == Approx(3));
  CHECK(test::item_named(checks, "visits_per_gp_day", [](const TargetCheck& c) { return c.name; }).evidence == "community_visits");

  // A target naming a group the file does not have: refused at its evidence key.
  const std::string bad =
      "name: x\nevidence:\n  visits: {count: 1, why: one number}\ntargets:\n  a:\n    observed: 1\n    tolerance: 1\n"
      "    source: S2\n    measure: share_60plus\n    evidence: vists\n";
  const std::string message = error_of([&] { (void)parse_targets(bad, "bad.yaml"); });
  CHECK_THAT(message, Catch::Contains("bad.yaml:10"));
  CHECK_THAT(message, Catch::Contains("no evidence group 'vists'"));
}

TEST_CASE("accepted set: written and read back exactly, bad files refused at file:line", "[calibration][abc]") {
  test::TempDir dir("accepted");
  AcceptedSet set;
  set.keys = {kCommunityShare, kProgrammeShare};
  set.draws = {3, 7};
  set.distances = {0.125, 1.0 / 3.0};
  set.rows = {{0.43, 0.3}, {0.1 + 0.2, 0.35}};
  const std::string path = dir.write("set.csv", accepted_set_csv({"made by a test", "two rows"}, set));
  const AcceptedSet back = read_accepted_set(path, "calibration.accepted_file");
  CHECK(back.keys == set.keys);
  CHECK(back.draws == set.draws);
  CHECK(back.distances == set.distances);
  CHECK(back.rows == set.rows);  // bit for bit

  const std::string no_distance = dir.write("a.csv", "# c\ndraw," + std::string(kCommunityShare) + "\n1,0.4\n");
  CHECK_THAT(error_of([&] { (void)read_accepted_set(no_distance, "k"); }), Catch::Contains("distance"));
  const std::string no_rows = dir.write("b.csv", "draw,distance," + std::string(kCommunityShare) + "\n");
  CHECK_THAT(error_of([&] { (void)read_accepted_set(no_rows, "k"); }), Catch::Contains("no rows"));
  const std::string not_number = dir.write("c.csv", "# c\n# d\ndraw,distance,x\n1,0.5,abc\n");
  CHECK_THAT(error_of([&] { (void)read_accepted_set(not_number, "k"); }), Catch::Contains("c.csv:4"));
}

TEST_CASE("uncertainty: with an accepted set, each sample's calibrated values are one row of it",
          "[uncertainty][abc]") {
  test::TempDir dir("accepted-draws");
  AcceptedSet set;
  set.keys = {kCommunityShare, kProgrammeShare};
  set.draws = {0, 1, 2};
  set.distances = {0.5, 0.25, 0.75};
  set.rows = {{0.41, 0.28}, {0.44, 0.31}, {0.47, 0.33}};
  const std::string path = dir.write("set.csv", accepted_set_csv({"test"}, set));
  const Scenario plain = test::calibration_city();
  const Scenario named = test::calibration_city({"calibration.accepted_file=" + path});
  REQUIRE(named.calibration.accepted_file == path);

  const ParameterDraws without = draw_parameters(plain, {}, 12, 5);
  const ParameterDraws with = draw_parameters(named, {}, 12, 5);
  REQUIRE(with.parameters.size() == without.parameters.size());
  const size_t n = with.parameters.size();
  CHECK(with.parameters[n - 2].key == kCommunityShare);  // the set's parameters come last
  CHECK(with.parameters[n - 1].key == kProgrammeShare);
  std::vector<int> used(set.rows.size(), 0);
  for (const auto& v : with.values) {
    const std::vector<double> calibrated{v[n - 2], v[n - 1]};
    const auto row = std::find(set.rows.begin(), set.rows.end(), calibrated);
    REQUIRE(row != set.rows.end());
    ++used[static_cast<size_t>(row - set.rows.begin())];
    for (size_t i = 0; i + 2 < n; ++i) {
      CHECK(v[i] >= with.parameters[i].low);
      CHECK(v[i] <= with.parameters[i].high);
    }
  }
  CHECK(used == std::vector<int>{4, 4, 4});  // one Latin-hypercube dimension: every row equally often
  // Without a set the calibrated parameters are drawn from their ranges: values off the rows.
  size_t off_rows = 0;
  for (size_t p = 0; p < without.parameters.size(); ++p)
    if (without.parameters[p].key == kCommunityShare)
      for (const auto& v : without.values) off_rows += v[p] != 0.41 && v[p] != 0.44 && v[p] != 0.47;
  CHECK(off_rows == 12);
  // A key held by --set keeps its value: its column is not used.
  const ParameterDraws held = draw_parameters(named, {kCommunityShare}, 6, 5);
  CHECK(std::none_of(held.parameters.begin(), held.parameters.end(), [](const Parameter& p) { return p.key == kCommunityShare; }));
  CHECK(held.parameters.back().key == kProgrammeShare);
  // A lever in the set is refused at its column.
  const std::string lever = dir.write("lever.csv", "draw,distance,staffing.rules.community_worker.per_10k\n0,0,18\n");
  const Scenario bad = test::calibration_city({"calibration.accepted_file=" + lever});
  CHECK_THAT(error_of([&] { (void)draw_parameters(bad, {}, 4, 5); }), Catch::Contains("lever.csv:1"));
}

TEST_CASE("calibrate --abc: a Latin hypercube of draws, the best share accepted, a set --uncertainty reads",
          "[calibration][abc][calibrate]") {
  test::TempDir dir("abc");
  const std::string targets = dir.write(
      "targets.yaml",
      "name: abc\ntargets:\n  visits:\n    observed: 1.4\n    tolerance: 0.2\n    source: S2\n"
      "    measure: visits_per_resident_year\n    services: [medical, chronic_followup]\n"
      "  older:\n    observed: 0.16\n    tolerance: 0.01\n    source: S2\n    measure: share_60plus\n    use: echo\n");
  CalibrationRequest req;
  req.scenario_file = test::source_path("tests/data/calibration-city.yaml");
  req.overrides = {"run.days=7", "city.generator.communities=4"};
  req.targets_file = targets;
  req.free_keys = {kCommunityShare};
  req.replicates = 1;
  req.abc_draws = 6;
  req.accept_best = 50;
  req.abc_seed = 3;
  req.output = dir.file("accepted.csv");
  req.command_line = "commsim calibrate (test)";
  const CalibrationResult r = calibrate(req);
  REQUIRE(r.evaluations.size() == 6);
  REQUIRE(r.accepted.size() == 3);
  // The accepted draws are the three closest; the echo target does not count in the distance.
  std::vector<double> distances;
  for (const auto& e : r.evaluations) {
    distances.push_back(e.distance);
    CHECK(e.distance == Approx(std::pow((e.simulated[0] - 1.4) / 0.2, 2)));
  }
  std::sort(distances.begin(), distances.end());
  for (int a : r.accepted) CHECK(r.evaluations[static_cast<size_t>(a)].distance <= distances[2]);
  // Latin hypercube over the registry's range 0.2-1: one draw in each sixth.
  std::set<int> strata;
  for (const auto& e : r.evaluations) strata.insert(static_cast<int>((e.values[0] - 0.2) / 0.8 * 6));
  CHECK(strata.size() == 6);

  const AcceptedSet set = read_accepted_set(r.accepted_path, "k");
  CHECK(set.keys == std::vector<std::string>{kCommunityShare});
  REQUIRE(set.rows.size() == 3);
  for (size_t i = 0; i < 3; ++i)
    CHECK(set.rows[i][0] == r.evaluations[static_cast<size_t>(r.accepted[i])].values[0]);
  CHECK_THAT(test::read_text(r.accepted_path), Catch::Contains("# Made by: commsim calibrate (test)"));
  CHECK(read_accepted_set(r.draws_path, "k").rows.size() == 6);
  const Scenario named = test::calibration_city({"calibration.accepted_file=" + r.accepted_path});
  const ParameterDraws draws = draw_parameters(named, {}, 3, 1);
  for (const auto& v : draws.values)
    CHECK(std::find(set.rows.begin(), set.rows.end(), std::vector<double>{v.back()}) != set.rows.end());
}
