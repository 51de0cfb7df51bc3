#include "sim/io/geojson.hpp"

#include <algorithm>

#include "sim/core/json.hpp"

namespace commsim {

namespace {

Json community_properties(const std::vector<RunResult>& runs, size_t c) {
  const RunResult& first = runs.front();
  const CommunityInfo& info = first.communities[c];
  Json p;
  p["name"] = info.name;
  p["district"] = info.district;
  p["residents"] = info.residents;
  p["family_households"] = info.family_households;
  Json staff;
  for (size_t r = 0; r < first.role_names.size(); ++r) staff[first.role_names[r]] = info.staff[r];
  p["staff"] = staff;
  const size_t n = first.service_names.size();
  Json coverage, unmet;
  for (size_t s = 0; s < n; ++s) {
    double demand = 0, in_time = 0, unmet_hours = 0;
    for (const RunResult& run : runs) {
      const ServiceTotals& t = run.service_totals[c * n + s];
      demand += static_cast<double>(t.demand);
      in_time += static_cast<double>(t.served_in_time);
      unmet_hours += t.unmet_minutes / 60.0 * 365.0 / std::max(1, run.days);
    }
    coverage[first.service_names[s]] = demand > 0 ? json_value(in_time / demand) : Json();
    unmet[first.service_names[s]] = json_value(unmet_hours / static_cast<double>(runs.size()));
  }
  p["coverage"] = coverage;
  p["unmet_hours_per_year"] = unmet;
  return p;
}

}  // namespace

std::string communities_geojson(const std::vector<RunResult>& runs, const std::optional<PlaneOrigin>& lonlat) {
  Json features = Json::array();
  if (!runs.empty())
    for (size_t c = 0; c < runs.front().communities.size(); ++c) {
      const CommunityInfo& info = runs.front().communities[c];
      const auto [x, y] = lonlat ? lonlat->to_lonlat(info.x_m, info.y_m) : std::pair<double, double>{info.x_m, info.y_m};
      features.push_back({{"type", "Feature"},
                          {"geometry", {{"type", "Point"}, {"coordinates", {json_value(x), json_value(y)}}}},
                          {"properties", community_properties(runs, c)}});
    }
  Json doc;
  doc["type"] = "FeatureCollection";
  doc["coordinate_system"] =
      lonlat ? "WGS 84 longitude and latitude (the communities file's lon, lat)"
             : "the model's plane: metres east (x) and north (y) of the city's origin, not longitude and latitude "
               "(census cities are laid out synthetically: docs/population-data.md)";
  doc["replicates"] = runs.size();
  doc["features"] = features;
  return json_text(doc);
}

}  // namespace commsim
