// Table-driven tests pinning every modelled row of NORMS.md (N1, N2, N3.1-N3.5, N1.4, N5.3) with
// the boundary household counts 999/1000, 1999/2000, 4000/4001, 5000/5001. The default policies are
// the struct defaults of sim/scenario/scenario.hpp, which are the Xi'an 2023 values.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>

#include "sim/norms/norms.hpp"
#include "sim/scenario/scenario.hpp"

using namespace commsim;

namespace {

// Designated initializers (rather than assigning the role string afterwards) also keep GCC 12's
// false-positive -Wrestrict on short std::string assignment quiet.
StaffingRule per_10k_rule(double per_10k, Rounding rounding = Rounding::nearest) {
  return StaffingRule{.role = "community_worker",
                      .rule = StaffingRuleKind::per_10k_residents,
                      .per_10k = per_10k,
                      .client_service = {},
                      .facility_use = {},
                      .rounding = rounding};
}

StaffingRule fixed_rule(double fixed, Rounding rounding = Rounding::nearest) {
  return StaffingRule{.role = "fixed_role",
                      .rule = StaffingRuleKind::fixed,
                      .client_service = {},
                      .facility_use = {},
                      .fixed = fixed,
                      .rounding = rounding};
}

// Staff in post of a fixed rule with bounds and vacancies (no residents, clients or committee).
int fixed_staff(double fixed, int min, int max, double vacancy_share) {
  StaffingRule r = fixed_rule(fixed);
  r.min = min;
  r.max = max;
  r.vacancy_share = vacancy_share;
  return staff_count(r, 0, 0, false, Committees{});
}

StaffingRule per_client_rule(double clients_per_staff, Rounding rounding = Rounding::nearest) {
  return StaffingRule{.role = "care_worker",
                      .rule = StaffingRuleKind::per_client,
                      .client_service = "elderly_care",
                      .clients_per_staff = clients_per_staff,
                      .facility_use = {},
                      .rounding = rounding};
}

const Committees kNoCommittees{};

}  // namespace

// ---------------------------------------------------------------- N1.1 / N1.3 size bands

TEST_CASE("N1.1/N1.3 size band by households, boundaries 999/1000 and 5000/5001", "[norms]") {
  const Sizing sizing;  // micro_below 1000, oversized_above 5000
  auto [households, band] = GENERATE(table<int64_t, SizeBand>({
      {0, SizeBand::micro},
      {1, SizeBand::micro},
      {999, SizeBand::micro},
      {1000, SizeBand::normal},
      {1999, SizeBand::normal},
      {2000, SizeBand::normal},
      {3500, SizeBand::normal},  // N1.2 preferred size
      {4000, SizeBand::normal},
      {4001, SizeBand::normal},
      {5000, SizeBand::normal},
      {5001, SizeBand::oversized},
      {20000, SizeBand::oversized},
  }));
  CAPTURE(households);
  CHECK(size_band(households, sizing) == band);
}

TEST_CASE("size band thresholds come from the Sizing policy", "[norms]") {
  Sizing sizing;
  sizing.micro_below = 500;
  sizing.oversized_above = 8000;
  CHECK(size_band(499, sizing) == SizeBand::micro);
  CHECK(size_band(500, sizing) == SizeBand::normal);
  CHECK(size_band(999, sizing) == SizeBand::normal);
  CHECK(size_band(5001, sizing) == SizeBand::normal);
  CHECK(size_band(8000, sizing) == SizeBand::normal);
  CHECK(size_band(8001, sizing) == SizeBand::oversized);
}

TEST_CASE("size band names", "[norms]") {
  CHECK(std::string(size_band_name(SizeBand::micro)) == "micro");
  CHECK(std::string(size_band_name(SizeBand::normal)) == "normal");
  CHECK(std::string(size_band_name(SizeBand::oversized)) == "oversized");
}

// ---------------------------------------------------------------- N3.1-N3.4 committees

