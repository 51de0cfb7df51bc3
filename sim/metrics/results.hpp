// Results of one run: per-community facts (sizes, staff, areas, compliance), per-community daily
// records, per-community run summaries per service and role, and citywide summaries (MODEL.md §6).
// Plain arrays in community order; the engine fills them, io/ writes them, cli/ prints them.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace commsim {

// Wait-time histograms with fixed bins, mergeable in a fixed order (deterministic percentiles).
// One type, two bin layouts: citywide histograms (written out) use fine bins, each community's
// histogram (its p50/p90 over the run) coarse ones, so that thousands of them stay small.
// Percentiles are interpolated within a bin; the last bin is an overflow bin.
//
// Fine: 0.25-minute bins to 60 min, 5-minute bins to 2 days, 1-hour bins to 60 days, overflow.
// bin() is inline: Recorder::record_day bins every wait of a run four times.
struct FineWaitBins {
  static constexpr int kFine = 240;     // [0, 60) min by 0.25
  static constexpr int kMid = 564;      // [60, 2880) min by 5
  static constexpr int kCoarse = 1392;  // [2880, 86400) min by 60
  static constexpr int kBins = kFine + kMid + kCoarse + 1;
  static constexpr double kFineWidth = 0.25, kFineEnd = 60.0;
  static constexpr double kMidWidth = 5.0, kMidEnd = 2880.0;
  static constexpr double kCoarseWidth = 60.0, kCoarseEnd = 86400.0;
  static int bin(double wait_min) {
    // Negative waits (rounding at the deadline) and NaN go to the first bin.
    if (!(wait_min > 0.0)) return 0;
    if (wait_min < kFineEnd) {
      const int b = static_cast<int>(wait_min / kFineWidth);
      return b < kFine ? b : kFine - 1;
    }
    if (wait_min < kMidEnd) {
      const int b = static_cast<int>((wait_min - kFineEnd) / kMidWidth);
      return kFine + (b < kMid ? b : kMid - 1);
    }
    if (wait_min < kCoarseEnd) {
      const int b = static_cast<int>((wait_min - kMidEnd) / kCoarseWidth);
      return kFine + kMid + (b < kCoarse ? b : kCoarse - 1);
    }
    return kBins - 1;
  }
  static double lower(int bin);
};
// Coarse: 1-minute bins to 60 min, 5-minute bins to 4 h, 30-minute bins to 1 day, 1-day bins to
// 30 days, overflow.
struct CoarseWaitBins {
  static constexpr int kBins = 60 + 36 + 40 + 29 + 1;
  static int bin(double w) {
    if (!(w > 0.0)) return 0;
    if (w < 60) return static_cast<int>(w);
    if (w < 240) return 60 + static_cast<int>((w - 60) / 5);
    if (w < 1440) return 96 + static_cast<int>((w - 240) / 30);
    if (w < 43200) return 136 + static_cast<int>((w - 1440) / 1440);
    return kBins - 1;
  }
  static double lower(int bin);
};

template <class Bins, class Count>
struct Histogram {
  static constexpr int kBins = Bins::kBins;
  std::vector<Count> counts = std::vector<Count>(kBins, 0);

  static int bin(double wait_min) { return Bins::bin(wait_min); }
  static double lower_edge(int bin) { return Bins::lower(bin); }
  static double upper_edge(int bin);  // +inf for the overflow bin
  void add(double wait_min) { ++counts[static_cast<size_t>(bin(wait_min))]; }
  void merge(const Histogram& other) {
    for (size_t i = 0; i < counts.size() && i < other.counts.size(); ++i) counts[i] += other.counts[i];
  }
  uint64_t total() const {
    uint64_t sum = 0;
    for (auto c : counts) sum += c;
    return sum;
  }
  double quantile(double q) const;  // 0 when empty
};
using WaitHistogram = Histogram<FineWaitBins, uint64_t>;
using CommunityWaitHistogram = Histogram<CoarseWaitBins, uint32_t>;
extern template struct Histogram<FineWaitBins, uint64_t>;
extern template struct Histogram<CoarseWaitBins, uint32_t>;

// The household types of the outputs (population/households.hpp HouseholdType, in that order).
inline constexpr size_t kResultHouseholdTypes = 7;
inline constexpr const char* kHouseholdTypeNames[kResultHouseholdTypes] = {
    "single_adult", "elder_alone", "elderly_only", "with_elders", "with_children", "adults_only", "collective"};

