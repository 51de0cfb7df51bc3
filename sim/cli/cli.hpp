// The `commsim` program: argument parsing and printing only. Each command is a function
// taking its arguments; errors in input are InputError (exit 2), failures RuntimeFailure (exit 1).
#pragma once
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/io/summary_json.hpp"
#include "sim/metrics/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim::cli {

// Parsed command line of one command: options (--name value / --flag), repeated --set, positionals.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::vector<std::string> sets;
  std::vector<std::string> levers;  // repeated --lever (commsim pareto)
  bool has(const std::string& name) const { return options.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  double number(const std::string& name, double fallback) const;
  long long integer(const std::string& name, long long fallback) const;
};

// `value_options` take a value; `flags` do not. Unknown options are InputError naming the allowed ones.
Args parse_args(const std::vector<std::string>& argv, const std::vector<std::string>& value_options,
                const std::vector<std::string>& flags, const std::string& command);

// "a,b,,c" -> {a, b, c}: a comma-separated list of names (--outcomes, --objectives).
std::vector<std::string> split_commas(const std::string& text);

// For commands that print their usage when arguments are missing: with --help, the usage on stdout
// and exit status 0; when `incomplete`, on stderr and 2; otherwise nullopt (go on).
inline std::optional<int> usage_exit(const Args& a, bool incomplete, const char* usage) {
  if (!a.has("help") && !incomplete) return std::nullopt;
  std::fputs(usage, a.has("help") ? stdout : stderr);
  return a.has("help") ? 0 : 2;
}

// "commsim COMMAND ARG...": the command line as written into output files.
inline std::string command_line_text(const std::string& command, const std::vector<std::string>& argv) {
  std::string s = "commsim " + command;
  for (const auto& a : argv) s += " " + a;
  return s;
}

int cmd_run(const std::vector<std::string>& argv);
int cmd_validate(const std::vector<std::string>& argv);
int cmd_norms(const std::vector<std::string>& argv);
int cmd_cities(const std::vector<std::string>& argv);
int cmd_communities(const std::vector<std::string>& argv);  // communities_command.cpp
int cmd_regions(const std::vector<std::string>& argv);      // regions_command.cpp
// Refuses (InputError, `option`) an output path that is one of `inputs` (commands.cpp).
void check_not_an_input(const std::string& option, const std::string& path, const std::vector<std::string>& inputs);
int cmd_validate_queue(const std::vector<std::string>& argv);
// Experiments (sim/cli/study_commands.cpp, docs/studies.md).
int cmd_study(const std::vector<std::string>& argv);
int cmd_optimize(const std::vector<std::string>& argv);
int cmd_replay(const std::vector<std::string>& argv);
int cmd_curve(const std::vector<std::string>& argv);     // curve_command.cpp (docs/curves.md)
int cmd_headroom(const std::vector<std::string>& argv);  // curve_command.cpp
int cmd_findings(const std::vector<std::string>& argv);  // findings_command.cpp (docs/findings.md)
int cmd_allocate(const std::vector<std::string>& argv);  // plan_commands.cpp (docs/planning.md)
int cmd_pareto(const std::vector<std::string>& argv);    // plan_commands.cpp
int cmd_inspect(const std::vector<std::string>& argv);  // inspect_command.cpp
int cmd_sensitivity(const std::vector<std::string>& argv);  // sensitivity_command.cpp (issue 17)
int cmd_serve(const std::vector<std::string>& argv);    // serve_command.cpp (docs/workbench.md)
// Calibration (calibrate_command.cpp, issue 16, docs/calibration.md).
int cmd_params(const std::vector<std::string>& argv);
int cmd_calibrate(const std::vector<std::string>& argv);
// `commsim run --uncertainty N` (curve_command.cpp, docs/sensitivity.md "Uncertainty bands"): the point
// run and N samples of the registry's parameters as one study (-o: its file). On the writing rank
// `point` holds the point run's replicates read back, `text` the bands table and `json` the
// "uncertainty" object of --summary-json; `writer` is false on the other MPI ranks.
struct UncertaintyCommandResult {
  bool writer = true;
  std::vector<RunResult> point;
  std::string text, json, output;  // output: the study file kept ("" when temporary)
};
UncertaintyCommandResult run_uncertainty_command(const Args& a, const std::vector<std::string>& argv,
                                                 const std::vector<std::string>& overrides);
// The targets table of `commsim run --targets` and `commsim calibrate`.
void print_targets_table(std::FILE* out, const std::string& file, const std::vector<TargetCheck>& checks);

// Progress bar on stderr for long runs; silent when stderr is not a terminal.
class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();
  void update(double fraction);  // thread-safe
  void finish();
 private:
  struct Impl;
  Impl* impl_;
};

// Progress of a study's runs on stderr (commsim study, curve, headroom, run --uncertainty). On a
// terminal one line, redrawn: runs done / total, rate, time left. Otherwise (stderr a file or a pipe)
// a line of its own every few seconds, "LABEL: [12/58 runs, 21 s]", so that a long command is never
// silent; the interval is kProgressSecondsEnv's value when set (tests), else 5 s. --quiet does not
// silence it (it only drops the printed tables); 2>/dev/null does.
inline constexpr const char* kProgressSecondsEnv = "COMMSIM_PROGRESS_SECONDS";
class RunProgress {
 public:
  explicit RunProgress(std::string label);
  ~RunProgress();
  void update(int done, int total, int skipped);  // called by the study runner after each run
  void finish();
 private:
  std::string label_;
  bool tty_;
  bool drawn_ = false;
  double interval_s_ = 5, last_line_s_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Summary of the replicates of a run: table on the terminal and JSON (no wall-clock figures).
void print_summary_table(std::FILE* out, const Scenario& scenario, const std::vector<RunResult>& runs);

// Terminal columns of UTF-8 text (East Asian wide characters count 2), and the text padded with
// spaces to a number of columns (tables with Chinese names; commands.cpp).
size_t display_width(const std::string& text);
std::string padded(const std::string& text, size_t columns);

// Writes text to path through path.partial and a rename ("-" = stdout): never a half file.
void write_text(const std::string& path, const std::string& text);

using commsim::json_number;
using commsim::summary_json;

}  // namespace commsim::cli
