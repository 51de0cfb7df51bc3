// The commands of `commsim`: run, validate, norms, validate-queue.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "commsim/embedded.hpp"
#include "sim/cli/cli.hpp"
#include "sim/core/error.hpp"
#include "sim/calibration/targets.hpp"
#include "sim/engine/city.hpp"
#include "sim/engine/engine.hpp"
#include "sim/io/hdf5_output.hpp"
#include "sim/core/json.hpp"
#include "sim/io/geojson.hpp"
#include "sim/io/summary_json.hpp"
#include "sim/io/text_file.hpp"
#include "sim/norms/norms.hpp"
#include "sim/scenario/norm_set.hpp"
#include "sim/scenario/load.hpp"
#include "sim/study/distributed_run.hpp"
#include "sim/study/queue_check.hpp"
#include "sim/study/runner.hpp"

namespace commsim::cli {

namespace {

// Refuses up front (before a long run) a text output path (--summary-json, --geojson) that
// write_text could not write.
void check_text_target(const std::string& path, const std::string& option = "--summary-json") {
  if (path == "-") return;
  std::error_code ec;
  const std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::string why;
  if (std::filesystem::is_directory(target, ec)) why = path + " is a directory";
  else if (std::filesystem::exists(target, ec) && !std::filesystem::is_regular_file(target, ec))
    why = path + " is not a regular file (the rename would replace it; use - for stdout)";
  else if (!std::filesystem::is_directory(dir, ec)) why = "cannot write " + path + ": directory " + dir.string() + " does not exist";
  else if (::access(dir.c_str(), W_OK | X_OK) != 0) why = "cannot write " + path + ": directory " + dir.string() + " is not writable";
  else if (std::filesystem::exists(path + ".partial", ec) && !std::filesystem::is_regular_file(path + ".partial", ec))
    why = "cannot write " + path + ": " + path + ".partial is in the way";
  if (!why.empty()) throw InputError(SourcePos{"command line", 0, 0}, option, why);
}

const char* kRunHelp =
    "usage: commsim run SCENARIO [-o OUT.h5] [--force] [--threads N] [--seed S] [--set key.path=value]... [--norms FILE]\n"
    "                   [--summary-json FILE|-] [--geojson FILE] [--targets FILE] [--quiet]\n"
    "                   [--uncertainty N [--resume]]\n"
    "\n"
    "Runs every replicate of SCENARIO and prints the summary table (per service: demand, served,\n"
    "coverage, mean and p90 wait; per role: utilisation, overtime, overhead, travel, WISN pressure).\n"
    "  -o, --output OUT.h5   write all results to HDF5 (docs/output-format.md); written to OUT.h5.partial\n"
    "                        and renamed when complete; an existing OUT.h5 is kept unless --force\n"
    "  --threads N           worker threads (default: run.threads, 0 = all cores); results do not depend on it\n"
    "  --seed S              same as --set run.seed=S\n"
    "  --set key.path=value  override any scenario key (YAML value), applied last, in order\n"
    "  --norms FILE          a norm set (scenarios/norms/*.yaml): its figures become the staffing, committee,\n"
    "                        facility and funding rules and compliance is judged against them (= --set norms=FILE)\n"
    "  --summary-json FILE   the summary as JSON (\"-\" = stdout, the table then goes to stderr)\n"
    "  --geojson FILE        the communities as GeoJSON points (plane metres): residents, staff per role,\n"
    "                        coverage and unmet hours a year per service (docs/output-format.md)\n"
    "  --targets FILE        hold the run against observed targets (scenarios/targets/xian.yaml): a table, and\n"
    "                        calibration.targets in --summary-json (docs/calibration.md)\n"
    "  --quiet               no table\n"
    "  --uncertainty N       also run N samples of the parameter registry's ranges (non-lever parameters;\n"
    "                        --set keys held) and report each headline outcome as the point run's value with\n"
    "                        the median and 90% band over the samples; -o then writes the study file\n"
    "                        (docs/sensitivity.md); runs under mpirun; --resume continues it (needs -o)\n";

}  // namespace

// An output path that names a file the scenario reads (the scenario, an `extends` base, a data
// file, the targets file) would destroy that input: refused before anything is opened. Compared by
// filesystem identity, so "./s.yaml", "dir/../s.yaml" and a link all count.
void check_not_an_input(const std::string& option, const std::string& path, const std::vector<std::string>& inputs) {
  if (path.empty() || path == "-") return;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (std::filesystem::equivalent(path, input, ec) && !ec)
      throw InputError(SourcePos{"command line", 0, 0}, option,
                       path + " is an input of this run (" + input +
                           "): writing there would replace it; name another output file");
  }
}

