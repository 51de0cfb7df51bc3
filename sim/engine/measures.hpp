#pragma once
// The Xi'an measures' levers that spend money or fall short (issue 24): facilities as built, short
// of the policy's area in a share of communities; operating funds that buy service hours.

#include "sim/engine/city.hpp"

namespace commsim {

// The share of the facility policy's indoor area a community's facility has as built: 1, or for
// a share facility.shortfall_share of the communities (x shortfall_old_core_factor in old-core
// districts) a uniform draw in [shortfall_area_min, shortfall_area_max]. One draw per community,
// keyed by the seed and the community's name (not the replicate: the city as built).
double facility_built_share(const Scenario& sc, const CommunityInfo& info);

// Full-time posts of `role` that the purchase share of a community's operating funds buys (政府购买
// 服务): funds x funding.purchase_share ÷ price per hour ÷ (the role's hours a week x 52).
double purchased_posts(const Scenario& sc, const Role& role, const CommunityPolicy& p);

}  // namespace commsim
