// Response curves, headroom and the demand multiplier (issue 14 item 5, docs/curves.md): pairing
// on seeds, outcomes from the results schema, the marginal analysis, the bisection, demand scaling,
// and the commands' bad arguments. The MPI identity and resume of both commands:
// tests/study/curve_mpi_identity.sh.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
#include "sim/scenario/load.hpp"
#include "sim/curve/curve.hpp"
#include "sim/study/runner.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using namespace commsim;
using commsim::test::TempDir;

namespace {

const std::string kBaseline = commsim::test::source_path("tests/data/good/small-city.yaml");
const std::vector<std::string> kTiny = {"city.generator.communities=3", "run.days=14", "run.daily_output=false"};

int shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs a curve's study into `path` (as `commsim curve` does); `also` sees the file before commit.
CurveSummary run_tiny_curve(const CurveRequest& rq, const std::string& path, const FinishTables& also = {}) {
  StudyRunOptions options;
  options.output = path;
  options.threads = 2;
  if (!also) return run_curve(rq, options).summary;
  // The curve's own tables, then the check.
  const StudyPlan plan = plan_curve(rq);
  CurveSummary summary;
  options.finish_tables = [&](Hdf5Output& out, const StudyPlan& p, const std::vector<std::vector<double>>& values) {
    summary = summarize_curve_file(out, p, rq.confidence);
    write_curve(out, summary);
    also(out, p, values);
  };
  run_study(plan, options);
  return summary;
}

CurveRequest tiny_curve(const std::string& key, double from, double to, double step, int replicates = 2) {
  CurveRequest rq;
  rq.scenario = kBaseline;
  rq.overrides = kTiny;
  rq.key = key;
  rq.from = from;
  rq.to = to;
  rq.step = step;
  rq.replicates = replicates;
  return rq;
}

// The headroom search run to its end on a made-up coverage function of the multiplier.
HeadroomResult search(const HeadroomRequest& rq, double (*coverage)(double)) {
  std::vector<HeadroomEvaluation> ev;
  while (const auto m = headroom_next(rq, ev)) {
    REQUIRE(ev.size() < 100);
    HeadroomEvaluation e;
    e.multiplier = *m;
    e.coverage = {MeanCI{0.99, 0, 0, 1}, MeanCI{coverage(*m), 0, 0, 1}};
    e.worst_service = coverage(*m) < 0.99 ? 1 : 0;
    e.worst_margin = e.coverage[static_cast<size_t>(e.worst_service)].mean - rq.target;
    e.passes = e.worst_margin >= 0;
    for (const auto& seen : ev) REQUIRE(seen.multiplier != *m);  // never evaluated twice
    ev.push_back(e);
  }
  return headroom_result(rq, {"steady", "stretched"}, ev);
}

}  // namespace

TEST_CASE("curve: a key the model ignores gives exactly zero paired differences (same seeds at every point)",
          "[curve]") {
  TempDir dir;
  // Results never depend on the thread count, so every point runs the same model on the same streams.
  const CurveSummary s = run_tiny_curve(tiny_curve("run.threads", 1, 2, 1), dir.file("threads.h5"));
  REQUIRE(s.points == std::vector<double>{1, 2});
  REQUIRE(s.replicates == 2);
  const auto seeds = read_int_dataset(dir.file("threads.h5"), "/study/seed");
  CHECK(seeds == std::vector<int64_t>(4, seeds.front()));
  CHECK(read_int_dataset(dir.file("threads.h5"), "/study/replicate") == std::vector<int64_t>{0, 1, 0, 1});
  size_t moving = 0;
  for (size_t k = 0; k < s.outcomes.size(); ++k) {
    INFO(s.outcomes[k].name);
    CHECK(s.step[k][0].diff.mean == 0);
    CHECK(s.step[k][0].diff.half_width == 0);
    moving += s.value[k][0].half_width > 0;  // ... while the replicates themselves differ
  }
  CHECK(moving > 0);
  CHECK(std::isnan(s.marginal[0].unmet_hours_avoided_per_worker));  // no staff added
  CHECK(s.bend_step == -1);
}

