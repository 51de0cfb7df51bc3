// What a study file stores besides its runs, as result tables (sim/metrics/table.hpp): the study's
// facts, the variant table, the run table, the paired summary and the bookkeeping of who computed
// what. Written by the study runner through these tables; docs/output-format.md is generated from
// them and the run tables (sim/reference/output_format.hpp). No HDF5 object is named after data: axis keys,
// metrics, variants and services are entries of `*_names` datasets.
#pragma once
#include <string>
#include <vector>

#include "sim/io/hdf5_output.hpp"
#include "sim/metrics/result_schema.hpp"
#include "sim/study/study.hpp"
#include "sim/study/summary.hpp"

namespace commsim {

// Writers used by the runner.
void write_study_header(Hdf5Output& out, const StudyPlan& plan);  // facts + variant table (at creation)
void write_study_runs(Hdf5Output& out, const StudyPlan& plan);    // run table (at the end)
void write_study_summary(Hdf5Output& out, const StudySummary& summary);
void write_study_bookkeeping(Hdf5Output& out, const std::vector<RunBookkeeping>& runs, const BookkeepingFacts& facts);

}  // namespace commsim
