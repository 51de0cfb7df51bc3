// Exact queueing results for validation (Erlang C for M/M/c) and the small statistics the
// summaries need (mean, confidence half-widths with Student's t, quantiles from Boost.Math).
#pragma once
#include <vector>

namespace commsim {

struct ErlangC {
  double p_wait = 0;         // probability an arrival waits (Erlang C formula)
  double mean_wait_min = 0;  // mean wait in queue Wq
  double utilisation = 0;    // rho = lambda / (c mu)
  double mean_queue = 0;     // Lq = lambda Wq
  bool stable = false;
};
// arrivals_per_hour = lambda, service_minutes = 1/mu, servers = c.
ErlangC erlang_c(double arrivals_per_hour, double service_minutes, int servers);

// Two-sided Student t quantile t_{(1 + confidence) / 2, df}: the half-width of a confidence interval
// in standard errors, for any confidence in (0, 1) (boost::math::students_t, exact for every df);
// 0 for df < 1. A level outside (0, 1) is an internal error (RuntimeFailure): input levels are
// checked where they are read (e.g. a study's `confidence`).
double student_t(double confidence, int df);

struct MeanCI {
  double mean = 0, half_width = 0, sd = 0;
  int n = 0;
};
// Mean, sample sd and the Student-t half-width of the mean at `confidence` (0 with fewer than 2 values).
MeanCI mean_ci(const std::vector<double>& values, double confidence = 0.95);

}  // namespace commsim
