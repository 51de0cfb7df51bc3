// The planner's workbench behind `commsim serve` (docs/workbench.md): the JSON API and the page,
// as a function from a request to a response, independent of the sockets (sim/serve/http_server.hpp
// carries requests to it), and the bounded pool that computes runs. A posted run is validated
// exactly as `commsim run --set` validates (load_scenario) before anything is queued; it is then
// computed on a worker thread with run_scenario (oneTBB inside), written as the same HDF5 file the
// CLI writes, and its summary, the `--summary-json` document, kept beside it (sim/serve/run_store.hpp).
// Requests for status and results read memory or small files, never HDF5, so they stay fast while
// a run computes. Allocations and fronts (sim/serve/plan_jobs.hpp) are posted, queued, computed
// and kept the same way, as records of their own kind.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/serve/plan_jobs.hpp"
#include "sim/serve/run_store.hpp"

namespace commsim::serve {

struct ServeOptions {
  std::string bind = "127.0.0.1";   // only loopback unless told; any other address needs a token
  int port = 8080;                  // 0 = a free port, printed on stdout
  std::string data_dir = "commsim-data";
  std::string scenarios_dir;        // the shipped scenarios (NAME = file stem of DIR/NAME.yaml)
  std::string token;                // when set, /api/ needs "Authorization: Bearer TOKEN"
  int max_runs = 1;                 // runs computing at once
  int max_queued = 16;              // runs waiting; more are refused (429)
  size_t max_body_bytes = 64 * 1024;
  double max_resident_days = 6e9;   // residents x days x replicates of one run (the baseline: ~4.0e9)
  int max_replicates = 20;
  int read_timeout_s = 10;          // a request must arrive completely within this
  int idle_timeout_s = 30;          // a kept-alive connection waits this long for its next request
  int io_threads = 2;
  int run_threads = 0;              // oneTBB threads per run; 0 = all cores
  int max_connections = 256;
};

struct HttpRequest {
  std::string method, target;  // target: path and query, as sent
  std::string host, authorization, content_type;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string file_path;      // when set, the body is this file's contents (downloads)
  std::string download_name;  // Content-Disposition: attachment; filename=...
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, Retry-After, ...)
};

// {"error": message, "status": status} (plus "key" when the problem is a key).
HttpResponse error_response(int status, const std::string& message, const std::string& key = "");

class Workbench {
 public:
  // Reads the shipped scenarios and the runs in options.data_dir (runs cut off by a stop are marked
  // failed; runs that never started are queued again). Throws InputError / RuntimeFailure.
  explicit Workbench(ServeOptions options);
  ~Workbench();  // stop(), then joins idle workers
  Workbench(const Workbench&) = delete;
  Workbench& operator=(const Workbench&) = delete;

  // Starts the run workers (separate from construction so tests can drive the API without them).
  void start_workers();
  HttpResponse handle(const HttpRequest& request);

  // Stops taking runs; true when a run is still computing (it cannot be cut short).
  bool stop();
  // Marks the runs still computing failed ("interrupted"), for a process about to end without
  // waiting for them. Queued runs stay queued: the next start queues them again.
  void interrupt_running();

  const ServeOptions& options() const { return options_; }
  const RunStore& store() const { return store_; }
  std::vector<std::string> scenario_names() const;
  // The HTTP port the server is bound to, for messages (set by the server once bound).
  void set_port(int port) { bound_port_ = port; }
  std::string bound_host() const;  // --bind as a URL's host ("[::1]" for ::1)

 private:
  struct Shipped {
    std::string name, path, description;
    int days = 0, replicates = 0;
    uint64_t seed = 0;
    double residents_estimate = 0;
    std::string schema_json;  // /api/schema?scenario=NAME, built once
  };

  HttpResponse api(const HttpRequest& request, const std::string& path, const std::string& query);
  HttpResponse get_schema(const std::string& query);
  // A posted body: its scenario and set checked and loaded (the common part of every POST).
  struct Posted {
    const Shipped* shipped = nullptr;
    nlohmann::json body, set;
    std::vector<std::string> overrides;
    Scenario scenario;
    double residents = 0;
  };
  bool read_post(const HttpRequest& request, const std::string& what, const std::vector<std::string>& fields,
                 Posted& posted, HttpResponse& error) const;
  HttpResponse post_job(const HttpRequest& request, const std::string& kind);  // run | allocation | front
  HttpResponse enqueue(const std::string& kind, const Posted& posted, const PlanJob& job);
  HttpResponse collection(const HttpRequest& request, const std::string& kind, const std::string& path,
                          const std::string& query);
  nlohmann::json record_json(const std::shared_ptr<RunRecord>& run);
  HttpResponse get_run(const std::string& id, const std::string& what);
  HttpResponse get_plan(const std::string& kind, const std::string& id);
  HttpResponse get_compare(const std::string& query);
  bool host_allowed(const std::string& host) const;
  const Shipped* shipped(const std::string& name) const;
  void worker_loop();
  void execute(RunRecord& run);
  void execute_plan(RunRecord& run);

  ServeOptions options_;
  std::vector<Shipped> shipped_;
  RunStore store_;
  int bound_port_ = 0;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<std::shared_ptr<RunRecord>> queue_;
  size_t reserved_ = 0;  // places taken by posts writing their record
  std::vector<std::shared_ptr<RunRecord>> active_;  // computing now
  bool stopping_ = false;
  int running_ = 0;
  std::vector<std::thread> workers_;
};

}  // namespace commsim::serve
