// Working time: the clock counts shift minutes on working days only (weekends and public holidays
// off), and the WISN available working time nets out holidays, leave, sick leave and training.
#include <catch2/catch.hpp>

#include "sim/metrics/working_time.hpp"

using namespace commsim;

TEST_CASE("working clock: shift minutes on working days, nothing on weekends and holidays", "[service][working-time]") {
  WorkPattern p;
  p.shift_start_minute = 510;  // 08:30
  p.shift_minutes = 480;
  p.days_per_week = 5;
  p.holidays = {2};  // Wednesday of week 0
  const WorkingClock clock(p, 28);
  CHECK(clock.minutes_until(0) == 0);
  CHECK(clock.minutes_until(510) == 0);                      // Monday 08:30
  CHECK(clock.minutes_until(510 + 60) == 60);                // Monday 09:30
  CHECK(clock.minutes_until(1440) == 480);                   // Tuesday 00:00: Monday's shift
  CHECK(clock.minutes_until(2 * 1440 + 600) == 960);         // Wednesday is a holiday
  CHECK(clock.minutes_until(3 * 1440 + 510 + 30) == 990);    // Thursday 09:00
  // Friday 17:00 to Monday 09:30: Friday's shift ended at 16:30, so only Monday 08:30-09:30 counts.
  const double friday_17 = 4 * 1440 + 17 * 60, monday_0930 = 7 * 1440 + 9.5 * 60;
  CHECK(clock.between(friday_17, monday_0930) == 60);
  CHECK(clock.between(0, 7 * 1440) == 4 * 480);              // a week with a holiday: 4 days
  CHECK(clock.between(7 * 1440, 14 * 1440) == 5 * 480);
  CHECK_FALSE(clock.working_day(5));
  CHECK(clock.working_day(365 + 3));
  CHECK_FALSE(clock.working_day(365 + 2));                   // the holiday repeats every 365 days
  // Past the run (plus a year) the clock stops: censored waits stay finite.
  CHECK(clock.minutes_until(1e9) == clock.minutes_until(1e8));
}

TEST_CASE("WISN available working time nets out holidays, leave, sick leave and training", "[service][working-time]") {
  WorkPattern p;
  p.shift_minutes = 480;
  p.days_per_week = 5;
  for (int h = 0; h < 13; ++h) p.holidays.push_back(h * 20);  // 13 public holidays (2024 revision)
  // 260 working days - 13 x 5/7 holidays on weekdays - 5 leave - 5 sick - 4 training.
  const AvailableWorkingTime awt = available_working_time(p, 5, 5, 4);
  CHECK(awt.working_days == Approx(260 - 13 * 5.0 / 7 - 14));
  CHECK(awt.hours == Approx(awt.working_days * 8));
  CHECK(leave_absence_share(p, 5, 5, 4) == Approx(14 / (260 - 13 * 5.0 / 7)));
}