TEST_CASE("curve: outcomes follow the results schema and staffing up lowers unmet hours", "[curve]") {
  TempDir dir;
  const std::string path = dir.file("staff.h5");
  bool compared = false;
  const CurveRequest rq = tiny_curve("staffing.rules.community_worker.per_10k", 6, 30, 12);
  const CurveSummary s = run_tiny_curve(rq, path, [&](Hdf5Output& out, const StudyPlan& p, const std::vector<std::vector<double>>&) {
    // The values read back from the file are those of the run itself.
    const std::vector<double> from_file = curve_outcome_values(p.scenarios[2], out, run_group(5));
    const std::vector<double> from_run = curve_outcome_values(p.scenarios[2], run_replicate(p.scenarios[2], 1));
    CHECK(from_file == from_run);
    compared = true;
  });
  REQUIRE(compared);
  REQUIRE(s.points == std::vector<double>{6, 18, 30});
  const Scenario sc = load_scenario(kBaseline, kTiny);
  // Every service's and role's --summary-json numbers are outcomes, named as there.
  for (const auto& service : sc.services)
    for (const char* field : {"coverage", "unmet_hours", "mean_wait_min", "demand"}) {
      INFO(service.name << "." << field);
      CHECK_NOTHROW(s.outcome("services." + service.name + "." + field));
    }
  for (const auto& role : sc.staffing.roles)
    for (const char* field : {"staff", "utilisation", "wisn_pressure"}) CHECK_NOTHROW(s.outcome("roles." + role.name + "." + field));
  CHECK_NOTHROW(s.outcome("cost.total_yuan"));
  CHECK_NOTHROW(s.outcome("cost.facility_capital_yuan"));
  CHECK_THROWS(s.outcome("services.no_such_service.coverage"));

  const size_t staff = s.outcome(kCurveStaff), unmet = s.outcome(kCurveUnmetHours), cost = s.outcome(kCurveAnnualCost);
  const size_t workers = s.outcome("roles.community_worker.staff");
  CHECK(s.value[workers][1].mean > s.value[workers][0].mean);
  CHECK(s.value[staff][2].mean > s.value[staff][0].mean);
  CHECK(s.value[unmet][2].mean < s.value[unmet][0].mean);  // more workers, fewer unmet hours
  CHECK(s.value[cost][2].mean > s.value[cost][0].mean);
  REQUIRE(s.marginal.size() == 2);
  const CurveMarginal& first = s.marginal[0];
  CHECK(first.staff_added == Approx(s.value[staff][1].mean - s.value[staff][0].mean));
  CHECK(first.unmet_hours_avoided.mean == Approx(s.value[unmet][0].mean - s.value[unmet][1].mean));
  CHECK(first.unmet_hours_avoided_per_worker == Approx(first.unmet_hours_avoided.mean / first.staff_added));
  CHECK(first.cost_per_unmet_hour_avoided_yuan == Approx(first.cost_added_yuan.mean / first.unmet_hours_avoided.mean));
  CHECK(first.cost_added_yuan.mean > 0);
  // The tables: one cell per outcome and point, per outcome and step, one marginal row per step.
  CHECK(read_string_dataset(path, "/curve/outcomes/name").size() == s.outcomes.size());
  CHECK(read_double_dataset(path, "/curve/values/mean").size() == 3 * s.outcomes.size());
  CHECK(read_double_dataset(path, "/curve/steps/diff_mean").size() == 2 * s.outcomes.size());
  CHECK(read_double_dataset(path, "/curve/marginal/staff_added") ==
        std::vector<double>{s.marginal[0].staff_added, s.marginal[1].staff_added});
  CHECK(read_attribute_text(path, "/curve", "key") == "staffing.rules.community_worker.per_10k");
  CHECK(read_root_string_attribute(path, "study_yaml").find("step: 12") != std::string::npos);
}

