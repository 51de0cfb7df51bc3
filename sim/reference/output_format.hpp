// docs/output-format.md, generated from the results schema: the run tables (sim/metrics), the study
// tables (sim/study), the sensitivity tables (sim/study/sensitivity_study.hpp) and the tables of
// `commsim curve`, `commsim headroom` (sim/curve) and `commsim run --uncertainty` (sim/uncertainty).
// A module of its own above them all, so that none of them depends on another for its docs.
#pragma once
#include <string>
#include <vector>

namespace commsim {

// docs/output-format.md (a test checks the committed file).
std::string output_format_markdown();

// Every object the format documents, as (path pattern, kind) with kind "dataset" or "attribute";
// patterns use {run} for a run group's name. The output-format test compares these, as listed in
// docs/output-format.md, with what files really contain.
struct DocumentedObject {
  std::string path, kind;
};
std::vector<DocumentedObject> documented_objects();

}  // namespace commsim
