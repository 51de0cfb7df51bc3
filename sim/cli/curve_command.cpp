// `commsim curve` and `commsim headroom` (issue 14, docs/curves.md) and `commsim run --uncertainty`
// (issue 17, docs/sensitivity.md): the commands that wrap the study runner; their command lines,
// the runner's hooks that make the /curve, /headroom and /uncertainty tables, and the printed tables.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "sim/cli/cli.hpp"
#include "sim/cli/study_cli.hpp"
#include "sim/core/error.hpp"
#include "sim/curve/curve.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
#include "sim/study/runner.hpp"
#include "sim/uncertainty/uncertainty.hpp"

namespace commsim::cli {

namespace {

const SourcePos kCli{"command line", 0, 0};

const char* const kCurveUsage =
    "usage: commsim curve SCENARIO --key K --from A --to B --step S [--replicates R] [-o|--out FILE]\n"
    "                     [--set key.path=value]... [--threads N] [--resume] [--force]\n"
    "                     [--outcomes TEXT[,TEXT...]] [--full] [--quiet]\n"
    "\n"
    "Sweeps one scenario key from A to B (B included when on a step), paired: replicate r of every\n"
    "point uses the same random streams. Prints the answer first: the bend (the first step whose\n"
    "unmet hours avoided per added worker fall below 0.5 x the previous step's), what each step buys\n"
    "(unmet hours avoided and coverage points per added worker, the cost of a coverage point and of\n"
    "an unmet hour avoided) and the citywide figures at each point with their 95 % CI; --full adds\n"
    "every outcome --summary-json has (run figures, services.<s>.*, roles.<r>.*) at every point and\n"
    "the paired change between adjacent points (docs/curves.md). Writes a study file (HDF5) with /curve;\n"
    "runs under mpirun like `commsim study`; --resume continues an interrupted curve (needs -o).\n"
    "  --replicates R   replicates per point, 2..100000 (default 5)\n"
    "  -o, --out FILE   the HDF5 file (default: a temporary file, removed at the end)\n"
    "  --full           print every outcome and the paired change of each step\n"
    "  --outcomes TEXT  print, as --full, only outcomes whose name contains one of the texts (the file has all)\n"
    "  --quiet          print no tables (the progress on stderr stays; 2>/dev/null drops it)\n";

const char* const kHeadroomUsage =
    "usage: commsim headroom SCENARIO [--target 0.9] [--replicates R] [--tolerance 0.01] [-o|--out FILE]\n"
    "                        [--set key.path=value]... [--threads N] [--resume] [--force] [--quiet]\n"
    "\n"
    "Finds the largest uniform demand multiplier (run.demand_multiplier) at which every service's\n"
    "coverage (mean over replicates) still meets the target: doubling or halving from 1 to bracket\n"
    "it (1/64..64), then bisection until the bracket is at most --tolerance wide. Reports the\n"
    "multiplier, the service that fails first above it and the least margin below it (docs/curves.md).\n"
    "Writes a study file (HDF5) with /headroom; runs under mpirun like `commsim study`.\n"
    "  --target T       coverage every service must meet, in (0, 1] (default: run.coverage_target)\n"
    "  --replicates R   replicates per multiplier, 1..100000 (default 1)\n"
    "  --tolerance X    width of the final bracket, in (0, 1] (default 0.01)\n"
    "  -o, --out FILE   the HDF5 file (default: a temporary file, removed at the end)\n";

// An integer option as an int (its range is checked where the request is planned).
int bounded_int(const Args& a, const char* option, long long fallback) {
  return static_cast<int>(std::clamp<long long>(a.integer(option, fallback), -1, 1000000000));
}

std::string cell(const MeanCI& m) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.4g±%.2g", m.mean, m.half_width);
  return buf;
}

std::string number(double v, const char* format = "%.4g") {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

bool selected(const std::string& name, const std::vector<std::string>& filters) {
  if (filters.empty()) return true;
  for (const auto& f : filters)
    if (name.find(f) != std::string::npos) return true;
  return false;
}

// The outcomes printed without --full or --outcomes: the four citywide figures of the marginal analysis.
bool headline(const std::string& name) { return name.rfind("citywide.", 0) == 0 || name == "cost.annual_yuan"; }

std::string step_text(double from, double to) { return number(from, "%.6g") + "->" + number(to, "%.6g"); }

// The answer first: where the response bends, in one line.
void print_bend(std::FILE* out, const CurveSummary& s) {
  if (s.bend_step < 0) {
    std::fprintf(out, "no bend: no step bought less than %.0f%% of what the step before it did\n", 100 * kCurveBendRatio);
    return;
  }
  const CurveMarginal& m = s.marginal[static_cast<size_t>(s.bend_step)];
  std::fprintf(out, "bend at %s: a worker added there avoids %s unmet h a year, %s x what one of the step before "
               "did (below %.2g)\n",
               step_text(m.from_value, m.to_value).c_str(), number(m.unmet_hours_avoided_per_worker, "%.1f").c_str(),
               number(m.ratio_to_previous, "%.2f").c_str(), kCurveBendRatio);
}

void print_marginal(std::FILE* out, const CurveSummary& s) {
  std::fprintf(out, "what each step buys, citywide per year (bend: the first step where a worker buys < %.0f%% of what "
               "the previous step's did)\n", 100 * kCurveBendRatio);
  std::fprintf(out, "%-16s %9s %22s %9s %18s %9s %7s %14s %14s\n", "step", "+staff", "unmet h avoided", "per worker",
               "coverage pp", "per wkr", "ratio", "yuan/cov.pt", "yuan/unmet h");
  for (const CurveMarginal& m : s.marginal)
    std::fprintf(out, "%-16s %9s %22s %9s %18s %9s %7s %14s %14s%s\n", step_text(m.from_value, m.to_value).c_str(),
                 number(m.staff_added, "%.1f").c_str(), cell(m.unmet_hours_avoided).c_str(),
                 number(m.unmet_hours_avoided_per_worker, "%.1f").c_str(), cell(m.coverage_points).c_str(),
                 number(m.coverage_points_per_worker, "%.3g").c_str(), number(m.ratio_to_previous, "%.2f").c_str(),
                 number(m.cost_per_coverage_point_yuan, "%.4g").c_str(),
                 number(m.cost_per_unmet_hour_avoided_yuan, "%.4g").c_str(), m.bend ? "  <- bend" : "");
}

// Every selected outcome at every point (mean±half-width).
void print_values(std::FILE* out, const CurveSummary& s, const std::function<bool(const std::string&)>& shown) {
  std::fprintf(out, "%-44s %-8s", "outcome", "unit");
  for (double p : s.points) std::fprintf(out, " %18s", number(p, "%.6g").c_str());
  std::fprintf(out, "\n");
  for (size_t k = 0; k < s.outcomes.size(); ++k) {
    if (!shown(s.outcomes[k].name)) continue;
    std::fprintf(out, "%-44s %-8s", s.outcomes[k].name.c_str(), s.outcomes[k].unit.c_str());
    for (const MeanCI& m : s.value[k]) std::fprintf(out, " %18s", cell(m).c_str());
    std::fprintf(out, "\n");
  }
}

// The paired change of every selected outcome over each step.
void print_steps(std::FILE* out, const CurveSummary& s, const std::function<bool(const std::string&)>& shown) {
  std::fprintf(out, "\nmarginal effect of each step (point s+1 - point s, paired per replicate, ±%.0f%% CI; * = CI excludes 0)\n",
               100 * s.confidence);
  std::fprintf(out, "%-44s %-8s", "outcome", "unit");
  for (size_t p = 0; p + 1 < s.points.size(); ++p)
    std::fprintf(out, " %18s", step_text(s.points[p], s.points[p + 1]).c_str());
  std::fprintf(out, "\n");
  for (size_t k = 0; k < s.outcomes.size(); ++k) {
    if (!shown(s.outcomes[k].name)) continue;
    std::fprintf(out, "%-44s %-8s", s.outcomes[k].name.c_str(), s.outcomes[k].unit.c_str());
    for (const PairedDifference& d : s.step[k]) {
      const bool resolved = std::fabs(d.diff.mean) > d.diff.half_width;
      std::fprintf(out, " %18s", (cell(d.diff) + (resolved ? "*" : " ")).c_str());
    }
    std::fprintf(out, "\n");
  }
}

// The answer first (the bend, what each step buys, the headline figures at each point); every
// outcome and the paired change of each step with --full (or those --outcomes selects).
void print_curve(std::FILE* out, const CurveSummary& s, const StudyOutcome& o, const std::vector<std::string>& filters,
                 bool full) {
  std::fprintf(out, "curve of %s: %zu points x %d replicates = %d runs (%d computed, %d resumed), paired on seeds; "
               "mean ±%.0f%% CI\n",
               s.key.c_str(), s.points.size(), s.replicates, o.runs_total, o.runs_computed, o.runs_resumed,
               100 * s.confidence);
  print_bend(out, s);
  std::fprintf(out, "\n");
  print_marginal(out, s);
  const bool all = full || !filters.empty();
  const auto shown = [&](const std::string& name) { return all ? selected(name, filters) : headline(name); };
  std::fprintf(out, "\n%s at each point\n", all ? "outcomes" : "citywide figures");
  print_values(out, s, shown);
  if (all) print_steps(out, s, shown);
  else
    std::fprintf(out, "\n%zu more outcomes (services, roles, costs) and the paired change of each step: --full, "
                 "or --outcomes TEXT\n", s.outcomes.size() - 4);
  std::fprintf(out, "\nwall time %.1f s on %d rank%s x %d thread%s\n", o.wall_s, o.ranks, o.ranks == 1 ? "" : "s",
               o.threads, o.threads == 1 ? "" : "s");
}

// The answer first (the multiplier, the service that fails first), then every multiplier evaluated.
void print_headroom(std::FILE* out, const HeadroomResult& r, const StudyOutcome& o) {
  std::fprintf(out, "headroom: the largest demand multiplier with every service's coverage >= %.1f%% "
               "(%d replicate%s per multiplier, tolerance %g)\n",
               100 * r.target, r.replicates, r.replicates == 1 ? "" : "s", r.tolerance);
  if (r.status == "found")
    std::fprintf(out, "headroom: demand x%s; every service meets %.1f%% there (least margin: %s, %+.2f pp).\n"
                 "at x%s %s fails first (%.2f%%).\n",
                 number(r.multiplier, "%.6g").c_str(), 100 * r.target, r.binding.c_str(), 100 * r.margin,
                 number(r.failing_multiplier, "%.6g").c_str(), r.fails_first.c_str(), 100 * r.fails_first_coverage);
  else if (r.status == "above_max")
    std::fprintf(out, "headroom: above x%s, the largest multiplier tried: every service met the target there "
                 "(least margin: %s, %+.2f pp).\n",
                 number(r.multiplier, "%.6g").c_str(), r.binding.c_str(), 100 * r.margin);
  else
    std::fprintf(out, "headroom: none: even at x%s %s misses the target (%.2f%%).\n",
                 number(r.failing_multiplier, "%.6g").c_str(), r.fails_first.c_str(), 100 * r.fails_first_coverage);
  std::fprintf(out, "\n%12s %7s  %-24s %9s\n", "multiplier", "passes", "least margin", "coverage");
  for (const auto& e : r.evaluations)
    std::fprintf(out, "%12s %7s  %-24s %8.2f%%\n", number(e.multiplier, "%.6g").c_str(), e.passes ? "yes" : "no",
                 r.services[static_cast<size_t>(e.worst_service)].c_str(),
                 100 * e.coverage[static_cast<size_t>(e.worst_service)].mean);
  std::fprintf(out, "\n%d runs (%d computed, %d resumed), wall time %.1f s on %d rank%s x %d thread%s\n", o.runs_total,
               o.runs_computed, o.runs_resumed, o.wall_s, o.ranks, o.ranks == 1 ? "" : "s", o.threads,
               o.threads == 1 ? "" : "s");
}

}  // namespace

OutputFile::OutputFile(const Args& a, const char* command) {
  if (a.has("out") && a.has("output")) throw InputError(kCli, "--out", "give the output once (--out or -o)");
  path = a.has("out") ? a.get("out") : a.get("output");
  if (!path.empty()) return;
  if (a.has("resume")) throw InputError(kCli, "--resume", "needs the file to continue: -o FILE");
  temporary = true;
  path = (std::filesystem::temp_directory_path() /
          ("commsim-" + std::string(command) + "-" + std::to_string(::getpid()) + ".h5"))
             .string();
}

OutputFile::~OutputFile() {
  if (!temporary) return;
  std::error_code ec;
  std::filesystem::remove(path, ec);
  std::filesystem::remove(path + ".partial", ec);
}

StudyRunOptions run_options(const Args& a, const OutputFile& file, const std::string& command,
                            const std::vector<std::string>& argv, const std::string& canonical, RunProgress& progress) {
  const long long threads = a.integer("threads", 0);
  if (threads < 0 || threads > 1024) throw InputError(kCli, "--threads", "must be in 0..1024");
  StudyRunOptions o;
  o.output = file.path;
  o.force = a.has("force") || file.temporary;
  o.resume = a.has("resume");
  o.threads = static_cast<int>(threads);
  o.command_line = command_line_text(command, argv);
  o.canonical_command = canonical;
  for (const auto& s : a.sets) o.canonical_command += " --set " + s;
  o.progress = [&progress](int done, int total, int skipped) { progress.update(done, total, skipped); };
  return o;
}


int cmd_curve(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"key", "from", "to", "step", "replicates", "out", "output", "set", "threads", "outcomes"},
                            {"resume", "force", "quiet", "full"}, "curve");
  if (const auto status = usage_exit(a, a.positional.size() != 1, kCurveUsage)) return *status;
  for (const char* option : {"key", "from", "to", "step"})
    if (!a.has(option)) throw InputError(kCli, std::string("--") + option, "required (commsim curve --help)");
  CurveRequest rq;
  rq.scenario = a.positional[0];
  rq.overrides = a.sets;
  rq.key = a.get("key");
  rq.from = a.number("from", 0);
  rq.to = a.number("to", 0);
  rq.step = a.number("step", 0);
  rq.replicates = bounded_int(a, "replicates", 5);
  const OutputFile file(a, "curve");
  RunProgress progress("commsim curve " + rq.key);
  std::string canonical = "commsim curve " + rq.scenario + " --key " + rq.key + " --from " + a.get("from") + " --to " +
                          a.get("to") + " --step " + a.get("step") + " --replicates " + std::to_string(rq.replicates);
  const CurveRun run = run_curve(rq, run_options(a, file, "curve", argv, canonical, progress));
  const StudyOutcome& outcome = run.outcome;
  progress.finish();
  if (!outcome.writer) return 0;
  if (!a.has("quiet")) {
    print_curve(stdout, run.summary, outcome, split_commas(a.get("outcomes")), a.has("full"));
    if (!file.temporary) std::printf("output: %s\n", file.path.c_str());
  }
  return 0;
}

