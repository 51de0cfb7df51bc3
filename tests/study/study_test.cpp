// Studies (issue 6): design expansion, key validation, paired statistics, the runner's output,
// crash-safe resume, replay, optimize and the MPI result serializer; the sensitivity designs
// (issue 17): morris and sobol expansion, seeds per group, the /sensitivity tables, resume.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
#include "sim/scenario/load.hpp"
#include "sim/optimize/optimize.hpp"
#include "sim/study/runner.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/sensitivity/sensitivity.hpp"
#include "sim/study/sensitivity_study.hpp"
#include "sim/study/study.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using namespace commsim;
using commsim::test::TempDir;

namespace {

const std::string kSource = COMMSIM_SOURCE_DIR;
// The tests city: 2 census districts, so that a few communities cover them.
const std::string kBaseline = kSource + "/tests/data/good/small-city.yaml";
const std::string kSmallStudy = kSource + "/tests/data/study-small.yaml";
const std::string kMorrisStudy = kSource + "/tests/data/study-morris.yaml";  // 2 parameters, 3 trajectories, 2 replicates
const std::string kSobolStudy = kSource + "/tests/data/study-sobol.yaml";    // 2 parameters, N = 4, 1 replicate


// A study text on the baseline (absolute base path) with a tiny city.
std::string tiny_study(const std::string& body) {
  return "base: " + kBaseline +
         "\nset: [city.generator.communities=3, run.days=14, run.daily_output=false]\n" + body;
}

int shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// h5diff over every dataset and attribute, except the bookkeeping (wall times, ranks, hosts).
bool same_datasets(const std::string& a, const std::string& b) {
  return shell("h5diff -q --exclude-path /study/bookkeeping '" + a + "' '" + b + "' > /dev/null 2>&1") == 0;
}

}  // namespace

TEST_CASE("grid design expands the full factorial, first axis slowest", "[study]") {
  const Study st = parse_study_text(tiny_study("axes:\n  staffing.rules.community_worker.per_10k: [10, 18]\n"
                                               "  sizing.households: {from: 1000, to: 3000, step: 1000}\n"
                                               "replicates: 4\n"),
                                    "/virtual/study.yaml");
  REQUIRE(st.design == "grid");
  REQUIRE(st.replicates == 4);
  REQUIRE(st.variants.size() == 6);
  REQUIRE(st.axes[1].values == std::vector<std::string>{"1000", "2000", "3000"});
  CHECK(st.variants[0].name == "per_10k=10, households=1000");
  CHECK(st.variants[2].name == "per_10k=10, households=3000");
  CHECK(st.variants[3].name == "per_10k=18, households=1000");
  CHECK(st.variants[5].overrides() ==
        std::vector<std::string>{"staffing.rules.community_worker.per_10k=18", "sizing.households=3000"});
  CHECK(st.base_overrides.size() == 3);
  CHECK(st.metrics == std::vector<std::string>{"coverage", "mean_wait_min"});
}

TEST_CASE("range axes: fractional steps print cleanly and include the end", "[study]") {
  const Study st = parse_study_text(tiny_study("axes:\n  run.coverage_target: {from: 0.1, to: 0.5, step: 0.1}\n"),
                                    "/virtual/study.yaml");
  CHECK(st.axes[0].values == std::vector<std::string>{"0.1", "0.2", "0.3", "0.4", "0.5"});
}

TEST_CASE("variants design takes named maps", "[study]") {
  const Study st = parse_study_text(tiny_study("design: variants\nvariants:\n"
                                               "  - {name: norm, staffing.rules.community_worker.per_10k: 18}\n"
                                               "  - {staffing.rules.community_worker.per_10k: 10, sizing.mode: uniform}\n"),
                                    "/virtual/study.yaml");
  REQUIRE(st.variants.size() == 2);
  CHECK(st.variants[0].name == "norm");
  CHECK(st.variants[1].name == "per_10k=10, mode=uniform");
  CHECK(st.axis_keys.size() == 2);
}

