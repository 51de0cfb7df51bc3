// Sensitivity designs in studies: outcomes, indices, noise split, /sensitivity tables (sensitivity_study.hpp).
#include "sim/study/sensitivity_study.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "sim/core/error.hpp"
#include "sim/io/hdf5_output.hpp"

namespace commsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The schema field an outcome reads: a citywide service field, or a run attribute.
const Field<CitywideService>* service_field(const std::string& metric) { return citywide_service_table().find(metric); }
const Field<RunResult>* run_field(const std::string& metric) { return run_table().find(metric); }

}  // namespace

std::vector<SensitivityOutcome> sensitivity_outcomes(const StudyPlan& plan) {
  return sensitivity_outcomes(plan.study.sensitivity.outcomes, plan.scenarios.front());
}

std::vector<SensitivityOutcome> sensitivity_outcomes(const std::vector<std::string>& metrics, const Scenario& scenario) {
  std::vector<SensitivityOutcome> out;
  for (const auto& metric : metrics) {
    if (outcome_per_service(metric)) {
      const auto* f = service_field(metric);
      if (!f) throw std::logic_error("sensitivity outcome '" + metric + "' is not a citywide service field");
      for (const auto& s : scenario.services) out.push_back({metric, s.name, f->unit});
    } else {
      const auto* f = run_field(metric);
      if (!f) throw std::logic_error("sensitivity outcome '" + metric + "' is not a run attribute");
      out.push_back({metric, "", f->unit});
    }
  }
  return out;
}

std::vector<double> run_outcome_values(const RunResult& run, const std::vector<SensitivityOutcome>& outcomes) {
  std::vector<double> out;
  out.reserve(outcomes.size());
  for (const auto& o : outcomes) {
    if (o.service.empty()) {
      out.push_back(field_number(*run_field(o.metric), run));
      continue;
    }
    const auto at = std::find(run.service_names.begin(), run.service_names.end(), o.service);
    if (at == run.service_names.end()) throw RuntimeFailure("run without the service '" + o.service + "'");
    out.push_back(field_number(*service_field(o.metric), run.citywide[static_cast<size_t>(at - run.service_names.begin())]));
  }
  return out;
}

std::vector<double> stored_outcome_values(const Hdf5Output& out, const std::string& group,
                                          const std::vector<SensitivityOutcome>& outcomes,
                                          const std::vector<std::string>& services) {
  std::vector<double> values;
  std::string column_metric;
  std::vector<double> column;  // the metric's citywide column, in the runs' service order
  for (const auto& o : outcomes) {
    if (o.service.empty()) {
      values.push_back(out.double_attribute(group, o.metric));
      continue;
    }
    if (column_metric != o.metric) {
      column = out.read_doubles(group + "/citywide/services/" + o.metric);
      column_metric = o.metric;
    }
    const size_t s = static_cast<size_t>(std::find(services.begin(), services.end(), o.service) - services.begin());
    if (s >= column.size()) throw RuntimeFailure("study file: run group " + group + " has no service '" + o.service + "'");
    values.push_back(column[s]);
  }
  return values;
}

// ---------------------------------------------------------------- tables

const Table<SensitivityFacts>& sensitivity_facts_table() {
  using F = SensitivityFacts;
  static const Table<F> t =
      make_table<F>("sensitivity_facts", "sensitivity", {},
                    {COMMSIM_FIELDS(F, method, parameters, points, replicates, trajectories, levels, candidates, delta,
                                    base_samples, seed, bootstrap, confidence, noise_split)},
                    Storage::attributes);
  return t;
}

const Table<SensitivityParameterRow>& sensitivity_parameter_table() {
  using P = SensitivityParameterRow;
  static const Table<P> t = make_table<P>("sensitivity_parameter", "sensitivity/parameters", {"parameters"},
                                          {COMMSIM_FIELDS(P, low, high, log_scale, integer, lever, registry_low, registry_high,
                                                          range_origin)});
  return t;
}

const Table<SensitivityPointRow>& sensitivity_design_table() {
  using D = SensitivityPointRow;
  static const Table<D> t =
      make_table<D>("sensitivity_design", "sensitivity/design", {"variants"}, {COMMSIM_FIELDS(D, group, unit_point)});
  return t;
}

const Table<SensitivityOutcomeRow>& sensitivity_outcome_table() {
  using O = SensitivityOutcomeRow;
  static const Table<O> t =
      make_table<O>("sensitivity_outcome", "sensitivity/outcomes", {"outcomes"},
                    {COMMSIM_FIELDS(O, metric, service, unit, mean, variance, parameter_variance, common_noise_variance,
                                    point_noise_variance, stochastic_share, index_noise_level, mu_star_noise_level)});
  return t;
}

