// Demand: yearly totals equal configured rate x eligible population within 3 standard errors;
// common random numbers across staffing and across restructuring; deadlines on open days.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <tuple>

#include "sim/demand/demand.hpp"
#include "sim/engine/city.hpp"
#include "tests/support.hpp"

using namespace commsim;

namespace {

struct Year {
  Scenario sc;
  std::vector<CompiledService> services;
  Residents res;
  Calendar cal;
};

std::unique_ptr<Year> one_year(uint64_t seed) {
  auto y = std::make_unique<Year>();
  y->sc = test::synthetic_city();
  y->services = compile_services(y->sc);
  const PopulationModel model(y->sc.population);
  generate_households(model, y->sc.population, seed, 0, 0, 20000, 0, 0, 3.0, y->res);
  DemandScratch scratch;
  generate_requests(y->services, y->res, DemandContext{seed, 0, 0, 0, 365, {}}, y->cal, scratch);
  return y;
}

}  // namespace

TEST_CASE("yearly demand equals rate x eligible population within 3 standard errors", "[demand]") {
  const auto y = one_year(11);
  std::vector<uint64_t> count(y->services.size(), 0);
  for (const auto& q : y->cal.requests) ++count[q.service];
  for (const auto& s : y->services) {
    const Service& spec = *s.spec;
    if (s.kind == ServiceKind::enrolment) continue;
    double expected = 0;
    if (s.kind == ServiceKind::episodic) {
      if (spec.unit == ServiceUnit::household) {
        for (size_t h = 0; h < y->res.households(); ++h) expected += eligible_household(s, y->res, h) ? spec.rate_per_year : 0;
      } else {
        for (size_t r = 0; r < y->res.size(); ++r)
          if (eligible(s, y->res, r))
            expected += s.rate_per_year[y->res.age[r]] + ((y->res.traits[r] & trait::chronic) ? spec.chronic_extra_per_year : 0);
      }
      expected *= spec.community_share;  // the rest go elsewhere: thinned Poisson
      // Poisson: variance = mean.
      INFO(spec.name << ": " << count[static_cast<size_t>(s.index)] << " requests, expected " << expected);
      CHECK(std::fabs(static_cast<double>(count[static_cast<size_t>(s.index)]) - expected) <= 3 * std::sqrt(expected));
    } else {
      // Recurring: visits per period x periods within the year (whole visits are exact; the
      // fractional part is Bernoulli per period; periods cut by the year's end lose their tail).
      const double periods = 365.0 / spec.period_days;
      auto units = [&](auto level_of) {
        double e = 0;
        if (spec.unit == ServiceUnit::household) {
          for (size_t h = 0; h < y->res.households(); ++h) e += level_of(h);
        } else {
          for (size_t r = 0; r < y->res.size(); ++r)
            if (eligible(s, y->res, r)) e += spec.visits_per_period[static_cast<size_t>(y->res.dependency(r))];
        }
        return e;
      };
      expected = periods * units([&](size_t h) {
        if (!eligible_household(s, y->res, h)) return 0.0;
        int level = 0;
        for (size_t r = y->res.hh_first[h]; r < y->res.hh_first[h] + y->res.hh_size[h]; ++r)
          if (eligible(s, y->res, r)) level = std::max(level, static_cast<int>(y->res.dependency(r)));
        return spec.visits_per_period[static_cast<size_t>(level)];
      });
      INFO(spec.name << ": " << count[static_cast<size_t>(s.index)] << " visits, expected about " << expected);
      CHECK(static_cast<double>(count[static_cast<size_t>(s.index)]) == Approx(expected).epsilon(0.02));
    }
  }
}

TEST_CASE("arrival days fall on open days, deadlines on open days at or after arrival", "[demand]") {
  const auto y = one_year(12);
  for (const auto& q : y->cal.requests) {
    const auto& s = y->services[q.service];
    const int day = static_cast<int>(q.arrival_min / 1440.0);
    REQUIRE(s.open[static_cast<size_t>(weekday(day))]);
    if (q.deadline_day == INT32_MAX) continue;
    REQUIRE(q.deadline_day >= day);
    if (s.kind == ServiceKind::episodic) {
      // Episodic deadlines count open days (e.g. "within 3 working days").
      REQUIRE(s.open[static_cast<size_t>(weekday(q.deadline_day))]);
      REQUIRE(q.deadline_day == nth_open_day(s.open, day, s.spec->deadline_days));
    } else {
      // Recurring visits are due by the end of their period.
      REQUIRE((q.deadline_day + 1) % s.spec->period_days == 0);
    }
  }
  // 3 working days after a Friday is the next Wednesday.
  CHECK(nth_open_day({true, true, true, true, true, false, false}, 4, 3) == 9);
  CHECK(nth_open_day({true, true, true, true, true, false, false}, 5, 0) == 7);
}

TEST_CASE("a resident's requests do not depend on staffing or on its community (common random numbers)", "[demand][crn]") {
  // The same city under other staffing, and restructured: the multiset of (household id, service,
  // arrival, duration) over the whole city is identical.
  auto requests = [](const Scenario& sc) {
    const auto services = compile_services(sc);
    const auto city = build_city(sc, 0, services);
    std::map<std::tuple<uint64_t, int, double, float>, int> all;
    for (const auto& c : city) {
      Calendar cal;
      DemandScratch scratch;
      generate_requests(services, c.residents, DemandContext{sc.run.seed, 0, 0, 0, sc.run.days, {}}, cal, scratch);
      for (const auto& q : cal.requests) ++all[{c.residents.hh_gid[q.household], q.service, q.arrival_min, q.duration_min}];
    }
    return all;
  };
  const auto base = requests(test::small_city());
  REQUIRE(base.size() > 1000);
  CHECK(requests(test::small_city({"staffing.rules.community_worker.per_10k=10", "staffing.rules.gp.per_10k=2"})) == base);
  CHECK(requests(test::small_city({"sizing.mode=restructure"})) == base);
  CHECK(requests(test::small_city({"sizing.mode=uniform", "sizing.households=2000"})) == base);
  // Another replicate draws other requests.
  CHECK(requests(test::small_city({"run.seed=8"})) != base);
}

TEST_CASE("generated requests come out in the one request order within each day and role", "[demand][order]") {
  const auto y = one_year(13);
  const Calendar& cal = y->cal;
  REQUIRE(cal.requests.size() > 1000);
  for (int day = cal.first_day; day < cal.last_day; ++day)
    for (int role = 0; role < cal.roles; ++role) {
      const Request* q = cal.begin(day, role);
      const size_t n = cal.size(day, role);
      for (size_t i = 0; i < n; ++i) REQUIRE(static_cast<int>(q[i].arrival_min / 1440.0) == day);
      for (size_t i = 1; i < n; ++i) {
        INFO("day " << day << " role " << role << " request " << i);
        REQUIRE_FALSE(request_before(q[i], q[i - 1]));
      }
    }
  // The order itself: arrival, then service, then household; a strict weak order.
  Request a, b;
  a.arrival_min = b.arrival_min = 600;
  a.service = 1;
  b.service = 2;
  CHECK(request_before(a, b));
  CHECK_FALSE(request_before(b, a));
  b.service = 1;
  a.household = 5;
  b.household = 4;
  CHECK(request_before(b, a));
  CHECK_FALSE(request_before(a, a));
  b.arrival_min = 601;
  CHECK(request_before(a, b));
}
