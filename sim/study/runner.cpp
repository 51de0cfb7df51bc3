// The study runner (see runner.hpp). One code path writes the file (rank 0, or the only process);
// runs are computed either in the same process, in order, or by MPI worker ranks that ask rank 0
// for the next run whenever they finish one (dynamic scheduling: runs differ in cost).
#include "sim/study/runner.hpp"

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
#include "sim/engine/thread_cap.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/run_group.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/study/mpi_session.hpp"
#include "sim/study/study_output.hpp"

#ifdef COMMSIM_WITH_MPI
#include <mpi.h>
#endif

namespace commsim {

namespace {

using Clock = std::chrono::steady_clock;

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

// The input files of each variant, read once (prepared.hpp): a variant's runs share them, and
// variants share what they read from the same files. Adaptive studies add variants as they go.
struct PreparedVariants {
  std::vector<std::shared_ptr<const PreparedInputs>> by_variant;
  const std::shared_ptr<const PreparedInputs>& get(const StudyPlan& plan, size_t v) {
    while (by_variant.size() <= v) {
      const PreparedInputs* like = by_variant.empty() ? nullptr : by_variant.back().get();
      by_variant.push_back(prepare_inputs(plan.scenarios[by_variant.size()], like));
    }
    return by_variant[v];
  }
};

RunResult compute_run(const StudyPlan& plan, int run, PreparedVariants& prepared) {
  const auto v = static_cast<size_t>(plan.variant_of(run));
  RunOptions options;
  options.prepared = prepared.get(plan, v);
  return run_replicate(plan.scenarios[v], plan.replicate_of(run), options);
}

// Writes run `run` and marks it complete (the attribute written last), then flushes.
void commit_run(Hdf5Output& out, const StudyPlan& plan, int run, const RunResult& result, double wall_s, int rank,
                const std::string& host) {
  const RunBookkeeping book{wall_s, rank, host};
  for_each_column(run_bookkeeping_table(), &book, 1, [](const std::string&) { return size_t{1}; },
                  [&](const ColumnData& c) { out.write_column(bookkeeping_group(run), c, Storage::attributes); });
  const std::string g = run_group(run);
  out.write_run(g, result);
  const int v = plan.variant_of(run);
  const StudyRunGroupFacts facts{v, plan.study.variants[static_cast<size_t>(v)].name, 1};
  write_result_table(out, g, study_run_group_table(), &facts, 1, [](const std::string&) { return size_t{0}; });
  out.flush();
}

std::vector<std::string> service_names(const StudyPlan& plan) {
  std::vector<std::string> names;
  for (const auto& s : plan.scenarios.front().services) names.push_back(s.name);
  return names;
}

// The writer's state: output file, which runs are done, their metric (and outcome) values.
// `plan` grows when an adaptive study adds variants (next_round).
struct Writer {
  StudyPlan& plan;
  const StudyRunOptions& options;
  std::unique_ptr<Hdf5Output> out;
  std::vector<std::vector<double>> values;
  std::vector<SensitivityOutcome> outcomes;           // design: morris | sobol
  std::vector<std::vector<double>> outcome_values;    // per run: run_outcome_values
  std::optional<SensitivityResult> sensitivity;
  std::vector<int> pending;
  size_t initial_variants = 0;
  bool rounds_over = false;
  int done = 0, resumed = 0, computed = 0, abort_after = -1;

  Writer(StudyPlan& p, const StudyRunOptions& o) : plan(p), options(o), initial_variants(p.scenarios.size()) {
    if (const char* env = std::getenv(kAbortAfterEnv)) abort_after = std::atoi(env);
    if (plan.study.is_sensitivity()) outcomes = sensitivity_outcomes(plan);
  }

