#include "sim/engine/engine.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "sim/core/error.hpp"
#include "sim/core/random.hpp"
#include "sim/demand/demand.hpp"
#include "sim/engine/city.hpp"
#include "sim/engine/thread_cap.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/metrics/summary.hpp"
#include "sim/metrics/working_time.hpp"
#include "sim/service/service.hpp"

namespace commsim {

namespace {

struct EnrolmentState {
  std::vector<uint32_t> waiting;  // residents in admission order
  size_t head = 0;
  uint32_t enrolled = 0, wanting = 0, in_scope = 0;
  double weight = 0;  // staff needed by the enrolled (sum of 1 / clients-per-staff)
  std::array<uint32_t, kResultHouseholdTypes> wanting_by_type{}, enrolled_by_type{};
};

// Shock effects resolved for one community.
struct CommunityShocks {
  std::vector<DemandShock> surges;
  struct Span { int role_or_service; int start, end; double share; };
  std::vector<Span> absence, vacancy, closure;
};

// Everything one community carries across days and years.
struct CommunityRun {
  std::vector<WorkerPool> pools;         // per role
  std::vector<EnrolmentState> enrolment; // per service (used by enrolment services)
  TravelModel travel;
  CommunityShocks shocks;
};

// A thread's large working buffers (a community-year's calendar, the queue's scratch), kept for
// the thread's lifetime: runs that follow each other (replicates, study runs) reuse their memory
// instead of allocating and growing it again. A community's work (one task body) uses them from
// start to end without yielding to another task, so one thread never has two users of them.
struct Workspace {
  Calendar calendar;
  DemandScratch demand;
  QueueScratch queue;
  Residents dynamics;
  std::vector<std::pair<uint32_t, uint32_t>> order;
};

Workspace& thread_workspace() {
  static thread_local Workspace ws;
  return ws;
}

// Where a run's time goes (COMMSIM_PHASE_TIMES=1 prints it to stderr, docs/performance.md): the
// serial and top-level phases in wall and process CPU seconds, the parallel community-year phases
// in CPU seconds of the threads that ran them (summed over threads).
struct PhaseTimes {
  enum Phase { build, start, population, years, year_sums, finish, summary, enrolment, demand, days, count };
  static constexpr const char* kNames[count] = {"city build",  "start",   "population change", "years (all)",
                                                "year sums",   "finish",  "summary",           "- enrolment lists",
                                                "- demand",    "- day loop"};
  double wall[count] = {}, cpu[count] = {};
};
double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
// A phase's start: the wall and CPU clocks (the process's, or the calling thread's).
struct PhaseClock {
  clockid_t clock = CLOCK_PROCESS_CPUTIME_ID;
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = cpu_seconds(clock);
  explicit PhaseClock(clockid_t c = CLOCK_PROCESS_CPUTIME_ID) : clock(c), cpu(cpu_seconds(c)) {}
  // Adds the time since the last lap to phase p and starts the next.
  void lap(double* wall_s, double* cpu_s, int p) {
    const auto now = std::chrono::steady_clock::now();
    const double c = cpu_seconds(clock);
    if (wall_s) wall_s[p] += std::chrono::duration<double>(now - wall).count();
    cpu_s[p] += c - cpu;
    wall = now;
    cpu = c;
  }
};

// Per-thread state of one run: the thread's workspace and the run's per-thread counters.
struct Scratch {
  Workspace* ws = nullptr;
  std::vector<ServiceDay> sdays;
  std::vector<RoleDay> rdays;
  std::vector<uint8_t> closed;           // per service: facility closed today
  Recorder::ThreadState recorded;        // the thread's citywide histograms
  Recorder::YearCounts year_counts;      // a community-year's counts per service
  double phase_s[PhaseTimes::count] = {};  // the thread's time in the parallel phases
};

bool applies_to(const Shock& s, const CommunityInfo& info) {
  if (s.communities.empty()) return true;
  for (const auto& n : s.communities) {
    if (n == info.name) return true;
    for (const auto& o : info.origin)
      if (n == o) return true;
  }
  return false;
}

CommunityShocks resolve_shocks(const Scenario& sc, const CommunityInfo& info) {
  CommunityShocks out;
  for (size_t i = 0; i < sc.shocks.size(); ++i) {
    const Shock& s = sc.shocks[i];
    if (!applies_to(s, info)) continue;
    switch (s.kind) {
      case ShockKind::demand_surge: {
        const int sv = sc.service_index(s.service);
        if (sv < 0) internal_error("shock " + std::to_string(i) + " names no service ('" + s.service + "')");
        assert(sc.services[static_cast<size_t>(sv)].kind == ServiceKind::episodic);  // validate.cpp
        out.surges.push_back(DemandShock{sv, s.start_day, s.end_day, s.factor, static_cast<uint32_t>(i)});
        break;
      }
      case ShockKind::staff_absence:
        out.absence.push_back({sc.role_index(s.role), s.start_day, s.end_day, s.share});
        break;
      case ShockKind::vacancy:
        out.vacancy.push_back({sc.role_index(s.role), s.start_day, s.end_day, s.share});
        break;
      case ShockKind::facility_closure:
        out.closure.push_back({-1, s.start_day, s.end_day, 1.0});
        break;
    }
  }
  return out;
}

static_assert(kMaxEnrolmentServiceIndex < 8, "one bit per enrolment service in Residents::enrolled (a byte)");

// Rebuilds the enrolment state of a community at the start of a year: leavers lose their place,
// the waiting list is ordered by a lottery keyed by resident id (common random numbers).
void rebuild_enrolment(const std::vector<CompiledService>& services, uint64_t seed, uint32_t replicate,
                       Residents& res, CommunityRun& cr, Scratch& scratch) {
  for (const auto& s : services) {
    if (s.kind != ServiceKind::enrolment) continue;
    EnrolmentState& e = cr.enrolment[static_cast<size_t>(s.index)];
    e.waiting.clear();
    e.head = 0;
    e.enrolled = e.wanting = e.in_scope = 0;
    e.weight = 0;
    e.wanting_by_type.fill(0);
    e.enrolled_by_type.fill(0);
    auto& order = scratch.ws->order;
    order.clear();
    const uint8_t bit = static_cast<uint8_t>(1u << s.index);
    for (size_t r = 0; r < res.size(); ++r) {
      const size_t h = res.household[r];
      if (in_scope(s, res, r)) ++e.in_scope;
      if (!wants(s, res, r, cr.travel.distance_m(res.hh_x_m[h], res.hh_y_m[h]) / 1000.0)) {
        res.enrolled[r] &= static_cast<uint8_t>(~bit);
        continue;
      }
      ++e.wanting;
      ++e.wanting_by_type[res.hh_type[h]];
      if (res.enrolled[r] & bit) {
        ++e.enrolled;
        ++e.enrolled_by_type[res.hh_type[h]];
        e.weight += 1.0 / s.clients_per_staff[res.age[r]];
      } else {
        Stream st(StreamKey{seed, replicate, res.gid(r), static_cast<uint32_t>(Purpose::order) ^ (s.key << 4), 0});
        order.emplace_back(st.bits32(), static_cast<uint32_t>(r));
      }
    }
    std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : res.gid(a.second) < res.gid(b.second);
    });
    for (const auto& [k, r] : order) e.waiting.push_back(r);
  }
}

