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

namespace {
constexpr JsonMode kMean = JsonMode::mean, kFirst = JsonMode::first;
template <class Row>
Field<Row> ragged(Field<Row> f, std::string offset_description) {
  f.offset_description = std::move(offset_description);
  return f;
}

}  // namespace

const Table<RunResult>& run_table() {
  using R = RunResult;
  static const Table<R> t = make_table<R>(
      "", {}, "facts of the whole run (attributes of the run group)",
      {
          field("replicate", &R::replicate, "1", "replicate number (its random streams are keyed by it)"),
          field("seed", &R::seed, "1", "master seed (run.seed)"),
          field("days", &R::days, "days", "simulated days"),
          field("residents", &R::residents, "residents", "residents at the start of the run", kFirst),
          field("households", &R::households, "households", "households at the start of the run", kFirst),
          field("requests", &R::requests, "requests", "requests generated for all queue services", kFirst),
          json_as(field("cost_total_yuan", &R::cost_total_yuan, "yuan", "staff pay + operating funds over the run (N5)",
                        kMean),
                  "cost.total_yuan"),
          json_as(
              field("cost_per_resident_yuan", &R::cost_per_resident_yuan, "yuan", "cost_total_yuan / residents", kMean),
              "cost.per_resident_yuan"),
          json_as(field("cost_per_served_yuan", &R::cost_per_served_yuan, "yuan",
                        "cost_total_yuan / requests served (queue services)", kMean),
                  "cost.per_served_request_yuan"),
          json_as(field("cost_city_yuan", &R::cost_city_yuan, "yuan", "part of the cost paid by the city (N5.2, N5.3)",
                        kMean),
                  "cost.city_yuan"),
          json_as(field("cost_district_yuan", &R::cost_district_yuan, "yuan", "part of the cost paid by the districts",
                        kMean),
                  "cost.district_yuan"),
          json_as(field("cost_facility_capital_yuan", &R::cost_facility_capital_yuan, "yuan",
                        "indoor facility construction cost annualised straight-line over its life, for the run's "
                        "days (N5.1; facility.capital_*; not in cost_total_yuan)",
                        kMean),
                  "cost.facility_capital_yuan"),
          json_as(field("facility_shortfall_m2", &R::facility_shortfall_m2, "m2",
                        "indoor facility area missing to the norm, summed over communities (N2.1, N2.3)", kMean),
                  "cost.facility_shortfall_m2"),
          json_as(field("cost_facility_upgrade_yuan", &R::cost_facility_upgrade_yuan, "yuan",
                        "capital that brings every community's indoor facility up to the norm: facility_shortfall_m2 x "
                        "facility.capital_cost_yuan_per_m2 (not annualised; not in cost_total_yuan)",
                        kMean),
                  "cost.facility_upgrade_yuan"),
          field("access_share", &R::access_share, "share",
                "share of households within the access minutes of their facility, citywide (N1.5)", kMean),
      },
      Storage::attributes);
  return t;
}

