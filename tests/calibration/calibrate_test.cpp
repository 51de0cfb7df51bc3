// commsim calibrate (issue 16): recovers parameter values from targets the model produced itself
// (another seed), names a parameter the targets do not constrain, writes a calibrated scenario
// that extends the input and a complete calibration file, and resumes an interrupted calibration
// to the same result.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "sim/calibration/targets.hpp"
#include "sim/engine/engine.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/calibrate/calibrate.hpp"
#include "tests/reliability/process.hpp"
#include "tests/calibration/calibration_city.hpp"
#include "tests/support.hpp"

using namespace commsim;
namespace fs = std::filesystem;

namespace {

const char* const kCommunityShare = "services.medical.community_share";
const char* const kProgrammeShare = "services.chronic_followup.eligible.programme_share";

// Targets the model itself produces at known values (seed 99, two replicates): community health
// visits and chronic programme enrolment, each with a tolerance of 5 % of its value.
std::string model_targets(const std::vector<std::string>& truth) {
  std::vector<std::string> overrides = {"run.days=14", "run.seed=99", "run.replicates=2"};
  overrides.insert(overrides.end(), truth.begin(), truth.end());
  const Scenario sc = test::calibration_city(overrides);
  const TargetSet shipped = load_targets(test::source_path("scenarios/targets/xian.yaml"));
  TargetSet set;
  for (const auto& t : shipped.targets)
    if (t.name == "community_health_visits_per_resident_year" || t.name == "chronic_enrolled_share") set.targets.push_back(t);
  REQUIRE(set.targets.size() == 2);
  const auto checks = check_against(set, sc, run_scenario(sc));
  std::string yaml = "name: recovery\ntargets:\n";
  for (size_t i = 0; i < checks.size(); ++i) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "  %s:\n    observed: %.17g\n    tolerance: %.17g\n    source: \"assumption: produced by the model at "
                  "known values (recovery test)\"\n    measure: %s\n",
                  checks[i].name.c_str(), checks[i].simulated, 0.05 * checks[i].simulated, checks[i].measure.c_str());
    yaml += buf;
    yaml += set.targets[i].service.empty() ? "    services: [medical, chronic_followup]\n"
                                           : "    service: " + set.targets[i].service + "\n";
  }
  return yaml;
}

}  // namespace

TEST_CASE("calibrate: recovers known parameter values from the model's own targets (another seed)",
          "[calibration][calibrate][slow]") {  // 58 s under the sanitizers: the release suite runs it
  test::TempDir dir("calibrate");
  const double true_community = 0.45, true_programme = 0.35;
  const std::string targets = dir.write(
      "targets.yaml", model_targets({std::string(kCommunityShare) + "=0.45", std::string(kProgrammeShare) + "=0.35"}));

  CalibrationRequest req;
  req.scenario_file = test::source_path("tests/data/calibration-city.yaml");
  req.overrides = {"run.days=14"};  // the small city's own seed, 7
  req.targets_file = targets;
  req.free_keys = {kCommunityShare, kProgrammeShare, "services.administration.service_minutes"};
  req.replicates = 2;
  req.max_evals = 40;
  req.output = dir.file("calibrated.yaml");
  req.command_line = "test";
  const CalibrationResult r = calibrate(req);

  // Recovered within 0.03 of the truth (shares; the ranges are 0.8 and 0.9 wide), starting from the
  // scenario's values (0.3 and 0.3).
  REQUIRE(r.parameters.size() == 3);
  const Scenario start = test::calibration_city();
  CHECK(r.parameters[0].start == start.services[static_cast<size_t>(start.service_index("medical"))].community_share);
  CHECK(r.parameters[1].start ==
        start.services[static_cast<size_t>(start.service_index("chronic_followup"))].eligible.programme_share);
  CHECK(r.parameters[0].best == Approx(true_community).margin(0.03));
  CHECK(r.parameters[1].best == Approx(true_programme).margin(0.03));
  CHECK(r.distance_best < 1.0);  // both targets within a fifth of their tolerance, or so
  CHECK(r.distance_start > 10.0);  // the start is off by several tolerances
  for (const auto& c : r.best) CHECK(c.within);
  // Identifiability: the administration's service minutes move neither target.
  CHECK(r.parameters[0].constrained);
  CHECK(r.parameters[1].constrained);
  CHECK(!r.parameters[2].constrained);
  REQUIRE(r.unconstrained.size() == 1);
  CHECK(r.unconstrained[0] == "services.administration.service_minutes");
  CHECK(r.jacobian_rank == 2);
  CHECK_THAT(r.weakest_direction, Catch::Contains("services.administration.service_minutes"));
  CHECK(r.evaluations.size() == static_cast<size_t>(r.fit_evaluations) + 6);  // + 2 probes a free parameter

  // The calibrated scenario extends the input and gives the fitted values.
  const std::string yaml = test::read_text(req.output);
  CHECK_THAT(yaml, Catch::Contains("extends: "));
  CHECK_THAT(yaml, Catch::Contains("calibration-city.yaml"));
  const Scenario calibrated = load_scenario(req.output);
  CHECK(calibrated.services[static_cast<size_t>(calibrated.service_index("medical"))].community_share ==
        r.parameters[0].best);
  CHECK(calibrated.services[static_cast<size_t>(calibrated.service_index("chronic_followup"))].eligible.programme_share ==
        r.parameters[1].best);
  CHECK(calibrated.run.days == 28);  // run settings of --set stay out of the calibrated scenario
  // The calibration file: complete, every evaluation, the fit.
  REQUIRE(is_complete_output(r.h5_path));
  CHECK(read_root_string_attribute(r.h5_path, "kind") == "calibration");
  CHECK(read_double_dataset(r.h5_path, "/calibration/evaluations/distance").size() == r.evaluations.size());
  CHECK(read_string_dataset(r.h5_path, "/calibration/parameters/key") ==
        std::vector<std::string>{kCommunityShare, kProgrammeShare, "services.administration.service_minutes"});
  CHECK(read_double_dataset(r.h5_path, "/calibration/parameters/best")[1] == r.parameters[1].best);
  CHECK(std::stod(read_attribute_text(r.h5_path, "/calibration", "distance_best")) == Approx(r.distance_best));
  for (int e = 0; e < r.fit_evaluations; ++e) {
    char name[32];
    std::snprintf(name, sizeof name, "eval-%04d.h5", e);
    CHECK(is_complete_output((fs::path(r.runs_dir) / name).string()));
  }
}

