// The results schema's tables (result_schema.hpp). Every output field of a run is one row here.
#include "sim/metrics/result_schema.hpp"

#include <cstdio>
#include <limits>

#include "sim/core/error.hpp"

namespace commsim {

const char* dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::u8:
      return "u8";
    case Dtype::i32:
      return "i32";
    case Dtype::i64:
      return "i64";
    case Dtype::u32:
      return "u32";
    case Dtype::u64:
      return "u64";
    case Dtype::f32:
      return "f32";
    case Dtype::f64:
      return "f64";
    case Dtype::text:
      return "string";
  }
  return "?";
}

void ByteReader::malformed() {
  throw RuntimeFailure("run result buffer is truncated or malformed");
}

const Table<RunResult>& run_table() {
  using R = RunResult;
  static const Table<R> t =
      make_table<R>("run", "", {},
                    {COMMSIM_FIELDS(R, replicate, seed, days, residents, households, requests, cost_total_yuan,
                                    cost_per_resident_yuan, cost_per_served_yuan, cost_city_yuan, cost_district_yuan,
                                    cost_facility_capital_yuan, facility_shortfall_m2, cost_facility_upgrade_yuan,
                                    access_share)},
                    Storage::attributes);
  return t;
}

const Table<CommunityInfo>& community_table() {
  using C = CommunityInfo;
  static const Table<C> t = make_table<C>(
      "community", "communities", {"communities"},
      {COMMSIM_FIELDS(C, name, district, county, households, residents, area_km2, x_m, y_m, is_new, oversized, micro,
                      committee_residents, committee_party, committee_total, required_community_workers,
                      facility_indoor_m2, facility_outdoor_m2, facility_activity_m2, required_indoor_m2,
                      required_outdoor_m2, access_share, operating_funds_city_yuan, operating_funds_district_yuan,
                      pay_city_yuan, pay_district_yuan, size_ok, facility_ok, activity_ok, committee_ok, workers_ok,
                      staff, places),
       COMMSIM_FIELDS(C, district_code, district_class, residents_60plus, residents_80plus, residents_0_2,
                      family_households, family_residents, one_person_households, collective_residents,
                      three_generation_households, residents_chronic, residents_60plus_dependent, households_by_type,
                      residents_by_type, origin)});
  return t;
}

const Table<ServiceTotals>& service_totals_table() {
  using T = ServiceTotals;
  static const Table<T> t = make_table<T>(
      "service_totals", "totals", {"communities", "services"},
      {COMMSIM_FIELDS(T, demand, served, served_in_time, unmet, backlog_end, waited, arrivals_in_window, wait_sum_min,
                      wait_max_min, queue_area_min, wait_all_sum_min, window_min, p50_wait_min, p90_wait_min,
                      unmet_minutes, elsewhere, in_scope_days, client_days, place_days, wait_working_sum_min,
                      wait_working_count, p90_wait_working_min, work_min, shared_work_min),
       derived<T>("coverage", [](const T& x) { return x.coverage(); })});
  return t;
}

const Table<RoleTotals>& role_totals_table() {
  using T = RoleTotals;
  static const Table<T> t =
      make_table<T>("role_totals", "totals", {"communities", "roles"},
                    {COMMSIM_FIELDS(T, available_min, busy_min, travel_min, overhead_min, overtime_min, reserved_min)});
  return t;
}

const Table<CitywideService>& citywide_service_table() {
  using S = CitywideService;
  static const Table<S> t =
      make_table<S>("citywide_service", "citywide/services", {"services"},
                    {COMMSIM_FIELDS(S, name, kind, demand, served, served_in_time, unmet, backlog_end, coverage,
                                    coverage_resident_weighted, mean_wait_min, p50_wait_min, p90_wait_min, max_wait_min,
                                    p_wait, share_communities_below_target, gini, worst_decile_coverage, unmet_hours,
                                    elsewhere, in_scope, clients, take_part_share, enrolled_share, places_in_use,
                                    district_coverage_best, district_coverage_worst, district_gini, worst_district,
                                    mean_wait_working_min, p90_wait_working_min, overflow_share)});
  return t;
}

