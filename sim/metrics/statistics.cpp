#include "sim/metrics/statistics.hpp"

#include <boost/math/distributions/students_t.hpp>

#include <cmath>
#include <string>

#include "sim/core/error.hpp"

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
  if (!(confidence > 0.0 && confidence < 1.0))
    throw RuntimeFailure("internal error: confidence level " + std::to_string(confidence) + " is not in (0, 1)");
  if (df < 1) return 0.0;
  const boost::math::students_t_distribution<double> t(static_cast<double>(df));
  return boost::math::quantile(t, 0.5 + confidence / 2.0);
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