struct CommunityInfo {
  std::string name;
  std::string district;
  std::string district_code, district_class;  // census city: the unit's code and class ("" otherwise)
  bool county = false;
  int64_t households = 0;
  int64_t residents = 0;
  double area_km2 = 0;
  double x_m = 0, y_m = 0;
  bool is_new = false;
  bool oversized = false, micro = false;
  std::vector<int> staff;           // per role, in post (after vacancies)
  int committee_residents = 0, committee_party = 0, committee_total = 0;
  int required_community_workers = 0;  // by the norm (N3.5) for comparison
  double facility_indoor_m2 = 0, facility_outdoor_m2 = 0, facility_activity_m2 = 0;
  double required_indoor_m2 = 0, required_outdoor_m2 = 0;
  std::vector<int> places;          // per facility use
  double access_share = 0;          // households within the access minutes (N1.5)
  double operating_funds_city_yuan = 0, operating_funds_district_yuan = 0;
  double pay_city_yuan = 0, pay_district_yuan = 0;  // staff pay over the run (summarize: by payer)
  std::vector<double> pay_yuan_by_role;  // staff pay over the run per role, each year at its staff (engine)
  // norm compliance (N1, N2, N3)
  bool size_ok = true, facility_ok = true, activity_ok = true, committee_ok = true, workers_ok = true;
  std::vector<std::string> origin;  // as-given communities this one was made from (restructuring)
  // Sizes, staff, committees, areas and compliance describe the start of the run (the first
  // simulated year); pay and operating funds sum every year at that year's staff.
  // Who lives there (at the start of the run): residents aged 60+ and 80+, family households and
  // their members, one-person households, residents in collective living; households and
  // residents by household type.
  int64_t residents_60plus = 0, residents_80plus = 0, residents_0_2 = 0;
  int64_t family_households = 0, family_residents = 0, one_person_households = 0, collective_residents = 0;
  int64_t three_generation_households = 0;  // three or more generations when the household formed
  std::vector<int64_t> households_by_type, residents_by_type;  // per household type
  // For calibration targets (sim/calibration): residents with hypertension or diabetes, and
  // residents aged 60+ partially or fully dependent.
  int64_t residents_chronic = 0, residents_60plus_dependent = 0;
};

// Member-wise sum of the listed members (the operator+= of the totals below).
template <auto... Members, class T>
T& add_members(T& into, const T& from) {
  ((into.*Members += from.*Members), ...);
  return into;
}

// Per community, per service: run totals.
struct ServiceTotals {
  uint64_t demand = 0;          // requests arrived (episodic/recurring); wanting person-days (enrolment)
  uint64_t served = 0;          // requests started; enrolled person-days
  uint64_t served_in_time = 0;  // started by the deadline; enrolled person-days
  uint64_t unmet = 0;           // dropped at the deadline; waiting-list person-days
  uint64_t backlog_end = 0;     // waiting at the end of the run
  uint64_t waited = 0;          // served requests that waited at all (wait > 0)
  double wait_sum_min = 0;      // over served requests
  double wait_max_min = 0;
  double queue_area_min = 0;    // integral of the number waiting over time (Little's law L*T)
  double wait_all_sum_min = 0;  // waits of every request while in queue over the run (incl. unserved)
  uint64_t arrivals_in_window = 0;
  double window_min = 0;        // length of the observation window (minutes)
  double p50_wait_min = 0, p90_wait_min = 0;
  double unmet_minutes = 0;     // service minutes of the requests left unmet (expired, or waiting at the end)
  uint64_t elsewhere = 0;       // episodes taken elsewhere (community_share), not requests here
  uint64_t in_scope_days = 0;   // units in the service's scope, summed over the days of the run
  uint64_t client_days = 0;     // of those, taking part (programme, take-up; enrolment: wanting a place)
  uint64_t place_days = 0;      // enrolment services: facility places summed over open days
  // Waits in the serving role's working minutes, of every request: served (to its start), expired
  // (to its expiry) or waiting at the end (to the end of the run) — the last two censored.
  double wait_working_sum_min = 0;
  uint64_t wait_working_count = 0;
  double p90_wait_working_min = 0;
  double work_min = 0;          // worker minutes serving (incl. travel)
  double shared_work_min = 0;   // of which by the service's shared role
  double coverage() const { return demand ? static_cast<double>(served_in_time) / demand : 1.0; }
};