const Table<CitywideRole>& citywide_role_table() {
  using R = CitywideRole;
  static const Table<R> t =
      make_table<R>("citywide_role", "citywide/roles", {"roles"},
                    {COMMSIM_FIELDS(R, name, staff, utilisation, overtime_share, overhead_share, travel_share,
                                    wisn_pressure, pay_yuan, staff_fte, available_hours_per_worker,
                                    overtime_hours_per_worker, workload_hours_per_year, required_staff)});
  return t;
}

const Table<DailyRecords>& daily_service_table() {
  using D = DailyRecords;
  static const Table<D> t = make_table<D>("daily_service", "daily", {"communities", "days", "services"},
                                          {COMMSIM_FIELDS(D, demand, served, served_in_time, unmet, backlog,
                                                          wait_mean_min, wait_p50_min, wait_p90_min, wait_max_min)},
                                          Storage::columns, true);
  return t;
}

const Table<DailyRecords>& daily_role_table() {
  using D = DailyRecords;
  static const Table<D> t = make_table<D>(
      "daily_role", "daily", {"communities", "days", "roles"},
      {COMMSIM_FIELDS(D, available_min, busy_min, travel_min, overhead_min, overtime_min)}, Storage::columns, true);
  return t;
}

const Table<WaitHistogram>& wait_histogram_table() {
  static const Table<WaitHistogram> t = make_table<WaitHistogram>(
      "wait_histogram", "", {"services"}, {field("wait_histogram", &WaitHistogram::counts)}, Storage::rows, true);
  return t;
}

const Table<WaitHistogram>& working_wait_histogram_table() {
  static const Table<WaitHistogram> t =
      make_table<WaitHistogram>("working_wait_histogram", "", {"services"},
                                {field("working_wait_histogram", &WaitHistogram::counts)}, Storage::rows, true);
  return t;
}

const Table<CitywideActivity>& activity_table() {
  using A = CitywideActivity;
  static const Table<A> t = make_table<A>("activity", "citywide/activities", {"activities"},
                                          {COMMSIM_FIELDS(A, role, activity, kind, hours_per_year, share)});
  return t;
}

const Table<YearRecord>& year_table() {
  static const Table<YearRecord> t = make_table<YearRecord>(
      "year", "", {"years"},
      {field("residents_by_year", &YearRecord::residents), field("demand_by_year", &YearRecord::demand)});
  return t;
}

const Table<DistrictResult>& district_table() {
  using D = DistrictResult;
  static const Table<D> t = make_table<D>(
      "district", "districts", {"districts"},
      {COMMSIM_FIELDS(D, name, code, district_class, county, communities, households, residents, area_km2, share_60plus,
                      share_80plus, mean_household_size, one_person_share, three_generation_share)});
  return t;
}

namespace {
// The per-service cells of the results by district and by household type.
std::vector<Field<GroupServiceTotals>> group_service_fields() {
  using G = GroupServiceTotals;
  return {COMMSIM_FIELDS(G, demand, served, served_in_time, unmet, unmet_minutes),
          derived<G>("coverage", [](const G& g) { return g.coverage(); }),
          derived<G>("unmet_hours", [](const G& g) { return g.unmet_minutes / 60.0; })};
}
}  // namespace

const Table<GroupServiceTotals>& district_service_table() {
  static const Table<GroupServiceTotals> t = make_table<GroupServiceTotals>(
      "district_service", "districts", {"districts", "services"}, group_service_fields());
  return t;
}

const Table<HouseholdTypeResult>& household_type_table() {
  using H = HouseholdTypeResult;
  static const Table<H> t = make_table<H>("household_type", "household_types", {"household_types"},
                                          {COMMSIM_FIELDS(H, name, households, residents)});
  return t;
}

const Table<GroupServiceTotals>& household_type_service_table() {
  static const Table<GroupServiceTotals> t = make_table<GroupServiceTotals>(
      "household_type_service", "household_types", {"household_types", "services"}, group_service_fields());
  return t;
}

// ---------------------------------------------------------------- files and studies
const Table<FileFacts>& file_facts_table() {
  static const Table<FileFacts> t = make_table<FileFacts>(
      "file_facts", "", {}, {COMMSIM_FIELDS(FileFacts, format, format_version, complete)}, Storage::attributes);
  return t;
}

const Table<Provenance>& provenance_table() {
  using P = Provenance;
  static const Table<P> t = make_table<P>(
      "provenance", "", {},
      {COMMSIM_FIELDS(P, scenario_name, scenario_yaml, scenario_file, seed, version, git_commit, command_line, kind)},
      Storage::attributes);
  return t;
}