const Table<MorrisIndexRow>& morris_index_table() {
  using M = MorrisIndexRow;
  static const Table<M> t = make_table<M>("morris_index", "sensitivity/morris", {"outcomes", "parameters"},
                                          {COMMSIM_FIELDS(M, mu, mu_star, mu_star_lo, mu_star_hi, sigma, below_noise)});
  return t;
}

const Table<SobolIndexRow>& sobol_index_table() {
  using S = SobolIndexRow;
  static const Table<S> t = make_table<S>(
      "sobol_index", "sensitivity/sobol", {"outcomes", "parameters"},
      {COMMSIM_FIELDS(S, first, first_lo, first_hi, total, total_lo, total_hi, first_below_noise, total_below_noise)});
  return t;
}

const std::vector<AxisDataset>& sensitivity_axis_datasets() {
  static const std::vector<AxisDataset> axes = [] {
    auto axis = [](std::string name, std::string axis_name, std::string description) {
      AxisDataset a;
      a.info.name = std::move(name);
      a.info.description = std::move(description);
      a.info.dtype = Dtype::text;
      a.axis = std::move(axis_name);
      a.group = "/sensitivity";
      return a;
    };
    return std::vector<AxisDataset>{
        axis("parameter_names", "parameters", "the parameters (scenario key paths, the study's axes): the parameters axis"),
        axis("outcome_names", "outcomes",
             "the outcomes axis: metric:service (a per-service outcome) or metric (a citywide one)")};
  }();
  return axes;
}

// ---------------------------------------------------------------- indices

