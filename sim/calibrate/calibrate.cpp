// Calibration (calibrate.hpp): evaluations as studies through the study runner, NLopt on the unit
// box, identifiability probes, and the calibrated scenario and calibration file.
#include "sim/calibrate/calibrate.hpp"

#include <nlopt.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <limits>
#include <map>

#include "commsim/version.hpp"
#include "sim/calibration/accepted.hpp"
#include "sim/calibration/targets.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
#include "sim/io/text_file.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/schema_machinery.hpp"
#include "sim/scenario/tree.hpp"
#include "sim/study/runner.hpp"
#include "sim/study/study.hpp"
#include "sim/uncertainty/uncertainty.hpp"

namespace commsim {

namespace fs = std::filesystem;
using scenario_detail::Node;

namespace {

const SourcePos kCli{"command line", 0, 0};

// ------------------------------------------------------------------ the calibration file's tables
struct CalibrationFacts {
  std::string scenario_file, targets_file, targets_yaml, registry, algorithm, status, calibrated_yaml, weakest_direction;
  int64_t replicates = 0, max_evals = 0, evaluations = 0, fit_evaluations = 0, best_evaluation = 0, jacobian_rank = 0;
  double distance_start = 0, distance_best = 0, xtol = 0, probe_step = 0;
};

struct ParameterRow {
  std::string key, entry, unit, distribution, source;
  double low = 0, high = 0, start = 0, best = 0, distance_sensitivity = 0;
  bool constrained = true;
  std::vector<double> target_sensitivity;
};

struct EvaluationRow {
  int64_t index = 0, variant = 0;
  std::string phase, runs_file;
  double distance = 0;
  std::vector<double> values, unit, simulated;
};

const Table<CalibrationFacts>& facts_table() {
  using F = CalibrationFacts;
  static const Table<F> t = make_table<F>(
      "calibration_facts", "calibration", {},
      {COMMSIM_FIELDS(F, scenario_file, targets_file, targets_yaml, registry, algorithm, status, calibrated_yaml,
                      weakest_direction, replicates, max_evals, evaluations, fit_evaluations, best_evaluation,
                      jacobian_rank, distance_start, distance_best, xtol, probe_step)},
      Storage::attributes);
  return t;
}

const Table<ParameterRow>& parameter_table() {
  using P = ParameterRow;
  static const Table<P> t =
      make_table<P>("calibration_parameter", "calibration/parameters", {"parameters"},
                    {COMMSIM_FIELDS(P, key, entry, unit, distribution, source, low, high, start, best,
                                    distance_sensitivity, constrained, target_sensitivity)});
  return t;
}

const Table<EvaluationRow>& evaluation_table() {
  using E = EvaluationRow;
  static const Table<E> t =
      make_table<E>("calibration_evaluation", "calibration/evaluations", {"evaluations"},
                    {COMMSIM_FIELDS(E, index, phase, runs_file, variant, distance, values, unit, simulated)});
  return t;
}

// ------------------------------------------------------------------ the run
struct Paths {
  std::string yaml, h5, runs;
};

Paths output_paths(const std::string& output, bool abc) {
  fs::path p(output);
  const std::string ext = p.extension().string();
  if (abc) {
    if (ext != ".csv")
      throw InputError(kCli, "--output", "an ABC writes its accepted set as CSV: -o OUT.csv (got '" + output + "')");
    p.replace_extension();
    return Paths{output, p.string() + ".draws.csv", p.string() + ".runs"};
  }
  if (ext != ".yaml" && ext != ".yml")
    throw InputError(kCli, "--output", "the calibrated scenario is a YAML file: -o OUT.yaml (got '" + output + "')");
  p.replace_extension();
  return Paths{output, p.string() + ".h5", p.string() + ".runs"};
}


// Four significant digits, for comments and messages.
std::string short_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

struct Calibration {
  const CalibrationRequest& req;
  Paths paths;
  bool writer = study_writer();
  std::vector<std::string> run_overrides;  // --set, then the evaluation's run settings
  Scenario base;                           // with run_overrides
  TargetSet targets;
  std::vector<Parameter> params;           // the free parameters, in --free order
  std::vector<CalibrationEvaluation> evaluations;
  int runs_computed = 0, runs_resumed = 0;

  std::map<std::vector<double>, size_t> seen;  // unit coordinates -> evaluation (NLopt may ask twice)

  explicit Calibration(const CalibrationRequest& r) : req(r), paths(output_paths(r.output, r.abc_draws > 0)) {}

  // What the writer computes with `f` (reading files), on every rank. A failure on the writer is
  // rethrown there and reported as a failure on the other ranks, so that none waits forever.
  template <class F>
  std::vector<double> writer_decides(F f) const {
    std::vector<double> values;
    std::exception_ptr error;
    if (writer) {
      try {
        values = f();
      } catch (...) {
        error = std::current_exception();
      }
    }
    std::vector<double> message = values;
    message.push_back(error ? 1.0 : 0.0);
    message = share_from_writer(std::move(message));
    if (error) std::rethrow_exception(error);
    if (message.back() != 0.0) throw RuntimeFailure("the writing rank failed (see its message)");
    message.pop_back();
    return message;
  }

