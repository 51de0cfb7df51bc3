// Findings with their uncertainty (findings.hpp): the study of N draws x (staffing curve + size
// curve), the findings of one draw's curves, their intervals and drivers, the /findings tables,
// the text and the JSON.
#include "sim/findings/findings.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "sim/core/json.hpp"
#include "sim/core/random.hpp"
#include "sim/curve/curve.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/yaml_quote.hpp"
#include "sim/sensitivity/sensitivity.hpp"

namespace commsim {

namespace {

const SourcePos kCommandLine{"command line", 0, 0};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr uint64_t kChancePermutations = 200;

using curve_detail::number_text;
using scenario_detail::yaml_quote;

std::string override_key(const std::string& text) { return text.substr(0, text.find('=')); }

// ", key: value" for every parameter of a draw (the text that reads back as the drawn value).
std::string draw_values_text(const ParameterDraws& draws, int draw) {
  if (draw == 0) return "";
  std::string text;
  const auto& values = draws.values.at(static_cast<size_t>(draw - 1));
  for (size_t i = 0; i < draws.parameters.size(); ++i) {
    const std::string kv = parameter_override(draws.parameters[i], values[i]);
    text += ", " + yaml_quote(draws.parameters[i].key) + ": " + kv.substr(kv.find('=') + 1);
  }
  return text;
}

// The lever's points must load (the scenario has the staffing rule and the size is allowed).
void check_lever(const FindingsRequest& rq, const std::vector<std::string>& extra, const char* what) {
  std::vector<std::string> overrides = rq.overrides;
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  try {
    (void)load_scenario(rq.scenario, overrides);
  } catch (const InputError& e) {
    throw InputError(kCommandLine, "--uncertainty", std::string("the ") + what + " does not load on this scenario: " + e.what());
  }
}

Json exact_json(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

size_t index_of(const std::vector<double>& points, double value) {
  for (size_t i = 0; i < points.size(); ++i)
    if (std::fabs(points[i] - value) < 1e-9) return i;
  return points.size();
}

// Ranks 1..n of the values, ties given their mean rank.
std::vector<double> ranks(const std::vector<double>& x) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + j) + 1.0;
    i = j + 1;
  }
  return r;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : kNaN;
}

}  // namespace

// ---------------------------------------------------------------- the study

FindingsPlan plan_findings(const FindingsRequest& rq) {
  if (rq.draws < 2 || rq.draws > kMaxUncertaintySamples)
    throw InputError(kCommandLine, "--uncertainty",
                     "must be a number of draws in 2.." + std::to_string(kMaxUncertaintySamples) + ", got " +
                         std::to_string(rq.draws));
  if (rq.replicates < 0 || rq.replicates > 100000)
    throw InputError(kCommandLine, "--replicates", "must be in 1..100000, got " + std::to_string(rq.replicates));
  const Scenario base = load_scenario(rq.scenario, rq.overrides);
  check_lever(rq, {std::string(kFindingsStaffingKey) + "=18"}, "staffing lever (staffing.rules.community_worker.per_10k)");
  check_lever(rq, {"sizing.mode=uniform", std::string(kFindingsSizeKey) + "=3500"}, "size lever (sizing.households, sizing.mode: uniform)");
  std::vector<std::string> held = {kFindingsStaffingKey, kFindingsSizeKey, "sizing.mode"};
  for (const auto& o : rq.overrides) held.push_back(override_key(o));
  FindingsPlan plan;
  plan.seed = base.run.seed;
  plan.staffing_points = rq.staffing_points;
  plan.size_points = rq.size_points;
  plan.draws = draw_parameters(base, held, rq.draws, plan.seed);
  const int replicates = rq.replicates > 0 ? rq.replicates : base.run.replicates;
  std::string text = "# The study `commsim findings` ran (docs/findings.md).\n" +
                     curve_detail::study_head("findings " + base.name, rq.scenario, rq.overrides);
  text += "design: variants\nreplicates: " + std::to_string(replicates) + "\nvariants:\n";
  for (int d = 0; d < plan.draws_total(); ++d) {
    const std::string values = draw_values_text(plan.draws, d);
    const std::string draw = d == 0 ? "point" : "draw " + std::to_string(d);
    for (double x : plan.staffing_points)
      text += "  - {name: \"" + draw + " staffing " + number_text(x) + "\", " + yaml_quote(kFindingsStaffingKey) + ": " +
              number_text(x) + values + "}\n";
    for (double h : plan.size_points)
      text += "  - {name: \"" + draw + " size " + number_text(h) + "\", sizing.mode: uniform, " +
              yaml_quote(kFindingsSizeKey) + ": " + number_text(h) + values + "}\n";
  }
  plan.study = plan_parsed_study(parse_study_text(text, "commsim findings"));
  return plan;
}

