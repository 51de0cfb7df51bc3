// RunResult <-> bytes (see serialize.hpp). Plain structs of numbers are copied whole (checked to be
// trivially copyable); everything else field by field, vectors and strings with a 64-bit length.
#include "sim/study/serialize.hpp"

#include <cstring>
#include <type_traits>

#include "sim/core/error.hpp"

namespace commsim {

namespace {

constexpr uint32_t kMagic = 0x434d5352;  // "CMSR"

struct Writer {
  std::vector<uint8_t> out;
  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
  }
  void str(const std::string& s) {
    pod<uint64_t>(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    pod<uint64_t>(v.size());
    const auto* p = reinterpret_cast<const uint8_t*>(v.data());
    out.insert(out.end(), p, p + v.size() * sizeof(T));
  }
  void strs(const std::vector<std::string>& v) {
    pod<uint64_t>(v.size());
    for (const auto& s : v) str(s);
  }
};

struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  void need(size_t n) const {
    if (static_cast<size_t>(end - p) < n) throw RuntimeFailure("run result buffer is truncated or malformed");
  }
  template <class T>
  T pod() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return v;
  }
  template <class T>
  void pod(T& v) { v = pod<T>(); }
  size_t count(size_t element) {
    const uint64_t n = pod<uint64_t>();
    if (element && n > static_cast<uint64_t>(end - p) / element) throw RuntimeFailure("run result buffer is truncated or malformed");
    return static_cast<size_t>(n);
  }
  void str(std::string& s) {
    const size_t n = count(1);
    s.assign(reinterpret_cast<const char*>(p), n);
    p += n;
  }
  template <class T>
  void vec(std::vector<T>& v) {
    const size_t n = count(sizeof(T));
    v.resize(n);
    if (n) std::memcpy(v.data(), p, n * sizeof(T));
    p += n * sizeof(T);
  }
  void strs(std::vector<std::string>& v) {
    v.resize(count(8));
    for (auto& s : v) str(s);
  }
};

// vector<bool>-free: bools travel as bytes.
void community(Writer& w, const CommunityInfo& c) {
  w.str(c.name);
  w.str(c.district);
  w.pod(c.county);
  w.pod(c.households);
  w.pod(c.residents);
  w.pod(c.area_km2);
  w.pod(c.x_m);
  w.pod(c.y_m);
  w.pod(c.is_new);
  w.pod(c.oversized);
  w.pod(c.micro);
  w.vec(c.staff);
  w.pod(c.committee_residents);
  w.pod(c.committee_party);
  w.pod(c.committee_total);
  w.pod(c.required_community_workers);
  w.pod(c.facility_indoor_m2);
  w.pod(c.facility_outdoor_m2);
  w.pod(c.facility_activity_m2);
  w.pod(c.required_indoor_m2);
  w.pod(c.required_outdoor_m2);
  w.vec(c.places);
  w.pod(c.access_share);
  w.pod(c.operating_funds_city_yuan);
  w.pod(c.operating_funds_district_yuan);
  w.pod(c.pay_city_yuan);
  w.pod(c.pay_district_yuan);
  w.pod(c.size_ok);
  w.pod(c.facility_ok);
  w.pod(c.activity_ok);
  w.pod(c.committee_ok);
  w.pod(c.workers_ok);
  w.strs(c.origin);
}

void community(Reader& r, CommunityInfo& c) {
  r.str(c.name);
  r.str(c.district);
  r.pod(c.county);
  r.pod(c.households);
  r.pod(c.residents);
  r.pod(c.area_km2);
  r.pod(c.x_m);
  r.pod(c.y_m);
  r.pod(c.is_new);
  r.pod(c.oversized);
  r.pod(c.micro);
  r.vec(c.staff);
  r.pod(c.committee_residents);
  r.pod(c.committee_party);
  r.pod(c.committee_total);
  r.pod(c.required_community_workers);
  r.pod(c.facility_indoor_m2);
  r.pod(c.facility_outdoor_m2);
  r.pod(c.facility_activity_m2);
  r.pod(c.required_indoor_m2);
  r.pod(c.required_outdoor_m2);
  r.vec(c.places);
  r.pod(c.access_share);
  r.pod(c.operating_funds_city_yuan);
  r.pod(c.operating_funds_district_yuan);
  r.pod(c.pay_city_yuan);
  r.pod(c.pay_district_yuan);
  r.pod(c.size_ok);
  r.pod(c.facility_ok);
  r.pod(c.activity_ok);
  r.pod(c.committee_ok);
  r.pod(c.workers_ok);
  r.strs(c.origin);
}

