// `commsim sensitivity --test-function ishigami|sobol-g`: the checkable path of issue 17. It runs the
// same design and estimator code the studies use (sim/sensitivity/sensitivity.hpp) on an analytic test
// function whose indices are known, and prints the estimates beside the analytic values (or, with
// --json, only the JSON document on stdout).
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <optional>
#include <sstream>

#include "sim/cli/cli.hpp"
#include "sim/core/error.hpp"
#include "sim/sensitivity/sensitivity.hpp"
#include "sim/core/json.hpp"

namespace commsim::cli {

namespace {

const char* kSensitivityHelp =
    "usage: commsim sensitivity --test-function ishigami|sobol-g [--design sobol|morris] [--samples N]\n"
    "                           [--seed S] [--levels P] [--candidates M] [--bootstrap B] [--json]\n"
    "\n"
    "Runs a sensitivity design and its estimators on an analytic test function and prints the indices\n"
    "beside the analytic ones (docs/sensitivity.md): the check of the code the studies use.\n"
    "  --test-function F   ishigami (a = 7, b = 0.1, x ~ U(-pi, pi), 3 inputs) or\n"
    "                      sobol-g (a = 0, 1, 4.5, 9, 99, 99, 99, 99, x ~ U(0, 1), 8 inputs)\n"
    "  --design D          sobol (default): Saltelli's scheme, first-order and total indices with CIs;\n"
    "                      morris: elementary effects, mu*, mu and sigma, with a CI of mu*\n"
    "  --samples N         sobol: base samples N, any power of two (1, 2, 4, ...), N (k + 2) runs;\n"
    "                      default 4096. morris: trajectories r, any integer from 2 to 1000000, r (k + 1)\n"
    "                      runs; default 100. A design has at most 4194304 runs\n"
    "  --seed S            seed of the design (Sobol scrambling, Morris trajectories) and the bootstrap\n"
    "                      (integer >= 0, default 1)\n"
    "  --levels P          morris: grid levels, even, 2..1000 (default 4)\n"
    "  --candidates M      morris: pick the r most spread-out of M candidate trajectories (Campolongo\n"
    "                      2007), r < M <= 1000; default 0 = no selection. It moves the levels towards\n"
    "                      the ends of the ranges, so mu* no longer estimates the plain design's value\n"
    "  --bootstrap B       bootstrap resamples for the 95 % intervals, 100..1000000 (default 1000)\n"
    "  --json              print only the JSON document on stdout:\n"
    "                      {\"function\", \"design\", ..., \"indices\": [{\"parameter\": \"x1\", ...}], \"analytic\": [...]}\n";

const SourcePos kCommandLine{"command line", 0, 0};

[[noreturn]] void bad_option(const std::string& option, const std::string& message) {
  throw InputError(kCommandLine, "--" + option, message);
}

// The option a design problem's key stands for on this command line.
std::string option_of(const std::string& key) {
  if (key == "trajectories") return "samples";
  return key;
}

// The command's options, checked.
struct SensitivityOptions {
  std::string function_name, design;
  bool morris = false;
  long long samples = 0, seed = 1, levels = 4, candidates = 0, resamples = 1000;
};

SensitivityOptions read_options(const Args& a) {
  if (!a.positional.empty())
    throw InputError(kCommandLine, a.positional[0], "unexpected argument (commsim sensitivity --help)");
  if (!a.has("test-function"))
    bad_option("test-function", "required: ishigami or sobol-g (the model's morris and sobol designs run through studies)");
  SensitivityOptions o;
  o.function_name = a.get("test-function");
  if (o.function_name != "ishigami" && o.function_name != "sobol-g")
    bad_option("test-function", "'" + o.function_name + "' is not a test function; allowed: ishigami, sobol-g");
  o.design = a.get("design", "sobol");
  if (o.design != "sobol" && o.design != "morris") bad_option("design", "'" + o.design + "' is not a design; allowed: sobol, morris");
  o.morris = o.design == "morris";
  if (!o.morris && a.has("levels")) bad_option("levels", "only the morris design takes --levels");
  if (!o.morris && a.has("candidates")) bad_option("candidates", "only the morris design takes --candidates");
  o.samples = a.integer("samples", o.morris ? 100 : 4096);
  o.seed = a.integer("seed", 1);
  if (o.seed < 0) bad_option("seed", "must be an integer >= 0");
  o.levels = a.integer("levels", 4);
  o.candidates = a.integer("candidates", 0);
  o.resamples = a.integer("bootstrap", 1000);
  if (o.morris && (o.samples < 2 || o.samples > 1000000))
    bad_option("samples", "the morris design takes 2 to 1000000 trajectories, got " + std::to_string(o.samples));
  return o;
}

int as_int(long long v) { return static_cast<int>(std::clamp<long long>(v, INT_MIN, INT_MAX)); }

// The indices the design estimates for the test function.
struct SensitivityRun {
  TestFunction function;
  int k = 0;
  std::vector<MorrisIndex> morris;
  SobolResult sobol;
  size_t runs = 0;
  double delta = 0, seconds = 0;
};

SensitivityRun run_design(const SensitivityOptions& o) {
  SensitivityRun r{o.function_name == "ishigami" ? ishigami() : sobol_g()};
  r.k = static_cast<int>(r.function.inputs.size());
  const std::optional<DesignProblem> problem =
      o.morris ? morris_design_problem(r.k, as_int(o.samples), as_int(o.levels), as_int(o.candidates))
               : sobol_design_problem(r.k, o.samples);
  if (problem) bad_option(option_of(problem->key), problem->message);
  if (const auto p = bootstrap_problem(as_int(o.resamples), 0.95)) bad_option(p->key, p->message);
  BootstrapOptions bootstrap;
  bootstrap.resamples = static_cast<int>(o.resamples);
  bootstrap.seed = static_cast<uint64_t>(o.seed);
  const auto start = std::chrono::steady_clock::now();
  auto evaluate_all = [&](const std::vector<std::vector<double>>& points) {
    std::vector<double> outputs;
    outputs.reserve(points.size());
    std::vector<double> x(static_cast<size_t>(r.k));
    for (const auto& u : points) {
      for (size_t i = 0; i < x.size(); ++i) x[i] = map_unit(u[i], r.function.inputs[i]);
      outputs.push_back(r.function.evaluate(x));
    }
    return outputs;
  };
  if (o.morris) {
    MorrisOptions options;
    options.trajectories = static_cast<int>(o.samples);
    options.levels = static_cast<int>(o.levels);
    options.candidates = static_cast<int>(o.candidates);
    options.seed = static_cast<uint64_t>(o.seed);
    const MorrisDesign d = morris_design(r.k, options);
    r.runs = d.runs();
    r.delta = d.delta;
    r.morris = morris_indices(d, evaluate_all(d.points), bootstrap);
  } else {
    const SaltelliDesign d = sobol_design(r.k, static_cast<int>(o.samples), static_cast<uint64_t>(o.seed));
    r.runs = d.runs();
    r.sobol = sobol_indices(evaluate_all(d.points), r.k, static_cast<int>(o.samples), bootstrap);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

// --json: no timing, the document is a pure function of the options.
std::string sensitivity_document(const SensitivityOptions& o, const SensitivityRun& r) {
  Json j = {{"function", o.function_name}, {"design", o.design}, {"samples", o.samples}, {"seed", o.seed},
                   {"bootstrap", o.resamples},    {"confidence", 0.95}};
  if (o.morris) {
    j["levels"] = o.levels;
    j["candidates"] = o.candidates;
    j["delta"] = json_figure(r.delta);
  }
  j["runs"] = r.runs;
  Json indices = Json::array(), analytic = Json::array();
  for (size_t i = 0; i < static_cast<size_t>(r.k); ++i) {
    const std::string name = "x" + std::to_string(i + 1);
    if (o.morris) {
      const MorrisIndex& m = r.morris[i];
      indices.push_back({{"parameter", name}, {"mu_star", json_figure(m.mu_star)},
                         {"mu_star_ci", json_interval(m.mu_star_ci.lo, m.mu_star_ci.hi)}, {"mu", json_figure(m.mu)},
                         {"sigma", json_figure(m.sigma)}});
    } else {
      const SobolIndex& s = r.sobol.indices[i];
      indices.push_back({{"parameter", name}, {"first", json_figure(s.first)},
                         {"first_ci", json_interval(s.first_ci.lo, s.first_ci.hi)}, {"total", json_figure(s.total)},
                         {"total_ci", json_interval(s.total_ci.lo, s.total_ci.hi)}});
    }
    analytic.push_back({{"parameter", name}, {"first", json_figure(r.function.first[i])},
                        {"total", json_figure(r.function.total[i])}});
  }
  j["indices"] = std::move(indices);
  j["analytic"] = std::move(analytic);
  return json_text(j);
}

void print_sensitivity(const SensitivityOptions& o, const SensitivityRun& r) {
  std::printf("%s, %s design: %lld %s, seed %lld, %zu runs, %lld bootstrap resamples, %.2f s\n", o.function_name.c_str(),
              o.design.c_str(), o.samples, o.morris ? "trajectories" : "base samples", o.seed, r.runs, o.resamples,
              r.seconds);
  if (o.morris) {
    std::printf("levels %lld, delta %.4f%s\n\n", o.levels, r.delta,
                o.candidates > 0 ? (", the most spread out of " + std::to_string(o.candidates) + " candidates").c_str() : "");
    std::printf("%-9s %10s %23s %10s %10s   %10s\n", "parameter", "mu*", "95% CI of mu*", "mu", "sigma", "analytic S_T");
    for (size_t i = 0; i < static_cast<size_t>(r.k); ++i) {
      const MorrisIndex& m = r.morris[i];
      std::printf("x%-8zu %10.4f [%10.4f, %10.4f] %10.4f %10.4f   %10.4f\n", i + 1, m.mu_star, m.mu_star_ci.lo,
                  m.mu_star_ci.hi, m.mu, m.sigma, r.function.total[i]);
    }
    std::printf("\n(mu* in output units per unit of the input's range; the analytic total index is the ranking it should follow)\n");
    return;
  }
  std::printf("output mean %.4f, variance %.4f\n\n", r.sobol.mean, r.sobol.variance);
  std::printf("%-9s %9s %21s %9s   %9s %21s %9s\n", "parameter", "S_i", "95% CI", "analytic", "S_Ti", "95% CI", "analytic");
  for (size_t i = 0; i < static_cast<size_t>(r.k); ++i) {
    const SobolIndex& s = r.sobol.indices[i];
    std::printf("x%-8zu %9.4f [%9.4f, %9.4f] %9.4f   %9.4f [%9.4f, %9.4f] %9.4f\n", i + 1, s.first, s.first_ci.lo,
                s.first_ci.hi, r.function.first[i], s.total, s.total_ci.lo, s.total_ci.hi, r.function.total[i]);
  }
}

}  // namespace

int cmd_sensitivity(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"test-function", "design", "samples", "seed", "levels", "candidates", "bootstrap"},
                            {"json"}, "sensitivity");
  if (a.has("help")) {
    std::fputs(kSensitivityHelp, stdout);
    return 0;
  }
  const SensitivityOptions options = read_options(a);
  const SensitivityRun run = run_design(options);
  if (a.has("json")) std::fputs(sensitivity_document(options, run).c_str(), stdout);
  else print_sensitivity(options, run);
  return 0;
}

}  // namespace commsim::cli
