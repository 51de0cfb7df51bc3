// Designs and estimators of global sensitivity analysis (sensitivity.hpp; formulas in docs/sensitivity.md).
#include "sim/sensitivity/sensitivity.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>

#include "sim/core/random.hpp"

namespace commsim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

StreamKey design_key(uint64_t seed, DesignStream use, uint64_t entity) {
  StreamKey key;
  key.seed = seed;
  key.entity = entity;
  key.purpose = static_cast<uint32_t>(Purpose::study_design);
  key.sub = static_cast<uint32_t>(use);
  return key;
}

// Draws n indices in [0, n) for bootstrap resample `b`: index q from word q of the resample's stream.
void resample_indices(uint64_t seed, DesignStream use, int b, int n, std::vector<int>& out) {
  const BlockStream stream(design_key(seed, use, static_cast<uint64_t>(b)));
  out.resize(static_cast<size_t>(n));
  for (int q = 0; q < n; q += 4) {
    const BlockStream::Block block = stream.block(static_cast<uint32_t>(q / 4));
    for (int w = 0; w < 4 && q + w < n; ++w)
      out[static_cast<size_t>(q + w)] = static_cast<int>(below(block.w[w], static_cast<uint32_t>(n)));
  }
}

// Two-sided percentile interval of the finite values (linear interpolation between order statistics).
Interval percentile_interval(const std::vector<double>& values, double confidence) {
  const double alpha = (1.0 - confidence) / 2.0;
  return Interval{sample_quantile(values, alpha), sample_quantile(values, 1.0 - alpha)};
}

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(what);
}

void require_no_problem(const std::optional<DesignProblem>& p) {
  if (p) throw std::invalid_argument(p->key + ": " + p->message);
}

bool is_power_of_two(long long n) { return n > 0 && (n & (n - 1)) == 0; }

// "" when a design of `runs` points of `parameters` coordinates fits the limits, else why not.
std::string design_size_problem(long long runs, int parameters) {
  if (runs > kMaxDesignRuns || runs * parameters > kMaxDesignCoordinates)
    return "the design would have " + std::to_string(runs) + " runs of " + std::to_string(parameters) +
           " parameters; at most " + std::to_string(kMaxDesignRuns) + " runs and " +
           std::to_string(kMaxDesignCoordinates) + " values";
  return "";
}

}  // namespace

