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

// The validation queue's demand (scenarios/validation/mmc.yaml: one household, 10 arrivals an
// hour, 87,600 requests a year): the generation half of the SimPy comparison
// (bench/peers/compare.sh), per request. Replicates cycle so the draws change.
static void BM_DemandValidationQueueYear(benchmark::State& state) {
  static const Scenario sc = load_scenario(std::string(COMMSIM_SOURCE_DIR) + "/scenarios/validation/mmc.yaml");
  const auto services = compile_services(sc);
  const auto city = build_city(sc, 0, services);
  Calendar calendar;
  DemandScratch scratch;
  size_t requests = 0;
  uint32_t replicate = 0;
  for (auto _ : state) {
    DemandContext ctx{sc.run.seed, replicate++ % 10, 0, 0, 365, {}};
    generate_requests(services, city[0].residents, ctx, calendar, scratch);
    requests += calendar.requests.size();
    benchmark::DoNotOptimize(calendar.requests.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(requests));  // items/s = requests/s
  state.counters["ns_per_request"] = benchmark::Counter(static_cast<double>(requests),
                                                        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DemandValidationQueueYear)->Unit(benchmark::kMillisecond);
