// Demand generation for one community-year: every episodic and recurring request of a median
// community (3,300 households) for 365 days, bucketed and sorted by day (generate_requests).
#include <benchmark/benchmark.h>

#include "bench/bench_support.hpp"

using namespace commsim;

static void BM_DemandCommunityYear(benchmark::State& state) {
  const Community c = bench::typical_community(state.range(0));
  const auto& services = bench::baseline_services();
  const Scenario& sc = bench::baseline();
  Calendar calendar;
  DemandScratch scratch;
  size_t requests = 0;
  for (auto _ : state) {
    DemandContext ctx{sc.run.seed, 0, 0, 0, 365, {}};
    generate_requests(services, c.residents, ctx, calendar, scratch);
    requests += calendar.requests.size();
    benchmark::DoNotOptimize(calendar.requests.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(requests));  // items/s = requests/s
  state.counters["residents"] = static_cast<double>(c.residents.size());
  state.counters["requests_per_year"] = static_cast<double>(requests) / static_cast<double>(state.iterations());
  state.counters["resident_years/s"] =
      benchmark::Counter(static_cast<double>(c.residents.size()) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DemandCommunityYear)->Arg(3300)->Unit(benchmark::kMillisecond);
