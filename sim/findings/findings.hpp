// Findings with their uncertainty (issue 25, docs/findings.md): `commsim findings SCENARIO
// --uncertainty N`. The headline answers a policy researcher cites, each as a median and a 90 %
// interval over N draws of what is not known, with the parameters that drive it.
//
// The study: N parameter sets drawn by draw_parameters (sim/uncertainty: a Latin hypercube over the
// registry's sampled, non-lever parameters; --set keys held), plus the point (the scenario as
// given). For each of these N + 1 draws, two curves on the same residents and the same random
// streams (common random numbers: every variant runs on the scenario's seed):
//  - the staffing curve: staffing.rules.community_worker.per_10k over its points (6..26 by 2);
//  - the size curve: sizing.households over its points, with sizing.mode: uniform (the same
//    residents redrawn into communities of that many family households; docs/sizing.md).
// One study through the study runner: one HDF5 file, threads, MPI, crash-safe --resume.
//
// The findings of one draw are pure functions of its curves (tested on their own):
//  - efficient_community_workers_per_10k: add community workers while the cost of an unmet
//    service hour avoided stays below the value of an hour of service
//    (findings.value_of_service_hour_yuan, a registry range, drawn like every parameter). On the
//    staffing curve: the point with the largest net value, V x (unmet hours avoided since the first
//    point) - (cost added), then refined between the midpoints of the step into it and the step out
//    of it, where the cost of an hour avoided, c_s = (cost added) / (unmet hours avoided), crosses V
//    (interpolated in log c). Censored at the curve's ends (its first point when no step pays; its
//    last when every step does). The net value, not the first step that costs more than it buys:
//    the first steps can be dear (committee members fill the norm's headcount, support activities
//    take the first hours) and still pay back over the next ones.
//  - bend_community_workers_per_10k: the marginal-return rule of `commsim curve` (the first point
//    after which an added worker avoids less than half the unmet hours the previous step's did),
//    kept beside it for comparison: it has no price in it and moves with noise.
//  - unmet_hours_avoided_14_to_18: unmet service hours a year per 10,000 residents avoided by 18
//    community workers per 10,000 instead of 14.
//  - best_community_size_households: the size that leaves the fewest unmet service hours per
//    resident at the scenario's staffing rules (the service optimum the norms' size bands aim at);
//    refined by a parabola in log(households) through the lowest point and its neighbours.
//  - least_cost_community_size_households: the size with the lowest total cost per resident, the
//    public cost (pay, funds, facility capital) plus the unmet hours valued at the value of an
//    hour; refined the same way. Per-community costs (funds, committees) fall with size, so it
//    lies above the service optimum unless an unmet hour is valued highly.
// Drivers: over the N draws, each parameter's squared rank (Spearman) correlation with the finding:
// the share of the finding's rank variance that parameter alone explains. With many parameters and
// few draws a large share arises by chance: the chance share is the 95th percentile, over 200
// random orders of the draws, of the largest share any parameter reaches; a driver above it is
// marked above_chance (docs/findings.md).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/metrics/table.hpp"
#include "sim/study/runner.hpp"
#include "sim/study/study.hpp"
#include "sim/uncertainty/uncertainty.hpp"