TEST_CASE("N3.1-N3.4 committees by households (Xi'an defaults)", "[norms]") {
  const CommitteePolicy policy;
  // households, residents' committee (N3.2), party (N3.1), cross-appointed (N3.3), total (N3.4)
  auto [households, residents, party, cross, total] = GENERATE(table<int64_t, int, int, int, int>({
      {1, 5, 3, 2, 6},  // ceil(0.6 x 3) = 2
      {999, 5, 3, 2, 6},
      {1000, 5, 3, 2, 6},
      {1999, 5, 3, 2, 6},
      {2000, 7, 5, 3, 9},  // ceil(0.6 x 5) = 3
      {3500, 7, 5, 3, 9},
      {4000, 7, 5, 3, 9},
      {4001, 9, 5, 3, 11},  // 9 + 5 - 3 = 11: exactly the cap
      {5000, 9, 5, 3, 11},
      {5001, 9, 5, 3, 11},
      {20000, 9, 5, 3, 11},
  }));
  CAPTURE(households);
  const Committees c = committees(households, policy);
  CHECK(c.residents == residents);
  CHECK(c.party == party);
  CHECK(c.cross_appointed == cross);
  CHECK(c.total_people == total);
  CHECK(c.total_people <= policy.cap_total);
}

TEST_CASE("N3.3/N3.4: 9 + 5 with 60 % cross-appointment gives cross 3 and total 11", "[norms]") {
  CommitteePolicy policy;
  REQUIRE(policy.large == 9);
  REQUIRE(policy.party_large == 5);
  REQUIRE(policy.cross_appointment_share == 0.6);
  REQUIRE(policy.cap_total == 11);
  const Committees c = committees(4500, policy);
  CHECK(c.residents == 9);
  CHECK(c.party == 5);
  CHECK(c.cross_appointed == 3);
  CHECK(c.total_people == 11);
}

TEST_CASE("N3.4: committees never exceed 11 people for any household count 1..20000", "[norms]") {
  const CommitteePolicy policy;
  int worst = 0;
  for (int64_t households = 1; households <= 20000; ++households) {
    const Committees c = committees(households, policy);
    worst = std::max(worst, c.total_people);
    const int overlap = std::min(c.residents, c.party);
    // N3.3 at least 60 % of the smaller body (exactly: 10 x cross >= 6 x overlap).
    const bool ok = c.total_people <= policy.cap_total && c.cross_appointed <= overlap &&
                    10 * c.cross_appointed >= 6 * overlap &&
                    c.total_people == c.residents + c.party - c.cross_appointed;
    if (!ok) {
      CAPTURE(households, c.residents, c.party, c.cross_appointed, c.total_people);
      FAIL("committee invariant violated");
    }
  }
  CHECK(worst == 11);
}

TEST_CASE("N3.3: cross-appointment is the exact ceiling of share x smaller body", "[norms]") {
  // For share p/100 and a smaller body of n people the minimum cross-appointment is
  // ceil(p n / 100) = (p n + 99) / 100 in integers; std::ceil(p / 100.0 * n) is wrong for 13 of
  // these pairs, e.g. 0.28 x 25 = 7.000000000000001 and 0.55 x 100 = 55.00000000000001.
  CommitteePolicy policy;
  policy.cap_total = 1000;  // no cap interference
  std::string wrong;  // "n x p/100" of every pair whose count is not the exact ceiling
  for (int n = 0; n <= 100; ++n) {
    policy.small = policy.party_small = n;
    for (int p = 0; p <= 100; ++p) {
      policy.cross_appointment_share = p / 100.0;
      if (committees(100, policy).cross_appointed != (p * n + 99) / 100)
        wrong += " " + std::to_string(n) + "x" + std::to_string(p) + "/100";
    }
  }
  CHECK(wrong.empty());
}

TEST_CASE("N3.3: cross-appointment ceiling where floating point overshoots", "[norms]") {
  CommitteePolicy policy;
  policy.small = 25;
  policy.party_small = 25;
  policy.cap_total = 1000;
  auto [share, expected] = GENERATE(table<double, int>({
      {0.28, 7},   // 0.28 * 25 == 7.000000000000001
      {0.56, 14},  // 0.56 * 25 == 14.000000000000002
      {0.6, 15},
      {0.61, 16},
  }));
  policy.cross_appointment_share = share;
  CAPTURE(share);
  CHECK(committees(1, policy).cross_appointed == expected);
}