TEST_CASE("Latin hypercube: every axis has one sample per stratum", "[study]") {
  const int n = 12;
  const Study st = parse_study_text(tiny_study("design: {type: lhs, samples: 12, seed: 7}\naxes:\n"
                                               "  staffing.rules.community_worker.per_10k: {from: 8, to: 30}\n"
                                               "  run.coverage_target: {from: 0.5, to: 0.95}\n"),
                                    "/virtual/study.yaml");
  REQUIRE(st.variants.size() == static_cast<size_t>(n));
  for (const auto& axis : st.axes) {
    std::set<int> strata;
    for (const auto& v : axis.values) {
      const double x = std::stod(v);
      REQUIRE(x >= axis.from);
      REQUIRE(x < axis.to);
      strata.insert(static_cast<int>(std::floor((x - axis.from) / (axis.to - axis.from) * n)));
    }
    CHECK(strata.size() == static_cast<size_t>(n));
  }
  // Same seed, same design.
  const Study again = parse_study_text(st.text, "/virtual/study.yaml");
  CHECK(again.axes[0].values == st.axes[0].values);
}

TEST_CASE("an unknown axis key is an InputError at the study file's line naming the key", "[study]") {
  TempDir dir;
  const std::string path = dir.write("bad.yaml", tiny_study("axes:\n  staffing.rules.community_worker.per_10kk: [10, 18]\n"));
  try {
    (void)plan_study(path);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(e.pos().file == path);
    CHECK(e.pos().line == 4);
    CHECK(e.key() == "staffing.rules.community_worker.per_10kk");
    CHECK(std::string(e.what()).find("per_10k") != std::string::npos);
  }
  const std::string typo = dir.write("typo.yaml", tiny_study("axis:\n  run.days: [1]\n"));
  CHECK_THROWS_AS(plan_study(typo), InputError);
  const std::string bad_value = dir.write("value.yaml", tiny_study("axes:\n  sizing.mode: [uniform, sideways]\n"));
  CHECK_THROWS_AS(plan_study(bad_value), InputError);
}

TEST_CASE("serializer round trip", "[study]") {
  const Scenario sc = load_scenario(kBaseline, {"city.generator.communities=2", "run.days=7", "sizing.mode=restructure"});
  const RunResult run = run_replicate(sc, 1);
  REQUIRE(!run.daily.demand.empty());
  const std::vector<uint8_t> bytes = serialize_run(run);
  const RunResult back = deserialize_run(bytes);
  CHECK(serialize_run(back) == bytes);
  CHECK(back.replicate == run.replicate);
  CHECK(back.seed == run.seed);
  CHECK(back.communities.size() == run.communities.size());
  CHECK(back.communities[0].name == run.communities[0].name);
  CHECK(back.communities[0].staff == run.communities[0].staff);
  CHECK(back.daily.wait_p90_min == run.daily.wait_p90_min);
  CHECK(back.citywide[3].coverage == run.citywide[3].coverage);
  CHECK(back.citywide_roles[0].name == run.citywide_roles[0].name);
  CHECK(back.wait_hist[0].counts == run.wait_hist[0].counts);
  CHECK(back.years.size() == run.years.size());
  CHECK(back.cost_per_served_yuan == run.cost_per_served_yuan);
  // Every column of the results schema survives the round trip.
  CHECK(compare_runs(run, back).empty());
  CHECK_THROWS_AS(deserialize_run(bytes.data(), bytes.size() - 3), RuntimeFailure);
  // Written to HDF5, both give the same datasets.
  TempDir dir;
  for (const auto* r : {&run, &back}) {
    Hdf5Output out(dir.file(r == &run ? "a.h5" : "b.h5"), false);
    out.write_run("/runs/0000", *r);
    out.commit();
  }
  CHECK(same_datasets(dir.file("a.h5"), dir.file("b.h5")));
}

