// The results schema: one field table per result struct — run attributes, communities, run totals
// per community and service / role, citywide services and roles, daily records, wait histograms,
// years — each field with its name, unit, description and how to read it (table.hpp). It is the
// only description of what a run outputs: the HDF5 writer and readers (sim/io), the MPI
// serialisation (sim/study/serialize), --summary-json (sim/io/summary_json), the golden hash of
// the determinism tests and docs/output-format.md are generated from these tables. Adding an
// output field is one row in result_schema.cpp plus the code that computes it.
#pragma once
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/metrics/table.hpp"

namespace commsim {

const Table<RunResult>& run_table();                   // attributes of the run group
const Table<CommunityInfo>& community_table();         // communities/         (communities)
const Table<ServiceTotals>& service_totals_table();    // totals/              (communities, services)
const Table<RoleTotals>& role_totals_table();          // totals/              (communities, roles)
const Table<CitywideService>& citywide_service_table();// citywide/services/   (services)
const Table<CitywideRole>& citywide_role_table();      // citywide/roles/      (roles)
const Table<DailyRecords>& daily_service_table();      // daily/               (communities, days, services)
const Table<DailyRecords>& daily_role_table();         // daily/               (communities, days, roles)
const Table<WaitHistogram>& wait_histogram_table();    // wait_histogram       (services, bins)
const Table<WaitHistogram>& working_wait_histogram_table();  // working_wait_histogram (services, bins)
const Table<CitywideActivity>& activity_table();        // citywide/activities  (activities)
const Table<YearRecord>& year_table();                 // *_by_year            (years[, services])
const Table<DistrictResult>& district_table();         // districts/           (districts)
const Table<GroupServiceTotals>& district_service_table();  // districts/      (districts, services)
const Table<HouseholdTypeResult>& household_type_table();   // household_types/ (household_types)
const Table<GroupServiceTotals>& household_type_service_table();  // household_types/ (household_types, services)

// Files and studies (their row structs are in results.hpp; writers in sim/io and sim/study).
const Table<FileFacts>& file_facts_table();            // attributes of /
const Table<Provenance>& provenance_table();           // attributes of /
const Table<StudyFileFacts>& study_file_table();      // attributes of /
const Table<RunFileFacts>& run_file_table();          // attributes of / (commsim run -o)
const Table<StudyFacts>& study_facts_table();         // attributes of /study
const Table<StudyVariantRow>& study_variant_table();  // /study/variants   (variants[, study_axes])
const Table<StudyRunRow>& study_run_table();          // /study            (runs[, study_axes])
const Table<StudySummaryFacts>& study_summary_facts_table();  // attributes of /study/summary
const Table<StudySummaryCell>& study_summary_table(); // /study/summary    (metrics, variants, services)
const Table<RunBookkeeping>& run_bookkeeping_table(); // /study/bookkeeping (runs); per-run attributes
const Table<BookkeepingFacts>& bookkeeping_facts_table();  // attributes of /study/bookkeeping
const Table<StudyRunGroupFacts>& study_run_group_table();  // attributes of /runs/NNNN
const Table<TargetCheck>& calibration_target_table();     // calibration/targets (targets)

// The datasets that name the entries of an axis (service_names, ...), written in every run group.
struct AxisDataset {
  FieldInfo info;     // name = the dataset
  std::string axis;   // the axis it names
  std::string group;  // where it is ("" = the run group; absolute for study datasets)
};
const std::vector<AxisDataset>& run_axis_datasets();
// The study's: axis_names (/study), metric_names, variant_names, service_names (/study/summary).
const std::vector<AxisDataset>& study_axis_datasets();
const AxisDataset& study_axis_dataset(const std::string& name);

// Length of a named axis of a run ("communities", "services", "roles", "facility_uses", "days",
// "years", "wait_histogram_bins").
size_t axis_length(const RunResult& run, const std::string& axis);

// Names (or values, for numeric axes) of an axis's entries, as written in the axis datasets.
ColumnData axis_column(const RunResult& run, const AxisDataset& axis);

// Every table of a run, in file order: visit(table, rows, n) with n the number of row structs
// (`run` const or not: the deserialiser and the HDF5 reader fill tables through it).
template <class Run, class Visit>
void for_each_run_table(Run& run, Visit&& visit) {
  visit(run_table(), &run, size_t{1});
  visit(community_table(), run.communities.data(), run.communities.size());
  visit(service_totals_table(), run.service_totals.data(), run.service_totals.size());
  visit(role_totals_table(), run.role_totals.data(), run.role_totals.size());
  visit(citywide_service_table(), run.citywide.data(), run.citywide.size());
  visit(citywide_role_table(), run.citywide_roles.data(), run.citywide_roles.size());
  visit(daily_service_table(), &run.daily, size_t{1});
  visit(daily_role_table(), &run.daily, size_t{1});
  visit(wait_histogram_table(), run.wait_hist.data(), run.wait_hist.size());
  visit(working_wait_histogram_table(), run.working_wait_hist.data(), run.working_wait_hist.size());
  visit(activity_table(), run.activities.data(), run.activities.size());
  visit(year_table(), run.years.data(), run.years.size());
  visit(district_table(), run.districts.data(), run.districts.size());
  visit(district_service_table(), run.district_services.data(), run.district_services.size());
  visit(household_type_table(), run.household_types.data(), run.household_types.size());
  visit(household_type_service_table(), run.household_type_services.data(), run.household_type_services.size());
}

// Every column a run group stores (axis datasets first; daily records only when recorded), in
// file order: sink(table group,
// storage, column). Checks that every table has as many rows as its axes say.
template <class Sink>
void for_each_run_column(const RunResult& run, Sink&& sink) {
  for (const auto& axis : run_axis_datasets()) sink(std::string(), Storage::rows, axis_column(run, axis));
  auto length = [&](const std::string& axis) { return axis_length(run, axis); };
  for_each_run_table(run, [&](const auto& table, const auto* rows, size_t n) {
    if (table.group == "daily" && run.daily.demand.empty()) return;  // no daily records recorded
    if (table.storage == Storage::rows) {
      size_t cells = 1;
      for (const auto& a : table.axes) cells *= length(a);
      if (cells != n)
        throw std::logic_error("result table '" + table.group + "' has " + std::to_string(n) + " rows, its axes hold " +
                               std::to_string(cells));
    }
    for_each_column(table, rows, n, length, [&](const ColumnData& c) { sink(table.group, table.storage, c); });
  });
}

// The columns in which two runs differ (shape, or how many entries differ and the first of them),
// over every column of the results schema: "" entries only, none when the runs are identical.
std::vector<std::string> compare_runs(const RunResult& expected, const RunResult& actual);

// Serialised run (MPI): axis names and sizes, then every table's stored fields.
std::vector<uint8_t> serialize_run(const RunResult& run);
RunResult deserialize_run(const uint8_t* data, size_t size);  // RuntimeFailure on malformed bytes
inline RunResult deserialize_run(const std::vector<uint8_t>& bytes) { return deserialize_run(bytes.data(), bytes.size()); }

}  // namespace commsim