namespace commsim {

class Hdf5Output;

inline constexpr const char* kFindingsStaffingKey = "staffing.rules.community_worker.per_10k";
inline constexpr const char* kFindingsSizeKey = "sizing.households";
inline constexpr int kMaxFindingDrivers = 5;

struct FindingsRequest {
  std::string scenario;
  std::vector<std::string> overrides;  // --set (and run.seed from --seed): these keys are held
  int draws = 0;                       // N, 2..kMaxUncertaintySamples
  int replicates = 0;                  // 0: the scenario's run.replicates
  std::vector<double> staffing_points = {6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26};
  std::vector<double> size_points = {1500, 2500, 3500, 5000, 7000};
};

// The study: draw d (0 = the point, 1..N the samples), then its staffing points, then its size
// points. InputError on the command line ("--uncertainty", "--replicates") for values out of range.
struct FindingsPlan {
  StudyPlan study;
  ParameterDraws draws;  // the N samples (values[d - 1] is draw d)
  uint64_t seed = 0;
  std::vector<double> staffing_points, size_points;
  int draws_total() const { return static_cast<int>(draws.values.size()) + 1; }
  int points_per_draw() const { return static_cast<int>(staffing_points.size() + size_points.size()); }
  int staffing_variant(int draw, size_t point) const { return draw * points_per_draw() + static_cast<int>(point); }
  int size_variant(int draw, size_t point) const {
    return draw * points_per_draw() + static_cast<int>(staffing_points.size() + point);
  }
};
FindingsPlan plan_findings(const FindingsRequest& request);

// One curve of a draw: at each point of its lever, means over replicates, per year.
struct CurveSeries {
  std::vector<double> points, unmet_hours, cost_yuan, staff, residents;
  void add(double point, double unmet, double cost, double staff_in_post, double resident_count) {
    points.push_back(point);
    unmet_hours.push_back(unmet);
    cost_yuan.push_back(cost);
    staff.push_back(staff_in_post);
    residents.push_back(resident_count);
  }
};
// One draw's curves.
struct DrawCurves {
  double value_of_hour = 0;  // yuan an unmet service hour is worth in this draw
  CurveSeries staffing, size;
};

double efficient_staffing(const DrawCurves& curves);
double bend_staffing(const DrawCurves& curves);  // NaN when the response never bends on the curve
// Unmet hours a year per 10,000 residents avoided going from `from` to `to` (both points of the curve).
double unmet_hours_avoided(const DrawCurves& curves, double from, double to);
double best_size(const DrawCurves& curves);        // fewest unmet hours per resident
double least_cost_size(const DrawCurves& curves);  // lowest public cost + valued unmet hours per resident

// The names, units and meanings of the findings, in the order of finding_values.
struct FindingInfo {
  std::string name, unit, description;
};
const std::vector<FindingInfo>& finding_infos();
std::vector<double> finding_values(const DrawCurves& curves);

struct FindingDriver {
  std::string parameter;
  double share = 0;           // squared Spearman correlation with the finding over the draws
  bool above_chance = false;  // share > the chance share
};
struct FindingAttribution {
  std::vector<FindingDriver> drivers;  // at most kMaxFindingDrivers, share > 0, largest first
  double chance_share = 0;             // NaN when fewer than 3 finite draws
};
// values[d][p]: draw d's parameter values; finding[d]: the finding (non-finite draws are left out);
// `seed` keys the permutations (identical for any thread or rank count).
FindingAttribution finding_drivers(const std::vector<Parameter>& parameters, const std::vector<std::vector<double>>& values,
                                   const std::vector<double>& finding, uint64_t seed);

struct Finding {
  FindingInfo info;
  double point = 0, median = 0, p05 = 0, p95 = 0;
  int draws = 0;  // finite values among the samples
  std::vector<FindingDriver> drivers;
  double chance_share = 0;
};
struct FindingsSummary {
  int draws = 0, replicates = 0;
  uint64_t seed = 0;
  std::vector<Parameter> parameters;
  std::vector<double> staffing_points, size_points;
  std::vector<DrawCurves> curves;           // [draw], draw 0 the point
  std::vector<std::vector<double>> values;  // [draw][finding]
  std::vector<Finding> findings;
};
// From the curves of every draw (0 = the point) and the samples' parameter values.
FindingsSummary summarize_findings(const std::vector<DrawCurves>& curves, const ParameterDraws& draws, uint64_t seed);

// Reads the runs from the open study file and summarises them (the runner's finish_tables).
FindingsSummary summarize_findings_file(const Hdf5Output& out, const FindingsPlan& plan);
void write_findings(Hdf5Output& out, const FindingsSummary& summary);

struct FindingsRun {
  StudyOutcome outcome;
  FindingsSummary summary;  // filled on the writing rank only
};
FindingsRun run_findings(const FindingsRequest& request, StudyRunOptions options);

// The findings as a table for the terminal, and as the JSON document `commsim findings --json`
// prints: {"findings": [{"name", "unit", "point", "median", "p5", "p95", "draws", "chance_share",
// "drivers": [{"parameter", "share", "above_chance"}]}], "draws", "seed", "replicates", "band": [0.05, 0.95],
// "staffing_points", "size_points"}.
std::string findings_text(const FindingsSummary& summary);
std::string findings_json(const FindingsSummary& summary);

// ---------------------------------------------------------------- tables (docs/output-format.md)

struct FindingsFacts {
  int64_t draws = 0, replicates = 0, parameters = 0;
  uint64_t seed = 0;
  std::string staffing_key = kFindingsStaffingKey, size_key = kFindingsSizeKey;
  double band_low = kBandLow, band_high = kBandHigh;
};
struct FindingRow {
  std::string name, unit, description;
  double point = 0, median = 0, p05 = 0, p95 = 0;
  int64_t draws = 0;
  double chance_share = 0;
};
struct FindingValueCell {
  double value = 0;
};
struct FindingDriverRow {
  std::string finding, parameter;
  double share = 0;
  bool above_chance = false;
};
struct FindingCurveCell {
  double unmet_hours = 0, cost_yuan = 0, staff = 0, residents = 0;
};
struct FindingDrawRow {
  double value_of_service_hour_yuan = 0;
};

const Table<FindingsFacts>& findings_facts_table();            // attributes of /findings
const Table<FindingRow>& findings_table();                     // /findings/findings (findings)
const Table<FindingValueCell>& finding_value_table();          // /findings/values (draws, findings)
const Table<FindingDriverRow>& finding_driver_table();         // /findings/drivers (drivers)
const Table<UncertaintyParameterRow>& findings_parameter_table();  // /findings/parameters (parameters)
const Table<FindingDrawRow>& finding_draw_table();             // /findings/draws (draws)
const Table<FindingCurveCell>& finding_staffing_table();       // /findings/staffing_curve (draws, staffing_points)
const Table<FindingCurveCell>& finding_size_table();           // /findings/size_curve (draws, size_points)

}  // namespace commsim
