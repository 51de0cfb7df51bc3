// What the workbench derives from a finished run's output.h5 (read back through the documented
// format, docs/output-format.md), once, on the run's worker thread, so that requests never open an
// HDF5 file: replicates.json (per replicate: run facts, citywide services and roles, the figures
// /api/compare pairs) and communities.json (positions, districts and per-service coverage of the
// communities, for the page's map). The citywide CSV and the comparison are computed from
// replicates.json on request.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace commsim::serve {

// Reads `h5_path` (a complete `commsim run` file with `replicates` run groups) and writes
// replicates.json and communities.json into `dir` (atomically). Throws RuntimeFailure.
void write_derived_files(const std::string& h5_path, const std::string& dir, int replicates);

// The citywide service table of every replicate as CSV: one row per replicate and service.
std::string citywide_csv(const nlohmann::json& replicates);

// Paired differences variant - base, per service, role and run figure, with 95 % intervals over the
// replicates (replicate r of both runs paired, as in studies). Throws std::invalid_argument with a
// message for the client when the runs cannot be paired (different replicate counts).
nlohmann::json compare_replicates(const nlohmann::json& base, const nlohmann::json& variant);

}  // namespace commsim::serve
