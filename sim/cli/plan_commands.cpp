// The planning commands (issue 28, docs/planning.md): `commsim allocate` (where N extra workers go)
// and `commsim pareto` (the trade-off between outcomes over levers).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <thread>

#include "commsim/version.hpp"
#include "sim/cli/cli.hpp"
#include "sim/core/error.hpp"
#include "sim/core/json.hpp"
#include "sim/engine/thread_cap.hpp"
#include "sim/io/text_file.hpp"
#include "sim/plan/allocate.hpp"
#include "sim/plan/outcomes.hpp"
#include "sim/plan/pareto.hpp"
#include "sim/scenario/load.hpp"
#include "sim/study/runner.hpp"

namespace commsim::cli {

namespace {

const SourcePos kCli{"command line", 0, 0};
constexpr double kNone = std::numeric_limits<double>::quiet_NaN();  // null in JSON

std::string allocate_json(const AllocateResult& r) {
  Json communities = Json::array();
  for (const auto& c : r.communities)
    communities.push_back({{"name", c.name}, {"district", c.district}, {"residents", c.residents},
                           {"staff_before", c.staff_before}, {"added", c.added}, {"proportional", c.proportional},
                           {"objective_before", json_figure(c.objective_before)},
                           {"objective_after", json_figure(c.objective_after)}});
  auto arm = [](const CheckArm& a) {
    return Json{{"mean", json_figure(a.mean.mean)}, {"ci", json_figure(a.mean.half_width)}, {"values", a.values}};
  };
  Json j = {{"role", r.role}, {"objective", r.objective}, {"service", r.service}, {"added", r.added},
            {"levels", r.levels}, {"city_runs", r.city_runs},
            {"search", {{"before", json_figure(r.search_before)}, {"allocation", json_figure(r.search_after)},
                        {"proportional", json_figure(r.search_proportional)}}},
            {"check", {{"seed", r.check_seed}, {"base", arm(r.check_base)}, {"proportional", arm(r.check_proportional)},
                       {"allocation", arm(r.check_allocation)}, {"gain", json_figure(r.gain.mean)},
                       {"gain_ci", json_figure(r.gain.half_width)}, {"replicates", r.gain.n}}},
            {"communities", std::move(communities)}};
  if (r.coverage_floor >= 0 || r.max_gini >= 0)
    j["equity"] = {{"coverage_floor", json_figure(r.coverage_floor >= 0 ? r.coverage_floor : kNone)},
                   {"max_gini", json_figure(r.max_gini >= 0 ? r.max_gini : kNone)}, {"gini_before", json_figure(r.gini_before)},
                   {"gini_after", json_figure(r.gini_after)}, {"below_floor", r.below_floor}, {"met", r.equity_met}};
  return json_text(j);
}

// The command that runs the written file: the scenario with the other --set keys, no generator.
std::string rerun_command(const std::string& scenario, const std::vector<std::string>& overrides, const std::string& file) {
  std::string line = "commsim run " + scenario;
  for (const auto& o : overrides)
    if (o.rfind("city.generator.communities=", 0) != 0) line += " --set " + o;
  return line + " --set city.generator.communities=0 --set city.communities_file=" + file;
}

void print_allocation(const AllocateResult& r, const std::string& file, const std::string& rerun, double wall_s) {
  std::printf("allocate %d %s by %s%s: %d levels, %d city runs, %.1f s\n", r.added, r.role.c_str(),
              r.objective.c_str(), r.service.empty() ? "" : (" of " + r.service).c_str(), r.levels, r.city_runs, wall_s);
  std::printf("  %-24s %8s %6s %6s %6s %12s %12s\n", "community", "residents", "staff", "added", "prop.",
              "before", "after");
  for (const auto& c : r.communities)
    if (c.added > 0 || c.proportional > 0)
      std::printf("  %s %8lld %6d %6d %6d %12.4g %12.4g\n", padded(c.name, 24).c_str(), static_cast<long long>(c.residents),
                  c.staff_before, c.added, c.proportional, c.objective_before, c.objective_after);
  std::printf("search streams: %s %.6g before, %.6g allocated, %.6g proportional\n", r.objective.c_str(),
              r.search_before, r.search_after, r.search_proportional);
  std::printf("check (seed %llu, %d replicates, never searched): base %.6g, proportional %.6g +- %.3g, "
              "allocation %.6g +- %.3g\n", static_cast<unsigned long long>(r.check_seed), r.gain.n,
              r.check_base.mean.mean, r.check_proportional.mean.mean, r.check_proportional.mean.half_width,
              r.check_allocation.mean.mean, r.check_allocation.mean.half_width);
  std::printf("gain over proportional: %.6g +- %.3g (95 %%, paired)%s\n", r.gain.mean, r.gain.half_width,
              r.gain.mean - r.gain.half_width > 0 ? "" : "  (not distinguishable from 0)");
  if (r.coverage_floor >= 0 || r.max_gini >= 0)
    std::printf("equity (search streams): Gini of coverage %.4g -> %.4g%s, %d communities under the floor%s\n",
                r.gini_before, r.gini_after, r.max_gini >= 0 ? (" (cap " + std::to_string(r.max_gini) + ")").c_str() : "",
                r.below_floor, r.equity_met ? "" : "  NOT MET: no placement of these workers reaches it");
  std::printf("output: %s\nrun it:  %s\n", file.c_str(), rerun.c_str());
}

const char* const kAllocateUsage =
    "usage: commsim allocate SCENARIO --role ROLE --add N -o FILE.csv [--objective unmet_hours|coverage|gini]\n"
    "                        [--service S] [--replicates K] [--seed S] [--max-per-community M]\n"
    "                        [--coverage-floor F | --max-gini G] [--check-seed S2] [--check-replicates V]\n"
    "                        [--set key.path=value]... [--threads N] [--json]\n"
    "\nPlaces N extra workers of ROLE across the city's communities (docs/planning.md): greedy, each\n"
    "worker where the city's objective improves most, every community's gain from runs of the whole\n"
    "city at +1, +2, ... workers in every community on the same random streams (replicates 0..K-1 of\n"
    "the seed). Writes FILE.csv, a communities file (city.communities_file) with residents,\n"
    "staff.ROLE (after) and added.ROLE: `commsim run SCENARIO --set city.communities_file=FILE.csv`\n"
    "runs the allocation as it is. Then checks it on fresh streams (--check-seed, default seed + 1,\n"
    "never used in the search): the allocation against the same N spread in proportion to residents,\n"
    "paired replicate by replicate (95 % interval).\n"
    "  --objective       unmet_hours (default; hours over the run), coverage (served in time / demand) or\n"
    "                    gini (of community coverage); city totals over services unless --service\n"
    "  --coverage-floor  equity: workers go first to communities whose coverage is below F (0..1)\n"
    "  --max-gini        equity: only placements that keep the Gini of community coverage <= G\n"
    "  --json            print the result as JSON on stdout\n";

}  // namespace

int cmd_allocate(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv,
                            {"role", "add", "objective", "service", "replicates", "seed", "max-per-community",
                             "coverage-floor", "max-gini", "check-seed", "check-replicates", "output", "set", "threads"},
                            {"json"}, "allocate");
  const bool incomplete = a.positional.size() != 1 || !a.has("role") || !a.has("add") || !a.has("output");
  if (const auto status = usage_exit(a, incomplete, kAllocateUsage)) return *status;
  std::vector<std::string> overrides = a.sets;
  if (a.has("seed")) overrides.insert(overrides.begin(), "run.seed=" + a.get("seed"));
  AllocateRequest rq;
  rq.role = a.get("role");
  rq.add = static_cast<int>(a.integer("add", 0));
  if (a.integer("add", 0) < 0) throw InputError(kCli, "--add", "must be a number of workers >= 0, got " + a.get("add"));
  rq.objective = a.get("objective", "unmet_hours");
  rq.service = a.get("service");
  rq.replicates = static_cast<int>(a.integer("replicates", 1));
  rq.max_per_community = static_cast<int>(a.integer("max-per-community", -1));
  if (a.has("max-per-community") && rq.max_per_community < 1)
    throw InputError(kCli, "--max-per-community", "must be >= 1, got " + a.get("max-per-community"));
  rq.coverage_floor = a.number("coverage-floor", -1);
  rq.max_gini = a.number("max-gini", -1);
  if (a.has("coverage-floor") && rq.coverage_floor < 0) throw InputError(kCli, "--coverage-floor", "must be in 0..1");
  if (a.has("max-gini") && rq.max_gini < 0) throw InputError(kCli, "--max-gini", "must be in 0..1");
  rq.check_replicates = static_cast<int>(a.integer("check-replicates", 4));
  rq.check_seed = static_cast<uint64_t>(a.integer("check-seed", 0));
  const long long threads = a.integer("threads", 0);
  if (threads < 0 || threads > 1024) throw InputError(kCli, "--threads", "must be in 0..1024");
  const Scenario sc = load_scenario(a.positional[0], overrides);
  check_not_an_input("--output", a.get("output"), sc.input_files);
  const ThreadCap cap(static_cast<int>(threads), sc.run.threads);
  const auto start = std::chrono::steady_clock::now();
  const AllocateResult r = allocate_staff(a.positional[0], overrides, rq);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!study_writer()) return 0;  // under mpirun every rank computes the same allocation; rank 0 writes
  write_text_atomically(a.get("output"), r.communities_csv, "--output");
  if (a.has("json")) std::printf("%s\n", allocate_json(r).c_str());
  else print_allocation(r, a.get("output"), rerun_command(a.positional[0], overrides, a.get("output")), wall);
  return 0;
}

