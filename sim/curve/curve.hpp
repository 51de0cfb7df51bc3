// Response curves and headroom (issue 14, docs/curves.md): the two questions a planner asks of
// one lever at a time. Both are studies run by the study runner (sim/study/runner.hpp: one HDF5
// file, common random numbers, MPI, crash-safe resume), made from a command line instead of a
// study file; the study text they stand for is stored in the file like a study file's.
//
//  - A response curve sweeps one scenario key over a range, paired: replicate r of every point
//    uses the same random streams. Every outcome of the results schema that --summary-json shows
//    (run figures, services.<s>.<field>, roles.<r>.<field>) is summarised per point with its
//    confidence interval and per step between adjacent points as a paired difference; a marginal
//    analysis per step gives what the added workers buy (unmet hours avoided, coverage points)
//    per worker, its ratio to the previous step (the "bend": where another worker buys less than
//    half of what the previous one did) and the cost of a coverage point and of an unmet hour
//    avoided.
//  - Headroom is the largest uniform demand multiplier (run.demand_multiplier) at which every
//    service still meets its coverage target: bracketed by doubling or halving from 1, then
//    bisected to a tolerance, one round of replicates per multiplier (an adaptive study: the
//    runner asks for the next multiplier when a round is done).
//
// The summaries are pure functions of the runs' values (tested on their own); the writers put
// them into the study file as result tables (sim/metrics/table.hpp), which also generate their
// part of docs/output-format.md.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/metrics/statistics.hpp"
#include "sim/metrics/table.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/runner.hpp"
#include "sim/study/study.hpp"
#include "sim/study/summary.hpp"

