// The engine: runs a scenario. For each simulated year, the population changes (optional
// dynamics), then every community runs its days in parallel (oneTBB), each day's phases in order:
// demand -> capacity -> enrolment -> service -> record (simulate_day in engine.cpp). Communities
// are independent within a year, so a task owns one community for the whole year: no barrier per
// day and the community's state stays in cache. Results are written into per-community slots and
// merged in community order, so every sum has a fixed order: bit-identical for any thread count.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

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

// All replicates of the scenario, in order.
std::vector<RunResult> run_scenario(const Scenario& scenario, const RunOptions& options = {});

}  // namespace commsim