  void open() {
    if (options.resume) {
      out = Hdf5Output::reopen_partial(options.output, options.force);
      out->keep_partial_on_close();  // whatever happens now, the finished runs stay resumable
      const bool same = out->has_attribute("/", "study_hash") && out->string_attribute("/", "study_hash") == plan.hash;
      if (!same)
        throw InputError(SourcePos{plan.study.file, 0, 0}, "--resume",
                         "study file changed since the interrupted run; rerun without --resume (or with --force)");
    } else {
      out = std::make_unique<Hdf5Output>(options.output, options.force);
      out->keep_partial_on_close();
      Provenance p{plan.study.name, plan.base.resolved_yaml, plan.study.base_file, plan.base.run.seed,
                   kVersion,        kGitCommit,              options.canonical_command};
      p.kind = "study";
      out->write_provenance(p);
      write_study_header(*out, plan);
      out->flush();
    }
    adopt(0);
    if (options.progress) options.progress(done, plan.runs(), resumed);
  }

  // Runs from `first` to the plan's end: on resume, those complete in the file are taken as they
  // are (their values read back), the others queued; otherwise all queued.
  void adopt(int first) {
    const int runs = plan.runs();
    values.resize(static_cast<size_t>(runs));
    outcome_values.resize(static_cast<size_t>(runs));
    for (int i = first; i < runs; ++i) {
      const std::string g = run_group(i);
      if (options.resume && out->has_attribute(g, "complete")) {
        std::vector<double> v;
        for (const auto& m : plan.study.metrics) {
          const auto column = out->read_doubles(g + "/citywide/services/" + m);
          v.insert(v.end(), column.begin(), column.end());
        }
        values[static_cast<size_t>(i)] = std::move(v);
        if (!outcomes.empty())
          outcome_values[static_cast<size_t>(i)] = stored_outcome_values(*out, g, outcomes, service_names(plan));
        ++resumed;
        ++done;
      } else {
        if (options.resume) {
          out->remove(g);  // cut short by the crash: redo
          out->remove(bookkeeping_group(i));
        }
        pending.push_back(i);
      }
    }
    if (options.resume) out->flush();
  }

  // Once every run so far is done: the adaptive study's next variants, queued (true), or the end
  // (false; the callback is not asked again).
  bool next_round() {
    while (!rounds_over && options.next_variants) {
      const size_t queued = pending.size();
      const int first = plan.runs();
      const std::vector<StudyVariant> more = options.next_variants(plan, values);
      if (more.empty()) break;
      add_variants(plan, more);
      adopt(first);
      if (options.progress) options.progress(done, plan.runs(), resumed);
      if (pending.size() > queued) return true;  // else every new run was resumed: ask again
    }
    rounds_over = true;
    return false;
  }

  void accept(int run, const RunResult& result, double wall_s, int rank, const std::string& host) {
    commit_run(*out, plan, run, result, wall_s, rank, host);
    values[static_cast<size_t>(run)] = run_metric_values(result, plan.study.metrics);
    if (!outcomes.empty()) outcome_values[static_cast<size_t>(run)] = run_outcome_values(result, outcomes);
    ++done;
    ++computed;
    if (abort_after >= 0 && computed >= abort_after) std::_Exit(99);
    if (options.progress) options.progress(done, plan.runs(), resumed);
  }

