// Communities as GeoJSON (`commsim run --geojson FILE`, issue 26): one Point Feature per community
// with what a planner maps — name, district, residents, family households, staff per role, and per
// service the coverage (served in time / demand over every replicate) and the unmet hours a year
// (mean over replicates). Coordinates: the model's plane (metres east and north of the city's
// origin; census cities are laid out synthetically), stated in the collection's `coordinate_system`
// member; a GIS reads the points as a local plane, not as longitude and latitude. A city whose
// communities came with longitude and latitude (a communities file's lon, lat columns) gives
// `lonlat`: its points are then WGS 84 longitude and latitude (RFC 7946's default).
#pragma once
#include <string>
#include <vector>

#include <optional>

#include "sim/metrics/results.hpp"
#include "sim/scenario/lonlat.hpp"

namespace commsim {

std::string communities_geojson(const std::vector<RunResult>& runs, const std::optional<PlaneOrigin>& lonlat = std::nullopt);

}  // namespace commsim