// The year's counts of a community per service: episodes elsewhere, unit-days in scope and of
// clients — every day of the year; enrolment services (from their lists) and their places on their
// open days, the days their enrolled are counted.
void record_year_counts(const std::vector<CompiledService>& services, const Community& cm, const CommunityRun& cr,
                        int first_day, int last_day, Recorder& recorder, size_t c, const DemandScratch& demand,
                        Recorder::YearCounts& year) {
  const size_t n = services.size();
  year.elsewhere = demand.elsewhere;
  year.in_scope_days.assign(n, 0);
  year.client_days.assign(n, 0);
  year.place_days.assign(n, 0);
  for (const auto& s : services) {
    const auto sv = static_cast<size_t>(s.index);
    if (s.kind != ServiceKind::enrolment) {
      const auto days = static_cast<uint64_t>(last_day - first_day);
      year.in_scope_days[sv] = days * demand.in_scope[sv];
      year.client_days[sv] = days * demand.clients[sv];
      continue;
    }
    uint64_t open = 0;
    for (int d = first_day; d < last_day; ++d) open += s.open[static_cast<size_t>(weekday(d))] ? 1 : 0;
    year.in_scope_days[sv] = open * cr.enrolment[sv].in_scope;
    year.client_days[sv] = open * cr.enrolment[sv].wanting;
    if (s.use >= 0)
      year.place_days[sv] = open * static_cast<uint64_t>(std::max(0, cm.policy.places[static_cast<size_t>(s.use)]));
  }
  recorder.record_year(c, year);
}

