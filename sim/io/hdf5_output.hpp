// HDF5 output: the only module that includes HDF5 headers. One file per run or study.
// A file is written under a temporary name beside the target ("OUT.h5.partial") and renamed to
// the target only by commit(), after everything is written and flushed, so a crash never leaves a
// file that looks finished. An existing target is never overwritten unless `force`.
// The layout is documented in docs/output-format.md.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {


class Hdf5Output {
 public:
  // Opens "<path>.partial" for writing. Throws InputError (key "output") if `path` exists and
  // !force, or if the directory is not writable; RuntimeFailure on HDF5 errors.
  Hdf5Output(const std::string& path, bool force);
  ~Hdf5Output();  // without commit(): closes and removes the partial file
  Hdf5Output(const Hdf5Output&) = delete;
  Hdf5Output& operator=(const Hdf5Output&) = delete;

  // Root attributes: provenance of the whole file.
  void write_provenance(const Provenance& provenance);
  // One run under `group` (e.g. "/runs/0000", sim/io/run_group.hpp): communities, totals, daily records, citywide.
  void write_run(const std::string& group, const RunResult& run);
  // Attribute "complete" = 1 on the root, flush, close, rename to the target path.
  void commit();

  const std::string& path() const { return path_; }
  const std::string& partial_path() const { return partial_path_; }

  // ---- Incremental (resumable) writing, used by studies (sim/study/). Object paths are absolute
  // ("/", "/study", "/runs/0003"); attributes on groups that do not exist yet create the group.
  // Opens an existing "<path>.partial" (left by an interrupted writer) for reading and writing.
  // Throws RuntimeFailure naming the file if it is missing or not an HDF5 file; an existing `path`
  // is refused unless `force` (as in the constructor).
  static std::unique_ptr<Hdf5Output> reopen_partial(const std::string& path, bool force);
  void flush();                                           // everything written so far reaches the disk
  // From now on the destructor (without commit()) closes the partial file and keeps it, so an
  // interrupted study can be resumed; the default removes it.
  void keep_partial_on_close();
  bool exists(const std::string& object) const;           // group or dataset
  void remove(const std::string& object);                 // unlink (space is not reclaimed)
  bool has_attribute(const std::string& object, const std::string& name) const;
  void write_attribute(const std::string& object, const std::string& name, const std::string& value);
  void write_attribute(const std::string& object, const std::string& name, int64_t value);
  void write_attribute(const std::string& object, const std::string& name, double value);
  std::string string_attribute(const std::string& object, const std::string& name) const;
  int64_t int_attribute(const std::string& object, const std::string& name) const;
  double double_attribute(const std::string& object, const std::string& name) const;
  // A 1-D (or, with `dims`, N-D row-major) dataset `name` in `group` (created if missing).
  void write_table(const std::string& group, const std::string& name, const std::vector<double>& values,
                   const char* units, const char* description, std::vector<uint64_t> dims = {});
  void write_table(const std::string& group, const std::string& name, const std::vector<int64_t>& values,
                   const char* units, const char* description, std::vector<uint64_t> dims = {});
  void write_table(const std::string& group, const std::string& name, const std::vector<uint64_t>& values,
                   const char* units, const char* description, std::vector<uint64_t> dims = {});
  void write_table(const std::string& group, const std::string& name, const std::vector<std::string>& values,
                   const char* description);
  std::vector<double> read_doubles(const std::string& dataset) const;  // any numeric type, converted
  // One column of a result table (sim/metrics/table.hpp) into `group` (created if missing): a
  // dataset with units, description and axes, replacing one of the same name; or, for
  // `attributes` storage, an attribute of the group.
  void write_column(const std::string& group, const ColumnData& column, Storage storage);

 private:
  struct ReopenTag {};
  Hdf5Output(const std::string& path, bool force, ReopenTag);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_, partial_path_;
};

// What `commsim run -o` writes (and the workbench for each run): the provenance, the replicates as
// /runs/0000, /runs/0001, ..., then commit() (the rename that makes the file complete).
// `facts` (commsim run): ranks, threads and wall time as root attributes.
void write_run_output(Hdf5Output& output, const Scenario& scenario, const std::vector<RunResult>& runs,
                      const std::string& command_line, const RunFileFacts* facts = nullptr);

// Reads a run group back (every stored field of the results schema, sim/metrics/result_schema.hpp;
// the daily records only when `with_daily`). Fields absent from the file keep their defaults.
// Throws RuntimeFailure naming the file if it is not a complete commsim output (e.g. cut short by
// a crash) or has no such group.
RunResult read_run(const std::string& path, const std::string& group, bool with_daily = true);
std::string read_root_string_attribute(const std::string& path, const std::string& name);
bool is_complete_output(const std::string& path);  // false for truncated/partial/non-HDF5 files
// Throws RuntimeFailure naming the file and why it is not a complete commsim output.
void require_complete_output(const std::string& path);

// Generic readers of a finished output file (studies, replay, tests). Numeric datasets are
// converted to the requested type; RuntimeFailure names the file and dataset when missing.
std::vector<std::string> read_string_dataset(const std::string& path, const std::string& dataset);
std::vector<double> read_double_dataset(const std::string& path, const std::string& dataset);
std::vector<int64_t> read_int_dataset(const std::string& path, const std::string& dataset);
// Attribute `name` of `object` as text (string attributes) or as a number printed exactly.
std::string read_attribute_text(const std::string& path, const std::string& object, const std::string& name);

// Every column of a result table into `group` (see Hdf5Output::write_column); `axis_length(name)`
// gives the lengths of the table's axes.
template <class Row, class AxisLength>
void write_result_table(Hdf5Output& out, const std::string& group, const Table<Row>& table, const Row* rows, size_t n,
                        AxisLength axis_length) {
  for_each_column(table, rows, n, axis_length,
                  [&](const ColumnData& c) { out.write_column(group, c, table.storage); });
}

}  // namespace commsim
