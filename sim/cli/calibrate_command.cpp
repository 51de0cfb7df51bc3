// The calibration commands of `commsim` (issue 16, docs/calibration.md): params (the parameter
// registry for a scenario) and calibrate (fit free parameters to observed targets); and the
// targets table `commsim run --targets` prints.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "sim/calibration/registry.hpp"
#include "sim/calibration/sources.hpp"
#include "sim/calibration/targets.hpp"
#include "sim/cli/cli.hpp"
#include "sim/core/error.hpp"
#include "sim/scenario/load.hpp"
#include "sim/calibrate/calibrate.hpp"

namespace commsim::cli {

namespace {

const SourcePos kCli{"command line", 0, 0};

const char* kParamsHelp =
    "usage: commsim params [SCENARIO] [--json] [--registry FILE] [--set key.path=value]...\n"
    "\n"
    "Lists every model parameter of SCENARIO (default: the shipped baseline, scenarios/xian-baseline.yaml\n"
    "of this source tree) with its unit, the scenario's value, the plausible range, the sampling\n"
    "distribution and the source (keys of docs/sources.md, or an assumption), from the parameter\n"
    "registry (docs/parameters.md). A registry range that excludes the scenario's value is an error.\n"
    "  --json           stdout holds only {\"parameters\": [{\"key\", \"unit\", \"default\", \"low\", \"high\",\n"
    "                   \"distribution\", \"source\"}]}\n"
    "  --registry FILE  another registry file (same format as sim/calibration/parameters.yaml)\n";

const char* kCalibrateHelp =
    "usage: commsim calibrate SCENARIO --targets FILE --free KEY [KEY...] -o OUT.yaml\n"
    "                         [--replicates R] [--max-evals N] [--algorithm bobyqa|neldermead] [--xtol X]\n"
    "                         [--probe-step H] [--registry FILE] [--set key.path=value]... [--threads N]\n"
    "                         [--resume] [--force] [--quiet]\n"
    "\n"
    "Fits the free parameters (keys as `commsim params` lists them), within their registry ranges, to the\n"
    "targets marked `use: fit` by minimising sum ((simulated - observed) / tolerance)^2 (NLopt BOBYQA, or\n"
    "Nelder-Mead). Every evaluation runs R replicates (default 2) on common random numbers through the\n"
    "study runner (threads; MPI ranks under mpirun): OUT.runs/eval-NNNN.h5. Then it probes ± H (default\n"
    "0.1) of each range around the best point and names the parameters the targets do not constrain.\n"
    "Writes OUT.yaml (the calibrated scenario: extends SCENARIO, sets the free parameters) and OUT.h5\n"
    "(every evaluation, the fit, the provenance). --resume continues an interrupted calibration (the\n"
    "optimiser replays its path and reads back the evaluations done); --force starts over.\n"
    "  --max-evals N   the optimiser's evaluations (default 40); the probes add 2 per free parameter\n"
    "  --xtol X        stop when a step moves every free parameter by less than X of its range (default 0.001)\n"
    "\n"
    "commsim calibrate SCENARIO --targets FILE --free KEY [KEY...] --abc N [--accept-best PCT] [--abc-seed S] -o OUT.csv\n"
    "  approximate Bayesian computation by rejection instead of the optimiser: N draws (a Latin hypercube\n"
    "  over the free parameters' registry ranges, seed S, default 1), each run like an evaluation (one study,\n"
    "  OUT.runs/abc.h5); a draw is accepted when every fitted target is within its tolerance (or, with\n"
    "  --accept-best, when it is among the best PCT % by distance). Writes OUT.csv, the accepted set (a\n"
    "  scenario names it as calibration.accepted_file: --uncertainty then draws from it), and\n"
    "  OUT.draws.csv, every draw with its targets (docs/calibration.md, \"The accepted set\").\n";

// "--free a b c" (until the next option), "--free a,b", repeated --free: the keys, and argv without them.
std::vector<std::string> take_free_keys(std::vector<std::string>& argv) {
  std::vector<std::string> keys, rest;
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (arg == "--free" || arg.rfind("--free=", 0) == 0) {
      std::vector<std::string> values;
      if (arg != "--free") values.push_back(arg.substr(7));
      while (i + 1 < argv.size() && !(argv[i + 1].size() > 1 && argv[i + 1][0] == '-')) values.push_back(argv[++i]);
      if (values.empty()) throw InputError(kCli, "--free", "needs at least one parameter key");
      for (const auto& v : values)
        for (size_t start = 0;;) {
          const size_t comma = v.find(',', start);
          const std::string key = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (!key.empty()) keys.push_back(key);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      continue;
    }
    rest.push_back(arg);
  }
  argv = rest;
  return keys;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

void print_targets_table(std::FILE* out, const std::string& file, const std::vector<TargetCheck>& checks) {
  size_t within = 0;
  for (const auto& c : checks) within += c.within;
  std::fprintf(out, "\ncalibration targets (%s): %zu of %zu within tolerance\n", file.c_str(), within, checks.size());
  std::fprintf(out, "%-44s %-7s %10s %10s %10s  %-6s %s\n", "target", "use", "observed", "tolerance", "simulated", "within",
               "source");
  double fit = 0, holdout = 0;
  size_t echoes = 0, input_checks = 0;
  for (const auto& c : checks) {
    std::fprintf(out, "%-44s %-7s %10s %10s %10s  %-6s %s\n", c.name.c_str(), c.use.c_str(), fmt(c.observed).c_str(),
                 fmt(c.tolerance).c_str(), fmt(c.simulated).c_str(), c.within ? "yes" : "NO", c.source.c_str());
    (c.use == "holdout" ? holdout : fit) += c.evidence_weight;
    echoes += c.use == "echo";
    input_checks += c.use == "check";
  }
  std::fprintf(out,
               "independent evidence: %s (fit %s, holdout %s; targets that are one number or tied by an identity "
               "counted once per group; %zu echoes of inputs and %zu input checks are not evidence)\n",
               fmt(fit + holdout).c_str(), fmt(fit).c_str(), fmt(holdout).c_str(), echoes, input_checks);
}

int cmd_params(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"registry", "set"}, {"json"}, "params");
  if (a.has("help")) {
    std::fputs(kParamsHelp, stdout);
    return 0;
  }
  if (a.positional.size() > 1) throw InputError(kCli, "SCENARIO", "expected at most one scenario file (commsim params --help)");
  std::string file = a.positional.empty() ? std::string(COMMSIM_SCENARIOS_DIR) + "/xian-baseline.yaml" : a.positional[0];
  if (a.positional.empty() && !std::filesystem::exists(file))
    throw InputError(kCli, "SCENARIO", "the shipped baseline " + file + " is not here: give a scenario file");
  const Scenario sc = load_scenario(file, a.sets);
  const ParameterRegistry loaded = a.has("registry") ? ParameterRegistry::load(a.get("registry")) : ParameterRegistry();
  const ParameterRegistry& registry = a.has("registry") ? loaded : ParameterRegistry::shipped();
  const std::vector<Parameter> params = registry.parameters(sc);
  if (a.has("json")) {
    std::fputs(parameters_json(params).c_str(), stdout);
    return 0;
  }
  size_t sampled = 0, assumed = 0;
  for (const auto& p : params) {
    sampled += p.sampled();
    assumed += p.sampled() && is_assumption(p.source);
  }
  std::printf("%s: %zu model parameters, %zu sampled (%zu on an assumption only), %zu fixed (registry: %s)\n\n", file.c_str(),
              params.size(), sampled, assumed, params.size() - sampled, registry.file().c_str());
  std::printf("%-58s %-16s %10s %10s %10s  %-12s %s\n", "key", "unit", "default", "low", "high", "distribution", "source");
  for (const auto& p : params)
    std::printf("%-58s %-16s %10s %10s %10s  %-12s %s\n", (p.key + (p.label.empty() ? "" : " (" + p.label + ")")).c_str(),
                p.unit.c_str(), fmt(p.default_value).c_str(), fmt(p.low).c_str(), fmt(p.high).c_str(),
                (std::string(distribution_name(p.distribution)) + (p.lever ? "*" : "")).c_str(), p.source.c_str());
  std::printf("\n* a policy lever (a norm, staffing or facility choice). Sources: docs/sources.md.\n");
  return 0;
}

namespace {

void print_abc(const CalibrationRequest& req, const CalibrationResult& r) {
  std::printf("\nABC of %s to %s: %zu of %d draws accepted (%.1f %%; %s), %d runs computed, %d resumed, %.1f s\n",
              req.scenario_file.c_str(), req.targets_file.c_str(), r.accepted.size(), req.abc_draws,
              100.0 * static_cast<double>(r.accepted.size()) / req.abc_draws,
              req.accept_best > 0 ? "the best by distance" : "every fitted target within tolerance", r.runs_computed,
              r.runs_resumed, r.wall_s);
  std::printf("\n%-52s %10s %10s %10s %10s %10s\n", "free parameter", "low", "high", "accepted min", "median", "max");
  for (size_t i = 0; i < r.parameters.size(); ++i) {
    std::vector<double> v;
    for (int a : r.accepted) v.push_back(r.evaluations[static_cast<size_t>(a)].values[i]);
    std::sort(v.begin(), v.end());
    const Parameter& p = r.parameters[i].parameter;
    std::printf("%-52s %10s %10s %10s %10s %10s\n", p.key.c_str(), fmt(p.low).c_str(), fmt(p.high).c_str(),
                v.empty() ? "-" : fmt(v.front()).c_str(), v.empty() ? "-" : fmt(v[v.size() / 2]).c_str(),
                v.empty() ? "-" : fmt(v.back()).c_str());
  }
  print_targets_table(stdout, req.targets_file + ", at the closest draw", r.best);
  if (r.accepted.empty())
    std::printf("\nno draw was accepted: more draws, wider ranges, or --accept-best PCT\n");
  std::printf("\nwrote %s (the accepted set) and %s (every draw; runs in %s)\n", r.accepted_path.c_str(),
              r.draws_path.c_str(), r.runs_dir.c_str());
}

}  // namespace

int cmd_calibrate(const std::vector<std::string>& argv_in) {
  std::vector<std::string> argv = argv_in;
  CalibrationRequest req;
  req.free_keys = take_free_keys(argv);
  const Args a = parse_args(argv,
                            {"targets", "output", "replicates", "max-evals", "algorithm", "xtol", "probe-step", "registry",
                             "set", "threads", "abc", "accept-best", "abc-seed"},
                            {"resume", "force", "quiet"}, "calibrate");
  if (a.has("help")) {
    std::fputs(kCalibrateHelp, stdout);
    return 0;
  }
  if (a.positional.size() != 1) throw InputError(kCli, "SCENARIO", "expected one scenario file (commsim calibrate --help)");
  if (!a.has("targets")) throw InputError(kCli, "--targets", "a calibration needs --targets FILE (e.g. scenarios/targets/xian.yaml)");
  if (!a.has("output")) throw InputError(kCli, "--output", "a calibration needs -o OUT.yaml (with --abc: -o OUT.csv)");
  const long long threads = a.integer("threads", 0);
  if (threads < 0 || threads > 1024) throw InputError(kCli, "--threads", "must be in 0..1024");
  req.scenario_file = a.positional[0];
  req.overrides = a.sets;
  req.targets_file = a.get("targets");
  req.registry_file = a.get("registry");
  req.replicates = static_cast<int>(a.integer("replicates", 2));
  req.max_evals = static_cast<int>(a.integer("max-evals", 40));
  req.algorithm = a.get("algorithm", "bobyqa");
  req.xtol = a.number("xtol", 1e-3);
  req.probe_step = a.number("probe-step", 0.1);
  req.output = a.get("output");
  req.resume = a.has("resume");
  req.force = a.has("force");
  req.threads = static_cast<int>(threads);
  req.command_line = command_line_text("calibrate", argv_in);
  const bool quiet = a.has("quiet");
  req.progress = [quiet](int evaluation, double distance, double best) {
    if (!quiet) std::fprintf(stderr, "evaluation %d: distance %.6g (best %.6g)\n", evaluation, distance, best);
  };
  req.abc_draws = static_cast<int>(a.integer("abc", 0));
  if (a.has("abc") && req.abc_draws < 2) throw InputError(kCli, "--abc", "must be a number of draws >= 2");
  req.accept_best = a.number("accept-best", 0);
  if (a.has("accept-best") && !a.has("abc")) throw InputError(kCli, "--accept-best", "is an option of --abc");
  req.abc_seed = static_cast<uint64_t>(a.integer("abc-seed", 1));
  const CalibrationResult r = calibrate(req);
  if (!r.writer || quiet) return 0;
  if (req.abc_draws > 0) {
    print_abc(req, r);
    return 0;
  }
  std::printf("\ncalibration of %s to %s: distance %s -> %s after %d evaluations x %d replicates (%s)\n",
              req.scenario_file.c_str(), req.targets_file.c_str(), fmt(r.distance_start).c_str(), fmt(r.distance_best).c_str(),
              r.fit_evaluations, req.replicates, r.status.c_str());
  std::printf("\n%-52s %10s %10s %10s %10s  %s\n", "free parameter", "low", "high", "start", "best", "constrained");
  for (const auto& p : r.parameters)
    std::printf("%-52s %10s %10s %10s %10s  %s\n", p.parameter.key.c_str(), fmt(p.parameter.low).c_str(),
                fmt(p.parameter.high).c_str(), fmt(p.start).c_str(), fmt(p.best).c_str(), p.constrained ? "yes" : "NO");
  print_targets_table(stdout, req.targets_file + ", at the best point", r.best);
  std::printf("\nidentifiability: the fitted targets identify %d of %zu free parameter combinations", r.jacobian_rank,
              r.parameters.size());
  if (!r.unconstrained.empty()) {
    std::printf("; not constrained by the targets:");
    for (const auto& k : r.unconstrained) std::printf(" %s", k.c_str());
  }
  std::printf("\n");
  if (!r.weakest_direction.empty()) std::printf("  not identified: %s\n", r.weakest_direction.c_str());
  std::printf("\n%zu evaluations (%d runs computed, %d resumed) in %.1f s\nwrote %s and %s (runs in %s)\n",
              r.evaluations.size(), r.runs_computed, r.runs_resumed, r.wall_s, r.yaml_path.c_str(), r.h5_path.c_str(),
              r.runs_dir.c_str());
  return 0;
}

}  // namespace commsim::cli
