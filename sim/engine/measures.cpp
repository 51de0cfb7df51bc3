#include "sim/engine/measures.hpp"

#include <algorithm>

#include "sim/core/random.hpp"

namespace commsim {

namespace {
constexpr uint32_t kFacilityBuiltSub = 24;  // the city stream's sub key of the as-built draw
}

double facility_built_share(const Scenario& sc, const CommunityInfo& info) {
  const FacilityPolicy& f = sc.facility;
  if (f.shortfall_share <= 0) return 1.0;
  const double share = std::min(1.0, f.shortfall_share * (info.district_class == "old_core" ? f.shortfall_old_core_factor : 1.0));
  Stream s(StreamKey{sc.run.seed, 0, stable_name_key(info.name), static_cast<uint32_t>(Purpose::city), kFacilityBuiltSub});
  const double u_short = s.uniform(), u_area = s.uniform();
  if (!(u_short < share)) return 1.0;
  return f.shortfall_area_min + (f.shortfall_area_max - f.shortfall_area_min) * u_area;
}

double purchased_posts(const Scenario& sc, const Role& role, const CommunityPolicy& p) {
  const double hours_a_post = role.hours_per_week * 52.0;
  if (!(hours_a_post > 0) || !(sc.funding.purchase_price_yuan_per_hour > 0)) return 0.0;
  const double funds = p.funds_city_yuan_per_year + p.funds_district_yuan_per_year;
  return funds * sc.funding.purchase_share / sc.funding.purchase_price_yuan_per_hour / hours_a_post;
}

}  // namespace commsim