TEST_CASE("study output: run table, variants, summary, and pairing narrows the difference CI", "[study]") {
  TempDir dir;
  const StudyPlan paired = plan_study(kSmallStudy);
  REQUIRE(paired.runs() == 12);
  CHECK(paired.base_variant == 3);  // per_10k 18 (the norm) and households 3500 (sizing default) = the base
  StudyRunOptions options;
  options.output = dir.file("paired.h5");
  options.threads = 2;
  const StudyOutcome a = run_study(paired, options);
  REQUIRE(is_complete_output(options.output));
  CHECK(read_root_string_attribute(options.output, "kind") == "study");
  CHECK(read_int_dataset(options.output, "/study/variant") == std::vector<int64_t>{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3});
  CHECK(read_int_dataset(options.output, "/study/replicate") == std::vector<int64_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2});
  // No object is named after data: axis keys are entries of /study/axis_names.
  const auto axis_names = read_string_dataset(options.output, "/study/axis_names");
  REQUIRE(axis_names == std::vector<std::string>{"staffing.rules.community_worker.per_10k", "sizing.households"});
  CHECK(read_double_dataset(options.output, "/study/axis_numbers")[4 * 2 + 1] == 3500);  // run 4, axis 1
  CHECK(read_string_dataset(options.output, "/study/axis_values")[4 * 2 + 1] == "3500");
  CHECK(read_string_dataset(options.output, "/study/variants/name")[3] == "per_10k=18, households=3500");
  CHECK(read_attribute_text(options.output, "/runs/0007", "variant") == "2");
  CHECK(read_attribute_text(options.output, "/runs/0007", "replicate") == "1");
  const auto metrics = read_string_dataset(options.output, "/study/summary/metric_names");
  CHECK(read_double_dataset(options.output, "/study/summary/mean").size() == metrics.size() * 4 * a.summary.services.size());

  const StudyPlan independent = plan_study(kSmallStudy, {}, true);
  CHECK(independent.scenarios[1].run.seed != independent.scenarios[0].run.seed);
  options.output = dir.file("independent.h5");
  const StudyOutcome b = run_study(independent, options);
  // Variant 1 changes only the community workers' staffing (per_10k 6 against the base's 18, the
  // same community size): paired on seeds, the services other roles serve see the same residents
  // and requests, so their difference is exactly zero with a zero-width CI — the noise pairing
  // removes; run on independent seeds the same differences are noise with a positive width.
  const MetricSummary& pa = a.summary.metrics[0];
  const MetricSummary& ia = b.summary.metrics[0];
  REQUIRE(pa.metric == "coverage");
  const Scenario& base = paired.scenarios[0];
  double independent_width = 0;
  int other_role_services = 0;
  for (size_t s = 0; s < pa.diff[1].size(); ++s) {
    if (base.services[s].role == "community_worker") continue;
    ++other_role_services;
    INFO(base.services[s].name);
    CHECK(pa.diff[1][s].mean == 0);
    CHECK(pa.diff[1][s].half_width == 0);
    independent_width += ia.diff[1][s].half_width;
  }
  CHECK(other_role_services >= 4);
  CHECK(independent_width > 0);
  // Base variant differences are exactly zero when paired.
  CHECK(pa.diff[3][0].mean == 0);
  CHECK(pa.diff[3][0].half_width == 0);
}

TEST_CASE("the base variant is the one equal to the base scenario", "[study]") {
  TempDir dir;
  const std::string path = dir.write("s.yaml", tiny_study("axes:\n  staffing.rules.community_worker.per_10k: [10, 18, 26]\n"));
  CHECK(plan_study(path).base_variant == 1);
}

TEST_CASE("resume after a crash gives the same datasets as an uninterrupted study, and replay reproduces", "[study]") {
  TempDir dir;
  const std::string bin = COMMSIM_BINARY;
  const std::string clean = dir.file("clean.h5"), crashed = dir.file("crashed.h5");
  REQUIRE(shell("'" + bin + "' study '" + kSmallStudy + "' -o '" + clean + "' --threads 2 --quiet") == 0);
  REQUIRE(shell(std::string(kAbortAfterEnv) + "=5 '" + bin + "' study '" + kSmallStudy + "' -o '" + crashed +
                "' --threads 2 --quiet") == 99);
  REQUIRE(fs::exists(crashed + ".partial"));
  REQUIRE(!fs::exists(crashed));
  // A changed study (here: a different --set) refuses to resume.
  REQUIRE(shell("'" + bin + "' study '" + kSmallStudy + "' -o '" + crashed + "' --resume --set run.days=20 --quiet 2>/dev/null") == 2);
  REQUIRE(shell("'" + bin + "' study '" + kSmallStudy + "' -o '" + crashed + "' --resume --threads 2 --quiet") == 0);
  REQUIRE(fs::exists(crashed));
  REQUIRE(!fs::exists(crashed + ".partial"));
  CHECK(same_datasets(clean, crashed));
  // Runs 0..4 were computed before the crash, the rest after.
  CHECK(read_int_dataset(crashed, "/study/status") == std::vector<int64_t>(12, 1));

  CHECK(shell("'" + bin + "' replay '" + crashed + "' 7 --threads 2 > /dev/null") == 0);
  CHECK(shell("'" + bin + "' replay '" + crashed + "' 12 > /dev/null 2>&1") == 2);
}

