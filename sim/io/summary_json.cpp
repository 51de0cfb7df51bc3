// The run summary as JSON (`commsim run --summary-json`, the workbench's /api/runs/ID/summary):
// citywide figures per service and role (means over replicates), cost, access, demand by year.
// No wall-clock figures, so the same scenario and seed give the same text.
#include "sim/io/summary_json.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "sim/metrics/statistics.hpp"

namespace commsim {

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

namespace {

// Mean and 95 % half-width over replicates of one citywide figure.
template <class F>
MeanCI over(const std::vector<RunResult>& runs, size_t index, F field) {
  std::vector<double> v;
  for (const auto& r : runs) v.push_back(field(r.citywide[index]));
  return mean_ci(v);
}

}  // namespace

std::string summary_json(const Scenario& sc, const std::vector<RunResult>& runs) {
  std::ostringstream j;
  const RunResult& first = runs.front();
  j << "{\n  \"scenario\": \"" << json_escape(sc.name) << "\",\n";
  j << "  \"seed\": " << sc.run.seed << ",\n  \"replicates\": " << runs.size() << ",\n  \"days\": " << sc.run.days << ",\n";
  j << "  \"communities\": " << first.communities.size() << ",\n  \"households\": " << first.households
    << ",\n  \"residents\": " << first.residents << ",\n  \"requests\": " << first.requests << ",\n";
  j << "  \"services\": {";
  for (size_t s = 0; s < first.citywide.size(); ++s) {
    auto m = [&](auto field) { return over(runs, s, field); };
    const auto cov = m([](const CitywideService& c) { return c.coverage; });
    j << (s ? "," : "") << "\n    \"" << json_escape(first.citywide[s].name) << "\": {";
    j << "\"kind\": \"" << first.citywide[s].kind << "\"";
    j << ", \"demand\": " << json_number(m([](const CitywideService& c) { return static_cast<double>(c.demand); }).mean);
    j << ", \"served\": " << json_number(m([](const CitywideService& c) { return static_cast<double>(c.served); }).mean);
    j << ", \"served_in_time\": " << json_number(m([](const CitywideService& c) { return static_cast<double>(c.served_in_time); }).mean);
    j << ", \"unmet\": " << json_number(m([](const CitywideService& c) { return static_cast<double>(c.unmet); }).mean);
    j << ", \"backlog_end\": " << json_number(m([](const CitywideService& c) { return static_cast<double>(c.backlog_end); }).mean);
    j << ", \"coverage\": " << json_number(cov.mean) << ", \"coverage_ci95\": " << json_number(cov.half_width);
    j << ", \"coverage_resident_weighted\": " << json_number(m([](const CitywideService& c) { return c.coverage_resident_weighted; }).mean);
    j << ", \"mean_wait_min\": " << json_number(m([](const CitywideService& c) { return c.mean_wait_min; }).mean);
    j << ", \"p50_wait_min\": " << json_number(m([](const CitywideService& c) { return c.p50_wait_min; }).mean);
    j << ", \"p90_wait_min\": " << json_number(m([](const CitywideService& c) { return c.p90_wait_min; }).mean);
    j << ", \"max_wait_min\": " << json_number(m([](const CitywideService& c) { return c.max_wait_min; }).mean);
    j << ", \"p_wait\": " << json_number(m([](const CitywideService& c) { return c.p_wait; }).mean);
    j << ", \"share_communities_below_target\": " << json_number(m([](const CitywideService& c) { return c.share_communities_below_target; }).mean);
    j << ", \"gini\": " << json_number(m([](const CitywideService& c) { return c.gini; }).mean);
    j << ", \"worst_decile_coverage\": " << json_number(m([](const CitywideService& c) { return c.worst_decile_coverage; }).mean);
    j << "}";
  }
  j << "\n  },\n  \"roles\": {";
  for (size_t r = 0; r < first.citywide_roles.size(); ++r) {
    const CitywideRole& cr = first.citywide_roles[r];
    j << (r ? "," : "") << "\n    \"" << json_escape(cr.name) << "\": {\"staff\": " << cr.staff
      << ", \"utilisation\": " << json_number(cr.utilisation) << ", \"overtime_share\": " << json_number(cr.overtime_share)
      << ", \"overhead_share\": " << json_number(cr.overhead_share) << ", \"travel_share\": " << json_number(cr.travel_share)
      << ", \"wisn_pressure\": " << json_number(cr.wisn_pressure) << ", \"pay_yuan\": " << json_number(cr.pay_yuan) << "}";
  }
  j << "\n  },\n  \"cost\": {\"total_yuan\": " << json_number(first.cost_total_yuan)
    << ", \"city_yuan\": " << json_number(first.cost_city_yuan) << ", \"district_yuan\": " << json_number(first.cost_district_yuan)
    << ", \"per_resident_yuan\": " << json_number(first.cost_per_resident_yuan)
    << ", \"per_served_request_yuan\": " << json_number(first.cost_per_served_yuan) << "},\n";
  j << "  \"access_share\": " << json_number(first.access_share) << ",\n";
  j << "  \"residents_by_year\": [";
  for (size_t y = 0; y < first.residents_by_year.size(); ++y) j << (y ? ", " : "") << json_number(first.residents_by_year[y]);
  j << "],\n  \"demand_by_year\": {";
  for (size_t s = 0; s < first.citywide.size(); ++s) {
    j << (s ? ", " : "") << "\"" << json_escape(first.citywide[s].name) << "\": [";
    for (size_t y = 0; y < first.demand_by_year.size(); ++y) j << (y ? ", " : "") << first.demand_by_year[y][s];
    j << "]";
  }
  j << "}\n}\n";
  return j.str();
}

}  // namespace commsim