namespace {

const char* const kParetoUsage =
    "usage: commsim pareto SCENARIO --lever KEY=LOW:HIGH [--lever ...] --objectives a,b[,c]\n"
    "                      [--population P] [--generations G] [--replicates K] [--service S]\n"
    "                      [--robust D] [--seed S] [--set key.path=value]... [--threads N] [--json]\n"
    "                      [-o FILE.h5 [--force] [--resume]]\n"
    "\nThe trade-off between outcomes over levers (docs/planning.md): NSGA-II (pagmo2) over the box of\n"
    "the levers, each point run on replicates 0..K-1 of the same seed (common random numbers), its\n"
    "objectives the means over them. Prints the points no other point dominates, with the --set of\n"
    "each: `commsim run SCENARIO --set KEY=VALUE ...` reruns a point.\n"
    "  --lever KEY=LOW:HIGH  a number key of the scenario, LOW..HIGH within its schema range\n"
    "                        (integer keys are searched on whole numbers, others on 0.01 steps)\n"
    "  --objectives a,b[,c]  study outcomes (commsim study's metrics, cost_total_yuan, ...); without\n"
    "                        --service, unmet_hours, coverage and gini are city totals over services\n"
    "  --population P        NSGA-II population, a multiple of 4 in 8..10000 (default 8)\n"
    "  --generations G       1..10000 (default 3); points evaluated <= P x (G + 1)\n"
    "  --robust D            robust objectives: the 90th percentile (10th for coverage, access) over D\n"
    "                        draws of the registry's uncertainty (docs/parameters.md), 2..1000\n"
    "  -o FILE.h5            the front as an HDF5 file (/pareto; docs/output-format.md), written whole;\n"
    "                        every point computed goes to FILE.h5.evaluations as the search runs\n"
    "  --resume              continue an interrupted search (-o): its evaluated points are read back,\n"
    "                        not run, and the front is the one the uninterrupted search gives\n"
    "  --json                {\"front\": [{\"levers\": {...}, \"objectives\": {...}}], ...} on stdout\n";

std::string pareto_json(const ParetoResult& r) {
  Json front = Json::array();
  for (const auto& p : r.front) {
    Json levers = Json::object(), objectives = Json::object();
    for (size_t i = 0; i < p.levers.size(); ++i) levers[r.lever_keys[i]] = json_figure(p.levers[i]);
    for (size_t k = 0; k < p.objectives.size(); ++k) objectives[r.objectives[k]] = json_figure(p.objectives[k]);
    front.push_back({{"levers", std::move(levers)}, {"objectives", std::move(objectives)}, {"set", p.lever_sets}});
  }
  return json_text(Json{{"front", std::move(front)}, {"evaluations", r.evaluations},
                        {"evaluations_resumed", r.evaluations_resumed}, {"city_runs", r.city_runs},
                        {"replicates", r.replicates}, {"robust_draws", r.robust_draws}});
}

void print_front(const ParetoResult& r, double wall_s) {
  std::printf("pareto: %zu points on the front of %d evaluated (%d resumed; %d city runs, %.1f s); objectives: %s over %d replicate%s\n",
              r.front.size(), r.evaluations, r.evaluations_resumed, r.city_runs, wall_s,
              r.robust_draws > 0 ? ("90th percentile (10th where better large) over " + std::to_string(r.robust_draws) +
                                    " draws of the registry of the mean").c_str() : "the mean",
              r.replicates, r.replicates == 1 ? "" : "s");
  for (const auto& p : r.front) {
    std::printf(" ");
    for (size_t k = 0; k < p.objectives.size(); ++k) std::printf(" %s %.10g", r.objectives[k].c_str(), p.objectives[k]);
    std::printf("  <-");
    for (const auto& s : p.lever_sets) std::printf(" --set %s", s.c_str());
    std::printf("\n");
  }
}

}  // namespace