UncertaintyCommandResult run_uncertainty_command(const Args& a, const std::vector<std::string>& argv,
                                                 const std::vector<std::string>& overrides) {
  UncertaintyRequest rq;
  rq.scenario = a.positional.at(0);
  rq.overrides = overrides;
  const long long samples = a.integer("uncertainty", 0);
  if (samples < 2 || samples > kMaxUncertaintySamples)
    throw InputError(kCli, "--uncertainty",
                     "must be a number of parameter samples in 2.." + std::to_string(kMaxUncertaintySamples) + ", got " +
                         a.get("uncertainty"));
  rq.samples = static_cast<int>(samples);
  const OutputFile file(a, "uncertainty");
  RunProgress progress("commsim run --uncertainty " + std::to_string(rq.samples));
  std::string canonical = "commsim run " + rq.scenario + " --uncertainty " + std::to_string(rq.samples);
  StudyRunOptions options = run_options(a, file, "run", argv, canonical, progress);
  options.canonical_command = canonical;  // --seed and --set are in `overrides`
  for (const auto& o : overrides) options.canonical_command += " --set " + o;
  const UncertaintyRun run = run_uncertainty(rq, options);
  progress.finish();
  UncertaintyCommandResult result;
  result.writer = run.outcome.writer;
  if (!result.writer) return result;
  for (int r = 0; r < run.summary.replicates; ++r) result.point.push_back(read_run(file.path, run_group(r), false));
  result.text = uncertainty_text(run.summary);
  result.json = uncertainty_json(run.summary);
  if (!file.temporary) result.output = file.path;
  return result;
}

