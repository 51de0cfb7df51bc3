// commsim allocate and commsim pareto (issue 28, docs/planning.md): the allocation adds exactly N
// and runs as written, the greedy's composed city is the city run whole (communities independent),
// the front holds no dominated point and each point reruns to its objectives; bad input exits 2.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/metrics/summary.hpp"
#include "sim/plan/allocate.hpp"
#include "sim/plan/outcomes.hpp"
#include "sim/plan/pareto.hpp"
#include "sim/scenario/load.hpp"
#include "tests/support.hpp"

using namespace commsim;
using commsim::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kSmall = commsim::test::source_path("tests/data/good/small-city.yaml");

int shell(const std::string& line) {
  const int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The unmet hours of replicate 0 of the scenario with `overrides`, all services.
double unmet_hours(const std::vector<std::string>& overrides) {
  return run_outcome(run_replicate(load_scenario(kSmall, overrides), 0), "unmet_hours", "");
}

}  // namespace

TEST_CASE("pooled outcomes and dominance", "[plan]") {
  const std::vector<CommunityState> states = {{10, 8, 10}, {5, 2, 4}, {0, 0, 0}};
  CHECK(pooled_outcome(states, "unmet_hours") == Approx(15));
  CHECK(pooled_outcome(states, "coverage") == Approx(10.0 / 14));
  CHECK(pooled_outcome(states, "gini") == Approx(gini({0.8, 0.5})));  // communities with demand only
  CHECK(dominates({1, 2}, {1, 3}));
  CHECK_FALSE(dominates({1, 3}, {1, 3}));
  CHECK_FALSE(dominates({0, 4}, {1, 3}));
  CHECK(minimised("cost_total_yuan"));
  CHECK_FALSE(minimised("coverage"));
  CHECK_THROWS_AS(check_outcome("--objectives", "p90_wait_min", ""), InputError);  // a figure of one service
  CHECK_NOTHROW(check_outcome("--objectives", "p90_wait_min", "elderly_check_in"));
}

TEST_CASE("allocate adds exactly N, runs as written and the search's city is the city run whole", "[plan]") {
  TempDir dir;
  const std::vector<std::string> overrides = {"run.days=14"};
  AllocateRequest rq;
  rq.role = "community_worker";
  rq.add = 6;
  rq.max_per_community = 2;
  rq.check_replicates = 2;
  const AllocateResult r = allocate_staff(kSmall, overrides, rq);
  int added = 0, proportional = 0;
  for (const auto& c : r.communities) {
    added += c.added, proportional += c.proportional;
    CHECK(c.added <= 2);
  }
  CHECK(added == 6);
  CHECK(proportional == 6);
  CHECK(r.search_after < r.search_before);
  CHECK(r.search_after <= r.search_proportional);
  const std::string file = dir.write("allocation.csv", r.communities_csv);
  CHECK(r.communities_csv.find("residents") != std::string::npos);
  CHECK(r.communities_csv.find("added.community_worker") != std::string::npos);
  // The file as written, on the search's streams: the allocation's unmet hours, to the bit (each
  // community's figures came from different runs of the city, so this holds only if communities
  // are independent).
  const std::vector<std::string> file_city = {"run.days=14", "city.generator.communities=0", "city.communities_file=" + file};
  CHECK(unmet_hours(file_city) == r.search_after);
  CHECK(r.check_allocation.values.size() == 2);
  CHECK(r.gain.n == 2);
}

namespace {

AllocateRequest small_request(const std::string& objective, int add) {
  AllocateRequest rq;
  rq.role = "community_worker";
  rq.add = add;
  rq.objective = objective;
  rq.check_replicates = 2;
  return rq;
}

std::vector<double> coverages(const AllocateResult& r, bool after) {
  std::vector<double> out;
  for (const auto& c : r.communities) out.push_back(after ? c.objective_after : c.objective_before);
  return out;
}

}  // namespace