namespace {

// SIGINT / SIGTERM during `run`: the handler only records the signal; the run checks the record after
// every community-year (the progress callback) and stops by exception, which removes OUT.h5.partial.
std::atomic<int> g_stop_signal{0};

extern "C" void record_stop_signal(int signal) { g_stop_signal.store(signal); }

struct Stopped {
  int signal = 0;
};

void throw_if_stopped() {
  if (const int signal = g_stop_signal.load(std::memory_order_relaxed)) throw Stopped{signal};
}

// Installs the handlers for its lifetime (the previous ones are restored).
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal.store(0);
    struct sigaction action {};
    action.sa_handler = record_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// The line `run` prints when a signal stopped it, and its exit status (128 + the signal).
int report_stopped(int signal, const std::string& output) {
  std::string line = std::string("commsim: stopped by ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") +
                     " before the run finished; nothing was written";
  std::error_code ec;
  if (!output.empty())
    line += std::filesystem::exists(output, ec) ? " (the previous " + output + " is intact)"
                                                : " (" + output + " was not created)";
  std::fprintf(stderr, "%s\n", line.c_str());
  return 128 + signal;
}

}  // namespace

// Writes text to path through path.partial and a rename ("-" = stdout): never a half file.
void write_text(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fputs(text.c_str(), stdout);
    return;
  }
  write_text_atomically(path, text, "--summary-json");
}

namespace {
int run_and_report(const Args& a, const std::vector<std::string>& argv, const Scenario& sc, int threads,
                   const TargetSet& targets, const std::shared_ptr<const PreparedInputs>& prepared);
}  // namespace

int cmd_run(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"output", "threads", "seed", "set", "norms", "summary-json", "geojson", "targets", "uncertainty"},
                            {"force", "quiet", "resume"}, "run");
  if (a.has("help")) { std::fputs(kRunHelp, stdout); return 0; }
  if (a.positional.size() != 1)  // one line, like every error (the usage is under --help)
    throw InputError(SourcePos{"command line", 0, 0}, "SCENARIO", "expected one scenario file (commsim run --help)");
  std::vector<std::string> overrides = a.sets;
  if (a.has("seed")) overrides.insert(overrides.begin(), "run.seed=" + a.get("seed"));
  const Scenario sc = load_scenario(a.positional[0], overrides);
  const long long threads = a.integer("threads", 0);
  if (threads < 0 || threads > 1024) throw InputError(SourcePos{"command line", 0, 0}, "--threads", "must be in 0..1024");
  std::vector<std::string> inputs = sc.input_files;
  if (a.has("targets")) inputs.push_back(a.get("targets"));
  check_not_an_input("--output", a.get("output"), inputs);
  check_not_an_input("--summary-json", a.get("summary-json"), inputs);
  check_not_an_input("--geojson", a.get("geojson"), inputs);
  const std::shared_ptr<const PreparedInputs> prepared = prepare_inputs(sc);  // every input file, read once
  check_fits_in_memory(sc, *prepared);
  if (a.has("summary-json")) check_text_target(a.get("summary-json"));
  if (a.has("geojson")) check_text_target(a.get("geojson"), "--geojson");
  if (a.has("geojson") && (a.has("uncertainty") || a.get("geojson") == "-"))
    throw InputError(SourcePos{"command line", 0, 0}, "--geojson",
                     a.has("uncertainty") ? "writes the communities of a plain run: not with --uncertainty"
                                          : "needs a file name (stdout holds the table or the summary JSON)");
  TargetSet targets;
  if (a.has("targets")) {  // checked before the run: a bad targets file costs nothing
    targets = load_targets(a.get("targets"));
    check_targets(targets, sc);
  }
  if (a.has("resume") && !a.has("uncertainty"))
    throw InputError(SourcePos{"command line", 0, 0}, "--resume", "continues an uncertainty run: needs --uncertainty N");
  if (a.has("uncertainty")) {  // the point run and the samples as one study (curve_command.cpp)
    const UncertaintyCommandResult u = run_uncertainty_command(a, argv, overrides);
    if (!u.writer) return 0;
    const std::vector<TargetCheck> checks = a.has("targets") ? check_against(targets, sc, u.point) : std::vector<TargetCheck>{};
    std::FILE* table = a.get("summary-json") == "-" ? stderr : stdout;
    if (!a.has("quiet")) {
      print_summary_table(table, sc, u.point);
      if (!checks.empty()) print_targets_table(table, a.get("targets"), checks);
      std::fputs(u.text.c_str(), table);
      if (!u.output.empty()) std::fprintf(table, "output: %s\n", u.output.c_str());
    }
    if (a.has("summary-json")) {
      Json json = Json::parse(summary_json(sc, u.point, checks));
      json["uncertainty"] = Json::parse(u.json);
      write_text(a.get("summary-json"), json_text(json));
    }
    return 0;
  }
  return run_and_report(a, argv, sc, static_cast<int>(threads), targets, prepared);
}

