// A city's communities as a communities file (issue 26): the columns `city.communities_file` reads
// (name, district, households, area_km2, x_m, y_m, is_new, and facility_indoor_m2 /
// facility_outdoor_m2 / staff.<role> where given). `commsim communities` writes it; running the
// file on the same census city gives the same communities, households and residents (a residents
// column is written only where a community's residents are given: for drawn ones it would set
// them, not reproduce the draw). `added` (commsim allocate): an added.<role> column per entry, the
// workers added to each community (in `communities` order; the loader ignores these columns).
#pragma once
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace commsim {

struct AddedColumn {
  std::string role;
  std::vector<int> added;  // per community
};
std::string communities_csv(const std::vector<CommunitySpec>& communities, const std::vector<AddedColumn>& added = {});

}  // namespace commsim
