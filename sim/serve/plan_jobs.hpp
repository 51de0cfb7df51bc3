// The workbench's planning jobs (issue 28, docs/workbench.md): an allocation (`commsim allocate`:
// where N extra workers of a role go) and a front (`commsim pareto`: the trade-off between two
// outcomes over levers), posted as POST /api/allocations and POST /api/fronts and computed on the
// run workers like runs. This file holds what is particular to them: the request checked field by
// field with the CLI's rules (InputError, its key the request's field), a bound on the city runs a
// request can take (for the server's --max-resident-days), and the job itself, whose result is a
// JSON document (result.json beside meta.json).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace commsim::serve {

struct PlanJob {
  nlohmann::json request;  // the kind's fields, checked, with their defaults filled in
  double city_runs = 0;    // at most this many runs of the city
  double residents = 0;    // residents of one run at most (a front's levers may grow the city)
  int days = 0;            // days of one run at most
  std::string limit_key;   // the field a refusal for size names ("add", "generations")
};

// The fields a body of `kind` ("allocation", "front") may hold besides scenario and set.
const std::vector<std::string>& plan_fields(const std::string& kind);

// Checks an allocation's or a front's fields of `body` against the scenario `sc` (loaded from
// `scenario_path` with `overrides`). Throws InputError with the field as the key.
PlanJob check_plan_request(const std::string& kind, const std::string& scenario_path,
                           const std::vector<std::string>& overrides, const Scenario& sc, const nlohmann::json& body);

// Computes the job (allocate_staff or pareto_front) and returns its result document. `set` is the
// job's posted "set" (a front's points carry it merged with their levers, ready for POST /api/runs).
nlohmann::json run_plan_job(const std::string& kind, const std::string& scenario_path,
                            const std::vector<std::string>& overrides, const nlohmann::json& request,
                            const nlohmann::json& set);

}  // namespace commsim::serve