namespace {

double mean_of(const std::vector<double>& x) {
  return x.empty() ? kNaN : std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

double variance_of(const std::vector<double>& x) {
  if (x.size() < 2) return kNaN;
  const double m = mean_of(x);
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return ss / static_cast<double>(x.size() - 1);
}

void set_noise(SensitivityOutcomeRow& row, const NoiseSplit& noise) {
  row.parameter_variance = noise.parameter_variance;
  row.common_noise_variance = noise.common_noise_variance;
  row.point_noise_variance = noise.point_noise_variance;
  row.stochastic_share = noise.stochastic_share;
}

}  // namespace

SensitivityResult compute_sensitivity(const StudyPlan& plan, const std::vector<SensitivityOutcome>& outcomes,
                                      const std::vector<std::vector<double>>& run_values) {
  const Study& st = plan.study;
  const SensitivitySpec& sp = st.sensitivity;
  const bool morris = st.design == "morris";
  const int k = static_cast<int>(st.axes.size()), points = static_cast<int>(plan.scenarios.size());
  const int reps = st.replicates;
  if (run_values.size() != static_cast<size_t>(plan.runs())) throw std::logic_error("compute_sensitivity: one row per run");

  SensitivityResult r;
  SensitivityFacts& f = r.facts;
  f.method = st.design;
  f.parameters = k;
  f.points = points;
  f.replicates = reps;
  if (morris) {
    f.trajectories = sp.morris.trajectories;
    f.levels = sp.morris.levels;
    f.candidates = sp.morris.candidates;
    f.delta = sp.morris_design.delta;
  } else {
    f.base_samples = sp.base_samples;
  }
  f.seed = sp.seed;
  f.bootstrap = sp.bootstrap.resamples;
  f.confidence = sp.bootstrap.confidence;
  f.noise_split = reps >= 2;
  r.parameters = st.axis_keys;
  for (size_t a = 0; a < st.axes.size(); ++a)
    r.ranges.push_back({sp.ranges[a].low, sp.ranges[a].high,
                        sp.ranges[a].kind == ParameterDistribution::Kind::log_uniform, st.axes[a].integer,
                        st.axes[a].lever, st.axes[a].registry_low, st.axes[a].registry_high, st.axes[a].range_origin});
  for (int p = 0; p < points; ++p) r.points.push_back({sp.group[static_cast<size_t>(p)], sp.unit_points()[static_cast<size_t>(p)]});

  // The noise split takes the points that sample the parameters' distribution: every Morris point, the
  // A and B points of a Saltelli design (the AB_i do not). Their groups share seeds (none do with
  // independent streams: every point then has its own).
  std::vector<int> sampling_points, sampling_groups;
  if (morris) {
    sampling_points.resize(static_cast<size_t>(points));
    std::iota(sampling_points.begin(), sampling_points.end(), 0);
  } else {
    for (int j = 0; j < sp.base_samples; ++j) {
      sampling_points.push_back(static_cast<int>(SaltelliDesign::run_a(j, k)));
      sampling_points.push_back(static_cast<int>(SaltelliDesign::run_b(j, k)));
    }
  }
  if (!plan.independent_streams)
    for (int p : sampling_points) sampling_groups.push_back(sp.group[static_cast<size_t>(p)]);

  for (size_t o = 0; o < outcomes.size(); ++o) {
    std::vector<double> y(run_values.size());
    for (size_t run = 0; run < run_values.size(); ++run) y[run] = run_values[run][o];
    const std::vector<double> means = replicate_means(y, points, reps);
    SensitivityOutcomeRow row;
    row.metric = outcomes[o].metric;
    row.service = outcomes[o].service;
    row.unit = outcomes[o].unit;
    row.parameter_variance = row.common_noise_variance = row.point_noise_variance = row.stochastic_share = kNaN;
    row.index_noise_level = row.mu_star_noise_level = kNaN;
    std::optional<NoiseSplit> noise;
    if (reps >= 2) {
      std::vector<double> sampled;  // the sampling points' runs, point-major
      for (int p : sampling_points)
        sampled.insert(sampled.end(), y.begin() + static_cast<std::ptrdiff_t>(p) * reps,
                       y.begin() + static_cast<std::ptrdiff_t>(p + 1) * reps);
      noise = noise_split(sampled, static_cast<int>(sampling_points.size()), reps, sampling_groups);
      set_noise(row, *noise);
    }
    if (morris) {
      row.mean = mean_of(means);
      row.variance = variance_of(means);
      if (noise) row.mu_star_noise_level = morris_noise_mu_star(*noise, sp.morris_design.delta);
      for (const MorrisIndex& m : morris_indices(sp.morris_design, means, sp.bootstrap))
        r.morris.push_back({m.mu, m.mu_star, m.mu_star_ci.lo, m.mu_star_ci.hi, m.sigma,
                            noise.has_value() && below_noise(m.mu_star_ci, row.mu_star_noise_level)});
    } else {
      const SobolResult s = sobol_indices(means, k, sp.base_samples, sp.bootstrap);
      row.mean = s.mean;
      row.variance = s.variance;
      if (noise) row.index_noise_level = noise->index_noise_level;
      for (const SobolIndex& i : s.indices)
        r.sobol.push_back({i.first, i.first_ci.lo, i.first_ci.hi, i.total, i.total_ci.lo, i.total_ci.hi,
                           noise.has_value() && below_noise(i.first_ci, row.index_noise_level),
                           noise.has_value() && below_noise(i.total_ci, row.index_noise_level)});
    }
    r.outcomes.push_back(std::move(row));
    r.outcome_names.push_back(outcomes[o].name());
  }
  return r;
}

// ---------------------------------------------------------------- output

void write_sensitivity(Hdf5Output& out, const SensitivityResult& r) {
  auto length = [&](const std::string& axis) -> size_t {
    if (axis == "parameters") return r.parameters.size();
    if (axis == "outcomes") return r.outcomes.size();
    if (axis == "variants") return r.points.size();
    throw std::logic_error("unknown sensitivity axis '" + axis + "'");
  };
  write_result_table(out, "/sensitivity", sensitivity_facts_table(), &r.facts, 1, length);
  for (const auto& a : sensitivity_axis_datasets()) {
    ColumnData c;
    c.info = &a.info;
    c.name = a.info.name;
    c.dtype = Dtype::text;
    c.values = a.axis == "parameters" ? r.parameters : r.outcome_names;
    c.dims = {std::get<std::vector<std::string>>(c.values).size()};
    c.axes = {a.axis};
    out.write_column(a.group, c, Storage::rows);
  }
  write_result_table(out, "/sensitivity/parameters", sensitivity_parameter_table(), r.ranges.data(), r.ranges.size(), length);
  write_result_table(out, "/sensitivity/design", sensitivity_design_table(), r.points.data(), r.points.size(), length);
  write_result_table(out, "/sensitivity/outcomes", sensitivity_outcome_table(), r.outcomes.data(), r.outcomes.size(), length);
  if (r.facts.method == "morris")
    write_result_table(out, "/sensitivity/morris", morris_index_table(), r.morris.data(), r.morris.size(), length);
  else
    write_result_table(out, "/sensitivity/sobol", sobol_index_table(), r.sobol.data(), r.sobol.size(), length);
}

namespace {

// Each key's shortest tail of segments that no other key ends with ("community_worker.per_10k" beside
// "gp.per_10k"), never starting at a list index ("rate_per_year_by_age.2.value"), for the text table.
std::vector<std::string> parameter_labels(const std::vector<std::string>& keys) {
  auto tail = [](const std::string& key, int segments) {
    size_t at = key.size();
    for (int n = 0; n < segments && at != std::string::npos; ++n) at = at == 0 ? std::string::npos : key.rfind('.', at - 1);
    return at == std::string::npos ? key : key.substr(at + 1);
  };
  std::vector<std::string> labels;
  for (const auto& key : keys) {
    std::string label;
    for (int n = 1;; ++n) {
      label = tail(key, n);
      bool unique = true;
      for (const auto& other : keys)
        if (&other != &key && (other == label || (other.size() > label.size() &&
                                                  other.compare(other.size() - label.size() - 1, std::string::npos, "." + label) == 0)))
          unique = false;
      if ((unique && !std::isdigit(static_cast<unsigned char>(label[0]))) || label == key) break;
    }
    labels.push_back(label);
  }
  return labels;
}

// Parameters of outcome o in the order of their influence: mu* (morris) or the total index (sobol),
// largest first; NaN last; ties in parameter order.
std::vector<size_t> ranking(const SensitivityResult& r, size_t o) {
  const size_t k = r.parameters.size();
  auto key = [&](size_t i) {
    const double v = r.facts.method == "morris" ? r.morris[o * k + i].mu_star : r.sobol[o * k + i].total;
    return std::isfinite(v) ? v : -std::numeric_limits<double>::infinity();
  };
  std::vector<size_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) > key(b); });
  return order;
}

}  // namespace

