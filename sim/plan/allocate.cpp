// Greedy allocation of extra workers on per-community response curves (allocate.hpp).
#include "sim/plan/allocate.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "sim/core/error.hpp"
#include "sim/engine/engine.hpp"
#include "sim/io/communities_csv.hpp"
#include "sim/io/text_file.hpp"
#include "sim/plan/outcomes.hpp"
#include "sim/scenario/load.hpp"

namespace commsim {

namespace {

const SourcePos kCli{"command line", 0, 0};
using States = std::vector<CommunityState>;

void check_request(const Scenario& sc, const AllocateRequest& rq) {
  if (sc.role_index(rq.role) < 0) {
    std::string roles;
    for (const auto& r : sc.staffing.roles) roles += (roles.empty() ? "" : ", ") + r.name;
    throw InputError(kCli, "--role", "unknown role '" + rq.role + "'; the scenario has: " + roles);
  }
  check_service(sc, "--service", rq.service);
  const auto& names = pooled_outcome_names();
  if (std::find(names.begin(), names.end(), rq.objective) == names.end())
    throw InputError(kCli, "--objective", "unknown objective '" + rq.objective + "'; allowed: unmet_hours, coverage, gini");
  if (rq.add < 0 || rq.add > 1000000) throw InputError(kCli, "--add", "must be a number of workers in 0..1000000");
  if (rq.replicates < 1 || rq.replicates > 1000) throw InputError(kCli, "--replicates", "must be in 1..1000");
  if (rq.check_replicates < 2 || rq.check_replicates > 1000)
    throw InputError(kCli, "--check-replicates", "must be in 2..1000");
  if (rq.max_per_community == 0 || rq.max_per_community > 1000000)
    throw InputError(kCli, "--max-per-community", "must be in 1..1000000");
  if (rq.coverage_floor > 1) throw InputError(kCli, "--coverage-floor", "must be a coverage in 0..1");
  if (rq.max_gini > 1) throw InputError(kCli, "--max-gini", "must be a Gini index in 0..1");
}

// The scenario with its city as a communities file (`csv`), read like `--set city.communities_file`.
Scenario scenario_with_file(const std::string& scenario_file, std::vector<std::string> overrides, const std::string& csv) {
  const std::filesystem::path tmp = std::filesystem::temp_directory_path() /
                                    ("commsim-allocate-" + std::to_string(::getpid()) + ".csv");
  write_text_atomically(tmp.string(), csv, "--output");
  overrides.push_back("city.generator.communities=0");  // the file's communities, not generated ones
  overrides.push_back("city.communities_file=" + tmp.string());
  try {
    Scenario sc = load_scenario(scenario_file, overrides);
    std::filesystem::remove(tmp);
    return sc;
  } catch (...) {
    std::filesystem::remove(tmp);
    throw;
  }
}

// `sc` with `role` set to staff[c] in community c.
Scenario with_staff(Scenario sc, const std::string& role, const std::vector<int>& staff) {
  for (size_t c = 0; c < sc.city.communities.size(); ++c) {
    auto& list = sc.city.communities[c].staff;
    const auto it = std::find_if(list.begin(), list.end(), [&](const auto& p) { return p.first == role; });
    if (it != list.end()) it->second = staff[c];
    else list.emplace_back(role, staff[c]);
  }
  return sc;
}

// Replicates 0..k-1 of `sc` (its run.seed).
std::vector<RunResult> run_replicates(const Scenario& sc, int k, int& runs) {
  RunOptions options;
  options.prepared = prepare_inputs(sc);
  std::vector<RunResult> out;
  for (int r = 0; r < k; ++r) out.push_back(run_replicate(sc, r, options));
  runs += k;
  return out;
}

// Per community, the mean state over the runs.
States mean_states(const std::vector<RunResult>& runs, int service) {
  States out;
  for (const auto& run : runs) {
    const States s = community_states(run, service);
    out.resize(s.size());
    for (size_t c = 0; c < s.size(); ++c) {
      out[c].unmet_hours += s[c].unmet_hours / static_cast<double>(runs.size());
      out[c].served_in_time += s[c].served_in_time / static_cast<double>(runs.size());
      out[c].demand += s[c].demand / static_cast<double>(runs.size());
    }
  }
  return out;
}

// N spread in proportion to residents (largest remainders, ties to the earlier community).
std::vector<int> proportional(const std::vector<int64_t>& residents, int n) {
  double total = 0;
  for (auto r : residents) total += static_cast<double>(r);
  std::vector<int> out(residents.size(), 0);
  std::vector<std::pair<double, size_t>> remainder;
  int given = 0;
  for (size_t c = 0; c < residents.size(); ++c) {
    const double quota = total > 0 ? n * static_cast<double>(residents[c]) / total : 0.0;
    out[c] = static_cast<int>(std::floor(quota));
    given += out[c];
    remainder.emplace_back(-(quota - out[c]), c);
  }
  std::stable_sort(remainder.begin(), remainder.end());
  for (size_t k = 0; given < n && !remainder.empty(); ++k, ++given) ++out[remainder[k % remainder.size()].second];
  return out;
}

// The search: each community's state at levels 0..L (level = workers added), the greedy picks.
struct Search {
  const AllocateRequest& rq;
  const Scenario& city;             // the city as a communities file
  std::vector<int> base_staff;
  std::vector<States> levels;       // [level][community], mean over the search replicates
  std::vector<int> added;
  int runs = 0;

