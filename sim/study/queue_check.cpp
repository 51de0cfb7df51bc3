#include "sim/study/queue_check.hpp"

#include <tbb/parallel_for.h>

#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/engine/thread_cap.hpp"

namespace commsim {

QueueCheck run_queue_check(const Scenario& sc, double confidence, int threads) {
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
  // Replicates are independent runs of one community: they are the parallel unit here. Each
  // writes its own slot, so the result does not depend on the thread count.
  const auto n = static_cast<size_t>(sc.run.replicates);
  std::vector<double> util(n);
  q.per_replicate_mean_wait.assign(n, 0.0);
  q.per_replicate_p_wait.assign(n, 0.0);
  const ThreadCap cap(threads);
  tbb::parallel_for(size_t(0), n, [&](size_t r) {
    const RunResult run = run_replicate(sc, static_cast<int>(r));
    const CitywideService& cs = run.citywide[0];
    q.per_replicate_mean_wait[r] = cs.mean_wait_min;
    q.per_replicate_p_wait[r] = cs.p_wait;
    util[r] = run.citywide_roles[0].utilisation;
    if (r == 0) {
      const ServiceTotals& t = run.service_totals[0];
      q.littles_l = t.queue_area_min / t.window_min;
      q.littles_lambda_w = static_cast<double>(t.arrivals_in_window) / t.window_min *
                           (t.arrivals_in_window ? t.wait_all_sum_min / static_cast<double>(t.arrivals_in_window) : 0.0);
    }
  }, tbb::simple_partitioner{});
  q.mean_wait_min = mean_ci(q.per_replicate_mean_wait, confidence);
  q.p_wait = mean_ci(q.per_replicate_p_wait, confidence);
  q.utilisation = mean_ci(util, confidence);
  return q;
}

}  // namespace commsim
