#include "sim/demand/demand.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <set>

#include "sim/core/error.hpp"
#include "sim/core/random.hpp"

namespace commsim {

namespace {

// run.demand_multiplier, the one place it acts: the service's demand parameters scaled. Episodic
// rates scale the Poisson means; recurring visits per period scale, a fraction being one more
// visit with that probability (the visit stream's Bernoulli draw); enrolment want shares scale,
// capped at 1. Every draw keeps its stream, so residents keep their common random numbers.
std::shared_ptr<const Service> scaled_demand(const Service& s, double m) {
  auto out = std::make_shared<Service>(s);
  out->rate_per_year *= m;
  for (auto& band : out->rate_per_year_by_age) band.value *= m;
  out->chronic_extra_per_year *= m;
  for (double& v : out->visits_per_period) v *= m;
  for (double& w : out->want_share) w = std::min(1.0, w * m);
  return out;
}

}  // namespace

std::vector<CompiledService> compile_services(const Scenario& sc, uint32_t replicate) {
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
    if (sc.run.demand_multiplier != 1.0) {
      c.scaled = scaled_demand(s, sc.run.demand_multiplier);
      c.spec = c.scaled.get();
    }
    c.index = static_cast<int>(i);
    c.role = sc.role_index(s.role);
    if (c.role < 0) internal_error("service '" + s.name + "' names no role ('" + s.role + "')");
    if (!s.shared_with.role.empty() && s.shared_with.share > 0 && s.kind != ServiceKind::enrolment) {
      c.shared_role = sc.role_index(s.shared_with.role);
      c.shared_share = s.shared_with.share;
    }
    c.use = -1;
    for (size_t u = 0; u < sc.facility.uses.size(); ++u)
      if (sc.facility.uses[u].name == s.facility_use) c.use = static_cast<int>(u);
    c.key = stable_name_key(s.name);
    c.kind = s.kind;
    c.seed = sc.run.seed;
    c.replicate = replicate;
    // Take-up falls exponentially with distance: 90 % accept at km_90.
    c.distance_scale_km = s.take_up.km_90 > 0 ? s.take_up.km_90 / std::log(1.0 / 0.9) : 0.0;
    c.rate_per_year = c.spec->rate_per_year_by_age.empty() ? AgeTable(kMaxAge + 1, c.spec->rate_per_year)
                                                           : age_table(c.spec->rate_per_year_by_age, 0.0);
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
    for (uint32_t g = 0; g < 256; ++g) {
      const double u = u01(g << 24) * c.profile_cdf[23];
      int h = 0;
      while (h < 23 && !(u < c.profile_cdf[static_cast<size_t>(h)])) ++h;
      c.hour_guide[g] = static_cast<uint8_t>(h);
    }
    c.open = s.open_weekdays;
    for (int w = 0; w < 7; ++w)
      c.deadline_add[static_cast<size_t>(w)] = s.deadline_days < 0 ? 0 : nth_open_day(c.open, w, s.deadline_days) - w;
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

// A 32-bit finaliser (MurmurHash3's): every input bit moves every output bit.
uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

// Hour of the day from one word: the profile's cdf walked from the guide table's start.
int arrival_hour(const CompiledService& s, uint32_t w) {
  const double u = u01(w) * s.profile_cdf[23];
  int h = s.hour_guide[w >> 24];
  while (h < 23 && !(u < s.profile_cdf[static_cast<size_t>(h)])) ++h;
  return h;
}

float duration(const Service& s, uint32_t w) {
  if (s.service_time == ServiceTimeDist::exponential) return static_cast<float>(-s.service_minutes * std::log(u01_open(w)));
  return static_cast<float>(s.service_minutes);
}

int32_t deadline_of(const CompiledService& s, int day) {
  if (s.spec->deadline_days < 0) return INT32_MAX;
  return day + s.deadline_add[static_cast<size_t>(weekday(day))];
}

}  // namespace

namespace {

// Sub-stream numbers of a resident's or household's stream of a service (Purpose::want).
constexpr uint32_t kWantDraw = 0, kProgrammeDraw = 1, kTakeUpDraw = 2, kFeeDraw = 3;

double resident_draw(const CompiledService& s, uint64_t gid, uint32_t sub) {
  Stream st(StreamKey{s.seed, s.replicate, gid, static_cast<uint32_t>(Purpose::want) ^ (s.key << 4), sub});
  return st.uniform();
}

bool living_ok(LivingFilter f, const Residents& res, size_t h) {
  if (f == LivingFilter::any) return true;
  const auto type = static_cast<HouseholdType>(res.hh_type[h]);
  const bool alone = type == HouseholdType::elder_alone || type == HouseholdType::single_adult;
  const bool elderly_only = type == HouseholdType::elderly_only;
  switch (f) {
    case LivingFilter::alone: return alone;
    case LivingFilter::elderly_only: return elderly_only;
    case LivingFilter::alone_or_elderly_only: return alone || elderly_only;
    case LivingFilter::with_others: return !alone && !elderly_only && type != HouseholdType::collective;
    case LivingFilter::any: break;
  }
  return true;
}

}  // namespace

bool has_carer(const Residents& res, size_t r) {
  const size_t h = res.household[r];
  for (size_t m = res.hh_first[h]; m < res.hh_first[h] + res.hh_size[h]; ++m)
    if (m != r && res.age[m] >= 18 && res.age[m] <= 79 && res.dependency(m) == Dependency::none) return true;
  return false;
}

bool in_scope(const CompiledService& s, const Residents& res, size_t r) {
  const Eligibility& e = s.spec->eligible;
  const size_t h = res.household[r];
  if (e.low_income_only && !res.hh_low_income[h]) return false;
  return member_ok(e, res, r) && living_ok(e.living, res, h);
}

namespace {

// An in-scope resident takes part: enrolled in the programme and, for recurring services,
// taking it up (stable draws per resident).
bool takes_part(const CompiledService& s, const Residents& res, size_t r) {
  const Eligibility& e = s.spec->eligible;
  if (e.programme_share < 1.0 && !(resident_draw(s, res.gid(r), kProgrammeDraw) < e.programme_share)) return false;
  if (s.kind == ServiceKind::recurring && s.spec->unit == ServiceUnit::resident) {
    const TakeUp& t = s.spec->take_up;
    if (t.with_carer < 1.0 || t.without_carer < 1.0) {
      const double p = has_carer(res, r) ? t.with_carer : t.without_carer;
      if (!(resident_draw(s, res.gid(r), kTakeUpDraw) < p)) return false;
    }
  }
  return true;
}

}  // namespace

bool eligible(const CompiledService& s, const Residents& res, size_t r) {
  return in_scope(s, res, r) && takes_part(s, res, r);
}

bool eligible_household(const CompiledService& s, const Residents& res, size_t h) {
  return household_level(s, res, h) >= 0;
}

bool wants(const CompiledService& s, const Residents& res, size_t r, double distance_km) {
  if (!eligible(s, res, r)) return false;
  if (!(resident_draw(s, res.gid(r), kWantDraw) < s.spec->want_share[static_cast<size_t>(res.dependency(r))])) return false;
  const TakeUp& t = s.spec->take_up;
  if (t.fee_yuan_per_month <= 0 && s.distance_scale_km <= 0) return true;
  // The household decides (one decision for all its members): the fee within its willingness to
  // pay (a lognormal share of its income), the distance within what it accepts.
  const size_t h = res.household[r];
  Stream st(StreamKey{s.seed, s.replicate, res.hh_gid[h], static_cast<uint32_t>(Purpose::want) ^ (s.key << 4), kFeeDraw});
  const double u1 = st.uniform_pos(), u2 = st.uniform(), u_distance = st.uniform();
  if (t.fee_yuan_per_month > 0) {
    const double z = normal_from_uniforms(u1, u2);
    const double willing = res.hh_income_month[h] * t.wtp_income_share * std::exp(t.wtp_sigma * z);
    if (!(willing >= t.fee_yuan_per_month)) return false;
  }
  if (s.distance_scale_km > 0 && !(u_distance < std::exp(-distance_km / s.distance_scale_km))) return false;
  return true;
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

// Appends a request arriving on `day` with the hour, minute and duration words of its block.
// Each request also gets a 32-bit time key: its (day, role) group x 2048 + the 1/2048-day slot of
// its arrival. The slot is a nondecreasing function of the arrival time within the day, so
// sorting by key and then by arrival within equal keys sorts by (day, role, arrival).
struct Sink {
  std::vector<Request>& out;
  std::vector<uint32_t>& time_key;
  int first_day, roles;
  // Room for `n` more requests, growing geometrically (x 1.5) with 1/8 to spare: a unit with many
  // episodes (the M/M/c household: 87,600 a year) gets its room in one step instead of through a
  // dozen doublings, each copying the vector into fresh pages, and the next replicates' counts
  // (a Poisson standard deviation or two away) still fit.
  void expect(size_t n) {
    const size_t need = out.size() + n;
    if (need <= out.capacity()) return;
    const size_t cap = std::max(need + need / 8, out.capacity() + out.capacity() / 2);
    out.reserve(cap);
    time_key.reserve(cap);
  }
  void emit(const CompiledService& s, int day, const BlockStream::Block& b, int32_t deadline, uint32_t household) {
    const int h = arrival_hour(s, b.w[1]);
    // The serving role: a shared service routes a share of its requests to the other role by a
    // hash of the request's own hour and minute words (no further draw).
    int role = s.role;
    if (s.shared_role >= 0 && u01(mix32(b.w[1] ^ ((b.w[2] << 16) | (b.w[2] >> 16)))) < s.shared_share) role = s.shared_role;
    const double arrival = day * 1440.0 + (h * 60.0 + u01(b.w[2]) * 60.0);
    // Fields are stored straight into the vector: a Request assembled on the stack and copied
    // whole is reloaded with wider loads than the stores that built it (a store-forwarding stall
    // that cost a third of this function).
    Request& q = out.emplace_back();
    q.arrival_min = arrival;
    q.duration_min = duration(*s.spec, b.w[3]);
    q.deadline_day = deadline;
    q.household = household;
    q.service = static_cast<uint16_t>(s.index);
    q.priority_level = static_cast<uint8_t>(s.priority_level);
    const auto slot = std::min(2047u, static_cast<uint32_t>((arrival - day * 1440.0) * (2048.0 / 1440.0)));
    time_key.push_back((static_cast<uint32_t>((day - first_day) * roles + role) << 11) | slot);
  }
};

// Episodes of one unit (resident or household) of an episodic service: a Poisson count for the
// year from the episode stream, then episode k from block k of the episode-draws stream (word 0
// the day among the open days; words 1-3 the hour, minute and duration).
void episodic_unit(const CompiledService& s, const DemandContext& ctx, uint64_t gid, double rate_per_year,
                   uint32_t household, const std::vector<int>& days, Sink& sink, std::vector<int>& surge_days,
                   uint64_t& elsewhere) {
  if (rate_per_year <= 0 || days.empty()) return;
  const double span_years = (ctx.last_day - ctx.first_day) / 365.0;
  double keep = 1.0;
  int keep_from = 0, keep_to = 0;
  for (const auto& sh : ctx.surges)
    if (sh.service == s.index && sh.factor < 1.0) { keep = sh.factor; keep_from = sh.start_day; keep_to = sh.end_day; }
  const auto year = static_cast<uint32_t>(ctx.year);
  Stream count(key(ctx, gid, Purpose::episode, s.key, year));
  const uint32_t n = count.poisson(rate_per_year * span_years);
  const BlockStream draws(key(ctx, gid, Purpose::episode_draws, s.key, year));
  const auto n_days = static_cast<uint32_t>(days.size());
  sink.expect(n);
  const double community = s.spec->community_share;
  if (community < 1.0) {
    // Each episode is seen at the community facility with probability community_share, by its own
    // choice block; the rest go elsewhere (hospitals, clinics) and are only counted.
    const BlockStream choice(key(ctx, gid, Purpose::thinning, s.key, year | 0x80000000u));
    for (uint32_t k = 0; k < n; ++k) {
      const BlockStream::Block b = draws.block(k);
      const int day = days[below(b.w[0], n_days)];
      if (day >= keep_from && day < keep_to && keep < 1.0) {
        const BlockStream thin(key(ctx, gid, Purpose::thinning, s.key, year));
        if (!(u01(thin.block(k).w[0]) < keep)) continue;
      }
      if (!(u01(choice.block(k).w[0]) < community)) {
        ++elsewhere;
        continue;
      }
      sink.emit(s, day, b, deadline_of(s, day), household);
    }
  } else if (keep >= 1.0) {
    for (uint32_t k = 0; k < n; ++k) {
      const BlockStream::Block b = draws.block(k);
      const int day = days[below(b.w[0], n_days)];
      sink.emit(s, day, b, deadline_of(s, day), household);
    }
  } else {
    // A demand-reducing shock thins the episodes in its period, each by its own thinning block:
    // the episodes and their draws are those of the scenario without the shock.
    const BlockStream thin(key(ctx, gid, Purpose::thinning, s.key, year));
    for (uint32_t k = 0; k < n; ++k) {
      const BlockStream::Block b = draws.block(k);
      const int day = days[below(b.w[0], n_days)];
      if (day >= keep_from && day < keep_to && !(u01(thin.block(k).w[0]) < keep)) continue;
      sink.emit(s, day, b, deadline_of(s, day), household);
    }
  }
  // Surges above 1: extra episodes from separate streams, so base demand is unchanged.
  for (const auto& sh : ctx.surges) {
    if (sh.service != s.index || sh.factor <= 1.0) continue;
    const int from = std::max(sh.start_day, ctx.first_day), to = std::min(sh.end_day, ctx.last_day);
    if (to <= from) continue;
    open_days(s, from, to, surge_days);
    if (surge_days.empty()) continue;
    const uint32_t sub = year * 64u + sh.index;
    Stream extra(key(ctx, gid, Purpose::surge, s.key, sub));
    const uint32_t m = extra.poisson((sh.factor - 1.0) * rate_per_year * (to - from) / 365.0);
    const BlockStream extra_draws(key(ctx, gid, Purpose::surge_draws, s.key, sub));
    // The extra episodes choose the community facility as the others do (their own choice blocks).
    const BlockStream choice(key(ctx, gid, Purpose::thinning, s.key, sub | 0x40000000u));
    sink.expect(m);
    const auto n_surge = static_cast<uint32_t>(surge_days.size());
    for (uint32_t k = 0; k < m; ++k) {
      const BlockStream::Block b = extra_draws.block(k);
      const int day = surge_days[below(b.w[0], n_surge)];
      if (community < 1.0 && !(u01(choice.block(k).w[0]) < community)) {
        ++elsewhere;
        continue;
      }
      sink.emit(s, day, b, deadline_of(s, day), household);
    }
  }
}

// Recurring visits of one unit: `visits` per period (the fraction by block 0 of the period's
// stream), spread evenly over the period's open days from the unit's phase; visit j gets its
// hour, minute and duration from block j + 1. Residents' networks make a visit with probability
// `network` by a hash of its block's word 0 (unused by the visit itself): counted in `taken`.
void recurring_unit(const CompiledService& s, const DemandContext& ctx, uint64_t gid, double visits,
                    uint32_t household, const std::vector<int>& period_days,
                    const std::vector<uint32_t>& period_offset, int first_period, Sink& sink, double network,
                    uint64_t& taken) {
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
    const BlockStream st(key(ctx, gid, Purpose::visit, s.key, static_cast<uint32_t>(p)));
    int n = static_cast<int>(whole);
    if (frac > 0) {
      const BlockStream::Block b0 = st.block(0);
      n += u01_53(b0.w[0], b0.w[1]) < frac ? 1 : 0;
    }
    const int32_t deadline = spec.deadline_days < 0 ? INT32_MAX : p * P + P - 1;
    for (int j = 0; j < n; ++j) {
      const size_t idx = std::min<size_t>(m - 1, static_cast<size_t>((j + phase) * m / n));
      const int day = period_days[a + idx];
      if (day < ctx.first_day || day >= ctx.last_day) continue;
      const BlockStream::Block bj = st.block(static_cast<uint32_t>(j) + 1u);
      if (network > 0 && u01(mix32(bj.w[0])) < network) {
        ++taken;
        continue;
      }
      sink.emit(s, day, bj, deadline, household);
    }
  }
}

// Phase 1: the calendar's (day, role) groups of the context's days.
size_t calendar_groups(const std::vector<CompiledService>& services, const DemandContext& ctx, int& roles) {
  roles = 1;
  for (const auto& s : services) roles = std::max({roles, s.role + 1, s.shared_role + 1});
  const size_t ndays = static_cast<size_t>(ctx.last_day - ctx.first_day);
  const size_t ngroups = ndays * static_cast<size_t>(roles);
  static_assert(365 * kMaxRoles < (1 << 21), "a year's (day, role) groups fit in the calendar's 21 bits");
  if (ngroups >= (size_t{1} << 21)) internal_error("a year of " + std::to_string(roles) + " roles exceeds the calendar's 2^21 (day, role) groups");
  return ngroups;
}

// Phase 2, per service: its open days in the context (episodic) or the open days of every period
// touching the context's days (recurring). Returns the first period.
int plan_open_days(const CompiledService& s, const DemandContext& ctx, DemandScratch& scratch) {
  if (s.kind == ServiceKind::episodic) {
    open_days(s, ctx.first_day, ctx.last_day, scratch.days);
    return 0;
  }
  const int P = s.spec->period_days;
  const int first_period = ctx.first_day / P;
  const int last_period = (ctx.last_day - 1) / P;
  scratch.period_days.clear();
  scratch.period_offset.assign(1, 0);
  for (int p = first_period; p <= last_period; ++p) {
    for (int d = p * P; d < p * P + P; ++d)
      if (s.open[static_cast<size_t>(weekday(d))]) scratch.period_days.push_back(d);
    scratch.period_offset.push_back(static_cast<uint32_t>(scratch.period_days.size()));
  }
  return first_period;
}

// Phase 3, per service: the requests of every unit (household or resident) in its scope; counts
// the units in scope and the clients.
void generate_service(const CompiledService& s, const Residents& res, const DemandContext& ctx, int first_period,
                      DemandScratch& scratch, Sink& sink) {
  const Service& spec = *s.spec;
  const auto si = static_cast<size_t>(s.index);
  uint32_t in_scope_count = 0, client_count = 0;
  const bool episodic = s.kind == ServiceKind::episodic;
  const double network = ctx.network_share && si < ctx.network_share->size() ? (*ctx.network_share)[si] : 0.0;
  if (spec.unit == ServiceUnit::household) {
    for (size_t h = 0; h < res.households(); ++h) {
      const int level = household_level(s, res, h);
      if (level < 0) continue;
      ++in_scope_count;
      ++client_count;
      if (episodic)
        episodic_unit(s, ctx, res.hh_gid[h], spec.rate_per_year, static_cast<uint32_t>(h), scratch.days, sink,
                      scratch.surge_days, scratch.elsewhere[si]);
      else
        recurring_unit(s, ctx, res.hh_gid[h], spec.visits_per_period[static_cast<size_t>(level)],
                       static_cast<uint32_t>(h), scratch.period_days, scratch.period_offset, first_period, sink, network,
                       scratch.elsewhere[si]);
    }
  } else {
    for (size_t r = 0; r < res.size(); ++r) {
      if (!in_scope(s, res, r)) continue;
      ++in_scope_count;
      if (!takes_part(s, res, r)) continue;
      ++client_count;
      if (episodic) {
        double rate = s.rate_per_year[res.age[r]];
        if (res.traits[r] & trait::chronic) rate += spec.chronic_extra_per_year;
        episodic_unit(s, ctx, res.gid(r), rate, res.household[r], scratch.days, sink, scratch.surge_days,
                      scratch.elsewhere[si]);
      } else {
        recurring_unit(s, ctx, res.gid(r), spec.visits_per_period[static_cast<size_t>(res.dependency(r))],
                       res.household[r], scratch.period_days, scratch.period_offset, first_period, sink, network,
                       scratch.elsewhere[si]);
      }
    }
  }
  scratch.in_scope[si] = in_scope_count;
  scratch.clients[si] = client_count;
}

// Phase 4: counting sort of the generated requests into time buckets. The requests of a day
// served by a role (a group) have B buckets, B = 2^k from 32 to 2048, about one request a bucket
// on average: bucket = time key >> (11 - k) = group x B + slot / 2^(11-k). Within a group the
// bucket is a nondecreasing function of the arrival time. Returns B; scratch.bucket_offset holds
// the buckets' starts.
size_t bucket_requests(DemandScratch& scratch, size_t ngroups, Calendar& out) {
  const size_t n_req = scratch.generated.size();
  uint32_t shift = 6;  // B = 2048 >> shift
  while (shift > 0 && (size_t{2048} >> shift) * ngroups < n_req) --shift;
  const size_t per_group = size_t{2048} >> shift, nbuckets = ngroups * per_group;
  auto& offset = scratch.bucket_offset;
  offset.assign(nbuckets + 1, 0);
  const uint32_t* key = scratch.bucket.data();
  for (size_t i = 0; i < n_req; ++i) ++offset[(key[i] >> shift) + 1];
  for (size_t b = 0; b < nbuckets; ++b) offset[b + 1] += offset[b];
  if (n_req > out.requests.capacity()) out.requests.reserve(n_req + n_req / 8);  // as Sink::expect
  out.requests.resize(n_req);
  Request* dst = out.requests.data();
  const Request* src = scratch.generated.data();
  // offset[b] serves as the cursor of bucket b (restored below from the next bucket's start).
  for (size_t i = 0; i < n_req; ++i) dst[offset[key[i] >> shift]++] = src[i];
  for (size_t b = nbuckets; b-- > 0;) offset[b + 1] = offset[b];
  offset[0] = 0;
  return per_group;
}

// Phase 5: each bucket in request order, so each group is. A bucket holds about one request, so
// insertion sort is nearly free (std::sort for crowded buckets).
void sort_buckets(const std::vector<uint32_t>& offset, size_t nbuckets, Request* q) {
  for (size_t b = 0; b < nbuckets; ++b) {
    const uint32_t first = offset[b], last = offset[b + 1];
    if (last - first > 32) {
      std::sort(q + first, q + last, request_before);
      continue;
    }
    for (uint32_t i = first + 1; i < last; ++i) {
      if (!request_before(q[i], q[i - 1])) continue;
      const Request x = q[i];
      uint32_t j = i;
      do {
        q[j] = q[j - 1];
        --j;
      } while (j > first && request_before(x, q[j - 1]));
      q[j] = x;
    }
  }
}

}  // namespace

