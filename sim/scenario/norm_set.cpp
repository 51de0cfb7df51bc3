// Norm sets (issue 26): a norm file (scenarios/norms/*.yaml) read and checked through its schema
// (schema.cpp), and its figures as the scenario's staffing, committee, facility, funding and size
// rules: an overlay merged over the scenario's tree before it is read, so the resolved scenario
// shows the rules the set gave (and `--set` still wins over them).
#include "sim/scenario/norm_set.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/scenario/schema.hpp"
#include "sim/scenario/schema_machinery.hpp"

namespace commsim {

namespace fs = std::filesystem;
using scenario_detail::Node;
using scenario_detail::number_node;

namespace {

Node bands_node(const std::vector<StaffingRule::Band>& bands) {
  Node out = Node::list();
  for (const auto& b : bands) {
    Node band = Node::map();
    band.add("from_households", number_node(b.from_households));
    band.add("staff", number_node(b.staff));
    out.items.push_back(band);
  }
  return out;
}

// The community-worker rule of the set, as a staffing rule's keys.
Node worker_rule(const NormSet::Workers& w) {
  Node rule = Node::map();
  const bool schedule = w.rule == StaffingRuleKind::schedule;
  rule.add("rule", Node::scalar(schedule ? "schedule" : "per_10k_residents"));
  rule.add("per_10k", number_node(schedule ? 0.0 : w.per_10k));
  rule.add("bands", bands_node(schedule ? w.bands : std::vector<StaffingRule::Band>{}));
  rule.add("extra_from_households", number_node(schedule ? w.extra_from_households : 0.0));
  rule.add("extra_per_households", number_node(schedule ? w.extra_per_households : 0.0));
  rule.add("min", Node::scalar("0"));
  rule.add("max", Node::scalar(std::to_string(w.max)));
  if (w.oversized_extra_share >= 0) rule.add("oversized_extra_share", number_node(w.oversized_extra_share));
  return rule;
}

bool has_role(const Node& root, const std::string& role) {
  const Node* staffing = root.find("staffing");
  const Node* roles = staffing ? staffing->find("roles") : nullptr;
  return roles && roles->is_map() && roles->find(role);
}

}  // namespace

NormSet read_norm_set(const std::string& path, const SourcePos& referenced_at, const std::string& key) {
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  if (!fs::is_regular_file(path, ec) || !in)
    throw InputError(referenced_at, key, "cannot read the norm set '" + path + "' (scenarios/norms/*.yaml)");
  std::ostringstream text;
  text << in.rdbuf();
  const Node root = scenario_detail::parse_yaml(text.str(), path, fs::path(path).parent_path().string());
  if (!root.is_map())
    throw InputError(root.pos, "", "a norm set must be a map (name, title, source, community_workers, committee, ...)");
  NormSet set = scenario_detail::norm_set_from_tree(root);
  set.file = path;
  return set;
}

namespace scenario_detail {

Node norm_overlay(const NormSet& set, const Node& root) {
  Node overlay = Node::map();
  Node staffing = Node::map(), committee = Node::map();
  if (set.community_workers.given) {
    if (has_role(root, "community_worker")) {
      Node rules = Node::map();
      rules.add("community_worker", worker_rule(set.community_workers));
      staffing.add("rules", rules);
    }
    committee.add("counts_in_norm", bool_node(set.community_workers.counts_committee));
  }
  if (set.committee.given) {
    const NormSet::Committee& c = set.committee;
    committee.add("small_households_below", integer_node(c.small_households_below));
    committee.add("large_households_above", integer_node(c.large_households_above));
    committee.add("small", integer_node(c.small));
    committee.add("medium", integer_node(c.medium));
    committee.add("large", integer_node(c.large));
    committee.add("cap_total", integer_node(c.cap_total));
  }
  if (!committee.entries.empty()) staffing.add("committee", committee);
  if (!staffing.entries.empty()) overlay.add("staffing", staffing);
  if (set.facility.given) {
    const NormSet::Facility& f = set.facility;
    Node facility = Node::map();
    facility.add("m2_per_100_households", number_node(f.m2_per_100_households));
    facility.add("small_minimum_m2", number_node(f.small_minimum_m2));
    facility.add("small_below_households", integer_node(f.small_below_households));
    facility.add("outdoor_minimum_m2", number_node(f.outdoor_minimum_m2));
    facility.add("activity_share_min", number_node(f.activity_share_min));
    overlay.add("facility", facility);
  }
  if (set.funding.given) {
    Node funding = Node::map();
    funding.add("city_per_community_yuan", number_node(set.funding.city_per_community_yuan));
    funding.add("district_urban_per_community_yuan", number_node(set.funding.district_urban_per_community_yuan));
    funding.add("district_county_per_community_yuan", number_node(set.funding.district_county_per_community_yuan));
    overlay.add("funding", funding);
  }
  if (set.size.given) {
    Node sizing = Node::map();
    sizing.add("micro_below", integer_node(set.size.micro_below));
    sizing.add("oversized_above", integer_node(set.size.oversized_above));
    overlay.add("sizing", sizing);
  }
  return overlay;
}

}  // namespace scenario_detail

std::string norm_set_reference_markdown() {
  return scenario_detail::reference_table(scenario_detail::norm_set_rows());
}

}  // namespace commsim
