// Demand: service definitions compiled from the scenario, eligibility, and request generation.
//
// Requests of a community are generated one simulated year at a time into a day-bucketed
// calendar (per-day buckets, no global heap). Every draw is keyed by (seed, replicate, the unit's
// stable global id, service name key, year or period, event index), so a resident asks for the
// same things in every scenario that keeps the population, whichever community it belongs to and
// whatever the staffing (common random numbers). Enrolment services are not requests: their
// wanting residents are found by wants() and admitted daily by sim/service/.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/population/population.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

struct CompiledService {
  const Service* spec = nullptr;
  // With run.demand_multiplier != 1: the service with its demand scaled, which `spec` points to.
  std::shared_ptr<const Service> scaled;
  int index = 0;
  int role = -1;                 // index into staffing.roles
  int shared_role = -1;          // another role serving `shared_share` of the requests (-1 none)
  double shared_share = 0;
  int use = -1;                  // facility use index (places), -1 none
  uint32_t key = 0;              // stable key of the service name
  ServiceKind kind = ServiceKind::episodic;
  AgeTable rate_per_year;        // episodic, by age (resident unit)
  AgeTable clients_per_staff;    // enrolment staff ratio by age
  std::array<double, 24> profile_cdf{};  // arrival hour distribution
  // Guide table of the hour draw: for u in [g/256, (g+1)/256) x total, the hour is at least
  // hour_guide[g], so the cdf walk starts there (same hour as a walk from 0, in ~1 step).
  std::array<uint8_t, 256> hour_guide{};
  // Last day a request arriving on weekday w may start: day + deadline_add[w] (nth_open_day of the
  // deadline, which depends only on the weekday); no deadline: deadline_add unused, INT32_MAX.
  std::array<int32_t, 7> deadline_add{};
  std::array<bool, 7> open{};    // weekdays the service is open (Mon..Sun)
  int priority_level = 0;        // dense priority level within its role (0 = highest)
  // The run's stream key parts: eligibility draws (programme enrolment, take-up) are per resident.
  uint64_t seed = 0;
  uint32_t replicate = 0;
  double distance_scale_km = 0;  // take-up: acceptance exp(-d / scale); 0 = distance does not matter
};

// Compiled for one replicate of a run (its draws of who takes a service up are keyed by it).
std::vector<CompiledService> compile_services(const Scenario& scenario, uint32_t replicate = 0);

// Eligibility of a resident / a household (any member eligible; low-income filter on the household).
// A resident's eligibility includes the household filter (living alone, elderly only), enrolment
// in the service's programme (programme_share) and, for recurring services, take-up (with or
// without someone in the household who can care): stable draws per resident.
bool eligible(const CompiledService& s, const Residents& res, size_t resident);
// In the service's scope: eligible before programme enrolment and take-up draws.
bool in_scope(const CompiledService& s, const Residents& res, size_t resident);
// Someone else in the resident's household can care: aged 18-79 and not dependent.
bool has_carer(const Residents& res, size_t resident);
bool eligible_household(const CompiledService& s, const Residents& res, size_t household);
// Eligible units (residents or households) with positive demand: clients of per-client staffing.
uint64_t count_clients(const CompiledService& s, const Residents& res);
// Whether an eligible resident wants a place in an enrolment service and takes it up at its fee
// and distance (stable per resident and household). `distance_km` from home to the facility.
bool wants(const CompiledService& s, const Residents& res, size_t resident, double distance_km);

// Day of week of a simulated day (day 0 is a Monday).
inline int weekday(int day) { return day % 7; }
// The k-th open day on or after `day` (k = 0: `day` itself if open).
int nth_open_day(const std::array<bool, 7>& open, int day, int k);

// One request. Times are absolute minutes since the start of the run.
struct Request {
  double arrival_min = 0;
  float duration_min = 0;     // service time, without travel
  int32_t deadline_day = 0;   // last day the request may start (INT32_MAX: none)
  uint32_t household = 0;     // local household index (travel for home services)
  uint16_t service = 0;
  uint8_t priority_level = 0;
  uint8_t flags = 0;
};
static_assert(sizeof(Request) <= 24, "a request fits in 24 bytes");

// The order of requests, defined once: by arrival minute, then service index, then household.
// generate_requests sorts each (day, role) group of a Calendar in it and serve_queue merges a
// pool's backlog with a day's arrivals in it; the merge is right because both use this order.
inline bool request_before(const Request& a, const Request& b) {
  if (a.arrival_min != b.arrival_min) return a.arrival_min < b.arrival_min;
  if (a.service != b.service) return a.service < b.service;
  return a.household < b.household;
}

// Requests of one community for days [first_day, last_day), bucketed by day and by the role
// that serves them.
struct Calendar {
  int first_day = 0, last_day = 0;
  int roles = 0;                         // 1 + the largest role index of a service
  std::vector<Request> requests;         // by (day, role), then request_before
  std::vector<uint32_t> group_offset;    // day d, role r: group g = (d - first_day) x roles + r
  const Request* begin(int day, int role) const { return requests.data() + group_offset[group(day, role)]; }
  size_t size(int day, int role) const { return group_offset[group(day, role) + 1] - group_offset[group(day, role)]; }
  size_t group(int day, int role) const { return static_cast<size_t>(day - first_day) * static_cast<size_t>(roles) + static_cast<size_t>(role); }
};

// Working memory of generate_requests, reused from call to call (no allocation once warm).
struct DemandScratch {
  std::vector<Request> generated;   // in generation order
  std::vector<uint32_t> bucket;     // per generated request: its time key ((day, role) group, slot)
  std::vector<uint32_t> bucket_offset;
  std::vector<int> days, surge_days, period_days;
  std::vector<uint32_t> period_offset;
  std::vector<uint64_t> elsewhere;  // per service: episodes of the year seen elsewhere (community_share),
                                    // or visits residents' networks made (recurring services)
  // Per service, the year's units (residents or households) in the service's scope (its age,
  // dependency, chronic, household and income criteria) and, of those, its clients (enrolled in
  // its programme and taking it up; enrolment services: wanting a place at its fee and distance).
  std::vector<uint32_t> in_scope, clients;
};

struct DemandShock {   // a demand surge resolved for one community
  int service = 0;
  int start_day = 0, end_day = 0;
  double factor = 1.0;
  uint32_t index = 0;  // shock index: keys the stream of extra demand
};

struct DemandContext {
  uint64_t seed = 0;
  uint32_t replicate = 0;
  int year = 0;
  int first_day = 0, last_day = 0;
  std::vector<DemandShock> surges;
  // Per service: the share of its recurring visits residents' networks make (issue 23); null or
  // empty = none. Those visits are counted in DemandScratch::elsewhere, not requested.
  const std::vector<double>* network_share = nullptr;
};

// Fills `out` with the requests of every episodic and recurring service for the context's days.
// Draws: episode k of a unit's year owns block k of its stream (day, hour, minute, duration: one
// word each), so a unit's first episodes are the same whatever its rate. `scratch` is reused
// between calls (no allocation once warm).
void generate_requests(const std::vector<CompiledService>& services, const Residents& res,
                       const DemandContext& ctx, Calendar& out, DemandScratch& scratch);

}  // namespace commsim
