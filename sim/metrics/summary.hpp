// Citywide aggregates of a run (MODEL.md §6): per service, per role, cost and access, computed
// from the run's per-community totals in community order. The engine calls it at the end of
// every replicate; tests call it on hand-made totals.
#pragma once
#include "sim/metrics/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

// Fills run.citywide, run.citywide_roles and the cost and access figures from the per-community
// totals already in `run`.
void summarize(const Scenario& scenario, RunResult& run);

}  // namespace commsim
