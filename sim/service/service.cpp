#include "sim/service/service.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "sim/core/random.hpp"
#include "sim/service/queue.hpp"

namespace commsim {

double TravelModel::distance_m(double x, double y) const {
  const double dx = x - facility_x_m, dy = y - facility_y_m;
  const double straight = manhattan ? std::fabs(dx) + std::fabs(dy) : std::sqrt(dx * dx + dy * dy);
  return straight * detour;
}

void plan_shifts(const Role& role, const ShiftContext& ctx, WorkerPool& pool, RoleDay& stats) {
  pool.shifts.clear();
  pool.available_min = pool.overhead_min = pool.reserved_min = 0;
  const int total = pool.staff + pool.part_time;
  if (pool.free_at.size() != static_cast<size_t>(total)) pool.free_at.assign(static_cast<size_t>(total), 0.0);
  if (ctx.day_off) return;
  const double day_start = ctx.day * 1440.0 + role.shift_start_minute;
  const double full_shift = role.hours_per_week * 60.0 / role.days_per_week;
  const double absence = std::min(1.0, role.absence_rate + pool.leave_absence + ctx.extra_absence);
  const int filled = pool.staff - static_cast<int>(std::floor(pool.staff * ctx.vacancy_share + 1e-9));
  for (int w = 0; w < total; ++w) {
    if (w < pool.staff && w >= filled) continue;  // vacant post
    const uint64_t entity = (ctx.community_entity << 24) | (static_cast<uint64_t>(pool.role) << 16) | static_cast<uint64_t>(w);
    Stream s(StreamKey{ctx.seed, ctx.replicate, entity, static_cast<uint32_t>(Purpose::absence), static_cast<uint32_t>(ctx.day)});
    if (s.uniform() < absence) continue;
    const double length = w < pool.staff ? full_shift : full_shift * pool.part_time_share;
    if (length <= 0) continue;
    pool.shifts.push_back(Shift{day_start, day_start + length, role.max_overtime_minutes, static_cast<uint32_t>(w)});
    pool.available_min += length;
  }
  // The community's support activities (meetings, reporting, ledgers, tasks from above) are
  // shared equally by present workers, done first thing in the day.
  const double overhead_total = pool.support_min_per_day;
  if (!pool.shifts.empty() && overhead_total > 0) {
    const double each = overhead_total / static_cast<double>(pool.shifts.size());
    for (auto& sh : pool.shifts) {
      const double take = std::min(each, sh.end - sh.start);
      sh.start += take;
      pool.overhead_min += take;
    }
  }
  stats.available_min += pool.available_min;
  stats.overhead_min += pool.overhead_min;
}

void reserve_workers(WorkerPool& pool, int count, RoleDay& stats) {
  // Reserve from the end of the list: full-time staff are listed first, so part-time committee
  // members and the highest-numbered staff are reserved first; the choice is deterministic.
  while (count-- > 0 && !pool.shifts.empty()) {
    const Shift& sh = pool.shifts.back();
    pool.reserved_min += sh.end - sh.start;
    stats.reserved_min += sh.end - sh.start;
    pool.shifts.pop_back();
  }
}

namespace {

// The facts of today's pool that serve_queue needs before its loop.
struct PoolDay {
  size_t levels = 1;         // priority levels of the pool's services
  size_t role_services = 0;  // services the pool serves (own or shared role)
  bool any_blocked = false;  // some service closed today
  const Request* queue = nullptr;  // backlog merged with today's arrivals (or the arrivals alone)
  size_t n = 0;
};

// Phase 1: per service, blocked by a facility closure today and served at home (travel); the
// priority levels of the pool's services.
inline void plan_services(const std::vector<CompiledService>& services, const std::vector<uint8_t>& closed, int role,
                          QueueScratch& sc, PoolDay& pd) {
  const size_t n_services = services.size();
  sc.blocked.resize(n_services);
  sc.home.resize(n_services);
  for (size_t s = 0; s < n_services; ++s) {
    const Place where = services[s].spec->where;
    sc.blocked[s] = closed[s] && where == Place::facility;
    pd.any_blocked = pd.any_blocked || sc.blocked[s];
    sc.home[s] = where == Place::home;
    if (services[s].role == role || services[s].shared_role == role) {
      pd.levels = std::max<size_t>(pd.levels, static_cast<size_t>(services[s].priority_level) + 1);
      ++pd.role_services;
    }
  }
}

// Phase 2: the queue, the backlog (in request order) merged with today's arrivals (in request
// order); with no backlog, today's arrivals themselves.
inline void merge_queue(const WorkerPool& pool, const Request* arrivals, size_t n_arrivals, QueueScratch& sc, PoolDay& pd) {
  pd.queue = arrivals;
  pd.n = n_arrivals;
  if (!pool.backlog.empty()) {
    pd.n = pool.backlog.size() + n_arrivals;
    sc.queue.resize(pd.n);
    std::merge(pool.backlog.begin(), pool.backlog.end(), arrivals, arrivals + n_arrivals, sc.queue.begin(), request_before);
    pd.queue = sc.queue.data();
  }
  sc.done.assign(pd.n, 0);
}

// Phase 3: demand and the queue-length integral. Those waiting at the day start count all day,
// each arrival from its arrival to the day end; each start (phase 4) takes off the rest of the
// day after it.
inline void count_arrivals(const uint8_t* hh_type, double day_end, const Request* arrivals, size_t n_arrivals,
                           const WorkerPool& pool, const PoolDay& pd, std::vector<ServiceDay>& sdays, double* area) {
  for (const auto& q : pool.backlog) area[q.service] += 1440.0;
  if (pd.role_services == 1 && n_arrivals > 0) {
    // One service: sums in registers (the same additions in the same order as below).
    const uint16_t sv = arrivals[0].service;
    ServiceDay& sd = sdays[sv];
    double a = area[sv];
    for (size_t i = 0; i < n_arrivals; ++i) {
      a += day_end - arrivals[i].arrival_min;
      ++sd.by_type[hh_type[arrivals[i].household]].demand;
    }
    area[sv] = a;
    sd.demand += static_cast<uint32_t>(n_arrivals);
    return;
  }
  for (size_t i = 0; i < n_arrivals; ++i) {
    const Request& q = arrivals[i];
    ServiceDay& sd = sdays[q.service];
    ++sd.demand;
    ++sd.by_type[hh_type[q.household]].demand;
    area[q.service] += day_end - q.arrival_min;
  }
}

// The counts of one request started at `t` taking `work` minutes (phase 4).
inline void record_start(const Request& q, double t, double work, int day, bool shared, uint8_t type,
                         const WorkingClock& clock, double day_start, double day_end, ServiceDay& sd, double* area) {
  const double wait = t - q.arrival_min;
  GroupServiceTotals& by_type = sd.by_type[type];
  ++sd.served;
  ++by_type.served;
  if (day <= q.deadline_day) {
    ++sd.served_in_time;
    ++by_type.served_in_time;
  }
  sd.wait_sum += wait;
  if (wait > 0) ++sd.waited;
  sd.wait_max = std::max(sd.wait_max, wait);
  sd.waits.push_back(static_cast<float>(wait));
  const double working_wait = clock.between(q.arrival_min, t);
  sd.working_wait_sum += working_wait;
  sd.working_waits.push_back(static_cast<float>(working_wait));
  sd.work_min += work;
  if (shared) sd.shared_work_min += work;
  sd.wait_in_window += std::min(t, day_end) - std::max(q.arrival_min, day_start);
  area[q.service] -= std::max(0.0, day_end - t);
}

// Everything phase 4 reads of the day.
struct ServeInputs {
  const std::vector<CompiledService>& services;
  const Role& role;
  const TravelModel& travel;
  const float* hh_x;
  const float* hh_y;
  const uint8_t* hh_type;
  int day;
  const WorkingClock& clock;
};

// Phase 4: the day's events. Workers on shift are free at the later of their shift start (after
// overhead) and the end of the work they carried over from yesterday; the one free earliest takes
// the front ready request, or waits for the next arrival, or stops (shift end, overtime cap).
inline void serve_day(const ServeInputs& in, const PoolDay& pd, WorkerPool& pool, std::vector<ServiceDay>& sdays,
                      RoleDay& rday, QueueScratch& sc) {
  const double day_start = in.day * 1440.0, day_end = day_start + 1440.0;
  const Request* queue = pd.queue;
  uint8_t* done = sc.done.data();
  double* area = sc.area.data();
  const uint8_t* home = sc.home.data();
  ReadyQueue& ready = sc.ready;
  ready.reset(queue, pd.n, pd.levels, sc.blocked.data(), pd.any_blocked);
  auto& shifts = pool.shifts;
  const size_t nw = shifts.size();
  auto& free = sc.free;
  free.resize(nw);
  for (size_t w = 0; w < nw; ++w) free[w] = std::max(shifts[w].start, pool.free_at[shifts[w].worker]);
  WorkerHeap& workers = sc.workers;
  workers.reset(free);
  double busy = 0, travel_total = 0;
  while (!workers.empty()) {
    const size_t w = workers.top();
    const Shift& shift = shifts[w];
    double t = free[w];
    ready.arrive_until(t);
    if (ready.empty()) {
      const double a = ready.next_arrival();
      if (a < 0) break;  // nothing left to serve today
      t = std::max(t, a);
      if (t >= shift.end) { workers.retire_top(); continue; }
      ready.arrive_until(t);
    }
    const uint32_t idx = ready.front();
    const Request& q = queue[idx];
    // A worker that looked ahead to the next arrival and then stopped (its shift or overtime cap)
    // leaves that request ready for the others: one free earlier starts it at its arrival, never
    // before it.
    t = std::max(t, q.arrival_min);
    if (t >= shift.end) { workers.retire_top(); continue; }
    double travel_min = 0;
    if (home[q.service])
      travel_min = 2.0 * in.travel.distance_m(in.hh_x[q.household], in.hh_y[q.household]) / in.role.travel_speed_m_per_min;
    const double work = q.duration_min + travel_min;
    // A service may end at most the overtime cap after the shift; otherwise this worker stops.
    if (t + work > shift.end + shift.overtime_cap) { workers.retire_top(); continue; }
    ready.pop(idx);
    done[idx] = 1;
    record_start(q, t, work, in.day, in.services[q.service].role != pool.role, in.hh_type[q.household], in.clock,
                 day_start, day_end, sdays[q.service], area);
    busy += work;
    travel_total += travel_min;
    free[w] = t + work;
    workers.top_later();
  }
  rday.busy_min += busy;
  rday.travel_min += travel_total;
  for (size_t w = 0; w < nw; ++w) {
    pool.free_at[shifts[w].worker] = free[w];
    rday.overtime_min += std::max(0.0, free[w] - shifts[w].end);
  }
}

// Phase 5, the end of the day: deadlines. A request whose last day was today is unmet; expired
// ones leave, the rest stay in the backlog (in request order). (`pd.queue` is today's arrivals or
// the scratch merge, never the backlog itself.)
inline void close_day(const std::vector<CompiledService>& services, const uint8_t* hh_type, int day,
                      const WorkingClock& clock, const PoolDay& pd, const uint8_t* done, WorkerPool& pool,
                      std::vector<ServiceDay>& sdays) {
  const double day_start = day * 1440.0, day_end = day_start + 1440.0;
  pool.backlog.clear();
  for (size_t i = 0; i < pd.n; ++i) {
    if (done[i]) continue;
    Request q = pd.queue[i];
    ServiceDay& sd = sdays[q.service];
    sd.wait_in_window += day_end - std::max(q.arrival_min, day_start);
    if (q.deadline_day <= day && !(q.flags & 1)) {
      ++sd.unmet;
      sd.unmet_minutes += q.duration_min;
      GroupServiceTotals& by_type = sd.by_type[hh_type[q.household]];
      ++by_type.unmet;
      by_type.unmet_minutes += q.duration_min;
      if (services[q.service].spec->expire) {
        // Censored at its expiry: the working minutes it waited until the end of its last day.
        const double working_wait = clock.between(q.arrival_min, day_end);
        sd.working_wait_sum += working_wait;
        sd.working_waits.push_back(static_cast<float>(working_wait));
        continue;
      }
      q.flags |= 1;  // counted unmet, still waiting
    }
    ++sd.backlog;
    pool.backlog.push_back(q);
  }
}

}  // namespace

void serve_queue(const std::vector<CompiledService>& services, const std::vector<Role>& roles,
                 const TravelModel& travel, const float* hh_x, const float* hh_y, const uint8_t* hh_type, int day,
                 const Request* arrivals, size_t n_arrivals, const std::vector<uint8_t>& closed,
                 const WorkingClock& clock, WorkerPool& pool, std::vector<ServiceDay>& sdays, RoleDay& rday,
                 QueueScratch& sc) {
  const size_t n_services = services.size();
  PoolDay pd;
  plan_services(services, closed, pool.role, sc, pd);
  merge_queue(pool, arrivals, n_arrivals, sc, pd);
  sc.area.assign(n_services, 0.0);
  count_arrivals(hh_type, day * 1440.0 + 1440.0, arrivals, n_arrivals, pool, pd, sdays, sc.area.data());
  const ServeInputs in{services, roles[static_cast<size_t>(pool.role)], travel, hh_x, hh_y, hh_type, day, clock};
  serve_day(in, pd, pool, sdays, rday, sc);
  for (size_t sv = 0; sv < n_services; ++sv) sdays[sv].queue_area += sc.area[sv];
  close_day(services, hh_type, day, clock, pd, sc.done.data(), pool, sdays);
}

}  // namespace commsim
