// NSGA-II over the levers with pagmo2 (pareto.hpp).
#include "sim/plan/pareto.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/bfe.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>

#include "sim/calibration/registry.hpp"
#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/plan/outcomes.hpp"
#include "sim/scenario/load.hpp"
#include "sim/study/runner.hpp"
#include "sim/study/study.hpp"
#include "sim/uncertainty/uncertainty.hpp"

namespace commsim {

namespace {

const SourcePos kCli{"command line", 0, 0};

// Lever values are whole or on 0.01 steps, schema ranges short: 12 digits read back exactly.
std::string value_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

// The q-th quantile (0..1) of values, linear between order statistics.
double quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double at = q * static_cast<double>(values.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(at));
  if (i + 1 >= values.size()) return values.back();
  return values[i] + (at - static_cast<double>(i)) * (values[i + 1] - values[i]);
}

using Point = std::pair<std::vector<double>, std::vector<double>>;  // levers, minimised objectives

// The evaluations file's first line: what a point's objectives depend on besides its levers.
std::string evaluations_header(const ParetoRequest& rq) {
  std::string key = load_scenario(rq.scenario, rq.overrides).resolved_yaml;
  for (const auto& l : rq.levers) key += "\nlever " + l.key;
  for (const auto& o : rq.objectives) key += "\nobjective " + o;
  key += "\nservice " + rq.service + "\nreplicates " + std::to_string(rq.replicates) + "\nrobust " +
         std::to_string(rq.robust_draws);
  return "# commsim pareto evaluations " + hash_hex(key);
}

// The points of an evaluations file: a line each, the levers then the objectives as hexadecimal
// floats (bit for bit). A last line a crash cut short (no newline, or too few numbers) is dropped.
std::vector<Point> read_evaluations(const std::string& path, size_t nx, size_t nobj) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // the header, checked by evaluations_file_check
  std::vector<Point> points;
  while (std::getline(in, line) && !in.eof()) {
    std::vector<double> v;
    const char* at = line.c_str();
    for (char* end = nullptr;; at = end) {
      const double x = std::strtod(at, &end);
      if (end == at) break;
      v.push_back(x);
    }
    if (v.size() != nx + nobj) break;
    points.emplace_back(std::vector<double>(v.begin(), v.begin() + static_cast<long>(nx)),
                        std::vector<double>(v.begin() + static_cast<long>(nx), v.end()));
  }
  return points;
}

void append_evaluations(const std::string& path, const std::vector<Point>& points) {
  std::ofstream out(path, std::ios::app);
  for (const auto& [x, f] : points) {
    std::string line;
    char buf[40];
    for (const auto* values : {&x, &f})
      for (double v : *values) std::snprintf(buf, sizeof buf, "%a ", v), line += buf;
    line.back() = '\n';
    out << line;
  }
  out.flush();
  if (!out) throw RuntimeFailure("pareto: cannot append to the evaluations file " + path);
}