bool active(const CommunityShocks::Span& s, int day) { return day >= s.start && day < s.end; }

struct RunContext {
  const Scenario& sc;
  const std::vector<CompiledService>& services;
  uint64_t seed;
  uint32_t replicate;
  Recorder& recorder;
  const std::vector<WorkingClock>& clocks;  // per role: its working minutes (waits, days off)
  size_t part_first;  // the part's first community in the whole city: community c's stream key is part_first + c
};

// ---------------------------------------------------------------- the phases of a day
// 1. Demand: today's requests of one role, from the community-year's calendar.
struct RoleRequests {
  const Request* first = nullptr;
  size_t count = 0;
};
RoleRequests todays_requests(const Calendar& calendar, int day, size_t role) {
  if (static_cast<int>(role) >= calendar.roles) return {};
  return {calendar.begin(day, static_cast<int>(role)), calendar.size(day, static_cast<int>(role))};
}

// 2. Capacity: workers on shift per role (absence, vacancies, overhead); facility closures.
bool plan_capacity(const RunContext& ctx, size_t c, CommunityRun& cr, int day, Scratch& s) {
  bool closed_today = false;
  for (const auto& span : cr.shocks.closure) closed_today = closed_today || active(span, day);
  std::fill(s.closed.begin(), s.closed.end(), closed_today ? 1 : 0);
  for (size_t r = 0; r < cr.pools.size(); ++r) {
    ShiftContext shift{ctx.seed, ctx.replicate, static_cast<uint64_t>(ctx.part_first + c), day, 0.0, 0.0, !ctx.clocks[r].working_day(day)};
    for (const auto& span : cr.shocks.absence)
      if (span.role_or_service == static_cast<int>(r) && active(span, day)) shift.extra_absence += span.share;
    for (const auto& span : cr.shocks.vacancy)
      if (span.role_or_service == static_cast<int>(r) && active(span, day)) shift.vacancy_share = std::max(shift.vacancy_share, span.share);
    plan_shifts(ctx.sc.staffing.roles[r], shift, cr.pools[r], s.rdays[r]);
  }
  return closed_today;
}

// 3. Enrolment: admissions from waiting lists while places and staff ratios allow; the staff the
//    enrolled need is reserved for the day.
void admit_enrolments(const RunContext& ctx, Community& community, CommunityRun& cr, int day, bool closed_today,
                      Scratch& s) {
  for (const auto& sv : ctx.services) {
    if (sv.kind != ServiceKind::enrolment || !sv.open[static_cast<size_t>(weekday(day))]) continue;
    EnrolmentState& e = cr.enrolment[static_cast<size_t>(sv.index)];
    WorkerPool& pool = cr.pools[static_cast<size_t>(sv.role)];
    ServiceDay& sd = s.sdays[static_cast<size_t>(sv.index)];
    const uint8_t bit = static_cast<uint8_t>(1u << sv.index);
    const double present = static_cast<double>(pool.shifts.size());
    const int64_t places = sv.use >= 0 ? community.policy.places[static_cast<size_t>(sv.use)] : INT64_MAX;
    Residents& res = community.residents;
    if (!closed_today) {
      while (e.head < e.waiting.size() && static_cast<int64_t>(e.enrolled) < places) {
        const uint32_t r = e.waiting[e.head];
        const double w = 1.0 / sv.clients_per_staff[res.age[r]];
        if (std::ceil(e.weight + w - 1e-9) > present) break;
        res.enrolled[r] |= bit;
        ++e.enrolled;
        ++e.enrolled_by_type[res.hh_type[res.household[r]]];
        e.weight += w;
        ++e.head;
      }
    }
    const double need = std::ceil(e.weight - 1e-9);
    uint32_t served = 0;
    if (!closed_today) {
      served = need <= present ? e.enrolled
                               : static_cast<uint32_t>(std::floor(e.enrolled * present / std::max(1.0, need)));
      reserve_workers(pool, static_cast<int>(std::min(need, present)), s.rdays[static_cast<size_t>(sv.role)]);
    }
    sd.demand = e.wanting;
    sd.served = sd.served_in_time = served;
    sd.unmet = e.wanting - served;
    sd.unmet_minutes = sd.unmet * sv.spec->service_minutes;
    sd.backlog = static_cast<uint32_t>(e.waiting.size() - e.head);
    for (size_t t = 0; t < kResultHouseholdTypes; ++t) {
      GroupServiceTotals& by_type = sd.by_type[t];
      const uint32_t enrolled = e.enrolled_by_type[t];
      const uint32_t attended = served == e.enrolled ? enrolled
                                                     : static_cast<uint32_t>(std::floor(static_cast<double>(enrolled) * served /
                                                                                        std::max<uint32_t>(1, e.enrolled)));
      by_type.demand = e.wanting_by_type[t];
      by_type.served = by_type.served_in_time = attended;
      by_type.unmet = e.wanting_by_type[t] - attended;
      by_type.unmet_minutes = by_type.unmet * sv.spec->service_minutes;
    }
  }
}

