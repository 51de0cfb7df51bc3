#include "sim/study/queue_check.hpp"

#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"

namespace commsim {

QueueCheck run_queue_check(const Scenario& sc, double confidence) {
  if (sc.services.size() != 1 || sc.services[0].kind != ServiceKind::episodic || sc.staffing.rules.size() != 1 ||
      sc.staffing.rules[0].rule != StaffingRuleKind::fixed)
    throw InputError(SourcePos{sc.source_file, 0, 0}, "services",
                     "the queue check needs one episodic service served by one role with a fixed staffing rule");
  QueueCheck q;
  q.arrivals_per_hour = sc.services[0].rate_per_year / (24.0 * 365.0);
  q.service_minutes = sc.services[0].service_minutes;
  q.servers = static_cast<int>(sc.staffing.rules[0].fixed);
  q.days = sc.run.days;
  q.replicates = sc.run.replicates;
  q.exact = erlang_c(q.arrivals_per_hour, q.service_minutes, q.servers);
  std::vector<double> util;
  for (int r = 0; r < sc.run.replicates; ++r) {
    const RunResult run = run_replicate(sc, r);
    const CitywideService& cs = run.citywide[0];
    q.per_replicate_mean_wait.push_back(cs.mean_wait_min);
    q.per_replicate_p_wait.push_back(cs.p_wait);
    util.push_back(run.citywide_roles[0].utilisation);
    if (r == 0) {
      const ServiceTotals& t = run.service_totals[0];
      q.littles_l = t.queue_area_min / t.window_min;
      q.littles_lambda_w = static_cast<double>(t.arrivals_in_window) / t.window_min *
                           (t.arrivals_in_window ? t.wait_all_sum_min / static_cast<double>(t.arrivals_in_window) : 0.0);
    }
  }
  q.mean_wait_min = mean_ci(q.per_replicate_mean_wait, confidence);
  q.p_wait = mean_ci(q.per_replicate_p_wait, confidence);
  q.utilisation = mean_ci(util, confidence);
  return q;
}

}  // namespace commsim
