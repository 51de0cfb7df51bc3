// Helpers shared by the tests: paths into the source tree, small scenarios, hashing of results.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/scenario/load.hpp"

namespace commsim::test {

inline std::string source_path(const std::string& relative) { return std::string(COMMSIM_SOURCE_DIR) + "/" + relative; }

inline Scenario small_city(const std::vector<std::string>& overrides = {}) {
  return load_scenario(source_path("tests/data/good/small-city.yaml"), overrides);
}

// FNV-1a over the bytes of every output column of a run: any difference in any value changes it.
struct Hasher {
  uint64_t h = 1469598103934665603ull;
  void bytes(const void* p, size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) { h ^= c[i]; h *= 1099511628211ull; }
  }
  template <class T> void value(const T& v) { bytes(&v, sizeof v); }
  template <class T> void vec(const std::vector<T>& v) { if (!v.empty()) bytes(v.data(), v.size() * sizeof(T)); }
};

inline uint64_t hash_run(const RunResult& r) {
  Hasher h;
  for (const auto& t : r.service_totals) {
    h.value(t.demand); h.value(t.served); h.value(t.served_in_time); h.value(t.unmet); h.value(t.backlog_end);
    h.value(t.waited); h.value(t.wait_sum_min); h.value(t.wait_max_min); h.value(t.queue_area_min);
    h.value(t.p50_wait_min); h.value(t.p90_wait_min);
  }
  for (const auto& t : r.role_totals) {
    h.value(t.available_min); h.value(t.busy_min); h.value(t.travel_min); h.value(t.overhead_min);
    h.value(t.overtime_min); h.value(t.reserved_min);
  }
  const DailyRecords& d = r.daily;
  h.vec(d.demand); h.vec(d.served); h.vec(d.served_in_time); h.vec(d.unmet); h.vec(d.backlog);
  h.vec(d.wait_mean_min); h.vec(d.wait_p50_min); h.vec(d.wait_p90_min); h.vec(d.wait_max_min);
  h.vec(d.available_min); h.vec(d.busy_min); h.vec(d.travel_min); h.vec(d.overhead_min); h.vec(d.overtime_min);
  for (const auto& c : r.citywide) {
    h.value(c.coverage); h.value(c.mean_wait_min); h.value(c.p50_wait_min); h.value(c.p90_wait_min); h.value(c.gini);
  }
  for (const auto& w : r.wait_hist) h.vec(w.counts);
  for (const auto& c : r.communities) {
    h.value(c.households); h.value(c.residents); h.vec(c.staff); h.value(c.access_share);
  }
  h.value(r.cost_total_yuan);
  return h.h;
}

}  // namespace commsim::test
