// The record phase (recorder.hpp).
#include "sim/metrics/recorder.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace commsim {

Recorder::Recorder(RunResult& run, size_t communities, std::vector<uint8_t> queue_service)
    : run_(run),
      queue_service_(std::move(queue_service)),
      services_(run.service_names.size()),
      roles_(run.role_names.size()) {
  run.household_type_services.assign(communities * kResultHouseholdTypes * services_, GroupServiceTotals{});
  by_type_ = run.household_type_services.data();
  end_ = thread_state();
}

void Recorder::begin_batch(size_t first, size_t last) {
  batch_first_ = first;
  community_hist_.assign((last - first) * services_, CommunityWaitHistogram{});
  community_working_hist_.assign((last - first) * services_, CommunityWaitHistogram{});
}

Recorder::ThreadState Recorder::thread_state() const {
  ThreadState t;
  t.city.resize(services_);
  t.city_working.resize(services_);
  return t;
}

namespace {

// Median and 90th percentile of a day's waits (the waits are reordered).
void day_percentiles(std::vector<float>& w, float& p50, float& p90) {
  p50 = p90 = 0;
  if (w.empty()) return;
  const size_t k50 = (w.size() - 1) / 2, k90 = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(w.size()))) - 1;
  std::nth_element(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(k50), w.end());
  p50 = w[k50];
  std::nth_element(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(k90), w.end());
  p90 = w[k90];
}

}  // namespace

void Recorder::record_day(size_t c, int day, std::vector<ServiceDay>& services, const std::vector<RoleDay>& roles,
                          ThreadState& thread) {
  DailyRecords& daily = run_.daily;
  const bool keep_daily = !daily.demand.empty();
  for (size_t sv = 0; sv < services_; ++sv) {
    ServiceDay& sd = services[sv];
    ServiceTotals& t = run_.service_totals[c * services_ + sv];
    t.demand += sd.demand;
    t.served += sd.served;
    t.served_in_time += sd.served_in_time;
    t.unmet += sd.unmet;
    t.wait_sum_min += sd.wait_sum;
    t.waited += sd.waited;
    t.wait_max_min = std::max(t.wait_max_min, sd.wait_max);
    t.queue_area_min += sd.queue_area;
    t.wait_all_sum_min += sd.wait_in_window;
    t.unmet_minutes += sd.unmet_minutes;
    if (queue_service_[sv]) t.arrivals_in_window += sd.demand;
    for (size_t type = 0; type < kResultHouseholdTypes; ++type)
      by_type_[(c * kResultHouseholdTypes + type) * services_ + sv] += sd.by_type[type];
    CommunityWaitHistogram& hist = this->hist(c, sv);
    for (float w : sd.waits) {
      hist.add(w);
      thread.city[sv].add(w);
    }
    t.wait_working_sum_min += sd.working_wait_sum;
    t.wait_working_count += sd.working_waits.size();
    t.work_min += sd.work_min;
    t.shared_work_min += sd.shared_work_min;
    CommunityWaitHistogram& working = working_hist(c, sv);
    for (float w : sd.working_waits) {
      working.add(w);
      thread.city_working[sv].add(w);
    }
    if (!keep_daily) continue;
    const size_t i = daily.si(static_cast<int>(c), day, static_cast<int>(sv));
    daily.demand[i] = sd.demand;
    daily.served[i] = sd.served;
    daily.served_in_time[i] = sd.served_in_time;
    daily.unmet[i] = sd.unmet;
    daily.backlog[i] = sd.backlog;
    daily.wait_mean_min[i] = sd.served ? static_cast<float>(sd.wait_sum / sd.served) : 0.0f;
    daily.wait_max_min[i] = static_cast<float>(sd.wait_max);
    day_percentiles(sd.waits, daily.wait_p50_min[i], daily.wait_p90_min[i]);
  }
  for (size_t r = 0; r < roles_; ++r) {
    const RoleDay& rd = roles[r];
    run_.role_totals[c * roles_ + r] += rd;
    if (!keep_daily) continue;
    const size_t i = daily.ri(static_cast<int>(c), day, static_cast<int>(r));
    daily.available_min[i] = static_cast<float>(rd.available_min);
    daily.busy_min[i] = static_cast<float>(rd.busy_min);
    daily.travel_min[i] = static_cast<float>(rd.travel_min);
    daily.overhead_min[i] = static_cast<float>(rd.overhead_min);
    daily.overtime_min[i] = static_cast<float>(rd.overtime_min);
  }
}

void Recorder::record_year(size_t c, const YearCounts& year) {
  for (size_t sv = 0; sv < services_; ++sv) {
    ServiceTotals& t = run_.service_totals[c * services_ + sv];
    t.elsewhere += year.elsewhere[sv];
    t.in_scope_days += year.in_scope_days[sv];
    t.client_days += year.client_days[sv];
    t.place_days += year.place_days[sv];
  }
}

void Recorder::end_community(size_t c, const std::vector<uint64_t>& backlog_per_service,
                             const std::vector<double>& backlog_minutes, const std::vector<double>& backlog_minutes_by_type,
                             double window_min) {
  for (size_t type = 0; type < kResultHouseholdTypes; ++type)
    for (size_t sv = 0; sv < services_; ++sv)
      by_type_[(c * kResultHouseholdTypes + type) * services_ + sv].unmet_minutes += backlog_minutes_by_type[type * services_ + sv];
  for (size_t sv = 0; sv < services_; ++sv) {
    ServiceTotals& t = run_.service_totals[c * services_ + sv];
    t.backlog_end = backlog_per_service[sv];
    t.unmet_minutes += backlog_minutes[sv];
    t.window_min = window_min;
    const CommunityWaitHistogram& hist = this->hist(c, sv);
    t.p50_wait_min = hist.quantile(0.5);
    t.p90_wait_min = hist.quantile(0.9);
    t.p90_wait_working_min = working_hist(c, sv).quantile(0.9);
  }
}

void Recorder::record_censored(size_t c, size_t sv, double working_wait_min) {
  ServiceTotals& t = run_.service_totals[c * services_ + sv];
  t.wait_working_sum_min += working_wait_min;
  ++t.wait_working_count;
  working_hist(c, sv).add(working_wait_min);
  end_.city_working[sv].add(working_wait_min);
}

void Recorder::finish(const std::vector<const ThreadState*>& threads) {
  run_.wait_hist.assign(services_, WaitHistogram{});
  run_.working_wait_hist.assign(services_, WaitHistogram{});
  for (const ThreadState* t : threads)
    for (size_t sv = 0; sv < services_; ++sv) {
      run_.wait_hist[sv].merge(t->city[sv]);
      run_.working_wait_hist[sv].merge(t->city_working[sv]);
    }
  for (size_t sv = 0; sv < services_; ++sv) run_.working_wait_hist[sv].merge(end_.city_working[sv]);
  community_hist_ = {};
  community_working_hist_ = {};
}

void fold_household_types(RunResult& run) {
  const size_t block = kResultHouseholdTypes * run.service_names.size();
  std::vector<GroupServiceTotals> total(block);
  for (size_t c = 0; c < run.communities.size(); ++c)
    for (size_t i = 0; i < block; ++i) total[i] += run.household_type_services[c * block + i];
  run.household_type_services = std::move(total);
}

}  // namespace commsim
