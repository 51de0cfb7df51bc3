#include "sim/study/replay.hpp"

#include <cmath>
#include <cstdio>

#include "commsim/version.hpp"
#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/engine/thread_cap.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
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

  std::vector<std::string>& diffs = out.differences;
  const StoredCitywide stored = read_citywide(path, out.group);
  auto cmp = [&](const std::string& what, double now, double then) {
    if (now != then && !(std::isnan(now) && std::isnan(then))) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "%s: stored %.17g, replayed %.17g", what.c_str(), then, now);
      diffs.push_back(buf);
    }
  };
  if (stored.service_names.size() != result.citywide.size()) {
    diffs.push_back("number of services differs");
  } else {
    for (size_t s = 0; s < result.citywide.size(); ++s) {
      const auto& c = result.citywide[s];
      const std::string n = "citywide " + c.name + " ";
      cmp(n + "demand", static_cast<double>(c.demand), static_cast<double>(stored.demand[s]));
      cmp(n + "served", static_cast<double>(c.served), static_cast<double>(stored.served[s]));
      cmp(n + "served_in_time", static_cast<double>(c.served_in_time), static_cast<double>(stored.served_in_time[s]));
      cmp(n + "unmet", static_cast<double>(c.unmet), static_cast<double>(stored.unmet[s]));
      cmp(n + "coverage", c.coverage, stored.coverage[s]);
      cmp(n + "mean_wait_min", c.mean_wait_min, stored.mean_wait_min[s]);
      cmp(n + "p90_wait_min", c.p90_wait_min, stored.p90_wait_min[s]);
    }
  }
  const std::string totals = out.group + "/totals/";
  for (const char* name : {"demand", "served", "served_in_time", "unmet", "backlog_end"}) {
    const auto then = read_int_dataset(path, totals + name);
    if (then.size() != result.service_totals.size()) {
      diffs.push_back(std::string("totals/") + name + ": number of entries differs");
      continue;
    }
    size_t differing = 0;
    for (size_t i = 0; i < then.size(); ++i) {
      const ServiceTotals& st = result.service_totals[i];
      const uint64_t now = std::string(name) == "demand" ? st.demand : std::string(name) == "served" ? st.served
                           : std::string(name) == "served_in_time" ? st.served_in_time
                           : std::string(name) == "unmet" ? st.unmet : st.backlog_end;
      differing += static_cast<uint64_t>(then[i]) != now;
    }
    if (differing) diffs.push_back(std::string("totals/") + name + ": " + std::to_string(differing) + " community x service entries differ");
  }
  return out;
}

}  // namespace commsim