const Table<RunFileFacts>& run_file_table() {
  using F = RunFileFacts;
  static const Table<F> t =
      make_table<F>("run_file", "", {}, {COMMSIM_FIELDS(F, ranks, threads_requested, wall_s)}, Storage::attributes);
  return t;
}

const Table<StudyFileFacts>& study_file_table() {
  using F = StudyFileFacts;
  static const Table<F> t =
      make_table<F>("study_file", "", {}, {COMMSIM_FIELDS(F, study_file, study_yaml, study_hash)}, Storage::attributes);
  return t;
}

const Table<StudyFacts>& study_facts_table() {
  using F = StudyFacts;
  static const Table<F> t = make_table<F>(
      "study_facts", "study", {},
      {COMMSIM_FIELDS(F, design, variants, replicates, runs, base_variant, independent_streams)}, Storage::attributes);
  return t;
}

const Table<StudyVariantRow>& study_variant_table() {
  using V = StudyVariantRow;
  static const Table<V> t =
      make_table<V>("study_variant", "study/variants", {"variants"},
                    {COMMSIM_FIELDS(V, name, overrides, scenario_yaml, seed, axis_values, axis_numbers)});
  return t;
}

const Table<StudyRunRow>& study_run_table() {
  using R = StudyRunRow;
  static const Table<R> t = make_table<R>(
      "study_run", "study", {"runs"}, {COMMSIM_FIELDS(R, variant, replicate, seed, status, axis_values, axis_numbers)});
  return t;
}

const Table<StudySummaryFacts>& study_summary_facts_table() {
  using F = StudySummaryFacts;
  static const Table<F> t = make_table<F>("study_summary_facts", "study/summary", {},
                                          {COMMSIM_FIELDS(F, base_variant, paired, confidence)}, Storage::attributes);
  return t;
}

const Table<StudySummaryCell>& study_summary_table() {
  using S = StudySummaryCell;
  static const Table<S> t =
      make_table<S>("study_summary", "study/summary", {"metrics", "variants", "services"},
                    {COMMSIM_FIELDS(S, mean, half_width, diff_mean, diff_half_width, diff_unpaired_half_width)});
  return t;
}

const Table<RunBookkeeping>& run_bookkeeping_table() {
  using B = RunBookkeeping;
  static const Table<B> t =
      make_table<B>("run_bookkeeping", "study/bookkeeping", {"runs"}, {COMMSIM_FIELDS(B, wall_s, rank, host)});
  return t;
}

const Table<BookkeepingFacts>& bookkeeping_facts_table() {
  using B = BookkeepingFacts;
  static const Table<B> t = make_table<B>("bookkeeping_facts", "study/bookkeeping", {},
                                          {COMMSIM_FIELDS(B, command_line, ranks)}, Storage::attributes);
  return t;
}

const Table<TargetCheck>& calibration_target_table() {
  using T = TargetCheck;
  static const Table<T> t = make_table<T>(
      "calibration_target", "calibration/targets", {"targets"},
      {COMMSIM_FIELDS(T, name, measure, use, observed, tolerance, simulated, within, source, computation, evidence,
                      evidence_weight)});
  return t;
}

const Table<StudyRunGroupFacts>& study_run_group_table() {
  using G = StudyRunGroupFacts;
  static const Table<G> t = make_table<G>("study_run_group", "", {},
                                          {COMMSIM_FIELDS(G, variant, variant_name, complete)}, Storage::attributes);
  return t;
}

namespace {
AxisDataset axis(std::string name, std::string axis, std::string unit, std::string description, Dtype dtype,
                 std::string group = "") {
  AxisDataset a;
  a.info.name = std::move(name);
  a.info.unit = std::move(unit);
  a.info.description = std::move(description);
  a.info.dtype = dtype;
  a.axis = std::move(axis);
  a.group = std::move(group);
  return a;
}
}  // namespace

