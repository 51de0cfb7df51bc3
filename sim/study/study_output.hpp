// What a study file stores besides its runs, as result tables (sim/metrics/table.hpp): the study's
// facts, the variant table, the run table, the paired summary and the bookkeeping of who computed
// what. Written by the study runner through these tables; docs/output-format.md is generated from
// them and the run tables (output_format_markdown). No HDF5 object is named after data: axis keys,
// metrics, variants and services are entries of `*_names` datasets.
#pragma once
#include <string>
#include <vector>

#include "sim/io/hdf5_output.hpp"
#include "sim/metrics/table.hpp"
#include "sim/study/study.hpp"
#include "sim/study/summary.hpp"

namespace commsim {

// Root attributes a study adds to the provenance.
struct StudyFileFacts {
  std::string study_file, study_yaml, study_hash;
};
// Attributes of /study.
struct StudyFacts {
  std::string design;
  int64_t variants = 0, replicates = 0, runs = 0, base_variant = 0;
  bool independent_streams = false;
};
struct StudyVariantRow {
  std::string name, overrides, scenario_yaml;
  uint64_t seed = 0;
  std::vector<std::string> axis_values;  // per study axis: the YAML text ("" = not set)
  std::vector<double> axis_numbers;      // the same as numbers (NaN when not a number)
};
struct StudyRunRow {
  int64_t variant = 0, replicate = 0;
  uint64_t seed = 0, status = 0;
  std::vector<std::string> axis_values;
  std::vector<double> axis_numbers;
};
// One cell (metric, variant, service) of the paired summary.
struct StudySummaryCell {
  double mean = 0, half_width = 0, diff_mean = 0, diff_half_width = 0, diff_unpaired_half_width = 0;
};
struct StudySummaryFacts {
  int64_t base_variant = 0;
  bool paired = true;
  double confidence = 0.95;
};
// Per run, written as it completes (attributes of /study/bookkeeping/runs/NNNN while the study
// runs; gathered into the /study/bookkeeping table at the end).
struct RunBookkeeping {
  double wall_s = 0;
  int64_t rank = 0;
  std::string host;
};
struct BookkeepingFacts {
  std::string command_line;
  int64_t ranks = 1;
};
// Attributes a study adds to each of its run groups /runs/NNNN.
struct StudyRunGroupFacts {
  int64_t variant = 0;
  std::string variant_name;
  int64_t complete = 1;
};

const Table<StudyFileFacts>& study_file_table();      // attributes of /
const Table<StudyFacts>& study_facts_table();         // attributes of /study
const Table<StudyVariantRow>& study_variant_table();  // /study/variants   (variants[, study_axes])
const Table<StudyRunRow>& study_run_table();          // /study            (runs[, study_axes])
const Table<StudySummaryFacts>& study_summary_facts_table();  // attributes of /study/summary
const Table<StudySummaryCell>& study_summary_table(); // /study/summary    (metrics, variants, services)
const Table<RunBookkeeping>& run_bookkeeping_table(); // /study/bookkeeping (runs); per-run attributes
const Table<BookkeepingFacts>& bookkeeping_facts_table();  // attributes of /study/bookkeeping
const Table<StudyRunGroupFacts>& study_run_group_table();  // attributes of /runs/NNNN

// Writers used by the runner.
void write_study_header(Hdf5Output& out, const StudyPlan& plan);  // facts + variant table (at creation)
void write_study_runs(Hdf5Output& out, const StudyPlan& plan);    // run table (at the end)
void write_study_summary(Hdf5Output& out, const StudySummary& summary);
void write_study_bookkeeping(Hdf5Output& out, const std::vector<RunBookkeeping>& runs, const BookkeepingFacts& facts);

// docs/output-format.md, generated from the run and study tables (a test checks the committed file).
std::string output_format_markdown();

// Every object the format documents, as (path pattern, kind) with kind "dataset" or "attribute";
// patterns use {run} for a run group's name. The output-format test compares these, as listed in
// docs/output-format.md, with what files really contain.
struct DocumentedObject {
  std::string path, kind;
};
std::vector<DocumentedObject> documented_objects();

}  // namespace commsim