// ---------------------------------------------------------------- the findings of one draw

double efficient_staffing(const DrawCurves& c) {
  const CurveSeries& k = c.staffing;
  const size_t n = k.points.size();
  if (n < 2 || !(c.value_of_hour > 0)) return kNaN;
  // The point with the largest net value: unmet hours avoided (from the first point) at the value
  // of an hour, less the cost added. Taking the best point, not the first step that costs more than
  // it buys, keeps the expensive first steps where committee members fill the norm's headcount.
  size_t best = 0;
  double best_net = 0;
  for (size_t i = 1; i < n; ++i) {
    const double net = c.value_of_hour * (k.unmet_hours[0] - k.unmet_hours[i]) - (k.cost_yuan[i] - k.cost_yuan[0]);
    if (net > best_net) best = i, best_net = net;
  }
  if (best == 0 || best + 1 == n) return k.points[best];  // censored at the curve's ends
  // Between the midpoints of the step into `best` (an hour avoided costs no more than its value)
  // and the step out of it (costs more): where the cost of an hour avoided crosses the value, in log.
  auto cost_per_hour = [&](size_t s) {
    const double avoided = k.unmet_hours[s] - k.unmet_hours[s + 1], added = k.cost_yuan[s + 1] - k.cost_yuan[s];
    return avoided > 0 && added > 0 ? added / avoided : kNaN;
  };
  const double lo = cost_per_hour(best - 1), hi = cost_per_hour(best);
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return k.points[best];
  const double m0 = 0.5 * (k.points[best - 1] + k.points[best]), m1 = 0.5 * (k.points[best] + k.points[best + 1]);
  const double t = std::clamp((std::log(c.value_of_hour) - std::log(lo)) / (std::log(hi) - std::log(lo)), 0.0, 1.0);
  return m0 + t * (m1 - m0);
}

double bend_staffing(const DrawCurves& c) {
  double previous = kNaN;
  for (size_t s = 0; s + 1 < c.staffing.points.size(); ++s) {
    const double added = c.staffing.staff[s + 1] - c.staffing.staff[s];
    const double per_worker = added > 0 ? (c.staffing.unmet_hours[s] - c.staffing.unmet_hours[s + 1]) / added : kNaN;
    if (s > 0 && std::isfinite(previous) && previous > 0 && std::isfinite(per_worker) &&
        per_worker / previous < kCurveBendRatio)
      return c.staffing.points[s];
    previous = per_worker;
  }
  return kNaN;
}

double unmet_hours_avoided(const DrawCurves& c, double from, double to) {
  const size_t a = index_of(c.staffing.points, from), b = index_of(c.staffing.points, to);
  if (a >= c.staffing.points.size() || b >= c.staffing.points.size() || !(c.staffing.residents[a] > 0)) return kNaN;
  return (c.staffing.unmet_hours[a] - c.staffing.unmet_hours[b]) / c.staffing.residents[a] * 1e4;
}