  double distance_of(const std::vector<double>& simulated) const {
    std::vector<std::vector<double>> one{simulated};
    return weighted_distance(check_against(targets, one));
  }

  // Runs the points as one study in `file`: one variant per point, req.replicates replicates each.
  // Returns per point the targets' means over replicates (on every rank).
  std::vector<std::vector<double>> run_points(const std::vector<std::vector<double>>& points, const std::string& file,
                                              const std::string& label) {
    StudyPlan plan;
    Study& st = plan.study;
    st.file = file;
    st.name = label;
    st.base_file = req.scenario_file;
    st.base_overrides = run_overrides;
    st.design = "variants";
    st.replicates = req.replicates;
    st.metrics = {"coverage"};
    for (const auto& p : params) st.axis_keys.push_back(p.key);
    st.text = "# " + label + " of commsim calibrate\nscenario: " + req.scenario_file + "\ntargets: " + req.targets_file + "\nset:\n";
    for (const auto& o : run_overrides) st.text += "  - " + o + "\n";
    st.text += "points:\n";
    for (size_t v = 0; v < points.size(); ++v) {
      StudyVariant variant;
      variant.name = label + " point " + std::to_string(v);
      st.text += "  -";
      for (size_t i = 0; i < params.size(); ++i) {
        const std::string text = parameter_override(params[i], points[v][i]).substr(params[i].key.size() + 1);
        variant.values.emplace_back(params[i].key, text);
        st.text += " " + params[i].key + "=" + text;
      }
      st.text += "\n";
      st.variants.push_back(std::move(variant));
      plan.scenarios.push_back(with_parameters(base, params, points[v]));
    }
    plan.base = base;
    plan.hash = hash_hex(st.text + "\n--base--\n" + base.resolved_yaml + "\n" + kVersion + " " + kGitCommit);

    // The writer decides whether the study is done (a complete file of the same study), to be
    // resumed (a partial file) or to run; every rank follows.
    constexpr double run = 0, resume = 1, done = 2;  // shared between ranks as a double
    const double state = writer_decides([&]() -> std::vector<double> {
      if (!req.resume) return {run};
      if (is_complete_output(file)) {
        if (read_root_string_attribute(file, "study_hash") != plan.hash)
          throw InputError(SourcePos{file, 0, 0}, "--resume",
                           "this evaluation differs from the one stored (the calibration's inputs or the program changed); "
                           "start over with --force");
        return {done};
      }
      return {fs::exists(file + ".partial") ? resume : run};
    }).front();
    if (state != done) {
      StudyRunOptions options;
      options.output = file;
      options.resume = state == resume;
      options.threads = req.threads;
      options.command_line = req.command_line;
      options.canonical_command = req.command_line;
      const StudyOutcome outcome = run_study(plan, options);
      runs_computed += outcome.runs_computed;
      runs_resumed += outcome.runs_resumed;
    } else if (writer) {
      runs_resumed += plan.runs();
    }

    const std::vector<double> flat = writer_decides([&] {
      std::vector<double> values;
      for (size_t v = 0; v < points.size(); ++v) {
        std::vector<double> mean(targets.targets.size(), 0.0);
        for (int r = 0; r < req.replicates; ++r) {
          const RunResult run = read_run(file, run_group(static_cast<long>(v) * req.replicates + r), false);
          for (size_t t = 0; t < targets.targets.size(); ++t)
            mean[t] += measure_value(targets.targets[t], plan.scenarios[v], run) / req.replicates;
        }
        values.insert(values.end(), mean.begin(), mean.end());
      }
      return values;
    });
    std::vector<std::vector<double>> out;
    const size_t n = targets.targets.size();
    for (size_t v = 0; v < points.size(); ++v) out.emplace_back(flat.begin() + static_cast<long>(v * n), flat.begin() + static_cast<long>((v + 1) * n));
    return out;
  }

  // Runs the points as one study OUT.runs/NAME and appends each to the evaluations (its variant in
  // that file = its place in `values`).
  void run_and_append(const std::vector<std::vector<double>>& values, const std::vector<std::vector<double>>& units,
                      const std::string& name, const std::string& phase, const std::string& label) {
    const auto simulated = run_points(values, (fs::path(paths.runs) / name).string(), label);
    for (size_t p = 0; p < values.size(); ++p) {
      CalibrationEvaluation e;
      e.index = static_cast<int>(evaluations.size());
      e.phase = phase;
      e.values = values[p];
      e.unit = units[p];
      e.simulated = simulated[p];
      e.distance = distance_of(e.simulated);
      e.runs_file = (fs::path(fs::path(paths.runs).filename()) / name).string();
      e.variant = static_cast<int>(p);
      evaluations.push_back(std::move(e));
    }
  }

