#include "sim/study/summary.hpp"

#include <cmath>

#include "sim/core/error.hpp"
#include "sim/metrics/result_schema.hpp"

namespace commsim {

namespace {

double metric_of(const CitywideService& s, const std::string& metric) {
  const Field<CitywideService>* field = citywide_service_table().find(metric);
  if (!field) throw RuntimeFailure("unknown study metric '" + metric + "'");
  return field_number(*field, s);
}

}  // namespace

PairedDifference paired_difference(const std::vector<double>& values, const std::vector<double>& base,
                                   double confidence) {
  if (values.size() != base.size()) throw RuntimeFailure("paired difference of runs with different replicate counts");
  std::vector<double> d;
  for (size_t r = 0; r < values.size(); ++r) d.push_back(values[r] - base[r]);
  PairedDifference out;
  out.diff = mean_ci(d, confidence);
  const MeanCI cx = mean_ci(values, confidence), cb = mean_ci(base, confidence);
  const double reps = static_cast<double>(values.size());
  const double se = std::sqrt(cx.sd * cx.sd / reps + cb.sd * cb.sd / reps);
  out.unpaired_half_width = values.size() > 1 ? student_t(confidence, static_cast<int>(2 * values.size() - 2)) * se : 0.0;
  return out;
}

std::vector<double> run_metric_values(const RunResult& run, const std::vector<std::string>& metrics) {
  std::vector<double> out;
  out.reserve(metrics.size() * run.citywide.size());
  for (const auto& m : metrics)
    for (const auto& s : run.citywide) out.push_back(metric_of(s, m));
  return out;
}

StudySummary summarize_study(const StudyPlan& plan, const std::vector<std::string>& services,
                             const std::vector<std::vector<double>>& run_values) {
  const double confidence = plan.study.confidence;
  StudySummary out;
  out.base_variant = plan.base_variant;
  // Paired when every variant runs on the same seed (not with independent streams, nor in a
  // sensitivity design, whose groups of points have seeds of their own).
  out.paired = true;
  for (const auto& sc : plan.scenarios) out.paired = out.paired && sc.run.seed == plan.scenarios.front().run.seed;
  out.confidence = confidence;
  out.services = services;
  for (const auto& v : plan.study.variants) out.variant_names.push_back(v.name);
  const size_t variants = plan.scenarios.size(), reps = static_cast<size_t>(plan.study.replicates);
  const size_t ns = services.size();
  for (size_t m = 0; m < plan.study.metrics.size(); ++m) {
    MetricSummary ms;
    ms.metric = plan.study.metrics[m];
    auto value = [&](size_t v, size_t r, size_t s) { return run_values[v * reps + r][m * ns + s]; };
    const size_t b = static_cast<size_t>(plan.base_variant);
    for (size_t v = 0; v < variants; ++v) {
      std::vector<MeanCI> vals, diffs;
      std::vector<double> unpaired;
      for (size_t s = 0; s < ns; ++s) {
        std::vector<double> x, xb;
        for (size_t r = 0; r < reps; ++r) {
          x.push_back(value(v, r, s));
          xb.push_back(value(b, r, s));
        }
        const PairedDifference d = paired_difference(x, xb, confidence);
        vals.push_back(mean_ci(x, confidence));
        diffs.push_back(d.diff);
        unpaired.push_back(d.unpaired_half_width);
      }
      ms.value.push_back(vals);
      ms.diff.push_back(diffs);
      ms.diff_unpaired_half_width.push_back(unpaired);
    }
    out.metrics.push_back(std::move(ms));
  }
  return out;
}

}  // namespace commsim
