// One run over MPI ranks (issue 27): every replicate's city is divided among the ranks, each rank
// builds and simulates its communities (in batches, run.batch_residents), and rank 0 gathers the
// parts in city order and finishes the run (assemble_run): the results are bit-identical to one
// process's whatever the number of ranks. Without mpirun (or built without MPI) it is run_scenario.
//
// The division is a static, cost-weighted partition of the city into consecutive ranges, one per
// rank: a community's cost is its estimated residents (the day loop's work grows with residents
// times days, the same for every community of a run); the cut before rank k is the community
// boundary nearest to k/ranks of the total cost, moved to the nearest census unit (district or
// county) boundary when the unit is smaller than a rank's share (docs/performance.md, "One run
// over ranks"). Consecutive ranges keep a province's or city's units on few ranks and make the
// gather a concatenation.
#pragma once
#include <vector>

#include "sim/engine/engine.hpp"

namespace commsim {

struct DistributedRuns {
  bool root = true;  // this process holds the results (rank 0, or the only process)
  int ranks = 1;
  std::vector<RunResult> runs;  // every replicate, in order (root only)
};

// Rank k's range of the city among `ranks` (empty when the city is not divisible and k > 0, or
// when there are more ranks than communities).
std::vector<CityRange> partition_city(const Scenario& scenario, const PreparedInputs& inputs, int ranks);

// Runs every replicate of the scenario over the MPI ranks the process was launched with.
DistributedRuns run_scenario_over_ranks(const Scenario& scenario, const RunOptions& options);

}  // namespace commsim
