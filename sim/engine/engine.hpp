// The engine: runs a scenario. For each simulated year, the population changes (optional
// dynamics), then every community runs its days in parallel (oneTBB), each day's phases in order:
// demand -> capacity -> enrolment -> service -> record (simulate_day in engine.cpp). Communities
// are independent within a year, so a task owns one community for the whole year: no barrier per
// day and the community's state stays in cache. Results are written into per-community slots and
// merged in community order, so every sum has a fixed order: bit-identical for any thread count.
// The city is built and run in batches of consecutive communities (run.batch_residents): only
// results are kept, so memory is bounded by a batch, and results do not depend on the batches.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/engine/city.hpp"
#include "sim/engine/prepared.hpp"
#include "sim/metrics/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

struct RunOptions {
  int threads = 0;  // 0 = the scenario's run.threads (0 there = all cores)
  // Called with the fraction done (0..1) from worker threads; must be thread-safe and cheap.
  std::function<void(double)> progress;
  std::vector<std::string>* changes = nullptr;  // restructuring report (first replicate)
  // The scenario's input files, read once (prepared.hpp); null: run_replicate reads them itself,
  // run_scenario once for all its replicates.
  std::shared_ptr<const PreparedInputs> prepared;
};

RunResult run_replicate(const Scenario& scenario, int replicate, const RunOptions& options = {});

// A replicate computed in parts (run_replicate is one part, the whole city): the communities of
// `range` (all when empty), built and run in batches (run.batch_residents, city_batches), their
// results before summarize(). Each community's results are the same as in the whole city.
RunResult run_part(const Scenario& scenario, int replicate, const RunOptions& options, CityRange range = {});
// The parts of one replicate, in city order, as one finished result (append_part, then the
// household-type fold and summarize): bit-identical to run_replicate's however the city was divided.
RunResult assemble_run(const Scenario& scenario, std::vector<RunResult> parts);

// All replicates of the scenario, in order.
std::vector<RunResult> run_scenario(const Scenario& scenario, const RunOptions& options = {});

}  // namespace commsim