void generate_requests(const std::vector<CompiledService>& services, const Residents& res,
                       const DemandContext& ctx, Calendar& out, DemandScratch& scratch) {
  scratch.generated.clear();
  scratch.bucket.clear();
  scratch.elsewhere.assign(services.size(), 0);
  scratch.in_scope.resize(services.size(), 0);
  scratch.clients.resize(services.size(), 0);
  int roles = 1;
  const size_t ngroups = calendar_groups(services, ctx, roles);
  Sink sink{scratch.generated, scratch.bucket, ctx.first_day, roles};
  for (const auto& s : services) {
    if (s.kind == ServiceKind::enrolment) continue;  // counted by the engine's enrolment lists
    const int first_period = plan_open_days(s, ctx, scratch);
    generate_service(s, res, ctx, first_period, scratch, sink);
  }
  out.first_day = ctx.first_day;
  out.last_day = ctx.last_day;
  out.roles = roles;
  const size_t per_group = bucket_requests(scratch, ngroups, out);
  sort_buckets(scratch.bucket_offset, ngroups * per_group, out.requests.data());
  out.group_offset.resize(ngroups + 1);
  for (size_t g = 0; g <= ngroups; ++g) out.group_offset[g] = scratch.bucket_offset[g * per_group];
}

}  // namespace commsim
