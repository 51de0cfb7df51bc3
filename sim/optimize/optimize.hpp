// Inverse staffing (MODEL.md §7): the least staff of one role that reaches a coverage target for one
// service, citywide (binary search on the role's per_10k value, or on a fixed count per community
// when the rule is not per_10k_residents) or per community (binary search on a fixed count, one
// search per community; every candidate count is run once for the whole city and each community's
// coverage read from its totals). Every candidate uses the same random streams (same run.seed and
// replicates), so coverage is monotone in the staffing and the search is exact for those streams.
#pragma once
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace commsim {

struct OptimizeRequest {
  std::string role, service;
  double target = 0.9;
  bool per_community = false;
  double min = -1, max = -1;  // search interval; < 0 = defaults (per_10k: 0..60, fixed: 0..40)
  double step = 1;            // per_10k resolution (fixed counts always step by 1)
  int replicates = 1;         // coverage = mean over replicates 0..K-1
};

struct CommunityOptimum {
  std::string name;
  long long households = 0, residents = 0;
  int norm_staff = 0;              // staff under the scenario's own rule
  double norm_coverage = 0;
  int least_staff = -1;            // -1: target not reached within the interval
  double coverage = 0;             // at least_staff
  double coverage_one_less = -1;   // at least_staff - 1 (-1 when least_staff is the minimum)
};

struct OptimizeResult {
  std::string parameter;           // "per_10k" or "fixed"
  std::string override_prefix;     // "staffing.rules.<role>."
  bool reachable = false;
  double value = 0;                // least value reaching the target (citywide)
  double coverage = 0, coverage_one_step_less = -1;
  int staff = 0;                   // citywide staff of the role at `value`
  double norm_value = 0;           // the scenario's own rule value (per_10k or fixed)
  double norm_coverage = 0;
  int norm_staff = 0;
  double min = 0, max = 0, step = 1;
  int evaluations = 0;             // candidate values run (each = `replicates` city runs)
  std::vector<CommunityOptimum> communities;  // per_community only
  // The overrides that set the role to `value` (for `commsim run --set`).
  std::vector<std::string> overrides_for(double value) const;
};

// Throws InputError for an unknown role or service or a bad interval.
OptimizeResult optimize_staffing(const Scenario& scenario, const OptimizeRequest& request);

}  // namespace commsim
