// Wait-time histogram bins and quantiles; daily record sizing (see results.hpp).
#include "sim/metrics/results.hpp"

#include <cmath>
#include <iterator>
#include <limits>
#include <utility>

namespace commsim {

namespace {
constexpr double kFineWidth = 0.25, kFineEnd = 60.0;
constexpr double kMidWidth = 5.0, kMidEnd = 2880.0;
constexpr double kCoarseWidth = 60.0, kCoarseEnd = 86400.0;
}  // namespace

int FineWaitBins::bin(double wait_min) {
  // Negative waits (rounding at the deadline) and NaN go to the first bin.
  if (!(wait_min > 0.0)) return 0;
  if (wait_min < kFineEnd) {
    const int b = static_cast<int>(wait_min / kFineWidth);
    return b < kFine ? b : kFine - 1;
  }
  if (wait_min < kMidEnd) {
    const int b = static_cast<int>((wait_min - kFineEnd) / kMidWidth);
    return kFine + (b < kMid ? b : kMid - 1);
  }
  if (wait_min < kCoarseEnd) {
    const int b = static_cast<int>((wait_min - kMidEnd) / kCoarseWidth);
    return kFine + kMid + (b < kCoarse ? b : kCoarse - 1);
  }
  return kBins - 1;
}

double FineWaitBins::lower(int bin) {
  if (bin <= 0) return 0.0;
  if (bin < kFine) return bin * kFineWidth;
  if (bin < kFine + kMid) return kFineEnd + (bin - kFine) * kMidWidth;
  if (bin < kBins - 1) return kMidEnd + (bin - kFine - kMid) * kCoarseWidth;
  return kCoarseEnd;
}

int CoarseWaitBins::bin(double w) {
  if (!(w > 0.0)) return 0;
  if (w < 60) return static_cast<int>(w);
  if (w < 240) return 60 + static_cast<int>((w - 60) / 5);
  if (w < 1440) return 96 + static_cast<int>((w - 240) / 30);
  if (w < 43200) return 136 + static_cast<int>((w - 1440) / 1440);
  return kBins - 1;
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

void DailyRecords::resize(int days_, int communities_, int services_, int roles_, bool enabled) {
  days = days_;
  communities = communities_;
  services = services_;
  roles = roles_;
  const size_t ns = enabled ? static_cast<size_t>(communities_) * days_ * services_ : 0;
  const size_t nr = enabled ? static_cast<size_t>(communities_) * days_ * roles_ : 0;
  for (auto* v : {&demand, &served, &served_in_time, &unmet, &backlog}) {
    v->assign(ns, 0);
    if (!enabled) v->shrink_to_fit();
  }
  for (auto* v : {&wait_mean_min, &wait_p50_min, &wait_p90_min, &wait_max_min}) {
    v->assign(ns, 0.0f);
    if (!enabled) v->shrink_to_fit();
  }
  for (auto* v : {&available_min, &busy_min, &travel_min, &overhead_min, &overtime_min}) {
    v->assign(nr, 0.0f);
    if (!enabled) v->shrink_to_fit();
  }
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