TEST_CASE("N3.4: cap handling raises cross-appointment, then shrinks the party", "[norms]") {
  CommitteePolicy policy;
  // households, cap, party_large, party_small -> residents, party, cross, total
  auto [households, cap, party_large, party_small, residents, party, cross, total] =
      GENERATE(table<int64_t, int, int, int, int, int, int, int>({
          // 9 + 5, cap 10: cross raised from 3 to 4
          {4500, 10, 5, 3, 9, 5, 4, 10},
          // 9 + 5, cap 9: full cross-appointment (party inside the residents' committee)
          {4500, 9, 5, 3, 9, 5, 5, 9},
          // 7 + 5, cap 8: cross 4
          {3000, 8, 5, 3, 7, 5, 4, 8},
          // 9 + 12, cap 11: full cross gives 12 > 11 -> party shrinks to 11
          {4500, 11, 12, 3, 9, 11, 9, 11},
          // 7 + 12, cap 11, party_small 10: party shrinks to 11 (above its floor)
          {3000, 11, 12, 10, 7, 11, 7, 11},
          // 7 + 8, cap 5: residents' committee alone exceeds the cap; the party shrinks to 7
          // (no further: below the residents' committee it would not lower the total)
          {3000, 5, 8, 6, 7, 7, 7, 7},
          // 9 + 5, cap 8: residents' committee alone exceeds the cap; party is not shrunk
          {4500, 8, 5, 3, 9, 5, 5, 9},
      }));
  policy.cap_total = cap;
  policy.party_large = party_large;
  policy.party_small = party_small;
  CAPTURE(households, cap, party_large, party_small);
  const Committees c = committees(households, policy);
  CHECK(c.residents == residents);
  CHECK(c.party == party);
  CHECK(c.cross_appointed == cross);
  CHECK(c.total_people == total);
  CHECK(c.total_people == c.residents + c.party - c.cross_appointed);
  CHECK(c.cross_appointed <= std::min(c.residents, c.party));
}

TEST_CASE("N3.4: the party is never shrunk below party_small", "[norms]") {
  CommitteePolicy policy{.medium = 3, .party_small = 6, .party_large = 8, .cap_total = 5};
  const Committees c = committees(3000, policy);  // 3 + 8: full cross gives 8 > 5
  CHECK(c.residents == 3);
  CHECK(c.party == 6);  // floor, cap unreachable: the policy is inconsistent
  CHECK(c.cross_appointed == 3);
  CHECK(c.total_people == 6);
  policy.party_small = 4;
  const Committees d = committees(3000, policy);
  CHECK(d.party == 5);  // shrinks to the cap
  CHECK(d.total_people == 5);
}

TEST_CASE("N3.4: cap is met whenever shrinking the party within its floor allows it", "[norms]") {
  // Property over a grid of policies: total <= cap unless max(residents, party_small) > cap.
  CommitteePolicy policy;
  for (int cap = 1; cap <= 14; ++cap)
    for (int pl = 1; pl <= 14; ++pl)
      for (int ps = 1; ps <= pl; ++ps)
        for (int64_t hh : {1500, 3000, 4500}) {
          policy.cap_total = cap;
          policy.party_large = pl;
          policy.party_small = ps;
          const Committees c = committees(hh, policy);
          const int party_floor = hh < policy.party_large_from_households ? ps : std::min(ps, pl);
          const bool reachable = std::max(c.residents, party_floor) <= cap;
          const bool ok = (!reachable || c.total_people <= cap) && c.party >= party_floor &&
                          c.total_people == c.residents + c.party - c.cross_appointed &&
                          10 * c.cross_appointed >= 6 * std::min(c.residents, c.party);
          if (!ok) {
            CAPTURE(cap, pl, ps, hh, c.residents, c.party, c.cross_appointed, c.total_people);
            FAIL("cap handling invariant violated");
          }
        }
  SUCCEED();
}

TEST_CASE("N3.1/N3.2 thresholds come from the committee policy", "[norms]") {
  const CommitteePolicy policy{
      .small_households_below = 1500, .large_households_above = 3000, .party_large_from_households = 2500, .cap_total = 100};
  CHECK(committees(1499, policy).residents == 5);
  CHECK(committees(1500, policy).residents == 7);
  CHECK(committees(3000, policy).residents == 7);
  CHECK(committees(3001, policy).residents == 9);
  CHECK(committees(2499, policy).party == 3);
  CHECK(committees(2500, policy).party == 5);
}

