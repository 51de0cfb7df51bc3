// Calibration targets (issue 16): observed figures a run is held against, each computed from the
// run by a named measure implemented here over the results (sim/metrics/results.hpp), with its
// tolerance and source. A targets file (scenarios/targets/xian.yaml) is read with the scenario
// schema machinery, so a target with an unknown measure, a missing argument or an unknown key is
// an InputError at its file:line:column. `use: check` marks input checks (e.g. community workers
// per 10,000, committees included): reported, never fitted; `use: holdout` marks observed figures
// kept out of the fit to test it; `use: echo` marks targets whose simulated value an input sets
// (the census 60+ share, a programme share): reported, never fitted, not evidence. Targets that
// are one number seen twice, or tied by an identity, name an `evidence` group of the file's
// `evidence:` map, which says how many independent pieces of evidence its members are.
#pragma once
#include <string>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/metrics/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

struct Target {
  std::string name, measure, source, note;
  std::string computation;          // how it is computed from a run (the measure's text by default)
  double observed = 0, tolerance = 0;
  std::string use = "fit";          // fit | check (an input check) | holdout (observed, not fitted: a test of the fit)
                                    // | echo (its simulated value is set by an input)
  bool fit() const { return use == "fit"; }
  std::string evidence;             // its evidence group ("" = alone), a key of TargetSet::evidence
  double evidence_weight = 0;       // its share of the independent evidence (TargetCheck::evidence_weight)
  std::vector<std::string> services;  // arguments of the measure (as it needs them)
  std::string service, role, facility_use;
  bool with_committees = false;
  SourcePos pos;                    // of the target's name
  std::vector<std::pair<std::string, SourcePos>> argument_pos;  // argument key -> position
};

// Targets that are not independent pieces of evidence: `count` pieces among the group's members.
struct EvidenceGroup {
  std::string name, why;
  double count = 1;
};

struct TargetSet {
  std::string file, text, name;
  std::vector<Target> targets;
  std::vector<EvidenceGroup> evidence;
};

// Independent pieces of evidence among fit and holdout targets (echoes and checks are none; a
// group counts as its `count`): the sum of the targets' evidence_weight.
double independent_evidence(const std::vector<TargetCheck>& checks);

TargetSet load_targets(const std::string& path);
TargetSet parse_targets(const std::string& text, const std::string& file);

// A measure: what it computes, which arguments it takes.
struct MeasureInfo {
  std::string name, description;
  std::vector<std::string> arguments;  // of: services, service, role, facility_use, with_committees
};
const std::vector<MeasureInfo>& measures();

// Checks every target's arguments against the scenario (services, roles and facility uses exist,
// enrolment measures name enrolment services); InputError at the argument in the targets file.
void check_targets(const TargetSet& targets, const Scenario& scenario);

// One target's value in one run.
double measure_value(const Target& target, const Scenario& scenario, const RunResult& run);

// Every target against the replicates of a run: simulated = the mean over replicates.
std::vector<TargetCheck> check_against(const TargetSet& targets, const Scenario& scenario,
                                       const std::vector<RunResult>& runs);
// The same from per-replicate measure values ([replicate][target]).
std::vector<TargetCheck> check_against(const TargetSet& targets, const std::vector<std::vector<double>>& values);

// Sum over fitted targets of ((simulated - observed) / tolerance)^2.
double weighted_distance(const std::vector<TargetCheck>& checks);

}  // namespace commsim
