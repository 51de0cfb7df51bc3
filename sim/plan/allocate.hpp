// `commsim allocate` (issue 28, docs/planning.md): where N extra workers of one role go, community
// by community. Communities are independent within a run (docs/architecture.md: no sharing
// between communities, every random stream keyed by its own entity), so one run of the city with
// every community at its staff + k gives each community's outcome at +k on the same streams
// (common random numbers). The allocation is greedy on those curves: each extra worker goes where
// the city's objective improves most, a level k + 1 being run for the whole city when a community
// reaches level k. The result is compared with the same N spread in proportion to residents on
// fresh streams (another seed, never used in the search), paired replicate by replicate.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/metrics/statistics.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

struct AllocateRequest {
  std::string role;
  int add = 0;                   // workers to place, >= 0
  std::string objective = "unmet_hours";  // unmet_hours | coverage | gini (pooled_outcome_names)
  std::string service;           // "" = every service
  int replicates = 1;            // search: replicates 0..K-1 of run.seed
  int max_per_community = -1;    // < 0: no cap
  double coverage_floor = -1;    // >= 0: workers go first to communities below this coverage
  double max_gini = -1;          // >= 0: only placements that keep the Gini of coverage at or under it
  int check_replicates = 4;      // the check: replicates 0..V-1 of check_seed
  uint64_t check_seed = 0;       // 0 = run.seed + 1
};

struct CommunityAllocation {
  std::string name, district;
  int64_t households = 0, residents = 0;
  int staff_before = 0, added = 0, proportional = 0;  // proportional: the comparison's added
  double objective_before = 0, objective_after = 0;   // the community's unmet hours or coverage (search)
};

// One arm of the check (base, proportional, allocation) on the fresh streams: the objective per replicate.
struct CheckArm {
  std::vector<double> values;
  MeanCI mean;
};

struct AllocateResult {
  std::string role, objective, service;
  int added = 0;
  int levels = 0;                // levels run (each = `replicates` city runs)
  int city_runs = 0;             // all runs, check included
  double search_before = 0, search_after = 0, search_proportional = 0;  // objective on the search streams
  std::vector<CommunityAllocation> communities;
  uint64_t check_seed = 0;
  CheckArm check_base, check_proportional, check_allocation;
  MeanCI gain;                   // proportional - allocation (minimised) or the reverse, per replicate, paired
  // The equity option on the search streams (coverage_floor, max_gini < 0: not asked): the Gini of
  // community coverage before and after, the communities left under the floor, whether it is met.
  double coverage_floor = -1, max_gini = -1;
  double gini_before = 0, gini_after = 0;
  int below_floor = 0;
  bool equity_met = true;
  std::string communities_csv;   // the communities file: staff.<role> after, added.<role>, residents
};

// Throws InputError for a bad request (unknown role, service or objective, N < 0, ...).
AllocateResult allocate_staff(const std::string& scenario_file, const std::vector<std::string>& overrides,
                              const AllocateRequest& request);

}  // namespace commsim
