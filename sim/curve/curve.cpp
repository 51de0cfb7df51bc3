// Response curves (curve.hpp): the curve's study, its outcomes read from the results schema, the
// paired summary and marginal analysis, and the /curve tables.
#include "sim/curve/curve.hpp"
#include "sim/scenario/yaml_quote.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <type_traits>

#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/schema_machinery.hpp"

namespace commsim {

namespace {

const SourcePos kCommandLine{"command line", 0, 0};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using scenario_detail::yaml_quote;

// The outcomes of the results schema: the numeric fields --summary-json shows of the run, each
// citywide service and each citywide role, named as there. `visit(name, unit, description,
// table group, field, entry)`, entry = the service or role index (-1 for the run's own fields).
template <class Visit>
void for_each_schema_outcome(const Scenario& sc, Visit&& visit) {
  auto shown = [](const FieldInfo& f) { return f.json != JsonMode::none && f.dtype != Dtype::text && f.axis.empty(); };
  for (const auto& f : run_table().fields)
    if (shown(f)) visit(f.json_key.empty() ? f.name : f.json_key, f, run_table(), -1);
  for (size_t s = 0; s < sc.services.size(); ++s)
    for (const auto& f : citywide_service_table().fields)
      if (shown(f)) visit("services." + sc.services[s].name + "." + f.name, f, citywide_service_table(), static_cast<int>(s));
  for (size_t r = 0; r < sc.staffing.roles.size(); ++r)
    for (const auto& f : citywide_role_table().fields)
      if (shown(f)) visit("roles." + sc.staffing.roles[r].name + "." + f.name, f, citywide_role_table(), static_cast<int>(r));
}

// Appends the citywide figures of the marginal analysis to a run's schema outcomes (`v`, in
// for_each_schema_outcome order), from those outcomes and the run's days.
void append_citywide(const Scenario& sc, const std::vector<std::string>& names, std::vector<double>& v, double days) {
  auto at = [&](const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) throw std::logic_error("curve outcome '" + name + "' is not in the results schema");
    return v[static_cast<size_t>(it - names.begin())];
  };
  const double per_year = days > 0 ? 365.0 / days : 0.0;
  double staff = 0, served_in_time = 0, demand = 0, unmet_hours = 0;
  for (const auto& role : sc.staffing.roles) staff += at("roles." + role.name + ".staff");
  for (const auto& s : sc.services) {
    const std::string p = "services." + s.name + ".";
    unmet_hours += at(p + "unmet_hours");
    if (s.kind == ServiceKind::enrolment) continue;  // person-days, not requests
    served_in_time += at(p + "served_in_time");
    demand += at(p + "demand");
  }
  const double cost = at("cost.total_yuan") + at("cost.facility_capital_yuan");
  v.push_back(staff);
  v.push_back(demand > 0 ? served_in_time / demand : 1.0);
  v.push_back(unmet_hours * per_year);
  v.push_back(cost * per_year);
}

std::vector<std::string> schema_outcome_names(const Scenario& sc) {
  std::vector<std::string> names;
  for_each_schema_outcome(sc, [&](const std::string& name, const auto&, const auto&, int) { names.push_back(name); });
  return names;
}

double ratio(double numerator, double denominator) { return denominator != 0 ? numerator / denominator : kNaN; }

}  // namespace

