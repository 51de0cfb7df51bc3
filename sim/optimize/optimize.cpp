#include "sim/optimize/optimize.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <utility>

#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/scenario/load.hpp"

namespace commsim {

namespace {

std::string number(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

struct Evaluation {
  double coverage = 0;                   // citywide, mean over replicates
  int staff = 0;                         // citywide staff of the role
  std::vector<double> community_coverage;  // mean over replicates
  std::vector<int> community_staff;
  std::vector<CommunityOptimum> facts;     // names and sizes
};

}  // namespace

std::vector<std::string> OptimizeResult::overrides_for(double value) const {
  if (parameter == "per_10k") return {override_prefix + "per_10k=" + number(value)};
  return {override_prefix + "rule=fixed", override_prefix + "fixed=" + number(value), override_prefix + "min=0",
          override_prefix + "max=1000000"};
}

namespace {

const SourcePos kCli{"command line", 0, 0};

// The request's role and service indices, checked with the request's numbers.
std::pair<int, int> check_request(const Scenario& sc, const OptimizeRequest& rq) {
  const int role = sc.role_index(rq.role);
  if (role < 0) {
    std::string roles;
    for (const auto& r : sc.staffing.roles) roles += (roles.empty() ? "" : ", ") + r.name;
    throw InputError(kCli, "--role", "unknown role '" + rq.role + "'; the scenario has: " + roles);
  }
  const int service = sc.service_index(rq.service);
  if (service < 0) {
    std::string services;
    for (const auto& s : sc.services) services += (services.empty() ? "" : ", ") + s.name;
    throw InputError(kCli, "--service", "unknown service '" + rq.service + "'; the scenario has: " + services);
  }
  if (!(rq.target > 0 && rq.target <= 1)) throw InputError(kCli, "--target", "must be in (0, 1]");
  if (rq.replicates < 1 || rq.replicates > 1000) throw InputError(kCli, "--replicates", "must be in 1..1000");
  if (!(rq.step > 0)) throw InputError(kCli, "--step", "must be greater than 0");
  return {role, service};
}

// The search interval: the rule's per_10k value, or a fixed count per community.
void set_interval(const Scenario& sc, const OptimizeRequest& rq, OptimizeResult& out) {
  const StaffingRule* rule = nullptr;
  for (const auto& r : sc.staffing.rules)
    if (r.role == rq.role) rule = &r;
  out.override_prefix = "staffing.rules." + rq.role + ".";
  const bool per_10k = !rq.per_community && rule && rule->rule == StaffingRuleKind::per_10k_residents;
  out.parameter = per_10k ? "per_10k" : "fixed";
  out.step = per_10k ? rq.step : 1;
  out.min = rq.min >= 0 ? rq.min : 0;
  out.max = rq.max >= 0 ? rq.max : (per_10k ? 60 : 40);
  if (!per_10k) {
    out.min = std::floor(out.min);
    out.max = std::floor(out.max);
  }
  if (out.max < out.min) throw InputError(kCli, "--max", "must not be less than --min");
  if (rule) out.norm_value = per_10k ? rule->per_10k : rule->fixed;
}

// Coverage of the service and staff of the role, citywide and per community, over the replicates.
Evaluation evaluate(const Scenario& s, int role, int service, int replicates) {
  Evaluation e;
  for (int r = 0; r < replicates; ++r) {
    const RunResult run = run_replicate(s, r);
    e.coverage += run.citywide[static_cast<size_t>(service)].coverage / replicates;
    e.staff = run.citywide_roles[static_cast<size_t>(role)].staff;
    const size_t n = run.communities.size(), ns = run.service_names.size();
    e.community_coverage.resize(n, 0.0);
    e.community_staff.resize(n, 0);
    for (size_t c = 0; c < n; ++c) {
      e.community_coverage[c] += run.service_totals[c * ns + static_cast<size_t>(service)].coverage() / replicates;
      e.community_staff[c] = run.communities[c].staff[static_cast<size_t>(role)];
    }
    if (r == 0)
      for (const auto& info : run.communities) {
        CommunityOptimum o;
        o.name = info.name;
        o.households = info.households;
        o.residents = info.residents;
        e.facts.push_back(o);
      }
  }
  return e;
}

// Least index in [0, steps] with ok(index), assuming ok is monotone; -1 if none.
template <class Ok>
int least(int steps, Ok ok) {
  if (!ok(steps)) return -1;
  int lo = 0, hi = steps;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

}  // namespace

OptimizeResult optimize_staffing(const Scenario& sc, const OptimizeRequest& rq) {
  const std::pair<int, int> checked = check_request(sc, rq);
  const int role = checked.first, service = checked.second;
  OptimizeResult out;
  set_interval(sc, rq, out);
  const int steps = static_cast<int>(std::floor((out.max - out.min) / out.step + 1e-9));
  std::map<int, Evaluation> cache;
  auto at = [&](int index) -> const Evaluation& {
    auto it = cache.find(index);
    if (it != cache.end()) return it->second;
    const Scenario s = load_scenario_text(sc.resolved_yaml, sc.source_file.empty() ? "scenario" : sc.source_file, ".",
                                          out.overrides_for(out.min + index * out.step));
    ++out.evaluations;
    return cache.emplace(index, evaluate(s, role, service, rq.replicates)).first->second;
  };
  const Evaluation norm = evaluate(sc, role, service, rq.replicates);
  out.norm_coverage = norm.coverage;
  out.norm_staff = norm.staff;

  if (!rq.per_community) {
    const int i = least(steps, [&](int index) { return at(index).coverage >= rq.target; });
    out.reachable = i >= 0;
    if (out.reachable) {
      out.value = out.min + i * out.step;
      out.coverage = at(i).coverage;
      out.staff = at(i).staff;
      if (i > 0) out.coverage_one_step_less = at(i - 1).coverage;
    }
    return out;
  }

  const size_t n = norm.community_coverage.size();
  out.reachable = true;
  for (size_t c = 0; c < n; ++c) {
    CommunityOptimum o = norm.facts[c];
    o.norm_staff = norm.community_staff[c];
    o.norm_coverage = norm.community_coverage[c];
    const int i = least(steps, [&](int index) { return at(index).community_coverage[c] >= rq.target; });
    if (i >= 0) {
      o.least_staff = static_cast<int>(out.min) + i;
      o.coverage = at(i).community_coverage[c];
      if (i > 0) o.coverage_one_less = at(i - 1).community_coverage[c];
      out.staff += o.least_staff;
    } else {
      out.reachable = false;
    }
    out.communities.push_back(o);
  }
  return out;
}

}  // namespace commsim