namespace {

int run_and_report(const Args& a, const std::vector<std::string>& argv, const Scenario& sc, int threads,
                   const TargetSet& targets, const std::shared_ptr<const PreparedInputs>& prepared) {
  const StopSignals stop_signals;
  std::unique_ptr<Hdf5Output> output;
  std::vector<std::string> changes;
  std::vector<RunResult> runs;
  // Under mpirun the ranks divide the city and rank 0 alone writes and reports (distributed_run.hpp).
  const bool root = study_writer();
  RunFileFacts facts;
  try {
    if (a.has("output") && root) output = std::make_unique<Hdf5Output>(a.get("output"), a.has("force"));
    Progress progress("commsim run " + sc.name);
    RunOptions options;
    options.threads = threads;
    options.prepared = prepared;
    options.progress = [&progress](double f) {
      throw_if_stopped();
      progress.update(f);
    };
    options.changes = &changes;
    if (!root) options.progress = nullptr;
    const auto start = std::chrono::steady_clock::now();
    DistributedRuns done = run_scenario_over_ranks(sc, options);
    if (!done.root) return 0;
    runs = std::move(done.runs);
    facts = RunFileFacts{done.ranks, threads > 0 ? threads : sc.run.threads, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
    progress.finish();
    throw_if_stopped();
  } catch (const Stopped& stopped) {
    output.reset();  // removes OUT.h5.partial
    return report_stopped(stopped.signal, a.get("output"));
  }

  if (output) write_run_output(*output, sc, runs, command_line_text("run", argv), &facts);
  const std::vector<TargetCheck> checks = a.has("targets") ? check_against(targets, sc, runs) : std::vector<TargetCheck>{};
  const bool json_to_stdout = a.get("summary-json") == "-";
  if (!a.has("quiet")) {
    std::FILE* table = json_to_stdout ? stderr : stdout;
    print_summary_table(table, sc, runs);
    if (!changes.empty()) {
      std::fprintf(table, "restructuring: %zu change%s", changes.size(), changes.size() == 1 ? "" : "s");
      for (size_t i = 0; i < changes.size() && i < 5; ++i) std::fprintf(table, "%s %s", i ? ";" : ":", changes[i].c_str());
      std::fprintf(table, "%s\n", changes.size() > 5 ? "; ... (all in the HDF5 output, communities/origin)" : "");
    }
    if (!checks.empty()) print_targets_table(table, a.get("targets"), checks);
    if (output) std::fprintf(table, "output: %s\n", output->path().c_str());
  }
  if (a.has("summary-json")) write_text(a.get("summary-json"), summary_json(sc, runs, checks));
  if (a.has("geojson"))  // longitude and latitude where the communities came with them
    write_text_atomically(a.get("geojson"), communities_geojson(runs, communities_file_origin(sc.city.communities_file)),
                          "--geojson");
  return 0;
}

}  // namespace

namespace {

// The facilities short of the norm's indoor area (issue 24) and the capital that brings them up to it.
void print_facility_shortfall(const Scenario& sc, const std::vector<Community>& city) {
  size_t short_n = 0;
  double missing_m2 = 0;
  for (const auto& c : city) {
    const double gap = std::max(0.0, c.info.required_indoor_m2 - c.info.facility_indoor_m2);
    short_n += gap > 0;
    missing_m2 += gap;
  }
  std::printf("  facility short of the norm's indoor area: %zu communities, %.0f m2 missing; capital to the norm "
              "%.0f yuan at %.0f yuan/m2\n", short_n, missing_m2, missing_m2 * sc.facility.capital_cost_yuan_per_m2,
              sc.facility.capital_cost_yuan_per_m2);
}

}  // namespace

int cmd_validate(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"set", "norms"}, {"all"}, "validate");
  if (!a.has("help") && a.positional.size() != 1)  // one line, like every error (the usage is under --help)
    throw InputError(SourcePos{"command line", 0, 0}, "SCENARIO", "expected one scenario file (commsim validate --help)");
  if (a.has("help")) {
    std::fputs("usage: commsim validate SCENARIO [--set key.path=value]... [--norms FILE] [--all]\n"
               "\nChecks every key of SCENARIO (errors name file:line:column and the key), builds its city,\n"
               "and prints the norm compliance of its communities (N1 size, N2 facility, N3 committees and\n"
               "community workers) against the scenario's norm set (--norms FILE: scenarios/norms/*.yaml; without\n"
               "one, NORMS.md's Xi'an figures). --all lists every community, not only those out of compliance.\n",
               stdout);
    return 0;
  }
  const Scenario sc = load_scenario(a.positional[0], a.sets);
  const std::shared_ptr<const PreparedInputs> prepared = prepare_inputs(sc);
  check_fits_in_memory(sc, *prepared);
  const auto services = compile_services(sc);
  std::vector<std::string> changes;
  const std::vector<Community> city = build_city(sc, *prepared, 0, services, &changes);
  std::printf("%s: valid scenario '%s' (%zu services, %zu roles, %d days)\n", a.positional[0].c_str(), sc.name.c_str(),
              sc.services.size(), sc.staffing.roles.size(), sc.run.days);
  size_t size_ok = 0, facility_ok = 0, activity_ok = 0, committee_ok = 0, workers_ok = 0;
  for (const auto& c : city) {
    size_ok += c.info.size_ok;
    facility_ok += c.info.facility_ok;
    activity_ok += c.info.activity_ok;
    committee_ok += c.info.committee_ok;
    workers_ok += c.info.workers_ok;
  }
  const size_t n = city.size();
  // Against the norms' own figures (the norm set: NORMS.md's without one), not the scenario's policies.
  const NormSet& norms = sc.norms;
  std::printf("\nnorm compliance of %zu communities (%s: %s):\n", n, norms.name.c_str(), norm_figures_text(norms).c_str());
  std::printf("  N1   size within %lld-%lld households      %zu/%zu\n", static_cast<long long>(norms.size.micro_below),
              static_cast<long long>(norms.size.oversized_above), size_ok, n);
  std::printf("  N2   facility indoor and outdoor area     %zu/%zu\n", facility_ok, n);
  std::printf("  N2.4 activity share >= %.0f%%               %zu/%zu\n", 100 * norms.facility.activity_share_min, activity_ok, n);
  std::printf("  N3.4 committees within %d people          %zu/%zu\n", norms.committee.cap_total, committee_ok, n);
  std::printf("  N3.5 community workers at the set's rule  %zu/%zu\n", workers_ok, n);
  print_facility_shortfall(sc, city);
  std::printf("\n%s %s %10s %9s %5s %5s %8s %10s %s\n", padded("community", 14).c_str(), padded("district", 12).c_str(),
              "households", "residents", "RC", "party", "workers", "indoor m2", "issues");
  size_t listed = 0;
  for (const auto& c : city) {
    std::string issues;
    if (!c.info.size_ok) issues += c.info.oversized ? "oversized(N1.3) " : "micro(N1.3) ";
    if (!c.info.facility_ok) issues += "facility(N2) ";
    if (!c.info.activity_ok) issues += "activity(N2.4) ";
    if (!c.info.committee_ok) issues += "committee(N3.4) ";
    if (!c.info.workers_ok) issues += "workers(N3.5) ";
    if (issues.empty() && !a.has("all")) continue;
    if (!a.has("all") && listed == 20) { std::printf("... (--all lists every community)\n"); break; }
    ++listed;
    const int cw = sc.role_index("community_worker");
    std::printf("%s %s %10lld %9lld %5d %5d %8d %10.0f %s\n", padded(c.info.name, 14).c_str(), padded(c.info.district, 12).c_str(),
                static_cast<long long>(c.info.households), static_cast<long long>(c.info.residents),
                c.info.committee_residents, c.info.committee_party, cw >= 0 ? c.info.staff[static_cast<size_t>(cw)] : 0,
                c.info.facility_indoor_m2, issues.empty() ? "ok" : issues.c_str());
  }
  for (const auto& ch : changes) std::printf("sizing: %s\n", ch.c_str());
  return 0;
}

