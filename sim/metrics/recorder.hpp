// The record phase of the day loop (MODEL.md §4 step 5): a Recorder owns what a run accumulates
// — the run totals per community and service / role, the per-community wait histograms, the
// daily records — and turns each community-day's counters into them. The engine fills the day's
// counters (ServiceDay, RoleDay: the service phase writes them) and calls record_day; communities
// run in parallel, each writes only its own slots, and the citywide histograms are per thread
// (integer counts, merged after the run), so results do not depend on the thread count.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "sim/metrics/results.hpp"

namespace commsim {

// Per-service counters of one community-day.
struct ServiceDay {
  uint32_t demand = 0, served = 0, served_in_time = 0, unmet = 0, backlog = 0, waited = 0;
  double wait_sum = 0, wait_max = 0;
  double unmet_minutes = 0;   // service minutes of the requests that became unmet today
  // The same counts by the household type of the requester (kResultHouseholdTypes).
  std::array<GroupServiceTotals, kResultHouseholdTypes> by_type{};
  double queue_area = 0;      // integral of the number waiting over the day (minutes)
  double wait_in_window = 0;  // waiting time of every request within the day
  std::vector<float> waits;   // waits of requests served today (percentiles)
  // Waits in the serving role's working minutes: of requests served today and of those that
  // expired today (censored at their expiry).
  double working_wait_sum = 0;
  std::vector<float> working_waits;
  double work_min = 0;         // worker minutes serving (incl. travel)
  double shared_work_min = 0;  // of which by the service's shared role (social organisations)
  void reset() {
    demand = served = served_in_time = unmet = backlog = waited = 0;
    wait_sum = wait_max = queue_area = wait_in_window = unmet_minutes = 0;
    working_wait_sum = work_min = shared_work_min = 0;
    by_type.fill(GroupServiceTotals{});
    waits.clear();
    working_waits.clear();
  }
};

// Per-role worker minutes of one community-day: the same fields as the run totals.
using RoleDay = RoleTotals;

class Recorder {
 public:
  // Citywide wait histograms of one thread (merged in finish()).
  struct ThreadState {
    std::vector<WaitHistogram> city;          // per service
    std::vector<WaitHistogram> city_working;  // per service, in working minutes
  };

  // Records `communities` communities into `run` (its service_totals and role_totals must be sized
  // communities x services / roles, and run.daily sized or empty). `queue_service[s]`: service s is
  // a queue service (its requests count as arrivals in the Little's-law window); enrolment
  // services are not. Each community's results by household type go to
  // run.household_type_services as one row block per community (fold_household_types below).
  Recorder(RunResult& run, size_t communities, std::vector<uint8_t> queue_service);

  // The communities [first, last) are about to run (a batch of the city): their wait histograms are
  // allocated now and released by the next batch; only a batch's communities may be recorded.
  void begin_batch(size_t first, size_t last);

  ThreadState thread_state() const;

  // One community-day: adds the day's counters to the community's totals and histograms and, when
  // the run keeps them, writes the daily records. Sorts the day's waits in place (percentiles).
  void record_day(size_t community, int day, std::vector<ServiceDay>& services, const std::vector<RoleDay>& roles,
                  ThreadState& thread);

  // A community's year, per service: episodes taken elsewhere (community_share), unit-days in the
  // service's scope and of its clients, and the facility's place-days (enrolment services).
  struct YearCounts {
    std::vector<uint64_t> elsewhere, in_scope_days, client_days, place_days;
  };
  void record_year(size_t community, const YearCounts& year);

  // End of the run for one community: requests still waiting per service, the observation window;
  // the community's wait percentiles from its histograms. `backlog_minutes` per service (and per
  // [type * services + service]) are the service minutes of those still waiting that were not yet
  // counted unmet: they join the unmet need.
  void end_community(size_t community, const std::vector<uint64_t>& backlog_per_service,
                     const std::vector<double>& backlog_minutes, const std::vector<double>& backlog_minutes_by_type,
                     double window_min);
  // A request still waiting at the end of the run: its wait in working minutes, censored there
  // (called serially, after the day loop, before end_community of its community).
  void record_censored(size_t community, size_t service, double working_wait_min);

  // Merges the threads' citywide histograms into run.wait_hist (fixed, integer: order-free).
  void finish(const std::vector<const ThreadState*>& threads);

 private:
  RunResult& run_;
  std::vector<uint8_t> queue_service_;
  size_t services_ = 0, roles_ = 0;
  size_t batch_first_ = 0;                               // the batch's first community
  std::vector<CommunityWaitHistogram> community_hist_;  // [(community - batch_first_) * services + service]
  std::vector<CommunityWaitHistogram> community_working_hist_;  // the same, working minutes
  ThreadState end_;                                      // censored waits at the end of the run
  GroupServiceTotals* by_type_ = nullptr;                // run.household_type_services: [(community * types + type) * services + service]
  CommunityWaitHistogram& hist(size_t c, size_t sv) { return community_hist_[(c - batch_first_) * services_ + sv]; }
  CommunityWaitHistogram& working_hist(size_t c, size_t sv) { return community_working_hist_[(c - batch_first_) * services_ + sv]; }
};

// A run's results by household type are recorded per community (Recorder): sums them, community
// by community in order, into run.household_type_services [type * services + service]. The order
// is the community order whatever the batches, threads or ranks: bit-identical sums.
void fold_household_types(RunResult& run);

}  // namespace commsim