// Issue 22 item 12: with stderr a file, a study is not silent (--quiet drops the table only): a
// progress line of its own every COMMSIM_PROGRESS_SECONDS (5 s by default), no carriage returns.
TEST_CASE("a study with stderr redirected to a file prints progress lines, --quiet included", "[study][cli]") {
  TempDir dir;
  const std::string bin = COMMSIM_BINARY, out = dir.file("s.h5"), err = dir.file("err.txt"), text = dir.file("out.txt");
  REQUIRE(shell("COMMSIM_PROGRESS_SECONDS=0 '" + bin + "' study '" + kSmallStudy + "' -o '" + out +
                "' --threads 2 --quiet > '" + text + "' 2> '" + err + "'") == 0);
  const std::string progress = commsim::test::read_text(err);
  INFO(progress);
  CHECK(progress.find("commsim study ") != std::string::npos);
  CHECK(progress.find("[1/") != std::string::npos);
  CHECK(progress.find(" runs, ") != std::string::npos);
  CHECK(progress.find('\r') == std::string::npos);
  CHECK(commsim::test::read_text(text).empty());  // --quiet: no table
}

TEST_CASE("commsim run marks its output kind=run and replay reproduces a single run", "[study]") {
  TempDir dir;
  const std::string bin = COMMSIM_BINARY, out = dir.file("run.h5");
  REQUIRE(shell("'" + bin + "' run '" + kBaseline + "' --set city.generator.communities=2 --set run.days=7 "
                "--set run.replicates=2 --threads 2 --quiet -o '" + out + "'") == 0);
  CHECK(read_root_string_attribute(out, "kind") == "run");
  CHECK(shell("'" + bin + "' replay '" + out + "' 1 > /dev/null") == 0);
}

TEST_CASE("optimize: the least per_10k reaches the target and one step less does not", "[study]") {
  const Scenario sc = load_scenario(kBaseline, {"city.generator.communities=3", "run.days=21", "run.daily_output=false",
                                                "staffing.rules.gp.min=0"});
  OptimizeRequest rq;
  rq.role = "gp";
  rq.service = "chronic_followup";
  rq.target = 0.9;
  rq.min = 0;
  rq.max = 40;
  const OptimizeResult r = optimize_staffing(sc, rq);
  REQUIRE(r.parameter == "per_10k");
  REQUIRE(r.reachable);
  REQUIRE(r.value > 0);
  auto coverage = [&](double v) {
    const Scenario s = load_scenario_text(sc.resolved_yaml, "x", ".", r.overrides_for(v));
    return run_replicate(s, 0).citywide[static_cast<size_t>(sc.service_index("chronic_followup"))].coverage;
  };
  CHECK(coverage(r.value) >= 0.9);
  CHECK(coverage(r.value - 1) < 0.9);

  rq.per_community = true;
  rq.max = 20;
  const OptimizeResult pc = optimize_staffing(sc, rq);
  REQUIRE(pc.communities.size() == 3);
  for (const auto& c : pc.communities) {
    INFO(c.name << " least " << c.least_staff << " coverage " << c.coverage << " one less " << c.coverage_one_less);
    REQUIRE(c.least_staff >= 0);
    CHECK(c.coverage >= 0.9);
    if (c.least_staff > 0) CHECK(c.coverage_one_less < 0.9);
  }
}

TEST_CASE("docs/study-reference.md is generated from the study file's schema", "[study][docs]") {
  const std::string generated = study_reference_markdown();
  const std::string committed = commsim::test::read_text(kSource + "/docs/study-reference.md");
  if (committed != generated) {
    // Regenerate with: COMMSIM_WRITE_DOCS=1 ./build/tests/commsim_tests "[docs]"
    if (std::getenv("COMMSIM_WRITE_DOCS")) commsim::test::write_text(kSource + "/docs/study-reference.md", generated);
  }
  CHECK(committed == generated);
}