// Columns a text takes in a terminal: UTF-8 code points, East Asian wide and fullwidth ones
// (Chinese, Japanese, Korean, fullwidth forms) two columns, combining marks none.
size_t display_width(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    uint32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (size_t k = 1; k < n && i + k < text.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    i += n;
    if (cp >= 0x300 && cp < 0x370) continue;  // combining diacritical marks
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
                      (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
    width += wide ? 2 : 1;
  }
  return width;
}

// `text` followed by spaces to `columns` display columns (never cut): printf's %-14s counts bytes,
// which misaligns UTF-8 names (a Chinese character is 3 bytes and 2 columns).
std::string padded(const std::string& text, size_t columns) {
  const size_t width = display_width(text);
  return width >= columns ? text : text + std::string(columns - width, ' ');
}

const char* const kNormsUsage =
    "usage: commsim norms --households H [--residents R] [--new] [--county] [--json]\n"
    "                     [--scenario FILE [--set key.path=value]...] [--norms NORMSET]\n"
    "       commsim norms --norms NORMSET          (the set's figures, sources and requirements by size)\n"
    "\nPrints what the norms (NORMS.md; policies of FILE if given, else the Xi'an 2023 defaults; with\n"
    "--norms, the norm set's figures: scenarios/norms/*.yaml, docs/norms.md) require of a community of H\n"
    "households: size band (N1), committees (N3.1-N3.4), community workers (N3.5, N1.4; a norm set's\n"
    "count, committee members included), facility indoor/outdoor/activity area (N2), operating funds (N5.3).\n"
    "Residents default to H x the mean household size (the scenario's household sizes; without\n"
    "--scenario, the N1.2 ratio of 10,000 residents to 3,500 households).\n";

namespace {

void print_requirement_json(const NormRequirement& req) {
  Json j;
  j["households"] = req.households;
  j["residents"] = req.residents;
  j["size_band"] = size_band_name(req.band);
  j["residents_committee"] = req.committees.residents;
  j["party_committee"] = req.committees.party;
  j["cross_appointed"] = req.committees.cross_appointed;
  j["committee_people"] = req.committees.total_people;
  j["community_workers"] = req.community_workers;
  j["facility_area_m2"] = json_value(req.facility_area_m2);
  j["outdoor_area_m2"] = json_value(req.outdoor_area_m2);
  j["activity_area_m2"] = json_value(req.activity_area_m2);
  j["operating_funds_city_yuan"] = json_value(req.funds.city_yuan);
  j["operating_funds_district_yuan"] = json_value(req.funds.district_yuan);
  std::fputs(json_text(j, -1).c_str(), stdout);
}

void print_requirement(const NormRequirement& req, bool is_new, bool county, int cap_total) {
  std::printf("A community of %lld households and %lld residents (%s%s):\n", static_cast<long long>(req.households),
              static_cast<long long>(req.residents), size_band_name(req.band), is_new ? ", newly built" : "");
  std::printf("  size band (N1.1, N1.3)                %s\n", size_band_name(req.band));
  std::printf("  residents' committee (N3.2)           %d members\n", req.committees.residents);
  std::printf("  party organisation (N3.1)             %d members\n", req.committees.party);
  std::printf("  cross-appointed (N3.3, >= 60%%)        %d people\n", req.committees.cross_appointed);
  std::printf("  both committees (N3.4, <= %d)          %d people\n", cap_total, req.committees.total_people);
  std::printf("  community workers (N3.5%s)       %d\n", req.band == SizeBand::oversized ? ", N1.4" : "", req.community_workers);
  std::printf("  facility indoor area (N2.1, N2.3)     >= %.0f m2\n", req.facility_area_m2);
  std::printf("  outdoor activity square (N2.2)        >= %.0f m2\n", req.outdoor_area_m2);
  std::printf("  residents' activity area (N2.4)       >= %.0f m2\n", req.activity_area_m2);
  std::printf("  operating funds a year (N5.3)         %.0f yuan (city %.0f + %s %.0f)\n", req.funds.total(),
              req.funds.city_yuan, county ? "county" : "district", req.funds.district_yuan);
}

// `commsim norms --norms FILE` without --households: the set's figures with their sources, and
// what it requires of communities of several sizes.
void print_norm_set(const NormSet& set, const Scenario& sc) {
  std::printf("%s: %s (source %s)\n  %s\n", set.name.c_str(), set.title.c_str(), set.source.c_str(),
              norm_figures_text(set).c_str());
  const auto section = [](const char* what, bool given, const std::string& source, const std::string& note) {
    std::printf("  %-18s %s%s%s\n", what, given ? ("source " + source).c_str() : "not set (the scenario's rule stays)",
                note.empty() ? "" : ": ", note.c_str());
  };
  section("community workers", set.community_workers.given, set.community_workers.source, set.community_workers.note);
  section("committee", set.committee.given, set.committee.source, set.committee.note);
  section("facility", set.facility.given, set.facility.source, set.facility.note);
  section("funding", set.funding.given, set.funding.source, set.funding.note);
  section("size", set.size.given, set.size.source, set.size.note);
  std::printf("\n%10s %9s %9s %10s %8s %10s %10s %12s\n", "households", "residents", "band", "committee", "workers",
              "per 10k", "indoor m2", "funds yuan");
  for (const int64_t households : {500, 1000, 2000, 3500, 5000, 8000}) {
    const NormRequirement r = norm_set_requirement(households, 0, false, DistrictKind::urban, set, sc);
    std::printf("%10lld %9lld %9s %10d %8d %10.1f %10.0f %12.0f\n", static_cast<long long>(households),
                static_cast<long long>(r.residents), size_band_name(r.band), r.committees.total_people, r.community_workers,
                r.residents > 0 ? 1e4 * r.community_workers / static_cast<double>(r.residents) : 0.0, r.facility_area_m2,
                r.funds.total());
  }
  std::printf("(community workers: as the set counts them, committee members included; residents at the mean household size)\n");
}

}  // namespace

int cmd_norms(const std::vector<std::string>& argv) {
  const Args a = parse_args(argv, {"households", "residents", "scenario", "set", "norms"}, {"new", "county", "json"}, "norms");
  if (const auto status = usage_exit(a, !a.has("households") && !a.has("norms"), kNormsUsage)) return *status;
  const long long households = a.integer("households", 1);
  const long long residents = a.integer("residents", 0);
  if (households < 1 || households > 1000000)
    throw InputError(SourcePos{"command line", 0, 0}, "--households", "must be an integer in 1..1000000");
  if (residents < 0 || residents > 100000000)
    throw InputError(SourcePos{"command line", 0, 0}, "--residents", "must be an integer in 0..100000000");
  // Without a scenario: the Xi'an 2023 policies, which are the policy structs' defaults
  // (sim/scenario/scenario.hpp) and norm_requirement's own (the N3.5 community-worker rule, the N1.2
  // mean household size).
  Scenario sc = a.has("scenario") ? load_scenario(a.get("scenario"), a.sets) : Scenario{};
  if (a.has("norms") && !a.has("scenario")) sc.norms = read_norm_set(std::filesystem::absolute(a.get("norms")).string());
  const bool county = a.has("county");
  if (a.has("norms") && !a.has("households")) {
    print_norm_set(sc.norms, sc);
    return 0;
  }
  const DistrictKind kind = county ? DistrictKind::county : DistrictKind::urban;
  const NormRequirement req = a.has("norms") ? norm_set_requirement(households, residents, a.has("new"), kind, sc.norms, sc)
                                             : norm_requirement(households, residents, a.has("new"), kind, sc);
  if (a.has("json")) print_requirement_json(req);
  else print_requirement(req, a.has("new"), county, a.has("norms") ? sc.norms.committee.cap_total : sc.staffing.committee.cap_total);
  return 0;
}

int cmd_validate_queue(const std::vector<std::string>& argv) {
  // In-process time, from here to the result (scenario loading and city building included,
  // process start-up and dynamic loading excluded): bench/peers/compare.sh sets it against the
  // SimPy peer's in-process time.
  const auto wall0 = std::chrono::steady_clock::now();
  const std::clock_t cpu0 = std::clock();
  const Args a = parse_args(argv, {"arrivals-per-hour", "service-minutes", "servers", "days", "replicates", "seed", "set", "threads"},
                            {"json"}, "validate-queue");
  if (a.has("help")) {
    std::fputs("usage: commsim validate-queue --arrivals-per-hour L --service-minutes S --servers C\n"
               "                              [--days D] [--replicates R] [--seed X] [--threads N] [--json]\n"
               "\nRuns the shipped M/M/c validation scenario (scenarios/validation/mmc.yaml) through the normal\n"
               "loader and engine, and prints the simulated mean wait, P(wait > 0) and utilisation with 95%\n"
               "confidence half-widths over replicates next to the Erlang-C values. Replicates run in\n"
               "parallel on N threads (default 0 = all cores); results do not depend on N. --json adds the\n"
               "in-process wall and CPU seconds (bench/peers/compare.sh).\n",
               stdout);
    return 0;
  }
  const long long threads = a.integer("threads", 0);
  if (threads < 0 || threads > 1024) throw InputError(SourcePos{"command line", 0, 0}, "--threads", "must be in 0..1024");
  std::vector<std::string> overrides;
  if (a.has("arrivals-per-hour")) overrides.push_back("services.queue.rate_per_hour=" + a.get("arrivals-per-hour"));
  if (a.has("service-minutes")) overrides.push_back("services.queue.service_minutes=" + a.get("service-minutes"));
  if (a.has("servers")) overrides.push_back("staffing.rules.server.fixed=" + a.get("servers"));
  if (a.has("days")) overrides.push_back("run.days=" + a.get("days"));
  if (a.has("replicates")) overrides.push_back("run.replicates=" + a.get("replicates"));
  if (a.has("seed")) overrides.push_back("run.seed=" + a.get("seed"));
  for (const auto& s : a.sets) overrides.push_back(s);
  const Scenario sc = load_scenario_text(kMmcScenarioYaml, "scenarios/validation/mmc.yaml", ".", overrides);
  const QueueCheck q = run_queue_check(sc, 0.95, static_cast<int>(threads));
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const double cpu_s = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  if (!q.exact.stable)
    std::fprintf(stderr, "commsim: note: utilisation %.3f >= 1: the queue is unstable, Erlang C has no steady state\n",
                 q.exact.utilisation);
  if (a.has("json")) {
    Json j;
    j["arrivals_per_hour"] = json_value(q.arrivals_per_hour);
    j["service_minutes"] = json_value(q.service_minutes);
    j["servers"] = q.servers;
    j["days"] = q.days;
    j["replicates"] = q.replicates;
    j["seed"] = sc.run.seed;
    auto with_ci = [&j](const char* key, const MeanCI& m) {
      j[key] = json_value(m.mean);
      j[std::string(key) + "_ci95"] = json_value(m.half_width);
    };
    with_ci("mean_wait_min", q.mean_wait_min);
    with_ci("p_wait", q.p_wait);
    with_ci("utilisation", q.utilisation);
    j["erlang_c_mean_wait_min"] = json_value(q.exact.mean_wait_min);
    j["erlang_c_p_wait"] = json_value(q.exact.p_wait);
    j["erlang_c_utilisation"] = json_value(q.exact.utilisation);
    j["littles_law_L"] = json_value(q.littles_l);
    j["littles_law_lambda_W"] = json_value(q.littles_lambda_w);
    j["threads"] = threads;
    j["wall_seconds"] = json_value(wall_s);
    j["cpu_seconds"] = json_value(cpu_s);
    std::fputs(json_text(j, -1).c_str(), stdout);
    return 0;
  }
  std::printf("M/M/%d queue: lambda = %g per hour, mean service %g min, %d days x %d replicates\n\n", q.servers,
              q.arrivals_per_hour, q.service_minutes, q.days, q.replicates);
  std::printf("%-14s %22s %14s\n", "", "simulated (95% CI)", "Erlang C");
  std::printf("%-14s %12.4f ± %-7.4f %14.4f\n", "mean wait min", q.mean_wait_min.mean, q.mean_wait_min.half_width, q.exact.mean_wait_min);
  std::printf("%-14s %12.4f ± %-7.4f %14.4f\n", "P(wait > 0)", q.p_wait.mean, q.p_wait.half_width, q.exact.p_wait);
  std::printf("%-14s %12.4f ± %-7.4f %14.4f\n", "utilisation", q.utilisation.mean, q.utilisation.half_width, q.exact.utilisation);
  std::printf("\nLittle's law (replicate 0): L = %.4f, lambda W = %.4f\n", q.littles_l, q.littles_lambda_w);
  std::printf("%d replicates in %.2f s (%.2f s CPU)\n", q.replicates, wall_s, cpu_s);
  return 0;
}

}  // namespace commsim::cli