const std::vector<AxisDataset>& study_axis_datasets() {
  static const std::vector<AxisDataset> axes = {
      axis("axis_names", "study_axes", "", "scenario key paths the study varies (the study_axes axis)", Dtype::text,
           "/study"),
      axis("metric_names", "metrics", "", "metrics summarised (the metrics axis): citywide service fields",
           Dtype::text, "/study/summary"),
      axis("variant_names", "variants", "", "variant names (the variants axis)", Dtype::text, "/study/summary"),
      axis("service_names", "services", "", "service names (the services axis)", Dtype::text, "/study/summary"),
  };
  return axes;
}

const AxisDataset& study_axis_dataset(const std::string& name) {
  for (const auto& a : study_axis_datasets())
    if (a.info.name == name) return a;
  throw std::logic_error("unknown study axis dataset '" + name + "'");
}

const std::vector<AxisDataset>& run_axis_datasets() {
  static const std::vector<AxisDataset> axes = {
      axis("service_names", "services", "", "service names; the service axis of every dataset", Dtype::text),
      axis("role_names", "roles", "", "role names; the role axis of every dataset", Dtype::text),
      axis("facility_use_names", "facility_uses", "", "facility use names; the second axis of communities/places",
           Dtype::text),
      axis("wait_histogram_edges", "wait_histogram_bins+1", "minutes",
           "bin b of wait_histogram covers [edges[b], edges[b+1]); the last bin is overflow", Dtype::f64),
  };
  return axes;
}

size_t axis_length(const RunResult& run, const std::string& axis) {
  if (axis == "communities") return run.communities.size();
  if (axis == "services") return run.service_names.size();
  if (axis == "roles") return run.role_names.size();
  if (axis == "facility_uses") return run.facility_use_names.size();
  if (axis == "days") return static_cast<size_t>(run.daily.days);
  if (axis == "years") return run.years.size();
  if (axis == "wait_histogram_bins") return WaitHistogram::kBins;
  if (axis == "districts") return run.districts.size();
  if (axis == "activities") return run.activities.size();
  if (axis == "household_types") return kResultHouseholdTypes;
  if (axis == "wait_histogram_bins+1") return WaitHistogram::kBins + 1;
  throw std::logic_error("unknown result axis '" + axis + "'");
}

ColumnData axis_column(const RunResult& run, const AxisDataset& axis) {
  ColumnData c;
  c.info = &axis.info;
  c.name = axis.info.name;
  c.dtype = axis.info.dtype;
  c.dims = {axis_length(run, axis.axis)};
  c.axes = {axis.axis};
  if (axis.axis == "services")
    c.values = run.service_names;
  else if (axis.axis == "roles")
    c.values = run.role_names;
  else if (axis.axis == "facility_uses")
    c.values = run.facility_use_names;
  else {
    std::vector<double> edges(WaitHistogram::kBins + 1);
    for (int b = 0; b < WaitHistogram::kBins; ++b) edges[static_cast<size_t>(b)] = WaitHistogram::lower_edge(b);
    edges[WaitHistogram::kBins] = std::numeric_limits<double>::infinity();
    c.values = std::move(edges);
  }
  return c;
}

