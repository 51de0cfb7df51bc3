#include "sim/core/random.hpp"

namespace commsim {

uint32_t Stream::poisson(double mean) {
  if (!(mean > 0.0)) return 0;
  if (mean < 10.0) {
    // Inversion: walk the cdf. Exact; expected mean+1 iterations.
    double p = std::exp(-mean);
    double cdf = p;
    const double u = uniform();
    uint32_t k = 0;
    while (u >= cdf && k < 1000) {
      ++k;
      p *= mean / k;
      cdf += p;
      if (p == 0.0) break;
    }
    return k;
  }
  // PTRS (Hörmann 1993, "The transformed rejection method for generating Poisson random variables").
  const double slam = std::sqrt(mean);
  const double loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = uniform() - 0.5;
    const double v = uniform();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<uint32_t>(k);
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <=
        -mean + k * loglam - std::lgamma(k + 1.0))
      return static_cast<uint32_t>(k);
  }
}

}  // namespace commsim
