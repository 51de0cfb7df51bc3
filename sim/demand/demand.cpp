#include "sim/demand/demand.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <set>

#include "sim/core/error.hpp"
#include "sim/core/random.hpp"

namespace commsim {

std::vector<CompiledService> compile_services(const Scenario& sc) {
  std::vector<CompiledService> out;
  // Dense priority levels per role: higher `priority` first.
  std::vector<std::set<int, std::greater<int>>> priorities(sc.staffing.roles.size());
  for (const auto& s : sc.services) {
    const int r = sc.role_index(s.role);
    if (r >= 0) priorities[static_cast<size_t>(r)].insert(s.priority);
  }
  for (size_t i = 0; i < sc.services.size(); ++i) {
    const Service& s = sc.services[i];
    CompiledService c;
    c.spec = &s;
    c.index = static_cast<int>(i);
    c.role = sc.role_index(s.role);
    if (c.role < 0) throw InputError(SourcePos{sc.source_file, 0, 0}, "services." + s.name + ".role", "role '" + s.role + "' is not defined in staffing.roles");
    c.use = -1;
    for (size_t u = 0; u < sc.facility.uses.size(); ++u)
      if (sc.facility.uses[u].name == s.facility_use) c.use = static_cast<int>(u);
    c.key = stable_name_key(s.name);
    c.kind = s.kind;
    c.rate_per_year = s.rate_per_year_by_age.empty() ? AgeTable(kMaxAge + 1, s.rate_per_year)
                                                     : age_table(s.rate_per_year_by_age, 0.0);
    c.clients_per_staff = s.clients_per_staff_by_age.empty() ? AgeTable(kMaxAge + 1, s.clients_per_staff)
                                                             : age_table(s.clients_per_staff_by_age, s.clients_per_staff);
    // Arrival profile: the given weights, or uniform over the role's shift hours.
    std::array<double, 24> w = s.arrival_profile;
    double total = 0;
    for (double v : w) total += v;
    if (total <= 0) {
      const Role& role = sc.staffing.roles[static_cast<size_t>(c.role)];
      const double shift_min = role.hours_per_week * 60.0 / std::max(1, role.days_per_week);
      const double start = role.shift_start_minute, end = std::min(1440.0, start + shift_min);
      for (int h = 0; h < 24; ++h) {
        const double overlap = std::max(0.0, std::min(end, (h + 1) * 60.0) - std::max(start, h * 60.0));
        w[static_cast<size_t>(h)] = overlap;
        total += overlap;
      }
      if (total <= 0) w.fill(1.0);
    }
    double acc = 0;
    for (int h = 0; h < 24; ++h) c.profile_cdf[static_cast<size_t>(h)] = acc += w[static_cast<size_t>(h)];
    while (c.first_hour < 23 && c.profile_cdf[static_cast<size_t>(c.first_hour)] == 0.0) ++c.first_hour;
    c.open = s.open_weekdays;
    const auto& levels = priorities[static_cast<size_t>(c.role)];
    c.priority_level = static_cast<int>(std::distance(levels.begin(), levels.find(s.priority)));
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

bool chronic_ok(ChronicFilter f, uint8_t traits) {
  switch (f) {
    case ChronicFilter::any: return true;
    case ChronicFilter::hypertension: return traits & trait::hypertension;
    case ChronicFilter::diabetes: return traits & trait::diabetes;
    case ChronicFilter::either: return traits & trait::chronic;
  }
  return false;
}

bool member_ok(const Eligibility& e, const Residents& res, size_t r) {
  const int age = res.age[r];
  if (age < e.min_age || age > e.max_age) return false;
  if (!e.dependency[static_cast<size_t>(res.dependency(r))]) return false;
  return chronic_ok(e.chronic, res.traits[r]);
}

// Largest dependency level among eligible members of a household (-1: none eligible).
int household_level(const CompiledService& s, const Residents& res, size_t h) {
  const Eligibility& e = s.spec->eligible;
  if (e.low_income_only && !res.hh_low_income[h]) return -1;
  int level = -1;
  for (size_t r = res.hh_first[h]; r < res.hh_first[h] + res.hh_size[h]; ++r)
    if (member_ok(e, res, r)) level = std::max(level, static_cast<int>(res.dependency(r)));
  return level;
}

StreamKey key(const DemandContext& ctx, uint64_t entity, Purpose p, uint32_t service_key, uint32_t sub) {
  return StreamKey{ctx.seed, ctx.replicate, entity, static_cast<uint32_t>(p) ^ (service_key << 4), sub};
}

double arrival_minute(const CompiledService& s, Stream& st) {
  const double u = st.uniform() * s.profile_cdf[23];
  // The first hour h < 23 with u < cdf[h], else 23. u >= 0, so hours with cdf 0 are always passed:
  // start at the first hour of positive weight (profiles that open at 08:00 skip 8 steps).
  int h = s.first_hour;
  while (h < 23 && !(u < s.profile_cdf[static_cast<size_t>(h)])) ++h;
  return h * 60.0 + st.uniform() * 60.0;
}

float duration(const Service& s, Stream& st) {
  const double u = st.uniform();  // always consumed: streams stay aligned across distributions
  if (s.service_time == ServiceTimeDist::exponential) return static_cast<float>(-s.service_minutes * std::log(1.0 - u));
  return static_cast<float>(s.service_minutes);
}

int32_t deadline_of(const CompiledService& s, int day) {
  if (s.spec->deadline_days < 0) return INT32_MAX;
  return nth_open_day(s.open, day, s.spec->deadline_days);
}

}  // namespace

bool eligible(const CompiledService& s, const Residents& res, size_t r) {
  if (s.spec->eligible.low_income_only && !res.hh_low_income[res.household[r]]) return false;
  return member_ok(s.spec->eligible, res, r);
}

bool eligible_household(const CompiledService& s, const Residents& res, size_t h) {
  return household_level(s, res, h) >= 0;
}

bool wants(const CompiledService& s, const Residents& res, size_t r, uint64_t seed, uint32_t replicate) {
  if (!eligible(s, res, r)) return false;
  Stream st(StreamKey{seed, replicate, res.gid(r), static_cast<uint32_t>(Purpose::want) ^ (s.key << 4), 0});
  return st.uniform() < s.spec->want_share[static_cast<size_t>(res.dependency(r))];
}

uint64_t count_clients(const CompiledService& s, const Residents& res) {
  uint64_t n = 0;
  const Service& spec = *s.spec;
  if (spec.unit == ServiceUnit::household) {
    for (size_t h = 0; h < res.households(); ++h) {
      const int level = household_level(s, res, h);
      if (level < 0) continue;
      if (s.kind == ServiceKind::recurring && spec.visits_per_period[static_cast<size_t>(level)] <= 0) continue;
      ++n;
    }
    return n;
  }
  for (size_t r = 0; r < res.size(); ++r) {
    if (!eligible(s, res, r)) continue;
    const auto dep = static_cast<size_t>(res.dependency(r));
    if (s.kind == ServiceKind::recurring && spec.visits_per_period[dep] <= 0) continue;
    if (s.kind == ServiceKind::enrolment && spec.want_share[dep] <= 0) continue;
    ++n;
  }
  return n;
}

int nth_open_day(const std::array<bool, 7>& open, int day, int k) {
  bool any = false;
  for (bool o : open) any = any || o;
  if (!any) return day + k;
  int d = day;
  while (!open[static_cast<size_t>(weekday(d))]) ++d;
  for (int i = 0; i < k; ++i) {
    ++d;
    while (!open[static_cast<size_t>(weekday(d))]) ++d;
  }
  return d;
}

namespace {

// Open days of a service within [first, last).
void open_days(const CompiledService& s, int first, int last, std::vector<int>& out) {
  out.clear();
  for (int d = first; d < last; ++d)
    if (s.open[static_cast<size_t>(weekday(d))]) out.push_back(d);
}

void push_episode(const CompiledService& s, Stream& st, const std::vector<int>& days, uint32_t household,
                  double keep_factor, int keep_from, int keep_to, std::vector<Request>& out) {
  const size_t pick = std::min(days.size() - 1, static_cast<size_t>(st.uniform() * static_cast<double>(days.size())));
  const int day = days[pick];
  Request q;
  q.arrival_min = day * 1440.0 + arrival_minute(s, st);
  q.duration_min = duration(*s.spec, st);
  const double u_keep = st.uniform();
  if (day >= keep_from && day < keep_to && !(u_keep < keep_factor)) return;  // thinned by a shock
  q.deadline_day = deadline_of(s, day);
  q.household = household;
  q.service = static_cast<uint16_t>(s.index);
  q.priority_level = static_cast<uint8_t>(s.priority_level);
  out.push_back(q);
}

void episodic_unit(const CompiledService& s, const DemandContext& ctx, uint64_t gid, double rate_per_year,
                   uint32_t household, const std::vector<int>& days, std::vector<Request>& out,
                   std::vector<int>& surge_days) {
  if (rate_per_year <= 0 || days.empty()) return;
  const double span_years = (ctx.last_day - ctx.first_day) / 365.0;
  double keep = 1.0;
  int keep_from = 0, keep_to = 0;
  for (const auto& sh : ctx.surges)
    if (sh.service == s.index && sh.factor < 1.0) { keep = sh.factor; keep_from = sh.start_day; keep_to = sh.end_day; }
  Stream st(key(ctx, gid, Purpose::episode, s.key, static_cast<uint32_t>(ctx.year)));
  const uint32_t n = st.poisson(rate_per_year * span_years);
  for (uint32_t k = 0; k < n; ++k) push_episode(s, st, days, household, keep, keep_from, keep_to, out);
  // Surges above 1: extra episodes from a separate stream, so base demand is unchanged.
  for (const auto& sh : ctx.surges) {
    if (sh.service != s.index || sh.factor <= 1.0) continue;
    const int from = std::max(sh.start_day, ctx.first_day), to = std::min(sh.end_day, ctx.last_day);
    if (to <= from) continue;
    open_days(s, from, to, surge_days);
    if (surge_days.empty()) continue;
    Stream ex(key(ctx, gid, Purpose::surge, s.key, static_cast<uint32_t>(ctx.year) * 64u + sh.index));
    const uint32_t m = ex.poisson((sh.factor - 1.0) * rate_per_year * (to - from) / 365.0);
    for (uint32_t k = 0; k < m; ++k) push_episode(s, ex, surge_days, household, 1.0, 0, 0, out);
  }
}

void recurring_unit(const CompiledService& s, const DemandContext& ctx, uint64_t gid, double visits,
                    uint32_t household, const std::vector<int>& period_days,
                    const std::vector<uint32_t>& period_offset, int first_period, std::vector<Request>& out) {
  if (visits <= 0) return;
  const Service& spec = *s.spec;
  const int P = spec.period_days;
  Stream phase_stream(key(ctx, gid, Purpose::recurring, s.key, 0));
  const double phase = phase_stream.uniform();
  const double whole = std::floor(visits), frac = visits - whole;
  for (size_t pi = 0; pi + 1 < period_offset.size(); ++pi) {
    const int p = first_period + static_cast<int>(pi);
    const uint32_t a = period_offset[pi], b = period_offset[pi + 1];
    const uint32_t m = b - a;
    if (m == 0) continue;
    Stream st(key(ctx, gid, Purpose::visit, s.key, static_cast<uint32_t>(p)));
    const int n = static_cast<int>(whole) + (st.uniform() < frac ? 1 : 0);
    for (int j = 0; j < n; ++j) {
      const size_t idx = std::min<size_t>(m - 1, static_cast<size_t>((j + phase) * m / n));
      const int day = period_days[a + idx];
      const double minute = arrival_minute(s, st);
      const float dur = duration(spec, st);
      if (day < ctx.first_day || day >= ctx.last_day) continue;
      Request q;
      q.arrival_min = day * 1440.0 + minute;
      q.duration_min = dur;
      q.deadline_day = spec.deadline_days < 0 ? INT32_MAX : p * P + P - 1;
      q.household = household;
      q.service = static_cast<uint16_t>(s.index);
      q.priority_level = static_cast<uint8_t>(s.priority_level);
      out.push_back(q);
    }
  }
}

}  // namespace

void generate_requests(const std::vector<CompiledService>& services, const Residents& res,
                       const DemandContext& ctx, Calendar& out, std::vector<Request>& scratch) {
  scratch.clear();
  std::vector<int> days, surge_days, period_days;
  std::vector<uint32_t> period_offset;
  for (const auto& s : services) {
    const Service& spec = *s.spec;
    if (s.kind == ServiceKind::enrolment) continue;
    int first_period = 0;
    if (s.kind == ServiceKind::episodic) {
      open_days(s, ctx.first_day, ctx.last_day, days);
    } else {
      // Open days of every period touching the context's days.
      const int P = spec.period_days;
      first_period = ctx.first_day / P;
      const int last_period = (ctx.last_day - 1) / P;
      period_days.clear();
      period_offset.assign(1, 0);
      for (int p = first_period; p <= last_period; ++p) {
        for (int d = p * P; d < p * P + P; ++d)
          if (s.open[static_cast<size_t>(weekday(d))]) period_days.push_back(d);
        period_offset.push_back(static_cast<uint32_t>(period_days.size()));
      }
    }
    if (spec.unit == ServiceUnit::household) {
      for (size_t h = 0; h < res.households(); ++h) {
        const int level = household_level(s, res, h);
        if (level < 0) continue;
        if (s.kind == ServiceKind::episodic)
          episodic_unit(s, ctx, res.hh_gid[h], spec.rate_per_year, static_cast<uint32_t>(h), days, scratch, surge_days);
        else
          recurring_unit(s, ctx, res.hh_gid[h], spec.visits_per_period[static_cast<size_t>(level)],
                         static_cast<uint32_t>(h), period_days, period_offset, first_period, scratch);
      }
    } else {
      for (size_t r = 0; r < res.size(); ++r) {
        if (!eligible(s, res, r)) continue;
        if (s.kind == ServiceKind::episodic) {
          double rate = s.rate_per_year[res.age[r]];
          if (res.traits[r] & trait::chronic) rate += spec.chronic_extra_per_year;
          episodic_unit(s, ctx, res.gid(r), rate, res.household[r], days, scratch, surge_days);
        } else {
          recurring_unit(s, ctx, res.gid(r), spec.visits_per_period[static_cast<size_t>(res.dependency(r))],
                         res.household[r], period_days, period_offset, first_period, scratch);
        }
      }
    }
  }
  // Bucket by day (counting sort), then order each day by arrival time.
  out.first_day = ctx.first_day;
  out.last_day = ctx.last_day;
  const size_t ndays = static_cast<size_t>(ctx.last_day - ctx.first_day);
  out.day_offset.assign(ndays + 1, 0);
  for (const auto& q : scratch) ++out.day_offset[static_cast<size_t>(q.arrival_min / 1440.0) - static_cast<size_t>(ctx.first_day) + 1];
  for (size_t d = 0; d < ndays; ++d) out.day_offset[d + 1] += out.day_offset[d];
  out.requests.resize(scratch.size());
  {
    std::vector<uint32_t> cursor(out.day_offset.begin(), out.day_offset.end() - 1);
    for (const auto& q : scratch)
      out.requests[cursor[static_cast<size_t>(q.arrival_min / 1440.0) - static_cast<size_t>(ctx.first_day)]++] = q;
  }
  for (size_t d = 0; d < ndays; ++d)
    std::sort(out.requests.begin() + out.day_offset[d], out.requests.begin() + out.day_offset[d + 1],
              [](const Request& a, const Request& b) {
                if (a.arrival_min != b.arrival_min) return a.arrival_min < b.arrival_min;
                if (a.service != b.service) return a.service < b.service;
                return a.household < b.household;
              });
}

}  // namespace commsim
