// The study runner (see runner.hpp). One code path writes the file (rank 0, or the only process);
// runs are computed either in the same process, in order, or by MPI worker ranks that ask rank 0
// for the next run whenever they finish one (dynamic scheduling: runs differ in cost).
#include "sim/study/runner.hpp"

#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "commsim/version.hpp"
#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/metrics/result_schema.hpp"

#ifdef COMMSIM_WITH_MPI
#include <mpi.h>
#endif

namespace commsim {

namespace {

using Clock = std::chrono::steady_clock;

std::string run_group(int run) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/runs/%04d", run);
  return buf;
}

std::string bookkeeping_group(int run) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "/study/bookkeeping/runs/%04d", run);
  return buf;
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

RunResult compute_run(const StudyPlan& plan, int run) {
  return run_replicate(plan.scenarios[static_cast<size_t>(plan.variant_of(run))], plan.replicate_of(run));
}

bool all_numeric(const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (v.empty()) return false;
    char* end = nullptr;
    std::strtod(v.c_str(), &end);
    if (*end != '\0') return false;
  }
  return true;
}

void write_axis_table(Hdf5Output& out, const std::string& group, const std::string& key,
                      const std::vector<std::string>& values, const char* description) {
  if (all_numeric(values)) {
    std::vector<double> numbers;
    for (const auto& v : values) numbers.push_back(std::strtod(v.c_str(), nullptr));
    out.write_table(group, key, numbers, "", description);
  } else {
    out.write_table(group, key, values, description);
  }
}

// The variant table: written when the file is created (so a partial file says what it holds).
void write_variant_table(Hdf5Output& out, const StudyPlan& plan) {
  std::vector<std::string> names, overrides, yaml;
  std::vector<uint64_t> seeds;
  for (size_t v = 0; v < plan.scenarios.size(); ++v) {
    names.push_back(plan.study.variants[v].name);
    std::string o;
    for (const auto& s : plan.study.variants[v].overrides()) o += (o.empty() ? "" : "\n") + s;
    overrides.push_back(o);
    yaml.push_back(plan.scenarios[v].resolved_yaml);
    seeds.push_back(plan.scenarios[v].run.seed);
  }
  out.write_table("/study/variants", "name", names, "variant name (axis=value, ...)");
  out.write_table("/study/variants", "overrides", overrides, "the variant's key.path=value overrides of the base, one per line");
  out.write_table("/study/variants", "scenario_yaml", yaml, "the variant's fully resolved scenario (replay reloads it)");
  out.write_table("/study/variants", "seed", seeds, "1", "run.seed of the variant (equal for all variants unless independent streams)");
  for (const auto& axis : plan.study.axes) {
    std::vector<std::string> values;
    for (const auto& variant : plan.study.variants) {
      std::string value;
      for (const auto& [key, val] : variant.values)
        if (key == axis.key) value = val;
      values.push_back(value);
    }
    write_axis_table(out, "/study/variants/axes", axis.key, values, "the variant's value of this scenario key");
  }
}

void write_run_table(Hdf5Output& out, const StudyPlan& plan) {
  const int runs = plan.runs();
  std::vector<int64_t> variant, replicate;
  std::vector<uint64_t> seed, status;
  for (int i = 0; i < runs; ++i) {
    variant.push_back(plan.variant_of(i));
    replicate.push_back(plan.replicate_of(i));
    seed.push_back(plan.scenarios[static_cast<size_t>(plan.variant_of(i))].run.seed);
    status.push_back(1);
  }
  out.write_table("/study", "variant", variant, "1", "variant index of run i (/runs/NNNN, i = variant * replicates + replicate)");
  out.write_table("/study", "replicate", replicate, "1", "replicate of run i");
  out.write_table("/study", "seed", seed, "1", "run.seed of run i");
  out.write_table("/study", "status", status, "1", "1 = run i completed (a committed file has every run completed)");
  for (const auto& axis : plan.study.axes) {
    std::vector<std::string> values;
    for (int i = 0; i < runs; ++i) {
      std::string value;
      for (const auto& [key, val] : plan.study.variants[static_cast<size_t>(plan.variant_of(i))].values)
        if (key == axis.key) value = val;
      values.push_back(value);
    }
    write_axis_table(out, "/study/axes", axis.key, values, "run i's value of this scenario key");
  }
}

