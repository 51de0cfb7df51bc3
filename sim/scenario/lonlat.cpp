// Longitude and latitude and the model's plane (lonlat.hpp).
#include "sim/scenario/lonlat.hpp"

#include <cmath>

#include "sim/core/csv.hpp"

namespace commsim {

namespace {
constexpr double kMetresPerDegree = 111320.0;  // along a meridian, and along the equator
constexpr double kPi = 3.14159265358979323846;
}  // namespace

std::pair<double, double> PlaneOrigin::to_plane(double lon_deg, double lat_deg) const {
  return {(lon_deg - lon) * kMetresPerDegree * std::cos(lat * kPi / 180), (lat_deg - lat) * kMetresPerDegree};
}

std::pair<double, double> PlaneOrigin::to_lonlat(double x_m, double y_m) const {
  return {lon + x_m / (kMetresPerDegree * std::cos(lat * kPi / 180)), lat + y_m / kMetresPerDegree};
}

PlaneOrigin plane_origin(const std::vector<double>& lons, const std::vector<double>& lats) {
  PlaneOrigin o;
  for (double v : lons) o.lon += v;
  for (double v : lats) o.lat += v;
  if (!lons.empty()) o.lon /= static_cast<double>(lons.size());
  if (!lats.empty()) o.lat /= static_cast<double>(lats.size());
  return o;
}

std::optional<PlaneOrigin> communities_file_origin(const std::string& communities_file) {
  if (communities_file.empty()) return std::nullopt;
  const csv::Table table = csv::Table::read(communities_file, "city.communities_file", "name,district,households,...");
  if (!table.has("lon") || !table.has("lat")) return std::nullopt;
  std::vector<double> lons, lats;
  for (size_t r = 0; r < table.rows(); ++r) {
    const csv::Row row(table, r);
    lons.push_back(std::stod(row.text("lon")));
    lats.push_back(std::stod(row.text("lat")));
  }
  return plane_origin(lons, lats);
}

}  // namespace commsim
