// Wait-time histogram bins and quantiles; daily record sizing (see results.hpp).
#include "sim/metrics/results.hpp"

#include <cmath>
#include <limits>

namespace commsim {

namespace {
constexpr double kFineWidth = 0.25, kFineEnd = 60.0;
constexpr double kMidWidth = 5.0, kMidEnd = 2880.0;
constexpr double kCoarseWidth = 60.0, kCoarseEnd = 86400.0;
constexpr int kOverflow = WaitHistogram::kBins - 1;
}  // namespace

int WaitHistogram::bin(double wait_min) {
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
  return kOverflow;
}

double WaitHistogram::lower_edge(int bin) {
  if (bin <= 0) return 0.0;
  if (bin < kFine) return bin * kFineWidth;
  if (bin < kFine + kMid) return kFineEnd + (bin - kFine) * kMidWidth;
  if (bin < kOverflow) return kMidEnd + (bin - kFine - kMid) * kCoarseWidth;
  return kCoarseEnd;
}

double WaitHistogram::upper_edge(int bin) {
  if (bin >= kOverflow) return std::numeric_limits<double>::infinity();
  return lower_edge(bin + 1);
}

void WaitHistogram::merge(const WaitHistogram& other) {
  for (size_t i = 0; i < counts.size() && i < other.counts.size(); ++i) counts[i] += other.counts[i];
}

uint64_t WaitHistogram::total() const {
  uint64_t sum = 0;
  for (uint64_t c : counts) sum += c;
  return sum;
}

double WaitHistogram::quantile(double q) const {
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
      if (b == kOverflow) return lower_edge(b);  // no upper edge to interpolate towards
      double frac = (target - static_cast<double>(below)) / static_cast<double>(c);
      if (frac < 0.0) frac = 0.0;
      return lower_edge(b) + frac * (upper_edge(b) - lower_edge(b));
    }
    below += c;
  }
  return lower_edge(kOverflow);  // not reached: target <= n
}

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

}  // namespace commsim