namespace {

// The size point with the lowest per-resident figure, refined by the vertex of the parabola through
// it and its neighbours in log(households); at the curve's ends the end point (censored).
double lowest_size(const std::vector<double>& points, const std::vector<double>& per_resident) {
  const size_t n = points.size();
  if (n == 0) return kNaN;
  size_t k = 0;
  for (size_t i = 1; i < n; ++i)
    if (per_resident[i] < per_resident[k] || !std::isfinite(per_resident[k])) k = i;
  if (!std::isfinite(per_resident[k])) return kNaN;
  if (k == 0 || k + 1 == n) return points[k];
  const double x0 = std::log(points[k - 1]), x1 = std::log(points[k]), x2 = std::log(points[k + 1]);
  const double y0 = per_resident[k - 1], y1 = per_resident[k], y2 = per_resident[k + 1];
  const double den = (x0 - x1) * (x0 - x2) * (x1 - x2);
  const double a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den;
  const double b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / den;
  if (!(a > 0)) return points[k];
  return std::exp(std::clamp(-b / (2 * a), x0, x2));
}

}  // namespace

double best_size(const DrawCurves& c) {
  std::vector<double> unmet;
  for (size_t k = 0; k < c.size.points.size(); ++k)
    unmet.push_back(c.size.residents[k] > 0 ? c.size.unmet_hours[k] / c.size.residents[k] : kNaN);
  return lowest_size(c.size.points, unmet);
}

double least_cost_size(const DrawCurves& c) {
  std::vector<double> total;
  for (size_t k = 0; k < c.size.points.size(); ++k)
    total.push_back(c.size.residents[k] > 0
                        ? (c.size.cost_yuan[k] + c.value_of_hour * c.size.unmet_hours[k]) / c.size.residents[k]
                        : kNaN);
  return lowest_size(c.size.points, total);
}

const std::vector<FindingInfo>& finding_infos() {
  static const std::vector<FindingInfo> infos = {
      {"efficient_community_workers_per_10k", "workers per 10,000 residents",
       "community workers per 10,000 residents up to which an added worker avoids unmet service hours for less than "
       "they are worth (findings.value_of_service_hour_yuan)"},
      {"bend_community_workers_per_10k", "workers per 10,000 residents",
       "the marginal-return rule of commsim curve: the point after which an added worker avoids less than half the "
       "unmet hours of the previous step's (NaN when the curve never bends)"},
      {"unmet_hours_avoided_14_to_18", "hours a year per 10,000 residents",
       "unmet service hours avoided by 18 community workers per 10,000 residents instead of 14"},
      {"best_community_size_households", "family households",
       "community size (sizing.households) that leaves the fewest unmet service hours per resident"},
      {"least_cost_community_size_households", "family households",
       "community size (sizing.households) with the lowest public cost plus unmet hours valued at "
       "findings.value_of_service_hour_yuan, per resident"},
  };
  return infos;
}

std::vector<double> finding_values(const DrawCurves& c) {
  return {efficient_staffing(c), bend_staffing(c), unmet_hours_avoided(c, 14, 18), best_size(c), least_cost_size(c)};
}

FindingAttribution finding_drivers(const std::vector<Parameter>& parameters, const std::vector<std::vector<double>>& values,
                                   const std::vector<double>& finding, uint64_t seed) {
  FindingAttribution out;
  out.chance_share = kNaN;
  std::vector<size_t> kept;
  for (size_t d = 0; d < finding.size() && d < values.size(); ++d)
    if (std::isfinite(finding[d])) kept.push_back(d);
  if (kept.size() < 3) return out;
  std::vector<double> y;
  for (size_t d : kept) y.push_back(finding[d]);
  const std::vector<double> ry = ranks(y);
  std::vector<std::vector<double>> rx;
  for (size_t p = 0; p < parameters.size(); ++p) {
    std::vector<double> x;
    for (size_t d : kept) x.push_back(values[d][p]);
    rx.push_back(ranks(x));
  }
  auto largest_share = [&](const std::vector<double>& r) {
    double best = 0;
    for (const auto& x : rx) {
      const double rho = correlation(x, r);
      if (std::isfinite(rho)) best = std::max(best, rho * rho);
    }
    return best;
  };
  std::vector<double> chance;
  for (uint64_t k = 0; k < kChancePermutations; ++k) {
    StreamKey key;
    key.seed = seed;
    key.entity = k;
    key.purpose = static_cast<uint32_t>(Purpose::study_design);
    key.sub = static_cast<uint32_t>(DesignStream::driver_permutation);
    Stream stream(key);
    std::vector<double> r = ry;
    for (size_t i = r.size(); i-- > 1;) std::swap(r[i], r[below(stream.bits32(), static_cast<uint32_t>(i + 1))]);
    chance.push_back(largest_share(r));
  }
  out.chance_share = sample_quantile(chance, 0.95);
  for (size_t p = 0; p < parameters.size(); ++p) {
    const double rho = correlation(rx[p], ry);
    if (std::isfinite(rho) && rho != 0) out.drivers.push_back({parameters[p].key, rho * rho, rho * rho > out.chance_share});
  }
  std::stable_sort(out.drivers.begin(), out.drivers.end(),
                   [](const FindingDriver& a, const FindingDriver& b) { return a.share > b.share; });
  if (out.drivers.size() > static_cast<size_t>(kMaxFindingDrivers)) out.drivers.resize(static_cast<size_t>(kMaxFindingDrivers));
  return out;
}

