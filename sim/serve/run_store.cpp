#include "sim/serve/run_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/core/error.hpp"

namespace commsim::serve {

namespace fs = std::filesystem;

const char* run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::queued: return "queued";
    case RunStatus::running: return "running";
    case RunStatus::done: return "done";
    case RunStatus::failed: return "failed";
  }
  return "failed";
}

namespace {

bool parse_status(const std::string& text, RunStatus& out) {
  for (RunStatus s : {RunStatus::queued, RunStatus::running, RunStatus::done, RunStatus::failed})
    if (text == run_status_name(s)) {
      out = s;
      return true;
    }
  return false;
}

bool is_run_id(const std::string& name) {
  return name.size() == 6 && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// fsync of a directory makes a rename in it durable (best effort: some file systems refuse it).
void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeFailure("cannot write " + tmp + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw RuntimeFailure("writing " + tmp + " failed: " + why);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw RuntimeFailure("writing " + tmp + " failed: " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw RuntimeFailure("cannot rename " + tmp + " to " + path + ": " + why);
  }
  sync_directory(fs::path(path).parent_path().string());
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

RunStore::RunStore(std::string data_dir) : data_dir_(std::move(data_dir)) {
  std::error_code ec;
  fs::create_directories(data_dir_ + "/runs", ec);
  if (ec) throw RuntimeFailure("cannot create the data directory " + data_dir_ + "/runs: " + ec.message());
  if (::access((data_dir_ + "/runs").c_str(), W_OK | X_OK) != 0)
    throw RuntimeFailure("the data directory " + data_dir_ + "/runs is not writable");
  for (const auto& entry : fs::directory_iterator(data_dir_ + "/runs", ec)) {
    const std::string id = entry.path().filename().string();
    if (!entry.is_directory() || !is_run_id(id)) continue;
    next_id_ = std::max(next_id_, std::stoi(id) + 1);
    const std::string meta_path = entry.path().string() + "/meta.json";
    auto run = std::make_shared<RunRecord>();
    run->id = id;
    try {
      const nlohmann::json meta = nlohmann::json::parse(read_whole_file(meta_path));
      run->kind = meta.value("kind", "run");  // records from before the planning jobs are runs
      if (run->kind != "run" && run->kind != "allocation" && run->kind != "front") throw std::runtime_error("bad kind");
      run->request = meta.value("request", nlohmann::json::object());
      run->scenario = meta.at("scenario").get<std::string>();
      run->set = meta.at("set");
      RunStatus status = RunStatus::failed;
      if (!parse_status(meta.at("status").get<std::string>(), status)) throw std::runtime_error("bad status");
      run->status = status;
      run->error = meta.value("error", "");
      run->created = meta.value("created", "");
      run->started = meta.value("started", "");
      run->finished = meta.value("finished", "");
      run->seed = meta.value("seed", uint64_t{0});
      run->days = meta.value("days", 0);
      run->replicates = meta.value("replicates", 0);
      run->residents_estimate = meta.value("residents_estimate", 0.0);
    } catch (const std::exception& e) {
      // meta.json is written atomically, so this is a directory someone else left or edited.
      notes_.push_back("skipped " + meta_path + ": not a workbench run record (" + e.what() + ")");
      continue;
    }
    // Files a run cut short left behind (HDF5's OUT.partial, our .tmp): never complete.
    for (const auto& f : fs::directory_iterator(entry.path(), ec)) {
      const std::string name = f.path().filename().string();
      if (name.ends_with(".partial") || name.ends_with(".tmp")) fs::remove(f.path(), ec);
    }
    if (run->status == RunStatus::running) {
      run->status = RunStatus::failed;
      run->error = "interrupted: the server stopped during the run (start it again from the form)";
      run->finished = utc_now();
      save(*run);
      notes_.push_back("run " + id + " was running when the server stopped: marked failed");
    }
    if (run->status == RunStatus::done) {
      run->progress = 1;
      const std::vector<std::string> files = run->kind == "run"
          ? std::vector<std::string>{"output.h5", "summary.json", "replicates.json", "communities.json"}
          : std::vector<std::string>{"result.json"};
      for (const std::string& name : files)
        if (!fs::is_regular_file(entry.path() / name, ec)) {
          // Someone removed part of a finished run: it is listed as failed rather than served broken.
          run->status = RunStatus::failed;
          run->error = "the " + run->kind + "'s file " + name + " is missing from " + entry.path().string();
          save(*run);
          notes_.push_back("run " + id + ": " + run->error);
          break;
        }
    }
    if (run->status == RunStatus::queued) pending_.push_back(run);
    runs_[id] = run;
  }
  if (ec) throw RuntimeFailure("cannot list " + data_dir_ + "/runs: " + ec.message());
  std::sort(pending_.begin(), pending_.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
}

std::string RunStore::run_dir(const std::string& id) const { return data_dir_ + "/runs/" + id; }

nlohmann::json RunStore::meta_json(const RunRecord& run) const {
  return nlohmann::json{{"id", run.id},
                        {"kind", run.kind},
                        {"request", run.request},
                        {"scenario", run.scenario},
                        {"set", run.set},
                        {"status", run_status_name(run.status)},
                        {"error", run.error},
                        {"created", run.created},
                        {"started", run.started},
                        {"finished", run.finished},
                        {"seed", run.seed},
                        {"days", run.days},
                        {"replicates", run.replicates},
                        {"residents_estimate", run.residents_estimate}};
}

void RunStore::save(const RunRecord& run) const {
  write_file_atomically(file(run.id, "meta.json"), meta_json(run).dump(2) + "\n");
}

std::shared_ptr<RunRecord> RunStore::create(const std::string& scenario, const nlohmann::json& set, uint64_t seed,
                                            int days, int replicates, double residents_estimate,
                                            const std::string& kind, const nlohmann::json& request) {
  auto run = std::make_shared<RunRecord>();
  run->kind = kind;
  run->request = request;
  run->scenario = scenario;
  run->set = set;
  run->seed = seed;
  run->days = days;
  run->replicates = replicates;
  run->residents_estimate = residents_estimate;
  run->created = utc_now();
  std::lock_guard<std::mutex> lock(mutex_);
  char id[16];
  std::snprintf(id, sizeof id, "%06d", next_id_);
  if (next_id_ > 999999) throw RuntimeFailure("the data directory holds 999,999 runs: start a new one with --data");
  run->id = id;
  std::error_code ec;
  fs::create_directory(run_dir(run->id), ec);
  if (ec) throw RuntimeFailure("cannot create " + run_dir(run->id) + ": " + ec.message());
  save(*run);
  ++next_id_;
  runs_[run->id] = run;
  return run;
}

std::shared_ptr<RunRecord> RunStore::find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = runs_.find(id);
  return it == runs_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<RunRecord>> RunStore::all() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<RunRecord>> out;
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) out.push_back(it->second);
  return out;
}

std::vector<std::shared_ptr<RunRecord>> RunStore::all(const std::string& kind) const {
  std::vector<std::shared_ptr<RunRecord>> out = all();
  std::erase_if(out, [&](const auto& run) { return run->kind != kind; });
  return out;
}

std::vector<std::shared_ptr<RunRecord>> RunStore::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_;
}

// A status change is written to meta.json first (outside the lock: status requests must not wait
// for an fsync), then made visible. Only the run's worker changes a run after it is created.
void RunStore::transition(RunRecord& run, RunStatus status, const std::string& error) {
  nlohmann::json meta;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    meta = meta_json(run);
  }
  const std::string now = utc_now();
  meta["status"] = run_status_name(status);
  meta[status == RunStatus::running ? "started" : "finished"] = now;
  if (status == RunStatus::failed) meta["error"] = error;
  try {
    write_file_atomically(file(run.id, "meta.json"), meta.dump(2) + "\n");
  } catch (const std::exception&) {
    // A failure is shown even when the disk refuses its record (full?): a restart then finds the
    // run `running` and marks it interrupted. Other transitions must be on disk first.
    if (status != RunStatus::failed) throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  run.status = status;
  (status == RunStatus::running ? run.started : run.finished) = now;
  if (status == RunStatus::failed) run.error = error;
  if (status == RunStatus::running) run.phase = 1;
  if (status == RunStatus::done) run.progress = 1;
}

nlohmann::json RunStore::to_json(const RunRecord& run) const {
  nlohmann::json j;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    j = meta_json(run);
  }
  const int phase = run.phase.load();
  j["progress"] = run.status == RunStatus::done ? 1.0 : run.progress.load();
  if (run.status == RunStatus::running) j["phase"] = phase == 2 ? "writing" : "simulating";
  if (run.status != RunStatus::failed) j["error"] = nullptr;
  return j;
}

}  // namespace commsim::serve