  double sign() const { return minimised(rq.objective) ? 1.0 : -1.0; }
  int cap() const { return rq.max_per_community > 0 ? rq.max_per_community : std::numeric_limits<int>::max(); }
  States current() const {
    States s;
    for (size_t c = 0; c < added.size(); ++c) s.push_back(levels[static_cast<size_t>(added[c])][c]);
    return s;
  }
  void run_level() {
    std::vector<int> staff = base_staff;
    const int level = static_cast<int>(levels.size());
    for (auto& s : staff) s += level;
    levels.push_back(mean_states(run_replicates(with_staff(city, rq.role, staff), rq.replicates, runs), service()));
  }
  int service() const { return rq.service.empty() ? -1 : city.service_index(rq.service); }
  int pick(const States& now) const;
  void place_one();
};

// The community whose next worker improves the objective most, among those the equity option allows.
int Search::pick(const States& now) const {
  std::vector<size_t> open;
  for (size_t c = 0; c < added.size(); ++c)
    if (added[c] < cap()) open.push_back(c);
  auto after = [&](size_t c) {
    States s = now;
    s[c] = levels[static_cast<size_t>(added[c]) + 1][c];
    return s;
  };
  if (rq.coverage_floor >= 0) {
    std::vector<size_t> below;
    for (size_t c : open)
      if (now[c].coverage() < rq.coverage_floor) below.push_back(c);
    if (!below.empty()) open = below;
  }
  std::string objective = rq.objective;
  double sign = this->sign();
  if (rq.max_gini >= 0) {
    std::vector<size_t> keep;
    for (size_t c : open)
      if (pooled_outcome(after(c), "gini") <= rq.max_gini) keep.push_back(c);
    if (keep.empty()) objective = "gini", sign = 1.0;  // none keeps the cap: come closest to it
    else open = keep;
  }
  int best = -1;
  double best_value = std::numeric_limits<double>::infinity();
  for (size_t c : open) {
    const double v = sign * pooled_outcome(after(c), objective);
    if (v < best_value) best_value = v, best = static_cast<int>(c);
  }
  return best;
}

void Search::place_one() {
  int top = 0;
  for (size_t c = 0; c < added.size(); ++c)
    if (added[c] < cap()) top = std::max(top, added[c]);
  if (top + 1 >= static_cast<int>(levels.size())) run_level();
  const int c = pick(current());
  if (c < 0) throw InputError(kCli, "--add", "more workers than --max-per-community lets the communities take");
  ++added[static_cast<size_t>(c)];
}

}  // namespace

namespace {

// The check on fresh streams: the written file as it is, the proportional spread and no workers
// added, replicates 0..V-1 of the check seed, each arm's objective per replicate.
void check_on_fresh_seed(const AllocateRequest& rq, const Scenario& file_city, const std::vector<int>& base_staff,
                         const std::vector<int>& spread, AllocateResult& out) {
  Scenario sc = file_city;
  sc.run.seed = out.check_seed;
  const int service = rq.service.empty() ? -1 : sc.service_index(rq.service);
  auto arm = [&](const Scenario& s) {
    CheckArm a;
    for (const RunResult& run : run_replicates(s, rq.check_replicates, out.city_runs))
      a.values.push_back(pooled_outcome(community_states(run, service), rq.objective));
    a.mean = mean_ci(a.values);
    return a;
  };
  std::vector<int> staff = base_staff;
  for (size_t c = 0; c < staff.size(); ++c) staff[c] += spread[c];
  out.check_allocation = arm(sc);
  out.check_proportional = arm(with_staff(sc, rq.role, staff));
  out.check_base = arm(with_staff(sc, rq.role, base_staff));
  std::vector<double> gain;
  const double sign = minimised(rq.objective) ? 1.0 : -1.0;
  for (size_t r = 0; r < out.check_allocation.values.size(); ++r)
    gain.push_back(sign * (out.check_proportional.values[r] - out.check_allocation.values[r]));
  out.gain = mean_ci(gain);
}

// The search's figures per community and for the city, and the communities file.
void describe(const Search& search, const RunResult& first, const std::vector<int>& spread, AllocateResult& out) {
  const std::string per = search.rq.objective == "unmet_hours" ? "unmet_hours" : "coverage";
  auto of = [&](const CommunityState& s) { return per == "unmet_hours" ? s.unmet_hours : s.coverage(); };
  std::vector<CommunitySpec> specs = search.city.city.communities;
  std::vector<int> staff_after;
  for (size_t c = 0; c < specs.size(); ++c) {
    const CommunityInfo& info = first.communities[c];
    CommunityAllocation a{info.name, info.district, info.households, info.residents, search.base_staff[c],
                          search.added[c], spread[c], of(search.levels[0][c]), of(search.current()[c])};
    out.communities.push_back(a);
    staff_after.push_back(search.base_staff[c] + search.added[c]);
  }
  out.search_before = pooled_outcome(search.levels[0], search.rq.objective);
  out.search_after = pooled_outcome(search.current(), search.rq.objective);
  out.search_proportional = std::numeric_limits<double>::quiet_NaN();
  States proportional_states;
  for (size_t c = 0; c < specs.size(); ++c)
    if (static_cast<size_t>(spread[c]) < search.levels.size())
      proportional_states.push_back(search.levels[static_cast<size_t>(spread[c])][c]);
  if (proportional_states.size() == specs.size())
    out.search_proportional = pooled_outcome(proportional_states, search.rq.objective);
  const Scenario after = with_staff(search.city, search.rq.role, staff_after);
  for (size_t c = 0; c < specs.size(); ++c) specs[c].staff = after.city.communities[c].staff;
  out.communities_csv = communities_csv(specs, {AddedColumn{search.rq.role, search.added}});
}

// The equity option's outcome: a floor or cap the greedy could not meet is reported, not hidden.
void equity(const Search& search, AllocateResult& out) {
  const States after = search.current();
  out.coverage_floor = search.rq.coverage_floor, out.max_gini = search.rq.max_gini;
  out.gini_before = pooled_outcome(search.levels[0], "gini");
  out.gini_after = pooled_outcome(after, "gini");
  for (const auto& s : after) out.below_floor += out.coverage_floor >= 0 && s.coverage() < out.coverage_floor;
  out.equity_met = out.below_floor == 0 && (out.max_gini < 0 || out.gini_after <= out.max_gini);
}

}  // namespace

AllocateResult allocate_staff(const std::string& scenario_file, const std::vector<std::string>& overrides,
                              const AllocateRequest& rq) {
  const Scenario base = load_scenario(scenario_file, overrides);
  check_request(base, rq);
  // The city as the communities file will hold it: its communities with the residents drawn (a
  // residents column sets them, which differs from drawing them), so that the search, the check and
  // a later run of the file all see the same city.
  std::vector<CommunitySpec> specs = prepare_inputs(base)->specs;
  int runs = 0;
  const RunResult drawn = run_replicates(base, 1, runs).front();
  for (size_t c = 0; c < specs.size(); ++c) specs[c].residents = drawn.communities[c].residents;
  const Scenario city = scenario_with_file(scenario_file, overrides, communities_csv(specs));
  const size_t n = city.city.communities.size();
  if (rq.max_per_community > 0 && static_cast<double>(rq.add) > static_cast<double>(n) * rq.max_per_community)
    throw InputError(kCli, "--add", std::to_string(rq.add) + " workers do not fit " + std::to_string(n) +
                                        " communities at --max-per-community " + std::to_string(rq.max_per_community));
  Search search{rq, city, {}, {}, std::vector<int>(n, 0), runs};
  const std::vector<RunResult> level0 = run_replicates(city, rq.replicates, search.runs);
  const int role = city.role_index(rq.role);
  // staff.<role> counts the committee members serving in the role where the norm counts them.
  const bool with_committee = city.staffing.committee.counts_in_norm && role == city.role_index(city.staffing.committee.serves_as_role);
  std::vector<int64_t> residents;
  for (const CommunityInfo& info : level0.front().communities) {
    search.base_staff.push_back(info.staff[static_cast<size_t>(role)] + (with_committee ? info.committee_total : 0));
    residents.push_back(info.residents);
  }
  search.levels.push_back(mean_states(level0, search.service()));
  for (int k = 0; k < rq.add; ++k) search.place_one();

  AllocateResult out;
  out.role = rq.role, out.objective = rq.objective, out.service = rq.service, out.added = rq.add;
  const std::vector<int> spread = proportional(residents, rq.add);
  describe(search, level0.front(), spread, out);
  equity(search, out);
  out.levels = static_cast<int>(search.levels.size());
  out.city_runs = search.runs;
  out.check_seed = rq.check_seed != 0 ? rq.check_seed : base.run.seed + 1;
  const Scenario written = scenario_with_file(scenario_file, overrides, out.communities_csv);
  check_on_fresh_seed(rq, written, search.base_staff, spread, out);
  return out;
}

}  // namespace commsim