const Table<CommunityInfo>& community_table() {
  using C = CommunityInfo;
  static const Table<C> t = make_table<C>(
      "communities", {"communities"}, "one entry per community: size, staff, facility and norm compliance at the start of the run (the first simulated year); pay and operating funds summed over every simulated year",
      {
          field("name", &C::name, "", "community name"),
          field("district", &C::district, "", "district the community belongs to"),
          field("county", &C::county, "1", "1 if the district is a county (rural) district"),
          field("households", &C::households, "households", "households at the start of the run"),
          field("residents", &C::residents, "residents", "residents at the start of the run"),
          field("area_km2", &C::area_km2, "km2", "land area"),
          field("x_m", &C::x_m, "m", "easting of the community centre"),
          field("y_m", &C::y_m, "m", "northing of the community centre"),
          field("is_new", &C::is_new, "1", "1 if a newly built community (new-build facility norms apply)"),
          field("oversized", &C::oversized, "1", "1 if above the size band (N1)"),
          field("micro", &C::micro, "1", "1 if below the size band (N1)"),
          field("committee_residents", &C::committee_residents, "1", "residents' committee members (N3)"),
          field("committee_party", &C::committee_party, "1", "party committee members (N3)"),
          field("committee_total", &C::committee_total, "1", "committee members in total (N3)"),
          field("required_community_workers", &C::required_community_workers, "1",
                "community workers required by the norm's own figure (N3.5: 18 per 10,000 residents)"),
          field("facility_indoor_m2", &C::facility_indoor_m2, "m2", "indoor facility area"),
          field("facility_outdoor_m2", &C::facility_outdoor_m2, "m2", "outdoor facility area"),
          field("facility_activity_m2", &C::facility_activity_m2, "m2", "activity area"),
          field("required_indoor_m2", &C::required_indoor_m2, "m2", "indoor area required by the norm's own figures (N2.1, N2.3)"),
          field("required_outdoor_m2", &C::required_outdoor_m2, "m2", "outdoor area required by the norm's own figure (N2.2)"),
          field("access_share", &C::access_share, "share",
                "share of households within the access minutes of the facility (N1.5)"),
          field("operating_funds_city_yuan", &C::operating_funds_city_yuan, "yuan",
                "operating funds paid by the city over the run (every simulated year)"),
          field("operating_funds_district_yuan", &C::operating_funds_district_yuan, "yuan",
                "operating funds paid by the district over the run (every simulated year)"),
          field("pay_city_yuan", &C::pay_city_yuan, "yuan", "staff pay paid by the city over the run (each simulated year at that year's staff)"),
          field("pay_district_yuan", &C::pay_district_yuan, "yuan", "staff pay paid by the district over the run (each simulated year at that year's staff)"),
          field("size_ok", &C::size_ok, "1", "1 if the size complies with the norm (N1)"),
          field("facility_ok", &C::facility_ok, "1", "1 if the facility area complies with the norm (N2)"),
          field("activity_ok", &C::activity_ok, "1", "1 if the activity area complies with the norm (N2)"),
          field("committee_ok", &C::committee_ok, "1", "1 if the committee size complies with the norm (N3)"),
          field("workers_ok", &C::workers_ok, "1", "1 if the community worker count complies with the norm (N3.5)"),
          field("staff", &C::staff, "1", "staff in post per role (after vacancies) at the start of the run", JsonMode::none, "roles"),
          field("places", &C::places, "1", "facility places per facility use", JsonMode::none, "facility_uses"),
          field("district_code", &C::district_code, "", "census city: the district's 6-digit code (\"\" otherwise)"),
          field("district_class", &C::district_class, "", "census city: old_core | inner | new_district | county"),
          field("residents_60plus", &C::residents_60plus, "residents", "residents aged 60+ (at the start of the run, like every count of who lives there)"),
          field("residents_80plus", &C::residents_80plus, "residents", "residents aged 80+"),
          field("residents_0_2", &C::residents_0_2, "residents", "children aged 0-2"),
          field("family_households", &C::family_households, "households", "family households (the households of the norms)"),
          field("family_residents", &C::family_residents, "residents", "members of family households"),
          field("one_person_households", &C::one_person_households, "households", "one-person family households"),
          field("collective_residents", &C::collective_residents, "residents",
                "residents in collective living (dormitories, care homes)"),
          field("three_generation_households", &C::three_generation_households, "households",
                "family households of three or more generations (as they formed)"),
          field("residents_chronic", &C::residents_chronic, "residents", "residents with hypertension or diabetes"),
          field("residents_60plus_dependent", &C::residents_60plus_dependent, "residents",
                "residents aged 60+ partially or fully dependent"),
          field("households_by_type", &C::households_by_type, "households", "households by household type",
                JsonMode::none, "household_types"),
          field("residents_by_type", &C::residents_by_type, "residents", "residents by household type", JsonMode::none,
                "household_types"),
          ragged(
              field("origin", &C::origin, "", "as-given communities each community was made from (see origin_offset)",
                    JsonMode::none, "ragged"),
              "community c was made from origin[origin_offset[c]:origin_offset[c+1]]"),
      });
  return t;
}

