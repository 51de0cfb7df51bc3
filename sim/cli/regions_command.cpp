// `commsim regions SCENARIO FILE.h5`: a run's results by province, city or census unit (issue 27,
// docs/nation.md): coverage, unmet hours a year per 10,000 residents and a role's staffing and WISN
// pressure, each region summarised as a city of its own (sim/metrics/regions.hpp).
#include <cstdio>

#include "sim/cli/cli.hpp"
#include "sim/core/error.hpp"
#include "sim/core/json.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/io/text_file.hpp"
#include "sim/metrics/regions.hpp"
#include "sim/population/census.hpp"
#include "sim/scenario/load.hpp"

namespace commsim::cli {

namespace {

const char* const kRegionsUsage =
    "usage: commsim regions SCENARIO FILE.h5 [--level province|city|unit] [--role ROLE] [--replicate K]\n"
    "                       [--json] [-o FILE.csv] [--set key.path=value]... [--norms FILE]\n"
    "\nThe results of run K (default 0) in FILE.h5, written by `commsim run SCENARIO` (the same --set and\n"
    "--norms), by region of its census city: per province (default), city or unit, the communities and\n"
    "residents, coverage (served in time / demand over the queue services), unmet service hours a year\n"
    "per 10,000 residents, and ROLE's (default community_worker) staff per 10,000, WISN pressure and\n"
    "utilisation, each region summarised as a city of its own. -o writes the table as CSV (whole or not\n"
    "at all); --json prints {\"regions\":[...]} instead of the table.\n";

RegionLevel parse_level(const std::string& text) {
  if (text == "province") return RegionLevel::province;
  if (text == "city") return RegionLevel::city;
  if (text == "unit") return RegionLevel::unit;
  throw InputError(SourcePos{"command line", 0, 0}, "--level", "'" + text + "' is not a level; allowed: province, city, unit");
}

// A region's name from the census table: its province, city or county name.
std::string region_name(const CensusTable& table, const std::string& code, RegionLevel level) {
  for (const CountyCensus& row : table.rows()) {
    if (row.code.size() != 6 || region_code(row.code, level) != code) continue;
    if (level == RegionLevel::province) return row.province;
    if (level == RegionLevel::city) return row.city.empty() ? row.province : row.city;
    return row.county;
  }
  return "";
}

std::string regions_csv(const std::vector<RegionRow>& rows, const std::string& role) {
  std::string out = "code,name,communities,residents,coverage,unmet_hours_per_10k," + role + "_per_10k," + role +
                    "_wisn_pressure," + role + "_utilisation\n";
  char buf[256];
  for (const RegionRow& r : rows) {
    std::snprintf(buf, sizeof buf, ",%lld,%lld,%.6f,%.3f,%.4f,%.4f,%.4f\n", static_cast<long long>(r.communities),
                  static_cast<long long>(r.residents), r.coverage, r.unmet_hours_per_10k, r.staff_per_10k, r.wisn_pressure,
                  r.utilisation);
    out += r.code + "," + r.name + buf;
  }
  return out;
}

Json regions_json(const std::vector<RegionRow>& rows, const std::string& level, const std::string& role) {
  Json list = Json::array();
  for (const RegionRow& r : rows)
    list.push_back({{"code", r.code}, {"name", r.name}, {"communities", r.communities}, {"residents", r.residents},
                    {"coverage", json_value(r.coverage)}, {"unmet_hours_per_10k", json_value(r.unmet_hours_per_10k)},
                    {"staff_per_10k", json_value(r.staff_per_10k)}, {"wisn_pressure", json_value(r.wisn_pressure)},
                    {"utilisation", json_value(r.utilisation)}});
  return Json{{"level", level}, {"role", role}, {"regions", list}};
}

}  // namespace

int cmd_regions(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"level", "role", "replicate", "output", "set", "norms"}, {"json"}, "regions");
  if (const auto status = usage_exit(a, a.positional.size() != 2, kRegionsUsage)) return *status;
  const Scenario sc = load_scenario(a.positional[0], a.sets);
  const std::string level_text = a.has("level") ? a.get("level") : "province";
  const RegionLevel level = parse_level(level_text);
  const std::string role = a.has("role") ? a.get("role") : "community_worker";
  if (sc.role_index(role) < 0)
    throw InputError(SourcePos{"command line", 0, 0}, "--role", "'" + role + "' is not a role of " + a.positional[0]);
  if (sc.city.census.file.empty())
    throw InputError(SourcePos{a.positional[0], 0, 0}, "city.census", "regions need a census city (city.census)");
  const long long k = a.integer("replicate", 0);
  if (k < 0 || k > 99999) throw InputError(SourcePos{"command line", 0, 0}, "--replicate", "must be an integer in 0..99999");
  char group[32];
  std::snprintf(group, sizeof group, "/runs/%04lld", k);
  const RunResult run = read_run(a.positional[1], group, false);
  if (run.service_names.size() != sc.services.size() || run.role_names.size() != sc.staffing.roles.size())
    throw InputError(SourcePos{a.positional[1], 0, 0}, "SCENARIO",
                     "the run in this file has other services or roles than " + a.positional[0] + ": give the scenario it was run from");
  const CensusTable table = CensusTable::load(sc.city.census.file);
  const std::vector<RegionRow> rows =
      region_rows(sc, run, level, role, [&](const std::string& code) { return region_name(table, code, level); });
  if (a.has("output")) write_text_atomically(a.get("output"), regions_csv(rows, role), "--output");
  if (a.has("json")) {
    std::printf("%s\n", json_text(regions_json(rows, level_text, role)).c_str());
    return 0;
  }
  std::printf("%-8s %11s %13s %9s %12s %9s %6s  %s\n", "code", "communities", "residents", "coverage", "unmet h/10k",
              "staff/10k", "WISN", "name");
  for (const RegionRow& r : rows)
    std::printf("%-8s %11lld %13lld %9.3f %12.0f %9.1f %6.2f  %s\n", r.code.c_str(), static_cast<long long>(r.communities),
                static_cast<long long>(r.residents), r.coverage, r.unmet_hours_per_10k, r.staff_per_10k, r.wisn_pressure,
                r.name.c_str());
  if (a.has("output")) std::printf("output: %s\n", a.get("output").c_str());
  return 0;
}

}  // namespace commsim::cli
