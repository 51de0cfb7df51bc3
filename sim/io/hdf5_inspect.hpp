// Reading back what a commsim output file holds, for `commsim inspect` (issue 9): its provenance
// and the list of its run groups. HDF5 stays inside sim/io/.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace commsim {

struct StoredOutputSummary {
  std::vector<std::pair<std::string, std::string>> provenance;  // root string attributes, in file order of the format
  uint64_t seed = 0;
  std::vector<std::string> runs;  // run groups, e.g. "/runs/0000", sorted
};

// Throws RuntimeFailure naming the file and why when it is missing, not HDF5, cut short, still
// ".partial" (no 'complete' attribute) or not a commsim output.
StoredOutputSummary read_output_summary(const std::string& path);

}  // namespace commsim