const Table<ServiceTotals>& service_totals_table() {
  using T = ServiceTotals;
  static const Table<T> t = make_table<T>(
      "totals", {"communities", "services"}, "run totals per community and service",
      {
          field("demand", &T::demand, "requests", "requests arrived (enrolment services: person-days wanting a place)"),
          field("served", &T::served, "requests", "requests started (enrolment services: enrolled person-days)"),
          field("served_in_time", &T::served_in_time, "requests",
                "requests started by the deadline (enrolment services: enrolled person-days)"),
          field("unmet", &T::unmet, "requests",
                "requests dropped at the deadline (enrolment services: waiting-list person-days)"),
          field("backlog_end", &T::backlog_end, "requests", "requests waiting at the end of the run"),
          field("waited", &T::waited, "requests", "served requests that waited at all (wait > 0)"),
          field("arrivals_in_window", &T::arrivals_in_window, "requests",
                "requests arrived within the observation window"),
          field("wait_sum_min", &T::wait_sum_min, "minutes", "sum of the waits of served requests"),
          field("wait_max_min", &T::wait_max_min, "minutes", "longest wait of a served request"),
          field("queue_area_min", &T::queue_area_min, "minutes",
                "integral over time of the number waiting (request-minutes; Little's law L*T)"),
          field("wait_all_sum_min", &T::wait_all_sum_min, "minutes",
                "sum of the time every request spent in the queue, served or not"),
          field("window_min", &T::window_min, "minutes", "length of the observation window"),
          field("p50_wait_min", &T::p50_wait_min, "minutes", "median wait of served requests"),
          field("p90_wait_min", &T::p90_wait_min, "minutes", "90th percentile wait of served requests"),
          field("unmet_minutes", &T::unmet_minutes, "minutes",
                "service minutes of the requests left unmet: dropped at the deadline, or waiting at the end "
                "(enrolment: waiting-list person-days x service_minutes)"),
          field("elsewhere", &T::elsewhere, "requests", "episodes taken elsewhere, not to the community (community_share)"),
          field("in_scope_days", &T::in_scope_days, "unit-days",
                "residents (or households) in the service's scope — its age, dependency, chronic, household and "
                "income criteria — summed over the days of the run"),
          field("client_days", &T::client_days, "unit-days",
                "of those, the ones taking part (enrolled in the programme and taking it up; enrolment services: "
                "wanting a place at its fee and distance), summed over the days of the run"),
          field("place_days", &T::place_days, "place-days",
                "enrolment services: the facility's places summed over the service's open days"),
          field("wait_working_sum_min", &T::wait_working_sum_min, "working minutes",
                "sum of the waits in the serving role's working minutes of every request: served (to its start), "
                "expired (to its expiry), waiting at the end (to the end of the run)"),
          field("wait_working_count", &T::wait_working_count, "requests", "requests whose working-minute wait is counted"),
          field("p90_wait_working_min", &T::p90_wait_working_min, "working minutes",
                "90th percentile of those waits (censored included)"),
          field("work_min", &T::work_min, "minutes", "worker minutes serving the service's requests (incl. travel)"),
          field("shared_work_min", &T::shared_work_min, "minutes",
                "of which by the role the service is shared with (shared_with: social organisations)"),
          derived<T>(
              "coverage", [](const T& x) { return x.coverage(); }, "share",
              "served_in_time / demand (1 when there was no demand)"),
      });
  return t;
}

const Table<RoleTotals>& role_totals_table() {
  using T = RoleTotals;
  static const Table<T> t = make_table<T>(
      "totals", {"communities", "roles"}, "run totals of worker minutes per community and role",
      {
          field("available_min", &T::available_min, "minutes", "contracted worker minutes on shift (after absence)"),
          field("busy_min", &T::busy_min, "minutes", "worker minutes serving (incl. travel)"),
          field("travel_min", &T::travel_min, "minutes", "worker minutes travelling"),
          field("overhead_min", &T::overhead_min, "minutes", "worker minutes on overhead (meetings, reporting)"),
          field("overtime_min", &T::overtime_min, "minutes", "worker minutes beyond the contracted shift"),
          field("reserved_min", &T::reserved_min, "minutes",
                "worker minutes reserved for enrolment services (staff ratio)"),
      });
  return t;
}