TEST_CASE("the shipped studies and the test study parse and plan", "[study]") {
  for (const std::string& file : {kSource + "/scenarios/studies/norms-grid.yaml", kSource + "/scenarios/studies/tutorial.yaml",
                                 kSmallStudy}) {
    INFO(file);
    const StudyPlan plan = plan_study(file);
    CHECK(plan.study.design == "grid");
    CHECK(plan.scenarios.size() == plan.study.variants.size());
    CHECK(plan.study.confidence == 0.95);
  }
}

TEST_CASE("every file in tests/data/bad-study throws InputError with its expected text", "[study][loader]") {
  const std::string dir = kSource + "/tests/data/bad-study/";
  std::istringstream expected(commsim::test::read_text(dir + "EXPECTED.tsv"));
  std::set<std::string> listed;
  for (std::string line; std::getline(expected, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    const std::string file = line.substr(0, tab);
    listed.insert(file);
    INFO(file);
    try {
      (void)plan_study(dir + file);
      FAIL("no error for " << file);
    } catch (const InputError& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(e.pos().file == dir + file);
      std::istringstream fragments(line.substr(tab + 1));
      for (std::string fragment; std::getline(fragments, fragment, '|');) CHECK(what.find(fragment) != std::string::npos);
    }
  }
  CHECK(listed.size() >= 20);
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".yaml") CHECK(listed.count(entry.path().filename().string()) == 1);
}

// ------------------------------------------------------------------ sensitivity designs (issue 17)