  StudySummary finish(int ranks) {
    const int runs = plan.runs();
    if (plan.scenarios.size() != initial_variants) write_study_header(*out, plan);  // variants added
    write_study_runs(*out, plan);
    StudySummary summary = summarize_study(plan, service_names(plan), values);
    write_study_summary(*out, summary);
    if (plan.study.is_sensitivity()) {
      sensitivity = compute_sensitivity(plan, outcomes, outcome_values);
      write_sensitivity(*out, *sensitivity);
    }
    if (options.finish_tables) options.finish_tables(*out, plan, values);
    std::vector<RunBookkeeping> book;
    for (int i = 0; i < runs; ++i) {
      const std::string b = bookkeeping_group(i);
      book.push_back(RunBookkeeping{out->double_attribute(b, "wall_s"), out->int_attribute(b, "rank"),
                                    out->string_attribute(b, "host")});
    }
    write_study_bookkeeping(*out, book, BookkeepingFacts{options.command_line, ranks});
    out->commit();
    return summary;
  }
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void run_serial(StudyPlan& plan, const StudyRunOptions& options, int threads, StudyOutcome& outcome) {
  Writer writer(plan, options);
  const ThreadCap cap(threads);
  outcome.threads = threads;
  writer.open();
  const std::string host = host_name();
  PreparedVariants prepared;  // every planned variant's inputs, read before the first run
  if (!plan.scenarios.empty()) prepared.get(plan, plan.scenarios.size() - 1);
  size_t next = 0;
  do {
    while (next < writer.pending.size()) {
      const int run = writer.pending[next++];
      const auto t = Clock::now();
      const RunResult result = compute_run(plan, run, prepared);
      writer.accept(run, result, seconds_since(t), 0, host);
    }
  } while (writer.next_round());
  outcome.summary = writer.finish(1);
  outcome.runs_resumed = writer.resumed;
  outcome.runs_computed = writer.computed;
  outcome.run_values = writer.values;
  outcome.sensitivity = writer.sensitivity;
  outcome.runs_total = plan.runs();
}

#ifdef COMMSIM_WITH_MPI
using mpi_detail::launched_by_mpi;
using mpi_detail::mpi_session;
using mpi_detail::MpiSession;

constexpr int kTagReady = 1, kTagJob = 2, kTagResult = 3, kTagError = 4, kTagVariants = 5;

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

// Variants an adaptive study added, for the workers: per variant its name and its (key, value)
// pairs, each text as [uint64 length][bytes].
std::vector<uint8_t> pack_variants(const StudyPlan& plan, size_t from) {
  std::vector<uint8_t> bytes;
  auto put = [&bytes](const std::string& text) {
    const uint64_t n = text.size();
    bytes.insert(bytes.end(), reinterpret_cast<const uint8_t*>(&n), reinterpret_cast<const uint8_t*>(&n) + 8);
    bytes.insert(bytes.end(), text.begin(), text.end());
  };
  for (size_t v = from; v < plan.study.variants.size(); ++v) {
    const StudyVariant& variant = plan.study.variants[v];
    put(variant.name);
    put(std::to_string(variant.values.size()));
    for (const auto& [key, value] : variant.values) {
      put(key);
      put(value);
    }
  }
  return bytes;
}

std::vector<StudyVariant> unpack_variants(const std::vector<uint8_t>& bytes) {
  size_t at = 0;
  auto get = [&]() {
    uint64_t n = 0;
    if (bytes.size() - at < 8) throw RuntimeFailure("malformed variants message from rank 0");
    std::memcpy(&n, bytes.data() + at, 8);
    at += 8;
    if (bytes.size() - at < n) throw RuntimeFailure("malformed variants message from rank 0");
    std::string text(reinterpret_cast<const char*>(bytes.data() + at), n);
    at += n;
    return text;
  };
  std::vector<StudyVariant> out;
  while (at < bytes.size()) {
    StudyVariant v;
    v.name = get();
    const long pairs = std::stol(get());
    for (long i = 0; i < pairs; ++i) {
      std::string key = get();
      v.values.emplace_back(std::move(key), get());
    }
    out.push_back(std::move(v));
  }
  return out;
}

void worker_loop(StudyPlan& plan, int rank) {
  const std::string host = host_name();
  PreparedVariants prepared;
  MPI_Send(nullptr, 0, MPI_BYTE, 0, kTagReady, MPI_COMM_WORLD);
  std::vector<uint8_t> buffer;
  while (true) {
    MPI_Status status;
    MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    if (status.MPI_TAG == kTagVariants) {  // an adaptive study's next variants, before their runs
      int count = 0;
      MPI_Get_count(&status, MPI_BYTE, &count);
      buffer.resize(static_cast<size_t>(count));
      MPI_Recv(buffer.data(), count, MPI_BYTE, 0, kTagVariants, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      add_variants(plan, unpack_variants(buffer));
      continue;
    }
    int run = -1;
    MPI_Recv(&run, 1, MPI_INT, 0, kTagJob, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (run < 0) return;
    try {
      const auto start = Clock::now();
      const RunResult result = compute_run(plan, run, prepared);
      send_bytes(pack_result(run, seconds_since(start), host, result), kTagResult);
    } catch (const std::exception& e) {
      const std::string message = "rank " + std::to_string(rank) + ", run " + std::to_string(run) + ": " + e.what();
      send_bytes(std::vector<uint8_t>(message.begin(), message.end()), kTagError);
    }
  }
}

// Hands out runs as workers ask. Idle workers wait while runs are out; when every planned run is
// done an adaptive study may add a round (Writer::next_round), else the idle workers are let go.
void coordinate(Writer& writer, int ranks) {
  size_t next = 0;
  int active = ranks - 1, outstanding = 0;
  std::vector<int> idle;
  std::vector<size_t> variants_known(static_cast<size_t>(ranks), writer.plan.scenarios.size());
  std::vector<uint8_t> buffer;
  auto dispatch = [&](int worker, int job) {
    size_t& known = variants_known[static_cast<size_t>(worker)];
    if (known < writer.plan.study.variants.size()) {
      const std::vector<uint8_t> bytes = pack_variants(writer.plan, known);
      MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, worker, kTagVariants, MPI_COMM_WORLD);
      known = writer.plan.study.variants.size();
    }
    MPI_Send(&job, 1, MPI_INT, worker, kTagJob, MPI_COMM_WORLD);
  };
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
      --outstanding;
    }
    idle.push_back(status.MPI_SOURCE);
    while (true) {
      while (!idle.empty() && next < writer.pending.size()) {
        dispatch(idle.back(), writer.pending[next++]);
        idle.pop_back();
        ++outstanding;
      }
      if (next < writer.pending.size() || outstanding > 0) break;  // wait for a result
      if (writer.next_round()) continue;
      for (int worker : idle) dispatch(worker, -1);
      active -= static_cast<int>(idle.size());
      idle.clear();
      break;
    }
  }
}
#endif

}  // namespace

std::vector<double> share_from_writer(std::vector<double> values) {
#ifdef COMMSIM_WITH_MPI
  if (!launched_by_mpi()) return values;
  MpiSession& mpi = mpi_session();
  if (mpi.size == 1) return values;
  uint64_t n = values.size();
  MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  values.resize(n);
  if (n > 0) MPI_Bcast(values.data(), static_cast<int>(n), MPI_DOUBLE, 0, MPI_COMM_WORLD);
#endif
  return values;
}

bool study_writer() {
#ifdef COMMSIM_WITH_MPI
  if (launched_by_mpi()) return mpi_session().rank == 0;
#endif
  return true;
}

int study_rank() {
#ifdef COMMSIM_WITH_MPI
  if (launched_by_mpi()) return mpi_session().rank;
#endif
  return 0;
}

int study_ranks() {
#ifdef COMMSIM_WITH_MPI
  if (launched_by_mpi()) return mpi_session().size;
#endif
  return 1;
}

std::vector<double> sum_over_ranks(std::vector<double> values) {
#ifdef COMMSIM_WITH_MPI
  if (study_ranks() > 1 && !values.empty())
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#endif
  return values;
}

StudyOutcome run_study(const StudyPlan& planned, const StudyRunOptions& options) {
  StudyPlan plan = planned;  // an adaptive study adds variants to its own copy, on every rank
  StudyOutcome outcome;
  const auto start = Clock::now();
  int threads = options.threads > 0 ? options.threads : plan.base.run.threads;

#ifdef COMMSIM_WITH_MPI
  if (launched_by_mpi()) {
    MpiSession& mpi = mpi_session();
    outcome.ranks = mpi.size;
    if (mpi.size > 1) {
      // Never oversubscribe: the ranks on one node share its cores (rank 0 mostly writes).
      if (options.threads <= 0) {
        const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        threads = std::max(1, cores / std::max(1, mpi.local_size));
      }
      outcome.threads = threads;
      const ThreadCap cap(threads);
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
      outcome.sensitivity = writer->sensitivity;
      outcome.runs_total = plan.runs();
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
