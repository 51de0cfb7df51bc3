// The M/M/c validation (MODEL.md §8): runs the validation scenario (scenarios/validation/mmc.yaml)
// through the normal engine, replicate by replicate, and sets the simulated mean wait, P(wait > 0)
// and utilisation, with confidence half-widths over replicates, next to the Erlang-C values.
#pragma once
#include <vector>

#include "sim/metrics/statistics.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

struct QueueCheck {
  double arrivals_per_hour = 0, service_minutes = 0;
  int servers = 0, days = 0, replicates = 0;
  MeanCI mean_wait_min, p_wait, utilisation;  // simulated, over replicates
  double littles_l = 0, littles_lambda_w = 0; // L (queue-length integral / T) vs lambda W, replicate 0
  ErlangC exact;
  std::vector<double> per_replicate_mean_wait, per_replicate_p_wait;
};

// `scenario` must have exactly one community, one episodic service and its role with a fixed rule.
// Replicates run in parallel on up to `threads` threads (0: all cores); results do not depend on it.
QueueCheck run_queue_check(const Scenario& scenario, double confidence = 0.95, int threads = 0);

}  // namespace commsim
