// Argument parsing, the progress bar, and the summary table / JSON of `commsim run`.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <sstream>

#include "sim/cli/cli.hpp"
#include "sim/core/error.hpp"
#include "sim/scenario/yaml_quote.hpp"
#include "sim/io/summary_json.hpp"
#include "sim/metrics/statistics.hpp"
#include "sim/norms/norms.hpp"

namespace commsim::cli {

std::string Args::get(const std::string& name, const std::string& fallback) const {
  const auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

double Args::number(const std::string& name, double fallback) const {
  const auto it = options.find(name);
  if (it == options.end()) return fallback;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || !std::isfinite(v))
    throw InputError(SourcePos{"command line", 0, 0}, "--" + name, "'" + it->second + "' is not a number");
  return v;
}

long long Args::integer(const std::string& name, long long fallback) const {
  const auto it = options.find(name);
  if (it == options.end()) return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0')
    throw InputError(SourcePos{"command line", 0, 0}, "--" + name, "'" + it->second + "' is not an integer");
  return v;
}

Args parse_args(const std::vector<std::string>& argv, const std::vector<std::string>& value_options,
                const std::vector<std::string>& flags, const std::string& command) {
  Args a;
  auto allowed = [&] {
    std::string s;
    for (const auto& o : value_options) s += (s.empty() ? "--" : ", --") + o;
    for (const auto& f : flags) s += (s.empty() ? "--" : ", --") + f;
    return s;
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (arg.size() > 1 && arg[0] == '-') {
      std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
      std::string value;
      bool inline_value = false;
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      if (name == "o") name = "output";
      if (name == "h") name = "help";
      const bool takes_value = std::find(value_options.begin(), value_options.end(), name) != value_options.end();
      const bool is_flag = std::find(flags.begin(), flags.end(), name) != flags.end() || name == "help";
      if (!takes_value && !is_flag)
        throw InputError(SourcePos{"command line", 0, 0}, arg,
                         "unknown option for 'commsim " + command + "'; allowed: " + allowed());
      if (takes_value && !inline_value) {
        if (i + 1 >= argv.size())
          throw InputError(SourcePos{"command line", 0, 0}, arg, "needs a value");
        value = argv[++i];
      }
      if (name == "set") a.sets.push_back(value);
      else a.options[name] = takes_value ? value : "1";
      if (name == "lever") a.levers.push_back(value);  // repeated (commsim pareto)
      // --norms FILE: the scenario's `norms` key, a path from the working directory (docs/norms.md).
      if (name == "norms")
        a.sets.push_back("norms=" + scenario_detail::yaml_quote(std::filesystem::absolute(value).lexically_normal().string()));
    } else {
      a.positional.push_back(arg);
    }
  }
  return a;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// ---------------------------------------------------------------- progress
struct Progress::Impl {
  std::string label;
  bool tty = false;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::mutex mutex;
  double last_draw = -1;
  bool drawn = false;
};

Progress::Progress(std::string label) : impl_(new Impl) {
  impl_->label = std::move(label);
  impl_->tty = isatty(STDERR_FILENO) != 0;
}

Progress::~Progress() {
  finish();
  delete impl_;
}

void Progress::update(double fraction) {
  if (!impl_->tty) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - impl_->start).count();
  if (elapsed < 1.0) return;  // only runs longer than a second get a bar
  std::unique_lock<std::mutex> lock(impl_->mutex, std::try_to_lock);
  if (!lock.owns_lock() || elapsed - impl_->last_draw < 0.1) return;
  impl_->last_draw = elapsed;
  const int width = 30;
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * width);
  const double left = fraction > 0.01 ? elapsed * (1.0 - fraction) / fraction : 0.0;
  std::fprintf(stderr, "\r%s [%.*s%*s] %5.1f%%  %.0fs elapsed, ~%.0fs left ", impl_->label.c_str(), filled,
               "##############################", width - filled, "", 100.0 * fraction, elapsed, left);
  std::fflush(stderr);
  impl_->drawn = true;
}

void Progress::finish() {
  if (impl_->drawn) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    impl_->drawn = false;
  }
}

namespace {

std::string duration_text(double s) {
  char buf[32];
  if (s < 90) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 5400) std::snprintf(buf, sizeof buf, "%.0fm", s / 60);
  else std::snprintf(buf, sizeof buf, "%.1fh", s / 3600);
  return buf;
}

}  // namespace

