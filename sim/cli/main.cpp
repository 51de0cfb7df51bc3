// commsim command-line entry point: dispatches to a command, catches errors once.
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "commsim/version.hpp"
#include "sim/cli/cli.hpp"
#include "sim/core/error.hpp"

namespace {

const char* kUsage =
    "commsim — agent-based simulator of community service demand (Xi'an 2023 community norms)\n"
    "\n"
    "usage: commsim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO            run a scenario, print its summary, optionally write HDF5\n"
    "  validate SCENARIO       check a scenario file and print its communities' norm compliance\n"
    "  norms --households H    print what the norms require of a community of that size (--norms FILE: a norm set)\n"
    "  cities                  the census's provinces and cities: codes for city.census.city_code\n"
    "  communities SCENARIO -o FILE.csv   the city's communities as a communities file (city.communities_file)\n"
    "  regions SCENARIO FILE.h5  a run's results by province, city or census unit (docs/nation.md)\n"
    "  validate-queue          M/M/c queue through the engine vs the Erlang-C formulas\n"
    "  study STUDY -o OUT.h5   run a study (variants x replicates; MPI across runs) into one HDF5 file\n"
    "  optimize SCENARIO       least staff of a role reaching a coverage target (citywide or per community)\n"
    "  allocate SCENARIO --role R --add N -o FILE.csv   where N extra workers go, community by community\n"
    "  pareto SCENARIO --lever KEY=LOW:HIGH --objectives a,b   the trade-off front over levers (NSGA-II)\n"
    "  curve SCENARIO --key K  paired sweep of one key: the bend and what each step buys (--full: every outcome)\n"
    "  headroom SCENARIO       the largest demand multiplier at which every service meets its target\n"
    "  findings SCENARIO --uncertainty N   the headline findings with intervals and drivers (docs/findings.md)\n"
    "  replay OUT.h5 RUN       re-run one stored run and check it reproduces\n"
    "  inspect OUT.h5          print the provenance and citywide tables of an output file\n"
    "  sensitivity --test-function F   Sobol/Morris estimators on an analytic test function (check)\n"
    "  params [SCENARIO]       the model parameters: unit, range, distribution, source (docs/parameters.md)\n"
    "  calibrate SCENARIO      fit free parameters to observed targets (docs/calibration.md)\n"
    "  serve                   the planner's workbench: a page and JSON API at http://127.0.0.1:8080/\n"
    "  version                 print the version and the git commit it was built from\n"
    "\n"
    "`commsim <command> --help` describes each command. Exit codes: 0 ok, 2 bad input, 1 failure.\n";

}  // namespace

int main(int argc, char** argv) {
  // Past a file size limit (ulimit -f) write() then fails with EFBIG and the writer reports it,
  // instead of SIGXFSZ killing the process mid-write (docs/reliability.md).
  std::signal(SIGXFSZ, SIG_IGN);
  // Keep freed working memory in the process instead of unmapping it: each replicate, study run
  // and community-year reuses buffers of a few MB, and fresh pages from the kernel (one fault per
  // 4 KiB) cost more than the work on them (glibc's default 128 KiB mmap threshold unmaps them on
  // every free). Peak memory is unchanged; blocks over 64 MiB still get their own mapping.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "run") return commsim::cli::cmd_run(args);
    if (command == "validate") return commsim::cli::cmd_validate(args);
    if (command == "norms") return commsim::cli::cmd_norms(args);
    if (command == "cities") return commsim::cli::cmd_cities(args);
    if (command == "communities") return commsim::cli::cmd_communities(args);
    if (command == "regions") return commsim::cli::cmd_regions(args);
    if (command == "validate-queue") return commsim::cli::cmd_validate_queue(args);
    if (command == "study") return commsim::cli::cmd_study(args);
    if (command == "optimize") return commsim::cli::cmd_optimize(args);
    if (command == "allocate") return commsim::cli::cmd_allocate(args);
    if (command == "pareto") return commsim::cli::cmd_pareto(args);
    if (command == "curve") return commsim::cli::cmd_curve(args);
    if (command == "headroom") return commsim::cli::cmd_headroom(args);
    if (command == "findings") return commsim::cli::cmd_findings(args);
    if (command == "replay") return commsim::cli::cmd_replay(args);
    if (command == "inspect") return commsim::cli::cmd_inspect(args);
    if (command == "sensitivity") return commsim::cli::cmd_sensitivity(args);
    if (command == "serve") return commsim::cli::cmd_serve(args);
    if (command == "params") return commsim::cli::cmd_params(args);
    if (command == "calibrate") return commsim::cli::cmd_calibrate(args);
    if (command == "version" || command == "--version") {
      std::printf("commsim %s (git %s)\n", commsim::kVersion, commsim::kGitCommit);
      return 0;
    }
    std::fprintf(stderr, "commsim: error: unknown command '%s'; allowed: run, validate, norms, cities, communities, regions, validate-queue, study, optimize, allocate, pareto, curve, headroom, findings, replay, inspect, sensitivity, serve, params, calibrate, version\n",
                 command.c_str());
    return 2;
  } catch (const commsim::InputError& e) {
    std::fprintf(stderr, "commsim: error: %s\n", e.what());
    return 2;
  } catch (const commsim::RuntimeFailure& e) {
    std::fprintf(stderr, "commsim: failure: %s\n", e.what());
    // Exit without the atexit handlers: after a write that failed past a file size limit (EFBIG),
    // HDF5 1.10 keeps a dangling file identifier and its shutdown handler then crashes (SIGSEGV in
    // H5F__close_cb; docs/reliability.md). Nothing else is pending: flush and go.
    std::fflush(nullptr);
    std::_Exit(1);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "commsim: failure: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "commsim: failure: %s\n", e.what());
    return 1;
  }
}