int cmd_pareto(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"lever", "objectives", "population", "generations", "replicates", "service", "robust",
                                   "seed", "set", "threads", "output"},
                            {"json", "force", "resume"}, "pareto");
  const bool incomplete = a.positional.size() != 1 || !a.has("lever") || !a.has("objectives");
  if (const auto status = usage_exit(a, incomplete, kParetoUsage)) return *status;
  ParetoRequest rq;
  rq.scenario = a.positional[0];
  rq.overrides = a.sets;
  const Scenario sc = load_scenario(rq.scenario, rq.overrides);
  for (const auto& text : a.levers) rq.levers.push_back(parse_lever(text, rq.scenario, rq.overrides));
  rq.objectives = split_commas(a.get("objectives"));
  if (rq.objectives.size() < 2 || rq.objectives.size() > 3)
    throw InputError(kCli, "--objectives", "give 2 or 3 outcomes separated by commas, got '" + a.get("objectives") + "'");
  rq.service = a.get("service");
  check_service(sc, "--service", rq.service);
  for (const auto& o : rq.objectives) check_outcome("--objectives", o, rq.service);
  rq.population = static_cast<int>(a.integer("population", 8));
  rq.generations = static_cast<int>(a.integer("generations", 3));
  rq.replicates = static_cast<int>(a.integer("replicates", 1));
  if (rq.replicates < 1 || rq.replicates > 1000) throw InputError(kCli, "--replicates", "must be in 1..1000");
  rq.robust_draws = static_cast<int>(a.integer("robust", 0));
  if (a.has("robust") && (rq.robust_draws < 2 || rq.robust_draws > 1000))
    throw InputError(kCli, "--robust", "must be a number of draws in 2..1000, got " + a.get("robust"));
  rq.seed = static_cast<uint64_t>(a.integer("seed", 0));
  const long long threads = a.integer("threads", 0);
  if (threads < 0 || threads > 1024) throw InputError(kCli, "--threads", "must be in 0..1024");
  // Under mpirun the points are shared out among the ranks (pareto.hpp), each rank on its share
  // of the cores, and only rank 0 writes and prints.
  const int ranks = study_ranks();
  const int per_rank = static_cast<int>(std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(ranks)));
  const ThreadCap cap(threads > 0 || ranks == 1 ? static_cast<int>(threads) : per_rank, sc.run.threads);
  const auto start = std::chrono::steady_clock::now();
  if (a.has("resume") && !a.has("output")) throw InputError(kCli, "--resume", "continues a search written with -o FILE.h5");
  if (a.has("output")) {
    check_not_an_input("--output", a.get("output"), sc.input_files);
    std::error_code ec;
    if (std::filesystem::exists(a.get("output"), ec) && !a.has("force"))
      throw InputError(kCli, "--output", a.get("output") + " exists; use --force to overwrite");
    rq.evaluations_file = a.get("output") + ".evaluations";
    rq.resume = a.has("resume");
    evaluations_file_check(rq, a.has("force"));
  }
  RunProgress progress("commsim pareto");
  rq.progress = [&](int done, int total, int resumed) { progress.update(done, total, resumed); };
  const ParetoResult r = pareto_front(rq);
  progress.finish();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!study_writer()) return 0;
  if (a.has("output")) {
    std::vector<std::string> canonical;  // a resumed search's file names the command of the search
    for (const auto& word : argv)
      if (word != "--resume" && word != "--force") canonical.push_back(word);
    Provenance p{sc.name, sc.resolved_yaml, rq.scenario, sc.run.seed, kVersion, kGitCommit, command_line_text("pareto", canonical)};
    p.kind = "pareto";
    write_pareto_file(a.get("output"), a.has("force"), p, rq, r);
    std::error_code ec;
    std::filesystem::remove(rq.evaluations_file, ec);  // the front is written: the search is over
  }
  if (a.has("json")) std::printf("%s\n", pareto_json(r).c_str());
  else print_front(r, wall);
  return 0;
}

}  // namespace commsim::cli
