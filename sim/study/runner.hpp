// Running a study: every (variant, replicate) run, written into ONE HDF5 file as it completes
// (crash-safe: "<OUT>.partial" is the working file, each finished run is flushed and marked complete
// last, `resume` continues an interrupted study), then the run table, variant table and summary
// (and for design: morris | sobol the indices under /sensitivity), then the rename. Under MPI (launched by mpirun/srun, built with COMMSIM_WITH_MPI) rank 0 hands out
// runs one at a time to the other ranks and writes the file; the file's datasets are identical for
// any rank count (only /study/bookkeeping differs: wall times, ranks, hosts). Layout: docs/studies.md.
// An adaptive study adds variants round by round (next_variants) through the same machinery.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/study/sensitivity_study.hpp"
#include "sim/study/study.hpp"
#include "sim/study/summary.hpp"

namespace commsim {

class Hdf5Output;

// Adaptive studies (`commsim headroom`): called on the writing rank when every run planned so far
// is done, with the plan and each run's values of the study's metrics (run order); returns the
// variants to run next, or none to finish. Its answers must depend only on what it is given, so
// that a resumed or MPI execution takes the same path.
using NextVariants = std::function<std::vector<StudyVariant>(const StudyPlan&, const std::vector<std::vector<double>>&)>;
// Called on the writing rank after the study's own tables and before the file is committed, with
// the open file (every run in it), the final plan and the runs' metric values: a command's own
// tables (`commsim curve`, `commsim headroom`).
using FinishTables = std::function<void(Hdf5Output&, const StudyPlan&, const std::vector<std::vector<double>>&)>;

struct StudyRunOptions {
  std::string output;          // OUT.h5
  bool force = false;          // overwrite an existing OUT.h5
  bool resume = false;         // continue OUT.h5.partial
  int threads = 0;             // threads per rank; 0 = run.threads (serial) or cores / ranks on the node (MPI)
  std::string command_line;    // as typed (stored under /study/bookkeeping)
  std::string canonical_command;  // without output/threads/resume flags (root attribute command_line)
  // Called on the writing rank after each run is committed: (runs done, runs total, runs skipped by resume).
  std::function<void(int, int, int)> progress;
  NextVariants next_variants;  // empty: the plan's variants only
  FinishTables finish_tables;  // empty: none
};

struct StudyOutcome {
  bool writer = true;      // false on MPI ranks other than 0 (nothing else is filled in)
  int ranks = 1;
  int threads = 0;         // per computing rank
  int runs_total = 0, runs_resumed = 0, runs_computed = 0;
  double wall_s = 0;
  std::vector<std::vector<double>> run_values;  // per run: run_metric_values
  StudySummary summary;
  std::optional<SensitivityResult> sensitivity;  // design: morris | sobol
};

StudyOutcome run_study(const StudyPlan& plan, const StudyRunOptions& options);

// For commands that run several studies in one process (commsim calibrate: one per evaluation),
// every rank following the same path. Under MPI, MPI is initialised at the first call of these or
// of run_study and finalised at exit. study_writer: whether this process writes (rank 0, or the
// only process). share_from_writer: rank 0's `values` on every rank (every rank must call it at
// the same point); without MPI, `values` unchanged.
bool study_writer();
std::vector<double> share_from_writer(std::vector<double> values);
// This process's rank and the number of ranks (0 and 1 without MPI). sum_over_ranks: the
// element-wise sum of every rank's `values` (same length on every rank), on every rank.
int study_rank();
int study_ranks();
std::vector<double> sum_over_ranks(std::vector<double> values);

// Test hook: with COMMSIM_STUDY_ABORT_AFTER=N in the environment, the writer calls std::_Exit(99)
// right after the N-th run it computed is flushed to the partial file (simulates a crash).
inline constexpr const char* kAbortAfterEnv = "COMMSIM_STUDY_ABORT_AFTER";

}  // namespace commsim
