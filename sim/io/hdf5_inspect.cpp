// See hdf5_inspect.hpp. Completeness and the provenance strings go through the checked readers of
// hdf5_output.cpp; this file only lists the run groups and reads the numeric seed.
#include "sim/io/hdf5_inspect.hpp"

#include <hdf5.h>

#include <algorithm>

#include "sim/core/error.hpp"
#include "sim/io/hdf5_output.hpp"

namespace commsim {

namespace {

struct Closer {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Closer() {
    if (id >= 0) close(id);
    H5Eclear2(H5E_DEFAULT);
  }
};

herr_t collect_group(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

}  // namespace

StoredOutputSummary read_output_summary(const std::string& path) {
  require_complete_output(path);
  StoredOutputSummary s;
  for (const char* name : {"scenario_name", "scenario_file", "version", "git_commit", "command_line"})
    s.provenance.emplace_back(name, read_root_string_attribute(path, name));
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Closer file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  if (file.id < 0) throw RuntimeFailure("HDF5 output '" + path + "': cannot open the file (it may be cut short)");
  {
    Closer attr{H5Aopen(file.id, "seed", H5P_DEFAULT), H5Aclose};
    if (attr.id < 0 || H5Aread(attr.id, H5T_NATIVE_UINT64, &s.seed) < 0)
      throw RuntimeFailure("HDF5 output '" + path + "': cannot read root attribute 'seed'");
  }
  Closer runs{H5Gopen2(file.id, "/runs", H5P_DEFAULT), H5Gclose};
  if (runs.id < 0) throw RuntimeFailure("HDF5 output '" + path + "': no group '/runs'");
  std::vector<std::string> names;
  if (H5Literate(runs.id, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_group, &names) < 0)
    throw RuntimeFailure("HDF5 output '" + path + "': cannot list the groups under '/runs'");
  std::sort(names.begin(), names.end());
  for (const auto& n : names) s.runs.push_back("/runs/" + n);
  if (s.runs.empty()) throw RuntimeFailure("HDF5 output '" + path + "': no runs under '/runs'");
  return s;
}

}  // namespace commsim
