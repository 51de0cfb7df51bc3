// The Scenario: everything a run needs, as plain immutable structs. Loaded and validated from YAML
// by sim/scenario/load.hpp (the only code that reads YAML); every other module takes these structs.
// Each field's YAML key is its name here; units are in the names. Defaults are the shipped
// baseline's (NORMS.md / REFERENCE-DATA.md) unless the loader says otherwise; docs/scenario-reference.md
// lists every key.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/error.hpp"

namespace commsim {

// ---------------------------------------------------------------- run
struct RunSettings {
  int days = 365;              // simulated days; > 365 runs several years (population dynamics yearly)
  uint64_t seed = 20231219;    // master seed of every random stream
  int replicates = 1;          // independent replicates (replicate r uses streams keyed by r)
  int threads = 0;             // 0 = all hardware threads
  bool daily_output = true;    // write per-community daily records to HDF5
  // The city is built and simulated in batches of consecutive communities of about this many
  // residents (only results are kept, so memory is bounded by a batch); 0 = the whole city at once.
  // Results do not depend on it. Sizing other than as_given and shared stations need the whole city.
  int64_t batch_residents = 2000000;
  double coverage_target = 0.9;  // share of communities below this coverage is reported
  // Scales all demand uniformly (episodic rates, recurring visits, enrolment wants; `commsim
  // headroom`): 1 = the scenario's demand. Applied when services are compiled (sim/demand).
  double demand_multiplier = 1.0;
};

// ---------------------------------------------------------------- city
enum class DistrictKind : uint8_t { urban, county };

struct District {
  std::string name;
  DistrictKind kind = DistrictKind::urban;
};

struct CommunitySpec {
  std::string name;
  std::string district;          // must name a District
  int64_t households = 0;        // > 0
  double area_km2 = 0.0;         // 0 = households / city.density_households_per_km2
  double x_m = 0.0, y_m = 0.0;   // position of the community centre in the city
  bool is_new = false;           // newly built (N2.3 small-community facility minimum applies)
  double facility_indoor_m2 = -1.0;  // < 0 = from the facility policy
  double facility_outdoor_m2 = -1.0; // < 0 = from the facility policy
  // Census city (issue 26): the residents of a planner's community (0 = drawn from its district's
  // household sizes); residents above the drawn family households live outside them.
  int64_t residents = 0;
  // Staff in post by role (a communities file's staff.<role> columns), committee members included
  // where the committee counts in the norm: replaces the role's staffing rule in this community.
  std::vector<std::pair<std::string, int>> staff;
  SourcePos position;                // of the community (its CSV row), for errors found later
};

// Mean community size by district class relative to the city's (census city).
struct ClassSizeFactors {
  double old_core = 1.0, inner = 1.0, new_district = 1.0, county = 1.0;
};

// Generates a city with a realistic spread of community sizes (REFERENCE-DATA.md "The city").
struct CityGenerator {
  int communities = 0;                 // 0 = generator off
  double households_median = 3500;     // lognormal median of households per community
  double households_sigma = 0.45;      // lognormal sigma
  double oversized_share = 0.026;      // share forced above 5,000 households (N1.3: 34 of ~1,300)
  double micro_share = 0.079;          // share forced below 1,000 households (N1.3: 103 of ~1,300)
  double county_share = 0.0;           // share of communities in county districts
  int districts = 10;
  double new_share = 0.1;              // share of communities flagged newly built
  // Census city: mean households per community, by district class (communities = 0: the whole
  // city at these sizes; N: a sample of N of its communities).
  double households_mean = 3300;
  ClassSizeFactors size_factor;
  SourcePos position;  // of `communities` in the scenario, or the --set that gave it (for errors found later)
};

// A city built from the 2020 census county table (issue 15, docs/population-data.md): its districts
// and counties, their urban residents and family households, age structure by sex and household
// composition; a second file gives each unit's class and built-up area.
struct CensusCity {
  std::string file;                    // census county CSV ("" = no census city)
  std::string districts_file;          // per unit code: class, built-up area (scenarios/data/xian-districts.csv)
  std::string city_code;               // a city (xxxx00), province (xx0000) or the nation (000000): all its units
  std::vector<std::string> units;      // or these county codes
  std::string residents = "urban";     // urban: the units' urban residents (城镇人口) | all
  // Units without a districts-file row: built-up area = urban residents / density (census.hpp,
  // derive_district_extras).
  double built_up_density_per_km2 = 11549;
  double old_core_density_per_km2 = 25000;
  SourcePos position;                  // of city_code / units in the scenario (for unknown codes)
  bool enabled() const { return !file.empty(); }
};

struct City {
  CensusCity census;
  std::vector<District> districts;           // default: one urban district "city"
  std::vector<CommunitySpec> communities;    // explicit communities (or from communities_file)
  std::string communities_file;              // CSV of communities, resolved relative to the scenario
  CityGenerator generator;
  double density_households_per_km2 = 7000;  // area of a community when not given
};

// ---------------------------------------------------------------- population
enum class Dependency : uint8_t { none = 0, partial = 1, full = 2 };

struct AgeBand {       // inclusive ages [from, to]
  int from = 0, to = 0;
  double value = 0.0;  // meaning given by the list it is in (share, rate, probability)
};

struct DependencyBand {
  int from = 0, to = 0;
  double partial = 0.0;  // share partially dependent
  double full = 0.0;     // share fully dependent
};

struct Dynamics {
  bool enabled = false;
  std::vector<AgeBand> mortality_per_year;        // probability of death within a year, by age
  double births_per_1000 = 8.44;                  // crude birth rate per 1,000 residents per year
  std::vector<DependencyBand> onset_per_year;     // yearly probability none->partial, partial->full
  double household_turnover_per_year = 0.03;      // share of households replaced by newcomers
};

// Household income (per person, per year): lognormal.
struct Income {
  double median_per_capita_yuan = 46931;  // Xi'an urban disposable income per person, 2021 (P21)
  double sigma = 0.6;                     // lognormal sigma (the shape of an urban quintile table, P26)
};

struct Population {
  std::vector<double> household_size_shares;     // [1 person, 2, ..., N+]; sums to 1
  std::vector<AgeBand> age_shares;               // shares of residents by age band; sum to 1
  double male_share = 0.51;
  std::vector<DependencyBand> dependency;        // by age band
  std::vector<AgeBand> hypertension;             // prevalence by age band
  std::vector<AgeBand> diabetes;                 // prevalence by age band
  double low_income_share = 0.01;                // share of households (minimum living guarantee)
  std::string placement = "uniform";             // "uniform" | "clustered"
  int blocks_per_km2 = 20;                       // residential blocks when clustered
  double block_radius_m = 60;                    // spread of households around a block centre
  std::string households_file;                   // CSV of households and members (replaces synthesis)
  Income income;
  Dynamics dynamics;
};

// ---------------------------------------------------------------- services
enum class ServiceKind : uint8_t { episodic, recurring, enrolment };
// As scenario files and outputs write them, in enum order.
inline constexpr std::array<const char*, 3> kServiceKindNames = {"episodic", "recurring", "enrolment"};
enum class ServiceUnit : uint8_t { resident, household };
enum class Place : uint8_t { facility, home };
enum class ServiceTimeDist : uint8_t { fixed, exponential };
enum class ChronicFilter : uint8_t { any, hypertension, diabetes, either };
// Whom the resident lives with (household type of issue 15).
enum class LivingFilter : uint8_t { any, alone, elderly_only, alone_or_elderly_only, with_others };

struct Eligibility {
  int min_age = 0, max_age = 150;                  // inclusive; for household services: any member
  std::array<bool, 3> dependency = {true, true, true};  // allowed levels none/partial/full
  ChronicFilter chronic = ChronicFilter::any;      // any = no condition required
  bool low_income_only = false;
  LivingFilter living = LivingFilter::any;         // household filter (alone: a one-person household)
  double programme_share = 1.0;                    // share of the eligible enrolled in the service's
                                                   // programme (e.g. chronic-disease management)
};

// Take-up: who of those who need or want a service uses it (issue 15). Enrolment services: a
// household pays the fee only when it is within its willingness to pay (a share of household
// income, lognormal across households) and accepts the distance (the share accepting falls
// exponentially with distance; km_90 is the distance 90 % accept). Recurring services: a share of
// the eligible take it up, depending on whether someone in the household can care.
struct TakeUp {
  double fee_yuan_per_month = 0;       // 0 = free (no income test)
  double wtp_income_share = 0.1;       // median share of household income a household would pay
  double wtp_sigma = 0.5;              // lognormal sigma of that share across households
  double km_90 = 0;                    // 0 = distance does not matter
  double with_carer = 1.0;             // recurring: take-up when a household member can care
  double without_carer = 1.0;          // recurring: take-up otherwise (living alone or with dependents)
};

struct Service {
  std::string name;
  ServiceKind kind = ServiceKind::episodic;
  ServiceUnit unit = ServiceUnit::resident;
  Eligibility eligible;
  std::string role;                        // staff role that serves it (must name a Role)
  // A share of the requests served by another role instead (social organisations and volunteers,
  // N4.4): each request's own draw routes it.
  struct SharedWith {
    std::string role;                      // empty = not shared
    double share = 0.0;
  } shared_with;