TEST_CASE("allocate's equity options: a coverage floor is served first, a Gini cap holds or is reported", "[plan]") {
  const std::vector<std::string> overrides = {"run.days=14", "city.generator.communities=6"};
  AllocateRequest rq = small_request("coverage", 2);
  const AllocateResult free = allocate_staff(kSmall, overrides, rq);
  std::vector<double> before = coverages(free, false);
  CHECK(free.equity_met);
  CHECK(free.gini_before == Approx(gini(before)));
  // A floor between the worst and the next community's coverage: only the worst is under it, so
  // the first worker goes there.
  std::vector<double> sorted = before;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(sorted[0] < sorted[1]);
  rq.add = 1;
  rq.coverage_floor = (sorted[0] + sorted[1]) / 2;
  const AllocateResult floor = allocate_staff(kSmall, overrides, rq);
  const size_t worst = static_cast<size_t>(std::min_element(before.begin(), before.end()) - before.begin());
  CHECK(floor.communities[worst].added == 1);
  CHECK(floor.below_floor == (floor.communities[worst].objective_after < rq.coverage_floor ? 1 : 0));
  // A Gini cap of the city's Gini before: met; a cap of 0 (every community alike): reported unmet,
  // every worker still placed.
  rq.add = 2;
  rq.coverage_floor = -1;
  rq.max_gini = free.gini_before;
  const AllocateResult capped = allocate_staff(kSmall, overrides, rq);
  CHECK(capped.gini_after <= rq.max_gini);
  CHECK(capped.gini_after == Approx(gini(coverages(capped, true))));
  CHECK(capped.equity_met);
  rq.max_gini = 0;
  const AllocateResult impossible = allocate_staff(kSmall, overrides, rq);
  CHECK_FALSE(impossible.equity_met);
  CHECK(impossible.gini_after > 0);
  int added = 0;
  for (const auto& c : impossible.communities) added += c.added;
  CHECK(added == 2);
}

TEST_CASE("allocate: a cap per community holds and --service counts that service only", "[plan]") {
  const std::vector<std::string> overrides = {"run.days=14", "city.generator.communities=5"};
  AllocateRequest rq = small_request("unmet_hours", 5);
  rq.max_per_community = 1;
  const AllocateResult capped = allocate_staff(kSmall, overrides, rq);
  for (const auto& c : capped.communities) CHECK(c.added == 1);  // 5 workers, 5 communities, at most 1 each
  rq.add = 1;
  rq.max_per_community = -1;
  const AllocateResult all = allocate_staff(kSmall, overrides, rq);
  rq.service = "elderly_check_in";
  const AllocateResult one = allocate_staff(kSmall, overrides, rq);
  CHECK(one.service == "elderly_check_in");
  double sum = 0;
  for (const auto& c : one.communities) sum += c.objective_before;
  CHECK(one.search_before == Approx(sum));
  CHECK(one.search_before < all.search_before);  // one service's unmet hours, not the city's
  CHECK(one.search_before > 0);
}

TEST_CASE("pareto: no point of the front dominates another and a point reruns to its objectives", "[plan]") {
  ParetoRequest rq;
  rq.scenario = kSmall;
  rq.overrides = {"run.days=14"};
  rq.levers = {parse_lever("staffing.rules.community_worker.per_10k=8:30", kSmall, rq.overrides)};
  rq.objectives = {"cost_total_yuan", "unmet_hours"};
  rq.population = 8;
  rq.generations = 1;
  const ParetoResult r = pareto_front(rq);
  REQUIRE(r.front.size() >= 2);
  for (const auto& a : r.front)
    for (const auto& b : r.front) CHECK_FALSE(dominates(a.objectives, b.objectives));
  std::vector<std::string> rerun = rq.overrides;
  for (const auto& s : r.front.front().lever_sets) rerun.push_back(s);
  const RunResult run = run_replicate(load_scenario(kSmall, rerun), 0);
  CHECK(run.cost_total_yuan == r.front.front().objectives[0]);
}