// Runs points: each lever vector (rounded to the levers' grid) once, remembered.
class Evaluator {
 public:
  explicit Evaluator(const ParetoRequest& rq) : rq_(rq) {
    if (rq.robust_draws > 0) {
      const Scenario base = load_scenario(rq.scenario, rq.overrides);
      std::vector<std::string> held;
      for (const auto& o : rq.overrides) held.push_back(o.substr(0, o.find('=')));
      for (const auto& l : rq.levers) held.push_back(l.key);
      draws_ = draw_parameters(base, held, rq.robust_draws, base.run.seed);
    }
    if (const char* env = std::getenv(kAbortAfterEnv)) abort_after_ = std::atoi(env);  // crash tests
    if (rq.evaluations_file.empty()) return;
    // Every rank has checked the file (evaluations_file_check) before the writer creates it.
    sum_over_ranks({0.0});
    if (rq.resume) read_back();
    else if (study_writer()) std::ofstream(rq.evaluations_file, std::ios::trunc) << evaluations_header(rq) << "\n";
  }
  std::vector<double> rounded(std::vector<double> x) const {
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = rq_.levers[i].integer ? std::round(x[i]) : std::round(x[i] * 100) / 100;
    return x;
  }
  std::vector<std::string> sets(const std::vector<double>& x) const {
    std::vector<std::string> out;
    for (size_t i = 0; i < x.size(); ++i) out.push_back(rq_.levers[i].key + "=" + value_text(x[i]));
    return out;
  }
  // Minimised objectives (an outcome better large negated).
  std::vector<double> operator()(const std::vector<double>& x_in) {
    const std::vector<double> x = rounded(x_in);
    const auto it = seen_.find(x);
    if (it != seen_.end()) return it->second;
    std::vector<double> f;
    const std::vector<std::vector<double>> values = outcomes(x);
    for (size_t k = 0; k < values.size(); ++k) {
      const bool small = minimised(rq_.objectives[k]);  // robust: the bad tail, 90th or 10th percentile
      const double v = rq_.robust_draws > 0 ? quantile(values[k], small ? 0.9 : 0.1) : mean(values[k]);
      f.push_back(small ? v : -v);
    }
    const std::vector<double>& out = seen_.emplace(x, f).first->second;
    report();
    return out;
  }
  void report() const {
    if (!rq_.progress || !study_writer()) return;
    const int per_point = rq_.replicates * std::max(1, rq_.robust_draws);
    rq_.progress(runs, rq_.population * (rq_.generations + 1) * per_point, points_resumed * per_point);
  }
  // A batch of points (pagmo's bfe, flattened, nx levers each): the new ones shared out among the
  // MPI ranks (the p-th to rank p mod ranks), their objectives summed over the ranks so that every
  // rank holds all of them and takes the same search path; the objectives of every point, in order.
  std::vector<double> batch(const std::vector<double>& flat, size_t nx) {
    std::vector<std::vector<double>> fresh;
    for (size_t i = 0; i + nx <= flat.size(); i += nx) {
      const std::vector<double> x = rounded({flat.begin() + static_cast<long>(i), flat.begin() + static_cast<long>(i + nx)});
      if (seen_.count(x) != 0 || std::find(fresh.begin(), fresh.end(), x) != fresh.end()) continue;
      if (const auto it = resumed_.find(x); it != resumed_.end()) {
        seen_.insert(*it);
        ++points_resumed;
        runs += rq_.replicates * std::max(1, rq_.robust_draws);
      } else {
        fresh.push_back(x);
      }
    }
    const size_t nobj = rq_.objectives.size(), ranks = static_cast<size_t>(study_ranks());
    std::vector<double> mine(fresh.size() * nobj + 1, 0.0);  // the last: this rank's city runs
    const int runs_before = runs;
    for (size_t p = static_cast<size_t>(study_rank()); p < fresh.size(); p += ranks) {
      const std::vector<double> f = (*this)(fresh[p]);
      std::copy(f.begin(), f.end(), mine.begin() + static_cast<long>(p * nobj));
    }
    mine.back() = runs - runs_before;
    const std::vector<double> all = sum_over_ranks(std::move(mine));
    runs = runs_before + static_cast<int>(all.back());
    std::vector<Point> computed;
    for (size_t p = 0; p < fresh.size(); ++p)
      computed.push_back(*seen_.insert_or_assign(fresh[p], std::vector<double>(all.begin() + static_cast<long>(p * nobj),
                                                                                all.begin() + static_cast<long>((p + 1) * nobj))).first);
    if (!rq_.evaluations_file.empty() && study_writer()) append_evaluations(rq_.evaluations_file, computed);
    points_computed += static_cast<int>(fresh.size());
    report();
    if (abort_after_ >= 0 && points_computed >= abort_after_) std::_Exit(99);
    std::vector<double> out;
    for (size_t i = 0; i + nx <= flat.size(); i += nx) {
      const std::vector<double> f = (*this)({flat.begin() + static_cast<long>(i), flat.begin() + static_cast<long>(i + nx)});
      out.insert(out.end(), f.begin(), f.end());
    }
    return out;
  }
  const std::map<std::vector<double>, std::vector<double>>& seen() const { return seen_; }
  int runs = 0, points_resumed = 0, points_computed = 0;