const Table<CitywideService>& citywide_service_table() {
  using S = CitywideService;
  static const Table<S> t = make_table<S>(
      "citywide/services", {"services"},
      "citywide results per service (--summary-json: services.<name>, means over replicates)",
      {
          field("name", &S::name, "", "service name"),
          field("kind", &S::kind, "", "service kind: episodic | recurring | enrolment", kFirst),
          field("demand", &S::demand, "requests", "requests arrived, citywide", kMean),
          field("served", &S::served, "requests", "requests started, citywide", kMean),
          field("served_in_time", &S::served_in_time, "requests", "requests started by the deadline, citywide", kMean),
          field("unmet", &S::unmet, "requests", "requests dropped at the deadline, citywide", kMean),
          field("backlog_end", &S::backlog_end, "requests", "requests waiting at the end of the run, citywide", kMean),
          field("coverage", &S::coverage, "share", "served_in_time / demand over the city", JsonMode::mean_ci),
          field("coverage_resident_weighted", &S::coverage_resident_weighted, "share",
                "mean of community coverage weighted by residents", kMean),
          field("mean_wait_min", &S::mean_wait_min, "minutes", "mean wait of served requests", kMean),
          field("p50_wait_min", &S::p50_wait_min, "minutes", "median wait of served requests", kMean),
          field("p90_wait_min", &S::p90_wait_min, "minutes", "90th percentile wait of served requests", kMean),
          field("max_wait_min", &S::max_wait_min, "minutes", "longest wait of a served request", kMean),
          field("p_wait", &S::p_wait, "share", "share of served requests that waited at all", kMean),
          field("share_communities_below_target", &S::share_communities_below_target, "share",
                "share of communities whose coverage is below the coverage target", kMean),
          field("gini", &S::gini, "1", "Gini index of community coverage", kMean),
          field("worst_decile_coverage", &S::worst_decile_coverage, "share",
                "mean coverage of the worst 10 % of communities", kMean),
          field("unmet_hours", &S::unmet_hours, "hours",
                "service hours left unmet: requests dropped at the deadline or waiting at the end", kMean),
          field("elsewhere", &S::elsewhere, "requests", "episodes taken elsewhere (hospitals, clinics)", kMean),
          field("in_scope", &S::in_scope, "units",
                "residents (households) in the service's scope, mean per day (enrolment: per open day)", kMean),
          field("clients", &S::clients, "units",
                "of those, taking part (programme, take-up; enrolment: wanting a place at its fee and distance)", kMean),
          field("take_part_share", &S::take_part_share, "share", "clients / in scope", kMean),
          field("enrolled_share", &S::enrolled_share, "share",
                "enrolment services: enrolled person-days / in-scope person-days (e.g. under-3 enrolment); else 0", kMean),
          field("places_in_use", &S::places_in_use, "share",
                "enrolment services: enrolled person-days / facility place-days; else 0", kMean),
          field("district_coverage_best", &S::district_coverage_best, "share", "coverage of the best-served district", kMean),
          field("district_coverage_worst", &S::district_coverage_worst, "share", "coverage of the worst-served district", kMean),
          field("district_gini", &S::district_gini, "1", "Gini index of district coverage", kMean),
          field("worst_district", &S::worst_district, "", "the worst-served district", kFirst),
          field("mean_wait_working_min", &S::mean_wait_working_min, "working minutes",
                "mean wait counted in the serving role's working minutes (shift hours of working days), of every "
                "request: served (to its start), expired (to its expiry) or waiting at the end (to the end of the "
                "run); the last two are censored waits",
                kMean),
          field("p90_wait_working_min", &S::p90_wait_working_min, "working minutes",
                "90th percentile of the same waits (censored ones included)", kMean),
          field("overflow_share", &S::overflow_share, "share",
                "services with overflow_elsewhere (medical): requests dropped at the deadline, gone to hospitals, "
                "/ demand; else 0",
                kMean),
      });
  return t;
}

