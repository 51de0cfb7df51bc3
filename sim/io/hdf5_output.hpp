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
#include "sim/scenario/scenario.hpp"

namespace commsim {

struct Provenance {
  std::string scenario_name;
  std::string scenario_yaml;  // fully resolved scenario
  std::string scenario_file;
  uint64_t seed = 0;
  std::string version;        // program version
  std::string git_commit;
  std::string command_line;
};

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
  // One run under `group` (e.g. "/runs/r0000"): communities, totals, daily records, citywide.
  void write_run(const std::string& group, const RunResult& run);
  // Attribute "complete" = 1 on the root, flush, close, rename to the target path.
  void commit();

  const std::string& path() const { return path_; }
  const std::string& partial_path() const { return partial_path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_, partial_path_;
};

// Reads back the citywide table of a run group (for replay and tests). Throws RuntimeFailure
// naming the file if it is not a complete commsim output (e.g. cut short by a crash).
struct StoredCitywide {
  std::vector<std::string> service_names;
  std::vector<uint64_t> demand, served, served_in_time, unmet;
  std::vector<double> coverage, mean_wait_min, p90_wait_min;
};
StoredCitywide read_citywide(const std::string& path, const std::string& group);
std::string read_root_string_attribute(const std::string& path, const std::string& name);
bool is_complete_output(const std::string& path);  // false for truncated/partial/non-HDF5 files

}  // namespace commsim