 private:
  static double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  }
  // Per objective: the replicate means of each draw (robust), or each replicate's value.
  std::vector<std::vector<double>> outcomes(const std::vector<double>& x) {
    std::vector<std::vector<double>> out(rq_.objectives.size());
    const int draws = std::max(1, rq_.robust_draws);
    for (int d = 0; d < draws; ++d) {
      std::vector<std::string> overrides = rq_.overrides;
      if (rq_.robust_draws > 0)
        for (size_t p = 0; p < draws_.parameters.size(); ++p)
          overrides.push_back(parameter_override(draws_.parameters[p], draws_.values[static_cast<size_t>(d)][p]));
      for (const auto& s : sets(x)) overrides.push_back(s);
      const Scenario sc = load_scenario(rq_.scenario, overrides);
      RunOptions options;
      options.prepared = prepare_inputs(sc);
      std::vector<std::vector<double>> reps(rq_.objectives.size());
      for (int r = 0; r < rq_.replicates; ++r, ++runs) {
        const RunResult run = run_replicate(sc, r, options);
        for (size_t k = 0; k < rq_.objectives.size(); ++k) reps[k].push_back(run_outcome(run, rq_.objectives[k], rq_.service));
      }
      for (size_t k = 0; k < reps.size(); ++k) {
        if (rq_.robust_draws > 0) out[k].push_back(mean(reps[k]));
        else out[k] = reps[k];
      }
    }
    return out;
  }
  // The evaluations file's points, read by the writing rank and summed into every rank.
  void read_back() {
    const size_t nx = rq_.levers.size(), nobj = rq_.objectives.size();
    std::vector<double> flat;
    if (study_writer())
      for (const auto& [x, f] : read_evaluations(rq_.evaluations_file, nx, nobj))
        flat.insert(flat.end(), x.begin(), x.end()), flat.insert(flat.end(), f.begin(), f.end());
    flat.resize(static_cast<size_t>(sum_over_ranks({static_cast<double>(flat.size())})[0]), 0.0);
    flat = sum_over_ranks(std::move(flat));
    for (size_t i = 0; i + nx + nobj <= flat.size(); i += nx + nobj)
      resumed_.emplace(std::vector<double>(flat.begin() + static_cast<long>(i), flat.begin() + static_cast<long>(i + nx)),
                       std::vector<double>(flat.begin() + static_cast<long>(i + nx), flat.begin() + static_cast<long>(i + nx + nobj)));
    if (!study_writer()) return;
    // Rewritten without a line a crash cut short, so that the lines appended next stay whole.
    const std::string tmp = rq_.evaluations_file + ".tmp";
    std::ofstream(tmp, std::ios::trunc) << evaluations_header(rq_) << "\n";
    append_evaluations(tmp, std::vector<Point>(resumed_.begin(), resumed_.end()));
    std::filesystem::rename(tmp, rq_.evaluations_file);
  }
  const ParetoRequest& rq_;
  ParameterDraws draws_;
  std::map<std::vector<double>, std::vector<double>> seen_, resumed_;
  int abort_after_ = -1;
};

// The levers' box as a pagmo problem (default-constructible and copyable, as pagmo wants: the
// evaluator is shared by the copies).
struct LeverProblem {
  std::shared_ptr<Evaluator> evaluator;
  std::vector<double> low, high;
  size_t objectives = 2;
  pagmo::vector_double fitness(const pagmo::vector_double& x) const { return (*evaluator)(x); }
  std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const { return {low, high}; }
  pagmo::vector_double::size_type get_nobj() const { return objectives; }
};

// The batch evaluator NSGA-II and the first population use: the evaluator's batch, over MPI ranks.
struct RankBatch {
  std::shared_ptr<Evaluator> evaluator;
  pagmo::vector_double operator()(const pagmo::problem& p, const pagmo::vector_double& dvs) const {
    return evaluator->batch(dvs, p.get_nx());
  }
};

}  // namespace

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool better = false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k] > b[k]) return false;
    better = better || a[k] < b[k];
  }
  return better;
}

Lever parse_lever(const std::string& text, const std::string& scenario_file, const std::vector<std::string>& overrides) {
  const size_t eq = text.find('='), colon = text.find(':', eq == std::string::npos ? 0 : eq);
  if (eq == std::string::npos || colon == std::string::npos)
    throw InputError(kCli, "--lever", "expected KEY=LOW:HIGH, got '" + text + "'");
  Lever l;
  l.key = text.substr(0, eq);
  char* end = nullptr;
  const std::string low = text.substr(eq + 1, colon - eq - 1), high = text.substr(colon + 1);
  l.low = std::strtod(low.c_str(), &end);
  const bool low_ok = !low.empty() && *end == '\0';
  l.high = std::strtod(high.c_str(), &end);
  if (!low_ok || high.empty() || *end != '\0' || !(l.low < l.high))
    throw InputError(kCli, "--lever " + l.key, "expected LOW:HIGH with numbers LOW < HIGH, got '" + text.substr(eq + 1) + "'");
  const Scenario sc = load_scenario(scenario_file, overrides);
  const std::vector<ScenarioKey> keys = scenario_scalar_keys(sc);
  const auto key = std::find_if(keys.begin(), keys.end(), [&](const ScenarioKey& k) { return k.key == l.key; });
  if (key == keys.end() || (key->row.type != "number" && key->row.type != "integer"))
    throw InputError(kCli, "--lever " + l.key, "'" + l.key + "' is not a number key of the scenario (docs/scenario-reference.md)");
  const SchemaRow& row = key->row;
  const bool low_in = row.low_open ? l.low > row.low : l.low >= row.low;
  const bool high_in = row.high_open ? l.high < row.high : l.high <= row.high;
  if (!low_in || !high_in)
    throw InputError(kCli, "--lever " + l.key, "range " + value_text(l.low) + ":" + value_text(l.high) +
                                                   " is outside the key's range " + (row.low_open ? "(" : "[") +
                                                   value_text(row.low) + ", " + value_text(row.high) + (row.high_open ? ")" : "]"));
  l.integer = row.type == "integer";
  return l;
}