TEST_CASE("curve: the marginal analysis finds the first step that buys less than half of the one before", "[curve]") {
  // Made-up values: staff 0, 10, 20, 30, 40; unmet hours 1000, 600, 250, 150, 100 (avoided per
  // worker 40, 35, 10, 5: the bend is step 2, 10 / 35 < 0.5; step 3's 5 / 10 is not reported again).
  const std::vector<CurveOutcome> outcomes = {{kCurveStaff, "1", ""}, {kCurveCoverage, "share", ""},
                                              {kCurveUnmetHours, "hours", ""}, {kCurveAnnualCost, "yuan", ""}};
  const double unmet[] = {1000, 600, 250, 150, 100};
  std::vector<std::vector<std::vector<double>>> values(5);
  for (size_t p = 0; p < 5; ++p)
    for (int r = 0; r < 3; ++r)
      values[p].push_back({10.0 * static_cast<double>(p), 0.5 + 0.1 * static_cast<double>(p) + 0.001 * r, unmet[p] + r,
                           1e6 * static_cast<double>(p)});
  const CurveSummary s = summarize_curve("staffing.rules.community_worker.per_10k", {6, 12, 18, 24, 30}, outcomes, values, 0.95);
  REQUIRE(s.marginal.size() == 4);
  CHECK(s.marginal[0].unmet_hours_avoided_per_worker == Approx(40));
  CHECK(std::isnan(s.marginal[0].ratio_to_previous));
  CHECK(s.marginal[1].ratio_to_previous == Approx(35.0 / 40));
  CHECK(s.marginal[2].ratio_to_previous == Approx(10.0 / 35));
  CHECK(s.bend_step == 2);
  CHECK(s.marginal[2].bend);
  CHECK_FALSE(s.marginal[3].bend);
  CHECK(s.marginal[1].coverage_points.mean == Approx(10));
  CHECK(s.marginal[1].cost_per_coverage_point_yuan == Approx(1e5));
  CHECK(s.marginal[1].cost_per_unmet_hour_avoided_yuan == Approx(1e6 / 350));
  CHECK(s.marginal[1].unmet_hours_avoided.half_width == Approx(0).margin(1e-9));  // the same +r in every point
}

TEST_CASE("run.demand_multiplier scales demand: 2 doubles it within noise, 1 changes nothing", "[curve][demand]") {
  const std::vector<std::string> city = {"city.generator.communities=4", "run.days=28", "run.daily_output=false"};
  const Scenario base = load_scenario(kBaseline, city);
  std::vector<std::string> one = city, two = city, half = city;
  one.push_back("run.demand_multiplier=1");
  two.push_back("run.demand_multiplier=2");
  half.push_back("run.demand_multiplier=0.5");
  const RunResult r0 = run_replicate(base, 0);
  CHECK(compare_runs(r0, run_replicate(load_scenario(kBaseline, one), 0)).empty());
  const RunResult r2 = run_replicate(load_scenario(kBaseline, two), 0);
  const RunResult rh = run_replicate(load_scenario(kBaseline, half), 0);
  // Staffing is policy, not demand: the same staff.
  for (size_t r = 0; r < r0.citywide_roles.size(); ++r) CHECK(r2.citywide_roles[r].staff == r0.citywide_roles[r].staff);
  int checked = 0;
  for (size_t s = 0; s < r0.citywide.size(); ++s) {
    const auto d0 = static_cast<double>(r0.citywide[s].demand), d2 = static_cast<double>(r2.citywide[s].demand),
               dh = static_cast<double>(rh.citywide[s].demand);
    INFO(r0.citywide[s].name << " (" << r0.citywide[s].kind << "): demand " << d0 << " x2 " << d2 << " x0.5 " << dh);
    if (r0.citywide[s].kind == "enrolment") {  // want shares are capped at 1
      CHECK(d2 >= d0);
      CHECK(d2 <= 2 * d0 * 1.1);  // at most doubled, within the draws' noise (10 %, as below)
      CHECK(dh <= d0);
      continue;
    }
    if (d0 < 400) continue;  // too few requests to compare a ratio
    ++checked;
    // Poisson / Bernoulli noise of a few hundred requests at most: within 10 %.
    CHECK(d2 / d0 == Approx(2).epsilon(0.1));
    CHECK(dh / d0 == Approx(0.5).epsilon(0.1));
  }
  CHECK(checked >= 3);
}

