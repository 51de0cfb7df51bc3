// Planning outcomes (outcomes.hpp).
#include "sim/plan/outcomes.hpp"

#include <algorithm>

#include "sim/core/error.hpp"
#include "sim/metrics/summary.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/sensitivity_study.hpp"
#include "sim/study/study.hpp"

namespace commsim {

namespace {

const SourcePos kCli{"command line", 0, 0};

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The outcomes that are city figures of the run itself (cost, access), not per service.
bool run_figure(const std::string& outcome) { return outcome.rfind("cost_", 0) == 0 || outcome == "access_share"; }

}  // namespace

const std::vector<std::string>& pooled_outcome_names() {
  static const std::vector<std::string> names = {"unmet_hours", "coverage", "gini"};
  return names;
}

std::vector<CommunityState> community_states(const RunResult& run, int service) {
  const size_t ns = run.service_names.size();
  std::vector<CommunityState> out(run.communities.size());
  for (size_t c = 0; c < out.size(); ++c)
    for (size_t s = 0; s < ns; ++s) {
      if (service >= 0 && static_cast<int>(s) != service) continue;
      const ServiceTotals& t = run.service_totals[c * ns + s];
      out[c].unmet_hours += t.unmet_minutes / 60.0;
      if (run.citywide[s].kind == "enrolment" && service < 0) continue;
      out[c].served_in_time += static_cast<double>(t.served_in_time);
      out[c].demand += static_cast<double>(t.demand);
    }
  return out;
}

double pooled_outcome(const std::vector<CommunityState>& states, const std::string& outcome) {
  double unmet = 0, served = 0, demand = 0;
  std::vector<double> coverage;
  for (const auto& s : states) {
    unmet += s.unmet_hours;
    served += s.served_in_time;
    demand += s.demand;
    if (s.demand > 0) coverage.push_back(s.coverage());
  }
  if (outcome == "unmet_hours") return unmet;
  if (outcome == "coverage") return demand > 0 ? served / demand : 1.0;
  if (outcome == "gini") return gini(coverage);
  throw RuntimeFailure("pooled outcome '" + outcome + "' is not one of " + joined(pooled_outcome_names()));
}

bool minimised(const std::string& outcome) {
  return !(outcome.find("coverage") != std::string::npos || outcome == "access_share");
}

void check_outcome(const std::string& option, const std::string& outcome, const std::string& service) {
  const std::vector<std::string>& names = sensitivity_outcome_names();
  if (!listed(names, outcome))
    throw InputError(kCli, option, "unknown outcome '" + outcome + "'; the study outcomes are: " + joined(names));
  if (service.empty() && !run_figure(outcome) && !listed(pooled_outcome_names(), outcome))
    throw InputError(kCli, option, "'" + outcome + "' is a figure of one service: give --service (city totals are "
                                   "defined for " + joined(pooled_outcome_names()) + ", cost_* and access_share)");
}

double run_outcome(const RunResult& run, const std::string& outcome, const std::string& service) {
  if (!service.empty() || run_figure(outcome)) {
    const std::vector<SensitivityOutcome> one = {{outcome, run_figure(outcome) ? "" : service, ""}};
    return run_outcome_values(run, one).front();
  }
  return pooled_outcome(community_states(run, -1), outcome);
}

void check_service(const Scenario& sc, const std::string& option, const std::string& service) {
  if (service.empty() || sc.service_index(service) >= 0) return;
  std::string names;
  for (const auto& s : sc.services) names += (names.empty() ? "" : ", ") + s.name;
  throw InputError(SourcePos{"command line", 0, 0}, option, "unknown service '" + service + "'; the scenario has: " + names);
}

}  // namespace commsim
