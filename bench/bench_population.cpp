// Synthetic population generation (generate_households) and the bytes each resident costs in the
// structure-of-arrays state (Residents::bytes()).
#include <benchmark/benchmark.h>

#include "bench/bench_support.hpp"

using namespace commsim;

static void BM_GenerateHouseholds(benchmark::State& state) {
  const Scenario& sc = bench::baseline();
  const PopulationModel model(sc.population);
  const int64_t households = state.range(0);
  const double area_km2 = static_cast<double>(households) / sc.city.density_households_per_km2;
  size_t residents = 0, bytes = 0, households_made = 0;
  for (auto _ : state) {
    Residents res;
    generate_households(model, sc.population, sc.run.seed, 0, 0, households, 0.0, 0.0, area_km2, res,
                        bench::baseline_district_households());
    residents += res.size();
    bytes += res.bytes();
    households_made += res.households();
    benchmark::DoNotOptimize(res.age.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(residents));  // items/s = residents/s
  state.counters["bytes_per_resident"] = static_cast<double>(bytes) / static_cast<double>(residents);
  state.counters["residents_per_household"] = static_cast<double>(residents) / static_cast<double>(households_made);
}
BENCHMARK(BM_GenerateHouseholds)->Arg(3300)->Unit(benchmark::kMillisecond);
