// Communities as GeoJSON (`commsim run --geojson FILE`, issue 26): one Point Feature per community
// with what a planner maps — name, district, residents, family households, staff per role, and per
// service the coverage (served in time / demand over every replicate) and the unmet hours a year
// (mean over replicates). Coordinates: the model's plane (metres east and north of the city's
// origin; census cities are laid out synthetically), stated in the collection's `coordinate_system`
// member; a GIS reads the points as a local plane, not as longitude and latitude.
#pragma once
#include <string>
#include <vector>

#include "sim/metrics/results.hpp"

namespace commsim {

std::string communities_geojson(const std::vector<RunResult>& runs);

}  // namespace commsim
