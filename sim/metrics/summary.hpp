// Citywide aggregates of a run (MODEL.md §6): per service, per role, cost and access, computed
// from the run's per-community totals in community order. The engine calls it at the end of
// every replicate; tests call it on hand-made totals.
#pragma once
#include "sim/metrics/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

// Fills run.citywide, run.citywide_roles and the cost and access figures from the per-community
// totals already in `run`.
// Community pay (CommunityInfo::pay_yuan_by_role, each simulated year at that year's staff) is
// split by payer here (funding.pay_city_share).
void summarize(const Scenario& scenario, RunResult& run);

// Gini coefficient of non-negative values (0 = all equal): of community coverage (citywide), of
// district coverage, and in commsim allocate's equity cap.
double gini(std::vector<double> values);

// The one pay formula: `people` in `role` paid for `days` days (monthly pay x 12 x days / 365).
double pay_yuan(const Role& role, double people, double days);

}  // namespace commsim
