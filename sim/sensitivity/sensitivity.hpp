// Global sensitivity analysis (issue 17): the designs and their estimators as pure functions of
// unit-hypercube points and model outputs, with no I/O and no engine. A caller (the study runner,
// or `commsim sensitivity --test-function`) takes the design's points in run order, maps each
// coordinate to its parameter's range (map_unit), evaluates the model at every point, and hands the
// outputs back in the same order; the estimators turn them into indices with bootstrap confidence
// intervals. docs/sensitivity.md gives the formulas and how to read the numbers.
//
//  - Morris (1991) elementary effects: r trajectories of k+1 points on a p-level grid, one parameter
//    moving by Delta = p / (2 (p - 1)) per step; optionally Campolongo et al. (2007)'s selection of
//    the r most spread-out trajectories from a larger set of candidates. Indices mu, mu* and sigma.
//  - Saltelli (2010) scheme: N base samples from an Owen-scrambled Sobol sequence (Boost.Random,
//    dimension 2k: matrix A from the first k coordinates, B from the last k) and the matrices AB_i
//    (A with column i from B): N (k + 2) runs. First-order indices by Saltelli 2010, total indices
//    by Jansen 1999, percentile bootstrap intervals from resampling the N base rows.
//  - Noise versus parameters: with R replicates per design point (common random numbers: replicate
//    r uses the same streams at every point, or at every point of a group), a two-way analysis of
//    variance splits the variance of an output into the part the parameters explain and the
//    stochastic part, and gives the level below which an index cannot be told from noise.
//  - The analytic test functions Ishigami and Sobol-G, with their indices computed from the formulas.
//
// Every random choice (Morris base points, orders and directions; the Sobol scrambling; the
// bootstrap resamples) comes from the counter-based streams of sim/core/random.hpp keyed by the
// caller's seed, so a design and its indices are bit-identical for any thread count.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace commsim {

// The `sub` field of the streams with Purpose::study_design, one per random use of this module.
enum class DesignStream : uint32_t {
  morris_trajectory = 1,  // entity = candidate trajectory: base levels, directions, order of moves
  morris_bootstrap = 2,   // entity = bootstrap resample: trajectories drawn
  sobol_scramble = 3,     // entity = the bits above the scrambled one; replicate = its depth; sub |= dimension << 4
  sobol_bootstrap = 4,    // entity = bootstrap resample: base rows drawn
  latin_hypercube = 5,    // entity = dimension: order of the strata, place within each (uncertainty.hpp)
  driver_permutation = 6, // entity = permutation: a random order of a finding's draws (findings.hpp)
};

// The q-quantile of `values` (linear interpolation between order statistics; non-finite values
// dropped; NaN when none is left).
double sample_quantile(std::vector<double> values, double q);

// ---------------------------------------------------------------- parameter distributions

// How a parameter's value is spread over its range. The calibration registry gives each parameter one;
// study files without one give a range, which is uniform.
struct ParameterDistribution {
  enum class Kind { uniform, log_uniform, triangular, truncated_normal };
  Kind kind = Kind::uniform;
  double low = 0, high = 1;  // the range; for the normal, where it is truncated
  double mode = 0;           // triangular: the most likely value, low <= mode <= high
  double mean = 0, sd = 1;   // truncated normal: mean and sd of the normal before truncation
};

// "" when the distribution is usable, else what is wrong ("low must be below high", ...).
std::string distribution_problem(const ParameterDistribution& d);

// The value at quantile u in [0, 1] (inverse CDF): u = 0 gives low, u = 1 gives high. Uniform and
// log-uniform are linear in u (and in log u); the truncated normal inverts Phi between its bounds.
double map_unit(double u, const ParameterDistribution& d);

// ---------------------------------------------------------------- design checks