TEST_CASE("allocate and pareto: bad input exits 2 with a clear message and writes nothing", "[plan][cli]") {
  TempDir dir;
  const std::string bin = COMMSIM_BINARY, out = dir.file("a.csv"), err = dir.file("err.txt");
  const std::string tiny = " --set city.generator.communities=3 --set run.days=7";
  const std::string lever = " --lever staffing.rules.community_worker.per_10k=8:30";
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"allocate '" + kSmall + "' --role community_worker --add -1", "key '--add': must be a number of workers >= 0"},
      {"allocate '" + kSmall + "' --role nobody --add 2", "unknown role 'nobody'"},
      {"allocate '" + kSmall + "' --role community_worker --add 2 --objective speed", "unknown objective 'speed'"},
      {"allocate '" + kSmall + "' --role community_worker --add 9 --max-per-community 1", "do not fit 3 communities"},
      {"allocate '" + kSmall + "' --role community_worker --add 1 --service nope",
       "scenario has: elderly_home_care, elderly_day_care"},
      {"pareto '" + kSmall + "'" + lever + " --objectives cost_total_yuan,gini --service nope",
       "scenario has: elderly_home_care, elderly_day_care"},
      {"pareto '" + kSmall + "' --lever staffing.rules.community_worker.per_10k=-1:30 --objectives cost_total_yuan,gini",
       "outside the key's range [0, 10000]"},
      {"pareto '" + kSmall + "' --lever nokey=1:2 --objectives cost_total_yuan,gini", "'nokey' is not a number key"},
      {"pareto '" + kSmall + "'" + lever + " --objectives cost_total_yuan,speed", "unknown outcome 'speed'"},
      {"pareto '" + kSmall + "'" + lever + " --objectives cost_total_yuan", "give 2 or 3 outcomes"},
      {"pareto '" + kSmall + "'" + lever + " --objectives cost_total_yuan,gini --population 6", "multiple of 4 in 8..10000"},
      {"pareto '" + kSmall + "'" + lever + " --objectives cost_total_yuan,gini --generations 0", "key '--generations'"},
      {"pareto '" + kSmall + "'" + lever + " --objectives cost_total_yuan,gini --resume", "continues a search written with -o"},
  };
  for (const auto& c : cases) {
    INFO(c.args);
    const std::string output = c.args.rfind("allocate", 0) == 0 ? " -o '" + out + "'" : "";
    CHECK(shell("'" + bin + "' " + c.args + tiny + output + " > /dev/null 2> '" + err + "'") == 2);
    const std::string text = commsim::test::read_text(err);
    INFO(text);
    CHECK(text.find(c.message) != std::string::npos);
    CHECK(!fs::exists(out));
  }
  CHECK(shell("'" + bin + "' allocate --help > /dev/null") == 0);
  CHECK(shell("'" + bin + "' pareto --help > /dev/null") == 0);
}

TEST_CASE("pareto --resume after a crash gives the uninterrupted search's file and reads the points back", "[plan][cli]") {
  TempDir dir;
  const std::string bin = COMMSIM_BINARY;
  fs::create_directories(dir.file("full"));
  fs::create_directories(dir.file("cut"));
  const std::string args = " pareto '" + kSmall + "' --lever staffing.rules.community_worker.per_10k=8:30" +
                           " --objectives cost_total_yuan,unmet_hours --population 8 --generations 1" +
                           " --set city.generator.communities=3 --set run.days=14 --threads 1 -o front.h5 --json";
  const auto in = [&](const std::string& sub, const std::string& env, const std::string& extra) {
    return shell("cd '" + dir.file(sub) + "' && " + env + " '" + bin + "'" + args + extra + " > out.json 2> err.txt");
  };
  REQUIRE(in("full", "", "") == 0);
  // Killed once 5 points are computed (after the first population's batch of 8): no front, the
  // points on disk; a line the crash cut short is dropped.
  CHECK(in("cut", "COMMSIM_STUDY_ABORT_AFTER=5", "") == 99);
  CHECK_FALSE(fs::exists(dir.file("cut/front.h5")));
  const std::string log = dir.file("cut/front.h5.evaluations");
  REQUIRE(fs::exists(log));
  const std::string written = commsim::test::read_text(log);
  CHECK(std::count(written.begin(), written.end(), '\n') == 9);  // the header and 8 points
  commsim::test::write_text(log, written + "0x1.4p+3 0x1");
  CHECK(in("cut", "", "") == 2);
  CHECK(commsim::test::read_text(dir.file("cut/err.txt")).find("--resume continues it") != std::string::npos);
  CHECK(shell("cd '" + dir.file("cut") + "' && '" + bin + "'" + args +
              " --resume --objectives cost_total_yuan,gini > /dev/null 2> err.txt") == 2);
  CHECK(commsim::test::read_text(dir.file("cut/err.txt")).find("written for another search") != std::string::npos);
  REQUIRE(in("cut", "COMMSIM_PROGRESS_SECONDS=0", " --resume") == 0);
  // Progress on stderr (not a terminal: a line per update), the points read back counted apart.
  const std::string progress = commsim::test::read_text(dir.file("cut/err.txt"));
  INFO(progress);
  CHECK(progress.find("commsim pareto: [8/16 runs, 8 resumed") != std::string::npos);  // the first population read back
  const std::string full = commsim::test::read_text(dir.file("full/out.json"));
  const std::string resumed = commsim::test::read_text(dir.file("cut/out.json"));
  CHECK(resumed.find("\"evaluations_resumed\": 8") != std::string::npos);
  CHECK(full.substr(0, full.find("\"evaluations_resumed\"")) == resumed.substr(0, resumed.find("\"evaluations_resumed\"")));
  CHECK(shell("h5diff '" + dir.file("full/front.h5") + "' '" + dir.file("cut/front.h5") + "'") == 0);
  CHECK_FALSE(fs::exists(log));  // the search is over
}
