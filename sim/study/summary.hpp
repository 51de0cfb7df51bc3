// Study statistics: per metric, variant and service, the mean over replicates with its confidence
// interval, and the difference to the base variant computed per replicate (paired: replicate r of
// both variants used the same random streams) with its interval. The unpaired interval (Welch-style,
// as if the replicates were independent) is reported beside it, to show what pairing buys.
#pragma once
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/metrics/statistics.hpp"
#include "sim/study/study.hpp"

namespace commsim {

struct MetricSummary {
  std::string metric;
  std::vector<std::vector<MeanCI>> value;                 // [variant][service]
  std::vector<std::vector<MeanCI>> diff;                  // [variant][service], per-replicate differences to the base
  std::vector<std::vector<double>> diff_unpaired_half_width;  // [variant][service]
};

struct StudySummary {
  int base_variant = 0;
  bool paired = true;  // false with independent streams and in sensitivity designs (seeds differ)
  double confidence = 0.95;
  std::vector<std::string> services, variant_names;
  std::vector<MetricSummary> metrics;
};

// `values[r] - base[r]` over replicates r (paired: replicate r of both used the same random
// streams) with its interval, and the unpaired (Welch-style) half-width as if they were independent.
// Both vectors have the same length.
struct PairedDifference {
  MeanCI diff;
  double unpaired_half_width = 0;
};
PairedDifference paired_difference(const std::vector<double>& values, const std::vector<double>& base,
                                   double confidence = 0.95);

// A run's values of the study's metrics: [metric * services + service].
std::vector<double> run_metric_values(const RunResult& run, const std::vector<std::string>& metrics);

// `run_values[run]` from run_metric_values, runs in study order (variant-major); intervals at the
// study's confidence level.
StudySummary summarize_study(const StudyPlan& plan, const std::vector<std::string>& services,
                             const std::vector<std::vector<double>>& run_values);

}  // namespace commsim