  // episodic: Poisson episodes per eligible unit per year
  double rate_per_year = 0.0;                       // base rate (all ages)
  std::vector<AgeBand> rate_per_year_by_age;        // if set, replaces rate_per_year by age
  double chronic_extra_per_year = 0.0;              // added for residents with a chronic condition

  // recurring: visits per period by dependency level (none/partial/full)
  int period_days = 7;
  std::array<double, 3> visits_per_period = {0.0, 1.0, 3.0};

  // episodic: share of episodes seen at the community facility; the rest go elsewhere (recorded)
  double community_share = 1.0;
  // Requests not served by their deadline go elsewhere (medical: to hospitals): reported as overflow.
  bool overflow_elsewhere = false;

  // enrolment: share of eligible residents who want a place, by dependency level
  std::array<double, 3> want_share = {0.0, 0.0, 0.0};
  TakeUp take_up;
  std::vector<AgeBand> clients_per_staff_by_age;    // staff ratio (e.g. childcare 1:3/1:5/1:7)
  double clients_per_staff = 0.0;                   // used when the by-age list is empty
  std::string facility_use;                         // use whose places bound enrolment (or a room
                                                    // limit for queue services); empty = none
  std::array<bool, 7> open_weekdays = {true, true, true, true, true, false, false};  // Mon..Sun