// ---------------------------------------------------------------- N3.5 staffing, N1.4, rounding

TEST_CASE("N3.5: community workers 18 per 10,000 residents, by rounding", "[norms]") {
  auto [residents, rounding, expected] = GENERATE(table<double, Rounding, int>({
      {10000, Rounding::nearest, 18},  // headline: exactly 18
      {10000, Rounding::up, 18},
      {10000, Rounding::down, 18},
      {5000, Rounding::nearest, 9},
      {15000, Rounding::nearest, 27},
      {2500, Rounding::nearest, 5},  // 4.5: half up
      {2500, Rounding::up, 5},
      {2500, Rounding::down, 4},
      {2499, Rounding::nearest, 4},  // 4.4982
      {2499, Rounding::up, 5},
      {1, Rounding::nearest, 0},
      {1, Rounding::up, 1},
      {1, Rounding::down, 0},
      {0, Rounding::nearest, 0},
      {0, Rounding::up, 0},
      {-100, Rounding::up, 0},  // nonsense input: no staff, never negative
  }));
  CAPTURE(residents, static_cast<int>(rounding));
  CHECK(staff_count(per_10k_rule(18, rounding), residents, 0, false, kNoCommittees) == expected);
}

TEST_CASE("rounding is robust against binary floating-point error", "[norms]") {
  // Each case is a value whose exact result is an integer or a half but whose double is a few ulps
  // off; naive std::ceil / std::floor / floor(x + 0.5) get every one of them wrong.
  SECTION("per 10k, up: 12,500 x 17.6 / 10,000 == 22.000000000000004") {
    CHECK(staff_count(per_10k_rule(17.6, Rounding::up), 12500, 0, false, kNoCommittees) == 22);
  }
  SECTION("per 10k, down: 12,500 x 18.4 / 10,000 == 22.999999999999996") {
    CHECK(staff_count(per_10k_rule(18.4, Rounding::down), 12500, 0, false, kNoCommittees) == 23);
  }
  SECTION("per 10k, nearest: 12,500 x 9.2 / 10,000 == 11.499999999999998 is a half") {
    CHECK(staff_count(per_10k_rule(9.2), 12500, 0, false, kNoCommittees) == 12);
  }
  SECTION("per client, down: 0.3 / 0.1 == 2.9999999999999996") {
    CHECK(staff_count(per_client_rule(0.1, Rounding::down), 0, 0.3, false, kNoCommittees) == 3);
  }
  SECTION("oversized, up: 25 x 1.12 == 28.000000000000004") {
    StaffingRule r = fixed_rule(25, Rounding::up);
    r.oversized_extra_share = 0.12;
    CHECK(staff_count(r, 0, 0, true, kNoCommittees) == 28);
  }
  SECTION("oversized, down: 25 x 1.16 == 28.999999999999996") {
    StaffingRule r = fixed_rule(25, Rounding::down);
    r.oversized_extra_share = 0.16;
    CHECK(staff_count(r, 0, 0, true, kNoCommittees) == 29);
  }
  SECTION("vacancies: 50 x 0.58 == 28.999999999999996 vacant posts") {
    StaffingRule r = fixed_rule(50);
    r.vacancy_share = 0.58;
    CHECK(staff_count(r, 0, 0, false, kNoCommittees) == 21);
  }
}

TEST_CASE("nearest rounds half up", "[norms]") {
  auto [fixed, expected] = GENERATE(table<double, int>({
      {0.5, 1}, {1.5, 2}, {2.5, 3}, {3.49, 3}, {3.5, 4}, {17.5, 18}, {0.0, 0}}));
  CAPTURE(fixed);
  CHECK(staff_count(fixed_rule(fixed), 0, 0, false, kNoCommittees) == expected);
}

