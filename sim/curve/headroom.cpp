// Headroom (curve.hpp): the largest uniform demand multiplier at which every service meets its
// coverage target, found by an adaptive study (bracket by doubling or halving from 1, then
// bisection), and the /headroom tables.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/io/hdf5_output.hpp"
#include "sim/scenario/load.hpp"
#include "sim/curve/curve.hpp"

namespace commsim {

namespace {

const SourcePos kCommandLine{"command line", 0, 0};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kMultiplierKey = "run.demand_multiplier";

// The passing multiplier just below the smallest failing one, and that failing one (indices into
// the evaluations; -1 when there is none).
struct Bracket {
  int pass = -1, fail = -1;
};

Bracket bracket(const std::vector<HeadroomEvaluation>& ev) {
  Bracket b;
  for (size_t i = 0; i < ev.size(); ++i)
    if (!ev[i].passes && (b.fail < 0 || ev[i].multiplier < ev[static_cast<size_t>(b.fail)].multiplier)) b.fail = static_cast<int>(i);
  for (size_t i = 0; i < ev.size(); ++i) {
    if (!ev[i].passes) continue;
    if (b.fail >= 0 && ev[i].multiplier >= ev[static_cast<size_t>(b.fail)].multiplier) continue;  // not monotone: ignored
    if (b.pass < 0 || ev[i].multiplier > ev[static_cast<size_t>(b.pass)].multiplier) b.pass = static_cast<int>(i);
  }
  return b;
}

}  // namespace

StudyPlan plan_headroom(HeadroomRequest& rq) {
  using curve_detail::number_text;
  for (const auto& o : rq.overrides)
    if (o.rfind(std::string(kMultiplierKey) + "=", 0) == 0)
      throw InputError(kCommandLine, "--set", std::string("headroom varies ") + kMultiplierKey + " itself; do not set it");
  const Scenario base = load_scenario(rq.scenario, rq.overrides);
  if (rq.target < 0) rq.target = base.run.coverage_target;
  if (!(rq.target > 0 && rq.target <= 1)) throw InputError(kCommandLine, "--target", "must be a coverage share in (0, 1]");
  if (!(rq.tolerance > 0 && rq.tolerance <= 1)) throw InputError(kCommandLine, "--tolerance", "must be in (0, 1] (multiplier units)");
  if (rq.replicates < 1 || rq.replicates > 100000) throw InputError(kCommandLine, "--replicates", "must be in 1..100000");
  std::string text = "# The study `commsim headroom` ran (docs/curves.md): target " + number_text(rq.target) + ", tolerance " +
                     number_text(rq.tolerance) + ", multipliers " + number_text(rq.min_multiplier) + ".." +
                     number_text(rq.max_multiplier) + ".\n# Its variants are the multipliers evaluated, added round by round.\n" +
                     curve_detail::study_head("headroom", rq.scenario, rq.overrides);
  text += "design: variants\nvariants:\n  - {name: \"demand_multiplier=1\", " + std::string(kMultiplierKey) + ": 1}\n";
  text += "replicates: " + std::to_string(rq.replicates) + "\nmetrics: [coverage]\n";
  return plan_parsed_study(parse_study_text(text, "commsim headroom"));
}

std::vector<HeadroomEvaluation> headroom_evaluations(const StudyPlan& plan, const std::vector<std::vector<double>>& values,
                                                     double target) {
  std::vector<HeadroomEvaluation> out;
  const size_t services = plan.scenarios.front().services.size(), reps = static_cast<size_t>(plan.study.replicates);
  for (size_t v = 0; v < plan.scenarios.size(); ++v) {
    HeadroomEvaluation e;
    e.multiplier = plan.scenarios[v].run.demand_multiplier;
    for (size_t s = 0; s < services; ++s) {
      std::vector<double> x;
      for (size_t r = 0; r < reps; ++r) x.push_back(values.at(v * reps + r).at(s));
      e.coverage.push_back(mean_ci(x));
      const double margin = e.coverage.back().mean - target;
      if (s == 0 || margin < e.worst_margin) {
        e.worst_margin = margin;
        e.worst_service = static_cast<int>(s);
      }
    }
    e.passes = e.worst_margin >= 0;
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<double> headroom_next(const HeadroomRequest& rq, const std::vector<HeadroomEvaluation>& ev) {
  if (ev.empty()) return 1.0;
  const Bracket b = bracket(ev);
  if (b.fail < 0) {  // everything passed so far: double the largest
    double top = 0;
    for (const auto& e : ev) top = std::max(top, e.multiplier);
    if (top >= rq.max_multiplier) return std::nullopt;
    return std::min(top * 2, rq.max_multiplier);
  }
  const double hi = ev[static_cast<size_t>(b.fail)].multiplier;
  if (b.pass < 0) {  // nothing passed below the smallest failing: halve it
    if (hi <= rq.min_multiplier) return std::nullopt;
    return std::max(hi / 2, rq.min_multiplier);
  }
  const double lo = ev[static_cast<size_t>(b.pass)].multiplier;
  if (hi - lo <= rq.tolerance * (1 + 1e-9)) return std::nullopt;
  return (lo + hi) / 2;
}

HeadroomResult headroom_result(const HeadroomRequest& rq, const std::vector<std::string>& services,
                               const std::vector<HeadroomEvaluation>& ev) {
  HeadroomResult r;
  r.target = rq.target;
  r.tolerance = rq.tolerance;
  r.replicates = rq.replicates;
  r.services = services;
  r.evaluations = ev;
  const Bracket b = bracket(ev);
  r.status = b.fail < 0 ? "above_max" : b.pass < 0 ? "below_min" : "found";
  r.multiplier = r.failing_multiplier = r.margin = r.fails_first_coverage = kNaN;
  if (b.pass >= 0) {
    const HeadroomEvaluation& e = ev[static_cast<size_t>(b.pass)];
    r.multiplier = e.multiplier;
    r.binding = services.at(static_cast<size_t>(e.worst_service));
    r.margin = e.worst_margin;
  }
  if (b.fail >= 0) {
    const HeadroomEvaluation& e = ev[static_cast<size_t>(b.fail)];
    r.failing_multiplier = e.multiplier;
    r.fails_first = services.at(static_cast<size_t>(e.worst_service));
    r.fails_first_coverage = e.coverage.at(static_cast<size_t>(e.worst_service)).mean;
  }
  return r;
}

HeadroomRun run_headroom(HeadroomRequest rq, StudyRunOptions options) {
  using curve_detail::number_text;
  const StudyPlan plan = plan_headroom(rq);
  HeadroomRun run;
  options.next_variants = [&rq](const StudyPlan& p, const std::vector<std::vector<double>>& values) {
    std::vector<StudyVariant> next;
    if (const auto m = headroom_next(rq, headroom_evaluations(p, values, rq.target))) {
      StudyVariant v;
      v.name = "demand_multiplier=" + number_text(*m);
      v.values = {{kMultiplierKey, number_text(*m)}};
      next.push_back(v);
    }
    return next;
  };
  options.finish_tables = [&](Hdf5Output& out, const StudyPlan& p, const std::vector<std::vector<double>>& values) {
    std::vector<std::string> services;
    for (const auto& s : p.scenarios.front().services) services.push_back(s.name);
    run.result = headroom_result(rq, services, headroom_evaluations(p, values, rq.target));
    write_headroom(out, run.result);
  };
  run.outcome = run_study(plan, options);
  return run;
}

// ---------------------------------------------------------------- tables

const Table<HeadroomFacts>& headroom_facts_table() {
  using F = HeadroomFacts;
  static const Table<F> t =
      make_table<F>("headroom_facts", "headroom", {},
                    {COMMSIM_FIELDS(F, status, multiplier, failing_multiplier, fails_first, fails_first_coverage,
                                    binding, margin, target, tolerance, replicates, evaluations)},
                    Storage::attributes);
  return t;
}

const Table<HeadroomServiceRow>& headroom_service_table() {
  static const Table<HeadroomServiceRow> t = make_table<HeadroomServiceRow>(
      "headroom_service", "headroom/services", {"services"}, {COMMSIM_FIELDS(HeadroomServiceRow, name)});
  return t;
}

const Table<HeadroomEvaluationRow>& headroom_evaluation_table() {
  using E = HeadroomEvaluationRow;
  static const Table<E> t = make_table<E>("headroom_evaluation", "headroom/evaluations", {"evaluations"},
                                          {COMMSIM_FIELDS(E, multiplier, passes, worst_service, worst_margin)});
  return t;
}

const Table<CurveValueCell>& headroom_coverage_table() {
  using V = CurveValueCell;
  static const Table<V> t = make_table<V>("headroom_coverage", "headroom/coverage", {"evaluations", "services"},
                                          {COMMSIM_FIELDS(V, mean, half_width)});
  return t;
}

void write_headroom(Hdf5Output& out, const HeadroomResult& r) {
  auto length = [&](const std::string& axis) -> size_t {
    if (axis == "evaluations") return r.evaluations.size();
    if (axis == "services") return r.services.size();
    throw std::logic_error("unknown headroom axis '" + axis + "'");
  };
  const HeadroomFacts facts{r.status,     r.fails_first,          r.binding, r.multiplier, r.failing_multiplier,
                            r.fails_first_coverage, r.margin, r.target, r.tolerance, r.replicates,
                            static_cast<int64_t>(r.evaluations.size())};
  write_result_table(out, "/headroom", headroom_facts_table(), &facts, 1, length);
  std::vector<HeadroomServiceRow> services;
  for (const auto& s : r.services) services.push_back({s});
  write_result_table(out, "/headroom/services", headroom_service_table(), services.data(), services.size(), length);
  std::vector<HeadroomEvaluationRow> rows;
  std::vector<CurveValueCell> coverage;
  for (const auto& e : r.evaluations) {
    rows.push_back({e.multiplier, e.passes, r.services.at(static_cast<size_t>(e.worst_service)), e.worst_margin});
    for (const MeanCI& c : e.coverage) coverage.push_back({c.mean, c.half_width});
  }
  write_result_table(out, "/headroom/evaluations", headroom_evaluation_table(), rows.data(), rows.size(), length);
  write_result_table(out, "/headroom/coverage", headroom_coverage_table(), coverage.data(), coverage.size(), length);
}

}  // namespace commsim
