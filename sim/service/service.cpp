#include "sim/service/service.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "sim/core/random.hpp"

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
  if (weekday(ctx.day) >= role.days_per_week) return;
  const double day_start = ctx.day * 1440.0 + role.shift_start_minute;
  const double full_shift = role.hours_per_week * 60.0 / role.days_per_week;
  const double absence = std::min(1.0, role.absence_rate + ctx.extra_absence);
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
  // The community's fixed duties (meetings, reporting) are shared equally by present workers,
  // done first thing in the day.
  const double overhead_total = role.overhead_hours_per_week * 60.0 / role.days_per_week;
  if (!pool.shifts.empty() && overhead_total > 0) {
    const double each = overhead_total / static_cast<double>(pool.shifts.size());
    for (auto& sh : pool.shifts) {
      const double take = std::min(each, sh.end - sh.start);
      sh.start += take;
      pool.overhead_min += take;
    }
  }
  stats.available += pool.available_min;
  stats.overhead += pool.overhead_min;
}

void reserve_workers(WorkerPool& pool, int count, RoleDay& stats) {
  // Reserve from the end of the list: full-time staff are listed first, so part-time committee
  // members and the highest-numbered staff are reserved first; the choice is deterministic.
  while (count-- > 0 && !pool.shifts.empty()) {
    const Shift& sh = pool.shifts.back();
    pool.reserved_min += sh.end - sh.start;
    stats.reserved += sh.end - sh.start;
    pool.shifts.pop_back();
  }
}

