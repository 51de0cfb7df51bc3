// Uncertainty bands (issue 17, docs/sensitivity.md "Uncertainty bands"): `commsim run SCENARIO
// --uncertainty N`. The parameter registry (sim/calibration/registry.hpp) gives every model
// parameter of the scenario a range and a distribution; N parameter sets are drawn from them (a
// Latin hypercube from the counter-based streams, mapped through each parameter's inverse CDF) and
// run next to the point run (the scenario as given) as one study through the study runner (one HDF5
// file, threads, MPI, crash-safe resume), made from the command line as `commsim curve` makes its
// study. Each headline outcome (per service: coverage, unmet hours, mean wait in working minutes;
// the citywide cost) is reported as the point run's value with the median and the 90 % band (5th
// to 95th percentile) over the samples.
//
// What is sampled: every sampled (not `fixed`), non-lever registry parameter of the scenario.
// Levers (staffing ratios, norms, facilities) are the planner's choice, not an uncertainty: they
// keep the scenario's values, and so does every key given with --set (a way to hold a parameter).
// Every sample runs on the scenario's seed (common random numbers with the point run), so the band
// is the spread the parameters make, not run-to-run noise.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/calibration/registry.hpp"
#include "sim/metrics/table.hpp"
#include "sim/study/runner.hpp"
#include "sim/study/sensitivity_study.hpp"
#include "sim/study/study.hpp"

namespace commsim {

class Hdf5Output;

struct UncertaintyRequest {
  std::string scenario;                // scenario file
  std::vector<std::string> overrides;  // --set key.path=value, in order (these keys are held)
  int samples = 0;                     // N, 2..kMaxUncertaintySamples
};

inline constexpr int kMaxUncertaintySamples = 100000;
// The band: 5th to 95th percentile (a 90 % band), and the median.
inline constexpr double kBandLow = 0.05, kBandHigh = 0.95;

// The headline outcomes, in this order (per service each, cost citywide).
const std::vector<std::string>& uncertainty_outcome_metrics();

// A Latin hypercube of `points` points in [0, 1)^dimensions: each coordinate's range cut into
// `points` equal strata, one point per stratum, the strata in a random order per dimension and the
// point placed at random within its stratum. Every draw from the counter-based stream (seed,
// DesignStream::latin_hypercube, entity = dimension): identical for any thread count.
std::vector<std::vector<double>> latin_hypercube(int points, int dimensions, uint64_t seed);

// The parameters an uncertainty run samples: the registry's sampled, non-lever parameters of
// `scenario`, minus the keys in `held` (keys given with --set).
std::vector<Parameter> uncertainty_parameters(const Scenario& scenario, const std::vector<std::string>& held);

// N parameter sets over the parameters an uncertainty study samples (uncertainty_parameters of
// `base` minus `held`): the Latin hypercube of `seed` mapped through each parameter's inverse CDF.
// `uncertainty` and `findings` draw through this one function. InputError on the command line
// ("--uncertainty") when there is nothing to sample. When the scenario names an accepted set
// (calibration.accepted_file, `commsim calibrate --abc`), its parameters are not drawn from their
// ranges: each sample takes one row of the set, chosen by one extra Latin-hypercube dimension, and
// they come last in `parameters` (a key held by --set keeps its value).
struct ParameterDraws {
  std::vector<Parameter> parameters;
  std::vector<std::vector<double>> values;  // [sample][parameter]
};
ParameterDraws draw_parameters(const Scenario& base, const std::vector<std::string>& held, int samples, uint64_t seed);

// The study: variant 0 "point" (the scenario), then "sample 1" .. "sample N", each with every
// sampled parameter's value; replicates = the scenario's run.replicates, every variant on its seed.
// The design seed is run.seed. InputError on the command line for N out of range ("--uncertainty").
struct UncertaintyPlan {
  StudyPlan study;
  std::vector<Parameter> parameters;
  std::vector<std::vector<double>> values;  // [sample][parameter]
  uint64_t seed = 0;
};
UncertaintyPlan plan_uncertainty(const UncertaintyRequest& request);

// One headline outcome: the point run's value and its spread over the samples.
struct UncertaintyBand {
  std::string metric, service, unit;
  double point = 0, median = 0, p05 = 0, p95 = 0;
  std::string name() const { return service.empty() ? metric : metric + ":" + service; }
};
struct UncertaintySummary {
  int samples = 0, replicates = 0;
  uint64_t seed = 0;
  std::vector<Parameter> parameters;
  std::vector<UncertaintyBand> outcomes;
};

// values[variant][outcome]: the replicate means, variant 0 the point run, then the samples.
UncertaintySummary summarize_uncertainty(const std::vector<SensitivityOutcome>& outcomes,
                                         const std::vector<std::vector<double>>& values);

// Reads the runs of the study from the open file and summarises them (the runner's finish_tables).
UncertaintySummary summarize_uncertainty_file(const Hdf5Output& out, const UncertaintyPlan& plan);
void write_uncertainty(Hdf5Output& out, const UncertaintySummary& summary);

// plan_uncertainty, then the runner with the /uncertainty tables as its finish_tables. `summary` is
// filled on the writing rank only (outcome.writer).
struct UncertaintyRun {
  StudyOutcome outcome;
  UncertaintySummary summary;
};
UncertaintyRun run_uncertainty(const UncertaintyRequest& request, StudyRunOptions options);

// The bands as a table (commsim run's) and as the JSON object --summary-json carries under
// "uncertainty": {"samples", "seed", "replicates", "parameters", "band": [0.05, 0.95],
// "outcomes": [{"name", "service", "unit", "point", "median", "p05", "p95"}]}.
std::string uncertainty_text(const UncertaintySummary& summary);
std::string uncertainty_json(const UncertaintySummary& summary);

// ---------------------------------------------------------------- tables (docs/output-format.md)

struct UncertaintyFacts {
  std::string sampling = "latin_hypercube";
  int64_t samples = 0, replicates = 0, parameters = 0;
  uint64_t seed = 0;
  double band_low = kBandLow, band_high = kBandHigh;
};
struct UncertaintyParameterRow {
  std::string key, unit, distribution;
  double default_value = 0, low = 0, high = 0;
};
struct UncertaintyOutcomeRow {
  std::string metric, service, unit;
  double point = 0, median = 0, p05 = 0, p95 = 0;
};

// The parameters drawn as table rows (/uncertainty/parameters, /findings/parameters).
std::vector<UncertaintyParameterRow> parameter_rows(const std::vector<Parameter>& parameters);

const Table<UncertaintyFacts>& uncertainty_facts_table();              // attributes of /uncertainty
const Table<UncertaintyParameterRow>& uncertainty_parameter_table();   // /uncertainty/parameters (parameters)
const Table<UncertaintyOutcomeRow>& uncertainty_outcome_table();       // /uncertainty/outcomes (outcomes)

}  // namespace commsim