// 4. Service: each role's queue within its workers' shifts. Facility services that name a facility
//    use (e.g. consulting rooms) are served by at most as many workers at once as the use has
//    places: extra workers present are idle.
void serve_queues(const RunContext& ctx, Community& community, CommunityRun& cr, int day, Scratch& s) {
  for (size_t r = 0; r < cr.pools.size(); ++r) {
    WorkerPool& pool = cr.pools[r];
    for (const auto& sv : ctx.services) {
      if (sv.role != static_cast<int>(r) || sv.kind == ServiceKind::enrolment || sv.use < 0 ||
          sv.spec->where != Place::facility)
        continue;
      const size_t rooms = static_cast<size_t>(community.policy.places[static_cast<size_t>(sv.use)]);
      if (pool.shifts.size() > rooms) pool.shifts.resize(rooms);
    }
    const RoleRequests today = todays_requests(s.ws->calendar, day, r);
    serve_queue(ctx.services, ctx.sc.staffing.roles, cr.travel, community.residents.hh_x_m.data(),
                community.residents.hh_y_m.data(), community.residents.hh_type.data(), day, today.first, today.count, s.closed, ctx.clocks[r], pool, s.sdays, s.rdays[r],
                s.ws->queue);
  }
}

// ---------------------------------------------------------------- one community-day
// The phases of a day, in order: the model's schedule (MODEL.md §4).
void simulate_day(const RunContext& ctx, size_t c, Community& community, CommunityRun& cr, int day, Scratch& s) {
  for (auto& d : s.sdays) d.reset();
  for (auto& r : s.rdays) r = RoleDay{};
  // 1. Demand is the year's calendar (generate_requests); each role reads its day in phase 4.
  const bool closed_today = plan_capacity(ctx, c, cr, day, s);          // 2. capacity
  admit_enrolments(ctx, community, cr, day, closed_today, s);           // 3. enrolment
  serve_queues(ctx, community, cr, day, s);                             // 4. service
  ctx.recorder.record_day(c, day, s.sdays, s.rdays, s.recorded);       // 5. record
}

// The pools' staff and the workload of their support activities follow the community's
// households, residents and staff (at the start and after each year's population change).
void staff_pools(const Scenario& sc, const Community& community, CommunityRun& cr, double free_from_min) {
  const int committee_role = sc.role_index(sc.staffing.committee.serves_as_role);
  for (size_t r = 0; r < cr.pools.size(); ++r) {
    const Role& role = sc.staffing.roles[r];
    WorkerPool& p = cr.pools[r];
    p.role = static_cast<int>(r);
    p.staff = community.policy.staff[r];
    p.part_time = static_cast<int>(r) == committee_role ? community.policy.part_time_committee : 0;
    p.part_time_share = sc.staffing.committee.service_share;
    p.free_at.resize(static_cast<size_t>(p.staff + p.part_time), free_from_min);
    const WorkPattern pattern = work_pattern(role, sc.staffing);
    p.leave_absence = leave_absence_share(pattern, role.annual_leave_days, role.sick_leave_days, role.training_days);
    const double days = working_days_per_year(pattern);
    const double hours = support_hours_per_year(role, static_cast<double>(community.policy.households),
                                                static_cast<double>(community.residents.size()),
                                                p.staff + p.part_time * p.part_time_share);
    p.support_min_per_day = days > 0 ? hours * 60.0 / days : 0.0;
  }
}

