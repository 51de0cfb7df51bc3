// The run summary as JSON: the document `commsim run --summary-json` writes. Shape: top-level
// scenario, seed, replicates, days, communities, households, residents, requests; `services` and
// `roles` as objects keyed by name; cost, access_share, residents_by_year, demand_by_year; with
// calibration targets, `calibration`.
// Built with nlohmann-json (sim/core/json.hpp).
#pragma once
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

// With `targets` (commsim run --targets): a `calibration` block, `calibration.targets` one object per
// target with the fields of calibration_target_table marked for JSON (`within` true or false).
std::string summary_json(const Scenario& scenario, const std::vector<RunResult>& runs,
                         const std::vector<TargetCheck>& targets = {});

// For text that is not built as a JSON value (study reports still assembled as text).
std::string json_number(double v);  // "null" for non-finite values

}  // namespace commsim