// What is wrong with a design, for the caller to report with its own file:line (key is the design's
// option name: "parameters", "trajectories", "levels", "candidates", "samples").
struct DesignProblem {
  std::string key;
  std::string message;
};
std::optional<DesignProblem> morris_design_problem(int parameters, int trajectories, int levels, int candidates = 0);
std::optional<DesignProblem> sobol_design_problem(int parameters, long long base_samples);
std::optional<DesignProblem> bootstrap_problem(int resamples, double confidence);

// The largest design: 4,194,304 runs (far more than a study of the model can run) and 2^26 coordinates
// (512 MiB of doubles, plus one small vector per run).
constexpr long long kMaxDesignRuns = 1LL << 22;
constexpr long long kMaxDesignCoordinates = 1LL << 26;
// The most parameters: Boost.Random's Sobol table has 3667 dimensions and a design needs 2k.
constexpr int kMaxSobolParameters = 1833;

// ---------------------------------------------------------------- bootstrap and intervals

struct BootstrapOptions {
  int resamples = 1000;      // B
  double confidence = 0.95;  // two-sided percentile interval
  uint64_t seed = 1;         // keys the resampling streams
};

struct Interval {
  double lo = 0, hi = 0;
};

// ---------------------------------------------------------------- Morris elementary effects

struct MorrisOptions {
  int trajectories = 20;  // r
  int levels = 4;         // p, even: every level is then equally likely
  int candidates = 0;     // Campolongo's selection: the r most spread out of this many (0 = none)
  uint64_t seed = 1;
};

struct MorrisDesign {
  int parameters = 0, trajectories = 0, levels = 0;
  double delta = 0;  // the step, p / (2 (p - 1)) in unit-hypercube units
  // Run order: point m (0..k) of trajectory t is points[t * (k + 1) + m]; each coordinate in [0, 1].
  std::vector<std::vector<double>> points;
  // moved[t * k + m]: the parameter whose value differs between points m and m + 1 of trajectory t.
  std::vector<int> moved;
  size_t runs() const { return points.size(); }
};

MorrisDesign morris_design(int parameters, const MorrisOptions& options);

// Per parameter, from its r elementary effects EE = (f(after) - f(before)) / (after_i - before_i).
struct MorrisIndex {
  double mu = 0;       // mean EE: its sign says the direction, effects of both signs cancel in it
  double mu_star = 0;  // mean |EE| (Campolongo 2007): the overall influence
  double sigma = 0;    // standard deviation of EE (divisor r - 1): non-linearity or interactions
  Interval mu_star_ci;  // percentile bootstrap over trajectories
};

// outputs: one value per run, in the design's run order (outputs.size() == design.runs()).
std::vector<MorrisIndex> morris_indices(const MorrisDesign& design, std::span<const double> outputs,
                                        const BootstrapOptions& bootstrap);

// ---------------------------------------------------------------- Saltelli scheme (Sobol indices)

struct SaltelliDesign {
  int parameters = 0;    // k
  int base_samples = 0;  // N, a power of two
  // Run order, grouped by base sample j (the runs a base sample shares its random streams over):
  // A_j, B_j, AB_j^(1), ..., AB_j^(k). Every coordinate in (0, 1).
  std::vector<std::vector<double>> points;
  size_t runs() const { return points.size(); }
  static size_t run_a(int j, int k) { return static_cast<size_t>(j) * static_cast<size_t>(k + 2); }
  static size_t run_b(int j, int k) { return run_a(j, k) + 1; }
  static size_t run_ab(int j, int i, int k) { return run_a(j, k) + 2 + static_cast<size_t>(i); }
  static int base_sample_of(size_t run, int k) { return static_cast<int>(run / static_cast<size_t>(k + 2)); }
};

// The points of the first N points of the 2k-dimensional Sobol sequence (the origin included),
// each coordinate Owen-scrambled (nested uniform scrambling) with random bits from `seed`. N a power of two.
SaltelliDesign sobol_design(int parameters, int base_samples, uint64_t seed);

