// Longitude and latitude of a communities file (lon, lat columns, issue 26) and the model's plane:
// metres east and north of the rows' mean position (equirectangular; good to a few metres across a
// city). The loader turns lon/lat into x_m/y_m with it; `run --geojson` turns the plane back into
// longitude and latitude for a city whose communities came with them.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace commsim {

struct PlaneOrigin {
  double lon = 0, lat = 0;  // degrees: the plane's (0, 0)
  std::pair<double, double> to_plane(double lon_deg, double lat_deg) const;   // (x_m, y_m)
  std::pair<double, double> to_lonlat(double x_m, double y_m) const;          // (lon, lat)
};

// The origin of these positions: their mean.
PlaneOrigin plane_origin(const std::vector<double>& lons, const std::vector<double>& lats);

// The origin of a communities file's lon/lat columns (the one CSV reader); nullopt when the file has
// none. The file was checked when the scenario was loaded.
std::optional<PlaneOrigin> communities_file_origin(const std::string& communities_file);

}  // namespace commsim