  // One evaluation of the optimiser at unit coordinates x.
  double evaluate(const std::vector<double>& x) {
    if (const auto it = seen.find(x); it != seen.end()) return evaluations[it->second].distance;
    std::vector<double> values;
    for (size_t i = 0; i < params.size(); ++i) values.push_back(parameter_from_unit(params[i], x[i]));
    char name[32];
    std::snprintf(name, sizeof name, "eval-%04zu.h5", evaluations.size());
    const std::string file = (fs::path(paths.runs) / name).string();
    const auto simulated = run_points({values}, file, "evaluation " + std::to_string(evaluations.size())).front();
    CalibrationEvaluation e;
    e.index = static_cast<int>(evaluations.size());
    e.phase = "fit";
    e.values = values;
    e.unit = x;
    e.simulated = simulated;
    e.distance = distance_of(simulated);
    e.runs_file = (fs::path(fs::path(paths.runs).filename()) / name).string();
    evaluations.push_back(e);
    seen[x] = static_cast<size_t>(e.index);
    if (writer && req.progress) {
      double best = e.distance;
      for (const auto& ev : evaluations) best = std::min(best, ev.distance);
      req.progress(e.index, e.distance, best);
    }
    return e.distance;
  }
};

struct Objective {
  Calibration* calibration;
  std::exception_ptr error;
};

double objective(const std::vector<double>& x, std::vector<double>&, void* data) {
  auto* o = static_cast<Objective*>(data);
  try {
    return o->calibration->evaluate(x);
  } catch (...) {
    o->error = std::current_exception();
    throw nlopt::forced_stop();
  }
}

const char* result_text(nlopt::result r) {
  switch (r) {
    case nlopt::SUCCESS: return "success";
    case nlopt::STOPVAL_REACHED: return "distance below the stop value";
    case nlopt::FTOL_REACHED: return "converged: the distance changed less than the tolerance";
    case nlopt::XTOL_REACHED: return "converged: the step fell below xtol";
    case nlopt::MAXEVAL_REACHED: return "stopped at --max-evals";
    case nlopt::MAXTIME_REACHED: return "stopped at the time limit";
    default: return "stopped";
  }
}

// Eigen-decomposition of a small symmetric matrix (cyclic Jacobi rotations): eigenvalues and the
// eigenvectors as columns of `vectors`.
void symmetric_eigen(std::vector<std::vector<double>> a, std::vector<double>& values, std::vector<std::vector<double>>& vectors) {
  const size_t n = a.size();
  vectors.assign(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i) vectors[i][i] = 1.0;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (size_t p = 0; p < n; ++p)
      for (size_t q = p + 1; q < n; ++q) off += a[p][q] * a[p][q];
    if (off < 1e-24) break;
    for (size_t p = 0; p < n; ++p)
      for (size_t q = p + 1; q < n; ++q) {
        if (std::fabs(a[p][q]) < 1e-300) continue;
        const double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (size_t k = 0; k < n; ++k) {
          const double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (size_t k = 0; k < n; ++k) {
          const double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (size_t k = 0; k < n; ++k) {
          const double vkp = vectors[k][p], vkq = vectors[k][q];
          vectors[k][p] = c * vkp - s * vkq;
          vectors[k][q] = s * vkp + c * vkq;
        }
      }
  }
  values.resize(n);
  for (size_t i = 0; i < n; ++i) values[i] = a[i][i];
}

// The calibrated scenario file: extends the input and sets the free parameters (and the model keys
// of --set) to the best scenario's values; a key inside a list writes the whole list (a list in an
// extending file replaces the base's).
std::string calibrated_yaml(const Calibration& c, const Scenario& best, const CalibrationResult& result) {
  const Node tree = scenario_detail::parse_yaml(best.resolved_yaml, best.source_file, ".");
  Node out = Node::map();
  const fs::path dir = fs::absolute(fs::path(c.paths.yaml)).parent_path();
  const std::string extends = fs::relative(fs::absolute(c.req.scenario_file), dir).generic_string();
  out.add("extends", Node::scalar(extends, true));
  std::vector<std::string> keys;
  for (const auto& o : c.req.overrides) {
    const std::string key = o.substr(0, o.find('='));
    if (key.rfind("run.", 0) != 0 && key != "run") keys.push_back(key);
  }
  for (const auto& p : c.params) keys.push_back(p.key);
  for (const auto& key : keys) {
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
      const size_t dot = key.find('.', start);
      const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!part.empty() && part.find_first_not_of("0123456789") == std::string::npos) break;  // a list index
      parts.push_back(part);
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    const Node* value = &tree;
    for (const auto& part : parts) value = value && value->is_map() ? value->find(part) : nullptr;
    if (!value) continue;
    Node* at = &out;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      Node* next = at->find(parts[i]);
      if (!next) next = &at->add(parts[i], Node::map());
      at = next;
    }
    if (Node* existing = at->find(parts.back())) *existing = *value;
    else at->add(parts.back(), *value);
  }
  std::string header = "# Calibrated by `commsim calibrate` (commsim " + std::string(kVersion) + ", git " + kGitCommit +
                       ").\n# Every evaluation, the fit and the provenance: " + fs::path(c.paths.h5).filename().string() +
                       ". Targets: " + c.req.targets_file + ".\n# Weighted distance " + short_text(result.distance_start) +
                       " -> " + short_text(result.distance_best) + " after " + std::to_string(result.fit_evaluations) +
                       " evaluations x " + std::to_string(c.req.replicates) + " replicates (" + result.status + ").\n";
  for (const auto& p : result.parameters)
    header += "#   " + p.parameter.key + ": " + short_text(p.start) + " -> " + short_text(p.best) + "  (range " +
              short_text(p.parameter.low) + "-" + short_text(p.parameter.high) + "; " + p.parameter.source + ")" +
              (p.constrained ? "" : "  NOT CONSTRAINED by the targets") + "\n";
  return header + scenario_detail::to_yaml_text(out);
}

void write_calibration_file(const Calibration& c, const CalibrationResult& r, const std::string& yaml_text,
                            const std::string& registry) {
  Hdf5Output out(c.paths.h5, c.req.force || c.req.resume);
  Provenance p{c.base.name, c.base.resolved_yaml, c.req.scenario_file, c.base.run.seed, kVersion, kGitCommit, c.req.command_line};
  p.kind = "calibration";
  out.write_provenance(p);
  const size_t n_params = c.params.size(), n_targets = c.targets.targets.size();
  auto len = [&](const std::string& axis) -> size_t {
    if (axis == "parameters") return n_params;
    if (axis == "targets") return n_targets;
    if (axis == "evaluations") return r.evaluations.size();
    throw std::logic_error("unknown calibration axis '" + axis + "'");
  };
  CalibrationFacts facts;
  facts.scenario_file = c.req.scenario_file;
  facts.targets_file = c.req.targets_file;
  facts.targets_yaml = c.targets.text;
  facts.registry = registry;
  facts.algorithm = c.req.algorithm;
  facts.status = r.status;
  facts.calibrated_yaml = yaml_text;
  facts.weakest_direction = r.weakest_direction;
  facts.replicates = c.req.replicates;
  facts.max_evals = c.req.max_evals;
  facts.evaluations = static_cast<int64_t>(r.evaluations.size());
  facts.fit_evaluations = r.fit_evaluations;
  facts.best_evaluation = r.best_evaluation;
  facts.jacobian_rank = r.jacobian_rank;
  facts.distance_start = r.distance_start;
  facts.distance_best = r.distance_best;
  facts.xtol = c.req.xtol;
  facts.probe_step = c.req.probe_step;
  write_result_table(out, "/calibration", facts_table(), &facts, 1, len);
  std::vector<ParameterRow> rows;
  for (const auto& cp : r.parameters)
    rows.push_back(ParameterRow{cp.parameter.key, cp.parameter.entry, cp.parameter.unit,
                                distribution_name(cp.parameter.distribution), cp.parameter.source, cp.parameter.low,
                                cp.parameter.high, cp.start, cp.best, cp.distance_sensitivity, cp.constrained,
                                cp.target_sensitivity});
  write_result_table(out, "/calibration/parameters", parameter_table(), rows.data(), rows.size(), len);
  write_result_table(out, "/calibration/targets_start", calibration_target_table(), r.start.data(), r.start.size(), len);
  write_result_table(out, "/calibration/targets_best", calibration_target_table(), r.best.data(), r.best.size(), len);
  std::vector<EvaluationRow> evals;
  for (const auto& e : r.evaluations)
    evals.push_back(EvaluationRow{e.index, e.variant, e.phase, e.runs_file, e.distance, e.values, e.unit, e.simulated});
  write_result_table(out, "/calibration/evaluations", evaluation_table(), evals.data(), evals.size(), len);
  out.commit();
}

}  // namespace