TEST_CASE("run.demand_multiplier must be > 0 and the facility capital keys are validated", "[curve][loader]") {
  for (const char* bad : {"run.demand_multiplier=0", "run.demand_multiplier=-1", "run.demand_multiplier=x",
                          "facility.capital_life_years=0", "facility.capital_cost_yuan_per_m2=-5"}) {
    INFO(bad);
    CHECK_THROWS_AS(load_scenario(kBaseline, {bad}), InputError);
  }
  const Scenario sc = load_scenario(kBaseline, {"city.generator.communities=2", "run.days=7", "run.daily_output=false",
                                                "facility.capital_cost_yuan_per_m2=3650", "facility.capital_life_years=10"});
  const RunResult r = run_replicate(sc, 0);
  double m2 = 0;
  for (const auto& c : r.communities) m2 += c.facility_indoor_m2;
  CHECK(r.cost_facility_capital_yuan == Approx(m2 * 3650 / 10 * 7 / 365.0));
}

TEST_CASE("headroom: the bisection finds a known threshold, and its edge cases", "[curve][headroom]") {
  HeadroomRequest rq;
  rq.target = 0.9;
  rq.tolerance = 0.01;
  // Coverage falls linearly with the multiplier and crosses 0.9 at 1.37.
  const HeadroomResult r = search(rq, [](double m) { return 0.9 - (m - 1.37) * 0.1; });
  CHECK(r.status == "found");
  CHECK(r.multiplier <= 1.37);
  CHECK(r.failing_multiplier > 1.37);
  CHECK(r.failing_multiplier - r.multiplier <= 0.01 + 1e-12);
  CHECK(r.fails_first == "stretched");
  CHECK(r.binding == "stretched");
  CHECK(r.margin >= 0);
  CHECK(r.evaluations.front().multiplier == 1);  // from 1: passes, then 2 fails, then bisection
  CHECK(r.evaluations[1].multiplier == 2);
  // Below 1: halving brackets it.
  const HeadroomResult low = search(rq, [](double m) { return m <= 0.3 ? 0.95 : 0.5; });
  CHECK(low.status == "found");
  CHECK(low.multiplier <= 0.3);
  CHECK(low.failing_multiplier > 0.3);
  CHECK(low.failing_multiplier - low.multiplier <= 0.01 + 1e-12);
  // Never failing, never passing.
  const HeadroomResult always = search(rq, [](double) { return 1.0; });
  CHECK(always.status == "above_max");
  CHECK(always.multiplier == rq.max_multiplier);
  CHECK(std::isnan(always.failing_multiplier));
  const HeadroomResult never = search(rq, [](double) { return 0.2; });
  CHECK(never.status == "below_min");
  CHECK(never.failing_multiplier == rq.min_multiplier);
  CHECK(std::isnan(never.multiplier));
}

