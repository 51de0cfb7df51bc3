// Studies (issue 6): design expansion, key validation, paired statistics, the runner's output,
// crash-safe resume, replay, optimize and the MPI result serializer.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/scenario/load.hpp"
#include "sim/study/optimize.hpp"
#include "sim/study/runner.hpp"
#include "sim/metrics/result_schema.hpp"
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
