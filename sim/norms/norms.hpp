// The norm rules of NORMS.md as pure functions (no state, no I/O): committee sizes (N3.1-N3.4),
// staffing counts (N3.5, N1.4), facility areas (N2.1-N2.4), size bands (N1), operating funds
// (N5.3). Every figure comes from the policy structs of the Scenario; the defaults of those
// structs are the Xi'an 2023 values. Table-driven tests in tests/norms/ pin every row.
#pragma once
#include <cstdint>
#include <string>

#include "sim/scenario/scenario.hpp"

namespace commsim {

enum class SizeBand : uint8_t { micro, normal, oversized };
SizeBand size_band(int64_t households, const Sizing& sizing);  // N1.1/N1.3
const char* size_band_name(SizeBand band);

struct Committees {
  int residents = 0;       // N3.2: residents' committee members
  int party = 0;           // N3.1: party organisation members
  int cross_appointed = 0; // N3.3: people on both
  int total_people = 0;    // distinct people; N3.4: at most cap_total
};
Committees committees(int64_t households, const CommitteePolicy& policy);

// A `schedule` rule's staff for a community of `households` family households (bands and slope,
// before the N1.4 extra, rounding and bounds).
double schedule_staff(const StaffingRule& rule, double households);

// Staff in post for one role by its rule: `residents` and `clients` (eligible clients of the
// rule's client_service; places of a per_place rule; family households of a schedule rule) of the
// community; oversized per N1.4; rounding, min/max, then vacancies. purchased: `clients` are the
// full-time posts the funds buy.
int staff_count(const StaffingRule& rule, double residents, double clients, bool oversized,
                const Committees& committees);

// N2.1 + N2.3: indoor floor area required; N2.2 outdoor; N2.4 activity area.
double facility_indoor_m2(int64_t households, bool is_new, const FacilityPolicy& policy);
double facility_outdoor_m2(const FacilityPolicy& policy);
double facility_activity_m2(double indoor_m2, const FacilityPolicy& policy);

// N5.3: operating funds of one community per year, city and district parts.
struct OperatingFunds {
  double city_yuan = 0, district_yuan = 0;
  double total() const { return city_yuan + district_yuan; }
};
OperatingFunds operating_funds(DistrictKind kind, const Funding& funding);

// Everything NORMS.md requires of a community of this size, under the given scenario's policies
// (`commsim norms`). Residents <= 0: households x the scenario's mean household size.
struct NormRequirement {
  int64_t households = 0;
  int64_t residents = 0;
  SizeBand band = SizeBand::normal;
  Committees committees;
  int community_workers = 0;
  double facility_area_m2 = 0;
  double outdoor_area_m2 = 0;
  double activity_area_m2 = 0;
  OperatingFunds funds;
};
NormRequirement norm_requirement(int64_t households, int64_t residents, bool is_new,
                                 DistrictKind kind, const Scenario& scenario);

// ---------------------------------------------------------------- compliance
// Compliance is measured against the norms' own figures (the scenario's norm set, Scenario::norms:
// NORMS.md's Xi'an 2023 values without a norm file), never against the policy a scenario applies:
// a scenario that staffs 14 community workers per 10,000 residents is out of N3.5 wherever its
// committee alone does not reach 18 per 10,000.
struct NormFacts {
  int64_t households = 0, residents = 0;  // family households; all residents
  bool is_new = false;
  double indoor_m2 = 0, outdoor_m2 = 0;   // the facility's areas
  double activity_share = 0;              // share of the indoor area in activity uses
  int committee_people = 0;               // both committees, distinct people
  int community_workers = -1;             // in post, committee members serving as workers included; -1: no such role
};
struct NormCompliance {
  // N3.5: 18 per 10,000 residents, rounded to the nearest (or the set's rule; a set that does not
  // count the committee within its figure requires the committee on top)
  int required_community_workers = 0;
  double required_indoor_m2 = 0, required_outdoor_m2 = 0;  // N2.1/N2.3, N2.2
  bool size_ok = true, facility_ok = true, activity_ok = true, committee_ok = true, workers_ok = true;
};
NormCompliance norm_compliance(const NormFacts& facts, const NormSet& norms = NormSet{});

// What a norm set requires of a community (`commsim norms --norms FILE`): its size band,
// committees (the set's bands; party organisation and cross-appointment from `scenario`), community
// workers as the set counts them (committee members included; a set that does not count them in
// its figure requires them on top), facility areas and funds. Residents <= 0: households x the
// scenario's mean household size.
NormRequirement norm_set_requirement(int64_t households, int64_t residents, bool is_new, DistrictKind kind,
                                     const NormSet& norms, const Scenario& scenario);

// The set's headline figures in one line ("25 community workers per 10,000 residents (committee
// included); 30 m2 per 100 households").
std::string norm_figures_text(const NormSet& norms);

// A norm set's community-worker figure as a staffing rule (per 10,000 residents or a schedule).
StaffingRule norm_worker_rule(const NormSet& norms);

}  // namespace commsim