FindingsSummary summarize_findings(const std::vector<DrawCurves>& curves, const ParameterDraws& draws, uint64_t seed) {
  FindingsSummary s;
  s.draws = static_cast<int>(curves.size()) - 1;
  s.parameters = draws.parameters;
  s.curves = curves;
  if (!curves.empty()) {
    s.staffing_points = curves.front().staffing.points;
    s.size_points = curves.front().size.points;
  }
  for (const DrawCurves& c : curves) s.values.push_back(finding_values(c));
  const auto& infos = finding_infos();
  for (size_t f = 0; f < infos.size(); ++f) {
    Finding finding;
    finding.info = infos[f];
    finding.point = s.values.empty() ? kNaN : s.values.front()[f];
    std::vector<double> sampled;
    for (size_t d = 1; d < s.values.size(); ++d) sampled.push_back(s.values[d][f]);
    finding.draws = static_cast<int>(std::count_if(sampled.begin(), sampled.end(), [](double v) { return std::isfinite(v); }));
    finding.median = sample_quantile(sampled, 0.5);
    finding.p05 = sample_quantile(sampled, kBandLow);
    finding.p95 = sample_quantile(sampled, kBandHigh);
    FindingAttribution attribution = finding_drivers(draws.parameters, draws.values, sampled, seed);
    finding.drivers = std::move(attribution.drivers);
    finding.chance_share = attribution.chance_share;
    s.findings.push_back(std::move(finding));
  }
  return s;
}

FindingsSummary summarize_findings_file(const Hdf5Output& out, const FindingsPlan& plan) {
  const StudyPlan& study = plan.study;
  const std::vector<CurveOutcome> outcomes = curve_outcomes(study.scenarios.front());
  auto find = [&](const std::string& name) {
    for (size_t k = 0; k < outcomes.size(); ++k)
      if (outcomes[k].name == name) return k;
    throw std::logic_error("findings: curve outcome '" + name + "' is missing");
  };
  const size_t unmet = find(kCurveUnmetHours), cost = find(kCurveAnnualCost), staff = find(kCurveStaff),
               residents = find("residents");
  const double reps = static_cast<double>(study.study.replicates);
  std::vector<std::array<double, 4>> means(study.scenarios.size(), {0, 0, 0, 0});
  for (int run = 0; run < study.runs(); ++run) {
    const auto variant = static_cast<size_t>(study.variant_of(run));
    const std::vector<double> v = curve_outcome_values(study.scenarios[variant], out, run_group(run));
    for (size_t i = 0; i < 4; ++i) means[variant][i] += v.at(std::array<size_t, 4>{unmet, cost, staff, residents}[i]) / reps;
  }
  std::vector<DrawCurves> curves;
  for (int d = 0; d < plan.draws_total(); ++d) {
    DrawCurves c;
    c.value_of_hour = study.scenarios[static_cast<size_t>(plan.staffing_variant(d, 0))].findings.value_of_service_hour_yuan;
    for (size_t p = 0; p < plan.staffing_points.size(); ++p) {
      const auto& m = means[static_cast<size_t>(plan.staffing_variant(d, p))];
      c.staffing.add(plan.staffing_points[p], m[0], m[1], m[2], m[3]);
    }
    for (size_t p = 0; p < plan.size_points.size(); ++p) {
      const auto& m = means[static_cast<size_t>(plan.size_variant(d, p))];
      c.size.add(plan.size_points[p], m[0], m[1], m[2], m[3]);
    }
    curves.push_back(std::move(c));
  }
  FindingsSummary s = summarize_findings(curves, plan.draws, plan.seed);
  s.replicates = study.study.replicates;
  s.seed = plan.seed;
  return s;
}

