// Calibration (issue 16, `commsim calibrate`): fits free model parameters, within their ranges in
// the parameter registry (sim/calibration/registry.hpp), to observed targets
// (sim/calibration/targets.hpp) by minimising the weighted distance sum ((simulated - observed) /
// tolerance)^2 over the fitted targets. NLopt's derivative-free BOBYQA (or Nelder-Mead) works on
// the unit box of the free parameters (linear, or logarithmic for loguniform ranges). Every
// evaluation is a study run by the study runner (sim/study/runner.hpp): R replicates on common
// random numbers (the same seed at every point, so the objective is a deterministic, nearly smooth
// function of the parameters), threads and MPI ranks, one crash-safe file per evaluation
// (OUT.runs/eval-NNNN.h5). The optimiser is deterministic, so `resume` replays the same path and
// reads back the evaluations already computed. After the fit, finite-difference probes around the
// best point (one study of 2k variants) give each free parameter's sensitivity: a parameter that
// moves no fitted target is named as not constrained by the targets, and the rank of the
// targets' Jacobian says how many combinations of the free parameters they identify.
//
// Outputs (written by rank 0 only, each through a partial file and a rename): OUT.yaml, the
// calibrated scenario, which `extends:` the input scenario and sets the free parameters (and the
// model keys of --set); OUT.h5 with every evaluation, the fit, the targets before and after, the
// sensitivities and the provenance (layout: calibration_file_markdown(), docs/calibration.md).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "sim/calibration/registry.hpp"
#include "sim/metrics/results.hpp"

namespace commsim {

struct CalibrationRequest {
  std::string scenario_file;
  std::vector<std::string> overrides;  // --set, after the file
  std::string targets_file;
  std::string registry_file;           // "" = the shipped registry
  std::vector<std::string> free_keys;  // concrete parameters (commsim params)
  int replicates = 2;
  int max_evals = 40;                  // optimiser evaluations (the probes come on top: 2 per free key)
  std::string algorithm = "bobyqa";    // bobyqa | neldermead
  double xtol = 1e-3;                  // stop when a step moves every unit coordinate less than this
  double probe_step = 0.1;             // identifiability probes: ± this share of each range
  std::string output;                  // OUT.yaml; OUT.h5 and the folder OUT.runs beside it
  bool resume = false, force = false;
  int threads = 0;                     // per rank (0: as the study runner decides)
  std::string command_line;
  // --abc N (issue 25): approximate Bayesian computation by rejection instead of the optimiser: N
  // draws, a Latin hypercube over the free parameters' registry ranges (seed abc_seed), each run
  // like an evaluation; a draw is accepted when every fitted target is within its tolerance, or,
  // with accept_best > 0, when its distance is among the best accept_best % of the draws. Output:
  // OUT.csv, the accepted set (sim/calibration/accepted.hpp), and OUT.draws.csv, every draw.
  int abc_draws = 0;
  double accept_best = 0;              // percent, 0 = within tolerance
  uint64_t abc_seed = 1;
  // Called on the writing rank after each evaluation: (evaluation number, its distance, the best so far).
  std::function<void(int, double, double)> progress;
};

struct CalibratedParameter {
  Parameter parameter;
  double start = 0, best = 0;
  double distance_sensitivity = 0;         // largest change of the distance over the ± probes
  std::vector<double> target_sensitivity;  // per target: d((simulated - observed) / tolerance) / d(unit coordinate)
  bool constrained = true;                 // a fitted target moves by > 0.1 tolerance over a probe step
};

struct CalibrationEvaluation {
  int index = 0;
  std::string phase;                  // fit | probe
  std::vector<double> values, unit;   // free parameters: values, unit coordinates
  std::vector<double> simulated;      // per target, mean over replicates
  double distance = 0;
  std::string runs_file;              // the study file holding its runs
  int variant = 0;                    // its variant in that file
};

struct CalibrationResult {
  bool writer = true;                      // false on MPI ranks other than 0
  std::vector<CalibratedParameter> parameters;
  std::vector<TargetCheck> start, best;    // every target at the start and at the best point
  double distance_start = 0, distance_best = 0;
  int best_evaluation = 0, fit_evaluations = 0;
  std::vector<CalibrationEvaluation> evaluations;
  std::string status;                      // why the optimiser stopped
  int jacobian_rank = 0;                   // of the fitted targets' sensitivities
  std::vector<std::string> unconstrained;  // free keys the targets do not constrain
  std::string weakest_direction;           // when the rank is short: the combination not identified
  std::string yaml_path, h5_path, runs_dir;
  int runs_computed = 0, runs_resumed = 0;
  double wall_s = 0;
  // --abc: the accepted draws (indices into evaluations) and where they were written.
  std::vector<int> accepted;
  std::string accepted_path, draws_path;
};

// Throws InputError for bad input (unknown or fixed free keys, no fitted target, an output in the
// way); RuntimeFailure for failures of the runs or files.
CalibrationResult calibrate(const CalibrationRequest& request);
// calibrate() with abc_draws > 0 runs this: the rejection ABC (no optimiser, no probes).
CalibrationResult calibrate_abc(const CalibrationRequest& request);

// The layout of a calibration file (the tables it holds), for docs/calibration.md.
std::string calibration_file_markdown();

}  // namespace commsim