const Table<CitywideRole>& citywide_role_table() {
  using R = CitywideRole;
  static const Table<R> t = make_table<R>(
      "citywide/roles", {"roles"}, "citywide results per role (--summary-json: roles.<name>)",
      {
          field("name", &R::name, "", "role name"),
          field("staff", &R::staff, "1", "staff in post, citywide", kFirst),
          field("utilisation", &R::utilisation, "share", "busy / (available - overhead - reserved)", kMean),
          field("overtime_share", &R::overtime_share, "share", "overtime / available", kMean),
          field("overhead_share", &R::overhead_share, "share", "overhead / available", kMean),
          field("travel_share", &R::travel_share, "share", "travel / busy", kMean),
          field("wisn_pressure", &R::wisn_pressure, "1",
                "WHO WISN workload pressure: required_staff / staff_fte (above 1: more work than working time)", kMean),
          field("pay_yuan", &R::pay_yuan, "yuan", "staff pay over the run", kMean),
          field("staff_fte", &R::staff_fte, "1",
                "staff in post, committee members counted at their share of time serving residents", kFirst),
          field("available_hours_per_worker", &R::available_hours_per_worker, "hours/year",
                "WISN available working time: working days a year less public holidays, annual leave, sick leave "
                "and training days, times the hours of a day",
                kMean),
          field("overtime_hours_per_worker", &R::overtime_hours_per_worker, "hours/year",
                "overtime a year per full-time equivalent in post", kMean),
          field("workload_hours_per_year", &R::workload_hours_per_year, "hours/year",
                "the role's workload a year: every activity (activities table), unmet work included", kMean),
          field("required_staff", &R::required_staff, "1",
                "full-time equivalents the workload needs at the available working time (WISN)", kMean),
      });
  return t;
}

const Table<DailyRecords>& daily_service_table() {
  using D = DailyRecords;
  static const Table<D> t = make_table<D>(
      "daily", {"communities", "days", "services"}, "per community, day and service (only with run.daily_output)",
      {
          field("demand", &D::demand, "requests", "requests arrived that day (enrolment: person-days wanting)"),
          field("served", &D::served, "requests", "requests started that day (enrolment: enrolled person-days)"),
          field("served_in_time", &D::served_in_time, "requests", "requests started by their deadline that day"),
          field("unmet", &D::unmet, "requests", "requests dropped at the deadline that day"),
          field("backlog", &D::backlog, "requests", "requests waiting at the end of the day"),
          field("wait_mean_min", &D::wait_mean_min, "minutes", "mean wait of requests started that day"),
          field("wait_p50_min", &D::wait_p50_min, "minutes", "median wait of requests started that day"),
          field("wait_p90_min", &D::wait_p90_min, "minutes", "90th percentile wait of requests started that day"),
          field("wait_max_min", &D::wait_max_min, "minutes", "longest wait of requests started that day"),
      },
      Storage::columns, true);
  return t;
}

const Table<DailyRecords>& daily_role_table() {
  using D = DailyRecords;
  static const Table<D> t = make_table<D>(
      "daily", {"communities", "days", "roles"}, "per community, day and role (only with run.daily_output)",
      {
          field("available_min", &D::available_min, "minutes", "contracted worker minutes on shift that day"),
          field("busy_min", &D::busy_min, "minutes", "worker minutes serving that day (incl. travel)"),
          field("travel_min", &D::travel_min, "minutes", "worker minutes travelling that day"),
          field("overhead_min", &D::overhead_min, "minutes", "worker minutes on overhead that day"),
          field("overtime_min", &D::overtime_min, "minutes", "worker minutes beyond the shift that day"),
      },
      Storage::columns, true);
  return t;
}

const Table<WaitHistogram>& wait_histogram_table() {
  static const Table<WaitHistogram> t = make_table<WaitHistogram>(
      "", {"services"}, "citywide wait histograms",
      {field("wait_histogram", &WaitHistogram::counts, "requests",
             "citywide waits of served requests per service and bin; bin edges in wait_histogram_edges", JsonMode::none,
             "wait_histogram_bins")},
      Storage::rows, true);
  return t;
}

const Table<WaitHistogram>& working_wait_histogram_table() {
  static const Table<WaitHistogram> t = make_table<WaitHistogram>(
      "", {"services"}, "citywide wait histograms in working minutes",
      {field("working_wait_histogram", &WaitHistogram::counts, "requests",
             "citywide waits in the serving role's working minutes per service and bin, censored waits of expired "
             "and still-waiting requests included; bin edges in wait_histogram_edges",
             JsonMode::none, "wait_histogram_bins")},
      Storage::rows, true);
  return t;
}

