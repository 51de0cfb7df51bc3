// The experiment commands of `commsim` (issue 6, docs/studies.md): study, optimize, replay.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "commsim/version.hpp"
#include "sim/cli/cli.hpp"
#include "sim/core/error.hpp"
#include "sim/engine/thread_cap.hpp"
#include "sim/scenario/load.hpp"
#include "sim/optimize/optimize.hpp"
#include "sim/study/replay.hpp"
#include "sim/core/json.hpp"
#include "sim/study/runner.hpp"

namespace commsim::cli {

namespace {

const SourcePos kCli{"command line", 0, 0};

void print_study_table(std::FILE* out, const StudyPlan& plan, const StudyOutcome& o) {
  const StudySummary& s = o.summary;
  const std::string streams = plan.independent_streams ? "independent streams"
                              : o.sensitivity          ? "a seed per " +
                                                    std::string(plan.study.design == "morris" ? "trajectory" : "base sample") +
                                                    " (common random numbers within it)"
                              : s.paired               ? "paired streams (common random numbers)"
                                                       : "independent streams";
  std::fprintf(out, "study '%s': %zu variants x %d replicates = %d runs (%d computed, %d resumed), %s, "
               "base variant %d (%s)\n",
               plan.study.name.c_str(), plan.scenarios.size(), plan.study.replicates, o.runs_total, o.runs_computed,
               o.runs_resumed, streams.c_str(), s.base_variant, s.variant_names[static_cast<size_t>(s.base_variant)].c_str());
  const double pct = 100 * s.confidence;
  // A sensitivity design prints its indices instead of a row per design point.
  if (o.sensitivity) std::fputs(sensitivity_text(*o.sensitivity).c_str(), out);
  const std::vector<MetricSummary> none;
  for (const auto& m : o.sensitivity ? none : s.metrics) {
    const bool share = m.metric.find("coverage") != std::string::npos || m.metric == "p_wait" ||
                       m.metric.find("share") != std::string::npos;
    const double k = share ? 100.0 : 1.0;
    const char* unit = share ? "%" : (m.metric.find("_min") != std::string::npos ? " min" : "");
    std::fprintf(out, "\n%s%s: mean +- %.0f%% CI over replicates; diff = variant - base, per replicate (%s)%s\n",
                 m.metric.c_str(), share ? " (%)" : "", pct, s.paired ? "paired" : "unpaired streams",
                 s.paired ? "; unpaired CI shown for comparison" : "");
    for (size_t k2 = 0; k2 < s.services.size(); ++k2) {
      std::fprintf(out, "  %s\n", s.services[k2].c_str());
      for (size_t v = 0; v < s.variant_names.size(); ++v) {
        const MeanCI& x = m.value[v][k2];
        const MeanCI& d = m.diff[v][k2];
        std::fprintf(out, "    %-40s %9.3f +- %-7.3f", s.variant_names[v].c_str(), k * x.mean, k * x.half_width);
        if (static_cast<int>(v) == s.base_variant) std::fprintf(out, "   (base)\n");
        else
          std::fprintf(out, "   diff %+9.3f +- %-7.3f (unpaired +- %.3f)%s\n", k * d.mean, k * d.half_width,
                       k * m.diff_unpaired_half_width[v][k2], unit[0] ? "" : "");
      }
    }
  }
  std::fprintf(out, "\nwall time %.1f s on %d rank%s x %d thread%s\n", o.wall_s, o.ranks, o.ranks == 1 ? "" : "s",
               o.threads, o.threads == 1 ? "" : "s");
}

std::string study_json(const StudyPlan& plan, const StudyOutcome& o) {
  const StudySummary& s = o.summary;
  Json services = Json::object();
  for (size_t k = 0; k < s.services.size(); ++k) {
    Json rows = Json::array();
    for (size_t v = 0; v < s.variant_names.size(); ++v) {
      Json row = {{"variant", v}};
      for (const auto& m : s.metrics)
        row[m.metric] = {{"mean", json_figure(m.value[v][k].mean)},
                         {"ci", json_figure(m.value[v][k].half_width)},
                         {"diff", json_figure(m.diff[v][k].mean)},
                         {"diff_ci", json_figure(m.diff[v][k].half_width)},
                         {"diff_unpaired_ci", json_figure(m.diff_unpaired_half_width[v][k])}};
      rows.push_back(std::move(row));
    }
    services[s.services[k]] = std::move(rows);
  }
  Json j = {{"study", plan.study.name},
                   {"design", plan.study.design},
                   {"variants", plan.scenarios.size()},
                   {"replicates", plan.study.replicates},
                   {"paired", s.paired},
                   {"confidence", json_figure(s.confidence)},
                   {"base_variant", s.base_variant},
                   {"variant_names", s.variant_names},
                   {"services", std::move(services)}};
  if (o.sensitivity) j["sensitivity"] = sensitivity_json(*o.sensitivity);
  return json_text(j);
}

const char* kStudyHelp =
    "usage: commsim study STUDY.yaml -o OUT.h5 [--set key.path=value]... [--threads N] [--resume] [--force]\n"
    "                     [--independent-streams] [--summary-json FILE|-] [--quiet]\n"
    "\n"
    "Runs every (variant, replicate) of a study (docs/studies.md) and writes one HDF5 file. Finished runs\n"
    "are committed to OUT.h5.partial as they complete; --resume continues an interrupted study.\n"
    "Under mpirun/srun (MPI build) rank 0 hands out runs to the other ranks and writes the file.\n"
    "  --set key.path=value   override the base scenario (after the study's set:)\n"
    "  --norms FILE           a norm set for every variant (= --set norms=FILE; docs/norms.md)\n"
    "  --threads N            threads per rank (default: run.threads; under MPI cores / ranks on the node)\n"
    "  --independent-streams  every variant gets its own seed (unpaired; for comparison only)\n"
    "  --summary-json FILE    the summary as JSON (\"-\" = stdout)\n";

}  // namespace

int cmd_study(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"output", "threads", "set", "norms", "summary-json"},
                            {"resume", "force", "independent-streams", "quiet"}, "study");
  if (a.has("help")) {
    std::fputs(kStudyHelp, stdout);
    return 0;
  }
  if (a.positional.size() != 1) throw InputError(kCli, "STUDY", std::string("expected one study file\n") + kStudyHelp);
  if (!a.has("output")) throw InputError(kCli, "--output", "a study needs -o OUT.h5");
  const long long threads = a.integer("threads", 0);
  if (threads < 0 || threads > 1024) throw InputError(kCli, "--threads", "must be in 0..1024");
  const bool independent = a.has("independent-streams");
  const StudyPlan plan = plan_study(a.positional[0], a.sets, independent);

  StudyRunOptions options;
  options.output = a.get("output");
  options.force = a.has("force");
  options.resume = a.has("resume");
  options.threads = static_cast<int>(threads);
  options.command_line = command_line_text("study", argv);
  options.canonical_command = "commsim study " + a.positional[0];
  for (const auto& s : a.sets) options.canonical_command += " --set " + s;
  if (independent) options.canonical_command += " --independent-streams";
  RunProgress progress("commsim study " + plan.study.name);
  options.progress = [&progress](int done, int total, int skipped) { progress.update(done, total, skipped); };

  const StudyOutcome outcome = run_study(plan, options);
  progress.finish();
  if (!outcome.writer) return 0;
  const bool json_to_stdout = a.get("summary-json") == "-";
  if (!a.has("quiet")) {
    std::FILE* table = json_to_stdout ? stderr : stdout;
    print_study_table(table, plan, outcome);
    std::fprintf(table, "output: %s\n", options.output.c_str());
  }
  if (a.has("summary-json")) write_text(a.get("summary-json"), study_json(plan, outcome));
  return 0;
}