namespace commsim {

class Hdf5Output;

// ---------------------------------------------------------------- response curves

struct CurveRequest {
  std::string scenario;                // scenario file
  std::vector<std::string> overrides;  // --set key.path=value, in order
  std::string key;                     // the scenario key swept
  double from = 0, to = 0, step = 0;   // values from..to (to included when on a step)
  int replicates = 5;
  double confidence = 0.95;
};

// The most points a curve may have.
inline constexpr int kMaxCurvePoints = 1000;

// The curve's study (a grid on one axis): the key and range are checked first and a mistake is an
// InputError on the command line naming the option (--key, --from, --to, --step, --replicates).
StudyPlan plan_curve(const CurveRequest& request);

// One outcome of a curve: its name as --summary-json writes it (cost.total_yuan,
// services.<s>.coverage, roles.<r>.staff), unit and meaning. After the outcomes of the results
// schema come the citywide figures the marginal analysis uses (kCurveStaff, ...).
struct CurveOutcome {
  std::string name, unit, description;
};
inline constexpr const char* kCurveStaff = "citywide.staff";
inline constexpr const char* kCurveCoverage = "citywide.coverage";
inline constexpr const char* kCurveUnmetHours = "citywide.unmet_hours_per_year";
inline constexpr const char* kCurveAnnualCost = "cost.annual_yuan";

std::vector<CurveOutcome> curve_outcomes(const Scenario& scenario);
// A run's value of every outcome, in curve_outcomes order: from the result, or read back from a
// run group of a study file being written (the same numbers: tested).
std::vector<double> curve_outcome_values(const Scenario& scenario, const RunResult& run);
std::vector<double> curve_outcome_values(const Scenario& scenario, const Hdf5Output& out, const std::string& group);

// Between adjacent points s and s + 1: what the step buys. Differences are paired per replicate
// (point s + 1 minus point s); "per worker" divides by the mean number of workers added.
struct CurveMarginal {
  double from_value = 0, to_value = 0;
  double staff_added = 0;                       // mean over replicates of the added staff, citywide
  MeanCI unmet_hours_avoided;                   // per year
  MeanCI coverage_points;                       // 100 x the change of citywide coverage
  MeanCI cost_added_yuan;                       // per year: pay + operating funds + facility capital
  double unmet_hours_avoided_per_worker = 0;    // NaN when no staff was added
  double coverage_points_per_worker = 0;
  double ratio_to_previous = 0;                 // unmet hours avoided per worker / the previous step's (NaN: undefined)
  bool bend = false;                            // the first step whose ratio is below kCurveBendRatio
  double cost_per_coverage_point_yuan = 0;      // cost added / coverage points (NaN when no change)
  double cost_per_unmet_hour_avoided_yuan = 0;  // cost added / unmet hours avoided
};
inline constexpr double kCurveBendRatio = 0.5;

struct CurveSummary {
  std::string key;
  std::vector<double> points;                     // the key's values
  int replicates = 0;
  double confidence = 0.95;
  std::vector<CurveOutcome> outcomes;
  std::vector<std::vector<MeanCI>> value;           // [outcome][point]: mean over replicates
  std::vector<std::vector<PairedDifference>> step;  // [outcome][step]: point s + 1 - point s, paired
  std::vector<CurveMarginal> marginal;              // [step]
  int bend_step = -1;                               // the first step with bend, -1 when none
  size_t outcome(const std::string& name) const;   // index of a named outcome (logic_error if absent)
};

// values[point][replicate][outcome] (curve_outcome_values); the points' values in order.
CurveSummary summarize_curve(const std::string& key, const std::vector<double>& points,
                             const std::vector<CurveOutcome>& outcomes,
                             const std::vector<std::vector<std::vector<double>>>& values, double confidence);

// Reads every run of a curve study from the open file and summarises it (the runner's
// finish_tables), then writes the /curve tables.
CurveSummary summarize_curve_file(const Hdf5Output& out, const StudyPlan& plan, double confidence);
void write_curve(Hdf5Output& out, const CurveSummary& summary);

// plan_curve, then the runner with the /curve tables as its finish_tables. `summary` is filled on
// the writing rank only (outcome.writer).
struct CurveRun {
  StudyOutcome outcome;
  CurveSummary summary;
};
CurveRun run_curve(const CurveRequest& request, StudyRunOptions options);

// ---------------------------------------------------------------- headroom

struct HeadroomRequest {
  std::string scenario;
  std::vector<std::string> overrides;
  double target = -1;        // < 0: the scenario's run.coverage_target
  double tolerance = 0.01;   // the bracket's final width, in multiplier units
  int replicates = 1;
  double max_multiplier = 64, min_multiplier = 1.0 / 64;  // the search gives up beyond these
};

// The headroom study: variants added round by round, the first run.demand_multiplier=1. Checks
// the options (InputError naming --target, --tolerance, --replicates).
StudyPlan plan_headroom(HeadroomRequest& request);  // fills request.target when < 0

// One multiplier evaluated: each service's coverage over the replicates and whether all meet the
// target; the service with the least margin (coverage - target) and that margin.
struct HeadroomEvaluation {
  double multiplier = 1;
  std::vector<MeanCI> coverage;  // per service
  bool passes = false;
  int worst_service = 0;
  double worst_margin = 0;
};

// From the runs' coverage values (the study's metric "coverage", run order) per variant.
std::vector<HeadroomEvaluation> headroom_evaluations(const StudyPlan& plan, const std::vector<std::vector<double>>& values,
                                                     double target);
// The next multiplier to evaluate, or none when the search is over (deterministic in its input).
std::optional<double> headroom_next(const HeadroomRequest& request, const std::vector<HeadroomEvaluation>& evaluations);

struct HeadroomResult {
  std::string status;          // found | above_max (every multiplier passed) | below_min (every one failed)
  double multiplier = 0;       // the largest passing multiplier evaluated below the smallest failing one (NaN: none)
  double failing_multiplier = 0;  // the smallest failing one (NaN: none)
  std::string fails_first;     // at failing_multiplier: the service furthest below the target ("" when none failed)
  double fails_first_coverage = 0;
  std::string binding;         // at multiplier: the service with the least margin
  double margin = 0;           // its coverage - target
  double target = 0, tolerance = 0;
  int replicates = 0;
  std::vector<std::string> services;
  std::vector<HeadroomEvaluation> evaluations;  // in the order evaluated (= the study's variants)
};
HeadroomResult headroom_result(const HeadroomRequest& request, const std::vector<std::string>& services,
                               const std::vector<HeadroomEvaluation>& evaluations);
void write_headroom(Hdf5Output& out, const HeadroomResult& result);

// plan_headroom, then the runner with the search as its next_variants and the /headroom tables as
// its finish_tables. `result` is filled on the writing rank only.
struct HeadroomRun {
  StudyOutcome outcome;
  HeadroomResult result;
};
HeadroomRun run_headroom(HeadroomRequest request, StudyRunOptions options);

// ---------------------------------------------------------------- tables (docs/output-format.md)

struct CurveFacts {
  std::string key;
  double from = 0, to = 0, step = 0, confidence = 0.95;
  int64_t points = 0, replicates = 0, bend_step = -1;
  double bend_ratio = kCurveBendRatio;
};
struct CurveOutcomeRow {
  std::string name, unit, description;
};
struct CurvePointRow {
  double value = 0;
};
struct CurveValueCell {
  double mean = 0, half_width = 0;
};
struct CurveStepCell {
  double diff_mean = 0, diff_half_width = 0, diff_unpaired_half_width = 0;
};
struct CurveMarginalRow {
  double from_value = 0, to_value = 0, staff_added = 0;
  double unmet_hours_avoided = 0, unmet_hours_avoided_half_width = 0;
  double coverage_points = 0, coverage_points_half_width = 0;
  double cost_added_yuan = 0, cost_added_half_width = 0;
  double unmet_hours_avoided_per_worker = 0, coverage_points_per_worker = 0, ratio_to_previous = 0;
  bool bend = false;
  double cost_per_coverage_point_yuan = 0, cost_per_unmet_hour_avoided_yuan = 0;
};
struct HeadroomFacts {
  std::string status, fails_first, binding;
  double multiplier = 0, failing_multiplier = 0, fails_first_coverage = 0, margin = 0, target = 0, tolerance = 0;
  int64_t replicates = 0, evaluations = 0;
};
struct HeadroomServiceRow {
  std::string name;
};
struct HeadroomEvaluationRow {
  double multiplier = 0;
  bool passes = false;
  std::string worst_service;
  double worst_margin = 0;
};

const Table<CurveFacts>& curve_facts_table();              // attributes of /curve
const Table<CurveOutcomeRow>& curve_outcome_table();       // /curve/outcomes   (outcomes)
const Table<CurvePointRow>& curve_point_table();           // /curve/points     (points)
const Table<CurveValueCell>& curve_value_table();          // /curve/values     (outcomes, points)
const Table<CurveStepCell>& curve_step_table();            // /curve/steps      (outcomes, steps)
const Table<CurveMarginalRow>& curve_marginal_table();     // /curve/marginal   (steps)
const Table<HeadroomFacts>& headroom_facts_table();        // attributes of /headroom
const Table<HeadroomServiceRow>& headroom_service_table(); // /headroom/services (services)
const Table<HeadroomEvaluationRow>& headroom_evaluation_table();  // /headroom/evaluations (evaluations)
const Table<CurveValueCell>& headroom_coverage_table();    // /headroom/coverage (evaluations, services)

// Helpers the two commands share.
namespace curve_detail {
// A number as YAML text that reads back exactly (shortest %.17g form) and prints cleanly.
std::string number_text(double v);
// The lines of a study text for a command's study: name, base, set.
std::string study_head(const std::string& name, const std::string& scenario, const std::vector<std::string>& overrides);
}  // namespace curve_detail

}  // namespace commsim