TEST_CASE("per-client, fixed and committee rules", "[norms]") {
  SECTION("per client") {
    auto [clients, per_staff, rounding, expected] = GENERATE(table<double, double, Rounding, int>({
        {25, 5, Rounding::nearest, 5},
        {26, 5, Rounding::nearest, 5},
        {26, 5, Rounding::up, 6},
        {27.5, 5, Rounding::nearest, 6},  // 5.5 half up
        {0, 5, Rounding::up, 0},
        {25, 0, Rounding::up, 0},   // clients_per_staff <= 0: no staff
        {25, -3, Rounding::up, 0},
    }));
    CAPTURE(clients, per_staff);
    CHECK(staff_count(per_client_rule(per_staff, rounding), 10000, clients, false, kNoCommittees) ==
          expected);
  }
  SECTION("fixed ignores residents and clients") {
    CHECK(staff_count(fixed_rule(3), 0, 0, false, kNoCommittees) == 3);
    CHECK(staff_count(fixed_rule(3), 50000, 999, false, kNoCommittees) == 3);
  }
  SECTION("committee counts the distinct committee members") {
    const StaffingRule r{
        .role = "committee", .rule = StaffingRuleKind::committee, .client_service = {}, .facility_use = {}};
    const CommitteePolicy policy;
    CHECK(staff_count(r, 0, 0, false, committees(1500, policy)) == 6);
    CHECK(staff_count(r, 0, 0, false, committees(3500, policy)) == 9);
    CHECK(staff_count(r, 0, 0, false, committees(4500, policy)) == 11);
  }
}

TEST_CASE("N1.4: oversized communities get extra staff", "[norms]") {
  auto [extra, oversized, expected] = GENERATE(table<double, bool, int>({
      {0.0, false, 18},
      {0.0, true, 18},   // no extra configured
      {0.2, false, 18},  // extra only when oversized
      {0.2, true, 22},   // 21.6 -> 22
      {0.25, true, 23},  // 22.5 -> 23 (half up)
      {0.5, true, 27},
  }));
  StaffingRule r = per_10k_rule(18);
  r.oversized_extra_share = extra;
  CAPTURE(extra, oversized);
  CHECK(staff_count(r, 10000, 0, oversized, kNoCommittees) == expected);
}

TEST_CASE("min/max clamps after rounding", "[norms]") {
  auto [fixed, min, max, expected] = GENERATE(table<double, int, int, int>({
      {0, 1, 100, 1},
      {0.4, 1, 100, 1},  // rounds to 0, clamped up to 1
      {3, 1, 100, 3},
      {50, 0, 20, 20},
      {20.4, 0, 20, 20},
      {20.6, 0, 20, 20},
      {5, 5, 5, 5},
      {5, 8, 6, 6},  // inconsistent bounds: max wins
  }));
  CAPTURE(fixed, min, max);
  CHECK(fixed_staff(fixed, min, max, 0.0) == expected);
}

TEST_CASE("vacancies: posts left unfilled, rounded down, after clamps", "[norms]") {
  auto [fixed, min, vacancy, expected] = GENERATE(table<double, int, double, int>({
      {18, 0, 0.0, 18},
      {18, 0, 0.1, 17},   // floor(1.8) = 1
      {10, 0, 0.3, 7},    // 3 vacant
      {10, 0, 0.7, 3},    // 7 vacant
      {50, 0, 0.58, 21},  // 50 x 0.58 = 28.999999999999996 -> 29 vacant
      {20, 0, 0.05, 19},  // exactly 1
      {10, 0, 0.29, 8},   // floor(2.9) = 2
      {3, 0, 0.2, 3},     // floor(0.6) = 0
      {0, 5, 0.2, 4},     // clamp to 5 first, then 1 vacancy
      {18, 0, 1.0, 0},
      {18, 0, -0.5, 18},  // nonsense share: no vacancies
      {18, 0, 2.0, 0},    // nonsense share: all vacant, never negative
  }));
  CAPTURE(fixed, min, vacancy);
  CHECK(fixed_staff(fixed, min, StaffingRule{}.max, vacancy) == expected);
}

// ---------------------------------------------------------------- N2 facility