  // service of a request
  double service_minutes = 15.0;
  ServiceTimeDist service_time = ServiceTimeDist::fixed;
  Place where = Place::facility;
  int deadline_days = 0;           // working days after arrival; < 0 = no deadline
  bool expire = true;              // at the deadline an unserved request is dropped (unmet)
  int priority = 0;                // higher is served first among waiting requests of one role
  std::array<double, 24> arrival_profile{};  // weight per hour of day; all zero = role's shift hours
};

// ---------------------------------------------------------------- workers and staffing
// A support activity of a role (WHO WISN): work not driven by residents' requests — meetings,
// reporting and ledgers, tasks from above, inspections — with a time standard per unit of its
// driver a year. The community's total is shared each working day by the role's present workers.
// per_worker_pair: coordination (meetings, supervision) per worker and colleague of the team: a team of
// n has n x (n - 1) units, so each worker's share grows with the team.
enum class ActivityDriver : uint8_t { per_worker, per_household, per_resident, per_community, per_worker_pair };
struct RoleActivity {
  std::string name;
  ActivityDriver driver = ActivityDriver::per_community;
  double hours_per_year = 0.0;        // per unit of the driver
};

struct Role {
  std::string name;
  double hours_per_week = 40.0;
  int days_per_week = 5;               // works Mon.. for this many days
  int shift_start_minute = 510;        // 08:30
  double absence_rate = 0.03;          // probability a worker is absent on a working day
  double pay_per_month_yuan = 6000.0;
  double max_overtime_minutes = 60.0;  // a service may end at most this long after the shift
  double travel_speed_m_per_min = 75.0;
  double overhead_hours_per_week = 0.0;  // per community, shared by the role's present workers
  std::vector<RoleActivity> activities;  // support activities (WISN), on top of the overhead
  // Available working time (WISN): days a year off work on leave, sick or in training (taken as a
  // daily absence probability on working days), and whether the role works public holidays.
  double annual_leave_days = 0.0, sick_leave_days = 0.0, training_days = 0.0;
  bool works_public_holidays = true;
};

// purchased (政府购买服务, issue 24): the posts the operating funds' purchase share buys (funding.purchase_*).
enum class StaffingRuleKind : uint8_t { per_10k_residents, per_client, fixed, committee, per_place, schedule, purchased };
enum class Rounding : uint8_t { nearest, up, down };

struct StaffingRule {
  std::string role;
  StaffingRuleKind rule = StaffingRuleKind::fixed;
  double per_10k = 0.0;                 // per_10k_residents
  std::string client_service;           // per_client: the service whose eligible clients count
  double clients_per_staff = 0.0;       // per_client
  std::string facility_use;             // per_place: the facility use whose places are staffed
  double places_per_staff = 0.0;        // per_place
  double fixed = 0.0;                   // fixed count
  int min = 0;                          // bounds after rounding
  int max = 1000000;
  Rounding rounding = Rounding::nearest;
  double oversized_extra_share = 0.0;   // N1.4: extra share of staff when oversized (> 5,000 hh)
  double vacancy_share = 0.0;           // share of posts left unfilled (rounded down)
  // schedule: staff by the community's family households — a floor and steps (bands, ascending
  // `from`), then one more per `extra_per_households` above `extra_from_households`; `max` is the
  // cap (Taiyuan 2020: 3 / 4 / 5 / 6 from 0 / 2,000 / 3,000 / 4,000, +1 per 500 above 5,000, at most 17).
  struct Band {
    double from_households = 0.0;
    double staff = 0.0;
  };
  std::vector<Band> bands;
  double extra_from_households = 0.0;
  double extra_per_households = 0.0;    // 0 = no slope after the last band
};

struct CommitteePolicy {
  // N3.2: residents' committee members by household band
  int small_households_below = 2000;    // < 2000 households: small
  int large_households_above = 4000;    // > 4000 households: large
  int small = 5, medium = 7, large = 9;
  // N3.1: party organisation 3 (branch) or 5 (general branch / committee)
  int party_small = 3, party_large = 5;
  int party_large_from_households = 2000;
  double cross_appointment_share = 0.6; // N3.3: >= 60 % serve on both
  int cap_total = 11;                   // N3.4: both committees together at most 11 people
  std::string serves_as_role = "community_worker";  // committee members add capacity to this role
  double service_share = 0.5;           // share of a committee member's time serving residents
  // The staffing norm counts the committee members (S30): the role's rule gives the headcount,
  // committee members included, and full-time workers fill the rest.
  bool counts_in_norm = true;
};

struct Staffing {
  std::vector<Role> roles;
  std::vector<StaffingRule> rules;      // one per role at most
  CommitteePolicy committee;
  std::vector<double> public_holidays;  // days of the year (0 = 1 January) off for roles that observe them
};

// ---------------------------------------------------------------- facility
struct FacilityUse {
  std::string name;
  double share = 0.0;                   // share of indoor area
  double m2_per_place = 0.0;            // 0 = no places (offices, activity rooms)
  bool activity = false;                // counts toward the N2.4 activity share
};

struct FacilityPolicy {
  double m2_per_100_households = 30.0;  // N2.1
  double small_minimum_m2 = 600.0;      // N2.3
  int small_below_households = 2000;    // N2.3: applies to new communities below this
  double outdoor_minimum_m2 = 1000.0;   // N2.2
  double activity_share_min = 0.6;      // N2.4
  std::vector<FacilityUse> uses;
  // N5.1: the facility's construction cost, annualised straight-line over its life (no source:
  // assumptions with ranges in docs/curves.md); reported as cost_facility_capital_yuan.
  double capital_cost_yuan_per_m2 = 4000.0;
  double capital_life_years = 50.0;
  // Shared health stations: a community without a place of `use` of its own is served by the
  // nearest community's station with one, within `reach_m` (straight line between the communities'
  // centres x travel.detour_factor): its staff use `rooms` of that station's places.
  struct SharedStation {
    std::string use;                    // empty = no sharing
    double reach_m = 1500.0;
    int rooms = 1;
  };
  SharedStation shared_station;
  // Facilities as built (issue 24): a share of the communities whose area is not given fall short
  // of the policy's area (面积不达标), more often in the old core; a short facility has a uniform
  // share of the policy's area in [shortfall_area_min, shortfall_area_max], drawn once per community.
  double shortfall_share = 0.0;             // share of communities with a short facility
  double shortfall_old_core_factor = 1.0;   // old-core districts: shortfall_share x this (at most 1)
  double shortfall_area_min = 0.5, shortfall_area_max = 1.0;
};

// ---------------------------------------------------------------- sizing
enum class SizingMode : uint8_t { as_given, uniform, restructure };

struct Sizing {
  SizingMode mode = SizingMode::as_given;
  int64_t households = 3500;            // uniform: target households per community
  int64_t upper = 5000;                 // restructure: split above (N1.1)
  int64_t lower = 1000;                 // restructure: merge below (N1.1)
  int64_t preferred = 3500;             // restructure: size of split parts (N1.2)
  int64_t oversized_above = 5000;       // flag oversized (N1.3)
  int64_t micro_below = 1000;           // flag micro (N1.3)
};

// ---------------------------------------------------------------- funding
struct Funding {
  double city_per_community_yuan = 130000;        // N5.3
  double district_urban_per_community_yuan = 120000;
  double district_county_per_community_yuan = 70000;
  double pay_city_share = 0.5;                    // N5.2: community worker pay shared 1:1
  // Funds that buy service (政府购买服务, issue 24): a share of the operating funds buys contracted
  // service hours at a price; a `purchased` staffing rule turns them into posts of its role.
  double purchase_share = 0.0;                    // share of the operating funds (city + district)
  double purchase_price_yuan_per_hour = 60.0;     // price of one contracted service hour
};

// ---------------------------------------------------------------- travel
struct Travel {
  double detour_factor = 1.3;           // network distance / straight line
  bool manhattan = false;               // grid (L1) distance instead of straight line
  double access_minutes = 15.0;         // N1.5 15-minute circle
  double access_speed_m_per_min = 75.0; // walking speed for the access metric
};

// ---------------------------------------------------------------- shocks
enum class ShockKind : uint8_t { demand_surge, staff_absence, facility_closure, vacancy };

struct Shock {
  ShockKind kind = ShockKind::demand_surge;
  int start_day = 0, end_day = 0;       // inclusive-exclusive [start_day, end_day)
  std::string service;                  // demand_surge
  double factor = 1.0;                  // demand_surge: demand multiplier
  std::string role;                     // staff_absence, vacancy
  double share = 0.0;                   // staff_absence: extra absence share; vacancy: share unfilled
  std::vector<std::string> communities; // empty = all
};

// ---------------------------------------------------------------- residents' own networks
// Neighbours, building heads and volunteers make a share of the visits of `services` (recurring
// visit services): share = share_at_reference x (reference_households / family households) ^
// size_elasticity, at most max_share. The visits they make are not requests to the community's
// staff (counted as `elsewhere`).
struct ResidentNetworks {
  std::vector<std::string> services;
  double share_at_reference = 0.0;
  double reference_households = 3500.0;
  double size_elasticity = 1.0;
  double max_share = 0.8;
};

// ---------------------------------------------------------------- norm sets (issue 26)
// A jurisdiction's norms as figures (scenarios/norms/*.yaml, docs/norms.md): the community-worker
// rule (per 10,000 residents, or a schedule by households), the residents' committee, the facility
// and the operating funds. `norms: FILE` (or `commsim run --norms FILE`) applies the given sections
// as the scenario's staffing, committee, facility and funding rules, and compliance is judged
// against the same figures. The defaults are Xi'an 2023 (NORMS.md), the figures compliance is
// judged against without a norm set.
struct NormSet {
  std::string file;                     // "" = the Xi'an 2023 defaults (no norm file)
  std::string name = "xian-2023";
  std::string title = "Xi'an 2023 measures (NORMS.md)";
  std::string source = "N3.5";          // a key of sim/calibration/sources.yaml
  struct Workers {
    bool given = true;                  // the file has the section (the defaults: Xi'an's own)
    StaffingRuleKind rule = StaffingRuleKind::per_10k_residents;  // per_10k_residents | schedule
    double per_10k = 18.0;              // N3.5
    std::vector<StaffingRule::Band> bands;  // schedule
    double extra_from_households = 0.0, extra_per_households = 0.0;
    int max = 1000000;                  // cap per community
    bool counts_committee = true;       // committee members count within the figure (S30)
    double oversized_extra_share = -1;  // N1.4 extra; < 0 = the scenario's
    std::string source = "N3.5", note;
  } community_workers;
  struct Committee {
    bool given = true;
    int small_households_below = 2000, large_households_above = 4000;  // N3.2 bands
    int small = 5, medium = 7, large = 9;
    int cap_total = 11;                 // N3.4
    std::string source = "N3.2", note;
  } committee;
  struct Facility {
    bool given = true;
    double m2_per_100_households = 30.0;  // N2.1
    double small_minimum_m2 = 600.0;      // N2.3
    int small_below_households = 2000;
    double outdoor_minimum_m2 = 1000.0;   // N2.2
    double activity_share_min = 0.6;      // N2.4
    std::string source = "N2.1", note;
  } facility;
  struct Funds {
    bool given = true;
    double city_per_community_yuan = 130000, district_urban_per_community_yuan = 120000,
           district_county_per_community_yuan = 70000;  // N5.3
    std::string source = "N5.3", note;
  } funding;
  struct Size {
    bool given = true;
    int64_t micro_below = 1000, oversized_above = 5000;  // N1.1
    std::string source = "N1.1", note;
  } size;
};

// ---------------------------------------------------------------- calibration
// What the calibration found (docs/calibration.md): a set of accepted parameter values (a CSV of
// `commsim calibrate --abc`) that --uncertainty and findings draw from instead of the parameters'
// ranges. A plain run never reads it.
struct CalibrationSettings {
  std::string accepted_file;  // absolute once loaded; "" = none
};

// ---------------------------------------------------------------- limits of the engine's state
// Checked by the loader (validate.cpp), so that the engine only asserts them.
// Residents keep one enrolment bit per service index in a byte (Residents::enrolled).
inline constexpr int kMaxEnrolmentServiceIndex = 7;
// A year's requests are keyed by (day, role) group in 21 bits (sim/demand: Calendar):
// 365 days x 5,745 roles < 2^21.
inline constexpr int kMaxRoles = 5745;

// ---------------------------------------------------------------- findings (issue 25)
// What `commsim findings` values: an unmet service hour is worth this much (docs/findings.md). The
// efficient staffing level adds community workers while the cost of an unmet hour avoided stays
// below it; the best community size minimises the public cost plus the unmet hours at this value.
struct FindingsSettings {
  double value_of_service_hour_yuan = 60.0;  // a range in the registry (38-150), not a number
};

// ---------------------------------------------------------------- the scenario
struct Scenario {
  std::string name;
  std::string source_file;        // the file it was loaded from
  std::vector<std::string> input_files;  // every file it reads: itself, its extends chain, its data files
  std::string resolved_yaml;      // the fully resolved scenario as YAML text (provenance)
  RunSettings run;
  City city;
  Population population;
  std::vector<Service> services;
  Staffing staffing;
  FacilityPolicy facility;
  Sizing sizing;
  Funding funding;
  Travel travel;
  std::vector<Shock> shocks;
  ResidentNetworks networks;
  FindingsSettings findings;
  std::string norms_file;         // a norm set (scenarios/norms/); "" = none
  NormSet norms;                  // its figures (applied and judged against); Xi'an 2023 without one
  CalibrationSettings calibration;

  int service_index(const std::string& service_name) const {
    for (size_t i = 0; i < services.size(); ++i)
      if (services[i].name == service_name) return static_cast<int>(i);
    return -1;
  }
  int role_index(const std::string& role_name) const {
    for (size_t i = 0; i < staffing.roles.size(); ++i)
      if (staffing.roles[i].name == role_name) return static_cast<int>(i);
    return -1;
  }
};

}  // namespace commsim
