// Sensitivity designs in studies (issue 17, docs/sensitivity.md): what a `design: morris` or
// `design: sobol` study computes once its runs are done. Each outcome (a headline result per
// service, or a citywide one) is taken from every run; the replicates of a design point are
// averaged; the estimators of sensitivity.hpp turn the point means into indices with bootstrap
// intervals; with two or more replicates the outcome's variance is split into its parameter and
// stochastic parts and every index whose interval reaches down to the noise level is flagged. The
// results go to the study's HDF5 file under /sensitivity as result tables (sim/metrics/table.hpp),
// so docs/output-format.md is generated from the same tables; the CLI prints and --summary-json
// carries them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/metrics/result_schema.hpp"
#include "sim/sensitivity/sensitivity.hpp"
#include "sim/core/json.hpp"
#include "sim/study/study.hpp"

namespace commsim {

class Hdf5Output;  // sim/io/hdf5_output.hpp (private to the study module's sources)

// One entry of the outcomes axis: an outcome of one service, or a citywide one.
struct SensitivityOutcome {
  std::string metric;   // a name of sensitivity_outcome_names()
  std::string service;  // "" for a citywide outcome
  std::string unit;     // of the outcome, from the results schema
  std::string name() const { return service.empty() ? metric : metric + ":" + service; }
};

// The study's outcomes in the order of the outcomes axis: each outcome name in the study's order,
// per service in the scenario's service order.
std::vector<SensitivityOutcome> sensitivity_outcomes(const StudyPlan& plan);
// The same for outcome names of sensitivity_outcome_names() and a scenario's services.
std::vector<SensitivityOutcome> sensitivity_outcomes(const std::vector<std::string>& metrics, const Scenario& scenario);

// A run's value of every outcome, in that order.
std::vector<double> run_outcome_values(const RunResult& run, const std::vector<SensitivityOutcome>& outcomes);
// The same, read back from a run group of a study file being resumed (the values the writer stored;
// `services` in the runs' service order, the scenario's).
std::vector<double> stored_outcome_values(const Hdf5Output& out, const std::string& group,
                                          const std::vector<SensitivityOutcome>& outcomes,
                                          const std::vector<std::string>& services);

// ---------------------------------------------------------------- the /sensitivity tables

// Attributes of /sensitivity: the design.
struct SensitivityFacts {
  std::string method;  // morris | sobol
  int64_t parameters = 0, points = 0, replicates = 1;
  int64_t trajectories = 0, levels = 0, candidates = 0;  // morris
  double delta = 0;                                      // morris: the step in unit-range units
  int64_t base_samples = 0;                              // sobol
  uint64_t seed = 0;
  int64_t bootstrap = 0;
  double confidence = 0.95;
  bool noise_split = false;  // replicates >= 2: the noise columns are filled and indices flagged
};
// /sensitivity/parameters (parameters): each parameter's range.
struct SensitivityParameterRow {
  double low = 0, high = 0;
  bool log_scale = false, integer = false;
  bool lever = false;                  // a policy lever (reported apart from the uncertain parameters)
  double registry_low = 0, registry_high = 0;  // the registry's range (NaN: none)
  std::string range_origin;            // registry | narrowed: REASON | ... (StudyAxis::range_origin)
};
// /sensitivity/design (variants): where each design point lies.
struct SensitivityPointRow {
  int64_t group = 0;               // the trajectory / base sample whose run seed it shares
  std::vector<double> unit_point;  // (parameters): the point in [0, 1]^k
};
// /sensitivity/outcomes (outcomes): the outcome and the split of its variance.
struct SensitivityOutcomeRow {
  std::string metric, service, unit;
  double mean = 0, variance = 0;
  double parameter_variance = 0, common_noise_variance = 0, point_noise_variance = 0, stochastic_share = 0;
  double index_noise_level = 0;    // sobol: eta
  double mu_star_noise_level = 0;  // morris: the mu* of a noise-only input
};
// /sensitivity/morris (outcomes, parameters).
struct MorrisIndexRow {
  double mu = 0, mu_star = 0, mu_star_lo = 0, mu_star_hi = 0, sigma = 0;
  bool below_noise = false;
};
// /sensitivity/sobol (outcomes, parameters).
struct SobolIndexRow {
  double first = 0, first_lo = 0, first_hi = 0, total = 0, total_lo = 0, total_hi = 0;
  bool first_below_noise = false, total_below_noise = false;
};

const Table<SensitivityFacts>& sensitivity_facts_table();
const Table<SensitivityParameterRow>& sensitivity_parameter_table();
const Table<SensitivityPointRow>& sensitivity_design_table();
const Table<SensitivityOutcomeRow>& sensitivity_outcome_table();
const Table<MorrisIndexRow>& morris_index_table();
const Table<SobolIndexRow>& sobol_index_table();

// The /sensitivity axis datasets: parameter_names, outcome_names (as the study's, result_schema.hpp).
const std::vector<AxisDataset>& sensitivity_axis_datasets();

// Every /sensitivity table, in file order: visit(table).
template <class Visit>
void for_each_sensitivity_table(Visit&& visit) {
  visit(sensitivity_facts_table());
  visit(sensitivity_parameter_table());
  visit(sensitivity_design_table());
  visit(sensitivity_outcome_table());
  visit(morris_index_table());
  visit(sobol_index_table());
}

// ---------------------------------------------------------------- results

struct SensitivityResult {
  SensitivityFacts facts;
  std::vector<std::string> parameters;          // the axis keys
  std::vector<SensitivityParameterRow> ranges;  // per parameter
  std::vector<SensitivityPointRow> points;      // per design point (variant)
  std::vector<SensitivityOutcomeRow> outcomes;  // per outcome
  std::vector<std::string> outcome_names;       // SensitivityOutcome::name()
  std::vector<MorrisIndexRow> morris;           // [outcome * parameters + parameter] (morris)
  std::vector<SobolIndexRow> sobol;             // [outcome * parameters + parameter] (sobol)
};

// The indices of every outcome from the runs' outcome values (run_values[run], runs in study order:
// point-major, replicates within a point).
SensitivityResult compute_sensitivity(const StudyPlan& plan, const std::vector<SensitivityOutcome>& outcomes,
                                      const std::vector<std::vector<double>>& run_values);

void write_sensitivity(Hdf5Output& out, const SensitivityResult& result);

// The indices as text (commsim study's table) and as a JSON object (--summary-json's "sensitivity").
std::string sensitivity_text(const SensitivityResult& result);
Json sensitivity_json(const SensitivityResult& result);  // the `sensitivity` block of --summary-json

}  // namespace commsim