// CitywideService / CitywideRole: strings first, then the numbers.
template <class Stream, class S>
void citywide_service(Stream& s, S& c) {
  s.str(c.name);
  s.str(c.kind);
  s.pod(c.demand);
  s.pod(c.served);
  s.pod(c.served_in_time);
  s.pod(c.unmet);
  s.pod(c.backlog_end);
  s.pod(c.coverage);
  s.pod(c.coverage_resident_weighted);
  s.pod(c.mean_wait_min);
  s.pod(c.p50_wait_min);
  s.pod(c.p90_wait_min);
  s.pod(c.max_wait_min);
  s.pod(c.p_wait);
  s.pod(c.share_communities_below_target);
  s.pod(c.gini);
  s.pod(c.worst_decile_coverage);
}

template <class Stream, class R>
void citywide_role(Stream& s, R& c) {
  s.str(c.name);
  s.pod(c.staff);
  s.pod(c.utilisation);
  s.pod(c.overtime_share);
  s.pod(c.overhead_share);
  s.pod(c.travel_share);
  s.pod(c.wisn_pressure);
  s.pod(c.pay_yuan);
}

template <class Stream, class D>
void daily(Stream& s, D& d) {
  s.pod(d.days);
  s.pod(d.communities);
  s.pod(d.services);
  s.pod(d.roles);
  s.vec(d.demand);
  s.vec(d.served);
  s.vec(d.served_in_time);
  s.vec(d.unmet);
  s.vec(d.backlog);
  s.vec(d.wait_mean_min);
  s.vec(d.wait_p50_min);
  s.vec(d.wait_p90_min);
  s.vec(d.wait_max_min);
  s.vec(d.available_min);
  s.vec(d.busy_min);
  s.vec(d.travel_min);
  s.vec(d.overhead_min);
  s.vec(d.overtime_min);
}

}  // namespace

std::vector<uint8_t> serialize_run(const RunResult& run) {
  Writer w;
  w.pod(kMagic);
  w.pod(run.replicate);
  w.pod(run.seed);
  w.pod(run.days);
  w.strs(run.service_names);
  w.strs(run.role_names);
  w.strs(run.facility_use_names);
  w.pod<uint64_t>(run.communities.size());
  for (const auto& c : run.communities) community(w, c);
  w.vec(run.service_totals);
  w.vec(run.role_totals);
  w.pod<uint64_t>(run.wait_hist.size());
  for (const auto& h : run.wait_hist) w.vec(h.counts);
  daily(w, run.daily);
  w.pod<uint64_t>(run.citywide.size());
  for (const auto& c : run.citywide) citywide_service(w, c);
  w.pod<uint64_t>(run.citywide_roles.size());
  for (const auto& c : run.citywide_roles) citywide_role(w, c);
  w.pod(run.residents);
  w.pod(run.households);
  w.pod(run.requests);
  w.pod(run.cost_total_yuan);
  w.pod(run.cost_per_resident_yuan);
  w.pod(run.cost_per_served_yuan);
  w.pod(run.cost_city_yuan);
  w.pod(run.cost_district_yuan);
  w.pod(run.access_share);
  w.vec(run.residents_by_year);
  w.pod<uint64_t>(run.demand_by_year.size());
  for (const auto& y : run.demand_by_year) w.vec(y);
  w.pod(kMagic);
  return std::move(w.out);
}

RunResult deserialize_run(const uint8_t* data, size_t size) {
  Reader r{data, data + size};
  if (r.pod<uint32_t>() != kMagic) throw RuntimeFailure("run result buffer: bad magic");
  RunResult run;
  r.pod(run.replicate);
  r.pod(run.seed);
  r.pod(run.days);
  r.strs(run.service_names);
  r.strs(run.role_names);
  r.strs(run.facility_use_names);
  run.communities.resize(r.count(8));
  for (auto& c : run.communities) community(r, c);
  r.vec(run.service_totals);
  r.vec(run.role_totals);
  run.wait_hist.resize(r.count(8));
  for (auto& h : run.wait_hist) r.vec(h.counts);
  daily(r, run.daily);
  run.citywide.resize(r.count(8));
  for (auto& c : run.citywide) citywide_service(r, c);
  run.citywide_roles.resize(r.count(8));
  for (auto& c : run.citywide_roles) citywide_role(r, c);
  r.pod(run.residents);
  r.pod(run.households);
  r.pod(run.requests);
  r.pod(run.cost_total_yuan);
  r.pod(run.cost_per_resident_yuan);
  r.pod(run.cost_per_served_yuan);
  r.pod(run.cost_city_yuan);
  r.pod(run.cost_district_yuan);
  r.pod(run.access_share);
  r.vec(run.residents_by_year);
  run.demand_by_year.resize(r.count(8));
  for (auto& y : run.demand_by_year) r.vec(y);
  if (r.pod<uint32_t>() != kMagic || r.p != r.end) throw RuntimeFailure("run result buffer: trailing or missing bytes");
  return run;
}

}  // namespace commsim