void evaluations_file_check(const ParetoRequest& rq, bool force) {
  const std::string& file = rq.evaluations_file;
  std::error_code ec;
  const bool exists = std::filesystem::exists(file, ec);
  if (!rq.resume) {
    if (exists && !force)
      throw InputError(kCli, "--output", "an interrupted search left " + file + ": --resume continues it, --force starts over");
    return;
  }
  if (!exists) throw InputError(kCli, "--resume", "no interrupted search to continue: " + file + " does not exist");
  std::ifstream in(file);
  std::string header;
  std::getline(in, header);
  if (header != evaluations_header(rq))
    throw InputError(kCli, "--resume", file + " was written for another search (scenario, --set, levers, objectives, "
                                       "service, replicates or robust draws differ): rerun with --force to start over");
}

ParetoResult pareto_front(const ParetoRequest& rq) {
  if (rq.population < 8 || rq.population % 4 != 0 || rq.population > 10000)
    throw InputError(kCli, "--population", "NSGA-II needs a population that is a multiple of 4 in 8..10000, got " +
                                               std::to_string(rq.population));
  if (rq.generations < 1 || rq.generations > 10000) throw InputError(kCli, "--generations", "must be in 1..10000");
  auto evaluator = std::make_shared<Evaluator>(rq);
  LeverProblem udp{evaluator, {}, {}, rq.objectives.size()};
  for (const auto& l : rq.levers) udp.low.push_back(l.low), udp.high.push_back(l.high);
  const unsigned seed = static_cast<unsigned>(rq.seed != 0 ? rq.seed : load_scenario(rq.scenario, rq.overrides).run.seed);
  pagmo::problem problem{udp};
  const pagmo::bfe ranks{RankBatch{evaluator}};  // each generation's new points shared out among MPI ranks
  pagmo::population population{problem, ranks, static_cast<pagmo::population::size_type>(rq.population), seed};
  pagmo::nsga2 algorithm{static_cast<unsigned>(rq.generations), 0.95, 10., 0.01, 50., seed};
  algorithm.set_bfe(ranks);
  population = algorithm.evolve(population);

  ParetoResult out;
  out.objectives = rq.objectives;
  out.replicates = rq.replicates;
  out.seed = seed;
  out.robust_draws = rq.robust_draws;
  for (const auto& l : rq.levers) out.lever_keys.push_back(l.key);
  out.evaluations = static_cast<int>(evaluator->seen().size());
  out.evaluations_resumed = evaluator->points_resumed;
  out.city_runs = evaluator->runs;
  std::vector<std::vector<double>> kept;
  for (const auto& [x, f] : evaluator->seen()) {
    bool dominated = false;
    for (const auto& [y, g] : evaluator->seen()) dominated = dominated || dominates(g, f);
    if (dominated || std::find(kept.begin(), kept.end(), f) != kept.end()) continue;  // levers with the same outcomes: the first
    kept.push_back(f);
    ParetoPoint p{x, f, evaluator->sets(x)};
    for (size_t k = 0; k < f.size(); ++k)
      if (!minimised(rq.objectives[k])) p.objectives[k] = -f[k];
    out.front.push_back(p);
  }
  std::stable_sort(out.front.begin(), out.front.end(),
                   [](const ParetoPoint& a, const ParetoPoint& b) { return a.objectives[0] < b.objectives[0]; });
  return out;
}

}  // namespace commsim