// One (group, service) cell of the results by district or by household type.
struct GroupServiceTotals {
  uint64_t demand = 0, served = 0, served_in_time = 0, unmet = 0;
  double unmet_minutes = 0;
  GroupServiceTotals& operator+=(const GroupServiceTotals& o) {
    return add_members<&GroupServiceTotals::demand, &GroupServiceTotals::served, &GroupServiceTotals::served_in_time,
                       &GroupServiceTotals::unmet, &GroupServiceTotals::unmet_minutes>(*this, o);
  }
  double coverage() const { return demand ? static_cast<double>(served_in_time) / demand : 1.0; }
};

// A district (or county) of the city: who lives there.
struct DistrictResult {
  std::string name, code, district_class;
  bool county = false;
  int64_t communities = 0, households = 0, residents = 0;
  double area_km2 = 0;
  double share_60plus = 0, share_80plus = 0, mean_household_size = 0, one_person_share = 0;
  double three_generation_share = 0;
};

struct HouseholdTypeResult {
  std::string name;
  int64_t households = 0, residents = 0;
};

// Per community, per role: run totals of worker minutes.
struct RoleTotals {
  double available_min = 0;  // contracted minutes on shift (after absence)
  double busy_min = 0;       // service minutes (incl. travel)
  double travel_min = 0;
  double overhead_min = 0;
  double overtime_min = 0;
  double reserved_min = 0;   // reserved for enrolment services (staff ratio)
  RoleTotals& operator+=(const RoleTotals& o) {
    return add_members<&RoleTotals::available_min, &RoleTotals::busy_min, &RoleTotals::travel_min,
                       &RoleTotals::overhead_min, &RoleTotals::overtime_min, &RoleTotals::reserved_min>(*this, o);
  }
};

struct DailyRecords {
  int days = 0, communities = 0, services = 0, roles = 0;
  // index [(community * days + day) * services + service]
  std::vector<uint32_t> demand, served, served_in_time, unmet, backlog;
  std::vector<float> wait_mean_min, wait_p50_min, wait_p90_min, wait_max_min;
  // index [(community * days + day) * roles + role]
  std::vector<float> available_min, busy_min, travel_min, overhead_min, overtime_min;
  void resize(int days_, int communities_, int services_, int roles_, bool enabled);
  size_t si(int c, int d, int s) const { return (static_cast<size_t>(c) * days + d) * services + s; }
  size_t ri(int c, int d, int r) const { return (static_cast<size_t>(c) * days + d) * roles + r; }
};

// Citywide, per service.
struct CitywideService {
  std::string name;
  std::string kind;            // episodic | recurring | enrolment
  uint64_t demand = 0, served = 0, served_in_time = 0, unmet = 0, backlog_end = 0;
  double coverage = 0;                 // served_in_time / demand over the city
  double coverage_resident_weighted = 0;  // mean of community coverage weighted by residents
  double mean_wait_min = 0, p50_wait_min = 0, p90_wait_min = 0, max_wait_min = 0;
  double p_wait = 0;                   // share of served requests that waited at all
  double share_communities_below_target = 0;
  double gini = 0;                     // of community coverage
  double worst_decile_coverage = 0;    // mean coverage of the worst 10 % of communities
  double unmet_hours = 0;              // service hours left unmet (expired or waiting at the end)
  uint64_t elsewhere = 0;              // episodes taken elsewhere (community_share)
  // Units in the service's scope and its clients, mean per counted day; clients / in scope;
  // enrolment services: enrolled person-days / in-scope person-days, and / place-days.
  double in_scope = 0, clients = 0, take_part_share = 0, enrolled_share = 0, places_in_use = 0;
  // Across districts: coverage of the best and the worst served district, and the Gini index.
  double district_coverage_best = 0, district_coverage_worst = 0, district_gini = 0;
  std::string worst_district;
  // Waits in the serving role's working minutes, censored waits of unserved requests included.
  double mean_wait_working_min = 0, p90_wait_working_min = 0;
  double overflow_share = 0;           // overflow_elsewhere services: dropped at the deadline / demand
};

// Citywide, per role and activity: the workload (WHO WISN) a year.
struct CitywideActivity {
  std::string role, activity;
  std::string kind;             // service | enrolment | support | unmet
  double hours_per_year = 0;
  double share = 0;             // of the role's workload (all its activities, unmet included)
};