const Table<CitywideActivity>& activity_table() {
  using A = CitywideActivity;
  static const Table<A> t = make_table<A>(
      "citywide/activities", {"activities"},
      "the workload of each role by activity, WHO WISN (--summary-json: activities[])",
      {
          field("role", &A::role, "", "role", kFirst),
          field("activity", &A::activity, "", "service name, enrolment, a support activity's name, or unmet", kFirst),
          field("kind", &A::kind, "",
                "service (requests served) | enrolment (staff reserved by ratio) | support (time standard x "
                "driver) | unmet (service hours left undone)",
                kFirst),
          field("hours_per_year", &A::hours_per_year, "hours/year", "citywide workload of the activity a year", kMean),
          field("share", &A::share, "share", "of the role's workload (all its activities, unmet included)", kMean),
      });
  return t;
}

const Table<YearRecord>& year_table() {
  static const Table<YearRecord> t = make_table<YearRecord>(
      "", {"years"}, "per simulated year (--summary-json: residents_by_year, demand_by_year.<service>)",
      {
          field("residents_by_year", &YearRecord::residents, "residents",
                "population at the start of each simulated year", kFirst),
          field("demand_by_year", &YearRecord::demand, "requests", "demand per simulated year and service, citywide",
                kFirst, "services"),
      });
  return t;
}

const Table<DistrictResult>& district_table() {
  using D = DistrictResult;
  static const Table<D> t = make_table<D>("districts", {"districts"}, "who lives in each district (--summary-json: districts[])", {
      field("name", &D::name, "", "district name", kFirst),
      field("code", &D::code, "", "census code (\"\" when not a census city)"),
      field("district_class", &D::district_class, "", "census city: old_core | inner | new_district | county"),
      field("county", &D::county, "1", "1 if a county (county funding, N5.3)"),
      field("communities", &D::communities, "communities", "communities in the district"),
      field("households", &D::households, "households", "family households", kFirst),
      field("residents", &D::residents, "residents", "residents", kFirst),
      field("area_km2", &D::area_km2, "km2", "area its communities cover (built-up)"),
      field("share_60plus", &D::share_60plus, "share", "share of residents aged 60+", kMean),
      field("share_80plus", &D::share_80plus, "share", "share of residents aged 80+", kMean),
      field("mean_household_size", &D::mean_household_size, "residents", "members per family household", kMean),
      field("one_person_share", &D::one_person_share, "share", "one-person households among family households", kMean),
      field("three_generation_share", &D::three_generation_share, "share",
            "households of three or more generations among family households", kMean),
  });
  return t;
}

namespace {
// The per-service cells of the results by district and by household type.
std::vector<Field<GroupServiceTotals>> group_service_fields() {
  using G = GroupServiceTotals;
  return {
      field("demand", &G::demand, "requests", "requests arrived (enrolment: person-days wanting)", kMean),
      field("served", &G::served, "requests", "requests started (enrolment: enrolled person-days)"),
      field("served_in_time", &G::served_in_time, "requests", "requests started by the deadline", kMean),
      field("unmet", &G::unmet, "requests", "requests dropped at the deadline (enrolment: waiting-list person-days)"),
      field("unmet_minutes", &G::unmet_minutes, "minutes", "service minutes left unmet"),
      derived<G>("coverage", [](const G& g) { return g.coverage(); }, "share", "served_in_time / demand", kMean),
      derived<G>("unmet_hours", [](const G& g) { return g.unmet_minutes / 60.0; }, "hours", "service hours left unmet",
                 kMean),
  };
}
}  // namespace

const Table<GroupServiceTotals>& district_service_table() {
  static const Table<GroupServiceTotals> t = make_table<GroupServiceTotals>(
      "districts", {"districts", "services"}, "each service by district (--summary-json: districts[].services)",
      group_service_fields());
  return t;
}

const Table<HouseholdTypeResult>& household_type_table() {
  using H = HouseholdTypeResult;
  static const Table<H> t = make_table<H>(
      "household_types", {"household_types"},
      "households and residents by household type (--summary-json: household_types[])",
      {field("name", &H::name, "", "household type", kFirst),
       field("households", &H::households, "households", "households of the type", kFirst),
       field("residents", &H::residents, "residents", "residents of the type", kFirst)});
  return t;
}

