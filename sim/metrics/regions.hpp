// A run's results by region (issue 27): the communities of a census city grouped by province (the
// first two digits of their unit's code), by city (four digits) or by unit, each group summarised
// as a city of its own (summarize on the group's communities, in community order), so a region's
// coverage, unmet hours and WISN pressure are the run's own definitions, not a re-derivation.
// `commsim regions` (docs/nation.md).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

enum class RegionLevel { province, city, unit };

struct RegionRow {
  std::string code, name;                 // region code (6 digits, 0-padded), its name
  int64_t communities = 0, residents = 0;
  double coverage = 0;                    // served in time / demand over the queue services
  double unmet_hours_per_10k = 0;         // service hours left unmet a year per 10,000 residents
  double staff_per_10k = 0;               // the role's staff in post per 10,000 residents
  double wisn_pressure = 0;               // the role's WISN pressure (staff needed / staff in post)
  double utilisation = 0;                 // the role's busy share of serving time
};

// The region code of a unit code at `level` ("610113" -> "610000" province, "610100" city).
std::string region_code(const std::string& unit_code, RegionLevel level);

// One row per region, in order of first appearance among the communities; `role` is the role
// whose staffing is reported; `name_of(code)` names a region ("" leaves the code).
std::vector<RegionRow> region_rows(const Scenario& scenario, const RunResult& run, RegionLevel level,
                                   const std::string& role, const std::function<std::string(const std::string&)>& name_of);

}  // namespace commsim
