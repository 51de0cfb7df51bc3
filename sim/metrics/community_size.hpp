// Community size as the run's communities have it (--summary-json `community_size`): family
// households (residents in collective living live in communities but are not households), residents,
// and the norm's size classes (NORMS.md N1.1/N1.3: micro below 1,000 family households, oversized
// above 5,000) with the community workers each class gets per 10,000 of its residents.
#pragma once
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

struct SizeClass {
  std::string name;            // micro, within the norm, oversized
  int64_t communities = 0;
  double staff_per_10k = 0;    // community workers (committee members serving as such included)
};

struct CommunitySize {
  double mean_family_households = 0, median_family_households = 0, mean_residents = 0;
  int64_t below_1000 = 0, above_5000 = 0;  // communities outside the norm's range
  std::vector<SizeClass> classes;          // micro, within the norm, oversized
};

// The size figures of `communities` (a run's CommunityInfo, start of the run).
CommunitySize community_size(const Scenario& scenario, const std::vector<CommunityInfo>& communities);

}  // namespace commsim