// One simulated year of a community's pay (each role at this year's staff, committee members in
// their role) and operating funds, added to its facts: pay_yuan is the one pay formula.
void accrue_year_cost(const Scenario& sc, const CommunityPolicy& p, int days, CommunityInfo& info) {
  const int committee_role = sc.role_index(sc.staffing.committee.serves_as_role);
  info.pay_yuan_by_role.resize(sc.staffing.roles.size(), 0.0);
  for (size_t r = 0; r < sc.staffing.roles.size(); ++r) {
    const int people = p.staff[r] + (static_cast<int>(r) == committee_role ? p.part_time_committee : 0);
    info.pay_yuan_by_role[r] += pay_yuan(sc.staffing.roles[r], people, days);
  }
  info.operating_funds_city_yuan += p.funds_city_yuan_per_year * (days / 365.0);
  info.operating_funds_district_yuan += p.funds_district_yuan_per_year * (days / 365.0);
}

// A run's result before its days: names, per-community totals, daily records, years.
RunResult empty_result(const Scenario& sc, int replicate, size_t n_comm, int years) {
  const size_t n_services = sc.services.size(), n_roles = sc.staffing.roles.size();
  RunResult out;
  out.replicate = replicate;
  out.seed = sc.run.seed;
  out.days = sc.run.days;
  for (const auto& s : sc.services) out.service_names.push_back(s.name);
  for (const auto& r : sc.staffing.roles) out.role_names.push_back(r.name);
  for (const auto& u : sc.facility.uses) out.facility_use_names.push_back(u.name);
  out.service_totals.assign(n_comm * n_services, ServiceTotals{});
  out.role_totals.assign(n_comm * n_roles, RoleTotals{});
  out.daily.resize(sc.run.days, static_cast<int>(n_comm), static_cast<int>(n_services), static_cast<int>(n_roles),
                   sc.run.daily_output);
  out.years.assign(static_cast<size_t>(years), YearRecord{0.0, std::vector<uint64_t>(n_services, 0)});
  return out;
}

// Everything a batch's years share: the scenario, services, the batch's communities and their
// state, the recorder and the part's result. Communities are numbered in the part (`first` is the
// batch's first); the part's first community in the whole city keys the random streams.
struct Replicate {
  const Scenario& sc;
  const std::vector<CompiledService>& services;
  uint32_t rep;
  std::vector<Community>& city;
  std::vector<CommunityRun>& runs;
  const std::vector<WorkingClock>& clocks;
  Recorder& recorder;
  tbb::enumerable_thread_specific<Scratch>& scratch;
  RunResult& out;
  PhaseTimes& times;  // the part's phase times (COMMSIM_PHASE_TIMES)
  size_t first;       // the batch's first community in the part
  size_t part_first;  // the part's first community in the whole city
};

// The state each community carries from the first day: pools, enrolment, travel, shocks.
std::vector<CommunityRun> start_communities(const Scenario& sc, const std::vector<Community>& city) {
  std::vector<CommunityRun> runs(city.size());
  for (size_t c = 0; c < city.size(); ++c) {
    CommunityRun& cr = runs[c];
    cr.pools.resize(sc.staffing.roles.size());
    staff_pools(sc, city[c], cr, 0.0);
    cr.enrolment.resize(sc.services.size());
    cr.travel = TravelModel{city[c].facility_x_m, city[c].facility_y_m, sc.travel.detour_factor, sc.travel.manhattan};
    cr.shocks = resolve_shocks(sc, city[c].info);
  }
  return runs;
}