TEST_CASE("N2.1/N2.3 indoor facility area", "[norms]") {
  const FacilityPolicy policy;  // 30 m2 / 100 hh, 600 m2 for new < 2000 hh
  auto [households, is_new, m2] = GENERATE(table<int64_t, bool, double>({
      {3500, false, 1050.0},  // headline
      {3500, true, 1050.0},
      {1500, true, 600.0},  // N2.3 applies
      {1500, false, 450.0},
      {999, true, 600.0},
      {999, false, 299.7},
      {1000, true, 600.0},
      {1000, false, 300.0},
      {1999, true, 600.0},
      {1999, false, 599.7},
      {2000, true, 600.0},  // N2.3 no longer applies; N2.1 gives exactly 600
      {2000, false, 600.0},
      {4000, false, 1200.0},
      {4001, false, 1200.3},
      {5000, false, 1500.0},
      {5001, true, 1500.3},
      {0, false, 0.0},
  }));
  CAPTURE(households, is_new);
  CHECK(facility_indoor_m2(households, is_new, policy) == Approx(m2).margin(1e-9));
}

TEST_CASE("N2.1-N2.4 follow the facility policy", "[norms]") {
  FacilityPolicy policy;
  CHECK(facility_outdoor_m2(policy) == 1000.0);                            // N2.2
  CHECK(facility_activity_m2(1050.0, policy) == Approx(630.0));            // N2.4: 60 %
  CHECK(facility_activity_m2(600.0, policy) == Approx(360.0));
  policy.m2_per_100_households = 40;
  policy.small_minimum_m2 = 800;
  policy.small_below_households = 3000;
  policy.outdoor_minimum_m2 = 1500;
  policy.activity_share_min = 0.7;
  CHECK(facility_indoor_m2(2500, true, policy) == Approx(1000.0));
  CHECK(facility_indoor_m2(1500, true, policy) == Approx(800.0));
  CHECK(facility_indoor_m2(1500, false, policy) == Approx(600.0));
  CHECK(facility_indoor_m2(3000, true, policy) == Approx(1200.0));
  CHECK(facility_outdoor_m2(policy) == 1500.0);
  CHECK(facility_activity_m2(1000.0, policy) == Approx(700.0));
}

// ---------------------------------------------------------------- N5.3 funds

TEST_CASE("N5.3 operating funds: urban 250,000 yuan, county 200,000 yuan", "[norms]") {
  const Funding funding;
  auto [kind, city, district, total] = GENERATE(table<DistrictKind, double, double, double>({
      {DistrictKind::urban, 130000.0, 120000.0, 250000.0},
      {DistrictKind::county, 130000.0, 70000.0, 200000.0},
  }));
  const OperatingFunds f = operating_funds(kind, funding);
  CHECK(f.city_yuan == city);
  CHECK(f.district_yuan == district);
  CHECK(f.total() == total);
}

// ---------------------------------------------------------------- all together

TEST_CASE("headline: 3,500 households, 10,000 residents", "[norms]") {
  const Scenario scenario;  // struct defaults = Xi'an values; no staffing rules -> 18 / 10,000
  const NormRequirement r = norm_requirement(3500, 10000, false, DistrictKind::urban, scenario);
  CHECK(r.households == 3500);
  CHECK(r.residents == 10000);
  CHECK(r.band == SizeBand::normal);
  CHECK(r.community_workers == 18);
  CHECK(r.committees.residents == 7);
  CHECK(r.committees.party == 5);
  CHECK(r.committees.total_people <= 11);
  CHECK(r.facility_area_m2 >= 1050.0);
  CHECK(r.facility_area_m2 == Approx(1050.0));
  CHECK(r.outdoor_area_m2 >= 1000.0);
  CHECK(r.activity_area_m2 == Approx(630.0));
  CHECK(r.funds.total() == 250000.0);
}