const Table<GroupServiceTotals>& household_type_service_table() {
  static const Table<GroupServiceTotals> t = make_table<GroupServiceTotals>(
      "household_types", {"household_types", "services"},
      "each service by the household type of the requester (--summary-json: household_types[].services)",
      group_service_fields());
  return t;
}

// ---------------------------------------------------------------- files and studies
const Table<FileFacts>& file_facts_table() {
  static const Table<FileFacts> t = make_table<FileFacts>(
      "", {}, "what the file is",
      {field("format", &FileFacts::format, "", "always commsim-output (written when the file is created)"),
       field("format_version", &FileFacts::format_version, "1", "version of this layout"),
       field("complete", &FileFacts::complete, "1",
             "1, written by commit() only: a file without it is not a finished output")},
      Storage::attributes);
  return t;
}

const Table<Provenance>& provenance_table() {
  using P = Provenance;
  static const Table<P> t = make_table<P>(
      "", {}, "provenance: what was run, with which program",
      {field("scenario_name", &P::scenario_name, "", "scenario name"),
       field("scenario_yaml", &P::scenario_yaml, "", "the fully resolved scenario (YAML)"),
       field("scenario_file", &P::scenario_file, "", "path of the scenario file as given"),
       field("seed", &P::seed, "1", "master seed"), field("version", &P::version, "", "program version"),
       field("git_commit", &P::git_commit, "", "the build's git commit"),
       field("command_line", &P::command_line, "", "the command line"),
       field("kind", &P::kind, "", "run (commsim run) or study (commsim study: one file for all runs of a study)")},
      Storage::attributes);
  return t;
}

const Table<StudyFileFacts>& study_file_table() {
  using F = StudyFileFacts;
  static const Table<F> t =
      make_table<F>("", {}, "root attributes a study file adds to the provenance",
                    {field("study_file", &F::study_file, "", "path of the study file as given"),
                     field("study_yaml", &F::study_yaml, "", "the study file's text"),
                     field("study_hash", &F::study_hash, "",
                           "hash of the study text, resolved base scenario, --set, streams and program version (resume "
                           "refuses a changed study)")},
                    Storage::attributes);
  return t;
}

const Table<StudyFacts>& study_facts_table() {
  using F = StudyFacts;
  static const Table<F> t = make_table<F>(
      "study", {}, "the study's design",
      {field("design", &F::design, "", "grid | variants | lhs"),
       field("variants", &F::variants, "1", "number of variants"),
       field("replicates", &F::replicates, "1", "replicates per variant"),
       field("runs", &F::runs, "1", "variants x replicates"),
       field("base_variant", &F::base_variant, "1", "the variant identical to the base scenario (else 0)"),
       field("independent_streams", &F::independent_streams, "1",
             "1 when every variant has its own seed (differences then unpaired)")},
      Storage::attributes);
  return t;
}

const Table<StudyVariantRow>& study_variant_table() {
  using V = StudyVariantRow;
  static const Table<V> t = make_table<V>(
      "study/variants", {"variants"}, "one entry per variant",
      {field("name", &V::name, "", "variant name (axis=value, ...)"),
       field("overrides", &V::overrides, "", "the variant's key.path=value overrides of the base, one per line"),
       field("scenario_yaml", &V::scenario_yaml, "", "the variant's fully resolved scenario (replay reloads it)"),
       field("seed", &V::seed, "1", "run.seed of the variant (equal for all variants unless independent streams)"),
       field("axis_values", &V::axis_values, "",
             "the variant's value of each study axis (YAML text; \"\" = not set by the variant)", JsonMode::none,
             "study_axes"),
       field("axis_numbers", &V::axis_numbers, "1", "axis_values as numbers (NaN where not a number)", JsonMode::none,
             "study_axes")});
  return t;
}