// About 35 s under ASan: the release suite runs it ([slow]); the study resume tests cover resuming there.
TEST_CASE("calibrate: an interrupted calibration resumes to the same result", "[calibration][calibrate][cli][slow]") {
  test::TempDir dir("calibrate-resume");
  const std::string targets = dir.write("targets.yaml", model_targets({std::string(kProgrammeShare) + "=0.5"}));
  auto command = [&](const std::string& out, const std::string& extra) {
    return "exec '" + test::commsim_binary() + "' calibrate '" + test::source_path("tests/data/calibration-city.yaml") +
           "' --set run.days=7 --targets '" + targets + "' --free " + kProgrammeShare + " --replicates 1 --max-evals 8 -o '" +
           out + "' --quiet" + extra;
  };
  const test::Outcome whole = test::run_shell(command(dir.file("whole.yaml"), ""), dir.path(), dir.path());
  REQUIRE(whole.exit_code == 0);
  // Killed right after the first evaluation's run is flushed (before its study file is complete),
  // then resumed.
  const test::Outcome cut =
      test::run_shell("COMMSIM_STUDY_ABORT_AFTER=1 " + command(dir.file("cut.yaml"), ""), dir.path(), dir.path());
  CHECK(cut.exit_code == 99);
  CHECK(!fs::exists(dir.file("cut.yaml")));
  CHECK(!fs::exists(dir.file("cut.h5")));
  const test::Outcome again = test::run_shell(command(dir.file("cut.yaml"), ""), dir.path(), dir.path());
  CHECK(again.exit_code == 2);  // the interrupted calibration is in the way
  CHECK_THAT(again.err, Catch::Contains("--resume"));
  const test::Outcome resumed = test::run_shell(command(dir.file("cut.yaml"), " --resume"), dir.path(), dir.path());
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  for (const char* dataset : {"/calibration/evaluations/distance", "/calibration/evaluations/values",
                              "/calibration/parameters/best", "/calibration/targets_best/simulated"})
    CHECK(read_double_dataset(dir.file("cut.h5"), dataset) == read_double_dataset(dir.file("whole.h5"), dataset));
  // Replayed again with the later evaluations' files and the outputs gone (as if killed between
  // evaluations): the optimiser's path reads back the evaluations kept and recomputes the others.
  const fs::path runs = dir.path() / "cut.runs";
  size_t removed = 0;
  for (const auto& e : fs::directory_iterator(runs))
    if (e.path().filename().string() >= "eval-0003.h5") removed += fs::remove(e.path());
  CHECK(removed >= 2);
  fs::remove(dir.file("cut.yaml"));
  fs::remove(dir.file("cut.h5"));
  const test::Outcome replayed = test::run_shell(command(dir.file("cut.yaml"), " --resume"), dir.path(), dir.path());
  REQUIRE(replayed.exit_code == 0);
  CHECK(read_double_dataset(dir.file("cut.h5"), "/calibration/evaluations/distance") ==
        read_double_dataset(dir.file("whole.h5"), "/calibration/evaluations/distance"));
  // The calibrated scenarios differ only in the name of their calibration file.
  std::string a = test::read_text(dir.file("whole.yaml")), b = test::read_text(dir.file("cut.yaml"));
  for (auto* text : {&a, &b})
    for (const char* name : {"whole.h5", "cut.h5"})
      for (size_t at; (at = text->find(name)) != std::string::npos;) text->replace(at, std::string(name).size(), "OUT.h5");
  CHECK(a == b);
}

TEST_CASE("docs/calibration.md holds the calibration file's layout as generated", "[calibration][docs]") {
  const std::string path = test::source_path("docs/calibration.md");
  const std::string doc = test::read_text(path);
  const std::string begin = "<!-- BEGIN generated: calibration_file_markdown() -->\n", end = "<!-- END generated -->";
  const size_t a = doc.find(begin), b = doc.find(end);
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  const std::string committed = doc.substr(a + begin.size(), b - a - begin.size());
  const std::string generated = calibration_file_markdown();
  if (committed != generated && std::getenv("COMMSIM_WRITE_DOCS"))
    test::write_text(path, doc.substr(0, a + begin.size()) + generated + doc.substr(b));
  INFO("regenerate with COMMSIM_WRITE_DOCS=1 ./build/tests/commsim_tests \"[calibration][docs]\"");
  CHECK(committed == generated);
}