void serve_queue(const std::vector<CompiledService>& services, const std::vector<Role>& roles,
                 const TravelModel& travel, const float* hh_x, const float* hh_y, int day,
                 const Request* arrivals, size_t n_arrivals, const std::vector<uint8_t>& closed,
                 WorkerPool& pool, std::vector<ServiceDay>& sdays, RoleDay& rday, QueueScratch& sc) {
  const double day_start = day * 1440.0, day_end = day_start + 1440.0;
  const Role& role = roles[static_cast<size_t>(pool.role)];
  const size_t n_services = services.size();
  auto& queue = sc.queue;
  queue.clear();
  queue.reserve(pool.backlog.size() + n_arrivals);
  auto by_arrival = [](const Request& a, const Request& b) {
    if (a.arrival_min != b.arrival_min) return a.arrival_min < b.arrival_min;
    if (a.service != b.service) return a.service < b.service;
    return a.household < b.household;
  };
  std::merge(pool.backlog.begin(), pool.backlog.end(), arrivals, arrivals + n_arrivals, std::back_inserter(queue), by_arrival);
  const size_t n = queue.size();
  sc.done.assign(n, 0);

  // Queue-length integral (Little's law check): number waiting per service at the day start.
  sc.count.assign(n_services, 0);
  sc.last_event.assign(n_services, day_start);
  for (const auto& q : pool.backlog) ++sc.count[q.service];
  for (size_t i = 0; i < n_arrivals; ++i) ++sdays[arrivals[i].service].demand;

  // Ready queues per priority level.
  size_t levels = 1;
  for (const auto& q : queue) levels = std::max<size_t>(levels, q.priority_level + 1u);
  if (sc.ready.size() < levels) sc.ready.resize(levels);
  sc.ready_head.assign(levels, 0);
  for (size_t l = 0; l < levels; ++l) sc.ready[l].clear();
  sc.starts.clear();

  auto servable = [&](const Request& q) {
    return !(closed[q.service] && services[q.service].spec->where == Place::facility);
  };

  auto& shifts = pool.shifts;
  const size_t nw = shifts.size();
  // Free time and end of each present worker; a worker past its end is done for the day.
  std::vector<double>& free_at = pool.free_at;
  size_t ptr = 0;        // next request of `queue` not yet made ready
  size_t n_ready = 0;
  auto& free = sc.free;
  free.resize(nw);
  for (size_t w = 0; w < nw; ++w) free[w] = std::max(shifts[w].start, free_at[shifts[w].worker]);

  auto push_until = [&](double t) {
    while (ptr < n && queue[ptr].arrival_min <= t) {
      if (servable(queue[ptr])) {
        sc.ready[queue[ptr].priority_level].push_back(static_cast<uint32_t>(ptr));
        ++n_ready;
      }
      ++ptr;
    }
  };
  auto next_servable_arrival = [&]() -> double {
    size_t p = ptr;
    while (p < n && !servable(queue[p])) ++p;
    return p < n ? queue[p].arrival_min : -1.0;
  };

  // Workers still on shift, in a binary min-heap on (free time, index): the top is the worker free
  // earliest, ties to the lowest index (what a linear scan would pick), in O(log workers).
  auto& heap = sc.workers;
  heap.resize(nw);
  for (size_t i = 0; i < nw; ++i) heap[i] = static_cast<uint32_t>(i);
  auto before = [&](uint32_t a, uint32_t b) { return free[a] < free[b] || (free[a] == free[b] && a < b); };
  auto sift_down = [&](size_t i) {
    const size_t size = heap.size();
    const uint32_t x = heap[i];
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && before(heap[child + 1], heap[child])) ++child;
      if (!before(heap[child], x)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = x;
  };
  for (size_t i = nw / 2; i-- > 0;) sift_down(i);
  auto finish_top = [&]() {
    heap[0] = heap.back();
    heap.pop_back();
    if (!heap.empty()) sift_down(0);
  };

  for (;;) {
    // The worker free earliest (ties: lowest index) among those still on shift.
    if (heap.empty()) break;
    const size_t w = heap[0];
    double t = free[w];
    push_until(t);
    if (n_ready == 0) {
      const double a = next_servable_arrival();
      if (a < 0) break;  // nothing left to serve today
      t = std::max(t, a);
      if (t >= shifts[w].end) { finish_top(); continue; }
      push_until(t);
    }
    if (t >= shifts[w].end) { finish_top(); continue; }
    // Highest priority level first, FIFO within a level.
    size_t level = 0;
    while (sc.ready_head[level] >= sc.ready[level].size()) ++level;
    const uint32_t idx = sc.ready[level][sc.ready_head[level]];
    const Request& q = queue[idx];
    const Service& spec = *services[q.service].spec;
    double travel_min = 0;
    if (spec.where == Place::home)
      travel_min = 2.0 * travel.distance_m(hh_x[q.household], hh_y[q.household]) / role.travel_speed_m_per_min;
    const double work = q.duration_min + travel_min;
    if (t + work > shifts[w].end + shifts[w].overtime_cap) { finish_top(); continue; }
    ++sc.ready_head[level];
    --n_ready;
    sc.done[idx] = 1;
    const double wait = t - q.arrival_min;
    ServiceDay& sd = sdays[q.service];
    ++sd.served;
    if (day <= q.deadline_day) ++sd.served_in_time;
    sd.wait_sum += wait;
    if (wait > 0) ++sd.waited;
    sd.wait_max = std::max(sd.wait_max, wait);
    sd.waits.push_back(static_cast<float>(wait));
    sd.wait_in_window += t - std::max(q.arrival_min, day_start);
    sc.starts.emplace_back(t, q.service);
    rday.busy += work;
    rday.travel += travel_min;
    free[w] = t + work;
    sift_down(0);  // its free time only grew
  }
  for (size_t w = 0; w < nw; ++w) {
    free_at[shifts[w].worker] = free[w];
    rday.overtime += std::max(0.0, free[w] - shifts[w].end);
  }

  // Queue-length integral by an event sweep: +1 at each arrival today, -1 at each start.
  if (!std::is_sorted(sc.starts.begin(), sc.starts.end())) std::sort(sc.starts.begin(), sc.starts.end());
  {
    size_t a = 0, s = 0;
    while (a < n_arrivals || s < sc.starts.size()) {
      const bool take_arrival = s >= sc.starts.size() || (a < n_arrivals && arrivals[a].arrival_min <= sc.starts[s].first);
      const double t = take_arrival ? arrivals[a].arrival_min : sc.starts[s].first;
      const uint16_t sv = take_arrival ? arrivals[a].service : sc.starts[s].second;
      sdays[sv].queue_area += static_cast<double>(sc.count[sv]) * (t - sc.last_event[sv]);
      sc.last_event[sv] = t;
      sc.count[sv] += take_arrival ? 1 : -1;
      if (take_arrival) ++a; else ++s;
    }
    for (size_t sv = 0; sv < n_services; ++sv)
      sdays[sv].queue_area += static_cast<double>(sc.count[sv]) * (day_end - sc.last_event[sv]);
  }

  // End of day: deadlines. A request whose last day was today is unmet; expired ones leave.
  pool.backlog.clear();
  for (size_t i = 0; i < n; ++i) {
    if (sc.done[i]) continue;
    Request q = queue[i];
    ServiceDay& sd = sdays[q.service];
    sd.wait_in_window += day_end - std::max(q.arrival_min, day_start);
    if (q.deadline_day <= day && !(q.flags & 1)) {
      ++sd.unmet;
      if (services[q.service].spec->expire) continue;
      q.flags |= 1;  // counted unmet, still waiting
    }
    ++sd.backlog;
    pool.backlog.push_back(q);
  }
}

}  // namespace commsim
