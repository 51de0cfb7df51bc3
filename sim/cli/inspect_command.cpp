// `commsim inspect OUT.h5`: the provenance and the citywide table of each run of an output file.
// A file that is missing, cut short, still ".partial" or not a commsim output is reported in one
// line with exit status 1 (RuntimeFailure).
#include <cstdio>

#include "sim/cli/cli.hpp"
#include "sim/core/error.hpp"
#include "sim/io/hdf5_inspect.hpp"
#include "sim/io/hdf5_output.hpp"

namespace commsim::cli {

int cmd_inspect(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {}, {}, "inspect");
  if (a.has("help")) {
    std::fputs("usage: commsim inspect OUT.h5\n"
               "\nPrints the provenance (scenario, seed, version, git commit, command line) and the citywide\n"
               "table of each run of a commsim output file. A missing, truncated, partial or foreign file is\n"
               "reported with exit status 1.\n",
               stdout);
    return 0;
  }
  if (a.positional.size() != 1)
    throw InputError(SourcePos{"command line", 0, 0}, "OUT.h5", "expected one output file (commsim inspect --help)");
  const std::string& path = a.positional[0];
  const StoredOutputSummary s = read_output_summary(path);
  std::printf("%s: complete commsim output, %zu run%s\n", path.c_str(), s.runs.size(), s.runs.size() == 1 ? "" : "s");
  for (const auto& [name, value] : s.provenance) std::printf("  %-14s %s\n", name.c_str(), value.c_str());
  std::printf("  %-14s %llu\n", "seed", static_cast<unsigned long long>(s.seed));
  for (const auto& run : s.runs) {
    const RunResult stored = read_run(path, run, false);
    std::printf("\n%s citywide\n%-20s %12s %12s %12s %10s %10s %10s\n", run.c_str(), "service", "demand", "served",
                "unmet", "coverage", "mean wait", "p90 wait");
    for (const CitywideService& c : stored.citywide)
      std::printf("%-20s %12llu %12llu %12llu %10.4f %10.1f %10.1f\n", c.name.c_str(),
                  static_cast<unsigned long long>(c.demand), static_cast<unsigned long long>(c.served),
                  static_cast<unsigned long long>(c.unmet), c.coverage, c.mean_wait_min, c.p90_wait_min);
  }
  return 0;
}

}  // namespace commsim::cli