void write_summary(Hdf5Output& out, const StudySummary& s) {
  out.write_attribute("/study/summary", "base_variant", static_cast<int64_t>(s.base_variant));
  out.write_attribute("/study/summary", "paired", static_cast<int64_t>(s.paired ? 1 : 0));
  out.write_attribute("/study/summary", "confidence", s.confidence);
  out.write_table("/study/summary", "service_names", s.services, "the service axis of every summary dataset");
  out.write_table("/study/summary", "variant_names", s.variant_names, "the variant axis of every summary dataset");
  const uint64_t nv = s.variant_names.size(), ns = s.services.size();
  for (const auto& m : s.metrics) {
    std::vector<double> mean, hw, dmean, dhw, uhw;
    for (size_t v = 0; v < nv; ++v)
      for (size_t k = 0; k < ns; ++k) {
        mean.push_back(m.value[v][k].mean);
        hw.push_back(m.value[v][k].half_width);
        dmean.push_back(m.diff[v][k].mean);
        dhw.push_back(m.diff[v][k].half_width);
        uhw.push_back(m.diff_unpaired_half_width[v][k]);
      }
    const std::string g = "/study/summary/" + m.metric;
    out.write_table(g, "mean", mean, "", "mean over replicates [variant, service]", {nv, ns});
    out.write_table(g, "half_width", hw, "", "confidence half-width of the mean [variant, service]", {nv, ns});
    out.write_table(g, "diff_mean", dmean, "", "mean of per-replicate differences to the base variant", {nv, ns});
    out.write_table(g, "diff_half_width", dhw, "", "confidence half-width of the per-replicate differences", {nv, ns});
    out.write_table(g, "diff_unpaired_half_width", uhw, "",
                    "half-width of the difference of means as if unpaired (Welch, df = 2 reps - 2)", {nv, ns});
  }
}

// Writes run `run` and marks it complete (the attribute written last), then flushes.
void commit_run(Hdf5Output& out, const StudyPlan& plan, int run, const RunResult& result, double wall_s, int rank,
                const std::string& host) {
  const std::string b = bookkeeping_group(run);
  out.write_attribute(b, "wall_s", wall_s);
  out.write_attribute(b, "rank", static_cast<int64_t>(rank));
  out.write_attribute(b, "host", host);
  const std::string g = run_group(run);
  out.write_run(g, result);
  const int v = plan.variant_of(run);
  out.write_attribute(g, "variant", static_cast<int64_t>(v));
  out.write_attribute(g, "variant_name", plan.study.variants[static_cast<size_t>(v)].name);
  out.write_attribute(g, "complete", static_cast<int64_t>(1));
  out.flush();
}

std::vector<std::string> service_names(const StudyPlan& plan) {
  std::vector<std::string> names;
  for (const auto& s : plan.scenarios.front().services) names.push_back(s.name);
  return names;
}

// The writer's state: output file, which runs are done, their metric values.
struct Writer {
  const StudyPlan& plan;
  const StudyRunOptions& options;
  std::unique_ptr<Hdf5Output> out;
  std::vector<std::vector<double>> values;
  std::vector<int> pending;
  int done = 0, resumed = 0, computed = 0, abort_after = -1;

  Writer(const StudyPlan& p, const StudyRunOptions& o) : plan(p), options(o) {
    if (const char* env = std::getenv(kAbortAfterEnv)) abort_after = std::atoi(env);
  }

  void open() {
    const int runs = plan.runs();
    values.assign(static_cast<size_t>(runs), {});
    if (options.resume) {
      out = Hdf5Output::reopen_partial(options.output, options.force);
      out->keep_partial_on_close();  // whatever happens now, the finished runs stay resumable
      const bool same = out->has_attribute("/", "study_hash") && out->string_attribute("/", "study_hash") == plan.hash;
      if (!same)
        throw InputError(SourcePos{plan.study.file, 0, 0}, "--resume",
                         "study file changed since the interrupted run; rerun without --resume (or with --force)");
      for (int i = 0; i < runs; ++i) {
        const std::string g = run_group(i);
        if (out->has_attribute(g, "complete")) {
          std::vector<double> v;
          for (const auto& m : plan.study.metrics) {
            const auto column = out->read_doubles(g + "/citywide/services/" + m);
            v.insert(v.end(), column.begin(), column.end());
          }
          values[static_cast<size_t>(i)] = std::move(v);
          ++resumed;
          ++done;
        } else {
          out->remove(g);  // cut short by the crash: redo
          out->remove(bookkeeping_group(i));
          pending.push_back(i);
        }
      }
      out->flush();
    } else {
      out = std::make_unique<Hdf5Output>(options.output, options.force);
      out->keep_partial_on_close();
      Provenance p{plan.study.name, plan.base.resolved_yaml, plan.study.base_file, plan.base.run.seed,
                   kVersion,        kGitCommit,              options.canonical_command};
      p.kind = "study";
      out->write_provenance(p);
      out->write_attribute("/", "study_file", plan.study.file);
      out->write_attribute("/", "study_yaml", plan.study.text);
      out->write_attribute("/", "study_hash", plan.hash);
      out->write_attribute("/study", "design", plan.study.design);
      out->write_attribute("/study", "variants", static_cast<int64_t>(plan.scenarios.size()));
      out->write_attribute("/study", "replicates", static_cast<int64_t>(plan.study.replicates));
      out->write_attribute("/study", "runs", static_cast<int64_t>(runs));
      out->write_attribute("/study", "base_variant", static_cast<int64_t>(plan.base_variant));
      out->write_attribute("/study", "independent_streams", static_cast<int64_t>(plan.independent_streams ? 1 : 0));
      write_variant_table(*out, plan);
      out->flush();
      for (int i = 0; i < runs; ++i) pending.push_back(i);
    }
    if (options.progress) options.progress(done, runs, resumed);
  }