struct CitywideRole {
  std::string name;
  int staff = 0;
  double utilisation = 0;     // busy / (available - overhead - reserved)
  double overtime_share = 0;  // overtime / available
  double overhead_share = 0;  // overhead / available
  double travel_share = 0;    // travel / busy
  double wisn_pressure = 0;   // staff needed for the workload / staff in post (WHO WISN)
  double pay_yuan = 0;
  double staff_fte = 0;                  // staff in post, committee members at their serving share
  double available_hours_per_worker = 0; // WISN available working time a year
  double overtime_hours_per_worker = 0;  // a year, per full-time equivalent
  double workload_hours_per_year = 0;    // every activity, unmet work included
  double required_staff = 0;             // workload / available working time
};

// Per simulated year of a run.
struct YearRecord {
  double residents = 0;          // population at the start of the year
  std::vector<uint64_t> demand;  // per service, citywide
};

struct RunResult {
  int replicate = 0;
  uint64_t seed = 0;
  int days = 0;
  std::vector<std::string> service_names, role_names, facility_use_names;
  std::vector<CommunityInfo> communities;
  std::vector<ServiceTotals> service_totals;  // [community * services + service]
  std::vector<RoleTotals> role_totals;        // [community * roles + role]
  std::vector<WaitHistogram> wait_hist;       // [service], citywide
  std::vector<WaitHistogram> working_wait_hist;  // [service], citywide, working minutes (censored included)
  DailyRecords daily;
  std::vector<CitywideService> citywide;
  std::vector<CitywideRole> citywide_roles;
  std::vector<CitywideActivity> activities;   // per role and activity
  int64_t residents = 0, households = 0;
  uint64_t requests = 0;                      // requests generated (all queue services)
  double cost_total_yuan = 0, cost_per_resident_yuan = 0, cost_per_served_yuan = 0;
  double cost_city_yuan = 0, cost_district_yuan = 0;
  double cost_facility_capital_yuan = 0;      // facility construction annualised over the run (N5.1)
  // Facilities short of the norm's indoor area (N2.1, N2.3; issue 24): the missing m² and the
  // capital that brings every community up to the norm (not annualised, not in cost_total_yuan).
  double facility_shortfall_m2 = 0, cost_facility_upgrade_yuan = 0;
  double access_share = 0;                    // households within 15 minutes, citywide
  std::vector<YearRecord> years;              // per simulated year
  std::vector<DistrictResult> districts;      // in order of first appearance among the communities
  std::vector<GroupServiceTotals> district_services;        // [district * services + service]
  std::vector<HouseholdTypeResult> household_types;         // kResultHouseholdTypes
  std::vector<GroupServiceTotals> household_type_services;  // [type * services + service]
};

// A run computed in parts (consecutive ranges of the city's communities: batches of one process, or
// MPI ranks), each before summarize(): appends `part`'s communities after `into`'s — their
// facts, totals, daily records and results by household type, in order — and adds its citywide
// histograms (integer counts) and years (residents are whole numbers, demand counted): exact, so
// the whole is bit-identical however the city was divided.
void append_part(RunResult& into, RunResult&& part);

// One calibration target held against a run (sim/calibration/targets.hpp): `commsim run --targets`
// (--summary-json `calibration.targets`) and calibration files.
struct TargetCheck {
  std::string name, measure, use, source, computation;  // use: fit | check | holdout | echo
  double observed = 0, tolerance = 0, simulated = 0;   // simulated: mean over replicates
  std::string evidence;                                // its evidence group ("" = alone)
  double evidence_weight = 0;                          // its share of the independent evidence
  bool within = false;                                 // |simulated - observed| <= tolerance
};

// ---------------------------------------------------------------- files and studies
// The root attributes of every output file: what it is (written when it is created; `complete` by
// commit()) and the provenance of what it holds.
struct FileFacts {
  std::string format = "commsim-output";
  int32_t format_version = 1;
  int32_t complete = 1;
};

struct Provenance {
  std::string scenario_name;
  std::string scenario_yaml;  // fully resolved scenario
  std::string scenario_file;
  uint64_t seed = 0;
  std::string version;        // program version
  std::string git_commit;
  std::string command_line;
  std::string kind = "run";   // root attribute "kind": "run" (commsim run) or "study" (commsim study)
};

// Root attributes a run file (commsim run -o) adds to the provenance: how it was computed. They
// differ between executions of the same run (any rank or thread count gives the same results), so
// they live on the root only: compare run files group by group (tests/engine/run_mpi_identity.sh).
struct RunFileFacts {
  int64_t ranks = 1;              // MPI processes the city was divided among
  int64_t threads_requested = 0;  // --threads or run.threads as given (0 = all cores; per rank)
  double wall_s = 0;              // seconds the runs took (building and simulating, not writing)
};

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

}  // namespace commsim