std::vector<std::string> compare_runs(const RunResult& expected, const RunResult& actual) {
  std::vector<std::pair<std::string, ColumnData>> want, have;
  auto collect = [](std::vector<std::pair<std::string, ColumnData>>& out) {
    return [&out](const std::string& group, Storage, const ColumnData& c) {
      ColumnData copy = c;
      if (c.view) {  // own the values so they outlive the run's buffers
        const size_t n = c.count();
        switch (c.dtype) {
          case Dtype::u32:
            copy.values =
                std::vector<uint32_t>(static_cast<const uint32_t*>(c.view), static_cast<const uint32_t*>(c.view) + n);
            break;
          case Dtype::f32:
            copy.values = std::vector<float>(static_cast<const float*>(c.view), static_cast<const float*>(c.view) + n);
            break;
          case Dtype::f64:
            copy.values =
                std::vector<double>(static_cast<const double*>(c.view), static_cast<const double*>(c.view) + n);
            break;
          case Dtype::u64:
            copy.values =
                std::vector<uint64_t>(static_cast<const uint64_t*>(c.view), static_cast<const uint64_t*>(c.view) + n);
            break;
          default:
            throw std::logic_error("compare_runs: unexpected column type");
        }
        copy.view = nullptr;
      }
      out.emplace_back(group.empty() ? c.name : group + "/" + c.name, std::move(copy));
    };
  };
  std::vector<std::string> diffs;
  try {
    for_each_run_column(expected, collect(want));
    for_each_run_column(actual, collect(have));
  } catch (const std::logic_error& e) {
    diffs.push_back(std::string("inconsistent run: ") + e.what());
    return diffs;
  }
  if (want.size() != have.size()) {
    diffs.push_back("the runs store different columns (" + std::to_string(want.size()) + " vs " +
                    std::to_string(have.size()) + ")");
    return diffs;
  }
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& [name, a] = want[i];
    const auto& b = have[i].second;
    if (name != have[i].first || a.dims != b.dims || a.values.index() != b.values.index()) {
      diffs.push_back(name + ": shape differs");
      continue;
    }
    std::visit(
        [&](const auto& va) {
          const auto& vb = std::get<std::decay_t<decltype(va)>>(b.values);
          size_t differing = 0, first = 0;
          for (size_t k = 0; k < va.size(); ++k) {
            bool same = va[k] == vb[k];
            if constexpr (std::is_floating_point_v<typename std::decay_t<decltype(va)>::value_type>)
              same = same || (va[k] != va[k] && vb[k] != vb[k]);
            if (!same && differing++ == 0) first = k;
          }
          if (!differing) return;
          std::string text = name + ": " + std::to_string(differing) + " of " + std::to_string(va.size()) +
                             " entries differ (first at flat index " + std::to_string(first);
          if constexpr (!std::is_same_v<typename std::decay_t<decltype(va)>::value_type, std::string>) {
            char buf[96];
            std::snprintf(buf, sizeof buf, ": %.17g vs %.17g", static_cast<double>(va[first]),
                          static_cast<double>(vb[first]));
            text += buf;
          }
          diffs.push_back(text + ")");
        },
        a.values);
  }
  return diffs;
}

// ---------------------------------------------------------------- serialisation
namespace {
constexpr uint32_t kMagic = 0x434d5353;  // "CMSS": schema-driven layout

}  // namespace

std::vector<uint8_t> serialize_run(const RunResult& run) {
  ByteWriter w;
  w.pod(kMagic);
  w.vec(run.service_names);
  w.vec(run.role_names);
  w.vec(run.facility_use_names);
  for (size_t n : {run.communities.size(), run.service_totals.size(), run.role_totals.size(), run.citywide.size(),
                   run.citywide_roles.size(), run.wait_hist.size(), run.working_wait_hist.size(), run.activities.size(),
                   run.years.size(), run.districts.size(),
                   run.district_services.size(), run.household_types.size(), run.household_type_services.size()})
    w.pod<uint64_t>(n);
  w.pod(run.daily.days);
  w.pod(run.daily.communities);
  w.pod(run.daily.services);
  w.pod(run.daily.roles);
  for_each_run_table(run, [&](const auto& table, const auto* rows, size_t n) { transfer_rows(table, rows, n, w); });
  w.pod(kMagic);
  return std::move(w.out);
}

RunResult deserialize_run(const uint8_t* data, size_t size) {
  ByteReader r{data, data + size};
  if (r.pod<uint32_t>() != kMagic) throw RuntimeFailure("run result buffer: bad magic");
  RunResult run;
  r.vec(run.service_names);
  r.vec(run.role_names);
  r.vec(run.facility_use_names);
  run.communities.resize(r.count(8));
  run.service_totals.resize(r.count(8));
  run.role_totals.resize(r.count(8));
  run.citywide.resize(r.count(8));
  run.citywide_roles.resize(r.count(8));
  run.wait_hist.resize(r.count(8));
  run.working_wait_hist.resize(r.count(8));
  run.activities.resize(r.count(8));
  run.years.resize(r.count(8));
  run.districts.resize(r.count(8));
  run.district_services.resize(r.count(8));
  run.household_types.resize(r.count(8));
  run.household_type_services.resize(r.count(8));
  r.pod(run.daily.days);
  r.pod(run.daily.communities);
  r.pod(run.daily.services);
  r.pod(run.daily.roles);
  for_each_run_table(run, [&](const auto& table, auto* rows, size_t n) { transfer_rows(table, rows, n, r); });
  if (r.pod<uint32_t>() != kMagic || r.p != r.end) throw RuntimeFailure("run result buffer: trailing or missing bytes");
  return run;
}

}  // namespace commsim
