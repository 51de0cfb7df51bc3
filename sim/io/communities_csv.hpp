// A city's communities as a communities file (issue 26): the columns `city.communities_file` reads
// (name, district, households, area_km2, x_m, y_m, is_new, and facility_indoor_m2 /
// facility_outdoor_m2 / staff.<role> where given). `commsim communities` writes it; running the
// file on the same census city gives the same communities, households and residents (residents are
// left out: a residents column would set them, not reproduce the draw).
#pragma once
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace commsim {

std::string communities_csv(const std::vector<CommunitySpec>& communities);

}  // namespace commsim