// Year y's population change (from the second year, with dynamics): residents age, move, are born
// and die; the policies follow them (staff by this year's clients) and the pools this year's staff.
void change_population(const Replicate& r, const PopulationModel& model, int y, int first_day) {
  if (y == 0 || !r.sc.population.dynamics.enabled) return;
  tbb::parallel_for(size_t(0), r.city.size(), [&](size_t c) {
    Community& cm = r.city[c];
    step_year(model, r.sc.population, r.sc.run.seed, r.rep, y, cm.facility_x_m, cm.facility_y_m, cm.info.area_km2,
              cm.residents, thread_workspace().dynamics, cm.district_households.get());
    apply_policies(r.sc, r.services, cm);
    staff_pools(r.sc, cm, r.runs[c], static_cast<double>(first_day) * 1440.0);
  });
}

// The days of year y of every community of the batch (one task a community), then the year's
// demand. The year's residents are whole numbers (exact sums in any grouping); demand is counted.
void run_year(const Replicate& r, int y, const RunOptions& options, std::atomic<size_t>& done, size_t total_units) {
  const int first_day = y * 365, last_day = std::min(r.sc.run.days, first_day + 365);
  const size_t n_services = r.services.size();
  double residents = 0;
  for (auto& cm : r.city) {
    residents += static_cast<double>(cm.residents.size());
    accrue_year_cost(r.sc, cm.policy, last_day - first_day, cm.info);
  }
  YearRecord& year = r.out.years[static_cast<size_t>(y)];
  year.residents += residents;
  const auto slice = r.out.service_totals.begin() + static_cast<std::ptrdiff_t>(r.first * n_services);
  const std::vector<ServiceTotals> year_start(slice, slice + static_cast<std::ptrdiff_t>(r.city.size() * n_services));
  tbb::parallel_for(size_t(0), r.city.size(), [&](size_t c) {
    Scratch& s = r.scratch.local();
    s.ws = &thread_workspace();
    Community& cm = r.city[c];
    CommunityRun& cr = r.runs[c];
    PhaseClock t0(CLOCK_THREAD_CPUTIME_ID);
    rebuild_enrolment(r.services, r.sc.run.seed, r.rep, cm.residents, cr, s);
    t0.lap(nullptr, s.phase_s, PhaseTimes::enrolment);
    DemandContext dctx{r.sc.run.seed, r.rep, y, first_day, last_day, cr.shocks.surges, &cm.policy.network_share};
    generate_requests(r.services, cm.residents, dctx, s.ws->calendar, s.ws->demand);
    record_year_counts(r.services, cm, cr, first_day, last_day, r.recorder, r.first + c, s.ws->demand, s.year_counts);
    t0.lap(nullptr, s.phase_s, PhaseTimes::demand);
    const RunContext ctx{r.sc, r.services, r.sc.run.seed, r.rep, r.recorder, r.clocks, r.part_first};
    for (int day = first_day; day < last_day; ++day) simulate_day(ctx, r.first + c, cm, cr, day, s);
    t0.lap(nullptr, s.phase_s, PhaseTimes::days);
    const size_t finished = done.fetch_add(1) + 1;
    if (options.progress) options.progress(static_cast<double>(finished) / static_cast<double>(total_units));
  });
  PhaseClock t0;
  for (size_t c = 0; c < r.city.size(); ++c)
    for (size_t sv = 0; sv < n_services; ++sv)
      year.demand[sv] += r.out.service_totals[(r.first + c) * n_services + sv].demand - year_start[c * n_services + sv].demand;
  t0.lap(r.times.wall, r.times.cpu, PhaseTimes::year_sums);
}

