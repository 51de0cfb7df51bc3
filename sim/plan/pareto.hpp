// `commsim pareto` (issue 28, docs/planning.md): the trade-off between outcomes over levers. NSGA-II
// (pagmo2) searches the box of the levers (scenario keys, each within its schema range); every
// point is run on the same replicates of the same seed (common random numbers), its objectives the
// means over them (the robust option: the 90th percentile, or 10th for an outcome that is better
// large, over draws of the registry's uncertainty). Every point evaluated is kept; the front is the
// points no other point dominates.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/metrics/table.hpp"

namespace commsim {

struct Lever {
  std::string key;
  double low = 0, high = 0;
  bool integer = false;  // an integer key: its values are rounded to whole numbers
};

struct ParetoRequest {
  std::string scenario;
  std::vector<std::string> overrides;
  std::vector<Lever> levers;           // "KEY=LOW:HIGH", checked by check_levers
  std::vector<std::string> objectives; // outcome names (outcomes.hpp), 2 or 3
  std::string service;                 // "" = city totals
  int population = 8, generations = 3;
  int replicates = 1;
  int robust_draws = 0;                // > 0: objectives over that many draws of the registry
  uint64_t seed = 0;                   // NSGA-II's seed (0 = run.seed)
  // The evaluations file ("" = none; -o FILE.h5 gives FILE.h5.evaluations): every point computed,
  // appended after each generation. With resume, the points it holds are read back instead of run:
  // NSGA-II's path depends only on its seed and the objectives, so a resumed search takes the same
  // path and gives the same front as an uninterrupted one (evaluations_file_check).
  std::string evaluations_file;
  bool resume = false;
  // Called on the writing rank after each point it runs and after each generation: (city runs so
  // far, the most the search can take, those read back). Under MPI the count between generations
  // is the writing rank's own.
  std::function<void(int, int, int)> progress;
};

struct ParetoPoint {
  std::vector<double> levers, objectives;  // in the request's order
  std::vector<std::string> lever_sets;      // KEY=value, for commsim run --set
};

struct ParetoResult {
  std::vector<std::string> lever_keys, objectives;
  std::vector<ParetoPoint> front;      // non-dominated, sorted by the first objective
  int evaluations = 0, city_runs = 0;
  int evaluations_resumed = 0;         // read back from the evaluations file (resume), not run
  int replicates = 1, robust_draws = 0;
  uint64_t seed = 0;  // NSGA-II's
};

// Parses "KEY=LOW:HIGH" and checks KEY is a number key of the scenario and the range within its
// schema range (InputError naming the range).
Lever parse_lever(const std::string& text, const std::string& scenario_file, const std::vector<std::string>& overrides);

ParetoResult pareto_front(const ParetoRequest& request);

// Before a search with an evaluations file: without resume, an existing one (an interrupted search)
// is an InputError unless force (then it is removed); with resume it must exist and have been
// written for the same scenario, --set keys, levers, objectives, service, replicates and robust draws.
// Under MPI every rank calls it before pareto_front (which waits for all ranks before writing the file).
void evaluations_file_check(const ParetoRequest& request, bool force);

// ---------------------------------------------------------------- the pareto file (-o FILE.h5)
// Root provenance (kind "pareto") and /pareto: the search's facts (attributes), the levers and
// objectives, and the front's points (docs/output-format.md).
struct ParetoFacts {
  int64_t population = 0, generations = 0, replicates = 0, robust_draws = 0, evaluations = 0, city_runs = 0;
  uint64_t seed = 0;
};
struct ParetoLeverRow {
  std::string key;
  double low = 0, high = 0;
};
struct ParetoObjectiveRow {
  std::string name, sense;  // sense: min | max
};
struct ParetoCell {
  double value = 0;
};
const Table<ParetoFacts>& pareto_facts_table();
const Table<ParetoLeverRow>& pareto_lever_table();
const Table<ParetoObjectiveRow>& pareto_objective_table();
const Table<ParetoCell>& pareto_front_lever_table();
const Table<ParetoCell>& pareto_front_objective_table();
// Writes the whole file through FILE.partial and a rename (force: replace an existing file).
void write_pareto_file(const std::string& path, bool force, const Provenance& provenance, const ParetoRequest& request,
                       const ParetoResult& result);

// Whether a is at least as good as b in every objective and better in one (all minimised).
bool dominates(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace commsim