namespace {

// Each parameter's range, lever or uncertain parameter, and where the range comes from; a note for a
// range narrowed without a reason.
std::string ranges_text(const SensitivityResult& r, const std::vector<std::string>& labels, int w) {
  std::string out = "ranges (docs/sensitivity.md, \"Ranges from the registry\"):\n";
  char buf[512];
  size_t unexplained = 0;
  for (size_t i = 0; i < r.ranges.size() && i < labels.size(); ++i) {
    const SensitivityParameterRow& p = r.ranges[i];
    std::snprintf(buf, sizeof buf, "  %-*s %-9s %11.4g .. %-11.4g %s\n", w, labels[i].c_str(), p.lever ? "lever" : "parameter",
                  p.low, p.high, p.range_origin.empty() ? "-" : p.range_origin.c_str());
    out += buf;
    unexplained += p.range_origin.rfind("narrower", 0) == 0;
  }
  if (unexplained > 0)
    out += "note: " + std::to_string(unexplained) +
           " range(s) narrower than the registry's without a reason: the indices hold for the narrowed ranges only "
           "(say why with narrowed: REASON)\n";
  return out;
}

}  // namespace

std::string sensitivity_text(const SensitivityResult& r) {
  const bool morris = r.facts.method == "morris";
  const size_t k = r.parameters.size();
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "\nsensitivity (%s): %lld parameters, %lld points x %lld replicates; %.0f%% bootstrap intervals (%lld "
                "resamples)%s\n",
                r.facts.method.c_str(), static_cast<long long>(r.facts.parameters), static_cast<long long>(r.facts.points),
                static_cast<long long>(r.facts.replicates), 100 * r.facts.confidence,
                static_cast<long long>(r.facts.bootstrap),
                r.facts.noise_split ? "; * = below the noise" : "; one replicate: no noise split");
  out += buf;
  out += morris ? "per outcome, parameters by mu* (outcome units per whole range): mu* [interval] mu sigma\n"
                : "per outcome, parameters by total index: S_Ti [interval] S_i [interval]\n";
  const std::vector<std::string> labels = parameter_labels(r.parameters);
  size_t width = 0;
  for (const auto& l : labels) width = std::max(width, l.size());
  const int w = static_cast<int>(width);
  out += ranges_text(r, labels, w);
  bool has_levers = false, has_parameters = r.ranges.size() < k;
  for (const auto& range : r.ranges) (range.lever ? has_levers : has_parameters) = true;
  for (size_t o = 0; o < r.outcomes.size(); ++o) {
    const SensitivityOutcomeRow& row = r.outcomes[o];
    std::snprintf(buf, sizeof buf, "\n%s (%s): mean %.6g, variance %.6g", r.outcome_names[o].c_str(), row.unit.c_str(),
                  row.mean, row.variance);
    out += buf;
    if (r.facts.noise_split) {
      std::snprintf(buf, sizeof buf, ", stochastic share %.1f%%, noise level %.4g", 100 * row.stochastic_share,
                    morris ? row.mu_star_noise_level : row.index_noise_level);
      out += buf;
    }
    out += "\n";
    for (const bool levers : {false, true}) {
    if (has_levers && has_parameters) out += levers ? "  levers (the planner's choice, not an uncertainty):\n" : "  uncertain parameters:\n";
    for (size_t i : ranking(r, o)) {
      if ((i < r.ranges.size() && r.ranges[i].lever) != levers) continue;
      const char* name = labels[i].c_str();
      if (morris) {
        const MorrisIndexRow& m = r.morris[o * k + i];
        std::snprintf(buf, sizeof buf, "  %-*s %11.4g [%11.4g, %11.4g] %11.4g %11.4g %s\n", w, name, m.mu_star,
                      m.mu_star_lo, m.mu_star_hi, m.mu, m.sigma, m.below_noise ? "*" : "");
      } else {
        const SobolIndexRow& s = r.sobol[o * k + i];
        std::snprintf(buf, sizeof buf, "  %-*s %8.4f [%8.4f, %8.4f]%s %8.4f [%8.4f, %8.4f]%s\n", w, name, s.total,
                      s.total_lo, s.total_hi, s.total_below_noise ? "*" : " ", s.first, s.first_lo, s.first_hi,
                      s.first_below_noise ? "*" : "");
      }
      out += buf;
    }
    }
  }
  return out;
}

