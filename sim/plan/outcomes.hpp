// The outcomes planning commands optimise (commsim allocate, commsim pareto; docs/planning.md): a
// study outcome name (sensitivity_outcome_names: the citywide service metrics and the run's cost
// and access figures) of one service, or, without a service, the city totals over services that
// are well defined: unmet_hours (summed), coverage (served in time / demand, pooled over the
// request services) and gini (of the communities' pooled coverage). The pooled figures are built
// from per-community states, so an allocation can change one community's state and see the city's.
#pragma once
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"

namespace commsim {

struct Scenario;

// One community's figures of a run, over the services counted (one, or all; enrolment services
// count in unmet_hours only: their demand is person-days, not requests).
struct CommunityState {
  double unmet_hours = 0, served_in_time = 0, demand = 0;
  double coverage() const { return demand > 0 ? served_in_time / demand : 1.0; }
};

// service: an index into run.service_names, or -1 for every service.
std::vector<CommunityState> community_states(const RunResult& run, int service);

// unmet_hours, coverage or gini of the city made of `states` (gini: communities with demand).
double pooled_outcome(const std::vector<CommunityState>& states, const std::string& outcome);
// The names pooled_outcome knows.
const std::vector<std::string>& pooled_outcome_names();

// Whether an outcome is better small (cost, unmet hours, waits, gini) or large (coverage, access).
bool minimised(const std::string& outcome);

// Throws InputError (key `option`) unless `outcome` is a study outcome name that can be taken
// with `service` ("" = city totals: cost_*, access_share and the pooled names).
void check_outcome(const std::string& option, const std::string& outcome, const std::string& service);

// Throws InputError (key `option`) unless `service` is "" or a service of `sc`; the message lists them.
void check_service(const Scenario& sc, const std::string& option, const std::string& service);

// The run's value of `outcome` for `service` ("" = city totals), as check_outcome allowed.
double run_outcome(const RunResult& run, const std::string& outcome, const std::string& service);

}  // namespace commsim
