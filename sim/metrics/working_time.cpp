// Working time (working_time.hpp).
#include "sim/metrics/working_time.hpp"

#include <algorithm>
#include <cmath>

namespace commsim {

WorkingClock::WorkingClock(const WorkPattern& pattern, int days) : pattern_(pattern), days_(std::max(0, days)) {
  off_.assign(365, 0);
  for (int h : pattern_.holidays)
    if (h >= 0 && h < 365) off_[static_cast<size_t>(h)] = 1;
  // One more year than the run: requests waiting at the end are censored after it.
  const int span = days_ + 366;
  before_.assign(static_cast<size_t>(span) + 1, 0.0);
  working_.assign(static_cast<size_t>(span), 0);
  for (int d = 0; d < span; ++d) {
    working_[static_cast<size_t>(d)] = working_day(d) ? 1 : 0;
    before_[static_cast<size_t>(d) + 1] = before_[static_cast<size_t>(d)] + (working_day(d) ? pattern_.shift_minutes : 0.0);
  }
}

namespace {

// Public holidays that fall on working weekdays, per year (the holidays repeat every 365 days;
// averaged over the 7 weekday alignments of a year).
double holidays_on_working_days(const WorkPattern& p) {
  return static_cast<double>(std::count_if(p.holidays.begin(), p.holidays.end(),
                                           [](int h) { return h >= 0 && h < 365; })) *
         std::min(7, p.days_per_week) / 7.0;
}

}  // namespace

AvailableWorkingTime available_working_time(const WorkPattern& p, double annual_leave_days, double sick_days,
                                            double training_days) {
  AvailableWorkingTime awt;
  const double days = working_days_per_year(p);
  awt.working_days = std::max(0.0, days - annual_leave_days - sick_days - training_days);
  awt.hours = awt.working_days * p.shift_minutes / 60.0;
  return awt;
}

WorkPattern work_pattern(const Role& role, const Staffing& staffing) {
  WorkPattern p;
  p.shift_start_minute = role.shift_start_minute;
  p.days_per_week = role.days_per_week;
  p.shift_minutes = role.hours_per_week * 60.0 / std::max(1, role.days_per_week);
  if (!role.works_public_holidays)
    for (double d : staffing.public_holidays) p.holidays.push_back(static_cast<int>(d));
  return p;
}

double working_days_per_year(const WorkPattern& p) { return p.days_per_week * 52.0 - holidays_on_working_days(p); }

double activity_units(ActivityDriver driver, double households, double residents, double workers) {
  switch (driver) {
    case ActivityDriver::per_worker: return workers;
    case ActivityDriver::per_household: return households;
    case ActivityDriver::per_resident: return residents;
    case ActivityDriver::per_community: return 1.0;
    case ActivityDriver::per_worker_pair: return workers * std::max(0.0, workers - 1.0);
  }
  return 0.0;
}

double support_hours_per_year(const Role& role, double households, double residents, double workers) {
  double hours = role.overhead_hours_per_week * 52.0;
  for (const RoleActivity& a : role.activities) hours += a.hours_per_year * activity_units(a.driver, households, residents, workers);
  return hours;
}

double leave_absence_share(const WorkPattern& p, double annual_leave_days, double sick_days, double training_days) {
  const double days = working_days_per_year(p);
  if (!(days > 0)) return 0.0;
  return std::clamp((annual_leave_days + sick_days + training_days) / days, 0.0, 1.0);
}

}  // namespace commsim