namespace {

Json index_json(const SensitivityResult& r, size_t o, size_t i) {
  const size_t k = r.parameters.size();
  Json j = {{"parameter", r.parameters[i]}, {"lever", i < r.ranges.size() && r.ranges[i].lever}};
  if (r.facts.method == "morris") {
    const MorrisIndexRow& m = r.morris[o * k + i];
    j["mu_star"] = json_figure(m.mu_star);
    j["mu_star_ci"] = json_interval(m.mu_star_lo, m.mu_star_hi);
    j["mu"] = json_figure(m.mu);
    j["sigma"] = json_figure(m.sigma);
    j["below_noise"] = m.below_noise;
    return j;
  }
  const SobolIndexRow& s = r.sobol[o * k + i];
  j["first"] = json_figure(s.first);
  j["first_ci"] = json_interval(s.first_lo, s.first_hi);
  j["total"] = json_figure(s.total);
  j["total_ci"] = json_interval(s.total_lo, s.total_hi);
  j["first_below_noise"] = s.first_below_noise;
  j["total_below_noise"] = s.total_below_noise;
  return j;
}

}  // namespace

Json sensitivity_json(const SensitivityResult& r) {
  const bool morris = r.facts.method == "morris";
  Json outcomes = Json::array();
  for (size_t o = 0; o < r.outcomes.size(); ++o) {
    const SensitivityOutcomeRow& row = r.outcomes[o];
    Json indices = Json::array();
    for (size_t i = 0; i < r.parameters.size(); ++i) indices.push_back(index_json(r, o, i));
    outcomes.push_back({{"outcome", r.outcome_names[o]},
                        {"metric", row.metric},
                        {"service", row.service},
                        {"unit", row.unit},
                        {"mean", json_figure(row.mean)},
                        {"variance", json_figure(row.variance)},
                        {"stochastic_share", json_figure(row.stochastic_share)},
                        {"noise_level", json_figure(morris ? row.mu_star_noise_level : row.index_noise_level)},
                        {"indices", std::move(indices)}});
  }
  Json ranges = Json::array();
  for (size_t i = 0; i < r.ranges.size() && i < r.parameters.size(); ++i)
    ranges.push_back({{"parameter", r.parameters[i]},
                      {"low", json_figure(r.ranges[i].low)},
                      {"high", json_figure(r.ranges[i].high)},
                      {"lever", r.ranges[i].lever},
                      {"origin", r.ranges[i].range_origin}});
  return {{"method", r.facts.method},
          {"replicates", r.facts.replicates},
          {"confidence", json_figure(r.facts.confidence)},
          {"parameters", r.parameters},
          {"ranges", std::move(ranges)},
          {"outcomes", std::move(outcomes)}};
}

}  // namespace commsim
