// The workbench's runs on disk (`commsim serve --data DIR`): one directory per run,
// DIR/runs/ID/, holding meta.json (kind, scenario, the keys set, status, error, times), and once the
// run is done output.h5 (the file `commsim run -o` writes), summary.json (the `--summary-json`
// document) and the small derived files the page reads (sim/serve/run_files.hpp). An allocation or
// a front (the planning jobs, sim/serve/plan_jobs.hpp) is a record of its own kind in the same
// directory and id sequence; once done it holds result.json. Every file is
// written to a temporary name, synced and renamed, so a kill at any moment leaves each file either
// absent, as it was, or complete. The store is the only owner of the records; the HTTP threads and
// the run workers reach them through it, under its mutex.
#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace commsim::serve {

enum class RunStatus { queued, running, done, failed };
const char* run_status_name(RunStatus status);

struct RunRecord {
  std::string id;            // six digits, "000001"; also the directory name
  std::string kind = "run";  // run | allocation | front (sim/serve/plan_jobs.hpp); a meta.json without one: run
  nlohmann::json request = nlohmann::json::object();  // an allocation's or a front's own fields, as checked
  std::string scenario;      // shipped scenario name (file stem)
  nlohmann::json set;        // {key: JSON scalar}, as posted
  std::atomic<RunStatus> status{RunStatus::queued};  // read without the store's lock by requests
  std::string error;         // why it failed
  std::string created, started, finished;  // ISO 8601 UTC; empty until it happens
  std::atomic<double> progress{0};          // 0..1 while running (not stored)
  std::atomic<int> phase{0};                // 0 queued, 1 simulating, 2 writing (not stored)
  // Facts of the validated scenario, for the list and the limits.
  uint64_t seed = 0;
  int days = 0, replicates = 0;
  double residents_estimate = 0;
};

// Writes `text` to `path` through "path.tmp": written, fsync'ed, renamed, directory synced.
// Throws RuntimeFailure naming the file.
void write_file_atomically(const std::string& path, const std::string& text);
std::string read_whole_file(const std::string& path);  // "" when missing
std::string utc_now();                                  // "2024-05-01T12:00:00Z"

class RunStore {
 public:
  // Opens (creating) DIR/runs and reads every run's meta.json. Runs found `running` were cut off
  // by a stop or crash: they are marked failed ("interrupted: ...") and their partial files removed.
  // Runs found `queued` never started and are returned by `pending()` to be queued again.
  explicit RunStore(std::string data_dir);

  // A new record (status queued) with the next id, its directory and meta.json written.
  std::shared_ptr<RunRecord> create(const std::string& scenario, const nlohmann::json& set, uint64_t seed, int days,
                                    int replicates, double residents_estimate, const std::string& kind = "run",
                                    const nlohmann::json& request = nlohmann::json::object());
  std::shared_ptr<RunRecord> find(const std::string& id) const;  // nullptr when unknown
  std::vector<std::shared_ptr<RunRecord>> all() const;            // newest first, every kind
  std::vector<std::shared_ptr<RunRecord>> all(const std::string& kind) const;  // newest first, of one kind
  std::vector<std::shared_ptr<RunRecord>> pending() const;        // queued at start-up, oldest first

  // Status changes, written to meta.json before they are visible.
  void mark_running(RunRecord& run) { transition(run, RunStatus::running, ""); }
  void mark_done(RunRecord& run) { transition(run, RunStatus::done, ""); }
  void mark_failed(RunRecord& run, const std::string& error) { transition(run, RunStatus::failed, error); }

  // The record as the API shows it (status, progress, error, times, scenario, set).
  nlohmann::json to_json(const RunRecord& run) const;

  std::string run_dir(const std::string& id) const;
  std::string file(const std::string& id, const std::string& name) const { return run_dir(id) + "/" + name; }
  const std::string& data_dir() const { return data_dir_; }
  std::vector<std::string> startup_notes() const { return notes_; }  // e.g. runs marked interrupted

 private:
  void save(const RunRecord& run) const;  // caller holds mutex_ (or owns the record alone)
  void transition(RunRecord& run, RunStatus status, const std::string& error);
  nlohmann::json meta_json(const RunRecord& run) const;

  std::string data_dir_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<RunRecord>> runs_;
  std::vector<std::shared_ptr<RunRecord>> pending_;
  std::vector<std::string> notes_;
  int next_id_ = 1;
};

}  // namespace commsim::serve