  void accept(int run, const RunResult& result, double wall_s, int rank, const std::string& host) {
    commit_run(*out, plan, run, result, wall_s, rank, host);
    values[static_cast<size_t>(run)] = run_metric_values(result, plan.study.metrics);
    ++done;
    ++computed;
    if (abort_after >= 0 && computed >= abort_after) std::_Exit(99);
    if (options.progress) options.progress(done, plan.runs(), resumed);
  }

  StudySummary finish(int ranks) {
    const int runs = plan.runs();
    write_run_table(*out, plan);
    StudySummary summary = summarize_study(plan, service_names(plan), values);
    write_summary(*out, summary);
    std::vector<double> wall;
    std::vector<int64_t> rank;
    std::vector<std::string> host;
    for (int i = 0; i < runs; ++i) {
      const std::string b = bookkeeping_group(i);
      wall.push_back(out->double_attribute(b, "wall_s"));
      rank.push_back(out->int_attribute(b, "rank"));
      host.push_back(out->string_attribute(b, "host"));
    }
    const std::string g = "/study/bookkeeping";
    out->write_table(g, "wall_s", wall, "s", "wall time of run i (differs between executions: excluded from comparisons)");
    out->write_table(g, "rank", rank, "1", "MPI rank that computed run i (0 without MPI)");
    out->write_table(g, "host", host, "host that computed run i");
    out->write_attribute(g, "command_line", options.command_line);
    out->write_attribute(g, "ranks", static_cast<int64_t>(ranks));
    out->commit();
    return summary;
  }
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void run_serial(const StudyPlan& plan, const StudyRunOptions& options, int threads, StudyOutcome& outcome) {
  Writer writer(plan, options);
  std::optional<tbb::global_control> limit;
  if (threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  outcome.threads = threads;
  writer.open();
  const std::string host = host_name();
  for (int run : writer.pending) {
    const auto t = Clock::now();
    const RunResult result = compute_run(plan, run);
    writer.accept(run, result, seconds_since(t), 0, host);
  }
  outcome.summary = writer.finish(1);
  outcome.runs_resumed = writer.resumed;
  outcome.runs_computed = writer.computed;
  outcome.run_values = writer.values;
}

#ifdef COMMSIM_WITH_MPI
bool launched_by_mpi() {
  if (const char* off = std::getenv("COMMSIM_NO_MPI"); off && *off && std::strcmp(off, "0") != 0) return false;
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(name)) return true;
  return false;
}

constexpr int kTagReady = 1, kTagJob = 2, kTagResult = 3, kTagError = 4;

struct MpiSession {
  int rank = 0, size = 1, local_size = 1;
  MpiSession() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_size);
    MPI_Comm_free(&local);
  }
  ~MpiSession() { MPI_Finalize(); }
};

// Result message: [int64 run][double wall_s][uint64 host length][host][serialized RunResult].
std::vector<uint8_t> pack_result(int run, double wall_s, const std::string& host, const RunResult& result) {
  std::vector<uint8_t> bytes(8 + 8 + 8 + host.size());
  const int64_t r = run;
  const uint64_t n = host.size();
  std::memcpy(bytes.data(), &r, 8);
  std::memcpy(bytes.data() + 8, &wall_s, 8);
  std::memcpy(bytes.data() + 16, &n, 8);
  std::memcpy(bytes.data() + 24, host.data(), host.size());
  const std::vector<uint8_t> body = serialize_run(result);
  bytes.insert(bytes.end(), body.begin(), body.end());
  return bytes;
}

void send_bytes(const std::vector<uint8_t>& bytes, int tag) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    throw RuntimeFailure("a run's results exceed 2 GiB, too large for one MPI message (set run.daily_output: false)");
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0, tag, MPI_COMM_WORLD);
}

