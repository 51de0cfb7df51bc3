// `commsim serve`: the planner's workbench in the browser (docs/workbench.md). Parses the options,
// opens the data directory, and serves until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "sim/cli/cli.hpp"
#include "sim/core/error.hpp"
#include "sim/serve/http_server.hpp"
#include "sim/serve/workbench.hpp"

namespace commsim::cli {

namespace {

const char* kServeHelp =
    "usage: commsim serve [--port P] [--bind ADDR] [--data DIR] [--max-runs N] [--token TOKEN]\n"
    "                     [--scenarios DIR] [--max-queued N] [--max-body BYTES] [--max-resident-days X]\n"
    "                     [--max-replicates N] [--read-timeout S] [--idle-timeout S] [--threads N]\n"
    "                     [--io-threads N] [--max-connections N]\n"
    "\n"
    "The planner's workbench: a page at http://127.0.0.1:P/ to set a scenario's levers, run it, read\n"
    "its summary, charts and map, compare runs and download the HDF5 file; and its JSON API\n"
    "(docs/workbench.md). Every run is stored in DIR as the HDF5 file `commsim run -o` writes.\n"
    "  --port P               TCP port (default 8080; 0 = any free port, printed on stdout)\n"
    "  --bind ADDR            address to listen on (default 127.0.0.1: this machine only). Any other\n"
    "                         address needs a token: clients send 'Authorization: Bearer TOKEN'\n"
    "  --token TOKEN          the token (at least 16 characters); better: environment variable\n"
    "                         COMMSIM_SERVE_TOKEN, which other users cannot read in the process list\n"
    "  --data DIR             where runs are kept (default ./commsim-data; created)\n"
    "  --scenarios DIR        the shipped scenarios offered by name (default: the source tree's scenarios/)\n"
    "  --max-runs N           runs computing at once (default 1; each run uses every core)\n"
    "  --max-queued N         runs waiting; more are refused with 429 (default 16)\n"
    "  --max-body BYTES       largest request body (default 65536; larger: 413)\n"
    "  --max-resident-days X  largest run: residents x days x replicates (default 6e9; the baseline ~4e9)\n"
    "  --max-replicates N     most replicates of one run (default 20)\n"
    "  --read-timeout S       a request must arrive within S seconds (default 10; else 408)\n"
    "  --idle-timeout S       kept-alive connections close after S idle seconds (default 30)\n"
    "  --threads N            threads per run (default 0 = all cores); results do not depend on it\n"
    "  --io-threads N         threads answering requests (default 2)\n"
    "  --max-connections N    open connections at once (default 256; more: 503)\n";

long long bounded(const Args& a, const std::string& name, long long fallback, long long low, long long high) {
  const long long v = a.integer(name, fallback);
  if (v < low || v > high)
    throw InputError(SourcePos{"command line", 0, 0}, "--" + name,
                     "must be an integer in " + std::to_string(low) + ".." + std::to_string(high));
  return v;
}

}  // namespace

int cmd_serve(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv,
                            {"port", "bind", "data", "max-runs", "token", "scenarios", "max-queued", "max-body",
                             "max-resident-days", "max-replicates", "read-timeout", "idle-timeout", "threads",
                             "io-threads", "max-connections"},
                            {}, "serve");
  if (a.has("help")) {
    std::fputs(kServeHelp, stdout);
    return 0;
  }
  if (!a.positional.empty())
    throw InputError(SourcePos{"command line", 0, 0}, a.positional[0], "commsim serve takes options only (commsim serve --help)");
  serve::ServeOptions o;
  o.port = static_cast<int>(bounded(a, "port", o.port, 0, 65535));
  o.bind = a.get("bind", o.bind);
  o.data_dir = a.get("data", o.data_dir);
  o.scenarios_dir = a.get("scenarios", std::filesystem::is_directory(COMMSIM_SCENARIOS_DIR) ? COMMSIM_SCENARIOS_DIR : "scenarios");
  const char* env_token = std::getenv("COMMSIM_SERVE_TOKEN");
  o.token = a.get("token", env_token ? env_token : "");
  o.max_runs = static_cast<int>(bounded(a, "max-runs", o.max_runs, 1, 64));
  o.max_queued = static_cast<int>(bounded(a, "max-queued", o.max_queued, 0, 10000));
  o.max_body_bytes = static_cast<size_t>(bounded(a, "max-body", static_cast<long long>(o.max_body_bytes), 1024, 64 << 20));
  o.max_resident_days = a.number("max-resident-days", o.max_resident_days);
  if (!(o.max_resident_days > 0))
    throw InputError(SourcePos{"command line", 0, 0}, "--max-resident-days", "must be a number > 0");
  o.max_replicates = static_cast<int>(bounded(a, "max-replicates", o.max_replicates, 1, 100000));
  o.read_timeout_s = static_cast<int>(bounded(a, "read-timeout", o.read_timeout_s, 1, 3600));
  o.idle_timeout_s = static_cast<int>(bounded(a, "idle-timeout", o.idle_timeout_s, 1, 3600));
  o.run_threads = static_cast<int>(bounded(a, "threads", o.run_threads, 0, 1024));
  o.io_threads = static_cast<int>(bounded(a, "io-threads", o.io_threads, 1, 64));
  o.max_connections = static_cast<int>(bounded(a, "max-connections", o.max_connections, 1, 100000));

  serve::check_bind_address(o);   // before the data directory is created
  std::signal(SIGPIPE, SIG_IGN);  // a client that went away is an error code on its socket, not a signal
  serve::Workbench workbench(o);
  for (const auto& note : workbench.store().startup_notes()) std::fprintf(stderr, "commsim serve: %s\n", note.c_str());
  serve::HttpServer server(workbench);
  workbench.start_workers();
  const std::string host = o.bind.find(':') != std::string::npos ? "[" + o.bind + "]" : o.bind;
  std::printf("commsim serve: listening on http://%s:%d/ (data %s, %zu scenarios; Ctrl-C stops)\n", host.c_str(),
              server.port(), std::filesystem::absolute(o.data_dir).lexically_normal().c_str(),
              workbench.scenario_names().size());
  std::fflush(stdout);
  server.run();
  if (workbench.stop()) {
    // A run still computing cannot be cut short: it is recorded as interrupted and the process
    // ends without waiting for it (its partial files are removed at the next start).
    workbench.interrupt_running();
    std::fprintf(stderr, "commsim serve: stopped; the run in progress is marked interrupted\n");
    std::fflush(nullptr);
    std::_Exit(0);
  }
  std::fprintf(stderr, "commsim serve: stopped\n");
  return 0;
}

}  // namespace commsim::cli
