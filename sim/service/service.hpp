// Service delivery in one community on one day: workers on shift, enrolment admissions under
// places and staff ratios, and the minute-resolution queue of each worker pool (one pool per
// role): non-preemptive priorities, FIFO within a priority, deadlines, carry-over, travel for home
// services. Everything works on per-community scratch that is allocated once and reused.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/demand/demand.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/service/queue.hpp"
#include "sim/metrics/working_time.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

// One worker's window on a day, in absolute minutes since the run start.
struct Shift {
  double start = 0;     // after the worker's share of overhead
  double end = 0;       // end of contracted time
  double overtime_cap = 0;
  uint32_t worker = 0;  // worker index within the pool
};

// A role's workers in one community: state carried across days.
struct WorkerPool {
  int role = 0;
  int staff = 0;                 // full-time workers in post
  int part_time = 0;             // committee members serving part time in this role
  double part_time_share = 0;    // their share of time serving residents
  std::vector<double> free_at;   // per worker: next free minute (carries across midnight)
  std::vector<Request> backlog;  // waiting requests, in request order (request_before)
  // today
  std::vector<Shift> shifts;     // present workers not reserved for enrolment
  double available_min = 0, overhead_min = 0, reserved_min = 0;
  // Set by the policies: the community's support activities and overhead per working day (shared
  // by the present workers), and the daily absence probability of leave, sick leave and training.
  double support_min_per_day = 0;
  double leave_absence = 0;
};

// Geometry for travel times of home services.
struct TravelModel {
  double facility_x_m = 0, facility_y_m = 0;
  double detour = 1.3;
  bool manhattan = false;
  double distance_m(double x, double y) const;
};

// Plans today's shifts of a pool: working weekday, absence (keyed by worker id and day), vacancy,
// the community's overhead shared by present workers. Returns the present workers in `pool.shifts`.
struct ShiftContext {
  uint64_t seed = 0;
  uint32_t replicate = 0;
  uint64_t community_entity = 0;
  int day = 0;
  double extra_absence = 0;   // staff absence shock share
  double vacancy_share = 0;   // vacancy shock share
  bool day_off = false;       // not a working day of the role (weekend, public holiday)
};
void plan_shifts(const Role& role, const ShiftContext& ctx, WorkerPool& pool, RoleDay& stats);

// Removes `count` workers from today's shifts (reserved for an enrolment service all day).
void reserve_workers(WorkerPool& pool, int count, RoleDay& stats);

// Serves the pool's queue on `day`: backlog plus `arrivals` (today's requests of the pool's
// services, in request order: request_before). Unserved requests past their deadline are counted unmet (and
// dropped when their service expires them); the rest stay in the backlog. `closed[s]` blocks
// facility services (facility closure shock). The queue-length integral of each service over the
// day (for the Little's-law check) comes from the event times: N0 x 1440 + sum over today's
// arrivals of (day end - arrival) - sum over today's starts of (day end - start)+.
struct QueueScratch {
  std::vector<Request> queue;                // backlog merged with today's arrivals
  std::vector<uint8_t> done;
  ReadyQueue ready;                          // arrived requests not yet served (queue.hpp)
  std::vector<double> area;                  // per service: queue-length integral of the day
  std::vector<uint8_t> blocked, home;        // per service: closed today; served at home
  std::vector<double> free;                  // per present worker: next free minute
  WorkerHeap workers;                        // present workers still on shift (queue.hpp)
};
// Waits are also counted in the pool's working minutes (`clock`): a served request's from its
// arrival to its start, an expired one's to the end of its last day (censored at its expiry).
void serve_queue(const std::vector<CompiledService>& services, const std::vector<Role>& roles,
                 const TravelModel& travel, const float* hh_x, const float* hh_y, const uint8_t* hh_type, int day,
                 const Request* arrivals, size_t n_arrivals, const std::vector<uint8_t>& closed,
                 const WorkingClock& clock, WorkerPool& pool, std::vector<ServiceDay>& sdays, RoleDay& rday,
                 QueueScratch& scratch);

}  // namespace commsim