void worker_loop(const StudyPlan& plan, int rank) {
  const std::string host = host_name();
  MPI_Send(nullptr, 0, MPI_BYTE, 0, kTagReady, MPI_COMM_WORLD);
  while (true) {
    int run = -1;
    MPI_Recv(&run, 1, MPI_INT, 0, kTagJob, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (run < 0) return;
    try {
      const auto start = Clock::now();
      const RunResult result = compute_run(plan, run);
      send_bytes(pack_result(run, seconds_since(start), host, result), kTagResult);
    } catch (const std::exception& e) {
      const std::string message = "rank " + std::to_string(rank) + ", run " + std::to_string(run) + ": " + e.what();
      send_bytes(std::vector<uint8_t>(message.begin(), message.end()), kTagError);
    }
  }
}

void coordinate(Writer& writer, int ranks) {
  size_t next = 0;
  int active = ranks - 1;
  std::vector<uint8_t> buffer;
  while (active > 0) {
    MPI_Status status;
    MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    buffer.resize(static_cast<size_t>(count));
    MPI_Recv(buffer.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (status.MPI_TAG == kTagError) {
      std::fprintf(stderr, "commsim: failure: %s\n", std::string(buffer.begin(), buffer.end()).c_str());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (status.MPI_TAG == kTagResult) {
      int64_t run = 0;
      double wall = 0;
      uint64_t n = 0;
      if (buffer.size() < 24) throw RuntimeFailure("malformed result message from rank " + std::to_string(status.MPI_SOURCE));
      std::memcpy(&run, buffer.data(), 8);
      std::memcpy(&wall, buffer.data() + 8, 8);
      std::memcpy(&n, buffer.data() + 16, 8);
      if (buffer.size() < 24 + n) throw RuntimeFailure("malformed result message from rank " + std::to_string(status.MPI_SOURCE));
      const std::string host(reinterpret_cast<const char*>(buffer.data() + 24), n);
      const RunResult result = deserialize_run(buffer.data() + 24 + n, buffer.size() - 24 - n);
      writer.accept(static_cast<int>(run), result, wall, status.MPI_SOURCE, host);
    }
    int job = -1;
    if (next < writer.pending.size()) job = writer.pending[next++];
    else --active;
    MPI_Send(&job, 1, MPI_INT, status.MPI_SOURCE, kTagJob, MPI_COMM_WORLD);
  }
}
#endif

}  // namespace

StudyOutcome run_study(const StudyPlan& plan, const StudyRunOptions& options) {
  StudyOutcome outcome;
  outcome.runs_total = plan.runs();
  const auto start = Clock::now();
  int threads = options.threads > 0 ? options.threads : plan.base.run.threads;

#ifdef COMMSIM_WITH_MPI
  if (launched_by_mpi()) {
    MpiSession mpi;
    outcome.ranks = mpi.size;
    if (mpi.size > 1) {
      // Never oversubscribe: the ranks on one node share its cores (rank 0 mostly writes).
      if (options.threads <= 0) {
        const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        threads = std::max(1, cores / std::max(1, mpi.local_size));
      }
      outcome.threads = threads;
      std::optional<tbb::global_control> limit;
      limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
      // Rank 0 opens (or resumes) the file first; every rank learns whether that worked.
      std::optional<Writer> writer;
      std::exception_ptr setup_error;
      int ok = 1;
      if (mpi.rank == 0) {
        try {
          writer.emplace(plan, options);
          writer->open();
        } catch (...) {
          setup_error = std::current_exception();
          ok = 0;
        }
      }
      MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
      if (!ok) {
        if (setup_error) std::rethrow_exception(setup_error);
        outcome.writer = false;
        return outcome;
      }
      if (mpi.rank != 0) {
        worker_loop(plan, mpi.rank);
        outcome.writer = false;
        return outcome;
      }
      try {
        coordinate(*writer, mpi.size);
        outcome.summary = writer->finish(mpi.size);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "commsim: failure: %s\n", e.what());
        MPI_Abort(MPI_COMM_WORLD, dynamic_cast<const InputError*>(&e) ? 2 : 1);
      }
      outcome.runs_resumed = writer->resumed;
      outcome.runs_computed = writer->computed;
      outcome.run_values = writer->values;
      outcome.wall_s = seconds_since(start);
      return outcome;
    }
    // One rank: as without MPI.
    run_serial(plan, options, threads, outcome);
    outcome.wall_s = seconds_since(start);
    return outcome;
  }
#endif

  run_serial(plan, options, threads, outcome);
  outcome.wall_s = seconds_since(start);
  return outcome;
}

}  // namespace commsim
