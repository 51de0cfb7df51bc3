// `commsim sensitivity --test-function ishigami|sobol-g`: the checkable path of issue 17. It runs the
// same design and estimator code the studies use (sim/study/sensitivity.hpp) on an analytic test
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
#include "sim/study/sensitivity.hpp"

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

std::string interval_json(const Interval& ci) {
  std::string out = "[";  // appended piecewise: GCC 12 warns (-Wrestrict, PR105329) on "lit" + string&&
  out += json_number(ci.lo);
  out += ", ";
  out += json_number(ci.hi);
  out += ']';
  return out;
}

}  // namespace

int cmd_sensitivity(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"test-function", "design", "samples", "seed", "levels", "candidates", "bootstrap"},
                            {"json"}, "sensitivity");
  if (a.has("help")) {
    std::fputs(kSensitivityHelp, stdout);
    return 0;
  }
  if (!a.positional.empty())
    throw InputError(kCommandLine, a.positional[0], "unexpected argument (commsim sensitivity --help)");
  if (!a.has("test-function"))
    bad_option("test-function", "required: ishigami or sobol-g (the model's morris and sobol designs run through studies)");
  const std::string function_name = a.get("test-function");
  if (function_name != "ishigami" && function_name != "sobol-g")
    bad_option("test-function", "'" + function_name + "' is not a test function; allowed: ishigami, sobol-g");
  const std::string design = a.get("design", "sobol");
  if (design != "sobol" && design != "morris") bad_option("design", "'" + design + "' is not a design; allowed: sobol, morris");
  const bool morris = design == "morris";
  if (!morris && a.has("levels")) bad_option("levels", "only the morris design takes --levels");
  if (!morris && a.has("candidates")) bad_option("candidates", "only the morris design takes --candidates");

  const long long samples = a.integer("samples", morris ? 100 : 4096);
  const long long seed = a.integer("seed", 1);
  if (seed < 0) bad_option("seed", "must be an integer >= 0");
  const long long levels = a.integer("levels", 4);
  const long long candidates = a.integer("candidates", 0);
  const long long resamples = a.integer("bootstrap", 1000);
  if (morris && (samples < 2 || samples > 1000000)) bad_option("samples", "the morris design takes 2 to 1000000 trajectories, got " + std::to_string(samples));
  auto as_int = [](long long v) { return static_cast<int>(std::clamp<long long>(v, INT_MIN, INT_MAX)); };
  const TestFunction function = function_name == "ishigami" ? ishigami() : sobol_g();
  const int k = static_cast<int>(function.inputs.size());
  const std::optional<DesignProblem> problem =
      morris ? morris_design_problem(k, as_int(samples), as_int(levels), as_int(candidates))
             : sobol_design_problem(k, samples);
  if (problem) bad_option(option_of(problem->key), problem->message);
  if (const auto p = bootstrap_problem(as_int(resamples), 0.95)) bad_option(p->key, p->message);

  BootstrapOptions bootstrap;
  bootstrap.resamples = static_cast<int>(resamples);
  bootstrap.seed = static_cast<uint64_t>(seed);
  const auto start = std::chrono::steady_clock::now();
  auto evaluate_all = [&](const std::vector<std::vector<double>>& points) {
    std::vector<double> outputs;
    outputs.reserve(points.size());
    std::vector<double> x(static_cast<size_t>(k));
    for (const auto& u : points) {
      for (int i = 0; i < k; ++i) x[static_cast<size_t>(i)] = map_unit(u[static_cast<size_t>(i)], function.inputs[static_cast<size_t>(i)]);
      outputs.push_back(function.evaluate(x));
    }
    return outputs;
  };
  std::vector<MorrisIndex> morris_result;
  SobolResult sobol_result;
  size_t runs = 0;
  double delta = 0;
  if (morris) {
    MorrisOptions options;
    options.trajectories = static_cast<int>(samples);
    options.levels = static_cast<int>(levels);
    options.candidates = static_cast<int>(candidates);
    options.seed = static_cast<uint64_t>(seed);
    const MorrisDesign d = morris_design(k, options);
    runs = d.runs();
    delta = d.delta;
    morris_result = morris_indices(d, evaluate_all(d.points), bootstrap);
  } else {
    const SaltelliDesign d = sobol_design(k, static_cast<int>(samples), static_cast<uint64_t>(seed));
    runs = d.runs();
    sobol_result = sobol_indices(evaluate_all(d.points), k, static_cast<int>(samples), bootstrap);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (a.has("json")) {  // no timing: the document is a pure function of the options
    std::ostringstream j;
    j << "{\"function\": \"" << function_name << "\", \"design\": \"" << design << "\", \"samples\": " << samples
      << ", \"seed\": " << seed << ", \"bootstrap\": " << resamples << ", \"confidence\": 0.95";
    if (morris) j << ", \"levels\": " << levels << ", \"candidates\": " << candidates << ", \"delta\": " << json_number(delta);
    j << ", \"runs\": " << runs << ",\n \"indices\": [";
    for (int i = 0; i < k; ++i) {
      j << (i ? ",\n  " : "\n  ") << "{\"parameter\": \"x" << i + 1 << "\"";
      if (morris) {
        const MorrisIndex& m = morris_result[static_cast<size_t>(i)];
        j << ", \"mu_star\": " << json_number(m.mu_star) << ", \"mu_star_ci\": " << interval_json(m.mu_star_ci)
          << ", \"mu\": " << json_number(m.mu) << ", \"sigma\": " << json_number(m.sigma);
      } else {
        const SobolIndex& s = sobol_result.indices[static_cast<size_t>(i)];
        j << ", \"first\": " << json_number(s.first) << ", \"first_ci\": " << interval_json(s.first_ci)
          << ", \"total\": " << json_number(s.total) << ", \"total_ci\": " << interval_json(s.total_ci);
      }
      j << "}";
    }
    j << "],\n \"analytic\": [";
    for (int i = 0; i < k; ++i)
      j << (i ? ",\n  " : "\n  ") << "{\"parameter\": \"x" << i + 1 << "\", \"first\": "
        << json_number(function.first[static_cast<size_t>(i)]) << ", \"total\": " << json_number(function.total[static_cast<size_t>(i)]) << "}";
    j << "]}\n";
    std::fputs(j.str().c_str(), stdout);
    return 0;
  }

  std::printf("%s, %s design: %lld %s, seed %lld, %zu runs, %lld bootstrap resamples, %.2f s\n", function_name.c_str(),
              design.c_str(), samples, morris ? "trajectories" : "base samples", seed, runs, resamples, seconds);
  if (morris) {
    std::printf("levels %lld, delta %.4f%s\n\n", levels, delta,
                candidates > 0 ? (", the most spread out of " + std::to_string(candidates) + " candidates").c_str() : "");
    std::printf("%-9s %10s %23s %10s %10s   %10s\n", "parameter", "mu*", "95% CI of mu*", "mu", "sigma", "analytic S_T");
    for (int i = 0; i < k; ++i) {
      const MorrisIndex& m = morris_result[static_cast<size_t>(i)];
      std::printf("x%-8d %10.4f [%10.4f, %10.4f] %10.4f %10.4f   %10.4f\n", i + 1, m.mu_star, m.mu_star_ci.lo, m.mu_star_ci.hi,
                  m.mu, m.sigma, function.total[static_cast<size_t>(i)]);
    }
    std::printf("\n(mu* in output units per unit of the input's range; the analytic total index is the ranking it should follow)\n");
  } else {
    std::printf("output mean %.4f, variance %.4f\n\n", sobol_result.mean, sobol_result.variance);
    std::printf("%-9s %9s %21s %9s   %9s %21s %9s\n", "parameter", "S_i", "95% CI", "analytic", "S_Ti", "95% CI", "analytic");
    for (int i = 0; i < k; ++i) {
      const SobolIndex& s = sobol_result.indices[static_cast<size_t>(i)];
      const size_t ii = static_cast<size_t>(i);
      std::printf("x%-8d %9.4f [%9.4f, %9.4f] %9.4f   %9.4f [%9.4f, %9.4f] %9.4f\n", i + 1, s.first, s.first_ci.lo,
                  s.first_ci.hi, function.first[ii], s.total, s.total_ci.lo, s.total_ci.hi, function.total[ii]);
    }
  }
  return 0;
}

}  // namespace commsim::cli
