// The run summary as JSON: the document `commsim run --summary-json` writes. Shape: top-level
// scenario, seed, replicates, days, communities, households, residents, requests; `services` and
// `roles` as objects keyed by name; cost, access_share, residents_by_year, demand_by_year.
#pragma once
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

std::string summary_json(const Scenario& scenario, const std::vector<RunResult>& runs);

std::string json_escape(const std::string& s);
std::string json_number(double v);  // "null" for non-finite values

}  // namespace commsim