namespace {

// One outcome's value in every run of a study file, in run order (what its indices were computed from).
std::vector<double> stored_outcome(const std::string& path, const StudyPlan& plan, const SensitivityOutcome& o) {
  std::vector<double> y;
  for (int run = 0; run < plan.runs(); ++run) {
    const std::string group = run_group(run);
    if (o.service.empty()) {
      y.push_back(std::stod(read_attribute_text(path, group, o.metric)));
      continue;
    }
    const auto names = read_string_dataset(path, group + "/service_names");
    const auto column = read_double_dataset(path, group + "/citywide/services/" + o.metric);
    y.push_back(column.at(static_cast<size_t>(std::find(names.begin(), names.end(), o.service) - names.begin())));
  }
  return y;
}

// Equal, NaN equal to NaN (an index of an outcome that does not vary).
bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace

TEST_CASE("morris design: r (k + 1) points, one parameter moves per step, a trajectory shares its seed",
          "[study][sensitivity]") {
  const StudyPlan plan = plan_study(kMorrisStudy);
  const Study& st = plan.study;
  REQUIRE(st.design == "morris");
  const size_t k = 2, r = 3;
  REQUIRE(plan.scenarios.size() == r * (k + 1));
  CHECK(plan.runs() == 18);
  CHECK(st.variants[4].name == "trajectory 1, point 1");
  CHECK(st.sensitivity.outcomes == std::vector<std::string>{"coverage", "unmet_hours", "cost_total_yuan"});
  for (size_t t = 0; t < r; ++t)
    for (size_t m = 0; m < k; ++m) {
      const auto& before = st.variants[t * (k + 1) + m].values;
      const auto& after = st.variants[t * (k + 1) + m + 1].values;
      int moved = 0;
      for (size_t i = 0; i < k; ++i) moved += before[i].second != after[i].second;
      CHECK(moved == 1);
    }
  const size_t administration = static_cast<size_t>(plan.scenarios[0].service_index("administration"));
  for (size_t v = 0; v < plan.scenarios.size(); ++v) {
    const auto& u = st.sensitivity.unit_points()[v];
    CHECK(std::stod(st.variants[v].values[0].second) == Approx(6 + 18 * u[0]));
    const double rate = std::stod(st.variants[v].values[1].second);
    CHECK(rate == Approx(std::exp(std::log(4.0) * u[1])));  // log scale over 1 .. 4
    CHECK(plan.scenarios[v].services[administration].rate_per_year == Approx(rate));
    // The points of trajectory 0 share its seed; the other trajectories have seeds of their own.
    CHECK((plan.scenarios[v].run.seed == plan.scenarios[0].run.seed) == (v <= k));
  }
  CHECK(plan.scenarios[3].run.seed != plan.scenarios[6].run.seed);
  // Independent streams: every point its own seed.
  const StudyPlan independent = plan_study(kMorrisStudy, {}, true);
  std::set<uint64_t> seeds;
  for (const auto& sc : independent.scenarios) seeds.insert(sc.run.seed);
  CHECK(seeds.size() == independent.scenarios.size());
}

TEST_CASE("sobol design: N (k + 2) points, AB_i is A with parameter i from B, a base sample shares its seed",
          "[study][sensitivity]") {
  const StudyPlan plan = plan_study(kSobolStudy);
  const Study& st = plan.study;
  const size_t k = 2, n = 4;
  REQUIRE(plan.scenarios.size() == n * (k + 2));
  CHECK(st.variants[7].name == "sample 1, AB rate_per_year");
  for (size_t j = 0; j < n; ++j) {
    const auto& a = st.variants[j * (k + 2)].values;
    const auto& b = st.variants[j * (k + 2) + 1].values;
    for (size_t i = 0; i < k; ++i) {
      const auto& ab = st.variants[j * (k + 2) + 2 + i].values;
      for (size_t p = 0; p < k; ++p) CHECK(ab[p].second == (p == i ? b : a)[p].second);
    }
    for (size_t p = 0; p < k + 2; ++p)
      CHECK(plan.scenarios[j * (k + 2) + p].run.seed == plan.scenarios[j * (k + 2)].run.seed);
    if (j > 0) CHECK(plan.scenarios[j * (k + 2)].run.seed != plan.scenarios[0].run.seed);
  }
  for (const auto& v : st.variants) {
    const double per_10k = std::stod(v.values[0].second), rate = std::stod(v.values[1].second);
    CHECK(per_10k == std::floor(per_10k));  // integer: true
    CHECK(per_10k >= 6);
    CHECK(per_10k <= 24);
    CHECK(rate > 1);
    CHECK(rate < 4);
  }
}

namespace {

// A morris or sobol study run into a temporary folder: it must have written its indices under
// /sensitivity, with the given attributes.
struct SensitivityStudyRun {
  StudyPlan plan;
  std::string file;
  StudyOutcome outcome;
};

SensitivityStudyRun run_sensitivity_study(const std::string& study, const TempDir& dir, int threads,
                                          const std::vector<std::pair<std::string, std::string>>& attributes) {
  SensitivityStudyRun run{plan_study(study), dir.file(fs::path(study).stem().string() + ".h5"), {}};
  StudyRunOptions options;
  options.output = run.file;
  options.threads = threads;
  run.outcome = run_study(run.plan, options);
  REQUIRE(run.outcome.sensitivity);
  CHECK(read_attribute_text(run.file, "/sensitivity", "method") == run.plan.study.design);
  for (const auto& [name, value] : attributes) CHECK(read_attribute_text(run.file, "/sensitivity", name) == value);
  return run;
}

}  // namespace

TEST_CASE("a morris study writes /sensitivity: the estimators on the stored runs, the noise split, exact zeros",
          "[study][sensitivity]") {
  TempDir dir;
  const SensitivityStudyRun run = run_sensitivity_study(kMorrisStudy, dir, 2, {{"trajectories", "3"}, {"noise_split", "1"}});
  const StudyPlan& plan = run.plan;
  const std::string& f = run.file;
  const StudyOutcome& outcome = run.outcome;
  CHECK(read_string_dataset(f, "/sensitivity/parameter_names") == plan.study.axis_keys);
  CHECK(read_double_dataset(f, "/sensitivity/parameters/high") == std::vector<double>{24, 4});
  CHECK(read_int_dataset(f, "/sensitivity/parameters/log_scale") == std::vector<int64_t>{0, 1});
  CHECK(read_int_dataset(f, "/sensitivity/design/group") == std::vector<int64_t>{0, 0, 0, 1, 1, 1, 2, 2, 2});
  const std::vector<SensitivityOutcome> outcomes = sensitivity_outcomes(plan);
  const auto& services = plan.scenarios.front().services;
  REQUIRE(outcomes.size() == 2 * services.size() + 1);
  const auto names = read_string_dataset(f, "/sensitivity/outcome_names");
  REQUIRE(names.size() == outcomes.size());
  CHECK(names.front() == "coverage:" + services.front().name);
  CHECK(names.back() == "cost_total_yuan");
  CHECK(read_string_dataset(f, "/sensitivity/outcomes/unit").back() == "yuan");

  const auto mu_star = read_double_dataset(f, "/sensitivity/morris/mu_star");
  const auto mu = read_double_dataset(f, "/sensitivity/morris/mu");
  const auto sigma = read_double_dataset(f, "/sensitivity/morris/sigma");
  const auto lo = read_double_dataset(f, "/sensitivity/morris/mu_star_lo");
  const auto below = read_int_dataset(f, "/sensitivity/morris/below_noise");
  const auto point_noise = read_double_dataset(f, "/sensitivity/outcomes/point_noise_variance");
  const auto noise_level = read_double_dataset(f, "/sensitivity/outcomes/mu_star_noise_level");
  REQUIRE(mu_star.size() == outcomes.size() * 2);
  const SensitivitySpec& sp = plan.study.sensitivity;
  for (size_t o = 0; o < outcomes.size(); ++o) {
    INFO(outcomes[o].name());
    const std::vector<double> y = stored_outcome(f, plan, outcomes[o]);
    const auto indices = morris_indices(sp.morris_design, replicate_means(y, 9, 2), sp.bootstrap);
    const NoiseSplit noise = noise_split(y, 9, 2, sp.group);
    CHECK(same(point_noise[o], noise.point_noise_variance));
    CHECK(same(noise_level[o], morris_noise_mu_star(noise, sp.morris_design.delta)));
    for (size_t i = 0; i < 2; ++i) {
      CHECK(same(mu_star[o * 2 + i], indices[i].mu_star));
      CHECK(same(mu[o * 2 + i], indices[i].mu));
      CHECK(same(sigma[o * 2 + i], indices[i].sigma));
      CHECK(same(lo[o * 2 + i], indices[i].mu_star_ci.lo));
      CHECK((below[o * 2 + i] == 1) == below_noise(indices[i].mu_star_ci, noise_level[o]));
    }
  }
  // The city's cost does not depend on the administration's demand rate: under common random numbers
  // its elementary effects are exactly zero. The staffing ratio drives it, far above the noise.
  const size_t cost = outcomes.size() - 1;
  CHECK(mu_star[cost * 2 + 1] == 0);
  CHECK(mu_star[cost * 2] > 0);
  CHECK(mu[cost * 2] > 0);
  CHECK(below[cost * 2] == 0);
  CHECK(outcome.sensitivity->morris[cost * 2].mu_star == mu_star[cost * 2]);
  CHECK_THROWS_AS(read_double_dataset(f, "/sensitivity/sobol/first"), RuntimeFailure);
}

TEST_CASE("a sobol study writes /sensitivity: first and total indices of the stored runs, no noise split with one replicate",
          "[study][sensitivity]") {
  TempDir dir;
  const SensitivityStudyRun run = run_sensitivity_study(kSobolStudy, dir, 0, {{"base_samples", "4"}, {"noise_split", "0"}});
  const std::string& f = run.file;
  const StudyPlan& plan = run.plan;
  const std::vector<SensitivityOutcome> outcomes = sensitivity_outcomes(plan);
  CHECK(outcomes.back().metric == "cost_per_resident_yuan");
  const auto first = read_double_dataset(f, "/sensitivity/sobol/first");
  const auto total = read_double_dataset(f, "/sensitivity/sobol/total");
  const auto total_hi = read_double_dataset(f, "/sensitivity/sobol/total_hi");
  const auto variance = read_double_dataset(f, "/sensitivity/outcomes/variance");
  REQUIRE(first.size() == outcomes.size() * 2);
  for (size_t o = 0; o < outcomes.size(); ++o) {
    INFO(outcomes[o].name());
    const SobolResult r = sobol_indices(stored_outcome(f, plan, outcomes[o]), 2, 4, plan.study.sensitivity.bootstrap);
    CHECK(same(variance[o], r.variance));
    for (size_t i = 0; i < 2; ++i) {
      CHECK(same(first[o * 2 + i], r.indices[i].first));
      CHECK(same(total[o * 2 + i], r.indices[i].total));
      CHECK(same(total_hi[o * 2 + i], r.indices[i].total_ci.hi));
    }
  }
  for (double v : read_double_dataset(f, "/sensitivity/outcomes/point_noise_variance")) CHECK(std::isnan(v));
  for (int64_t flag : read_int_dataset(f, "/sensitivity/sobol/total_below_noise")) CHECK(flag == 0);
  CHECK_THROWS_AS(read_double_dataset(f, "/sensitivity/morris/mu_star"), RuntimeFailure);
}

TEST_CASE("morris and sobol studies resumed after a crash give the same file, indices included", "[study][sensitivity]") {
  const std::string bin = COMMSIM_BINARY;
  for (const std::string& study : {kMorrisStudy, kSobolStudy}) {
    INFO(study);
    TempDir dir;
    const std::string clean = dir.file("clean.h5"), crashed = dir.file("crashed.h5");
    const std::string json = dir.file("clean.json");
    REQUIRE(shell("'" + bin + "' study '" + study + "' -o '" + clean + "' --threads 2 --quiet --summary-json '" + json + "'") == 0);
    // --summary-json's "sensitivity" carries the file's indices (the ranking column of its design).
    const nlohmann::json j = nlohmann::json::parse(std::ifstream(json));
    const nlohmann::json& sens = j.at("sensitivity");
    const bool morris = study == kMorrisStudy;
    CHECK(sens.at("method") == (morris ? "morris" : "sobol"));
    const auto index = read_double_dataset(clean, morris ? "/sensitivity/morris/mu_star" : "/sensitivity/sobol/total");
    const auto names = read_string_dataset(clean, "/sensitivity/outcome_names");
    REQUIRE(sens.at("outcomes").size() == names.size());
    for (size_t o = 0; o < names.size(); ++o) {
      CHECK(sens["outcomes"][o].at("outcome") == names[o]);
      for (size_t i = 0; i < 2; ++i) {
        const nlohmann::json& v = sens["outcomes"][o]["indices"][i].at(morris ? "mu_star" : "total");
        if (std::isnan(index[o * 2 + i])) CHECK(v.is_null());
        else CHECK(v.get<double>() == Approx(index[o * 2 + i]).epsilon(1e-9));
      }
    }
    REQUIRE(shell(std::string(kAbortAfterEnv) + "=5 '" + bin + "' study '" + study + "' -o '" + crashed +
                  "' --threads 1 --quiet") == 99);
    REQUIRE(!fs::exists(crashed));
    REQUIRE(shell("'" + bin + "' study '" + study + "' -o '" + crashed + "' --resume --threads 2 --quiet") == 0);
    CHECK(same_datasets(clean, crashed));
    CHECK(read_string_dataset(crashed, "/sensitivity/parameter_names").size() == 2);
  }
}

TEST_CASE("a bad sensitivity design exits with status 2 and writes nothing", "[study][sensitivity]") {
  TempDir dir;
  const std::string bin = COMMSIM_BINARY, out = dir.file("out.h5");
  const std::string bad = kSource + "/tests/data/bad-study/23-sobol-samples-not-power-of-two.yaml";
  CHECK(shell("'" + bin + "' study '" + bad + "' -o '" + out + "' --quiet 2>/dev/null") == 2);
  CHECK(!fs::exists(out));
  CHECK(!fs::exists(out + ".partial"));
  // outcomes: [] means the headline outcomes.
  const Study st = parse_study_text(tiny_study("design: {type: sobol, samples: 2}\noutcomes: []\naxes:\n"
                                               "  run.coverage_target: {low: 0.5, high: 0.9}\n"),
                                    "/virtual/study.yaml");
  CHECK(st.sensitivity.outcomes == default_sensitivity_outcomes());
}

TEST_CASE("the shipped sensitivity study: morris over 12 or more parameters, staffing ratio and community size among them",
          "[study][sensitivity][slow]") {  // 46 s under the sanitizers
  const StudyPlan plan = plan_study(kSource + "/scenarios/studies/sensitivity.yaml");
  const Study& st = plan.study;
  CHECK(st.design == "morris");
  CHECK(st.axis_keys.size() >= 12);
  for (const std::string key : {"staffing.rules.community_worker.per_10k", "sizing.households"})
    CHECK(std::count(st.axis_keys.begin(), st.axis_keys.end(), key) == 1);
  CHECK(st.replicates >= 2);
  CHECK(st.sensitivity.outcomes == default_sensitivity_outcomes());
}