const char* const kOptimizeUsage =
    "usage: commsim optimize SCENARIO --role R --service S [--target 0.9] [--per-community]\n"
    "                        [--min N --max N] [--step X] [--replicates K] [--set key.path=value]...\n"
    "                        [--threads N]\n"
    "\nFinds the least staff of role R whose coverage of service S reaches the target: citywide by\n"
    "binary search on the role's per_10k value (or a fixed count per community when its rule is\n"
    "not per_10k_residents), or with --per-community the least fixed count for each community.\n"
    "Every candidate runs on the same random streams (replicates 0..K-1), so the search is exact.\n";

int cmd_optimize(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"role", "service", "target", "min", "max", "step", "set", "replicates", "threads"},
                            {"per-community"}, "optimize");
  const bool incomplete = a.positional.size() != 1 || !a.has("role") || !a.has("service");
  if (const auto status = usage_exit(a, incomplete, kOptimizeUsage)) return *status;
  const Scenario sc = load_scenario(a.positional[0], a.sets);
  OptimizeRequest rq;
  rq.role = a.get("role");
  rq.service = a.get("service");
  rq.target = a.number("target", 0.9);
  rq.per_community = a.has("per-community");
  rq.min = a.number("min", -1);
  rq.max = a.number("max", -1);
  rq.step = a.number("step", 1);
  rq.replicates = static_cast<int>(a.integer("replicates", 1));
  const long long threads = a.integer("threads", 0);
  if (threads < 0 || threads > 1024) throw InputError(kCli, "--threads", "must be in 0..1024");
  const ThreadCap cap(static_cast<int>(threads), sc.run.threads);

  const auto start = std::chrono::steady_clock::now();
  const OptimizeResult r = optimize_staffing(sc, rq);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("optimize %s: least %s staff for %s coverage >= %.1f%% (%d replicate%s, same streams)\n", sc.name.c_str(),
              rq.role.c_str(), rq.service.c_str(), 100 * rq.target, rq.replicates, rq.replicates == 1 ? "" : "s");
  if (!rq.per_community) {
    std::printf("  norm / scenario:  %s = %g -> %d staff, coverage %.2f%%\n", r.parameter.c_str(), r.norm_value,
                r.norm_staff, 100 * r.norm_coverage);
    if (r.reachable) {
      std::printf("  least reaching:   %s = %g -> %d staff, coverage %.2f%%", r.parameter.c_str(), r.value, r.staff,
                  100 * r.coverage);
      if (r.coverage_one_step_less >= 0)
        std::printf(" (%s = %g: %.2f%%)", r.parameter.c_str(), r.value - r.step, 100 * r.coverage_one_step_less);
      std::printf("\n  as overrides:     ");
      for (const auto& o : r.overrides_for(r.value)) std::printf("--set %s ", o.c_str());
      std::printf("\n");
    } else {
      std::printf("  not reached with %s up to %g (search interval %g..%g)\n", r.parameter.c_str(), r.max, r.min, r.max);
    }
  } else {
    std::printf("  %-16s %10s %10s %10s %10s %10s %10s\n", "community", "households", "residents", "norm staff",
                "norm cov%", "least", "cov%");
    for (const auto& c : r.communities) {
      char least[16];
      if (c.least_staff >= 0) std::snprintf(least, sizeof least, "%d", c.least_staff);
      else std::snprintf(least, sizeof least, ">%g", r.max);
      std::printf("  %-16s %10lld %10lld %10d %10.2f %10s %10.2f\n", c.name.c_str(), c.households, c.residents,
                  c.norm_staff, 100 * c.norm_coverage, least, 100 * c.coverage);
    }
    std::printf("  total: least %d staff (norm %d)%s\n", r.staff, r.norm_staff,
                r.reachable ? "" : "; some communities do not reach the target within --max");
  }
  std::printf("  %d candidate values evaluated, %.1f s\n", r.evaluations, wall);
  return r.reachable ? 0 : 1;
}

