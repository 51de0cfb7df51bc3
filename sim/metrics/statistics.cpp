#include "sim/metrics/statistics.hpp"

#include <cmath>

namespace commsim {

ErlangC erlang_c(double lambda_per_hour, double service_minutes, int c) {
  ErlangC out;
  const double lambda = lambda_per_hour / 60.0;  // per minute
  const double a = lambda * service_minutes;      // offered load (Erlangs)
  out.utilisation = a / c;
  if (c <= 0 || out.utilisation >= 1.0) return out;
  out.stable = true;
  // Erlang B by the stable recursion, then C = B / (1 - rho (1 - B)).
  double b = 1.0;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  out.p_wait = b / (1.0 - out.utilisation * (1.0 - b));
  out.mean_wait_min = out.p_wait * service_minutes / (c - a);
  out.mean_queue = lambda * out.mean_wait_min;
  return out;
}

double student_t(double confidence, int df) {
  static const double t95[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                               2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  static const double t99[] = {63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169,
                               3.106, 3.055, 3.012, 2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845,
                               2.831, 2.819, 2.807, 2.797, 2.787, 2.779, 2.771, 2.763, 2.756, 2.750};
  const bool high = confidence > 0.97;
  if (df < 1) return 0.0;
  if (df <= 30) return high ? t99[df - 1] : t95[df - 1];
  // Large df: normal quantile with the first Cornish-Fisher correction.
  const double z = high ? 2.5758 : 1.95996;
  return z + (z * z * z + z) / (4.0 * df);
}

MeanCI mean_ci(const std::vector<double>& v, double confidence) {
  MeanCI out;
  out.n = static_cast<int>(v.size());
  if (v.empty()) return out;
  double s = 0;
  for (double x : v) s += x;
  out.mean = s / out.n;
  if (out.n < 2) return out;
  double ss = 0;
  for (double x : v) ss += (x - out.mean) * (x - out.mean);
  out.sd = std::sqrt(ss / (out.n - 1));
  out.half_width = student_t(confidence, out.n - 1) * out.sd / std::sqrt(static_cast<double>(out.n));
  return out;
}

}  // namespace commsim