TEST_CASE("norm_requirement across the size bands (defaults)", "[norms]") {
  const Scenario scenario;
  // households, residents, band, workers, committee residents, party, total
  auto [households, residents, band, workers, cres, party, total] =
      GENERATE(table<int64_t, int64_t, SizeBand, int, int, int, int>({
          {999, 2800, SizeBand::micro, 5, 5, 3, 6},        // 5.04
          {1000, 2860, SizeBand::normal, 5, 5, 3, 6},      // 5.148
          {1999, 5700, SizeBand::normal, 10, 5, 3, 6},     // 10.26
          {2000, 5720, SizeBand::normal, 10, 7, 5, 9},     // 10.296
          {4000, 11440, SizeBand::normal, 21, 7, 5, 9},    // 20.592
          {4001, 11440, SizeBand::normal, 21, 9, 5, 11},
          {5000, 14300, SizeBand::normal, 26, 9, 5, 11},   // 25.74
          {5001, 14300, SizeBand::oversized, 26, 9, 5, 11},  // default extra share 0
      }));
  CAPTURE(households, residents);
  const NormRequirement r = norm_requirement(households, residents, false, DistrictKind::county, scenario);
  CHECK(r.band == band);
  CHECK(r.community_workers == workers);
  CHECK(r.committees.residents == cres);
  CHECK(r.committees.party == party);
  CHECK(r.committees.total_people == total);
  CHECK(r.funds.total() == 200000.0);
}

TEST_CASE("norm_requirement derives residents from the household-size distribution", "[norms]") {
  Scenario scenario;
  SECTION("mean household size from the shares (last bin counted as its size)") {
    scenario.population.household_size_shares = {0.2, 0.3, 0.3, 0.2};  // mean 2.5
    const NormRequirement r = norm_requirement(1000, 0, false, DistrictKind::urban, scenario);
    CHECK(r.residents == 2500);
    CHECK(r.community_workers == 5);  // 4.5 -> 5
    const NormRequirement neg = norm_requirement(1000, -1, false, DistrictKind::urban, scenario);
    CHECK(neg.residents == 2500);
  }
  SECTION("rounded to nearest") {
    scenario.population.household_size_shares = {0.25, 0.25, 0.25, 0.25};  // mean 2.5
    CHECK(norm_requirement(3, 0, false, DistrictKind::urban, scenario).residents == 8);  // 7.5 up
    scenario.population.household_size_shares = {0.3, 0.7};  // mean 1.7
    CHECK(norm_requirement(3, 0, false, DistrictKind::urban, scenario).residents == 5);  // 5.1
  }
  SECTION("no distribution: the N1.2 ratio 10,000 / 3,500") {
    const NormRequirement r = norm_requirement(3500, 0, false, DistrictKind::urban, scenario);
    CHECK(r.residents == 10000);
    CHECK(r.community_workers == 18);
  }
  SECTION("explicit residents win") {
    scenario.population.household_size_shares = {0.2, 0.3, 0.3, 0.2};
    CHECK(norm_requirement(1000, 3000, false, DistrictKind::urban, scenario).residents == 3000);
  }
}

TEST_CASE("norm_requirement uses the scenario's community_worker rule", "[norms]") {
  Scenario scenario;
  const StaffingRule other{.role = "care_worker",
                           .rule = StaffingRuleKind::fixed,
                           .client_service = {},
                           .facility_use = {},
                           .fixed = 99};
  StaffingRule cw = per_10k_rule(20);
  cw.oversized_extra_share = 0.25;
  scenario.staffing.rules = {other, cw};
  SECTION("normal band: no oversized extra") {
    const NormRequirement r = norm_requirement(5000, 20000, false, DistrictKind::urban, scenario);
    CHECK(r.band == SizeBand::normal);
    CHECK(r.community_workers == 40);
  }
  SECTION("oversized band: extra applies") {
    const NormRequirement r = norm_requirement(6000, 20000, false, DistrictKind::urban, scenario);
    CHECK(r.band == SizeBand::oversized);
    CHECK(r.community_workers == 50);
  }
  SECTION("other policies of the scenario flow through") {
    scenario.facility.m2_per_100_households = 40;
    scenario.funding.city_per_community_yuan = 100000;
    scenario.staffing.committee.cap_total = 9;
    const NormRequirement r = norm_requirement(1500, 4500, true, DistrictKind::urban, scenario);
    CHECK(r.facility_area_m2 == Approx(600.0));  // 1500 x 40 / 100 = 600, N2.3 600
    CHECK(r.funds.total() == 220000.0);
    CHECK(r.committees.total_people == 6);
    CHECK(r.community_workers == 9);  // 4500 x 20 / 10,000
    const NormRequirement big = norm_requirement(4500, 13000, false, DistrictKind::urban, scenario);
    CHECK(big.committees.total_people == 9);
  }
}