// The end of the run for the batch's communities: requests still waiting (queues and waiting
// lists), community percentiles; their facts move to the result.
void finish_batch(const Replicate& r) {
  const size_t n_services = r.services.size();
  const double window = r.sc.run.days * 1440.0;
  std::vector<uint64_t> backlog(n_services);
  std::vector<double> backlog_minutes(n_services), backlog_minutes_by_type(kResultHouseholdTypes * n_services);
  for (size_t c = 0; c < r.city.size(); ++c) {
    const size_t k = r.first + c;
    std::fill(backlog.begin(), backlog.end(), 0);
    std::fill(backlog_minutes.begin(), backlog_minutes.end(), 0.0);
    std::fill(backlog_minutes_by_type.begin(), backlog_minutes_by_type.end(), 0.0);
    const uint8_t* hh_type = r.city[c].residents.hh_type.data();
    for (size_t role = 0; role < r.runs[c].pools.size(); ++role)
      for (const auto& q : r.runs[c].pools[role].backlog) {
        ++backlog[q.service];
        r.recorder.record_censored(k, q.service, r.clocks[role].between(q.arrival_min, window));
        if (q.flags & 1) continue;  // already counted unmet at its deadline
        backlog_minutes[q.service] += q.duration_min;
        backlog_minutes_by_type[hh_type[q.household] * n_services + q.service] += q.duration_min;
      }
    for (size_t sv = 0; sv < n_services; ++sv)
      if (r.services[sv].kind == ServiceKind::enrolment)
        backlog[sv] = r.runs[c].enrolment[sv].waiting.size() - r.runs[c].enrolment[sv].head;
    r.recorder.end_community(k, backlog, backlog_minutes, backlog_minutes_by_type, window);
    // The community facts describe the start of the run (describe_community), pay and funds every year.
    r.out.residents += r.city[c].info.residents;
    r.out.households += r.city[c].info.households;
    r.out.communities[k] = std::move(r.city[c].info);
  }
}

// What every batch of a part shares.
struct PartSetup {
  std::vector<CompiledService> services;
  std::shared_ptr<const PreparedInputs> prepared;
  std::vector<WorkingClock> clocks;
  PopulationModel model;
  PhaseTimes times;
};

// One batch (its communities built): run every year, finish them, release their residents.
void run_batch(const Scenario& sc, uint32_t rep, PartSetup& part, CityRange part_range, CityRange batch,
               std::vector<Community> city, Recorder& recorder, tbb::enumerable_thread_specific<Scratch>& scratch,
               RunResult& out, const RunOptions& options, std::atomic<size_t>& done, size_t total_units) {
  PhaseClock t0;
  std::vector<CommunityRun> runs = start_communities(sc, city);
  const size_t first = batch.first - part_range.first;
  recorder.begin_batch(first, first + city.size());
  const Replicate r{sc, part.services, rep, city, runs, part.clocks, recorder, scratch, out, part.times, first, part_range.first};
  const int years = static_cast<int>(out.years.size());
  t0.lap(part.times.wall, part.times.cpu, PhaseTimes::start);
  for (int y = 0; y < years; ++y) {
    change_population(r, part.model, y, y * 365);
    t0.lap(part.times.wall, part.times.cpu, PhaseTimes::population);
    run_year(r, y, options, done, total_units);
    t0.lap(part.times.wall, part.times.cpu, PhaseTimes::years);
  }
  finish_batch(r);
  t0.lap(part.times.wall, part.times.cpu, PhaseTimes::finish);
}

// With COMMSIM_PHASE_TIMES set: the run's phases on stderr, parallel phases summed over threads.
// A part reports its phases, the assembly of the parts its summary.
void report_phase_times(PhaseTimes& times, const tbb::enumerable_thread_specific<Scratch>* scratch) {
  static const bool wanted = std::getenv("COMMSIM_PHASE_TIMES") != nullptr;
  if (!wanted) return;
  if (scratch)
    for (const Scratch& s : *scratch)
      for (int p = PhaseTimes::enrolment; p <= PhaseTimes::days; ++p) times.cpu[p] += s.phase_s[p];
  for (int p = 0; p < PhaseTimes::count; ++p)
    if (times.wall[p] > 0 || times.cpu[p] > 0)
      std::fprintf(stderr, "phase %-18s wall %8.3f s  cpu %8.3f s\n", PhaseTimes::kNames[p], times.wall[p], times.cpu[p]);
}

}  // namespace

