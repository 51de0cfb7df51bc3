#include "sim/study/replay.hpp"

#include "commsim/version.hpp"
#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/engine/thread_cap.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/scenario/load.hpp"

namespace commsim {

namespace {

const SourcePos kCli{"command line", 0, 0};

// The resolved scenario and replicate of run `run`: a study keeps them per variant and run, a
// `commsim run` file at the root and on the run's group.
struct StoredRun {
  std::string yaml;
  int replicate = 0;
};

StoredRun stored_run(const std::string& path, long run, const std::string& group) {
  std::string kind = "run";  // files written before the `kind` attribute are run files
  try {
    kind = read_attribute_text(path, "/", "kind");
  } catch (const RuntimeFailure&) {
  }
  StoredRun out;
  if (kind == "study") {
    const auto variants = read_int_dataset(path, "/study/variant");
    const auto replicates = read_int_dataset(path, "/study/replicate");
    if (static_cast<size_t>(run) >= variants.size())
      throw InputError(kCli, "RUN", "the study has runs 0.." + std::to_string(variants.size() - 1));
    out.yaml = read_string_dataset(path, "/study/variants/scenario_yaml")[static_cast<size_t>(variants[static_cast<size_t>(run)])];
    out.replicate = static_cast<int>(replicates[static_cast<size_t>(run)]);
  } else {
    out.yaml = read_root_string_attribute(path, "scenario_yaml");
    try {
      out.replicate = std::stoi(read_attribute_text(path, group, "replicate"));
    } catch (const RuntimeFailure&) {
      throw InputError(kCli, "RUN", "no run " + group + " in " + path);
    }
  }
  return out;
}

}  // namespace

ReplayOutcome replay_run(const std::string& path, long run, int threads) {
  if (run < 0) throw InputError(kCli, "RUN", "expected a run index (0, 1, ...)");
  if (!is_complete_output(path)) throw InputError(SourcePos{path, 0, 0}, "OUT.h5", "not a complete commsim output file");
  ReplayOutcome out;
  out.group = run_group(run);
  const StoredRun stored_input = stored_run(path, run, out.group);
  out.replicate = stored_input.replicate;
  const std::string version = read_root_string_attribute(path, "version");
  const std::string commit = read_root_string_attribute(path, "git_commit");
  if (version != kVersion || commit != kGitCommit) out.written_by = version + " (git " + commit + ")";

  const Scenario sc = load_scenario_text(stored_input.yaml, path + ":" + out.group, ".");
  out.seed = sc.run.seed;
  const ThreadCap cap(threads, sc.run.threads);
  const RunResult result = run_replicate(sc, out.replicate);

  // Every column of the results schema, stored against replayed (sim/metrics/result_schema.hpp).
  out.differences = compare_runs(read_run(path, out.group), result);
  return out;
}

}  // namespace commsim
