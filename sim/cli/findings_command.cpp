// `commsim findings SCENARIO --uncertainty N` (issue 25, docs/findings.md): the headline findings
// with their intervals and drivers, from N draws of the registry's ranges, each with a staffing
// curve and a size curve (sim/findings/findings.hpp), run as one study by the study runner.
#include <cstdio>

#include "sim/cli/cli.hpp"
#include "sim/cli/study_cli.hpp"
#include "sim/core/error.hpp"
#include "sim/findings/findings.hpp"

namespace commsim::cli {

namespace {

const SourcePos kCli{"command line", 0, 0};

const char* const kFindingsUsage =
    "usage: commsim findings SCENARIO --uncertainty N [--seed S] [--replicates R] [--json] [-o|--out FILE]\n"
    "                        [--set key.path=value]... [--threads N] [--resume] [--force] [--quiet]\n"
    "\n"
    "The headline findings with their uncertainty (docs/findings.md). Draws N parameter sets from the\n"
    "registry's ranges (a Latin hypercube over the non-lever parameters; --set keys are held) and, for\n"
    "each draw and for the scenario as given (the point), runs a staffing curve\n"
    "(staffing.rules.community_worker.per_10k 6..26 by 2) and a size curve (sizing.households 1,500,\n"
    "2,500, 3,500, 5,000, 7,000 with sizing.mode: uniform) on the same residents and random streams.\n"
    "Reports each finding's point, median and 90 % interval (5th-95th percentile over the draws) and\n"
    "the parameters that drive it (squared rank correlation over the draws):\n"
    "  efficient_community_workers_per_10k  add workers while an unmet hour avoided costs less than\n"
    "                                       findings.value_of_service_hour_yuan (a registry range)\n"
    "  bend_community_workers_per_10k       the marginal-return rule of commsim curve, for comparison\n"
    "  unmet_hours_avoided_14_to_18         hours a year per 10,000 residents, 18 vs 14 per 10,000\n"
    "  best_community_size_households       the size with the fewest unmet hours per resident\n"
    "  least_cost_community_size_households the size with the lowest public cost + valued unmet hours\n"
    "Writes a study file (HDF5) with /findings; runs under mpirun like `commsim study`; --resume\n"
    "continues an interrupted run (needs -o).\n"
    "  --uncertainty N  parameter draws, 2..100000 (8 gives a first interval; 40+ for drivers)\n"
    "  --seed S         same as --set run.seed=S: the draws' and the runs' seed\n"
    "  --replicates R   replicates per curve point (default: the scenario's run.replicates)\n"
    "  --json           print only the JSON document on stdout: {\"findings\": [{\"name\", \"unit\",\n"
    "                   \"point\", \"median\", \"p5\", \"p95\", \"draws\", \"drivers\": [{\"parameter\", \"share\"}]}], ...}\n"
    "  -o, --out FILE   the HDF5 file (default: a temporary file, removed at the end)\n";

}  // namespace

int cmd_findings(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"uncertainty", "seed", "replicates", "out", "output", "set", "threads"},
                            {"json", "resume", "force", "quiet"}, "findings");
  if (const auto status = usage_exit(a, a.positional.size() != 1, kFindingsUsage)) return *status;
  if (!a.has("uncertainty")) throw InputError(kCli, "--uncertainty", "required: the number of draws (commsim findings --help)");
  FindingsRequest rq;
  rq.scenario = a.positional[0];
  rq.overrides = a.sets;
  if (a.has("seed")) rq.overrides.insert(rq.overrides.begin(), "run.seed=" + a.get("seed"));
  const long long draws = a.integer("uncertainty", 0);
  if (draws < 2 || draws > kMaxUncertaintySamples)
    throw InputError(kCli, "--uncertainty", "must be a number of draws in 2.." + std::to_string(kMaxUncertaintySamples) +
                                                ", got " + a.get("uncertainty"));
  rq.draws = static_cast<int>(draws);
  const long long replicates = a.integer("replicates", 0);
  if (a.has("replicates") && (replicates < 1 || replicates > 100000))
    throw InputError(kCli, "--replicates", "must be in 1..100000, got " + a.get("replicates"));
  rq.replicates = static_cast<int>(replicates);
  const OutputFile file(a, "findings");
  RunProgress progress("commsim findings --uncertainty " + std::to_string(rq.draws));
  std::string canonical = "commsim findings " + rq.scenario + " --uncertainty " + std::to_string(rq.draws) +
                          (rq.replicates > 0 ? " --replicates " + std::to_string(rq.replicates) : std::string());
  StudyRunOptions options = run_options(a, file, "findings", argv, canonical, progress);
  options.canonical_command = canonical;  // --seed and --set are in the overrides
  for (const auto& o : rq.overrides) options.canonical_command += " --set " + o;
  const FindingsRun run = run_findings(rq, options);
  progress.finish();
  if (!run.outcome.writer) return 0;
  if (a.has("json")) {
    std::printf("%s\n", findings_json(run.summary).c_str());
  } else if (!a.has("quiet")) {
    std::fputs(findings_text(run.summary).c_str(), stdout);
    if (!file.temporary) std::printf("output: %s\n", file.path.c_str());
  }
  return 0;
}

}  // namespace commsim::cli
