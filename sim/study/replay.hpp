// Replay (docs/studies.md): re-runs one stored run of an output file from what the file holds
// (the resolved scenario of the run or of its study variant, its replicate and seed) and compares
// every column the file stores (the results schema, sim/metrics/result_schema.hpp) with the
// replayed run. `commsim replay` prints the outcome.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace commsim {

struct ReplayOutcome {
  std::string group;                     // /runs/NNNN
  int replicate = 0;
  uint64_t seed = 0;
  std::string written_by;                // "version (git commit)" when not this program's, else ""
  std::vector<std::string> differences;  // empty: reproduced bit for bit
};

// Throws InputError when `path` is not a complete output or has no run `run`; `threads` as
// --threads (0: the stored scenario's run.threads).
ReplayOutcome replay_run(const std::string& path, long run, int threads);

}  // namespace commsim