namespace {

void check_request(const CalibrationRequest& req) {
  if (req.free_keys.empty()) throw InputError(kCli, "--free", "name at least one free parameter (commsim params lists them)");
  if (req.replicates < 1 || req.replicates > 1000) throw InputError(kCli, "--replicates", "must be in 1..1000");
  if (req.max_evals < 1 || req.max_evals > 100000) throw InputError(kCli, "--max-evals", "must be in 1..100000");
  if (req.algorithm != "bobyqa" && req.algorithm != "neldermead")
    throw InputError(kCli, "--algorithm", "'" + req.algorithm + "': allowed: bobyqa, neldermead");
  if (!(req.probe_step > 0 && req.probe_step <= 0.5)) throw InputError(kCli, "--probe-step", "must be in (0, 0.5]");
  if (!(req.xtol > 0 && req.xtol < 0.5)) throw InputError(kCli, "--xtol", "must be in (0, 0.5)");
  for (size_t i = 0; i < req.free_keys.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (req.free_keys[i] == req.free_keys[j]) throw InputError(kCli, "--free", "'" + req.free_keys[i] + "' is given twice");
}

// The base scenario with the evaluations' run settings, the targets and the free parameters.
void load_inputs(Calibration& c, const ParameterRegistry& registry) {
  const CalibrationRequest& req = c.req;
  // The evaluations' run settings come last: replicates on common random numbers, no daily records.
  c.run_overrides = req.overrides;
  c.run_overrides.push_back("run.replicates=" + std::to_string(req.replicates));
  c.run_overrides.push_back("run.daily_output=false");
  c.base = load_scenario(req.scenario_file, c.run_overrides);
  c.targets = load_targets(req.targets_file);
  check_targets(c.targets, c.base);
  size_t fitted = 0;
  for (const auto& t : c.targets.targets) fitted += t.fit();
  if (fitted == 0)
    throw InputError(SourcePos{req.targets_file, 0, 0}, "targets", "no target to fit: every target has use: check, holdout or echo");
  const std::vector<Parameter> found = registry.parameters(c.base, req.free_keys, true);
  for (const auto& key : req.free_keys)
    for (const auto& p : found)
      if (p.key == key) {
        if (!p.sampled())
          throw InputError(p.where, key,
                           "is fixed in the parameter registry (" + p.source + (p.note.empty() ? "" : "; " + p.note) +
                               "): it has no range to fit within");
        c.params.push_back(p);
      }
}

// Outputs: refuse to overwrite, or to start over on top of an interrupted calibration. The writer
// decides for every rank (another rank would see the folder the writer has just made).
void prepare_outputs(Calibration& c) {
  const CalibrationRequest& req = c.req;
  (void)c.writer_decides([&] {
    if (!req.force && !req.resume)
      for (const auto& path : {c.paths.yaml, c.paths.h5, c.paths.runs})
        if (fs::exists(path))
          throw InputError(kCli, "--output",
                           path + " exists; --force replaces the calibration" +
                               (path == c.paths.runs ? ", --resume continues it" : ""));
    std::error_code ec;
    if (req.force && !req.resume) fs::remove_all(c.paths.runs, ec);
    fs::create_directories(c.paths.runs, ec);
    if (ec || !fs::is_directory(c.paths.runs))
      throw InputError(kCli, "--output", "cannot create the folder " + c.paths.runs + " for the evaluations' runs");
    return std::vector<double>{};
  });
}

// The fit, from the scenario's values: the optimiser's evaluations; returns the best one's index.
int fit(Calibration& c, CalibrationResult& result) {
  const CalibrationRequest& req = c.req;
  const size_t k = c.params.size();
  std::vector<double> x(k);
  for (size_t i = 0; i < k; ++i) x[i] = parameter_to_unit(c.params[i], c.params[i].default_value);
  // BOBYQA needs two dimensions at least; one free parameter is fitted with Nelder-Mead.
  const bool bobyqa = req.algorithm == "bobyqa" && k >= 2;
  nlopt::opt opt(bobyqa ? nlopt::LN_BOBYQA : nlopt::LN_NELDERMEAD, static_cast<unsigned>(k));
  opt.set_lower_bounds(std::vector<double>(k, 0.0));
  opt.set_upper_bounds(std::vector<double>(k, 1.0));
  opt.set_xtol_abs(req.xtol);
  opt.set_maxeval(req.max_evals);
  opt.set_initial_step(0.2);
  Objective o{&c, nullptr};
  opt.set_min_objective(objective, &o);
  // Evaluation 0 is the scenario's own values (BOBYQA may move its first point off a bound).
  c.evaluate(x);
  double fx = 0;
  try {
    result.status = result_text(opt.optimize(x, fx));
  } catch (const nlopt::roundoff_limited&) {
    result.status = "converged: limited by the objective's resolution (roundoff)";
  } catch (const nlopt::forced_stop&) {
    if (o.error) std::rethrow_exception(o.error);
    throw RuntimeFailure("the optimiser was stopped");
  } catch (const std::exception& e) {
    if (o.error) std::rethrow_exception(o.error);
    throw RuntimeFailure(std::string("NLopt: ") + e.what());
  }
  if (o.error) std::rethrow_exception(o.error);
  if (!bobyqa && req.algorithm == "bobyqa") result.status += " (Nelder-Mead: BOBYQA needs two free parameters)";
  result.fit_evaluations = static_cast<int>(c.evaluations.size());
  int best = 0;
  for (size_t e = 0; e < c.evaluations.size(); ++e)
    if (c.evaluations[e].distance < c.evaluations[static_cast<size_t>(best)].distance) best = static_cast<int>(e);
  return best;
}

// Identifiability probes: ± probe_step around the best point in each coordinate, one study,
// appended to the evaluations (for free parameter i, + then -).
void run_probes(Calibration& c, const CalibrationEvaluation& best) {
  const size_t k = c.params.size();
  std::vector<std::vector<double>> probe_units, probe_values;
  for (size_t i = 0; i < k; ++i)
    for (const double sign : {1.0, -1.0}) {
      std::vector<double> u = best.unit;
      u[i] = std::clamp(u[i] + sign * c.req.probe_step, 0.0, 1.0);
      std::vector<double> v;
      for (size_t j = 0; j < k; ++j) v.push_back(parameter_from_unit(c.params[j], u[j]));
      probe_units.push_back(u);
      probe_values.push_back(v);
    }
  c.run_and_append(probe_values, probe_units, "probes.h5", "probe", "identifiability probes");
}

// Each free parameter's sensitivities from its two probes: is it constrained by the fitted targets?
void parameter_sensitivities(const Calibration& c, const CalibrationEvaluation& best, CalibrationResult& result) {
  for (size_t i = 0; i < c.params.size(); ++i) {
    CalibratedParameter cp;
    cp.parameter = c.params[i];
    cp.start = c.params[i].default_value;
    cp.best = best.values[i];
    const CalibrationEvaluation& plus = c.evaluations[static_cast<size_t>(result.fit_evaluations) + 2 * i];
    const CalibrationEvaluation& minus = c.evaluations[static_cast<size_t>(result.fit_evaluations) + 2 * i + 1];
    const double step = plus.unit[i] - minus.unit[i];
    cp.distance_sensitivity = std::max(std::fabs(plus.distance - best.distance), std::fabs(minus.distance - best.distance));
    double largest = 0;
    for (size_t t = 0; t < c.targets.targets.size(); ++t) {
      const Target& target = c.targets.targets[t];
      const double d = step > 0 ? (plus.simulated[t] - minus.simulated[t]) / target.tolerance / step : 0.0;
      cp.target_sensitivity.push_back(std::isfinite(d) ? d : 0.0);
      if (target.fit()) largest = std::max(largest, std::fabs(cp.target_sensitivity.back()));
    }
    cp.constrained = largest * c.req.probe_step >= 0.1;
    if (!cp.constrained) result.unconstrained.push_back(cp.parameter.key);
    result.parameters.push_back(std::move(cp));
  }
}

// Rank of the fitted targets' sensitivities: directions (unit vectors in the free parameters'
// unit coordinates) along which a probe step moves the fitted targets by at least 0.1 tolerance;
// when it is below the number of free parameters, the direction least identified.
void identifiability(const Calibration& c, CalibrationResult& result) {
  const size_t k = c.params.size();
  std::vector<std::vector<double>> gram(k, std::vector<double>(k, 0.0));
  for (size_t t = 0; t < c.targets.targets.size(); ++t) {
    if (!c.targets.targets[t].fit()) continue;
    for (size_t a = 0; a < k; ++a)
      for (size_t b = 0; b < k; ++b)
        gram[a][b] += result.parameters[a].target_sensitivity[t] * result.parameters[b].target_sensitivity[t];
  }
  std::vector<double> eigenvalues;
  std::vector<std::vector<double>> eigenvectors;
  symmetric_eigen(gram, eigenvalues, eigenvectors);
  const double threshold = 0.1 / c.req.probe_step;
  size_t weakest = 0;
  for (size_t a = 0; a < k; ++a) {
    result.jacobian_rank += std::sqrt(std::max(0.0, eigenvalues[a])) >= threshold;
    if (eigenvalues[a] < eigenvalues[weakest]) weakest = a;
  }
  if (result.jacobian_rank >= static_cast<int>(k)) return;
  std::string direction;
  for (size_t a = 0; a < k; ++a) {
    const double w = eigenvectors[a][weakest];
    if (std::fabs(w) < 0.05) continue;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%.2f × ", direction.empty() ? (w < 0 ? "-" : "") : (w < 0 ? " - " : " + "), std::fabs(w));
    direction += buf + c.params[a].key;
  }
  char tail[96];
  std::snprintf(tail, sizeof tail, " (unit coordinates; moves the fitted targets by %.3g tolerance per probe step)",
                std::sqrt(std::max(0.0, eigenvalues[weakest])) * c.req.probe_step);
  result.weakest_direction = direction + tail;
}

// The writer's outputs: the calibrated scenario (checked by loading it again) and OUT.h5.
void write_outputs(const Calibration& c, const ParameterRegistry& registry, const CalibrationEvaluation& best,
                   const CalibrationResult& result) {
  const Scenario best_scenario = with_parameters(c.base, c.params, best.values);
  const std::string yaml = calibrated_yaml(c, best_scenario, result);
  // The file must load and give the best scenario's model (run settings aside).
  const Scenario reloaded = load_scenario_text(yaml, c.paths.yaml, fs::absolute(fs::path(c.paths.yaml)).parent_path().string(),
                                               c.run_overrides);
  for (size_t i = 0; i < c.params.size(); ++i) {
    const auto again = registry.parameters(reloaded, {c.params[i].key}, false);
    if (again.empty() || std::fabs(again.front().default_value - best.values[i]) > 1e-12 * std::max(1.0, std::fabs(best.values[i])))
      throw RuntimeFailure("internal error: the calibrated scenario does not give " + c.params[i].key + " its fitted value");
  }
  write_calibration_file(c, result, yaml, c.req.registry_file.empty() ? "shipped" : c.req.registry_file);
  write_text_atomically(c.paths.yaml, yaml, "--output");
}

}  // namespace

CalibrationResult calibrate(const CalibrationRequest& req) {
  if (req.abc_draws > 0) return calibrate_abc(req);
  const auto start_time = std::chrono::steady_clock::now();
  check_request(req);
  Calibration c(req);
  const ParameterRegistry loaded = req.registry_file.empty() ? ParameterRegistry() : ParameterRegistry::load(req.registry_file);
  const ParameterRegistry& registry = req.registry_file.empty() ? ParameterRegistry::shipped() : loaded;
  load_inputs(c, registry);
  prepare_outputs(c);

  CalibrationResult result;
  result.writer = c.writer;
  result.yaml_path = c.paths.yaml;
  result.h5_path = c.paths.h5;
  result.runs_dir = c.paths.runs;
  result.best_evaluation = fit(c, result);
  const CalibrationEvaluation best = c.evaluations[static_cast<size_t>(result.best_evaluation)];
  run_probes(c, best);
  parameter_sensitivities(c, best, result);
  identifiability(c, result);

  std::vector<std::vector<double>> start_values{c.evaluations.front().simulated}, best_values{best.simulated};
  result.start = check_against(c.targets, start_values);
  result.best = check_against(c.targets, best_values);
  result.distance_start = c.evaluations.front().distance;
  result.distance_best = best.distance;
  result.evaluations = c.evaluations;
  result.runs_computed = c.runs_computed;
  result.runs_resumed = c.runs_resumed;
  if (c.writer) write_outputs(c, registry, best, result);
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return result;
}


namespace {

// A draw is accepted when every fitted target is within its tolerance, or (accept_best > 0) when
// its distance is among the best accept_best % of the draws (at least one; ties by draw number).
std::vector<int> accepted_draws(const Calibration& c, const std::vector<CalibrationEvaluation>& draws) {
  std::vector<int> out;
  if (c.req.accept_best > 0) {
    std::vector<int> order(draws.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return draws[static_cast<size_t>(a)].distance < draws[static_cast<size_t>(b)].distance; });
    const auto n = std::max<size_t>(1, static_cast<size_t>(std::lround(c.req.accept_best / 100.0 * static_cast<double>(draws.size()))));
    out.assign(order.begin(), order.begin() + static_cast<long>(std::min(n, order.size())));
    std::sort(out.begin(), out.end());
    return out;
  }
  for (size_t d = 0; d < draws.size(); ++d) {
    bool all = true;
    for (size_t t = 0; t < c.targets.targets.size(); ++t) {
      const Target& target = c.targets.targets[t];
      if (target.fit()) all = all && std::fabs(draws[d].simulated[t] - target.observed) <= target.tolerance;
    }
    if (all) out.push_back(static_cast<int>(d));
  }
  return out;
}

// The accepted set and every draw, as CSV files with the command that made them.
void write_abc_files(const Calibration& c, const CalibrationResult& r) {
  const CalibrationRequest& req = c.req;
  char rate[160];
  std::snprintf(rate, sizeof rate, "%zu of %d draws accepted (%.1f %%): %s", r.accepted.size(), req.abc_draws,
                100.0 * static_cast<double>(r.accepted.size()) / req.abc_draws,
                req.accept_best > 0 ? ("the best " + short_text(req.accept_best) + " % by weighted distance").c_str()
                                    : "every fitted target within its tolerance");
  std::vector<std::string> comments = {
      "Accepted parameter sets of a rejection ABC (commsim " + std::string(kVersion) + ", git " + kGitCommit +
          "; docs/calibration.md, \"The accepted set\").",
      "Made by: " + req.command_line,
      "Targets: " + req.targets_file + " (fitted: use: fit); scenario: " + req.scenario_file + ".",
      std::string("Draws: a Latin hypercube over the free parameters' registry ranges (seed ") +
          std::to_string(req.abc_seed) + "), " + std::to_string(req.replicates) + " replicate(s) each on common random numbers.",
      rate,
      "Runs: " + fs::path(c.paths.runs).filename().string() + "/abc.h5; every draw: " + fs::path(c.paths.h5).filename().string() + "."};
  for (const auto& p : c.params)
    comments.push_back("  " + p.key + ": range " + short_text(p.low) + "-" + short_text(p.high) + " (" + p.source + ")");
  AcceptedSet accepted, all;
  for (const auto& p : c.params) accepted.keys.push_back(p.key);
  all.keys = accepted.keys;
  for (const auto& t : c.targets.targets) all.keys.push_back(t.name);
  for (const auto& e : r.evaluations) {
    all.draws.push_back(e.index);
    all.distances.push_back(e.distance);
    std::vector<double> row = e.values;
    row.insert(row.end(), e.simulated.begin(), e.simulated.end());
    all.rows.push_back(std::move(row));
  }
  for (int a : r.accepted) {
    const CalibrationEvaluation& e = r.evaluations[static_cast<size_t>(a)];
    accepted.draws.push_back(e.index);
    accepted.distances.push_back(e.distance);
    accepted.rows.push_back(e.values);
  }
  std::vector<std::string> draw_comments = comments;
  draw_comments.push_back("Every draw: its parameters, then each target's simulated value (mean over replicates).");
  write_text_atomically(c.paths.h5, accepted_set_csv(draw_comments, all), "--output");
  write_text_atomically(c.paths.yaml, accepted_set_csv(comments, accepted), "--output");
}

}  // namespace