TEST_CASE("headroom on a small city: every service meets the target at the multiplier, one misses it just above",
          "[curve][headroom]") {
  TempDir dir;
  HeadroomRequest rq;
  rq.scenario = kBaseline;
  rq.overrides = kTiny;
  rq.target = 0.8;
  rq.tolerance = 0.05;
  StudyRunOptions options;
  options.output = dir.file("headroom.h5");
  options.threads = 2;
  const HeadroomRun run = run_headroom(rq, options);
  const HeadroomResult& result = run.result;
  const StudyOutcome& outcome = run.outcome;
  REQUIRE(result.status == "found");
  CHECK(outcome.runs_total == static_cast<int>(result.evaluations.size()));
  CHECK(result.failing_multiplier - result.multiplier <= rq.tolerance + 1e-12);
  // Rerun both multipliers on their own: all services meet the target at the one, one misses it at the other.
  auto coverage_at = [&](double m) {
    std::vector<std::string> o = kTiny;
    o.push_back("run.demand_multiplier=" + curve_detail::number_text(m));
    return run_replicate(load_scenario(kBaseline, o), 0).citywide;
  };
  for (const auto& c : coverage_at(result.multiplier)) {
    INFO(c.name);
    CHECK(c.coverage >= rq.target);
  }
  bool one_misses = false;
  for (const auto& c : coverage_at(result.failing_multiplier)) one_misses = one_misses || c.coverage < rq.target;
  CHECK(one_misses);
  // The file: every evaluation is a variant of the study, in order.
  const std::string path = options.output;
  CHECK(read_string_dataset(path, "/study/variants/name").size() == result.evaluations.size());
  CHECK(read_double_dataset(path, "/headroom/evaluations/multiplier").front() == 1);
  CHECK(read_attribute_text(path, "/headroom", "status") == "found");
  CHECK(read_attribute_text(path, "/headroom", "fails_first") == result.fails_first);
  CHECK(read_double_dataset(path, "/headroom/coverage/mean").size() == result.evaluations.size() * result.services.size());
}

TEST_CASE("curve and headroom: bad arguments exit 2 with a clear message and write nothing", "[curve][cli]") {
  TempDir dir;
  const std::string bin = COMMSIM_BINARY, out = dir.file("x.h5"), err = dir.file("err.txt");
  const std::string tiny = " --set city.generator.communities=2 --set run.days=7";
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"curve '" + kBaseline + "' --from 1 --to 2 --step 1", "key '--key': required"},
      {"curve '" + kBaseline + "' --key staffing.rules.community_worker.per_10kk --from 1 --to 2 --step 1",
       "did you mean 'staffing.rules.community_worker.per_10k'"},
      {"curve '" + kBaseline + "' --key sizing.mode --from 1 --to 2 --step 1", "not a number"},
      {"curve '" + kBaseline + "' --key run.days --from 7 --to 14 --step 0", "key '--step': must be a number > 0"},
      {"curve '" + kBaseline + "' --key run.days --from 14 --to 7 --step 1", "key '--to': must not be less than --from"},
      {"curve '" + kBaseline + "' --key run.days --from 7 --to 8 --step 5", "at least 2 points"},
      {"curve '" + kBaseline + "' --key run.days --from 0 --to 7 --step 7", "key '--from': 0 is not a valid value"},
      {"curve '" + kBaseline + "' --key run.days --from 7.5 --to 9 --step 1", "must be whole numbers"},
      {"curve '" + kBaseline + "' --key run.days --from 7 --to 8 --step 1 --replicates 1", "key '--replicates'"},
      {"curve '" + kBaseline + "' --key run.days --from x --to 8 --step 1", "'x' is not a number"},
      {"curve '" + kBaseline + "' --key run.days --from 7 --to 8 --step 1 --bogus 3", "unknown option"},
      {"headroom '" + kBaseline + "' --target 1.5", "key '--target': must be a coverage share in (0, 1]"},
      {"headroom '" + kBaseline + "' --tolerance 0", "key '--tolerance'"},
      {"headroom '" + kBaseline + "' --replicates 0", "key '--replicates'"},
      {"headroom '" + kBaseline + "' --set run.demand_multiplier=2", "headroom varies run.demand_multiplier itself"},
      {"headroom '" + kBaseline + "' --set run.demand_multiplier=0", "demand_multiplier"},
      {"run '" + kBaseline + "' --set run.demand_multiplier=0", "key 'run.demand_multiplier'"},
  };
  for (const auto& c : cases) {
    INFO(c.args);
    CHECK(shell("'" + bin + "' " + c.args + tiny + " -o '" + out + "' > /dev/null 2> '" + err + "'") == 2);
    const std::string text = commsim::test::read_text(err);
    INFO(text);
    CHECK(text.find(c.message) != std::string::npos);
    CHECK(!fs::exists(out));
    CHECK(!fs::exists(out + ".partial"));
  }
  CHECK(shell("'" + bin + "' curve --help > /dev/null") == 0);
  CHECK(shell("'" + bin + "' headroom --help > /dev/null") == 0);
  CHECK(shell("'" + bin + "' curve > /dev/null 2>&1") == 2);
}