namespace curve_detail {

std::string number_text(double v) {
  char buf[40];
  for (int digits = 12; digits <= 17; ++digits) {  // the shortest that reads back exactly
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string study_head(const std::string& name, const std::string& scenario, const std::vector<std::string>& overrides) {
  std::string text = "name: " + yaml_quote(name) + "\nbase: " + yaml_quote(scenario) + "\n";
  if (!overrides.empty()) {
    text += "set:\n";
    for (const auto& o : overrides) text += "  - " + yaml_quote(o) + "\n";
  }
  return text;
}

}  // namespace curve_detail

// ---------------------------------------------------------------- the curve's study

StudyPlan plan_curve(const CurveRequest& rq) {
  using curve_detail::number_text;
  const Scenario base = load_scenario(rq.scenario, rq.overrides);
  const std::vector<ScenarioKey> keys = scenario_scalar_keys(base);
  const auto key = std::find_if(keys.begin(), keys.end(), [&](const ScenarioKey& k) { return k.key == rq.key; });
  if (key == keys.end()) {
    std::vector<std::string> names;
    for (const auto& k : keys) names.push_back(k.key);
    const std::string near = scenario_detail::closest(rq.key, names);
    throw InputError(kCommandLine, "--key", "'" + rq.key + "' is not a single-valued scenario key (docs/scenario-reference.md)" +
                                                (near.empty() ? "" : "; did you mean '" + near + "'?"));
  }
  if (key->row.type != "number" && key->row.type != "integer")
    throw InputError(kCommandLine, "--key", "'" + rq.key + "' is a " + key->row.type + ", not a number: a curve sweeps a number");
  if (rq.key == "sizing.households" && base.sizing.mode != SizingMode::uniform)
    throw InputError(kCommandLine, "--key", "sizing.households is the size of sizing.mode: uniform (the same residents in "
                     "communities of that many family households): add --set sizing.mode=uniform");
  if (!(rq.step > 0)) throw InputError(kCommandLine, "--step", "must be a number > 0");
  if (rq.to < rq.from) throw InputError(kCommandLine, "--to", "must not be less than --from (" + number_text(rq.from) + ")");
  const double count = std::floor((rq.to - rq.from) / rq.step + 1e-9) + 1;
  if (count < 2) throw InputError(kCommandLine, "--step", "a curve needs at least 2 points: --from + --step must not pass --to");
  if (count > kMaxCurvePoints)
    throw InputError(kCommandLine, "--step", "the curve has more than " + std::to_string(kMaxCurvePoints) + " points");
  if (key->row.type == "integer" && (rq.from != std::floor(rq.from) || rq.step != std::floor(rq.step)))
    throw InputError(kCommandLine, rq.from != std::floor(rq.from) ? "--from" : "--step",
                     "'" + rq.key + "' is an integer: --from and --step must be whole numbers");
  if (rq.replicates < 2 || rq.replicates > 100000)
    throw InputError(kCommandLine, "--replicates", "must be in 2..100000 (confidence intervals need 2 replicates)");
  // Both ends against the key's allowed range (the loader's message names it).
  for (const auto& [option, value] : {std::pair<const char*, double>{"--from", rq.from}, {"--to", rq.from + (count - 1) * rq.step}}) {
    std::vector<std::string> overrides = rq.overrides;
    overrides.push_back(rq.key + "=" + number_text(value));
    try {
      (void)load_scenario(rq.scenario, overrides);
    } catch (const InputError& e) {
      throw InputError(kCommandLine, option, number_text(value) + " is not a valid value of '" + rq.key + "': " + e.what());
    }
  }
  std::string text = "# The study `commsim curve` ran (docs/curves.md).\n" +
                     curve_detail::study_head("curve " + rq.key, rq.scenario, rq.overrides);
  text += "axes:\n  " + yaml_quote(rq.key) + ": {from: " + number_text(rq.from) + ", to: " + number_text(rq.to) +
          ", step: " + number_text(rq.step) + "}\n";
  text += "replicates: " + std::to_string(rq.replicates) + "\nconfidence: " + number_text(rq.confidence) + "\n";
  return plan_parsed_study(parse_study_text(text, "commsim curve"));
}

// ---------------------------------------------------------------- outcomes

std::vector<CurveOutcome> curve_outcomes(const Scenario& sc) {
  std::vector<CurveOutcome> out;
  for_each_schema_outcome(sc, [&](const std::string& name, const FieldInfo& f, const auto&, int) {
    out.push_back({name, f.unit, f.description});
  });
  out.push_back({kCurveStaff, "1", "staff in post, all roles (roles.<r>.staff summed)"});
  out.push_back({kCurveCoverage, "share",
                 "requests started by the deadline / requests arrived, over the episodic and recurring services"});
  out.push_back({kCurveUnmetHours, "hours", "service hours left unmet per year, all services (services.<s>.unmet_hours)"});
  out.push_back({kCurveAnnualCost, "yuan",
                 "cost per year: staff pay + operating funds (cost.total_yuan) + facility capital (cost.facility_capital_yuan)"});
  return out;
}

std::vector<double> curve_outcome_values(const Scenario& sc, const RunResult& run) {
  std::vector<double> v;
  for_each_schema_outcome(sc, [&](const std::string&, const auto& f, const auto&, int entry) {
    using F = std::remove_cvref_t<decltype(f)>;
    const auto at = static_cast<size_t>(entry);
    if constexpr (std::is_same_v<F, Field<RunResult>>) v.push_back(field_number(f, run));
    else if constexpr (std::is_same_v<F, Field<CitywideService>>) v.push_back(field_number(f, run.citywide.at(at)));
    else v.push_back(field_number(f, run.citywide_roles.at(at)));
  });
  append_citywide(sc, schema_outcome_names(sc), v, run.days);
  return v;
}

std::vector<double> curve_outcome_values(const Scenario& sc, const Hdf5Output& out, const std::string& group) {
  std::vector<double> v;
  std::string last_column;
  std::vector<double> column;
  for_each_schema_outcome(sc, [&](const std::string&, const FieldInfo& f, const auto& table, int entry) {
    if (entry < 0) {
      v.push_back(out.double_attribute(group, f.name));
      return;
    }
    const std::string path = group + "/" + table.group + "/" + f.name;
    if (path != last_column) {
      column = out.read_doubles(path);
      last_column = path;
    }
    v.push_back(column.at(static_cast<size_t>(entry)));
  });
  append_citywide(sc, schema_outcome_names(sc), v, out.double_attribute(group, "days"));
  return v;
}

// ---------------------------------------------------------------- summary

size_t CurveSummary::outcome(const std::string& name) const {
  for (size_t k = 0; k < outcomes.size(); ++k)
    if (outcomes[k].name == name) return k;
  throw std::logic_error("curve outcome '" + name + "' is not in the summary");
}

CurveSummary summarize_curve(const std::string& key, const std::vector<double>& points,
                             const std::vector<CurveOutcome>& outcomes,
                             const std::vector<std::vector<std::vector<double>>>& values, double confidence) {
  CurveSummary s;
  s.key = key;
  s.points = points;
  s.confidence = confidence;
  s.outcomes = outcomes;
  s.replicates = values.empty() ? 0 : static_cast<int>(values.front().size());
  const size_t n_points = points.size(), reps = static_cast<size_t>(s.replicates);
  auto series = [&](size_t point, size_t k) {
    std::vector<double> x(reps);
    for (size_t r = 0; r < reps; ++r) x[r] = values[point][r][k];
    return x;
  };
  s.value.assign(outcomes.size(), {});
  s.step.assign(outcomes.size(), {});
  for (size_t k = 0; k < outcomes.size(); ++k)
    for (size_t p = 0; p < n_points; ++p) {
      s.value[k].push_back(mean_ci(series(p, k), confidence));
      if (p > 0) s.step[k].push_back(paired_difference(series(p, k), series(p - 1, k), confidence));
    }
  // Marginal analysis: per step, what the added staff buys.
  const size_t staff = s.outcome(kCurveStaff), coverage = s.outcome(kCurveCoverage),
               unmet = s.outcome(kCurveUnmetHours), cost = s.outcome(kCurveAnnualCost);
  auto negated = [](MeanCI m) {
    m.mean = -m.mean;
    return m;
  };
  auto scaled = [](MeanCI m, double k) {
    m.mean *= k;
    m.half_width *= k;
    m.sd *= k;
    return m;
  };
  for (size_t p = 0; p + 1 < n_points; ++p) {
    CurveMarginal m;
    m.from_value = points[p];
    m.to_value = points[p + 1];
    m.staff_added = s.step[staff][p].diff.mean;
    m.unmet_hours_avoided = negated(s.step[unmet][p].diff);
    m.coverage_points = scaled(s.step[coverage][p].diff, 100.0);
    m.cost_added_yuan = s.step[cost][p].diff;
    m.unmet_hours_avoided_per_worker = ratio(m.unmet_hours_avoided.mean, m.staff_added);
    m.coverage_points_per_worker = ratio(m.coverage_points.mean, m.staff_added);
    m.cost_per_coverage_point_yuan = ratio(m.cost_added_yuan.mean, m.coverage_points.mean);
    m.cost_per_unmet_hour_avoided_yuan = ratio(m.cost_added_yuan.mean, m.unmet_hours_avoided.mean);
    m.ratio_to_previous = kNaN;
    if (p > 0) {
      const double previous = s.marginal[p - 1].unmet_hours_avoided_per_worker;
      // Only a gain can halve: the previous step must have bought something.
      if (std::isfinite(previous) && previous > 0 && std::isfinite(m.unmet_hours_avoided_per_worker))
        m.ratio_to_previous = m.unmet_hours_avoided_per_worker / previous;
    }
    if (s.bend_step < 0 && std::isfinite(m.ratio_to_previous) && m.ratio_to_previous < kCurveBendRatio) {
      m.bend = true;
      s.bend_step = static_cast<int>(p);
    }
    s.marginal.push_back(m);
  }
  return s;
}

CurveSummary summarize_curve_file(const Hdf5Output& out, const StudyPlan& plan, double confidence) {
  const StudyAxis& axis = plan.study.axes.at(0);
  std::vector<double> points;
  for (const auto& v : axis.values) points.push_back(std::strtod(v.c_str(), nullptr));
  const Scenario& first = plan.scenarios.front();
  std::vector<std::vector<std::vector<double>>> values(plan.scenarios.size());
  for (int run = 0; run < plan.runs(); ++run)
    values[static_cast<size_t>(plan.variant_of(run))].push_back(curve_outcome_values(first, out, run_group(run)));
  return summarize_curve(axis.key, points, curve_outcomes(first), values, confidence);
}

CurveRun run_curve(const CurveRequest& request, StudyRunOptions options) {
  const StudyPlan plan = plan_curve(request);
  CurveRun result;
  options.finish_tables = [&](Hdf5Output& out, const StudyPlan& final_plan, const std::vector<std::vector<double>>&) {
    result.summary = summarize_curve_file(out, final_plan, request.confidence);
    write_curve(out, result.summary);
  };
  result.outcome = run_study(plan, options);
  return result;
}

// ---------------------------------------------------------------- tables

const Table<CurveFacts>& curve_facts_table() {
  using F = CurveFacts;
  static const Table<F> t =
      make_table<F>("curve_facts", "curve", {},
                    {COMMSIM_FIELDS(F, key, from, to, step, points, replicates, confidence, bend_step, bend_ratio)},
                    Storage::attributes);
  return t;
}

const Table<CurveOutcomeRow>& curve_outcome_table() {
  using O = CurveOutcomeRow;
  static const Table<O> t =
      make_table<O>("curve_outcome", "curve/outcomes", {"outcomes"}, {COMMSIM_FIELDS(O, name, unit, description)});
  return t;
}

const Table<CurvePointRow>& curve_point_table() {
  static const Table<CurvePointRow> t =
      make_table<CurvePointRow>("curve_point", "curve/points", {"points"}, {COMMSIM_FIELDS(CurvePointRow, value)});
  return t;
}

const Table<CurveValueCell>& curve_value_table() {
  using V = CurveValueCell;
  static const Table<V> t =
      make_table<V>("curve_value", "curve/values", {"outcomes", "points"}, {COMMSIM_FIELDS(V, mean, half_width)});
  return t;
}

const Table<CurveStepCell>& curve_step_table() {
  using S = CurveStepCell;
  static const Table<S> t = make_table<S>("curve_step", "curve/steps", {"outcomes", "steps"},
                                          {COMMSIM_FIELDS(S, diff_mean, diff_half_width, diff_unpaired_half_width)});
  return t;
}

const Table<CurveMarginalRow>& curve_marginal_table() {
  using M = CurveMarginalRow;
  static const Table<M> t = make_table<M>(
      "curve_marginal", "curve/marginal", {"steps"},
      {COMMSIM_FIELDS(M, from_value, to_value, staff_added, unmet_hours_avoided, unmet_hours_avoided_half_width,
                      coverage_points, coverage_points_half_width, cost_added_yuan, cost_added_half_width,
                      unmet_hours_avoided_per_worker, coverage_points_per_worker, ratio_to_previous, bend,
                      cost_per_coverage_point_yuan, cost_per_unmet_hour_avoided_yuan)});
  return t;
}

void write_curve(Hdf5Output& out, const CurveSummary& s) {
  const size_t n_points = s.points.size(), n_steps = n_points ? n_points - 1 : 0, n_outcomes = s.outcomes.size();
  auto length = [&](const std::string& axis) -> size_t {
    if (axis == "outcomes") return n_outcomes;
    if (axis == "points") return n_points;
    if (axis == "steps") return n_steps;
    throw std::logic_error("unknown curve axis '" + axis + "'");
  };
  CurveFacts facts;
  facts.key = s.key;
  facts.from = n_points ? s.points.front() : 0;
  facts.to = n_points ? s.points.back() : 0;
  facts.step = n_points > 1 ? s.points[1] - s.points[0] : 0;
  facts.points = static_cast<int64_t>(n_points);
  facts.replicates = s.replicates;
  facts.confidence = s.confidence;
  facts.bend_step = s.bend_step;
  write_result_table(out, "/curve", curve_facts_table(), &facts, 1, length);
  std::vector<CurveOutcomeRow> outcomes;
  for (const auto& o : s.outcomes) outcomes.push_back({o.name, o.unit, o.description});
  write_result_table(out, "/curve/outcomes", curve_outcome_table(), outcomes.data(), outcomes.size(), length);
  std::vector<CurvePointRow> points;
  for (double p : s.points) points.push_back({p});
  write_result_table(out, "/curve/points", curve_point_table(), points.data(), points.size(), length);
  std::vector<CurveValueCell> cells;
  std::vector<CurveStepCell> steps;
  for (size_t k = 0; k < n_outcomes; ++k) {
    for (const MeanCI& m : s.value[k]) cells.push_back({m.mean, m.half_width});
    for (const PairedDifference& d : s.step[k]) steps.push_back({d.diff.mean, d.diff.half_width, d.unpaired_half_width});
  }
  write_result_table(out, "/curve/values", curve_value_table(), cells.data(), cells.size(), length);
  write_result_table(out, "/curve/steps", curve_step_table(), steps.data(), steps.size(), length);
  std::vector<CurveMarginalRow> rows;
  for (const CurveMarginal& m : s.marginal)
    rows.push_back({m.from_value, m.to_value, m.staff_added, m.unmet_hours_avoided.mean, m.unmet_hours_avoided.half_width,
                    m.coverage_points.mean, m.coverage_points.half_width, m.cost_added_yuan.mean,
                    m.cost_added_yuan.half_width, m.unmet_hours_avoided_per_worker, m.coverage_points_per_worker,
                    m.ratio_to_previous, m.bend, m.cost_per_coverage_point_yuan, m.cost_per_unmet_hour_avoided_yuan});
  write_result_table(out, "/curve/marginal", curve_marginal_table(), rows.data(), rows.size(), length);
}

}  // namespace commsim
