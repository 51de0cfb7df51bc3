// Studies (MODEL.md §7, docs/studies.md, docs/study-reference.md): a base scenario, axes to vary
// (any scenario key by its path), a design that turns the axes into variants (full grid, explicit
// variants, a Latin hypercube, or a sensitivity design: Morris trajectories or Saltelli's scheme for
// Sobol indices, docs/sensitivity.md), and replicates. Study files are read through the scenario
// schema machinery (sim/scenario/schema_machinery.hpp), so their errors read like scenario errors. Each (variant, replicate) is one run; run index = variant *
// replicates + replicate. Replicate r of every variant uses the same random streams (common random
// numbers) unless `independent_streams`, which gives every variant its own seed. In a sensitivity
// design the common random numbers hold within a group (a Morris trajectory, or the A, B and AB_i
// points of one Sobol base sample): each group has its own seed, shared by its points. Loading a study
// validates every axis key and every variant against the scenario schema before anything runs;
// problems are InputError naming the study file, line, column and key.
#pragma once
#include <cstdint>
#include <string>
#include <limits>
#include <utility>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/sensitivity/sensitivity.hpp"

namespace commsim {

struct StudyAxis {
  std::string key;                  // scenario key path, e.g. "sizing.households"
  SourcePos pos;                    // of the key in the study file
  std::vector<std::string> values;  // grid: the values as YAML text (ranges expanded)
  std::vector<SourcePos> value_pos; // of each value written out (lists, variants); empty when computed
  double from = 0, to = 0;          // lhs: the interval sampled; morris, sobol: the range low..high
  bool integer = false;             // lhs, morris, sobol: round samples to integers
  bool log = false;                 // morris, sobol: sampled uniformly in log (log-uniform)
  // morris, sobol: against the parameter registry (docs/sensitivity.md, "Ranges from the registry")
  bool lever = false;               // a policy lever, reported apart from the uncertain parameters
  double registry_low = std::numeric_limits<double>::quiet_NaN(), registry_high = registry_low;
  std::string range_origin;         // registry | narrowed: REASON | narrower than ... | beyond ... | the study's
};

struct StudyVariant {
  std::string name;                                         // "per_10k=18, households=3500"
  std::vector<std::pair<std::string, std::string>> values;  // (key path, YAML value text)
  SourcePos pos;                                            // where it was defined
  std::vector<std::string> overrides() const;               // "key=value" strings
};

// A sensitivity design (design: morris | sobol, docs/sensitivity.md): the axes are its parameters,
// each a range, and its variants are the design's points in run order.
struct SensitivitySpec {
  std::vector<ParameterDistribution> ranges;  // per axis: uniform or log-uniform on [low, high]
  uint64_t seed = 1;                          // of the design (Morris trajectories, Sobol scrambling) and the bootstrap
  MorrisOptions morris;                       // morris: trajectories, levels, candidates (seed = seed)
  int base_samples = 0;                       // sobol: N, a power of two
  BootstrapOptions bootstrap;                 // resamples; confidence = the study's; seed = seed
  std::vector<std::string> outcomes;          // outcome names (sensitivity_outcome_names)
  MorrisDesign morris_design;                 // morris: its points and moves
  SaltelliDesign sobol_design;                // sobol: its points
  std::vector<int> group;                     // per variant: the trajectory / base sample whose seed it shares
  // Per variant: the design's point in [0, 1]^k (coordinate a of axis a, before map_unit).
  const std::vector<std::vector<double>>& unit_points() const {
    return morris_design.points.empty() ? sobol_design.points : morris_design.points;
  }
};

struct Study {
  std::string file;        // study file path as given
  std::string text;        // its text (stored in the output)
  std::string name;
  std::string base_file;   // resolved against the study file's directory
  std::vector<std::string> base_overrides;  // `set:` then --set, in order
  std::string design = "grid";              // grid | variants | lhs | morris | sobol
  int replicates = 1;
  int lhs_samples = 0;
  uint64_t lhs_seed = 1;
  std::vector<std::string> metrics;         // citywide service metrics summarised (study_metric_names)
  double confidence = 0.95;                 // of the intervals in the summary, in (0, 1)
  std::vector<StudyAxis> axes;              // empty for design: variants (keys come from the variants)
  std::vector<StudyVariant> variants;       // expanded
  std::vector<std::string> axis_keys;       // every key varied, in first-seen order
  SensitivitySpec sensitivity;              // design: morris | sobol
  bool is_sensitivity() const { return design == "morris" || design == "sobol"; }
};

// A study ready to run: the base scenario and each variant's scenario, loaded and validated.
struct StudyPlan {
  Study study;
  Scenario base;                     // base file + set: + --set
  std::vector<Scenario> scenarios;   // per variant (base overrides + variant values [+ run.seed])
  int base_variant = 0;              // the variant identical to the base scenario, else 0
  bool independent_streams = false;
  std::string hash;                  // of study text, resolved base, --set, streams, program version
  int runs() const { return static_cast<int>(scenarios.size()) * study.replicates; }
  int variant_of(int run) const { return run / study.replicates; }
  int replicate_of(int run) const { return run % study.replicates; }
};

// Citywide per-service metrics a study can summarise (fields of CitywideService).
const std::vector<std::string>& study_metric_names();

// Outcomes a sensitivity design computes indices for: the study metrics (one outcome per service)
// and citywide run results (one outcome); the default is the headline outcomes.
const std::vector<std::string>& sensitivity_outcome_names();
const std::vector<std::string>& default_sensitivity_outcomes();  // coverage, unmet_hours, mean_wait_min, cost_total_yuan
bool outcome_per_service(const std::string& outcome);

// Parses and expands the study file (no scenario loading).
Study parse_study(const std::string& path, const std::vector<std::string>& cli_overrides = {});
Study parse_study_text(const std::string& text, const std::string& path,
                       const std::vector<std::string>& cli_overrides = {});

// parse_study + loads the base and every variant (errors point into the study file).
StudyPlan plan_study(const std::string& path, const std::vector<std::string>& cli_overrides = {},
                     bool independent_streams = false);
// The same for a study already parsed (parse_study_text: studies made by commands, e.g. curve).
StudyPlan plan_parsed_study(Study study, bool independent_streams = false);
// Appends variants to a plan (adaptive searches such as `commsim headroom` add them round by
// round): each loaded and validated like the study's own; earlier runs keep their indices.
void add_variants(StudyPlan& plan, const std::vector<StudyVariant>& variants);

// The seed variant `variant` gets with independent streams (paired studies use base_seed).
uint64_t independent_seed(uint64_t base_seed, int variant);

// docs/study-reference.md, generated from the same schema the study files are read with.
std::string study_reference_markdown();

// 64-bit FNV-1a, as 16 hex digits.
std::string hash_hex(const std::string& text);

}  // namespace commsim