CalibrationResult calibrate_abc(const CalibrationRequest& req) {
  const auto start_time = std::chrono::steady_clock::now();
  check_request(req);
  if (req.abc_draws < 2 || req.abc_draws > kMaxUncertaintySamples)
    throw InputError(kCli, "--abc", "must be a number of draws in 2.." + std::to_string(kMaxUncertaintySamples));
  if (!(req.accept_best >= 0 && req.accept_best < 100)) throw InputError(kCli, "--accept-best", "must be a percentage in (0, 100)");
  Calibration c(req);
  const ParameterRegistry loaded = req.registry_file.empty() ? ParameterRegistry() : ParameterRegistry::load(req.registry_file);
  load_inputs(c, req.registry_file.empty() ? ParameterRegistry::shipped() : loaded);
  prepare_outputs(c);
  CalibrationResult result;
  result.writer = c.writer;
  result.accepted_path = c.paths.yaml;
  result.draws_path = c.paths.h5;
  result.runs_dir = c.paths.runs;
  const auto unit = latin_hypercube(req.abc_draws, static_cast<int>(c.params.size()), req.abc_seed);
  std::vector<std::vector<double>> values;
  for (const auto& u : unit) {
    std::vector<double> v;
    for (size_t i = 0; i < c.params.size(); ++i) v.push_back(parameter_quantile(c.params[i], u[i]));
    values.push_back(std::move(v));
  }
  c.run_and_append(values, unit, "abc.h5", "abc", "ABC draws");
  result.evaluations = c.evaluations;
  result.fit_evaluations = static_cast<int>(c.evaluations.size());
  result.accepted = accepted_draws(c, c.evaluations);
  for (size_t e = 0; e < c.evaluations.size(); ++e)
    if (c.evaluations[e].distance < c.evaluations[static_cast<size_t>(result.best_evaluation)].distance)
      result.best_evaluation = static_cast<int>(e);
  std::vector<std::vector<double>> best_values{c.evaluations[static_cast<size_t>(result.best_evaluation)].simulated};
  result.best = check_against(c.targets, best_values);
  result.distance_best = c.evaluations[static_cast<size_t>(result.best_evaluation)].distance;
  for (const auto& p : c.params) result.parameters.push_back(CalibratedParameter{p, p.default_value, 0, 0, {}, true});
  result.runs_computed = c.runs_computed;
  result.runs_resumed = c.runs_resumed;
  if (c.writer) write_abc_files(c, result);
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return result;
}