RunResult run_part(const Scenario& sc, int replicate, const RunOptions& options, CityRange range) {
  // validate.cpp keeps enrolment services among the first 8: a violation would corrupt the enrolment bits.
  PartSetup part{compile_services(sc, static_cast<uint32_t>(replicate)), options.prepared, {}, PopulationModel(sc.population), {}};
  for (const auto& s : part.services)
    if (s.kind == ServiceKind::enrolment && s.index > kMaxEnrolmentServiceIndex)
      internal_error("enrolment service '" + s.spec->name + "' has no enrolment bit");
  const auto rep = static_cast<uint32_t>(replicate);
  if (!part.prepared) part.prepared = prepare_inputs(sc);
  if (range.last == 0) range = CityRange{0, part.prepared->specs.size()};
  const std::vector<CityRange> batches = city_batches(sc, *part.prepared, range);
  // Batches build their communities as they come; a city built whole (resizing may change the
  // number of communities) is built first.
  const auto build = [&](CityRange b) {
    PhaseClock t0;
    std::vector<Community> city = build_city(sc, *part.prepared, rep, part.services, b.first == 0 ? options.changes : nullptr, b);
    t0.lap(part.times.wall, part.times.cpu, PhaseTimes::build);
    return city;
  };
  std::vector<Community> whole = batches.size() == 1 ? build(batches[0]) : std::vector<Community>{};
  const size_t n_comm = batches.size() == 1 ? whole.size() : range.last - range.first;
  assert(n_comm > 0);  // validate.cpp: explicit communities or generator.communities > 0
  const int years = (sc.run.days + 364) / 365;
  RunResult out = empty_result(sc, replicate, n_comm, years);
  out.communities.resize(n_comm);
  for (const Role& role : sc.staffing.roles) part.clocks.emplace_back(work_pattern(role, sc.staffing), sc.run.days);
  std::vector<uint8_t> queue_service(part.services.size());
  for (size_t sv = 0; sv < part.services.size(); ++sv) queue_service[sv] = part.services[sv].kind != ServiceKind::enrolment;
  Recorder recorder(out, n_comm, std::move(queue_service));
  tbb::enumerable_thread_specific<Scratch> scratch([&] {
    Scratch s;
    s.sdays.resize(part.services.size());
    s.rdays.resize(sc.staffing.roles.size());
    s.closed.resize(part.services.size());
    s.recorded = recorder.thread_state();
    return s;
  });
  std::atomic<size_t> done{0};
  for (const CityRange& batch : batches)
    run_batch(sc, rep, part, range, batch, batches.size() == 1 ? std::move(whole) : build(batch), recorder, scratch, out,
              options, done, n_comm * static_cast<size_t>(years));
  PhaseClock t0;
  std::vector<const Recorder::ThreadState*> threads;
  for (const Scratch& s : scratch) threads.push_back(&s.recorded);
  recorder.finish(threads);
  t0.lap(part.times.wall, part.times.cpu, PhaseTimes::finish);
  report_phase_times(part.times, &scratch);
  return out;
}

RunResult assemble_run(const Scenario& sc, std::vector<RunResult> parts) {
  if (parts.empty()) internal_error("assemble_run: no parts");
  PhaseTimes times;
  PhaseClock t0;
  RunResult out = std::move(parts.front());
  for (size_t i = 1; i < parts.size(); ++i) append_part(out, std::move(parts[i]));
  fold_household_types(out);
  summarize(sc, out);
  t0.lap(times.wall, times.cpu, PhaseTimes::summary);
  report_phase_times(times, nullptr);
  return out;
}

RunResult run_replicate(const Scenario& sc, int replicate, const RunOptions& options) {
  std::vector<RunResult> parts;
  parts.push_back(run_part(sc, replicate, options));
  return assemble_run(sc, std::move(parts));
}

std::vector<RunResult> run_scenario(const Scenario& sc, const RunOptions& options) {
  const ThreadCap cap(options.threads, sc.run.threads);
  RunOptions shared = options;
  if (!shared.prepared) shared.prepared = prepare_inputs(sc);  // read once: every replicate shares them
  std::vector<RunResult> out;
  for (int r = 0; r < sc.run.replicates; ++r) {
    RunOptions o = shared;
    if (options.progress) {
      o.progress = [&, r](double f) { options.progress((r + f) / sc.run.replicates); };
    }
    if (r > 0) o.changes = nullptr;
    out.push_back(run_replicate(sc, r, o));
  }
  return out;
}

}  // namespace commsim
