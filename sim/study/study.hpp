// Studies (MODEL.md §7, docs/studies.md, docs/study-reference.md): a base scenario, axes to vary
// (any scenario key by its path), a design that turns the axes into variants (full grid, explicit
// variants, or a Latin hypercube), and replicates. Study files are read through the scenario
// schema machinery (sim/scenario/schema_machinery.hpp), so their errors read like scenario errors. Each (variant, replicate) is one run; run index = variant *
// replicates + replicate. Replicate r of every variant uses the same random streams (common random
// numbers) unless `independent_streams`, which gives every variant its own seed. Loading a study
// validates every axis key and every variant against the scenario schema before anything runs;
// problems are InputError naming the study file, line, column and key.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/scenario/scenario.hpp"

namespace commsim {

struct StudyAxis {
  std::string key;                  // scenario key path, e.g. "sizing.households"
  SourcePos pos;                    // of the key in the study file
  std::vector<std::string> values;  // grid: the values as YAML text (ranges expanded)
  std::vector<SourcePos> value_pos; // of each value written out (lists, variants); empty when computed
  double from = 0, to = 0;          // lhs: the interval sampled
  bool integer = false;             // lhs: round samples to integers
};

struct StudyVariant {
  std::string name;                                         // "per_10k=18, households=3500"
  std::vector<std::pair<std::string, std::string>> values;  // (key path, YAML value text)
  SourcePos pos;                                            // where it was defined
  std::vector<std::string> overrides() const;               // "key=value" strings
};

struct Study {
  std::string file;        // study file path as given
  std::string text;        // its text (stored in the output)
  std::string name;
  std::string base_file;   // resolved against the study file's directory
  std::vector<std::string> base_overrides;  // `set:` then --set, in order
  std::string design = "grid";              // grid | variants | lhs
  int replicates = 1;
  int lhs_samples = 0;
  uint64_t lhs_seed = 1;
  std::vector<std::string> metrics;         // citywide service metrics summarised (study_metric_names)
  double confidence = 0.95;                 // of the intervals in the summary, in (0, 1)
  std::vector<StudyAxis> axes;              // empty for design: variants (keys come from the variants)
  std::vector<StudyVariant> variants;       // expanded
  std::vector<std::string> axis_keys;       // every key varied, in first-seen order
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
