// The service queue (sim/service/serve_queue): one realistic community-day, and the event engine
// alone on a synthetic M/M/c stream (events/s per core).
//
// Events are counted as for the SimPy peer (bench/peers/): arrivals + service starts + service
// completions, i.e. arrivals + 2 x served.
#include <benchmark/benchmark.h>

#include <cmath>

#include "bench/bench_support.hpp"
#include "sim/core/random.hpp"

using namespace commsim;

// Every role's queue of a median community for one day (shift planning included), days taken in
// order through a simulated year so the backlog and the weekday mix are realistic.
static void BM_ServeQueueCommunityDay(benchmark::State& state) {
  const Scenario& sc = bench::baseline();
  const auto& services = bench::baseline_services();
  const Community c = bench::typical_community(3300);
  Calendar cal;
  DemandScratch scratch;
  generate_requests(services, c.residents, DemandContext{sc.run.seed, 0, 0, 0, 365, {}}, cal, scratch);
  const size_t n_roles = sc.staffing.roles.size();
  const TravelModel travel{c.facility_x_m, c.facility_y_m, sc.travel.detour_factor, sc.travel.manhattan};
  std::vector<WorkerPool> pools = bench::pools_of(c);
  std::vector<ServiceDay> sdays(services.size());
  std::vector<RoleDay> rdays(n_roles);
  const std::vector<uint8_t> closed(services.size(), 0);
  QueueScratch qs;
  std::vector<WorkingClock> clocks;
  for (const Role& role : sc.staffing.roles) clocks.emplace_back(work_pattern(role, sc.staffing), 365);
  size_t day = 0, arrivals = 0, served = 0;
  for (auto _ : state) {
    if (day == 365) { day = 0; pools = bench::pools_of(c); }
    for (auto& sd : sdays) sd.reset();
    for (size_t r = 0; r < n_roles; ++r) {
      rdays[r] = RoleDay{};
      plan_shifts(sc.staffing.roles[r], ShiftContext{sc.run.seed, 0, 0, static_cast<int>(day), 0, 0, !clocks[r].working_day(static_cast<int>(day))}, pools[r], rdays[r]);
      // Today's requests of the role, straight from the calendar (as simulate_day).
      const bool has = static_cast<int>(r) < cal.roles;
      const Request* a = has ? cal.begin(static_cast<int>(day), static_cast<int>(r)) : nullptr;
      const size_t n = has ? cal.size(static_cast<int>(day), static_cast<int>(r)) : 0;
      serve_queue(services, sc.staffing.roles, travel, c.residents.hh_x_m.data(), c.residents.hh_y_m.data(),
                  c.residents.hh_type.data(), static_cast<int>(day), a, n, closed, clocks[r], pools[r], sdays, rdays[r], qs);
      arrivals += n;
    }
    for (const auto& sd : sdays) served += sd.served;
    ++day;
  }
  state.SetItemsProcessed(static_cast<int64_t>(arrivals));  // items/s = requests/s
  state.counters["requests_per_day"] = static_cast<double>(arrivals) / static_cast<double>(state.iterations());
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(arrivals + 2 * served), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ServeQueueCommunityDay)->Unit(benchmark::kMicrosecond);

namespace {

// A synthetic M/M/c day stream: `servers` workers on 24-hour shifts, Poisson arrivals at
// utilisation 0.9, exponential service of mean 1 minute, open 24 hours, no deadline.
struct MmcStream {
  Service spec;
  std::vector<CompiledService> services;
  std::vector<Role> roles;
  std::vector<std::vector<Request>> days;
  MmcStream(int servers, int n_days) : services(1), roles(1) {
    spec.name = "queue";
    spec.where = Place::facility;
    spec.deadline_days = -1;
    spec.expire = false;
    services[0].spec = &spec;
    roles[0].name = "server";
    const double mean_service = 1.0, lambda_per_min = 0.9 * servers / mean_service;
    Stream st(StreamKey{1, 0, static_cast<uint64_t>(servers), 99, 0});
    days.resize(static_cast<size_t>(n_days));
    double t = 0;
    for (;;) {
      t += st.exponential(1.0 / lambda_per_min);
      const size_t d = static_cast<size_t>(t / 1440.0);
      if (d >= days.size()) break;
      Request q;
      q.arrival_min = t;
      q.duration_min = static_cast<float>(st.exponential(mean_service));
      q.deadline_day = INT32_MAX;
      days[d].push_back(q);
    }
  }
};

}  // namespace

static void BM_ServiceEventEngine(benchmark::State& state) {
  const int servers = static_cast<int>(state.range(0));
  constexpr int kDays = 16;
  const MmcStream m(servers, kDays);
  const TravelModel travel{};
  std::vector<ServiceDay> sdays(1);
  RoleDay rday;
  const std::vector<uint8_t> closed(1, 0);
  const uint8_t household_type[1] = {0};  // every request is household 0
  QueueScratch qs;
  const WorkingClock clock(WorkPattern{0, 1440, 7, {}}, kDays);  // always working: waits in clock minutes
  WorkerPool pool;
  size_t day = kDays, arrivals = 0, served = 0;
  for (auto _ : state) {
    if (day == kDays) {  // restart the stream: empty queue, idle servers
      day = 0;
      pool = WorkerPool{};
      pool.staff = servers;
      pool.free_at.assign(static_cast<size_t>(servers), 0.0);
    }
    pool.shifts.clear();
    for (int w = 0; w < servers; ++w)
      pool.shifts.push_back(Shift{day * 1440.0, day * 1440.0 + 1440.0, 1440.0, static_cast<uint32_t>(w)});
    sdays[0].reset();
    const auto& a = m.days[day];
    serve_queue(m.services, m.roles, travel, nullptr, nullptr, household_type, static_cast<int>(day), a.data(), a.size(), closed, clock,
                pool, sdays, rday, qs);
    arrivals += a.size();
    served += sdays[0].served;
    ++day;
  }
  state.SetItemsProcessed(static_cast<int64_t>(arrivals + 2 * served));  // items/s = events/s
  state.counters["arrivals_per_day"] = static_cast<double>(arrivals) / static_cast<double>(state.iterations());
  state.counters["ns_per_request"] = benchmark::Counter(static_cast<double>(arrivals),
                                                        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ServiceEventEngine)->Arg(1)->Arg(3)->Arg(10)->Arg(30)->Arg(100)->Unit(benchmark::kMicrosecond);