int cmd_headroom(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"target", "replicates", "tolerance", "out", "output", "set", "threads"},
                            {"resume", "force", "quiet"}, "headroom");
  if (const auto status = usage_exit(a, a.positional.size() != 1, kHeadroomUsage)) return *status;
  HeadroomRequest rq;
  rq.scenario = a.positional[0];
  rq.overrides = a.sets;
  rq.target = a.has("target") ? a.number("target", 0) : -1;
  if (a.has("target") && !(rq.target > 0 && rq.target <= 1))
    throw InputError(kCli, "--target", "must be a coverage share in (0, 1], got " + a.get("target"));
  rq.tolerance = a.number("tolerance", 0.01);
  rq.replicates = bounded_int(a, "replicates", 1);
  const OutputFile file(a, "headroom");
  RunProgress progress("commsim headroom");
  std::string canonical = "commsim headroom " + rq.scenario + " --target " + a.get("target", "(run.coverage_target)") +
                          " --tolerance " + curve_detail::number_text(rq.tolerance) + " --replicates " +
                          std::to_string(rq.replicates);
  const HeadroomRun run = run_headroom(rq, run_options(a, file, "headroom", argv, canonical, progress));
  const StudyOutcome& outcome = run.outcome;
  progress.finish();
  if (!outcome.writer) return 0;
  if (!a.has("quiet")) {
    print_headroom(stdout, run.result, outcome);
    if (!file.temporary) std::printf("output: %s\n", file.path.c_str());
  }
  return 0;
}

}  // namespace commsim::cli
