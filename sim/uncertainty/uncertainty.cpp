// Uncertainty bands (uncertainty.hpp): the Latin hypercube, the study of the point run and the
// samples, the bands, the /uncertainty tables, the text and JSON.
#include "sim/uncertainty/uncertainty.hpp"
#include "sim/scenario/yaml_quote.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "sim/calibration/accepted.hpp"
#include "sim/core/random.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
#include "sim/core/json.hpp"
#include "sim/scenario/load.hpp"
#include "sim/curve/curve.hpp"

namespace commsim {

namespace {

const SourcePos kCommandLine{"command line", 0, 0};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using scenario_detail::yaml_quote;

// "key=value" -> "value": the value text that reads back as the sampled value.
std::string value_text(const Parameter& p, double value) {
  const std::string kv = parameter_override(p, value);
  return kv.substr(kv.find('=') + 1);
}

// A JSON number that reads back exactly (the file's value), null when not finite.
Json exact_json(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

std::string override_key(const std::string& override_text) { return override_text.substr(0, override_text.find('=')); }

}  // namespace

const std::vector<std::string>& uncertainty_outcome_metrics() {
  static const std::vector<std::string> names = {"coverage", "unmet_hours", "mean_wait_working_min", "cost_total_yuan"};
  return names;
}

std::vector<std::vector<double>> latin_hypercube(int points, int dimensions, uint64_t seed) {
  std::vector<std::vector<double>> out(static_cast<size_t>(std::max(points, 0)),
                                       std::vector<double>(static_cast<size_t>(std::max(dimensions, 0))));
  std::vector<uint32_t> stratum(out.size());
  for (int d = 0; d < dimensions; ++d) {
    StreamKey key;
    key.seed = seed;
    key.entity = static_cast<uint64_t>(d);
    key.purpose = static_cast<uint32_t>(Purpose::study_design);
    key.sub = static_cast<uint32_t>(DesignStream::latin_hypercube);
    Stream stream(key);
    for (size_t i = 0; i < stratum.size(); ++i) stratum[i] = static_cast<uint32_t>(i);
    for (size_t i = stratum.size(); i-- > 1;)  // Fisher-Yates: a uniform order of the strata
      std::swap(stratum[i], stratum[below(stream.bits32(), static_cast<uint32_t>(i + 1))]);
    for (size_t i = 0; i < out.size(); ++i)
      out[i][static_cast<size_t>(d)] = (stratum[i] + stream.uniform()) / static_cast<double>(points);
  }
  return out;
}

std::vector<Parameter> uncertainty_parameters(const Scenario& scenario, const std::vector<std::string>& held) {
  std::vector<Parameter> out;
  for (Parameter& p : ParameterRegistry::shipped().parameters(scenario)) {
    if (!p.sampled() || p.lever) continue;
    if (std::find(held.begin(), held.end(), p.key) != held.end()) continue;
    out.push_back(std::move(p));
  }
  return out;
}

namespace {

// The scenario's accepted set (calibration.accepted_file), its columns checked against the
// registry: each a parameter of the scenario with a range, not a lever. Empty when none is named.
AcceptedSet scenario_accepted_set(const Scenario& base, std::vector<Parameter>& calibrated) {
  if (base.calibration.accepted_file.empty()) return {};
  AcceptedSet set = read_accepted_set(base.calibration.accepted_file, "calibration.accepted_file");
  const std::vector<Parameter> all = ParameterRegistry::shipped().parameters(base, {}, false);
  for (size_t k = 0; k < set.keys.size(); ++k) {
    const auto p = std::find_if(all.begin(), all.end(), [&](const Parameter& x) { return x.key == set.keys[k]; });
    if (p == all.end() || !p->sampled() || p->lever)
      throw InputError(set.key_pos[k], "calibration.accepted_file",
                       "'" + set.keys[k] + "' is not " +
                           (p == all.end() ? std::string("a registry parameter of the scenario")
                                           : p->lever ? "an uncertain parameter (a lever)" : "sampled (fixed in the registry)"));
    calibrated.push_back(*p);
  }
  return set;
}

}  // namespace

ParameterDraws draw_parameters(const Scenario& base, const std::vector<std::string>& held, int samples, uint64_t seed) {
  // With an accepted set (calibration.accepted_file), its parameters are not drawn from their
  // ranges: each sample takes one accepted row, chosen by one extra Latin-hypercube dimension (the
  // last); keys held by --set keep their values and leave the set's column unused.
  std::vector<Parameter> calibrated;
  const AcceptedSet set = scenario_accepted_set(base, calibrated);
  ParameterDraws draws;
  for (Parameter& p : uncertainty_parameters(base, held))
    if (std::find(set.keys.begin(), set.keys.end(), p.key) == set.keys.end()) draws.parameters.push_back(std::move(p));
  if (draws.parameters.empty() && set.rows.empty())
    throw InputError(kCommandLine, "--uncertainty",
                     "no parameter to sample: every registry parameter of the scenario is fixed, a lever or held by --set");
  const size_t ranged = draws.parameters.size();
  std::vector<size_t> columns;  // of the set, for the calibrated parameters not held
  for (size_t k = 0; k < calibrated.size(); ++k)
    if (std::find(held.begin(), held.end(), calibrated[k].key) == held.end()) {
      columns.push_back(k);
      draws.parameters.push_back(calibrated[k]);
    }
  const int dimensions = static_cast<int>(ranged) + (set.rows.empty() ? 0 : 1);
  const std::vector<std::vector<double>> unit = latin_hypercube(samples, dimensions, seed);
  for (const auto& point : unit) {
    std::vector<double> values;
    for (size_t i = 0; i < ranged; ++i) values.push_back(parameter_quantile(draws.parameters[i], point[i]));
    if (!set.rows.empty()) {
      const size_t row = std::min(set.rows.size() - 1, static_cast<size_t>(point[ranged] * static_cast<double>(set.rows.size())));
      for (size_t k : columns) values.push_back(set.rows[row][k]);
    }
    draws.values.push_back(std::move(values));
  }
  return draws;
}

UncertaintyPlan plan_uncertainty(const UncertaintyRequest& rq) {
  if (rq.samples < 2 || rq.samples > kMaxUncertaintySamples)
    throw InputError(kCommandLine, "--uncertainty",
                     "must be a number of samples in 2.." + std::to_string(kMaxUncertaintySamples) + ", got " +
                         std::to_string(rq.samples));
  const Scenario base = load_scenario(rq.scenario, rq.overrides);
  std::vector<std::string> held;
  for (const auto& o : rq.overrides) held.push_back(override_key(o));
  UncertaintyPlan plan;
  plan.seed = base.run.seed;
  ParameterDraws draws = draw_parameters(base, held, rq.samples, plan.seed);
  plan.parameters = std::move(draws.parameters);
  plan.values = std::move(draws.values);
  std::string text = "# The study `commsim run --uncertainty` ran (docs/sensitivity.md, \"Uncertainty bands\").\n" +
                     curve_detail::study_head("uncertainty " + base.name, rq.scenario, rq.overrides);
  text += "design: variants\nreplicates: " + std::to_string(base.run.replicates) + "\nvariants:\n";
  // The point run names one parameter at the scenario's own value (a variant lists at least its name).
  const Parameter& first = plan.parameters.front();
  text += "  - {name: point, " + yaml_quote(first.key) + ": " + value_text(first, first.default_value) + "}\n";
  for (size_t s = 0; s < plan.values.size(); ++s) {
    text += "  - {name: \"sample " + std::to_string(s + 1) + "\"";
    for (size_t i = 0; i < plan.parameters.size(); ++i)
      text += ", " + yaml_quote(plan.parameters[i].key) + ": " + value_text(plan.parameters[i], plan.values[s][i]);
    text += "}\n";
  }
  plan.study = plan_parsed_study(parse_study_text(text, "commsim run --uncertainty"));
  return plan;
}

UncertaintySummary summarize_uncertainty(const std::vector<SensitivityOutcome>& outcomes,
                                         const std::vector<std::vector<double>>& values) {
  UncertaintySummary s;
  s.samples = values.empty() ? 0 : static_cast<int>(values.size()) - 1;
  for (size_t o = 0; o < outcomes.size(); ++o) {
    UncertaintyBand b{outcomes[o].metric, outcomes[o].service, outcomes[o].unit, kNaN, kNaN, kNaN, kNaN};
    std::vector<double> sampled;
    for (size_t v = 1; v < values.size(); ++v) sampled.push_back(values[v].at(o));
    if (!values.empty()) b.point = values.front().at(o);
    b.median = sample_quantile(sampled, 0.5);
    b.p05 = sample_quantile(sampled, kBandLow);
    b.p95 = sample_quantile(sampled, kBandHigh);
    s.outcomes.push_back(b);
  }
  return s;
}

UncertaintySummary summarize_uncertainty_file(const Hdf5Output& out, const UncertaintyPlan& plan) {
  const StudyPlan& study = plan.study;
  const Scenario& sc = study.scenarios.front();
  const std::vector<SensitivityOutcome> outcomes = sensitivity_outcomes(uncertainty_outcome_metrics(), sc);
  std::vector<std::string> services;
  for (const auto& s : sc.services) services.push_back(s.name);
  const size_t reps = static_cast<size_t>(study.study.replicates);
  std::vector<std::vector<double>> means(study.scenarios.size(), std::vector<double>(outcomes.size(), 0.0));
  for (int run = 0; run < study.runs(); ++run) {
    const std::vector<double> v = stored_outcome_values(out, run_group(run), outcomes, services);
    auto& m = means[static_cast<size_t>(study.variant_of(run))];
    for (size_t o = 0; o < v.size(); ++o) m[o] += v[o] / static_cast<double>(reps);
  }
  UncertaintySummary s = summarize_uncertainty(outcomes, means);
  s.replicates = study.study.replicates;
  s.seed = plan.seed;
  s.parameters = plan.parameters;
  return s;
}

std::vector<UncertaintyParameterRow> parameter_rows(const std::vector<Parameter>& parameters) {
  std::vector<UncertaintyParameterRow> rows;
  for (const Parameter& p : parameters)
    rows.push_back({p.key, p.unit, distribution_name(p.distribution), p.default_value, p.low, p.high});
  return rows;
}

void write_uncertainty(Hdf5Output& out, const UncertaintySummary& s) {
  auto length = [&](const std::string& axis) -> size_t {
    if (axis == "parameters") return s.parameters.size();
    if (axis == "outcomes") return s.outcomes.size();
    throw std::logic_error("unknown uncertainty axis '" + axis + "'");
  };
  UncertaintyFacts facts;
  facts.samples = s.samples;
  facts.replicates = s.replicates;
  facts.parameters = static_cast<int64_t>(s.parameters.size());
  facts.seed = s.seed;
  write_result_table(out, "/uncertainty", uncertainty_facts_table(), &facts, 1, length);
  const std::vector<UncertaintyParameterRow> parameters = parameter_rows(s.parameters);
  write_result_table(out, "/uncertainty/parameters", uncertainty_parameter_table(), parameters.data(), parameters.size(), length);
  std::vector<UncertaintyOutcomeRow> outcomes;
  for (const UncertaintyBand& b : s.outcomes) outcomes.push_back({b.metric, b.service, b.unit, b.point, b.median, b.p05, b.p95});
  write_result_table(out, "/uncertainty/outcomes", uncertainty_outcome_table(), outcomes.data(), outcomes.size(), length);
}

UncertaintyRun run_uncertainty(const UncertaintyRequest& request, StudyRunOptions options) {
  const UncertaintyPlan plan = plan_uncertainty(request);
  UncertaintyRun result;
  options.finish_tables = [&](Hdf5Output& out, const StudyPlan&, const std::vector<std::vector<double>>&) {
    result.summary = summarize_uncertainty_file(out, plan);
    write_uncertainty(out, result.summary);
  };
  result.outcome = run_study(plan.study, options);
  return result;
}

// ---------------------------------------------------------------- text and JSON

std::string uncertainty_text(const UncertaintySummary& s) {
  auto number = [](double v) {
    if (!std::isfinite(v)) return std::string("-");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return std::string(buf);
  };
  char line[256];
  std::snprintf(line, sizeof line,
                "\nuncertainty: %d samples of %zu registry parameters (Latin hypercube, seed %llu; levers and --set keys "
                "held), %d replicate%s each\npoint = the scenario as given; median and 90%% band (5th-95th percentile) "
                "over the samples\n",
                s.samples, s.parameters.size(), static_cast<unsigned long long>(s.seed), s.replicates,
                s.replicates == 1 ? "" : "s");
  std::string text = line;
  std::snprintf(line, sizeof line, "%-22s %-24s %-16s %12s %12s %12s %12s\n", "outcome", "service", "unit", "point",
                "median", "p05", "p95");
  text += line;
  for (const UncertaintyBand& b : s.outcomes) {
    std::snprintf(line, sizeof line, "%-22s %-24s %-16s %12s %12s %12s %12s\n", b.metric.c_str(),
                  b.service.empty() ? "(citywide)" : b.service.c_str(), b.unit.c_str(), number(b.point).c_str(),
                  number(b.median).c_str(), number(b.p05).c_str(), number(b.p95).c_str());
    text += line;
  }
  return text;
}

std::string uncertainty_json(const UncertaintySummary& s) {
  Json parameters = Json::array(), outcomes = Json::array();
  for (const auto& p : s.parameters) parameters.push_back(p.key);
  for (const UncertaintyBand& b : s.outcomes)
    outcomes.push_back({{"name", b.metric},
                        {"service", b.service.empty() ? Json(nullptr) : Json(b.service)},
                        {"unit", b.unit},
                        {"point", exact_json(b.point)},
                        {"median", exact_json(b.median)},
                        {"p05", exact_json(b.p05)},
                        {"p95", exact_json(b.p95)}});
  const Json j = {{"samples", s.samples},
                         {"seed", s.seed},
                         {"replicates", s.replicates},
                         {"sampling", "latin_hypercube"},
                         {"band", json_interval(kBandLow, kBandHigh)},
                         {"parameters", std::move(parameters)},
                         {"outcomes", std::move(outcomes)}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ---------------------------------------------------------------- tables

const Table<UncertaintyFacts>& uncertainty_facts_table() {
  using F = UncertaintyFacts;
  static const Table<F> t = make_table<F>(
      "uncertainty_facts", "uncertainty", {},
      {COMMSIM_FIELDS(F, sampling, samples, replicates, parameters, seed, band_low, band_high)}, Storage::attributes);
  return t;
}

const Table<UncertaintyParameterRow>& uncertainty_parameter_table() {
  using P = UncertaintyParameterRow;
  static const Table<P> t = make_table<P>("uncertainty_parameter", "uncertainty/parameters", {"parameters"},
                                          {COMMSIM_FIELDS(P, key, unit, distribution, default_value, low, high)});
  return t;
}

const Table<UncertaintyOutcomeRow>& uncertainty_outcome_table() {
  using O = UncertaintyOutcomeRow;
  static const Table<O> t = make_table<O>("uncertainty_outcome", "uncertainty/outcomes", {"outcomes"},
                                          {COMMSIM_FIELDS(O, metric, service, unit, point, median, p05, p95)});
  return t;
}

}  // namespace commsim
