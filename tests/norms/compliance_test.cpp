// Norm compliance against the norms' own figures (issue 22; NORMS.md, norm_compliance): a
// scenario's staffing rule is never the yardstick of itself.
#include <catch2/catch.hpp>

#include "sim/demand/demand.hpp"
#include "sim/engine/city.hpp"
#include "sim/norms/norms.hpp"
#include "sim/scenario/load.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {

size_t workers_ok(const std::vector<Community>& city) {
  size_t n = 0;
  for (const Community& c : city) n += c.info.workers_ok;
  return n;
}

std::vector<Community> city_of(const Scenario& sc) { return build_city(sc, 0, compile_services(sc, 0)); }

}  // namespace

TEST_CASE("N3.5 at 14 per 10,000: only communities whose committee reaches 18 per 10,000 comply", "[norms][compliance]") {
  const std::vector<std::string> sample = {"run.days=1", "run.daily_output=false", "city.generator.communities=60"};
  const Scenario sc = load_scenario(test::source_path("scenarios/staffing-14-per-10k.yaml"), sample);
  const std::vector<Community> city = city_of(sc);
  REQUIRE(city.size() == 60);
  const int cw = sc.role_index("community_worker");
  for (const Community& c : city) {
    INFO(c.info.name << ": " << c.info.residents << " residents, committee " << c.info.committee_total);
    // The norm's own figure: 18 per 10,000 residents (N3.5), whatever the scenario's rule.
    CHECK(c.info.required_community_workers == static_cast<int>(std::floor(18.0 * c.info.residents / 10000.0 + 0.5)));
    const int in_post = c.info.staff[static_cast<size_t>(cw)] + c.info.committee_total;
    CHECK(c.info.workers_ok == (in_post >= c.info.required_community_workers));
    if (c.info.workers_ok) CHECK(c.info.committee_total >= c.info.required_community_workers);
  }
  CHECK(workers_ok(city) * 2 <= city.size());
  // The same scenario at the norm's 18 per 10,000 complies everywhere.
  const Scenario at_norm = load_scenario(test::source_path("scenarios/xian-baseline.yaml"), sample);
  CHECK(workers_ok(city_of(at_norm)) == city.size());
}

TEST_CASE("the baseline's compliance is what its own rule at the norm gave", "[norms][compliance]") {
  // The baseline staffs at the norm (18 per 10,000, N1.4's 10 % more in oversized communities):
  // measured against the norm's figures its counts are those of its rule, as before issue 22.
  const Scenario sc = load_scenario(test::source_path("scenarios/xian-baseline.yaml"),
                                    {"run.days=1", "run.daily_output=false", "city.generator.communities=60"});
  const std::vector<Community> city = city_of(sc);
  const int cw = sc.role_index("community_worker");
  for (const Community& c : city) {
    const NormRequirement rule = norm_requirement(c.info.households, c.info.residents, c.info.is_new,
                                                  c.info.county ? DistrictKind::county : DistrictKind::urban, sc);
    const bool by_rule = c.info.staff[static_cast<size_t>(cw)] + c.info.committee_total >= rule.community_workers;
    INFO(c.info.name);
    CHECK(c.info.workers_ok == by_rule);
    // Facilities as built (issue 24): a share falls short of the area; the rest meet the norm.
    CHECK(c.info.facility_ok == (c.info.facility_indoor_m2 >= c.info.required_indoor_m2));
    CHECK(c.info.committee_ok);
  }
}

TEST_CASE("norm_compliance: each check against NORMS.md's figure", "[norms][compliance]") {
  NormFacts f;
  f.households = 3500;
  f.residents = 10000;
  f.indoor_m2 = 1050;  // N2.1: 30 m2 per 100 households
  f.outdoor_m2 = 1000;
  f.activity_share = 0.6;
  f.committee_people = 11;
  f.community_workers = 18;
  NormCompliance c = norm_compliance(f);
  CHECK(c.required_community_workers == 18);
  CHECK(c.required_indoor_m2 == Approx(1050));
  CHECK((c.size_ok && c.facility_ok && c.activity_ok && c.committee_ok && c.workers_ok));
  f.community_workers = 17;
  f.indoor_m2 = 1049;
  f.activity_share = 0.59;
  f.committee_people = 12;
  f.households = 5001;
  c = norm_compliance(f);
  CHECK_FALSE(c.workers_ok);
  CHECK_FALSE(c.facility_ok);
  CHECK_FALSE(c.activity_ok);
  CHECK_FALSE(c.committee_ok);
  CHECK_FALSE(c.size_ok);
  f.community_workers = -1;  // no community_worker role: nothing to check
  CHECK(norm_compliance(f).workers_ok);
}