double sample_quantile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }), values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double h = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (h - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

// ---------------------------------------------------------------- parameter distributions

std::string distribution_problem(const ParameterDistribution& d) {
  using Kind = ParameterDistribution::Kind;
  if (!std::isfinite(d.low) || !std::isfinite(d.high)) return "the range must be finite";
  if (!(d.low < d.high)) return "low must be below high";
  if (d.kind == Kind::log_uniform && !(d.low > 0)) return "a log-uniform range must be positive (low > 0)";
  if (d.kind == Kind::triangular && !(d.low <= d.mode && d.mode <= d.high)) return "the mode must lie in [low, high]";
  if (d.kind == Kind::truncated_normal) {
    if (!std::isfinite(d.mean) || !std::isfinite(d.sd) || !(d.sd > 0)) return "a normal needs a finite mean and sd > 0";
    const boost::math::normal normal(d.mean, d.sd);
    // The range's probability, from the tail it lies in (no cancellation far from the mean).
    const double mass = d.low >= d.mean
                            ? boost::math::cdf(boost::math::complement(normal, d.low)) -
                                  boost::math::cdf(boost::math::complement(normal, d.high))
                            : boost::math::cdf(normal, d.high) - boost::math::cdf(normal, d.low);
    if (!(mass > 0)) return "the range [low, high] has no probability under the normal (too many sd from the mean)";
  }
  return "";
}

double map_unit(double u, const ParameterDistribution& d) {
  using Kind = ParameterDistribution::Kind;
  if (u <= 0) return d.low;
  if (u >= 1) return d.high;
  const double width = d.high - d.low;
  switch (d.kind) {
    case Kind::uniform:
      return d.low + u * width;
    case Kind::log_uniform:
      return std::clamp(std::exp(std::log(d.low) + u * (std::log(d.high) - std::log(d.low))), d.low, d.high);
    case Kind::triangular: {
      const double c = (d.mode - d.low) / width;  // the mode's quantile
      const double x = u < c ? d.low + std::sqrt(u * width * (d.mode - d.low))
                             : d.high - std::sqrt((1 - u) * width * (d.high - d.mode));
      return std::clamp(x, d.low, d.high);
    }
    case Kind::truncated_normal: {
      const boost::math::normal normal(d.mean, d.sd);
      double x = 0;
      if (d.low >= d.mean) {  // the range lies in the upper tail: work with upper-tail probabilities
        const double qa = boost::math::cdf(boost::math::complement(normal, d.low));
        const double qb = boost::math::cdf(boost::math::complement(normal, d.high));
        const double q = qa - u * (qa - qb);
        x = q <= 0 ? d.high : boost::math::quantile(boost::math::complement(normal, q));
      } else {
        const double pa = boost::math::cdf(normal, d.low);
        const double pb = boost::math::cdf(normal, d.high);
        const double p = pa + u * (pb - pa);
        x = p <= 0 ? d.low : p >= 1 ? d.high : boost::math::quantile(normal, p);
      }
      return std::clamp(x, d.low, d.high);
    }
  }
  return d.low;
}

// ---------------------------------------------------------------- design checks

std::optional<DesignProblem> morris_design_problem(int parameters, int trajectories, int levels, int candidates) {
  if (parameters < 1) return DesignProblem{"parameters", "a design needs at least one parameter (k >= 1)"};
  if (trajectories < 2)
    return DesignProblem{"trajectories", "needs at least 2 trajectories (sigma is a standard deviation over them), got " +
                                             std::to_string(trajectories)};
  if (levels < 2 || levels > 1000 || levels % 2 != 0)
    return DesignProblem{"levels", "must be an even number from 2 to 1000 (with p even every level is equally likely), got " +
                                       std::to_string(levels)};
  if (candidates != 0 && (candidates <= trajectories || candidates > 1000))
    return DesignProblem{"candidates", "must be 0 (no selection) or more than the trajectories (" +
                                           std::to_string(trajectories) + ") and at most 1000, got " +
                                           std::to_string(candidates)};
  const long long generated = std::max(trajectories, candidates);
  if (const std::string why = design_size_problem(generated * (parameters + 1LL), parameters); !why.empty())
    return DesignProblem{candidates > trajectories ? "candidates" : "trajectories", why + "; use fewer trajectories"};
  return std::nullopt;
}

std::optional<DesignProblem> sobol_design_problem(int parameters, long long base_samples) {
  if (parameters < 1) return DesignProblem{"parameters", "a design needs at least one parameter (k >= 1)"};
  if (parameters > kMaxSobolParameters)
    return DesignProblem{"parameters", "at most " + std::to_string(kMaxSobolParameters) +
                                           " parameters (Boost's Sobol table has 3667 dimensions, the design needs 2k)"};
  if (!is_power_of_two(base_samples))
    return DesignProblem{"samples", "must be a power of two (1, 2, 4, 8, ...): the first 2^m points of a Sobol sequence "
                                    "are balanced, every coordinate falling once into each of 2^m equal intervals; got " +
                                        std::to_string(base_samples)};
  if (base_samples > kMaxDesignRuns)  // (checked before N (k + 2) can overflow)
    return DesignProblem{"samples", "N = " + std::to_string(base_samples) + " would need more than " +
                                        std::to_string(kMaxDesignRuns) + " runs, the most a design has; use fewer samples"};
  if (const std::string why = design_size_problem(base_samples * (parameters + 2LL), parameters); !why.empty())
    return DesignProblem{"samples", why + "; use fewer samples"};
  return std::nullopt;
}

std::optional<DesignProblem> bootstrap_problem(int resamples, double confidence) {
  if (resamples < 100 || resamples > 1000000)
    return DesignProblem{"bootstrap", "must be from 100 to 1000000 resamples (a percentile interval needs enough in each tail), got " +
                                          std::to_string(resamples)};
  if (!(confidence >= 0.5 && confidence <= 0.999))
    return DesignProblem{"confidence", "must be in [0.5, 0.999]"};
  return std::nullopt;
}

// ---------------------------------------------------------------- Morris

namespace {

// One trajectory (Morris 1991, as B* = J x* + (Delta/2)[(2B - J) D* + J] with a random order P*):
// base level b_i drawn from the lower p/2 levels, direction d_i = +-1, and an order in which the
// parameters move. A parameter starts at b_i (moving up) or at b_i + p/2 (moving down) and ends at the
// other; every one of the p levels is then equally likely at every point.
void morris_trajectory(int k, int levels, uint64_t seed, int candidate, std::vector<std::vector<double>>& points,
                       std::vector<int>& moved) {
  Stream stream(design_key(seed, DesignStream::morris_trajectory, static_cast<uint64_t>(candidate)));
  const uint32_t half = static_cast<uint32_t>(levels / 2);
  const double step = 1.0 / (levels - 1);
  std::vector<uint32_t> start(static_cast<size_t>(k)), end(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) {
    const uint32_t base = below(stream.bits32(), half);
    const bool up = (stream.bits32() & 1u) != 0;
    start[static_cast<size_t>(i)] = up ? base : base + half;
    end[static_cast<size_t>(i)] = up ? base + half : base;
  }
  std::vector<int> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  for (int i = k - 1; i > 0; --i)  // Fisher-Yates
    std::swap(order[static_cast<size_t>(i)], order[below(stream.bits32(), static_cast<uint32_t>(i + 1))]);
  std::vector<uint32_t> level = start;
  auto emit = [&] {
    std::vector<double> x(static_cast<size_t>(k));
    for (int i = 0; i < k; ++i) x[static_cast<size_t>(i)] = level[static_cast<size_t>(i)] * step;
    points.push_back(std::move(x));
  };
  emit();
  for (int m = 0; m < k; ++m) {
    const int i = order[static_cast<size_t>(m)];
    level[static_cast<size_t>(i)] = end[static_cast<size_t>(i)];
    moved.push_back(i);
    emit();
  }
}

// Campolongo et al. (2007): the spread of two trajectories is the sum of the Euclidean distances
// between all pairs of their points; the chosen r maximise the sum of squared spreads over pairs.
// Exhaustive search is combinatorial; this takes the most distant pair, then adds one at a time the
// candidate with the largest sum of squared spreads to those already chosen (ties: lowest index).
std::vector<int> campolongo_selection(const std::vector<std::vector<double>>& points, int k, int candidates, int r) {
  const size_t per = static_cast<size_t>(k + 1), m_count = static_cast<size_t>(candidates);
  std::vector<double> spread(m_count * m_count, 0.0);
  tbb::parallel_for(size_t{0}, m_count, [&](size_t m) {
    for (size_t l = m + 1; l < m_count; ++l) {
      double sum = 0;
      for (size_t a = 0; a < per; ++a)
        for (size_t b = 0; b < per; ++b) {
          const auto& x = points[m * per + a];
          const auto& y = points[l * per + b];
          double d2 = 0;
          for (int z = 0; z < k; ++z) d2 += (x[static_cast<size_t>(z)] - y[static_cast<size_t>(z)]) * (x[static_cast<size_t>(z)] - y[static_cast<size_t>(z)]);
          sum += std::sqrt(d2);
        }
      spread[m * m_count + l] = sum;
    }
  });
  for (size_t m = 0; m < m_count; ++m)
    for (size_t l = m + 1; l < m_count; ++l) spread[l * m_count + m] = spread[m * m_count + l];
  size_t first = 0, second = 1;
  for (size_t m = 0; m < m_count; ++m)
    for (size_t l = m + 1; l < m_count; ++l)
      if (spread[m * m_count + l] > spread[first * m_count + second]) first = m, second = l;
  std::vector<char> chosen(m_count, 0);
  std::vector<double> score(m_count, 0.0);
  std::vector<int> selection;
  auto take = [&](size_t c) {
    chosen[c] = 1;
    selection.push_back(static_cast<int>(c));
    for (size_t m = 0; m < m_count; ++m) score[m] += spread[m * m_count + c] * spread[m * m_count + c];
  };
  take(first);
  take(second);
  while (static_cast<int>(selection.size()) < r) {
    size_t best = m_count;
    for (size_t m = 0; m < m_count; ++m)
      if (!chosen[m] && (best == m_count || score[m] > score[best])) best = m;
    take(best);
  }
  std::sort(selection.begin(), selection.end());
  return selection;
}

}  // namespace

MorrisDesign morris_design(int parameters, const MorrisOptions& options) {
  require_no_problem(morris_design_problem(parameters, options.trajectories, options.levels, options.candidates));
  const int k = parameters;
  MorrisDesign design;
  design.parameters = k;
  design.trajectories = options.trajectories;
  design.levels = options.levels;
  design.delta = options.levels / (2.0 * (options.levels - 1));
  const int generated = options.candidates > 0 ? options.candidates : options.trajectories;
  std::vector<std::vector<double>> points;
  std::vector<int> moved;
  for (int c = 0; c < generated; ++c) morris_trajectory(k, options.levels, options.seed, c, points, moved);
  if (options.candidates == 0) {
    design.points = std::move(points);
    design.moved = std::move(moved);
    return design;
  }
  const size_t per = static_cast<size_t>(k + 1);
  for (int c : campolongo_selection(points, k, generated, options.trajectories)) {
    const size_t t = static_cast<size_t>(c);
    for (size_t a = 0; a < per; ++a) design.points.push_back(points[t * per + a]);
    design.moved.insert(design.moved.end(), moved.begin() + static_cast<std::ptrdiff_t>(t * static_cast<size_t>(k)),
                        moved.begin() + static_cast<std::ptrdiff_t>((t + 1) * static_cast<size_t>(k)));
  }
  return design;
}

std::vector<MorrisIndex> morris_indices(const MorrisDesign& design, std::span<const double> outputs,
                                        const BootstrapOptions& bootstrap) {
  require(design.trajectories >= 2 && design.parameters >= 1 &&
              design.runs() == static_cast<size_t>(design.trajectories) * static_cast<size_t>(design.parameters + 1) &&
              design.moved.size() == static_cast<size_t>(design.trajectories) * static_cast<size_t>(design.parameters),
          "morris_indices: a design made by morris_design");
  require(outputs.size() == design.runs(), "morris_indices: one output per run of the design");
  require_no_problem(bootstrap_problem(bootstrap.resamples, bootstrap.confidence));
  const size_t k = static_cast<size_t>(design.parameters), r = static_cast<size_t>(design.trajectories);
  // effects[i * r + t]: the elementary effect of parameter i in trajectory t.
  std::vector<double> effects(k * r, 0.0);
  for (size_t t = 0; t < r; ++t)
    for (size_t m = 0; m < k; ++m) {
      const size_t i = static_cast<size_t>(design.moved[t * k + m]);
      const size_t before = t * (k + 1) + m;
      const double step = design.points[before + 1][i] - design.points[before][i];
      effects[i * r + t] = (outputs[before + 1] - outputs[before]) / step;
    }
  std::vector<MorrisIndex> result(k);
  for (size_t i = 0; i < k; ++i) {
    const double* ee = &effects[i * r];
    double sum = 0, sum_abs = 0;
    for (size_t t = 0; t < r; ++t) sum += ee[t], sum_abs += std::fabs(ee[t]);
    MorrisIndex& index = result[i];
    index.mu = sum / static_cast<double>(r);
    index.mu_star = sum_abs / static_cast<double>(r);
    double ss = 0;
    for (size_t t = 0; t < r; ++t) ss += (ee[t] - index.mu) * (ee[t] - index.mu);
    index.sigma = std::sqrt(ss / static_cast<double>(r - 1));
  }
  // Bootstrap of mu*: resample trajectories (the independent units of the design).
  const size_t resamples = static_cast<size_t>(bootstrap.resamples);
  std::vector<double> mu_star(k * resamples);  // [i * B + b]
  tbb::parallel_for(size_t{0}, resamples, [&](size_t b) {
    std::vector<int> pick;
    resample_indices(bootstrap.seed, DesignStream::morris_bootstrap, static_cast<int>(b), static_cast<int>(r), pick);
    for (size_t i = 0; i < k; ++i) {
      double sum_abs = 0;
      for (int t : pick) sum_abs += std::fabs(effects[i * r + static_cast<size_t>(t)]);
      mu_star[i * resamples + b] = sum_abs / static_cast<double>(r);
    }
  });
  for (size_t i = 0; i < k; ++i)
    result[i].mu_star_ci = percentile_interval(
        std::vector<double>(mu_star.begin() + static_cast<std::ptrdiff_t>(i * resamples),
                            mu_star.begin() + static_cast<std::ptrdiff_t>((i + 1) * resamples)),
        bootstrap.confidence);
  return result;
}

// ---------------------------------------------------------------- Saltelli scheme

namespace {

// Bits of a Sobol coordinate that are scrambled and kept (a double carries 52 below the leading 1).
constexpr int kScrambledBits = 52;

// Nested uniform scrambling (Owen 1995) of the top 52 bits of a Sobol coordinate (a 64-bit fraction):
// bit b, counted from the top, is flipped or not by a random bit that depends on the dimension, b and
// the bits above b, drawn from the stream keyed by (seed, depth b, those bits, dimension). Points that
// share their first b bits share the flip, so a scrambled net is again a net: the balance of the first
// 2^m points holds. A random digital shift (one XOR per dimension) keeps the balance as well but not
// the randomness of the point set's structure, and on Sobol-G at N = 256 it gave x3's first-order
// index an error 3x that of plain Monte Carlo in every one of 100 seeds (docs/sensitivity.md);
// scrambled nets have a variance never above a constant times Monte Carlo's (Owen 1997).
uint64_t owen_scramble(uint64_t x, uint64_t seed, size_t dimension) {
  uint64_t out = 0;
  for (int depth = 0; depth < kScrambledBits; ++depth) {
    const int bit = 63 - depth;
    const uint64_t above = depth == 0 ? 0 : x >> (bit + 1);  // the `depth` bits above this one
    StreamKey key = design_key(seed, DesignStream::sobol_scramble, above);
    key.replicate = static_cast<uint32_t>(depth);
    key.sub |= static_cast<uint32_t>(dimension) << 4;  // DesignStream values fit in 4 bits
    const uint64_t flip = BlockStream(key).block(0).w[0] & 1u;
    out |= (((x >> bit) & 1u) ^ flip) << bit;
  }
  return out;
}

}  // namespace

SaltelliDesign sobol_design(int parameters, int base_samples, uint64_t seed) {
  require_no_problem(sobol_design_problem(parameters, base_samples));
  const int k = parameters;
  const size_t dims = 2 * static_cast<size_t>(k);
  // Boost's engine skips the sequence's first point, the origin, and starts at point 1; the balance holds
  // for points 0 .. 2^m - 1, so the origin is put back in front and the engine gives the other N - 1.
  boost::random::sobol engine(dims);
  std::vector<uint64_t> raw(dims, 0);
  std::vector<double> u(dims);
  SaltelliDesign design;
  design.parameters = k;
  design.base_samples = base_samples;
  design.points.reserve(static_cast<size_t>(base_samples) * static_cast<size_t>(k + 2));
  for (int j = 0; j < base_samples; ++j) {
    if (j > 0)
      for (size_t d = 0; d < dims; ++d) raw[d] = engine();
    // The top 52 bits plus half a step: a double strictly inside (0, 1) (safe for any inverse CDF).
    for (size_t d = 0; d < dims; ++d)
      u[d] = (static_cast<double>(owen_scramble(raw[d], seed, d) >> (64 - kScrambledBits)) + 0.5) * 0x1.0p-52;
    const std::vector<double> a(u.begin(), u.begin() + k), b(u.begin() + k, u.end());
    design.points.push_back(a);
    design.points.push_back(b);
    for (int i = 0; i < k; ++i) {
      std::vector<double> ab = a;
      ab[static_cast<size_t>(i)] = b[static_cast<size_t>(i)];
      design.points.push_back(std::move(ab));
    }
  }
  return design;
}

namespace {

// The indices of one (re)sample of base rows `rows` (all N rows, or a bootstrap resample). Outputs are
// centred on the pooled mean of the A and B runs before the products: that leaves the estimators
// unbiased (the mean of f_ABi - f_A is zero) and makes their variance independent of the output's offset.
void sobol_estimates(std::span<const double> y, int k, const std::vector<int>* rows, int n, double* first, double* total,
                     double* mean_out, double* variance_out) {
  auto row = [&](int q) { return rows ? (*rows)[static_cast<size_t>(q)] : q; };
  auto at = [&](size_t run) { return y[run]; };
  double sum = 0;
  for (int q = 0; q < n; ++q) {
    const int j = row(q);
    sum += at(SaltelliDesign::run_a(j, k)) + at(SaltelliDesign::run_b(j, k));
  }
  const double mean = sum / (2.0 * n);
  double ss = 0;
  for (int q = 0; q < n; ++q) {
    const int j = row(q);
    const double fa = at(SaltelliDesign::run_a(j, k)) - mean, fb = at(SaltelliDesign::run_b(j, k)) - mean;
    ss += fa * fa + fb * fb;
  }
  const double variance = n > 0 ? ss / (2.0 * n - 1.0) : kNaN;
  for (int i = 0; i < k; ++i) {
    double s_first = 0, s_total = 0;
    for (int q = 0; q < n; ++q) {
      const int j = row(q);
      const double fa = at(SaltelliDesign::run_a(j, k)), fb = at(SaltelliDesign::run_b(j, k)) - mean;
      const double fab = at(SaltelliDesign::run_ab(j, i, k));
      s_first += fb * (fab - fa);            // Saltelli et al. (2010)
      s_total += (fa - fab) * (fa - fab);    // Jansen (1999)
    }
    const bool varies = variance > 0;
    first[i] = varies ? s_first / n / variance : kNaN;
    total[i] = varies ? s_total / (2.0 * n) / variance : kNaN;
  }
  if (mean_out) *mean_out = mean;
  if (variance_out) *variance_out = variance;
}

}  // namespace

SobolResult sobol_indices(std::span<const double> outputs, int parameters, int base_samples,
                          const BootstrapOptions& bootstrap) {
  require_no_problem(sobol_design_problem(parameters, base_samples));
  require_no_problem(bootstrap_problem(bootstrap.resamples, bootstrap.confidence));
  const int k = parameters, n = base_samples;
  require(outputs.size() == static_cast<size_t>(n) * static_cast<size_t>(k + 2),
          "sobol_indices: one output per run of the design, N (k + 2)");
  SobolResult result;
  result.indices.resize(static_cast<size_t>(k));
  std::vector<double> first(static_cast<size_t>(k)), total(static_cast<size_t>(k));
  sobol_estimates(outputs, k, nullptr, n, first.data(), total.data(), &result.mean, &result.variance);
  const size_t resamples = static_cast<size_t>(bootstrap.resamples), kk = static_cast<size_t>(k);
  std::vector<double> boot_first(kk * resamples), boot_total(kk * resamples);  // [b * k + i]
  tbb::parallel_for(size_t{0}, resamples, [&](size_t b) {
    std::vector<int> rows;
    resample_indices(bootstrap.seed, DesignStream::sobol_bootstrap, static_cast<int>(b), n, rows);
    sobol_estimates(outputs, k, &rows, n, &boot_first[b * kk], &boot_total[b * kk], nullptr, nullptr);
  });
  std::vector<double> column(resamples);
  for (size_t i = 0; i < kk; ++i) {
    SobolIndex& index = result.indices[i];
    index.first = first[i];
    index.total = total[i];
    for (size_t b = 0; b < resamples; ++b) column[b] = boot_first[b * kk + i];
    index.first_ci = std::isfinite(first[i]) ? percentile_interval(column, bootstrap.confidence) : Interval{kNaN, kNaN};
    for (size_t b = 0; b < resamples; ++b) column[b] = boot_total[b * kk + i];
    index.total_ci = std::isfinite(total[i]) ? percentile_interval(column, bootstrap.confidence) : Interval{kNaN, kNaN};
  }
  return result;
}

// ---------------------------------------------------------------- noise versus parameters

NoiseSplit noise_split(std::span<const double> outputs, int points, int replicates) {
  return noise_split(outputs, points, replicates, {});
}

NoiseSplit noise_split(std::span<const double> outputs, int points, int replicates, std::span<const int> groups) {
  require(points >= 2 && replicates >= 2, "noise_split: needs at least 2 points and 2 replicates");
  require(outputs.size() == static_cast<size_t>(points) * static_cast<size_t>(replicates),
          "noise_split: one output per (point, replicate)");
  require(groups.empty() || groups.size() == static_cast<size_t>(points), "noise_split: one group per point");
  const size_t p_count = static_cast<size_t>(points), r_count = static_cast<size_t>(replicates);
  auto y = [&](size_t p, size_t r) { return outputs[p * r_count + r]; };
  // Dense group numbers in order of first appearance.
  std::vector<size_t> group(p_count, 0);
  std::map<int, size_t> dense;
  for (size_t p = 0; p < p_count && !groups.empty(); ++p)
    group[p] = dense.emplace(groups[p], dense.size()).first->second;
  const size_t g_count = std::max<size_t>(1, dense.size());
  std::vector<double> point_mean(p_count, 0.0), group_mean(g_count, 0.0), size(g_count, 0.0);
  std::vector<double> cell_mean(g_count * r_count, 0.0);  // [g * R + r]: replicate r's mean over group g
  double grand = 0;
  for (size_t p = 0; p < p_count; ++p) {
    size[group[p]] += 1;
    for (size_t r = 0; r < r_count; ++r) {
      point_mean[p] += y(p, r);
      cell_mean[group[p] * r_count + r] += y(p, r);
      group_mean[group[p]] += y(p, r);
      grand += y(p, r);
    }
  }
  for (auto& m : point_mean) m /= static_cast<double>(r_count);
  for (size_t g = 0; g < g_count; ++g) {
    group_mean[g] /= size[g] * static_cast<double>(r_count);
    for (size_t r = 0; r < r_count; ++r) cell_mean[g * r_count + r] /= size[g];
  }
  grand /= static_cast<double>(p_count * r_count);
  double ss_point = 0, ss_replicate = 0, ss_residual = 0, residual_df = 0, size_squares = 0;
  for (size_t p = 0; p < p_count; ++p) {
    ss_point += (point_mean[p] - grand) * (point_mean[p] - grand);
    for (size_t r = 0; r < r_count; ++r) {
      const double e = y(p, r) - point_mean[p] - cell_mean[group[p] * r_count + r] + group_mean[group[p]];
      ss_residual += e * e;
    }
  }
  for (size_t g = 0; g < g_count; ++g) {
    for (size_t r = 0; r < r_count; ++r) {
      const double d = cell_mean[g * r_count + r] - group_mean[g];
      ss_replicate += size[g] * d * d;
    }
    residual_df += (size[g] - 1) * static_cast<double>(r_count - 1);
    size_squares += size[g] * size[g];
  }
  require(residual_df > 0, "noise_split: needs a group with at least 2 points");
  const double R = static_cast<double>(r_count), P = static_cast<double>(p_count), G = static_cast<double>(g_count);
  NoiseSplit s;
  s.points = points;
  s.replicates = replicates;
  // Expected sums of squares: E[SS_residual] = df v_e; E[SS_replicate] = (R - 1) (G v_e + P v_c); the point
  // means carry v_e / R and their group's mean common noise, of variance v_c / R, which points of different
  // groups do not share: E[SS_point] = (P - 1) (v_a + v_e / R) + kappa (P - 1) v_c / R.
  const double kappa = (P - size_squares / P) / (P - 1);  // 0 for one group, near 1 for many small ones
  s.point_noise_variance = ss_residual / residual_df;
  s.common_noise_variance = std::max(0.0, (ss_replicate / (R - 1) - G * s.point_noise_variance) / P);
  s.parameter_variance =
      std::max(0.0, ss_point / (P - 1) - s.point_noise_variance / R - kappa * s.common_noise_variance / R);
  s.noise_variance = s.common_noise_variance + s.point_noise_variance;
  const double one_run = s.parameter_variance + s.noise_variance;
  s.stochastic_share = one_run > 0 ? s.noise_variance / one_run : 0.0;
  const double of_means = s.parameter_variance + s.point_noise_variance / R + kappa * s.common_noise_variance / R;
  s.index_noise_level = of_means > 0 ? (s.point_noise_variance / R) / of_means : 0.0;
  return s;
}

std::vector<double> replicate_means(std::span<const double> outputs, int points, int replicates) {
  require(points >= 1 && replicates >= 1 && outputs.size() == static_cast<size_t>(points) * static_cast<size_t>(replicates),
          "replicate_means: one output per (point, replicate)");
  std::vector<double> means(static_cast<size_t>(points), 0.0);
  for (size_t p = 0; p < means.size(); ++p) {
    for (size_t r = 0; r < static_cast<size_t>(replicates); ++r) means[p] += outputs[p * static_cast<size_t>(replicates) + r];
    means[p] /= replicates;
  }
  return means;
}

bool below_noise(const Interval& ci, double noise_level) { return !(ci.lo > noise_level); }

double morris_noise_mu_star(const NoiseSplit& noise, double delta) {
  return std::sqrt(4.0 * noise.point_noise_variance / (boost::math::constants::pi<double>() * noise.replicates)) / delta;
}

// ---------------------------------------------------------------- analytic test functions

TestFunction ishigami(double a, double b) {
  const double pi = boost::math::constants::pi<double>();
  const double pi4 = std::pow(pi, 4), pi8 = std::pow(pi, 8);
  TestFunction f;
  f.name = "ishigami";
  f.inputs.assign(3, ParameterDistribution{ParameterDistribution::Kind::uniform, -pi, pi, 0, 0, 1});
  f.evaluate = [a, b](std::span<const double> x) {
    return std::sin(x[0]) + a * std::sin(x[1]) * std::sin(x[1]) + b * std::pow(x[2], 4) * std::sin(x[0]);
  };
  // Partial variances (Ishigami and Homma 1990; Sobol' and Levitan 1999).
  const double v1 = 0.5 * (1 + b * pi4 / 5) * (1 + b * pi4 / 5);
  const double v2 = a * a / 8;
  const double v13 = b * b * pi8 * (1.0 / 18 - 1.0 / 50);  // x1 with x3; x3 alone has none
  const double v = v1 + v2 + v13;
  f.first = {v1 / v, v2 / v, 0.0};
  f.total = {(v1 + v13) / v, v2 / v, v13 / v};
  return f;
}

TestFunction sobol_g(const std::vector<double>& a) {
  TestFunction f;
  f.name = "sobol-g";
  f.inputs.assign(a.size(), ParameterDistribution{ParameterDistribution::Kind::uniform, 0, 1, 0, 0, 1});
  f.evaluate = [a](std::span<const double> x) {
    double product = 1;
    for (size_t i = 0; i < a.size(); ++i) product *= (std::fabs(4 * x[i] - 2) + a[i]) / (1 + a[i]);
    return product;
  };
  // Each factor has mean 1 and variance V_i = 1 / (3 (1 + a_i)^2); V = prod (1 + V_i) - 1, and
  // the total of x_i is V_i prod_{j != i} (1 + V_j) / V.
  std::vector<double> vi;
  double product = 1;
  for (double ai : a) {
    vi.push_back(1.0 / (3.0 * (1 + ai) * (1 + ai)));
    product *= 1 + vi.back();
  }
  const double v = product - 1;
  for (size_t i = 0; i < a.size(); ++i) {
    f.first.push_back(vi[i] / v);
    f.total.push_back(vi[i] * (product / (1 + vi[i])) / v);
  }
  return f;
}

}  // namespace commsim
