// Working time (issue 14): the clock of a role's working minutes — shift hours on working days,
// public holidays off — so that waits can be counted in the serving role's working minutes (a
// request that arrives on Friday evening and is served on Monday morning has waited minutes, not a
// weekend), and the available working time (AWT) of the WHO WISN method: working days a year net
// of public holidays, annual leave, sick leave and training days, times the hours of a day.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace commsim {

// A role's working pattern. Day 0 of a run is a Monday; `holidays` are days of the year 0..364
// (repeated every 365 days) on which the role does not work.
struct WorkPattern {
  double shift_start_minute = 510;  // 08:30
  double shift_minutes = 480;       // one day's contracted minutes
  int days_per_week = 5;            // Monday..: working weekdays
  std::vector<int> holidays;        // days of the year off (public holidays), when observed
};

// Working minutes elapsed since the run start, in O(1) per query after an O(days) set-up.
class WorkingClock {
 public:
  WorkingClock() = default;
  WorkingClock(const WorkPattern& pattern, int days);
  // Working minutes in [0, t), t in absolute minutes since the run start (t may exceed the run).
  // Inline: the queue asks it twice for every request it serves.
  double minutes_until(double t) const {
    if (!(t > 0)) return 0.0;
    const int day = static_cast<int>(t / 1440.0);  // t > 0: truncation is floor
    const int last = static_cast<int>(before_.size()) - 1;
    if (day >= last) return before_.back();
    double minutes = before_[static_cast<size_t>(day)];
    if (working_[static_cast<size_t>(day)]) {  // working_day(day), looked up
      const double into = t - day * 1440.0 - pattern_.shift_start_minute;
      minutes += into < 0 ? 0.0 : (into > pattern_.shift_minutes ? pattern_.shift_minutes : into);
    }
    return minutes;
  }
  // Working minutes in [from, to).
  double between(double from, double to) const { return minutes_until(to) - minutes_until(from); }
  bool working_day(int day) const {
    return day >= 0 && day % 7 < pattern_.days_per_week && !off_[static_cast<size_t>(day % 365)];
  }
  double minutes_per_working_day() const { return pattern_.shift_minutes; }

 private:
  WorkPattern pattern_;
  std::vector<uint8_t> off_;              // per day of the year: a holiday
  std::vector<double> before_;            // working minutes before day d (d = 0..days)
  std::vector<uint8_t> working_;          // working_day(d) for the days before_ counts
  int days_ = 0;
};

// Available working time per worker per year (WISN AWT), in days and hours: working days a year
// (days_per_week x 52) minus public holidays on working days, annual leave, sick leave and
// training days, times the hours of a day.
struct AvailableWorkingTime {
  double working_days = 0;  // after every deduction
  double hours = 0;
};
AvailableWorkingTime available_working_time(const WorkPattern& pattern, double annual_leave_days,
                                            double sick_days, double training_days);

// The share of a worker's working days lost to annual leave, sick leave and training: the daily
// absence probability that takes those days off on average.
double leave_absence_share(const WorkPattern& pattern, double annual_leave_days, double sick_days,
                           double training_days);

// A role's working pattern from the scenario: its shift, working weekdays and, unless it works
// them, the staffing's public holidays.
WorkPattern work_pattern(const Role& role, const Staffing& staffing);

// Working days of a role in a year: working weekdays less public holidays that fall on them
// (before leave, sickness and training).
double working_days_per_year(const WorkPattern& pattern);

// The units of an activity's driver in a community.
double activity_units(ActivityDriver driver, double households, double residents, double workers);

// A role's support activities (WISN) in a community, hours a year: each activity's time standard
// times its driver's units, plus the role's fixed overhead (hours a community-week x 52).
double support_hours_per_year(const Role& role, double households, double residents, double workers);

}  // namespace commsim