const Table<StudyRunRow>& study_run_table() {
  using R = StudyRunRow;
  static const Table<R> t = make_table<R>(
      "study", {"runs"}, "one entry per run i = variant x replicates + replicate (group /runs/NNNN)",
      {field("variant", &R::variant, "1", "variant index of run i"),
       field("replicate", &R::replicate, "1", "replicate of run i"), field("seed", &R::seed, "1", "run.seed of run i"),
       field("status", &R::status, "1", "1 = run i completed (a committed file has every run completed)"),
       field("axis_values", &R::axis_values, "", "run i's value of each study axis (YAML text)", JsonMode::none,
             "study_axes"),
       field("axis_numbers", &R::axis_numbers, "1", "axis_values as numbers (NaN where not a number)", JsonMode::none,
             "study_axes")});
  return t;
}

const Table<StudySummaryFacts>& study_summary_facts_table() {
  using F = StudySummaryFacts;
  static const Table<F> t =
      make_table<F>("study/summary", {}, "how the summary was computed",
                    {field("base_variant", &F::base_variant, "1", "variant the differences are taken against"),
                     field("paired", &F::paired, "1", "1 when replicate r of every variant shares its random streams"),
                     field("confidence", &F::confidence, "share", "confidence level of every interval")},
                    Storage::attributes);
  return t;
}

const Table<StudySummaryCell>& study_summary_table() {
  using S = StudySummaryCell;
  static const Table<S> t = make_table<S>(
      "study/summary", {"metrics", "variants", "services"},
      "per metric, variant and service: mean over replicates and paired difference to the base variant",
      {field("mean", &S::mean, "metric", "mean over replicates"),
       field("half_width", &S::half_width, "metric", "confidence half-width of the mean (Student t)"),
       field("diff_mean", &S::diff_mean, "metric", "mean of per-replicate differences to the base variant"),
       field("diff_half_width", &S::diff_half_width, "metric",
             "confidence half-width of the per-replicate differences"),
       field("diff_unpaired_half_width", &S::diff_unpaired_half_width, "metric",
             "half-width of the difference of means as if unpaired (Welch, df = 2 reps - 2)")});
  return t;
}

const Table<RunBookkeeping>& run_bookkeeping_table() {
  using B = RunBookkeeping;
  static const Table<B> t =
      make_table<B>("study/bookkeeping", {"runs"},
                    "who computed run i and how long it took (differs between executions: excluded from comparisons)",
                    {field("wall_s", &B::wall_s, "s", "wall time of run i"),
                     field("rank", &B::rank, "1", "MPI rank that computed run i (0 without MPI)"),
                     field("host", &B::host, "", "host that computed run i")});
  return t;
}

const Table<BookkeepingFacts>& bookkeeping_facts_table() {
  using B = BookkeepingFacts;
  static const Table<B> t = make_table<B>("study/bookkeeping", {}, "how the study was run",
                                          {field("command_line", &B::command_line, "", "the command as typed"),
                                           field("ranks", &B::ranks, "1", "MPI ranks (1 without MPI)")},
                                          Storage::attributes);
  return t;
}

const Table<TargetCheck>& calibration_target_table() {
  using T = TargetCheck;
  static const Table<T> t = make_table<T>(
      "calibration/targets", {"targets"},
      "calibration targets held against a run (--summary-json: calibration.targets; JSON fields marked first)",
      {field("name", &T::name, "", "target name", kFirst),
       field("measure", &T::measure, "", "the measure computing it from a run (docs/calibration.md)"),
       field("use", &T::use, "", "fit: calibrated to; check: an input check, never fitted"),
       field("observed", &T::observed, "target", "the observed figure", kFirst),
       field("tolerance", &T::tolerance, "target", "how far a run may be from it", kFirst),
       field("simulated", &T::simulated, "target", "the measure's value, mean over replicates", kFirst),
       field("within", &T::within, "1", "1 if |simulated - observed| <= tolerance", kFirst),
       field("source", &T::source, "", "keys of docs/sources.md, or an assumption", kFirst),
       field("computation", &T::computation, "", "how it is computed from a run")});
  return t;
}

const Table<StudyRunGroupFacts>& study_run_group_table() {
  using G = StudyRunGroupFacts;
  static const Table<G> t = make_table<G>(
      "", {}, "attributes a study adds to each run group",
      {field("variant", &G::variant, "1", "the run's variant"),
       field("variant_name", &G::variant_name, "", "the variant's name"),
       field("complete", &G::complete, "1", "1, written last: the run is complete (resume redoes others)")},
      Storage::attributes);
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