struct SobolIndex {
  double first = 0, total = 0;  // S_i and S_Ti (NaN when the output does not vary)
  Interval first_ci, total_ci;
};
struct SobolResult {
  double mean = 0, variance = 0;  // of the output over the A and B runs (the V of the indices)
  std::vector<SobolIndex> indices;  // x1 .. xk
};

// outputs: one value per run in the design's run order (size N (k + 2)).
SobolResult sobol_indices(std::span<const double> outputs, int parameters, int base_samples,
                          const BootstrapOptions& bootstrap);

// ---------------------------------------------------------------- noise versus parameters

// Two-way analysis of variance of outputs y[p][r] (design point p, replicate r): y = m + a_p + c_r + e_pr,
// a_p the effect of the parameters, c_r the noise every point shares through common random numbers,
// e_pr the noise specific to the point. Variances are per single run.
struct NoiseSplit {
  int points = 0, replicates = 0;
  double parameter_variance = 0;     // var(a_p): what the parameters explain
  double common_noise_variance = 0;  // var(c_r): shared by all points (of a group); cancels out of differences
  double point_noise_variance = 0;   // var(e_pr): differs between points; an index can take it for an effect
  double noise_variance = 0;         // common + point: the noise one run carries
  double stochastic_share = 0;       // noise / (parameter + noise): the share of one run's variance that is noise
  // The noise level of an index computed from the replicate means: the total index of an input whose only
  // effect is to re-draw the point-specific noise, (point noise / R) / (parameter + point noise / R)
  // (with groups, the common noise of other groups adds to the denominator: noise_split with groups).
  double index_noise_level = 0;
};

// outputs in run order point-major: y[p][r] = outputs[p * replicates + r]; points >= 2, replicates >= 2.
NoiseSplit noise_split(std::span<const double> outputs, int points, int replicates);

// The same when the common random numbers hold only within groups of points, each group with seeds of
// its own (a study's Morris trajectory, or a Sobol base sample): y = m + a_p + c_{g(p) r} + e_pr, the
// two-way analysis within each group, pooled. The common noise then differs between groups and stays
// in the variance of the point means (the V of the Sobol indices), so the noise level of an index is
// (v_e / R) / (v_a + v_e / R + kappa v_c / R), kappa = (P - sum n_g^2 / P) / (P - 1) the share of point
// pairs in different groups. groups[p]: any integer per point; one group = the function above. Needs
// a group of two or more points.
NoiseSplit noise_split(std::span<const double> outputs, int points, int replicates, std::span<const int> groups);

// The replicate means, one per point (what the index estimators take when there are replicates).
std::vector<double> replicate_means(std::span<const double> outputs, int points, int replicates);

// True when an index cannot be told from noise: its interval reaches down to the noise level.
bool below_noise(const Interval& ci, double noise_level);

// The Morris mu* an input gets whose only effect is to re-draw the point-specific noise (normal noise
// assumed): E|e1 - e2| / Delta with e1 - e2 ~ N(0, 2 point_noise / R), i.e. sqrt(4 v / (pi R)) / Delta.
double morris_noise_mu_star(const NoiseSplit& noise, double delta);

// ---------------------------------------------------------------- analytic test functions

struct TestFunction {
  std::string name;
  std::vector<ParameterDistribution> inputs;      // x1 .. xk
  std::function<double(std::span<const double>)> evaluate;  // at values on the inputs' scale
  std::vector<double> first, total;               // analytic S_i and S_Ti, from the formulas
};

// Ishigami and Homma (1990): sin x1 + a sin^2 x2 + b x3^4 sin x1, x_i ~ U(-pi, pi).
TestFunction ishigami(double a = 7.0, double b = 0.1);
// Sobol' G: prod_i (|4 x_i - 2| + a_i) / (1 + a_i), x_i ~ U(0, 1); a_i = 0 most influential.
TestFunction sobol_g(const std::vector<double>& a = {0, 1, 4.5, 9, 99, 99, 99, 99});

}  // namespace commsim
