// A city's communities as a communities file (communities_csv.hpp).
#include "sim/io/communities_csv.hpp"

#include <cstdio>
#include <set>

namespace commsim {

namespace {

// The shortest text that reads back as the same double.
std::string exact(double v) {
  char buffer[40];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, v);
    if (std::stod(buffer) == v) break;
  }
  return buffer;
}

// A CSV field, quoted when it holds a comma, a quote or a line break.
std::string field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string communities_csv(const std::vector<CommunitySpec>& communities, const std::vector<AddedColumn>& added) {
  bool indoor = false, outdoor = false, residents = false;
  std::set<std::string> roles_seen;
  std::vector<std::string> roles;
  for (const CommunitySpec& c : communities) {
    indoor = indoor || c.facility_indoor_m2 >= 0;
    outdoor = outdoor || c.facility_outdoor_m2 >= 0;
    residents = residents || c.residents > 0;
    for (const auto& [role, staff] : c.staff)
      if (roles_seen.insert(role).second) roles.push_back(role);
  }
  std::string out = std::string("name,district,households,") + (residents ? "residents," : "") + "area_km2,x_m,y_m,is_new";
  if (indoor) out += ",facility_indoor_m2";
  if (outdoor) out += ",facility_outdoor_m2";
  for (const std::string& role : roles) out += ",staff." + role;
  for (const AddedColumn& a : added) out += ",added." + a.role;
  out += "\n";
  for (size_t k = 0; k < communities.size(); ++k) {
    const CommunitySpec& c = communities[k];
    out += field(c.name) + "," + field(c.district) + "," + std::to_string(c.households) + "," +
           (residents ? (c.residents > 0 ? std::to_string(c.residents) : std::string()) + "," : std::string()) +
           exact(c.area_km2) + "," +
           exact(c.x_m) + "," + exact(c.y_m) + "," + (c.is_new ? "1" : "0");
    if (indoor) out += "," + (c.facility_indoor_m2 >= 0 ? exact(c.facility_indoor_m2) : std::string());
    if (outdoor) out += "," + (c.facility_outdoor_m2 >= 0 ? exact(c.facility_outdoor_m2) : std::string());
    for (const std::string& role : roles) {
      std::string cell;
      for (const auto& [r, staff] : c.staff)
        if (r == role) cell = std::to_string(staff);
      out += "," + cell;
    }
    for (const AddedColumn& a : added) out += "," + std::to_string(a.added.at(k));
    out += "\n";
  }
  return out;
}

}  // namespace commsim