FindingsRun run_findings(const FindingsRequest& request, StudyRunOptions options) {
  const FindingsPlan plan = plan_findings(request);
  FindingsRun result;
  options.finish_tables = [&](Hdf5Output& out, const StudyPlan&, const std::vector<std::vector<double>>&) {
    result.summary = summarize_findings_file(out, plan);
    write_findings(out, result.summary);
  };
  result.outcome = run_study(plan.study, options);
  return result;
}

// ---------------------------------------------------------------- text and JSON

std::string findings_text(const FindingsSummary& s) {
  auto number = [](double v) {
    if (!std::isfinite(v)) return std::string("-");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return std::string(buf);
  };
  char line[512];
  std::snprintf(line, sizeof line,
                "\nfindings: %d draws of %zu registry parameters (Latin hypercube, seed %llu; levers and --set keys held), "
                "%d replicate%s a point\npoint = the scenario as given; median and 90%% interval (5th-95th percentile) over "
                "the draws; drivers: squared rank correlation with the finding (\"chance\": not above what chance gives)\n",
                s.draws, s.parameters.size(), static_cast<unsigned long long>(s.seed), s.replicates,
                s.replicates == 1 ? "" : "s");
  std::string text = line;
  std::snprintf(line, sizeof line, "%-38s %10s %10s %10s %10s  %s\n", "finding", "point", "median", "p5", "p95",
                "main drivers (share)");
  text += line;
  for (const Finding& f : s.findings) {
    std::string drivers;
    for (size_t i = 0; i < f.drivers.size() && i < 3; ++i)
      drivers += (i ? ", " : "") + f.drivers[i].parameter + " (" + number(f.drivers[i].share) +
                 (f.drivers[i].above_chance ? ")" : ", chance)");
    std::snprintf(line, sizeof line, "%-38s %10s %10s %10s %10s  %s\n", f.info.name.c_str(), number(f.point).c_str(),
                  number(f.median).c_str(), number(f.p05).c_str(), number(f.p95).c_str(), drivers.c_str());
    text += line;
  }
  return text;
}

std::string findings_json(const FindingsSummary& s) {
  Json findings = Json::array();
  for (const Finding& f : s.findings) {
    Json drivers = Json::array();
    for (const auto& d : f.drivers)
      drivers.push_back({{"parameter", d.parameter}, {"share", d.share}, {"above_chance", d.above_chance}});
    findings.push_back({{"name", f.info.name},
                        {"unit", f.info.unit},
                        {"point", exact_json(f.point)},
                        {"median", exact_json(f.median)},
                        {"p5", exact_json(f.p05)},
                        {"p95", exact_json(f.p95)},
                        {"draws", f.draws},
                        {"chance_share", exact_json(f.chance_share)},
                        {"drivers", std::move(drivers)}});
  }
  const Json j = {{"findings", std::move(findings)},
                  {"draws", s.draws},
                  {"seed", s.seed},
                  {"replicates", s.replicates},
                  {"band", json_interval(kBandLow, kBandHigh)},
                  {"staffing_key", kFindingsStaffingKey},
                  {"staffing_points", s.staffing_points},
                  {"size_key", kFindingsSizeKey},
                  {"size_points", s.size_points}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace commsim