// Issue 22 item 12: the answer (the bend, what each step buys, the citywide figures) first and in
// at most 40 lines; every outcome and the paired steps with --full; a progress line of its own on
// stderr when stderr is a file.
TEST_CASE("commsim curve prints the answer first, and --full adds every outcome and the steps", "[curve][cli]") {
  TempDir dir;
  const std::string bin = COMMSIM_BINARY, out = dir.file("c.h5"), text = dir.file("out.txt"), err = dir.file("err.txt");
  const std::string curve = "'" + bin + "' curve '" + kBaseline + "' --key staffing.rules.community_worker.per_10k --from 10 "
                            "--to 20 --step 5 --replicates 2 --threads 2 --set city.generator.communities=2 "
                            "--set run.days=7 --set run.daily_output=false -o '" + out + "' --force";
  REQUIRE(shell("COMMSIM_PROGRESS_SECONDS=0 " + curve + " > '" + text + "' 2> '" + err + "'") == 0);
  const std::string printed = commsim::test::read_text(text);
  std::vector<std::string> lines;
  for (size_t start = 0, end; start < printed.size(); start = end + 1) {
    end = printed.find('\n', start);
    if (end == std::string::npos) end = printed.size();
    lines.push_back(printed.substr(start, end - start));
  }
  INFO(printed);
  REQUIRE(lines.size() >= 2);
  CHECK(lines.size() <= 40);
  CHECK((lines[1].rfind("bend at 10->15", 0) == 0 || lines[1].rfind("bend at 15->20", 0) == 0 ||
         lines[1].rfind("no bend", 0) == 0));
  for (const char* expected : {"what each step buys", "10->15", "15->20", "yuan/cov.pt", "citywide.coverage",
                               "citywide.unmet_hours_per_year", "cost.annual_yuan", "--full"}) {
    INFO(expected);
    CHECK(printed.find(expected) != std::string::npos);
  }
  CHECK(printed.find("services.elderly_check_in.coverage") == std::string::npos);
  CHECK(printed.find("marginal effect of each step") == std::string::npos);
  // stderr a file: progress lines of their own, no carriage returns.
  const std::string progress = commsim::test::read_text(err);
  INFO(progress);
  CHECK(progress.find("runs, ") != std::string::npos);
  CHECK(progress.find("[6/6 runs") != std::string::npos);
  CHECK(progress.find('\r') == std::string::npos);
  CHECK(is_complete_output(out));

  REQUIRE(shell(curve + " --full > '" + text + "' 2> /dev/null") == 0);
  const std::string full = commsim::test::read_text(text);
  for (const char* expected : {"services.elderly_check_in.coverage", "roles.community_worker.wisn_pressure",
                               "cost.annual_yuan", "marginal effect of each step", "10->15", "yuan/cov.pt"}) {
    INFO(expected);
    CHECK(full.find(expected) != std::string::npos);
  }
  // Without -o: a temporary file, gone afterwards.
  REQUIRE(shell("'" + bin + "' headroom '" + kBaseline + "' --target 0.5 --tolerance 0.5 --threads 2 "
                "--set city.generator.communities=2 --set run.days=7 --set run.daily_output=false > '" + text + "'") == 0);
  CHECK(commsim::test::read_text(text).find("headroom: ") != std::string::npos);
}

TEST_CASE("docs/curves.md describes both commands and the keys they use", "[curve][docs]") {
  const std::string page = commsim::test::read_text(commsim::test::source_path("docs/curves.md"));
  for (const char* expected : {"commsim curve", "commsim headroom", "--replicates", "--tolerance", "--target",
                               "run.demand_multiplier", "facility.capital_cost_yuan_per_m2", "facility.capital_life_years",
                               "/curve/marginal", "/headroom", "bend", "mpirun", "--resume"}) {
    INFO(expected);
    CHECK(page.find(expected) != std::string::npos);
  }
}
