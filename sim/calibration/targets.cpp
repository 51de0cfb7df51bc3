// Targets files and the measures that compute a target from a run (targets.hpp).
#include "sim/calibration/targets.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "sim/calibration/input_file.hpp"
#include "sim/calibration/sources.hpp"
#include "sim/scenario/schema_machinery.hpp"
#include "sim/scenario/tree.hpp"

namespace commsim {

namespace {

using scenario_detail::Node;
using scenario_detail::Path;
using scenario_detail::Schema;

// ------------------------------------------------------------------ measures
using MeasureFn = std::function<double(const Target&, const Scenario&, const RunResult&)>;

struct Measure {
  MeasureInfo info;
  MeasureFn compute;
};

double ratio(double a, double b) { return b > 0 ? a / b : std::numeric_limits<double>::quiet_NaN(); }

size_t service_of(const RunResult& run, const std::string& name) {
  for (size_t s = 0; s < run.service_names.size(); ++s)
    if (run.service_names[s] == name) return s;
  throw RuntimeFailure("the run has no service '" + name + "'");
}

size_t role_of(const RunResult& run, const std::string& name) {
  for (size_t r = 0; r < run.role_names.size(); ++r)
    if (run.role_names[r] == name) return r;
  throw RuntimeFailure("the run has no role '" + name + "'");
}

// Service s's counter `field` summed over the communities.
template <class F>
double service_sum(const RunResult& run, size_t s, F field) {
  const size_t n = run.service_names.size();
  double total = 0;
  for (size_t c = 0; c < run.communities.size(); ++c) total += static_cast<double>(field(run.service_totals[c * n + s]));
  return total;
}

double served(const RunResult& run, size_t s) {
  return service_sum(run, s, [](const auto& t) { return t.served; });
}

template <class F>
double over_communities(const RunResult& run, F field) {
  double total = 0;
  for (const auto& c : run.communities) total += static_cast<double>(field(c));
  return total;
}

double residents(const RunResult& run) {
  return over_communities(run, [](const CommunityInfo& c) { return c.residents; });
}

// Enrolled per open day of an enrolment service: its enrolled (attended) person-days over the
// days it was open in the run.
double enrolled(const Scenario& sc, const RunResult& run, const std::string& service) {
  const Service& spec = sc.services.at(static_cast<size_t>(sc.service_index(service)));
  int open_days = 0;
  for (int d = 0; d < run.days; ++d) open_days += spec.open_weekdays[static_cast<size_t>(d % 7)];
  return ratio(served(run, service_of(run, service)), open_days);
}

std::string list_text(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

// ---- the measures, one function each (measure_table names and describes them)
double resident_years(const RunResult& run) { return residents(run) * run.days / 365.0; }

double served_of(const Target& t, const RunResult& run) {
  double visits = 0;
  for (const auto& s : t.services) visits += served(run, service_of(run, s));
  return visits;
}

double visits_per_resident_year(const Target& t, const Scenario&, const RunResult& run) {
  return ratio(served_of(t, run), resident_years(run));
}

double episodes_per_resident_year(const Target& t, const Scenario&, const RunResult& run) {
  double episodes = 0;
  for (const auto& name : t.services)
    episodes += service_sum(run, service_of(run, name), [](const auto& x) { return x.demand + x.elsewhere; });
  return ratio(episodes, resident_years(run));
}

double visits_per_worker_day(const Target& t, const Scenario& sc, const RunResult& run) {
  const size_t r = role_of(run, t.role), roles = run.role_names.size();
  const Role& role = sc.staffing.roles.at(static_cast<size_t>(sc.role_index(t.role)));
  double available = 0;
  for (size_t c = 0; c < run.communities.size(); ++c) available += run.role_totals[c * roles + r].available_min;
  return ratio(served_of(t, run), available / (role.hours_per_week * 60.0 / role.days_per_week));
}

double enrolled_per_child_0_2(const Target& t, const Scenario& sc, const RunResult& run) {
  return ratio(enrolled(sc, run, t.service), over_communities(run, [](const CommunityInfo& c) { return c.residents_0_2; }));
}

double places_in_use(const Target& t, const Scenario&, const RunResult& run) {
  const size_t s = service_of(run, t.service);
  return ratio(served(run, s), service_sum(run, s, [](const auto& x) { return x.place_days; }));
}

double clients_per_chronic_resident(const Target& t, const Scenario&, const RunResult& run) {
  const double client_days = service_sum(run, service_of(run, t.service), [](const auto& x) { return x.client_days; });
  return ratio(client_days / std::max(run.days, 1),
               over_communities(run, [](const CommunityInfo& c) { return c.residents_chronic; }));
}

double share_60plus(const Target&, const Scenario&, const RunResult& run) {
  return ratio(over_communities(run, [](const CommunityInfo& c) { return c.residents_60plus; }), residents(run));
}

double dependent_share_60plus(const Target&, const Scenario&, const RunResult& run) {
  return ratio(over_communities(run, [](const CommunityInfo& c) { return c.residents_60plus_dependent; }),
               over_communities(run, [](const CommunityInfo& c) { return c.residents_60plus; }));
}

double mean_family_household_size(const Target&, const Scenario&, const RunResult& run) {
  return ratio(over_communities(run, [](const CommunityInfo& c) { return c.family_residents; }),
               over_communities(run, [](const CommunityInfo& c) { return c.family_households; }));
}

double staff_per_10k(const Target& t, const Scenario&, const RunResult& run) {
  const size_t r = role_of(run, t.role);
  double staff = 0;
  for (const auto& c : run.communities) {
    if (r < c.staff.size()) staff += c.staff[r];
    if (t.with_committees) staff += c.committee_total;
  }
  return ratio(staff * 10000.0, residents(run));
}

double places_per_1000(const Target& t, const Scenario&, const RunResult& run) {
  size_t use = 0;
  while (use < run.facility_use_names.size() && run.facility_use_names[use] != t.facility_use) ++use;
  double places = 0;
  for (const auto& c : run.communities)
    if (use < c.places.size()) places += c.places[use];
  return ratio(places * 1000.0, residents(run));
}

const std::vector<Measure>& measure_table() {
  static const std::vector<Measure> table = {
      {{"visits_per_resident_year",
        "served requests of {services}, citywide, ÷ residents at the start of the run ÷ (run days ÷ 365)",
        {"services"}},
       visits_per_resident_year},
      {{"episodes_per_resident_year",
        "episodes of {services}, wherever they are seen (requests here + episodes elsewhere, community_share), ÷ "
        "residents at the start of the run ÷ (run days ÷ 365)",
        {"services"}},
       episodes_per_resident_year},
      {{"visits_per_worker_day",
        "served requests of {services} ÷ worker-days of {role} (its available minutes on shift ÷ its shift length, "
        "hours_per_week × 60 ÷ days_per_week)",
        {"services", "role"}},
       visits_per_worker_day},
      {{"enrolled_per_child_0_2",
        "children enrolled in {service} (its attended person-days ÷ its open days) ÷ residents aged 0-2", {"service"}},
       enrolled_per_child_0_2},
      {{"places_in_use",
        "enrolled person-days of {service} ÷ its place-days (the facility's places summed over its open days), "
        "citywide",
        {"service"}},
       places_in_use},
      {{"clients_per_chronic_resident",
        "residents taking part in {service}'s programme (its client-days ÷ run days) ÷ residents with hypertension "
        "or diabetes",
        {"service"}},
       clients_per_chronic_resident},
      {{"share_60plus", "residents aged 60+ ÷ residents", {}}, share_60plus},
      {{"dependent_share_60plus", "residents aged 60+ partially or fully dependent ÷ residents aged 60+", {}},
       dependent_share_60plus},
      {{"mean_family_household_size", "members of family households ÷ family households", {}}, mean_family_household_size},
      {{"staff_per_10k",
        "staff of {role} in post (with_committees: plus every committee member, N3.1-N3.4) ÷ residents × 10,000",
        {"role", "with_committees"}},
       staff_per_10k},
      {{"places_per_1000", "places of the facility use {facility_use}, citywide, ÷ residents × 1,000", {"facility_use"}},
       places_per_1000},
  };
  return table;
}

const Measure& measure_named(const std::string& name) {
  for (const auto& m : measure_table())
    if (m.info.name == name) return m;
  throw std::logic_error("unknown measure '" + name + "'");
}

// The measure's description with its arguments filled in.
std::string computation_text(const Target& t) {
  std::string text = measure_named(t.measure).info.description;
  const std::pair<const char*, std::string> fills[] = {
      {"{services}", list_text(t.services)}, {"{service}", t.service}, {"{role}", t.role},
      {"{facility_use}", t.facility_use}};
  for (const auto& [slot, value] : fills)
    for (size_t at; (at = text.find(slot)) != std::string::npos;) text.replace(at, std::string(slot).size(), value);
  return text;
}

// ------------------------------------------------------------------ the targets file
struct TargetsFile {
  std::string name, description;
  std::vector<Target> targets;
  std::vector<EvidenceGroup> evidence;
};

const Schema<EvidenceGroup>& evidence_schema() {
  static const Schema<EvidenceGroup> s{{
      scenario_detail::num("count", &EvidenceGroup::count, scenario_detail::positive(), "1",
                           "independent pieces of evidence its fit and holdout members are (> 0)"),
      scenario_detail::text("why", &EvidenceGroup::why, "text", "why its members are not independent"),
  }, [](EvidenceGroup&, const Node& n, const Path& p) {
    if (!n.find("count")) scenario_detail::fail(n, p, "an evidence group needs 'count'");
  }};
  return s;
}

std::vector<std::string> measure_names() {
  std::vector<std::string> names;
  for (const auto& m : measure_table()) names.push_back(m.info.name);
  return names;
}

const Schema<Target>& target_schema() {
  static const Schema<Target> s = [] {
    using scenario_detail::Range;
    Schema<Target> schema;
    schema.fields = {
        scenario_detail::num("observed", &Target::observed, Range{}, "the measure's unit", "the observed figure"),
        scenario_detail::num("tolerance", &Target::tolerance, scenario_detail::positive(), "the measure's unit",
                             "how far a run may be from it (> 0)"),
        scenario_detail::text("source", &Target::source, "keys of docs/sources.md", "where the figure comes from"),
        scenario_detail::choice("measure", &Target::measure, measure_names(), "how it is computed from a run"),
        scenario_detail::string_list("services", &Target::services, "service names", "measure argument"),
        scenario_detail::text("service", &Target::service, "a service name", "measure argument"),
        scenario_detail::text("role", &Target::role, "a role name", "measure argument"),
        scenario_detail::text("facility_use", &Target::facility_use, "a facility use", "measure argument"),
        scenario_detail::flag("with_committees", &Target::with_committees, "staff_per_10k: count committee members too"),
        scenario_detail::choice("use", &Target::use, {"fit", "check", "holdout", "echo"},
                                "fit: calibrate to it; check: an input check, never fitted; holdout: kept out of the fit to "
                                "test it; echo: its simulated value is set by an input (reported, never fitted, not evidence)"),
        scenario_detail::text("evidence", &Target::evidence, "a key of the file's evidence map",
                              "its evidence group: targets that are one number, or tied by an identity"),
        scenario_detail::text("computation", &Target::computation, "text", "how the figure is computed (default: the measure's)"),
        scenario_detail::text("note", &Target::note, "text", "how the observed figure and tolerance were derived"),
    };
    schema.check = [](Target& t, const Node& n, const Path& p) {
      for (const char* required : {"observed", "tolerance", "source", "measure"})
        if (!n.find(required)) scenario_detail::fail(n, p, std::string("a target needs '") + required + "'");
      check_source(t.source, n.find("source")->pos, scenario_detail::join(p, "source"));
      const MeasureInfo& m = measure_named(t.measure).info;
      for (const char* argument : {"services", "service", "role", "facility_use", "with_committees"}) {
        const bool takes = std::find(m.arguments.begin(), m.arguments.end(), argument) != m.arguments.end();
        const bool given = n.find(argument) != nullptr;
        if (given && !takes)
          throw InputError(n.key_position(argument), scenario_detail::join(p, argument),
                           "measure '" + m.name + "' takes no '" + argument + "'" +
                               (m.arguments.empty() ? "" : " (it takes: " + scenario_detail::list_names(m.arguments) + ")"));
        if (takes && !given && std::string(argument) != "with_committees")
          throw InputError(n.key_position("measure"), scenario_detail::join(p, argument),
                           "measure '" + m.name + "' needs '" + argument + "' (" + m.description + ")");
        if (given) t.argument_pos.emplace_back(argument, n.find(argument)->pos);
      }
      if (n.find("services") && t.services.empty())
        throw InputError(n.key_position("services"), scenario_detail::join(p, "services"), "name at least one service");
      if (t.computation.empty()) t.computation = computation_text(t);
    };
    return schema;
  }();
  return s;
}

const Schema<TargetsFile>& targets_schema() {
  static const Schema<TargetsFile> s{{
      scenario_detail::text("name", &TargetsFile::name, "text", "name of the set of targets"),
      scenario_detail::text("description", &TargetsFile::description, "text", "what the targets are"),
      scenario_detail::named_map<TargetsFile, Target>("targets", &TargetsFile::targets, &Target::name, target_schema,
                                                      "target name: {observed, tolerance, source, measure, ...}",
                                                      "the observed figures"),
      scenario_detail::named_map<TargetsFile, EvidenceGroup>("evidence", &TargetsFile::evidence, &EvidenceGroup::name,
                                                             evidence_schema, "group name: {count, why}",
                                                             "targets that are not independent pieces of evidence"),
  }, [](TargetsFile& f, const Node& n, const Path& p) {
    if (f.targets.empty()) scenario_detail::fail(n, scenario_detail::join(p, "targets"), "a targets file needs at least one target");
  }};
  return s;
}


// Each target's share of the independent evidence: 1 alone, a group's count over its fit and
// holdout members, 0 for echoes and checks. A target naming no group of the file is refused.
void assign_evidence(TargetSet& set, const Node& targets) {
  for (size_t i = 0; i < set.targets.size(); ++i) {
    Target& t = set.targets[i];
    const bool evidence = t.use == "fit" || t.use == "holdout";
    t.evidence_weight = evidence ? 1.0 : 0.0;
    if (t.evidence.empty()) continue;
    const Node& node = targets.entries[i].second;
    const auto group = std::find_if(set.evidence.begin(), set.evidence.end(),
                                    [&](const EvidenceGroup& g) { return g.name == t.evidence; });
    if (group == set.evidence.end()) {
      std::vector<std::string> names;
      for (const auto& g : set.evidence) names.push_back(g.name);
      throw InputError(node.find("evidence")->pos, "targets." + t.name + ".evidence",
                       "no evidence group '" + t.evidence + "' in the file's evidence map" +
                           (names.empty() ? "" : " (groups: " + scenario_detail::list_names(names) + ")"));
    }
    if (!evidence) continue;
    int members = 0;
    for (const auto& other : set.targets) members += other.evidence == t.evidence && (other.use == "fit" || other.use == "holdout");
    t.evidence_weight = std::min(group->count, static_cast<double>(members)) / members;
  }
}

}  // namespace

double independent_evidence(const std::vector<TargetCheck>& checks) {
  double n = 0;
  for (const auto& c : checks) n += c.evidence_weight;
  return n;
}

const std::vector<MeasureInfo>& measures() {
  static const std::vector<MeasureInfo> infos = [] {
    std::vector<MeasureInfo> out;
    for (const auto& m : measure_table()) out.push_back(m.info);
    return out;
  }();
  return infos;
}

TargetSet parse_targets(const std::string& text, const std::string& file) {
  TargetsFile parsed;
  const Node root =
      calibration_detail::read_input_map(text, file, targets_schema(), parsed, "a targets file is a map with name and targets");
  TargetSet set;
  set.file = file;
  set.text = text;
  set.name = parsed.name.empty() ? std::filesystem::path(file).stem().string() : parsed.name;
  const Node* targets = root.find("targets");
  for (size_t i = 0; i < parsed.targets.size(); ++i) {
    parsed.targets[i].pos = targets->key_pos[i];
    set.targets.push_back(parsed.targets[i]);
  }
  set.evidence = parsed.evidence;
  assign_evidence(set, *targets);
  return set;
}

TargetSet load_targets(const std::string& path) {
  return parse_targets(calibration_detail::read_input_file(path, "--targets", "targets"), path);
}

void check_targets(const TargetSet& set, const Scenario& sc) {
  for (const auto& t : set.targets) {
    auto at = [&](const std::string& argument) {
      for (const auto& [name, pos] : t.argument_pos)
        if (name == argument) return pos;
      return t.pos;
    };
    auto names = [](const auto& list) {
      std::vector<std::string> out;
      for (const auto& x : list) out.push_back(x.name);
      return out;
    };
    const std::string path = "targets." + t.name;
    auto need_service = [&](const std::string& name, const std::string& argument, bool enrolment) {
      const int s = sc.service_index(name);
      if (s < 0) {
        const std::string near = scenario_detail::closest(name, names(sc.services));
        throw InputError(at(argument), path + "." + argument,
                         "the scenario has no service '" + name + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?") +
                             " (services: " + scenario_detail::list_names(names(sc.services)) + ")");
      }
      if (enrolment && sc.services[static_cast<size_t>(s)].kind != ServiceKind::enrolment)
        throw InputError(at(argument), path + "." + argument,
                         "measure '" + t.measure + "' needs an enrolment service; '" + name + "' is " +
                             kServiceKindNames[static_cast<size_t>(sc.services[static_cast<size_t>(s)].kind)]);
    };
    for (const auto& s : t.services) need_service(s, "services", false);
    if (!t.service.empty()) need_service(t.service, "service", t.measure != "clients_per_chronic_resident");
    if (t.measure == "places_in_use" && sc.services[static_cast<size_t>(sc.service_index(t.service))].facility_use.empty())
      throw InputError(at("service"), path + ".service", "service '" + t.service + "' names no facility_use: it has no places");
    if (!t.role.empty() && sc.role_index(t.role) < 0) {
      const std::string near = scenario_detail::closest(t.role, names(sc.staffing.roles));
      throw InputError(at("role"), path + ".role",
                       "the scenario has no role '" + t.role + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
    if (!t.facility_use.empty()) {
      const auto uses = names(sc.facility.uses);
      if (std::find(uses.begin(), uses.end(), t.facility_use) == uses.end())
        throw InputError(at("facility_use"), path + ".facility_use",
                         "the scenario has no facility use '" + t.facility_use + "' (uses: " + scenario_detail::list_names(uses) + ")");
    }
  }
}

double measure_value(const Target& t, const Scenario& sc, const RunResult& run) {
  return measure_named(t.measure).compute(t, sc, run);
}

std::vector<TargetCheck> check_against(const TargetSet& set, const std::vector<std::vector<double>>& values) {
  std::vector<TargetCheck> out;
  for (size_t i = 0; i < set.targets.size(); ++i) {
    const Target& t = set.targets[i];
    double sum = 0;
    for (const auto& replicate : values) sum += replicate.at(i);
    TargetCheck c;
    c.name = t.name;
    c.measure = t.measure;
    c.use = t.use;
    c.source = t.source;
    c.computation = t.computation;
    c.observed = t.observed;
    c.tolerance = t.tolerance;
    c.evidence = t.evidence;
    c.evidence_weight = t.evidence_weight;
    c.simulated = values.empty() ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(values.size());
    c.within = std::fabs(c.simulated - c.observed) <= c.tolerance;
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<TargetCheck> check_against(const TargetSet& set, const Scenario& sc, const std::vector<RunResult>& runs) {
  std::vector<std::vector<double>> values;
  for (const auto& run : runs) {
    std::vector<double> v;
    for (const auto& t : set.targets) v.push_back(measure_value(t, sc, run));
    values.push_back(std::move(v));
  }
  return check_against(set, values);
}

double weighted_distance(const std::vector<TargetCheck>& checks) {
  double d = 0;
  for (const auto& c : checks)
    if (c.use == "fit") {
      const double z = (c.simulated - c.observed) / c.tolerance;
      d += std::isfinite(z) ? z * z : 1e12;  // an undefined measure (nothing to divide by) is far off
    }
  return d;
}

}  // namespace commsim
