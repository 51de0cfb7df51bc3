// Wait-time histogram bins and quantiles; daily record sizing (see results.hpp).
#include "sim/metrics/results.hpp"

#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace commsim {

double FineWaitBins::lower(int bin) {
  if (bin <= 0) return 0.0;
  if (bin < kFine) return bin * kFineWidth;
  if (bin < kFine + kMid) return kFineEnd + (bin - kFine) * kMidWidth;
  if (bin < kBins - 1) return kMidEnd + (bin - kFine - kMid) * kCoarseWidth;
  return kCoarseEnd;
}

double CoarseWaitBins::lower(int b) {
  if (b <= 0) return 0.0;
  if (b < 60) return b;
  if (b < 96) return 60 + (b - 60) * 5.0;
  if (b < 136) return 240 + (b - 96) * 30.0;
  if (b < 165) return 1440 + (b - 136) * 1440.0;
  return 43200;
}

template <class Bins, class Count>
double Histogram<Bins, Count>::upper_edge(int bin) {
  if (bin >= kBins - 1) return std::numeric_limits<double>::infinity();
  return lower_edge(bin + 1);
}

template <class Bins, class Count>
double Histogram<Bins, Count>::quantile(double q) const {
  const uint64_t n = total();
  if (n == 0) return 0.0;
  if (!(q > 0.0)) q = 0.0;
  if (q > 1.0) q = 1.0;
  const double target = q * static_cast<double>(n);
  uint64_t below = 0;  // observations in the bins before this one
  for (int b = 0; b < kBins; ++b) {
    const uint64_t c = counts[static_cast<size_t>(b)];
    if (c == 0) continue;
    if (static_cast<double>(below + c) >= target) {
      if (b == kBins - 1) return lower_edge(b);  // no upper edge to interpolate towards
      double frac = (target - static_cast<double>(below)) / static_cast<double>(c);
      if (frac < 0.0) frac = 0.0;
      return lower_edge(b) + frac * (upper_edge(b) - lower_edge(b));
    }
    below += c;
  }
  return lower_edge(kBins - 1);  // not reached: target <= n
}

template struct Histogram<FineWaitBins, uint64_t>;
template struct Histogram<CoarseWaitBins, uint32_t>;

namespace {

// Asks the kernel for transparent huge pages over [p, p + bytes) where it grants them on request
// (Linux, THP "madvise"): a city-year's daily records are about 300 MB, and faulting them in by
// 4 KiB pages cost 1.4 s on the run's one thread (docs/performance.md, issue 27). A hint only.
void advise_huge_pages([[maybe_unused]] void* p, [[maybe_unused]] size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t first = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t last = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
}

// n zeros; a large array gets fresh memory with the huge-page hint; none: the memory is freed.
template <class T>
void zeroed(std::vector<T>& v, size_t n) {
  if (n == 0) {
    std::vector<T>().swap(v);
    return;
  }
  if (n > v.capacity()) {
    std::vector<T>().swap(v);
    v.reserve(n);
    advise_huge_pages(v.data(), n * sizeof(T));
  }
  v.assign(n, T{});
}

}  // namespace

void DailyRecords::resize(int days_, int communities_, int services_, int roles_, bool enabled) {
  days = days_;
  communities = communities_;
  services = services_;
  roles = roles_;
  const size_t ns = enabled ? static_cast<size_t>(communities_) * days_ * services_ : 0;
  const size_t nr = enabled ? static_cast<size_t>(communities_) * days_ * roles_ : 0;
  for (auto* v : {&demand, &served, &served_in_time, &unmet, &backlog}) zeroed(*v, ns);
  for (auto* v : {&wait_mean_min, &wait_p50_min, &wait_p90_min, &wait_max_min}) zeroed(*v, ns);
  for (auto* v : {&available_min, &busy_min, &travel_min, &overhead_min, &overtime_min}) zeroed(*v, nr);
}

namespace {

template <class T>
void append_rows(std::vector<T>& into, std::vector<T>&& part) {
  into.insert(into.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
}

void append_daily(DailyRecords& into, DailyRecords&& part) {
  into.communities += part.communities;
  for (auto [a, b] : {std::pair{&into.demand, &part.demand}, {&into.served, &part.served},
                      {&into.served_in_time, &part.served_in_time}, {&into.unmet, &part.unmet}, {&into.backlog, &part.backlog}})
    append_rows(*a, std::move(*b));
  for (auto [a, b] : {std::pair{&into.wait_mean_min, &part.wait_mean_min}, {&into.wait_p50_min, &part.wait_p50_min},
                      {&into.wait_p90_min, &part.wait_p90_min}, {&into.wait_max_min, &part.wait_max_min},
                      {&into.available_min, &part.available_min}, {&into.busy_min, &part.busy_min},
                      {&into.travel_min, &part.travel_min}, {&into.overhead_min, &part.overhead_min},
                      {&into.overtime_min, &part.overtime_min}})
    append_rows(*a, std::move(*b));
}

}  // namespace

void append_part(RunResult& into, RunResult&& part) {
  append_rows(into.communities, std::move(part.communities));
  append_rows(into.service_totals, std::move(part.service_totals));
  append_rows(into.role_totals, std::move(part.role_totals));
  append_rows(into.household_type_services, std::move(part.household_type_services));
  append_daily(into.daily, std::move(part.daily));
  for (size_t sv = 0; sv < into.wait_hist.size() && sv < part.wait_hist.size(); ++sv) {
    into.wait_hist[sv].merge(part.wait_hist[sv]);
    into.working_wait_hist[sv].merge(part.working_wait_hist[sv]);
  }
  for (size_t y = 0; y < into.years.size() && y < part.years.size(); ++y) {
    into.years[y].residents += part.years[y].residents;
    for (size_t sv = 0; sv < into.years[y].demand.size(); ++sv) into.years[y].demand[sv] += part.years[y].demand[sv];
  }
  into.residents += part.residents;
  into.households += part.households;
}

}  // namespace commsim
