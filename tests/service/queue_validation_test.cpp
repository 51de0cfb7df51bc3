// Validation against exact queueing results (MODEL.md §8): the M/M/c scenario through the normal
// loader and engine agrees with the Erlang-C formulas, and the formulas themselves are pinned.
#include <catch2/catch.hpp>
#include <cmath>

#include "sim/engine/engine.hpp"
#include "sim/study/queue_check.hpp"
#include "tests/support.hpp"

using namespace commsim;

TEST_CASE("Erlang C formulas match known values", "[validation][erlang]") {
  // M/M/1: P(wait) = rho, Wq = rho / (mu - lambda).
  const ErlangC m1 = erlang_c(3.0, 10.0, 1);  // lambda 0.05/min, mu 0.1/min
  CHECK(m1.p_wait == Approx(0.5));
  CHECK(m1.mean_wait_min == Approx(10.0));
  // M/M/2 with a = 1: C = 1/3, Wq = C / (2 mu - lambda) = (1/3) / (0.2 - 0.1) min.
  const ErlangC m2 = erlang_c(6.0, 10.0, 2);
  CHECK(m2.p_wait == Approx(1.0 / 3.0));
  CHECK(m2.mean_wait_min == Approx(10.0 / 3.0));
  CHECK_FALSE(erlang_c(12.0, 10.0, 2).stable);
}

TEST_CASE("the engine reproduces Erlang C for M/M/c queues", "[validation][erlang]") {
  struct Setting { double lambda_per_hour, service_min; int servers; };
  // Utilisation 0.5, 0.833, 0.9 and 0.875 (two settings >= 0.85).
  const Setting settings[] = {{3.0, 10.0, 1}, {10.0, 15.0, 3}, {27.0, 10.0, 5}, {14.0, 15.0, 4}};
  for (const auto& st : settings) {
    const Scenario sc = load_scenario(
        test::source_path("scenarios/validation/mmc.yaml"),
        {"services.queue.rate_per_hour=" + std::to_string(st.lambda_per_hour),
         "services.queue.service_minutes=" + std::to_string(st.service_min),
         "staffing.rules.server.fixed=" + std::to_string(st.servers), "run.days=200", "run.replicates=20"});
    const QueueCheck q = run_queue_check(sc, 0.99);
    INFO("lambda " << st.lambda_per_hour << "/h, service " << st.service_min << " min, c " << st.servers
                   << ": simulated Wq " << q.mean_wait_min.mean << " ± " << q.mean_wait_min.half_width
                   << " vs " << q.exact.mean_wait_min << "; P(wait) " << q.p_wait.mean << " ± "
                   << q.p_wait.half_width << " vs " << q.exact.p_wait);
    REQUIRE(q.exact.stable);
    CHECK(std::fabs(q.mean_wait_min.mean - q.exact.mean_wait_min) <= q.mean_wait_min.half_width);
    CHECK(std::fabs(q.p_wait.mean - q.exact.p_wait) <= q.p_wait.half_width);
    CHECK(std::fabs(q.utilisation.mean - q.exact.utilisation) <= std::max(q.utilisation.half_width, 0.01));
    CHECK(q.littles_l == Approx(q.littles_lambda_w).epsilon(1e-6));
  }
}

TEST_CASE("adding a server never lowers coverage or raises waits on the same streams", "[validation][monotonicity]") {
  // Overloaded at 2 servers (rho = 1.75) with a same-day deadline, so coverage has room to move.
  double last_coverage = -1, last_wait = 1e300;
  for (int c = 2; c <= 7; ++c) {
    const Scenario sc = load_scenario(test::source_path("scenarios/validation/mmc.yaml"),
                                      {"services.queue.rate_per_hour=14", "services.queue.deadline_days=0",
                                       "services.queue.expire=true", "staffing.rules.server.fixed=" + std::to_string(c),
                                       "run.replicates=1", "run.days=60"});
    const RunResult r = run_replicate(sc, 0);
    INFO("servers " << c << ": coverage " << r.citywide[0].coverage << ", mean wait " << r.citywide[0].mean_wait_min);
    CHECK(r.citywide[0].coverage >= last_coverage);
    CHECK(r.citywide[0].mean_wait_min <= last_wait + 1e-9);
    CHECK(r.citywide[0].demand == r.citywide[0].served + r.citywide[0].unmet + r.citywide[0].backlog_end);
    last_coverage = r.citywide[0].coverage;
    last_wait = r.citywide[0].mean_wait_min;
  }
  CHECK(last_coverage > 0.99);
}