RunProgress::RunProgress(std::string label) : label_(std::move(label)), tty_(isatty(STDERR_FILENO) != 0) {
  if (const char* env = std::getenv(kProgressSecondsEnv)) interval_s_ = std::max(0.0, std::atof(env));
}

RunProgress::~RunProgress() { finish(); }

void RunProgress::update(int done, int total, int skipped) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (!tty_) {  // a sparse line of its own: files and pipes get no carriage returns
    if (done == 0 || elapsed - last_line_s_ < interval_s_) return;
    last_line_s_ = elapsed;
    std::fprintf(stderr, "%s: [%d/%d runs%s, %.0f s]\n", label_.c_str(), done, total,
                 skipped ? (", " + std::to_string(skipped) + " resumed").c_str() : "", elapsed);
    std::fflush(stderr);
    return;
  }
  const int fresh = done - skipped;
  const double rate = elapsed > 0 && fresh > 0 ? fresh / elapsed : 0;
  std::fprintf(stderr, "\r\033[K%s: %d/%d runs", label_.c_str(), done, total);
  if (skipped) std::fprintf(stderr, " (%d resumed)", skipped);
  if (rate > 0)
    std::fprintf(stderr, ", %.2f runs/s, %s elapsed, ~%s left", rate, duration_text(elapsed).c_str(),
                 duration_text((total - done) / rate).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void RunProgress::finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

// ---------------------------------------------------------------- summary
namespace {

// Mean and 95 % half-width over replicates of one citywide figure.
template <class F>
MeanCI over(const std::vector<RunResult>& runs, size_t index, F field) {
  std::vector<double> v;
  for (const auto& r : runs) v.push_back(field(r.citywide[index]));
  return mean_ci(v);
}

}  // namespace

void print_summary_table(std::FILE* out, const Scenario& sc, const std::vector<RunResult>& runs) {
  if (runs.empty()) return;
  const RunResult& first = runs.front();
  std::fprintf(out, "\ncommsim: %s — %zu communities, %lld households, %lld residents, %d days, seed %llu, %zu replicate%s\n",
               sc.name.c_str(), first.communities.size(), static_cast<long long>(first.households),
               static_cast<long long>(first.residents), first.days, static_cast<unsigned long long>(first.seed),
               runs.size(), runs.size() == 1 ? "" : "s (mean ± 95% CI)");
  // Waits in the serving role's working minutes (censored waits of unserved requests included) and
  // unmet service hours: the measures that keep moving when coverage saturates (docs/workforce.md).
  std::fprintf(out, "\n%-22s %-9s %11s %11s %9s %10s %9s %9s %8s %6s\n", "service", "kind", "demand", "served",
               "coverage", "unmet", "mean wait", "p90 wait", "<target", "gini");
  std::fprintf(out, "%-22s %-9s %11s %11s %9s %10s %10s %10s %8s %6s\n", "", "", "", "", "", "(hours)", "(work min)",
               "(work min)", "(comm.)", "");
  bool heavy_tail = false;  // a mean working-minute wait above its p90 (footnote below)
  for (size_t s = 0; s < first.citywide.size(); ++s) {
    const auto cov = over(runs, s, [](const CitywideService& c) { return c.coverage; });
    const auto demand = over(runs, s, [](const CitywideService& c) { return static_cast<double>(c.demand); });
    const auto served = over(runs, s, [](const CitywideService& c) { return static_cast<double>(c.served); });
    const auto unmet = over(runs, s, [](const CitywideService& c) { return c.unmet_hours; });
    const auto wait = over(runs, s, [](const CitywideService& c) { return c.mean_wait_working_min; });
    const auto p90 = over(runs, s, [](const CitywideService& c) { return c.p90_wait_working_min; });
    const auto below = over(runs, s, [](const CitywideService& c) { return c.share_communities_below_target; });
    const auto gini = over(runs, s, [](const CitywideService& c) { return c.gini; });
    const bool enrol = first.citywide[s].kind == "enrolment";
    heavy_tail = heavy_tail || (!enrol && wait.mean > p90.mean);
    char cov_text[32];
    if (runs.size() > 1) std::snprintf(cov_text, sizeof cov_text, "%.1f±%.1f%%", 100 * cov.mean, 100 * cov.half_width);
    else std::snprintf(cov_text, sizeof cov_text, "%.1f%%", 100 * cov.mean);
    std::fprintf(out, "%-22s %-9s %11.0f %11.0f %9s %10.0f %10s %10s %7.1f%% %6.3f\n", first.citywide[s].name.c_str(),
                 first.citywide[s].kind.c_str(), demand.mean, served.mean, cov_text, unmet.mean,
                 enrol ? "-" : json_number(std::round(wait.mean * 10) / 10).c_str(),
                 enrol ? "-" : json_number(std::round(p90.mean * 10) / 10).c_str(), 100 * below.mean, gini.mean);
  }
  std::fprintf(out, "  (enrolment services count person-days: demand = wanting, served = enrolled; clock-minute waits\n"
                    "   of served requests are in --summary-json and the output file)\n");
  if (heavy_tail)
    std::fprintf(out, "  (a mean wait above its p90: a heavy tail; under 1 request in 10 waits that long, the longest the\n"
                      "   censored waits of expired and still-waiting requests, counted to the deadline or the run's end)\n");
  std::fprintf(out, "\n%-20s %8s %9s %12s %10s %10s %10s %8s %8s\n", "role", "staff", "FTE", "utilisation", "overtime",
               "available", "overhead", "travel", "WISN");
  std::fprintf(out, "%-20s %8s %9s %12s %10s %10s %10s %8s %8s\n", "", "", "", "", "(h/FTE/yr)", "(h/yr)", "", "", "");
  for (size_t r = 0; r < first.citywide_roles.size(); ++r) {
    const CitywideRole& cr = first.citywide_roles[r];
    std::fprintf(out, "%-20s %8d %9.1f %11.1f%% %10.1f %10.0f %9.1f%% %7.1f%% %8.2f\n", cr.name.c_str(), cr.staff,
                 cr.staff_fte, 100 * cr.utilisation, cr.overtime_hours_per_worker, cr.available_hours_per_worker,
                 100 * cr.overhead_share, 100 * cr.travel_share, cr.wisn_pressure);
  }
  if (first.years.size() > 1) {
    // Multi-year runs: the demand shift of the changing population, year by year.
    std::fprintf(out, "\n%-6s %12s", "year", "residents");
    for (const auto& c : first.citywide) std::fprintf(out, " %*.*s", 13, 13, c.name.c_str());
    std::fprintf(out, "\n");
    for (size_t y = 0; y < first.years.size(); ++y) {
      std::fprintf(out, "%-6zu %12.0f", y + 1, first.years[y].residents);
      for (uint64_t d : first.years[y].demand) std::fprintf(out, " %13llu", static_cast<unsigned long long>(d));
      std::fprintf(out, "\n");
    }
    std::fprintf(out, "  (demand per year: requests; enrolment services: wanting person-days)\n");
  }
  std::fprintf(out, "\ncost: %.1f M yuan (city %.1f M, district %.1f M); %.0f yuan per resident; %.1f yuan per served request\n",
               first.cost_total_yuan / 1e6, first.cost_city_yuan / 1e6, first.cost_district_yuan / 1e6,
               first.cost_per_resident_yuan, first.cost_per_served_yuan);
  if (first.facility_shortfall_m2 > 0)  // issue 24: facilities short of the norm's indoor area
    std::fprintf(out, "facility: %.0f m2 short of the norm; capital to the norm %.1f M yuan\n", first.facility_shortfall_m2,
                 first.cost_facility_upgrade_yuan / 1e6);
  size_t oversized = 0, micro = 0, facility_ok = 0, workers_ok = 0;
  for (const auto& c : first.communities) {
    oversized += c.oversized;
    micro += c.micro;
    facility_ok += c.facility_ok;
    workers_ok += c.workers_ok;
  }
  std::fprintf(out, "access: %.1f%% of households within %.0f minutes of their facility (N1.5)\n", 100 * first.access_share,
               sc.travel.access_minutes);
  std::fprintf(out, "norms: %zu oversized, %zu micro communities (N1); facility compliant %zu/%zu (N2); community workers at norm %zu/%zu (N3.5)\n",
               oversized, micro, facility_ok, first.communities.size(), workers_ok, first.communities.size());
  std::fprintf(out, "norms: judged against %s (%s)%s\n", sc.norms.name.c_str(), norm_figures_text(sc.norms).c_str(),
               sc.norms_file.empty() ? "" : "; its figures are this run's rules");
}

}  // namespace commsim::cli