namespace {

template <class Row>
std::string table_markdown(const std::string& group, const Table<Row>& t) {
  std::string out = "### `" + group + "`" + (t.storage == Storage::attributes ? " (attributes)" : "") + "\n\n" + t.description;
  if (!t.axes.empty()) {
    out += "; shape (";
    for (size_t i = 0; i < t.axes.size(); ++i) out += (i ? ", " : "") + t.axes[i];
    out += ")";
  }
  out += ".\n\n| name | type | unit | description |\n|---|---|---|---|\n";
  for (const auto& f : t.fields)
    out += "| `" + f.name + "` | " + dtype_name(f.dtype) + (f.axis.empty() ? "" : " (×" + f.axis + ")") + " | " + f.unit +
           " | " + f.description + " |\n";
  return out + "\n";
}

}  // namespace

std::string calibration_file_markdown() {
  return "A calibration file (`OUT.h5`, root attribute `kind = calibration`) has the root attributes of every\n"
         "output file (docs/output-format.md: format, provenance of the input scenario) and the tables below.\n"
         "`parameters` is the axis of the free parameters (in `--free` order), `targets` that of the targets\n"
         "(in the targets file's order), `evaluations` that of the evaluations (the optimiser's, then the\n"
         "probes: for free parameter i, + then -). The runs of every evaluation are study files in `OUT.runs/`\n"
         "(docs/output-format.md, study files).\n\n" +
         table_markdown("/calibration", facts_table()) + table_markdown("/calibration/parameters", parameter_table()) +
         table_markdown("/calibration/targets_start", calibration_target_table()) +
         "`/calibration/targets_best` has the same fields, at the best point.\n\n" +
         table_markdown("/calibration/evaluations", evaluation_table());
}

}  // namespace commsim
