#include "sim/engine/engine.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <optional>

#include "sim/core/error.hpp"
#include "sim/core/random.hpp"
#include "sim/demand/demand.hpp"
#include "sim/engine/city.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/service/service.hpp"

namespace commsim {

namespace {

struct EnrolmentState {
  std::vector<uint32_t> waiting;  // residents in admission order
  size_t head = 0;
  uint32_t enrolled = 0, wanting = 0;
  double weight = 0;  // staff needed by the enrolled (sum of 1 / clients-per-staff)
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

// Per-thread state of one run: the thread's workspace and the run's per-thread counters.
struct Scratch {
  Workspace* ws = nullptr;
  std::vector<ServiceDay> sdays;
  std::vector<RoleDay> rdays;
  std::vector<uint8_t> closed;           // per service: facility closed today
  Recorder::ThreadState recorded;        // the thread's citywide histograms
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
        if (sv < 0) throw InputError(SourcePos{sc.source_file, 0, 0}, "shocks." + std::to_string(i) + ".service", "service '" + s.service + "' is not defined");
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

// Rebuilds the enrolment state of a community at the start of a year: leavers lose their place,
// the waiting list is ordered by a lottery keyed by resident id (common random numbers).
void rebuild_enrolment(const std::vector<CompiledService>& services, uint64_t seed, uint32_t replicate,
                       Residents& res, CommunityRun& cr, Scratch& scratch) {
  for (const auto& s : services) {
    if (s.kind != ServiceKind::enrolment) continue;
    EnrolmentState& e = cr.enrolment[static_cast<size_t>(s.index)];
    e.waiting.clear();
    e.head = 0;
    e.enrolled = e.wanting = 0;
    e.weight = 0;
    auto& order = scratch.ws->order;
    order.clear();
    const uint8_t bit = static_cast<uint8_t>(1u << s.index);
    for (size_t r = 0; r < res.size(); ++r) {
      if (!wants(s, res, r, seed, replicate)) {
        res.enrolled[r] &= static_cast<uint8_t>(~bit);
        continue;
      }
      ++e.wanting;
      if (res.enrolled[r] & bit) {
        ++e.enrolled;
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

bool active(const CommunityShocks::Span& s, int day) { return day >= s.start && day < s.end; }

struct RunContext {
  const Scenario& sc;
  const std::vector<CompiledService>& services;
  uint64_t seed;
  uint32_t replicate;
  Recorder& recorder;
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
    ShiftContext shift{ctx.seed, ctx.replicate, static_cast<uint64_t>(c), day, 0.0, 0.0};
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
    const int64_t places = sv.use >= 0 ? community.info.places[static_cast<size_t>(sv.use)] : INT64_MAX;
    Residents& res = community.residents;
    if (!closed_today) {
      while (e.head < e.waiting.size() && static_cast<int64_t>(e.enrolled) < places) {
        const uint32_t r = e.waiting[e.head];
        const double w = 1.0 / sv.clients_per_staff[res.age[r]];
        if (std::ceil(e.weight + w - 1e-9) > present) break;
        res.enrolled[r] |= bit;
        ++e.enrolled;
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
    sd.backlog = static_cast<uint32_t>(e.waiting.size() - e.head);
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
      const size_t rooms = static_cast<size_t>(community.info.places[static_cast<size_t>(sv.use)]);
      if (pool.shifts.size() > rooms) pool.shifts.resize(rooms);
    }
    const RoleRequests today = todays_requests(s.ws->calendar, day, r);
    serve_queue(ctx.services, ctx.sc.staffing.roles, cr.travel, community.residents.hh_x_m.data(),
                community.residents.hh_y_m.data(), day, today.first, today.count, s.closed, pool, s.sdays, s.rdays[r],
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

void init_pools(const Scenario& sc, const Community& community, CommunityRun& cr) {
  const size_t n_roles = sc.staffing.roles.size();
  cr.pools.resize(n_roles);
  const int committee_role = sc.role_index(sc.staffing.committee.serves_as_role);
  for (size_t r = 0; r < n_roles; ++r) {
    WorkerPool& p = cr.pools[r];
    p.role = static_cast<int>(r);
    p.staff = community.info.staff[r];
    p.part_time = static_cast<int>(r) == committee_role ? community.part_time_committee : 0;
    p.part_time_share = sc.staffing.committee.service_share;
    p.free_at.resize(static_cast<size_t>(p.staff + p.part_time), 0.0);
  }
}

}  // namespace

RunResult run_replicate(const Scenario& sc, int replicate, const RunOptions& options) {
  const auto services = compile_services(sc);
  if (services.size() > 8) {
    size_t enrol = 0;
    for (const auto& s : services) enrol += s.kind == ServiceKind::enrolment && s.index >= 8;
    if (enrol) throw InputError(SourcePos{sc.source_file, 0, 0}, "services", "enrolment services must be among the first 8 services");
  }
  for (const auto& sh : sc.shocks)
    if (sh.kind == ShockKind::demand_surge) {
      const int sv = sc.service_index(sh.service);
      if (sv >= 0 && sc.services[static_cast<size_t>(sv)].kind != ServiceKind::episodic)
        throw InputError(SourcePos{sc.source_file, 0, 0}, "shocks", "a demand_surge applies to episodic services; '" + sh.service + "' is not episodic");
    }
  const uint64_t seed = sc.run.seed;
  const auto rep = static_cast<uint32_t>(replicate);
  std::vector<Community> city = build_city(sc, rep, services, options.changes);
  const size_t n_comm = city.size(), n_services = services.size(), n_roles = sc.staffing.roles.size();
  if (n_comm == 0) throw InputError(SourcePos{sc.source_file, 0, 0}, "city", "the city has no communities");

  RunResult out;
  out.replicate = replicate;
  out.seed = seed;
  out.days = sc.run.days;
  for (const auto& s : sc.services) out.service_names.push_back(s.name);
  for (const auto& r : sc.staffing.roles) out.role_names.push_back(r.name);
  for (const auto& u : sc.facility.uses) out.facility_use_names.push_back(u.name);
  out.service_totals.assign(n_comm * n_services, ServiceTotals{});
  out.role_totals.assign(n_comm * n_roles, RoleTotals{});
  out.daily.resize(sc.run.days, static_cast<int>(n_comm), static_cast<int>(n_services), static_cast<int>(n_roles),
                   sc.run.daily_output);

  std::vector<CommunityRun> runs(n_comm);
  for (size_t c = 0; c < n_comm; ++c) {
    CommunityRun& cr = runs[c];
    init_pools(sc, city[c], cr);
    cr.enrolment.resize(n_services);
    cr.travel = TravelModel{city[c].facility_x_m, city[c].facility_y_m, sc.travel.detour_factor, sc.travel.manhattan};
    cr.shocks = resolve_shocks(sc, city[c].info);
  }

  std::vector<uint8_t> queue_service(n_services);
  for (size_t sv = 0; sv < n_services; ++sv) queue_service[sv] = services[sv].kind != ServiceKind::enrolment;
  Recorder recorder(out, n_comm, std::move(queue_service));
  tbb::enumerable_thread_specific<Scratch> scratch([&] {
    Scratch s;
    s.sdays.resize(n_services);
    s.rdays.resize(n_roles);
    s.closed.resize(n_services);
    s.recorded = recorder.thread_state();
    return s;
  });
  const PopulationModel model(sc.population);
  const int years = (sc.run.days + 364) / 365;
  out.years.assign(static_cast<size_t>(years), YearRecord{0.0, std::vector<uint64_t>(n_services, 0)});
  std::vector<ServiceTotals> year_start(n_comm * n_services);
  std::atomic<size_t> done{0};
  const size_t total_units = n_comm * static_cast<size_t>(years);

  for (int y = 0; y < years; ++y) {
    const int first_day = y * 365, last_day = std::min(sc.run.days, first_day + 365);
    if (y > 0 && sc.population.dynamics.enabled) {
      tbb::parallel_for(size_t(0), n_comm, [&](size_t c) {
        Community& cm = city[c];
        step_year(model, sc.population, seed, rep, y, cm.facility_x_m, cm.facility_y_m, cm.info.area_km2, cm.residents,
                  thread_workspace().dynamics);
        apply_policies(sc, services, cm);
        // Staffing rules follow the population; pools keep their carried state where they can.
        for (size_t r = 0; r < n_roles; ++r) {
          WorkerPool& p = runs[c].pools[r];
          p.staff = cm.info.staff[r];
          p.free_at.resize(static_cast<size_t>(p.staff + p.part_time), static_cast<double>(first_day) * 1440.0);
        }
      });
    }
    double residents = 0;
    for (const auto& cm : city) residents += static_cast<double>(cm.residents.size());
    out.years[static_cast<size_t>(y)].residents = residents;
    for (size_t i = 0; i < year_start.size(); ++i) year_start[i] = out.service_totals[i];

    tbb::parallel_for(size_t(0), n_comm, [&](size_t c) {
      Scratch& s = scratch.local();
      s.ws = &thread_workspace();
      Community& cm = city[c];
      CommunityRun& cr = runs[c];
      rebuild_enrolment(services, seed, rep, cm.residents, cr, s);
      DemandContext dctx{seed, rep, y, first_day, last_day, cr.shocks.surges};
      generate_requests(services, cm.residents, dctx, s.ws->calendar, s.ws->demand);
      const RunContext ctx{sc, services, seed, rep, recorder};
      for (int day = first_day; day < last_day; ++day) simulate_day(ctx, c, cm, cr, day, s);
      const size_t finished = done.fetch_add(1) + 1;
      if (options.progress) options.progress(static_cast<double>(finished) / static_cast<double>(total_units));
    });
    for (size_t c = 0; c < n_comm; ++c)
      for (size_t sv = 0; sv < n_services; ++sv)
        out.years[static_cast<size_t>(y)].demand[sv] += out.service_totals[c * n_services + sv].demand - year_start[c * n_services + sv].demand;
  }

  // Final state: requests still waiting at the end (queues and waiting lists), community
  // percentiles; citywide histograms merged from the threads.
  const double window = sc.run.days * 1440.0;
  std::vector<uint64_t> backlog(n_services);
  for (size_t c = 0; c < n_comm; ++c) {
    std::fill(backlog.begin(), backlog.end(), 0);
    for (size_t r = 0; r < n_roles; ++r)
      for (const auto& q : runs[c].pools[r].backlog) ++backlog[q.service];
    for (size_t sv = 0; sv < n_services; ++sv)
      if (services[sv].kind == ServiceKind::enrolment)
        backlog[sv] = runs[c].enrolment[sv].waiting.size() - runs[c].enrolment[sv].head;
    recorder.end_community(c, backlog, window);
  }
  std::vector<const Recorder::ThreadState*> threads;
  for (const Scratch& s : scratch) threads.push_back(&s.recorded);
  recorder.finish(threads);
  out.communities.reserve(n_comm);
  for (auto& cm : city) {
    out.residents += static_cast<int64_t>(cm.residents.size());
    out.households += static_cast<int64_t>(cm.residents.households());
    out.communities.push_back(std::move(cm.info));
  }
  summarize(sc, out);
  return out;
}

std::vector<RunResult> run_scenario(const Scenario& sc, const RunOptions& options) {
  const int threads = options.threads > 0 ? options.threads : sc.run.threads;
  std::optional<tbb::global_control> limit;
  if (threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  std::vector<RunResult> out;
  for (int r = 0; r < sc.run.replicates; ++r) {
    RunOptions o = options;
    if (options.progress) {
      o.progress = [&, r](double f) { options.progress((r + f) / sc.run.replicates); };
    }
    if (r > 0) o.changes = nullptr;
    out.push_back(run_replicate(sc, r, o));
  }
  return out;
}

}  // namespace commsim