const char* const kReplayUsage =
    "usage: commsim replay OUT.h5 RUN [--threads N]\n"
    "\nRe-runs run RUN (index of /runs/NNNN) from the scenario stored in OUT.h5 (study: the variant's\n"
    "resolved scenario, seed and replicate), compares every column it stores (results schema)\n"
    "with the replayed ones and prints \"reproduced\" (exit 0) or the differences (exit 1).\n";

int cmd_replay(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"threads"}, {}, "replay");
  if (const auto status = usage_exit(a, a.positional.size() != 2, kReplayUsage)) return *status;
  const std::string path = a.positional[0];
  char* end = nullptr;
  const long run = std::strtol(a.positional[1].c_str(), &end, 10);
  if (a.positional[1].empty() || *end != '\0' || run < 0) throw InputError(kCli, "RUN", "expected a run index (0, 1, ...)");
  const ReplayOutcome r = replay_run(path, run, static_cast<int>(a.integer("threads", 0)));
  if (!r.written_by.empty())
    std::fprintf(stderr, "commsim: warning: %s was written by commsim %s; this is %s (git %s)\n", path.c_str(),
                 r.written_by.c_str(), kVersion, kGitCommit);
  const std::vector<std::string>& diffs = r.differences;
  if (diffs.empty()) {
    std::printf("reproduced: %s run %ld (replicate %d, seed %llu): every stored column identical\n",
                path.c_str(), run, r.replicate, static_cast<unsigned long long>(r.seed));
    return 0;
  }
  std::printf("NOT reproduced: %s run %ld (replicate %d): %zu difference%s\n", path.c_str(), run, r.replicate, diffs.size(),
              diffs.size() == 1 ? "" : "s");
  for (const auto& d : diffs) std::printf("  %s\n", d.c_str());
  return 1;
}

}  // namespace commsim::cli
