// The name of a run's group in an output file (docs/output-format.md), in one place for the
// writers (`commsim run`, studies) and the readers (replay, inspect, analysis/): run i is
// /runs/NNNN, i zero-padded to four digits (more digits from 10,000 on). For `commsim run`, i is
// the replicate; for a study, variant * replicates + replicate.
#pragma once
#include <cstdio>
#include <string>

namespace commsim {

inline std::string run_group(long run) {
  char group[32];
  std::snprintf(group, sizeof group, "/runs/%04ld", run);
  return group;
}

}  // namespace commsim
